package rights

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/dxplabs/dxp/zk"
)

// blockHash stands in for CometBFT's hash of the block at height.
func blockHash(height int64) []byte {
	h := sha256.Sum256([]byte{byte(height >> 8), byte(height)})
	return h[:]
}

// nextHashed ends the current block, as FinalizeBlock does, with the block's hash.
func (h *harness) nextHashed() {
	h.t.Helper()
	b := h.block()
	b.Hash = blockHash(b.Height)
	evs, err := h.l.EndBlock(b)
	if err != nil {
		h.t.Fatalf("EndBlock(%d): %v", h.height, err)
	}
	h.events = evs
	h.height++
}

func (h *harness) zkCeremony(id string) *ZKCeremony {
	h.t.Helper()
	c, err := h.l.ZKCeremony(id)
	if err != nil {
		h.t.Fatalf("ZKCeremony(%s): %v", id, err)
	}
	return c
}

// TestZKCeremony runs a setup ceremony's chain side with three participants and checks that
// every out-of-order, duplicate, unknown or malformed tx is refused with its code and changes
// nothing.
func TestZKCeremony(t *testing.T) {
	h := newHarness(t)
	names := []string{"alice", "bob", "carol", "dave"}
	for _, n := range names {
		h.ok(n, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	}
	h.ok(testRegulatorKey, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	parts := []ZKParticipant{{"alice", addr("alice")}, {"bob", addr("bob")}, {"carol", addr("carol")}}
	open := func(n uint64, w uint32, ps ...ZKParticipant) Msg {
		return Msg{OpenZKCeremony: &OpenZKCeremony{ChunkSize: n, Width: w, Participants: ps}}
	}
	h.refused("alice", open(64, 8, parts...), CodeUnauthorized, "is not a regulator")
	h.refused(testRegulatorKey, open(0, 8, parts...), CodeBadZKCeremony, "chunk size 0")
	h.refused(testRegulatorKey, open(64, 65, parts...), CodeBadZKCeremony, "width 65")
	h.refused(testRegulatorKey, open(64, 8), CodeBadZKCeremony, "1 to 64 participants")
	h.refused(testRegulatorKey, open(64, 8, parts[0], ZKParticipant{"alice", addr("bob")}), CodeBadZKCeremony, `name "alice" is listed twice`)
	h.refused(testRegulatorKey, open(64, 8, parts[0], ZKParticipant{"alice2", addr("alice")}), CodeBadZKCeremony, "listed twice")
	h.refused(testRegulatorKey, open(64, 8, ZKParticipant{"Alice!", addr("alice")}), CodeBadZKCeremony, "name")
	h.refused(testRegulatorKey, open(64, 8, parts[0], ZKParticipant{"eve", addr("eve")}), CodeUnknownParty, "eve")
	id := h.ok(testRegulatorKey, open(64, 8, parts...))

	digest := func(s string) Digest { return sha256.Sum256([]byte(s)) }
	contribute := func(phase uint32, d Digest) Msg {
		return Msg{ContributeZKCeremony: &ContributeZKCeremony{Ceremony: id, Phase: phase, Digest: d}}
	}
	h.refused("alice", Msg{ContributeZKCeremony: &ContributeZKCeremony{Ceremony: "zkc-nope", Phase: 1, Digest: digest("a1")}}, CodeUnknownZKCeremony, "zkc-nope")
	h.refused("dave", contribute(1, digest("d1")), CodeZKNotParticipant, "not a participant")
	h.refused("bob", contribute(1, digest("b1")), CodeZKOutOfTurn, "alice")
	h.refused("alice", contribute(2, digest("a2")), CodeZKCeremonyState, "phase 1, not phase 2")
	h.refused("alice", contribute(3, digest("a3")), CodeZKCeremonyState, "phases 1 and 2")
	h.refused("alice", contribute(1, Digest{}), CodeBadDigests, "zero")
	h.ok("alice", contribute(1, digest("a1")))
	h.refused("alice", contribute(1, digest("a1 again")), CodeZKAlreadyContributed, "already contributed to phase 1")
	h.refused("bob", contribute(1, digest("a1")), CodeBadDigests, "already posted")
	h.refused("carol", contribute(1, digest("c1")), CodeZKOutOfTurn, "bob")
	h.next()
	h.ok("bob", contribute(1, digest("b1")))
	h.ok("carol", contribute(1, digest("c1")))
	sealAt := h.height + 1
	if c := h.zkCeremony(id); c.Status != ZKCeremonyBeacon1 || c.Beacon1.Height != sealAt {
		t.Fatalf("after phase 1: status %s, beacon height %d; want beacon1 at %d", c.Status, c.Beacon1.Height, sealAt)
	}
	h.refused("alice", contribute(2, digest("a2")), CodeZKCeremonyState, "waits for block")
	h.nextHashed()
	h.refused("alice", contribute(2, digest("a2")), CodeZKCeremonyState, "waits for block") // the beacon block itself
	fin := Msg{FinishZKCeremony: &FinishZKCeremony{Ceremony: id, VK: []byte("vk"), PK: digest("pk"), Transcript: digest("t")}}
	h.refused("dave", fin, CodeZKCeremonyState, "beacon1")
	h.nextHashed()
	c := h.zkCeremony(id)
	if c.Status != ZKCeremonyPhase2 || !bytes.Equal(c.Beacon1.Hash, blockHash(sealAt)) {
		t.Fatalf("after the beacon block: status %s, beacon %x; want phase2 and the hash of block %d", c.Status, c.Beacon1.Hash, sealAt)
	}
	if p, phase, ok := c.Next(); !ok || phase != 2 || p.Name != "alice" {
		t.Errorf("Next() = %v, %d, %v; want alice in phase 2", p, phase, ok)
	}
	h.refused("carol", contribute(2, digest("c2")), CodeZKOutOfTurn, "alice")
	h.ok("alice", contribute(2, digest("a2")))
	h.ok("bob", contribute(2, digest("b2")))
	h.ok("carol", contribute(2, digest("c2")))
	h.refused("carol", contribute(2, digest("c2 again")), CodeZKAlreadyContributed, "phase 2")
	h.nextHashed()
	h.nextHashed()
	c = h.zkCeremony(id)
	if c.Status != ZKCeremonyReady {
		t.Fatalf("after phase 2 and its beacon: status %s, want ready", c.Status)
	}
	// The chain's transcript digest is zk's, computed from what it recorded.
	var d1, d2 [][32]byte
	for _, k := range c.Phase1 {
		d1 = append(d1, k.Digest)
	}
	for _, k := range c.Phase2 {
		d2 = append(d2, k.Digest)
	}
	want := Digest(zk.TranscriptDigest(d1, sha256.Sum256(c.Beacon1.Hash), d2, sha256.Sum256(c.Beacon2.Hash)))
	if c.Transcript != want {
		t.Fatalf("Transcript = %s, want zk.TranscriptDigest %s", c.Transcript, want)
	}

	h.refused("bob", fin, CodeZKBadResult, "transcript digest")
	fin.FinishZKCeremony.Transcript = want
	fin.FinishZKCeremony.VK = nil
	h.refused("bob", fin, CodeZKBadResult, "verifying key")
	fin.FinishZKCeremony.VK, fin.FinishZKCeremony.PK = []byte("vk"), Digest{}
	h.refused("bob", fin, CodeZKBadResult, "proving key")
	fin.FinishZKCeremony.PK = digest("pk")
	if _, err := h.l.ZKCircuit(64, 8); !errors.Is(err, ErrNotFound) {
		t.Errorf("ZKCircuit before the finish = %v, want ErrNotFound", err)
	}
	h.refused("dave", fin, CodeUnauthorized, "neither the coordinator nor a participant")
	h.ok("bob", fin) // a participant, or the coordinator, may finish
	h.refused("alice", fin, CodeZKCeremonyState, "already finished")
	c = h.zkCeremony(id)
	circ, err := h.l.ZKCircuit(64, 8)
	if err != nil {
		t.Fatalf("ZKCircuit(64, 8): %v", err)
	}
	if c.Status != ZKCeremonyFinished || c.FinishedBy != addr("bob") || c.Circuit == nil ||
		circ.Setup != want.String() || circ.Ceremony != id || !bytes.Equal(circ.VK, []byte("vk")) || circ.PK != digest("pk") {
		t.Errorf("after finish: ceremony %+v, circuit %+v", c, circ)
	}
	for path, code := range map[string]uint32{"/zkcircuit/64/8": CodeOK, "/zkcircuit/64/9": CodeNotFound, "/zkcircuit/x": CodeUnknownQuery,
		"/zkceremony/" + id: CodeOK, "/zkceremonies": CodeOK, "/zkceremonies/x": CodeUnknownQuery} {
		_, _, err := h.l.Query(path)
		var te *TxError
		switch {
		case code == CodeOK && err != nil:
			t.Errorf("query %s: %v", path, err)
		case code == CodeNotFound && !errors.Is(err, ErrNotFound):
			t.Errorf("query %s = %v, want ErrNotFound", path, err)
		case code == CodeUnknownQuery && (!errors.As(err, &te) || te.Code != code):
			t.Errorf("query %s = %v, want code %d", path, err, code)
		}
	}
}

// TestAttackOnePersonCeremony: a regulator opens a setup ceremony in which it is the only
// contributor, or has a single other party beside it, so that it alone (or with one
// accomplice it chose) knows the trapdoor of a circuit every node trusts, and can forge listing
// proofs. Groth16 keys are sound if any one contributor discards its randomness, so a ceremony
// needs at least two distinct participants besides the coordinator; every such opening is
// refused with CodeBadZKCeremony and changes nothing.
func TestAttackOnePersonCeremony(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"alice", "bob"} {
		h.ok(n, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	}
	h.ok(testRegulatorKey, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	self := ZKParticipant{"me", addr(testRegulatorKey)}
	alice, bob := ZKParticipant{"alice", addr("alice")}, ZKParticipant{"bob", addr("bob")}
	open := func(ps ...ZKParticipant) Msg {
		return Msg{OpenZKCeremony: &OpenZKCeremony{ChunkSize: 64, Width: 8, Participants: ps}}
	}
	for _, tc := range []struct {
		name string
		ps   []ZKParticipant
	}{
		{"the coordinator alone", []ZKParticipant{self}},
		{"one other party alone", []ZKParticipant{alice}},
		{"the coordinator and one other", []ZKParticipant{self, alice}},
		{"one other and the coordinator", []ZKParticipant{bob, self}},
	} {
		h.refused(testRegulatorKey, open(tc.ps...), CodeBadZKCeremony, "at least 2 participants besides")
		if ids, err := h.l.ZKCeremonies(); err != nil || len(ids) != 0 {
			t.Fatalf("%s: ceremonies after the refusal = %v, %v; want none", tc.name, ids, err)
		}
	}
	// Two other parties are enough, with or without the coordinator contributing too.
	h.ok(testRegulatorKey, open(alice, bob))
	h.ok(testRegulatorKey, open(self, alice, bob))
}
