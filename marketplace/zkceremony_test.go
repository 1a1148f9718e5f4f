package marketplace_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// The chunk circuit of the ceremony tests: its domain (1024) sets the cost, which is the same
// for any chunk size up to about 100 values.
const (
	zkTestN = 64
	zkTestW = 8
)

// participantSession gives a participant its own home on the devnet's chain and storage, and a
// registered key in it, as `dxp keys add` and a first tx would.
func participantSession(t *testing.T, ctx context.Context, devnetHome, name string) *Session {
	t.Helper()
	cfg, err := LoadConfig(devnetHome)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := SaveConfig(home, cfg); err != nil {
		t.Fatal(err)
	}
	k, err := CreateKey(home, name, []rights.Role{rights.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Register(ctx, k); err != nil {
		t.Fatal(err)
	}
	return s
}

// tamper replaces the object with digest d by the same bytes with one bit flipped, and returns
// a function that restores it.
func tamper(t *testing.T, ctx context.Context, b storage.Bucket, d rights.Digest) (restore func()) {
	t.Helper()
	orig, err := storage.GetBytes(ctx, b, storage.Digest(d))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(orig)
	bad[len(bad)/2] ^= 0x10
	if err := b.Put(ctx, storage.ObjectKey(storage.Digest(d)), bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := b.Put(ctx, storage.ObjectKey(storage.Digest(d)), bytes.NewReader(orig)); err != nil {
			t.Fatal(err)
		}
	}
}

// wantBad checks that err is a *ZKContributionError naming phase, index and participant.
func wantBad(t *testing.T, what string, err error, phase, index int, name string) {
	t.Helper()
	var bad *ZKContributionError
	if !errors.As(err, &bad) || bad == nil {
		t.Fatalf("%s: %v, want a *ZKContributionError", what, err)
	}
	if bad.Phase != phase || bad.Index != index || bad.Participant.Name != name {
		t.Errorf("%s: names phase %d contribution %d by %s, want phase %d contribution %d by %s (%v)",
			what, bad.Phase, bad.Index+1, bad.Participant.Name, phase, index+1, name, err)
	}
	if !strings.Contains(err.Error(), name) {
		t.Errorf("%s: %q does not name %s", what, err, name)
	}
}

// TestZKCeremony runs a setup ceremony with three participants, each in its own home, through an
// in-process devnet and fs storage: the transcript verifies, the verifying key registered on
// chain verifies a chunk proof made with the ceremony's proving key, and a contribution not built
// on its predecessor, or an object swapped in storage, is refused, naming whose it is.
func TestZKCeremony(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and runs a Groth16 ceremony")
	}
	home := t.TempDir()
	dn := startDevnet(t, home)
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	reg, err := Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	names := []string{"alice", "bob", "carol"}
	ss := map[string]*Session{}
	var parts []rights.ZKParticipant
	for _, n := range names {
		ss[n] = participantSession(t, ctx, home, n)
		k, err := ss[n].Key(n)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, rights.ZKParticipant{Name: n, Address: k.Address()})
	}
	contribute := func(name, id string) []ZKContribution {
		t.Helper()
		made, err := ss[name].ContributeZKCeremony(ctx, name, id, false, nil)
		if err != nil {
			t.Fatalf("%s contributes: %v", name, err)
		}
		return made
	}

	if _, err := ss["alice"].StartZKCeremony(ctx, "alice", zkTestN, zkTestW, parts); err == nil {
		t.Fatal("a party that is not a regulator opened a setup ceremony")
	}
	c, err := reg.StartZKCeremony(ctx, "regulator", zkTestN, zkTestW, parts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss["bob"].ContributeZKCeremony(ctx, "bob", c.ID, false, nil); err == nil || !strings.Contains(err.Error(), "waits for alice") {
		t.Errorf("bob contributing first: %v, want an error saying the ceremony waits for alice", err)
	}
	if made := contribute("alice", c.ID); len(made) != 1 || made[0].Phase != 1 {
		t.Errorf("alice made %+v, want one phase-1 contribution", made)
	}
	contribute("bob", c.ID)
	contribute("carol", c.ID) // the last of phase 1: the next block seals it
	// alice opens phase 2 once the beacon is in; her call waits for it.
	if made := contribute("alice", c.ID); len(made) != 1 || made[0].Phase != 2 {
		t.Errorf("alice made %+v, want one phase-2 contribution", made)
	}
	contribute("bob", c.ID)
	contribute("carol", c.ID)
	if _, err := ss["carol"].ContributeZKCeremony(ctx, "carol", c.ID, false, nil); err == nil || !strings.Contains(err.Error(), "already contributed to both phases") {
		t.Errorf("carol contributing a third time: %v, want an error saying she already contributed", err)
	}

	// Anyone may finish: here the regulator, which did not contribute.
	c, err = reg.FinishZKCeremony(ctx, "regulator", c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != rights.ZKCeremonyFinished || c.Circuit == nil || c.Circuit.Setup != c.Transcript.String() {
		t.Fatalf("after finish: status %s, circuit %+v; want finished and registered with the transcript digest", c.Status, c.Circuit)
	}
	circ, err := reg.Chain.ZKCircuit(ctx, zkTestN, zkTestW)
	if err != nil || !bytes.Equal(circ.VK, c.VK) {
		t.Fatalf("ZKCircuit(%d, %d) = %+v, %v; want the ceremony's keys", zkTestN, zkTestW, circ, err)
	}
	v, err := reg.VerifyZKCeremony(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || !v.Finished || len(v.Checks) < 8 {
		t.Errorf("VerifyZKCeremony = %+v, want valid and finished with every check", v)
	}

	// The registered verifying key verifies a chunk proof made with the ceremony's proving key.
	pk, err := storage.GetBytes(ctx, reg.Bucket, storage.Digest(circ.PK))
	if err != nil {
		t.Fatal(err)
	}
	prover, err := zk.NewChunkProver(zkTestN, zkTestW, pk)
	if err != nil {
		t.Fatal(err)
	}
	values := make([]int64, zkTestN)
	for i := range values {
		values[i] = int64(i*37%200) - 50
	}
	cp, err := prover.Prove(values, -50, 149)
	if err != nil {
		t.Fatal(err)
	}
	if err := zk.VerifyChunk(circ.VK, cp.Proof, cp.Commitment, -50, 149); err != nil {
		t.Errorf("VerifyChunk(registered vk, ceremony proof) = %v", err)
	}
	if err := zk.VerifyChunk(circ.VK, cp.Proof, cp.Commitment, -50, 148); !errors.Is(err, zk.ErrInvalidProof) {
		t.Errorf("VerifyChunk(registered vk, other bounds) = %v, want ErrInvalidProof", err)
	}

	// A phase-2 object swapped in storage: verify names it.
	restore := tamper(t, ctx, reg.Bucket, c.Phase2[1].Digest)
	v, err = reg.VerifyZKCeremony(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid {
		t.Error("VerifyZKCeremony passed a ceremony with a contribution swapped in storage")
	} else {
		wantBad(t, "verify with bob's phase-2 object swapped", v.Bad, 2, 1, "bob")
	}
	restore()

	// A fake proving key of the same size planted under its key: verify reports it (it only
	// checked that some object was there).
	restore = tamper(t, ctx, reg.Bucket, c.PK)
	v, err = reg.VerifyZKCeremony(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || !slices.ContainsFunc(v.Checks, func(k ZKCheck) bool { return k.Name == "proving key object" && !k.OK }) {
		t.Errorf("VerifyZKCeremony with a planted proving key = valid %v, checks %+v; want the proving key object check failed", v.Valid, v.Checks)
	}
	restore()

	// Another ceremony, phase 1 only: a contribution swapped in storage and one not built on its
	// predecessor are refused by the next participant, which posts nothing. (The first
	// ceremony's circuit is registered now, and a registered circuit has no second ceremony.)
	if _, err := reg.StartZKCeremony(ctx, "regulator", zkTestN, zkTestW, parts); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("a second ceremony for registered circuit n%d-w%d: err = %v, want already registered", zkTestN, zkTestW, err)
	}
	c2, err := reg.StartZKCeremony(ctx, "regulator", zkTestN, zkTestW-1, parts)
	if err != nil {
		t.Fatal(err)
	}
	contribute("alice", c2.ID)
	c2, err = client.Get[rights.ZKCeremony](ctx, reg.Chain, c2.ID)
	if err != nil {
		t.Fatal(err)
	}
	restore = tamper(t, ctx, reg.Bucket, c2.Phase1[0].Digest)
	_, err = ss["bob"].ContributeZKCeremony(ctx, "bob", c2.ID, false, nil)
	wantBad(t, "bob building on alice's swapped object", err, 1, 0, "alice")
	restore()

	// bob uploads a contribution built on the start of phase 1, not on alice's, and posts it.
	ccs, err := zk.CompileChunk(zkTestN, zkTestW)
	if err != nil {
		t.Fatal(err)
	}
	start, err := zk.StartPhase1(zk.CeremonyDomain(ccs))
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := zk.ContributePhase1(zk.CeremonyDomain(ccs), start)
	if err != nil {
		t.Fatal(err)
	}
	d, err := storage.PutBytes(ctx, ss["bob"].Bucket, rogue)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := ss["bob"].Key("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss["bob"].Chain.Submit(ctx, bob.Private, rights.Msg{ContributeZKCeremony: &rights.ContributeZKCeremony{
		Ceremony: c2.ID, Phase: 1, Digest: rights.Digest(d)}}); err != nil {
		t.Fatal(err)
	}
	_, err = ss["carol"].ContributeZKCeremony(ctx, "carol", c2.ID, false, nil)
	wantBad(t, "carol building on bob's rogue contribution", err, 1, 1, "bob")
	after, err := client.Get[rights.ZKCeremony](ctx, reg.Chain, c2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Phase1) != 2 {
		t.Errorf("after carol refused to build: %d phase-1 contributions on chain, want 2", len(after.Phase1))
	}
	v, err = reg.VerifyZKCeremony(ctx, c2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.Finished {
		t.Errorf("VerifyZKCeremony(rogue) = valid %v, finished %v; want neither", v.Valid, v.Finished)
	} else {
		wantBad(t, "verify with bob's rogue contribution", v.Bad, 1, 1, "bob")
	}
}
