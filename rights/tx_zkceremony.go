package rights

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// The Groth16 setup ceremony of a chunk circuit, with the chain as its bulletin board.
//
// A regulator opens a ceremony for the chunk circuit of ChunkSize values of Width bits and an
// ordered list of participants (registered parties, at least two besides the coordinator, so no
// one party alone keeps the trapdoor). Each participant in turn downloads the
// contributions so far from storage, checks them, adds its own and posts the new object's
// digest: first everyone in phase 1, then everyone in phase 2, in the same order. The chain
// enforces the order and records each digest, who posted it and when. The block after a
// phase's last contribution seals it: its hash, which nobody could choose when that
// contribution was posted, is the phase's beacon, recorded by the chain at the end of that
// block. Once both beacons are recorded, the coordinator or a participant finishes: derive the keys, upload the proving
// key and post the verifying key, the proving key's digest and the transcript digest.
//
// The chain checks that transcript digest itself (it is a hash of the digests and beacons it
// recorded), but it does not re-derive the keys: that takes seconds to minutes of elliptic-curve
// work over every contribution (phase 2 alone re-evaluates the circuit at τ), far too much for a
// block, and the chain holds digests, not the contributions. So the verifying key a finish posts
// is recorded as posted, and `dxp zk ceremony verify` is the heavy check anyone can run: it
// fetches every contribution, checks it against the digest recorded here, verifies the whole
// transcript and checks that the verifying key and proving key digest recorded here are the
// ones the transcript implies.
//
// Ceremonies are for chunk circuits (CircuitChunk) only: the circuit a finish registers has the
// chunk kind. An input circuit (CircuitInput or CircuitInputHistogram, one of which a chain with
// Params.InputProofs needs for every column, and CircuitFrequencyTable, which a proven frequency
// table needs) is registered in genesis, its Setup naming the transcript digest of a ceremony
// run off chain (or InsecureDevnetSetup on a devnet). On such a chain a ceremony's chunk circuit
// registers but no column can name it.

// ZKCeremonyStatus is where a ceremony is.
type ZKCeremonyStatus string

const (
	ZKCeremonyPhase1   ZKCeremonyStatus = "phase1"   // participants contribute to phase 1, in order
	ZKCeremonyBeacon1  ZKCeremonyStatus = "beacon1"  // waiting for the block whose hash seals phase 1
	ZKCeremonyPhase2   ZKCeremonyStatus = "phase2"   // participants contribute to phase 2, in order
	ZKCeremonyBeacon2  ZKCeremonyStatus = "beacon2"  // waiting for the block whose hash seals phase 2
	ZKCeremonyReady    ZKCeremonyStatus = "ready"    // every contribution and both beacons are in: the coordinator or a participant may finish
	ZKCeremonyFinished ZKCeremonyStatus = "finished" // keys posted and registered
)

// ZKParticipant is one participant of a setup ceremony: a registered party and the name the
// coordinator gave it, so that messages and reports can say whose contribution is whose.
type ZKParticipant struct {
	Name    string
	Address Address
}

// ZKContribution is one contribution recorded on chain: the SHA-256 of the contribution object
// in storage, who posted it and at which height.
type ZKContribution struct {
	Participant Address
	Digest      Digest
	Height      int64
}

// ZKBeacon seals a phase: the hash of the block at Height, the block after the phase's last
// contribution. Hash is empty until that block ends.
type ZKBeacon struct {
	Height int64
	Hash   []byte
}

// ZKCeremony is a Groth16 setup ceremony for the chunk circuit (ChunkSize, Width).
type ZKCeremony struct {
	ID           string
	Coordinator  Address
	ChunkSize    uint64
	Width        uint32
	Participants []ZKParticipant
	Status       ZKCeremonyStatus
	Phase1       []ZKContribution // in order: Phase1[i] is Participants[i]'s
	Phase2       []ZKContribution
	Beacon1      ZKBeacon
	Beacon2      ZKBeacon
	// Transcript is the digest of the whole transcript (zk.TranscriptDigest of the recorded
	// contribution digests and beacons), computed by the chain when phase 2 is sealed. A finish
	// must post the same digest.
	Transcript Digest
	Opened     int64 // height
	// Set by the finish: who finished, when, and the keys it posted. VK is recorded as posted;
	// `dxp zk ceremony verify` checks it against the transcript.
	FinishedBy Address
	Finished   int64
	VK         []byte     // Groth16 verifying key (gnark compressed encoding)
	PK         Digest     // proving key object in storage
	Circuit    *ZKCircuit // what registerZKCircuit registered
}

// ZKCircuit is a chunk circuit whose keys the chain registered.
type ZKCircuit struct {
	ChunkSize uint64
	Width     uint32
	VK        []byte
	PK        Digest
	// Setup is InsecureDevnetSetup (accepted on a devnet only) or the hex transcript digest of
	// the ceremony that made the keys.
	Setup      string
	Ceremony   string // the ceremony's id; empty for a setup that came from elsewhere
	Registered int64  // height
}

// OpenZKCeremony opens a setup ceremony for the chunk circuit of ChunkSize values of Width bits
// among Participants, in that order: at least two distinct registered parties besides the
// coordinator (the sender), who may contribute too. Only a regulator may open one: the keys it
// makes decide which listing proofs every node accepts, a network-wide parameter, and
// regulators are the parties genesis entrusts with network-wide decisions.
type OpenZKCeremony struct {
	ChunkSize    uint64
	Width        uint32
	Participants []ZKParticipant
}

// ContributeZKCeremony records the sender's contribution to Phase (1 or 2) of a ceremony:
// Digest is the SHA-256 of the contribution object it put in storage.
type ContributeZKCeremony struct {
	Ceremony string
	Phase    uint32
	Digest   Digest
}

// FinishZKCeremony posts the keys a ready ceremony's transcript implies: the verifying key, the
// digest of the proving key object in storage, and the transcript digest (which must be the
// one the chain computed). Any registered party may send it.
type FinishZKCeremony struct {
	Ceremony   string
	VK         []byte
	PK         Digest
	Transcript Digest
}

const (
	maxZKParticipants = 64
	minZKOthers       = 2       // distinct participants besides the coordinator
	maxZKChunkSize    = 1 << 16 // zk.MaxChunkSize
	maxZKWidth        = 64      // circuits.MaxChunkWidth
	maxZKVK           = 1 << 16 // a chunk circuit's verifying key is well under 1 KiB
)

var (
	prefixZKCeremony = []byte("zkceremony/")
	// + 8-byte big-endian height + "/" + ceremony id: ceremonies waiting for that block's hash.
	prefixZKBeacon = []byte("index/zkceremony-beacon/")
	// + chunk size + "/" + width: the id of the ceremony whose keys are registered for the circuit.
	prefixZKCircuit = []byte("index/zkcircuit/")
)

var zkParticipantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Name returns the name the coordinator gave participant a, or "".
func (c *ZKCeremony) Name(a Address) string {
	for _, p := range c.Participants {
		if p.Address == a {
			return p.Name
		}
	}
	return ""
}

// Contributions returns the contributions of phase 1 or 2.
func (c *ZKCeremony) Contributions(phase int) []ZKContribution {
	if phase == 1 {
		return c.Phase1
	}
	return c.Phase2
}

// Next returns the participant whose turn it is and the phase it contributes to, or false when
// no contribution is due (a beacon is awaited, or every participant contributed to both phases).
func (c *ZKCeremony) Next() (ZKParticipant, int, bool) {
	switch c.Status {
	case ZKCeremonyPhase1:
		return c.Participants[len(c.Phase1)], 1, true
	case ZKCeremonyPhase2:
		return c.Participants[len(c.Phase2)], 2, true
	}
	return ZKParticipant{}, 0, false
}

func (x *exec) zkCeremony(id string) (*ZKCeremony, error) {
	var c ZKCeremony
	ok, err := load(x.s, key(prefixZKCeremony, id), &c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(CodeUnknownZKCeremony, "setup ceremony %s does not exist", id)
	}
	return &c, nil
}

func (x *exec) putZKCeremony(c *ZKCeremony) error {
	return save(x.s, key(prefixZKCeremony, c.ID), c)
}

func zkBeaconKey(height int64, id string) []byte { return timeKey(prefixZKBeacon, height, id) }

func zkCircuitKey(n uint64, w uint32) []byte {
	return key(prefixZKCircuit, strconv.FormatUint(n, 10)+"/"+strconv.FormatUint(uint64(w), 10))
}

func (x *exec) openZKCeremony(m *OpenZKCeremony) (string, error) {
	if _, err := x.mustRegulator("open a setup ceremony"); err != nil {
		return "", err
	}
	if m.ChunkSize < 1 || m.ChunkSize > maxZKChunkSize {
		return "", refuse(CodeBadZKCeremony, "chunk size %d must be 1 to %d values", m.ChunkSize, maxZKChunkSize)
	}
	if m.Width < 1 || m.Width > maxZKWidth {
		return "", refuse(CodeBadZKCeremony, "width %d must be 1 to %d bits", m.Width, maxZKWidth)
	}
	if registered, err := x.s.Get(key(prefixCircuit, CircuitID(m.ChunkSize, m.Width))); err != nil {
		return "", err
	} else if registered != nil {
		return "", refuse(CodeCircuitExists, "circuit %s is already registered, and a registered circuit is never replaced", CircuitID(m.ChunkSize, m.Width))
	}
	if len(m.Participants) < 1 || len(m.Participants) > maxZKParticipants {
		return "", refuse(CodeBadZKCeremony, "a setup ceremony needs 1 to %d participants, got %d", maxZKParticipants, len(m.Participants))
	}
	names, addrs := map[string]bool{}, map[Address]bool{}
	for i, p := range m.Participants {
		if !zkParticipantName.MatchString(p.Name) {
			return "", refuse(CodeBadZKCeremony, "participant %d's name %q must be 1 to 32 lower-case letters, digits, '-' or '_'", i+1, p.Name)
		}
		if names[p.Name] {
			return "", refuse(CodeBadZKCeremony, "participant name %q is listed twice", p.Name)
		}
		if addrs[p.Address] {
			return "", refuse(CodeBadZKCeremony, "participant %s is listed twice", p.Address)
		}
		names[p.Name], addrs[p.Address] = true, true
		party, err := x.party(p.Address)
		if err != nil {
			return "", err
		}
		if party == nil {
			return "", refuse(CodeUnknownParty, "participant %s (%s) is not a registered party", p.Name, p.Address)
		}
	}
	// The keys are sound if any one contributor discards its randomness. A ceremony whose only
	// contributors are the coordinator and at most one other party would leave the trapdoor
	// with the coordinator alone, or with it and one party it picked.
	others := len(m.Participants)
	if addrs[x.sender] {
		others--
	}
	if others < minZKOthers {
		return "", refuse(CodeBadZKCeremony, "a setup ceremony needs at least %d participants besides its coordinator %s so that no one party alone can keep the trapdoor, got %d", minZKOthers, x.sender, others)
	}
	id, err := x.newID("zkc")
	if err != nil {
		return "", err
	}
	c := &ZKCeremony{
		ID:           id,
		Coordinator:  x.sender,
		ChunkSize:    m.ChunkSize,
		Width:        m.Width,
		Participants: m.Participants,
		Status:       ZKCeremonyPhase1,
		Opened:       x.b.Height,
	}
	if err := x.putZKCeremony(c); err != nil {
		return "", err
	}
	parties := make([]Address, len(m.Participants))
	for i, p := range m.Participants {
		parties[i] = p.Address
	}
	x.emit(Event{Action: "open_zk_ceremony", Parties: parties, Attrs: []Attr{
		{"zk_ceremony", c.ID}, {"chunk_size", strconv.FormatUint(c.ChunkSize, 10)}, {"width", strconv.FormatUint(uint64(c.Width), 10)}}})
	return c.ID, nil
}

func (x *exec) contributeZKCeremony(m *ContributeZKCeremony) error {
	c, err := x.zkCeremony(m.Ceremony)
	if err != nil {
		return err
	}
	me := c.Name(x.sender)
	if me == "" {
		return refuse(CodeZKNotParticipant, "%s is not a participant of setup ceremony %s", x.sender, c.ID)
	}
	if m.Phase != 1 && m.Phase != 2 {
		return refuse(CodeZKCeremonyState, "a setup ceremony has phases 1 and 2, not %d", m.Phase)
	}
	phase := int(m.Phase)
	if slices.ContainsFunc(c.Contributions(phase), func(k ZKContribution) bool { return k.Participant == x.sender }) {
		return refuse(CodeZKAlreadyContributed, "%s (%s) already contributed to phase %d of setup ceremony %s", me, x.sender, phase, c.ID)
	}
	switch {
	case c.Status == ZKCeremonyBeacon1 || c.Status == ZKCeremonyBeacon2:
		b := c.Beacon1
		if c.Status == ZKCeremonyBeacon2 {
			b = c.Beacon2
		}
		return refuse(CodeZKCeremonyState, "setup ceremony %s waits for block %d, whose hash seals the phase, before phase %d can take contributions", c.ID, b.Height, phase)
	case c.Status == ZKCeremonyReady || c.Status == ZKCeremonyFinished:
		return refuse(CodeZKCeremonyState, "setup ceremony %s is %s: it takes no more contributions", c.ID, c.Status)
	}
	next, due, _ := c.Next()
	if phase != due {
		return refuse(CodeZKCeremonyState, "setup ceremony %s is in phase %d, not phase %d", c.ID, due, phase)
	}
	if next.Address != x.sender {
		return refuse(CodeZKOutOfTurn, "it is %s's (%s) turn to contribute to phase %d of setup ceremony %s, not %s's", next.Name, next.Address, phase, c.ID, me)
	}
	if m.Digest.IsZero() {
		return refuse(CodeBadDigests, "the contribution digest is zero")
	}
	for _, k := range append(slices.Clone(c.Phase1), c.Phase2...) {
		if k.Digest == m.Digest {
			return refuse(CodeBadDigests, "contribution %s was already posted to setup ceremony %s; a contribution must add new randomness", m.Digest, c.ID)
		}
	}
	k := ZKContribution{Participant: x.sender, Digest: m.Digest, Height: x.b.Height}
	attrs := []Attr{{"zk_ceremony", c.ID}, {"phase", strconv.Itoa(phase)}, {"digest", m.Digest.String()}}
	if phase == 1 {
		c.Phase1 = append(c.Phase1, k)
	} else {
		c.Phase2 = append(c.Phase2, k)
	}
	if len(c.Contributions(phase)) == len(c.Participants) {
		// The phase is complete: the next block's hash seals it (sealZKCeremonies).
		b := ZKBeacon{Height: x.b.Height + 1}
		if phase == 1 {
			c.Beacon1, c.Status = b, ZKCeremonyBeacon1
		} else {
			c.Beacon2, c.Status = b, ZKCeremonyBeacon2
		}
		if err := x.s.Set(zkBeaconKey(b.Height, c.ID), indexValue); err != nil {
			return err
		}
		attrs = append(attrs, Attr{"beacon_height", strconv.FormatInt(b.Height, 10)})
	}
	x.emit(Event{Action: "contribute_zk_ceremony", Parties: []Address{x.sender}, Attrs: attrs})
	return x.putZKCeremony(c)
}

// sealZKCeremonies records b's hash as the beacon of every ceremony waiting for block b. It runs
// at the end of the block, so the hash is that of a block finalized after the phase's last
// contribution: nobody could know it when posting that contribution.
func (x *exec) sealZKCeremonies() error {
	prefix := timeKey(prefixZKBeacon, x.b.Height, "")
	var ids []string
	if err := x.s.Iterate(prefix, func(k, _ []byte) bool {
		ids = append(ids, string(k[len(prefix):]))
		return true
	}); err != nil {
		return err
	}
	if len(ids) > 0 && len(x.b.Hash) == 0 {
		return fmt.Errorf("rights: block %d has no hash, but setup ceremonies %v wait for it as their beacon", x.b.Height, ids)
	}
	for _, id := range ids {
		c, err := x.zkCeremony(id)
		if err != nil {
			return err
		}
		beacon := slices.Clone(x.b.Hash)
		phase := 1
		switch {
		case c.Status == ZKCeremonyBeacon1 && c.Beacon1.Height == x.b.Height:
			c.Beacon1.Hash, c.Status = beacon, ZKCeremonyPhase2
		case c.Status == ZKCeremonyBeacon2 && c.Beacon2.Height == x.b.Height:
			c.Beacon2.Hash, c.Status = beacon, ZKCeremonyReady
			c.Transcript = zkTranscriptDigest(c)
			phase = 2
		default:
			return fmt.Errorf("rights: setup ceremony %s is %s, but the beacon index names it at height %d", id, c.Status, x.b.Height)
		}
		if err := x.s.Delete(zkBeaconKey(x.b.Height, id)); err != nil {
			return err
		}
		if err := x.putZKCeremony(c); err != nil {
			return err
		}
		x.emit(Event{Action: "seal_zk_ceremony_phase", Attrs: []Attr{
			{"zk_ceremony", c.ID}, {"phase", strconv.Itoa(phase)}, {"beacon", hex.EncodeToString(beacon)}}})
	}
	return nil
}

// zkTranscriptDigest is zk.TranscriptDigest of c's recorded contributions and beacons (the chain
// does not import zk; marketplace's ceremony test checks the two agree):
//
//	SHA-256( "dxp/zk/groth16-ceremony/v1"
//	         ‖ uint32(len(Phase1)) ‖ Phase1 digests ‖ SHA-256(beacon 1)
//	         ‖ uint32(len(Phase2)) ‖ Phase2 digests ‖ SHA-256(beacon 2) )
func zkTranscriptDigest(c *ZKCeremony) Digest {
	h := sha256.New()
	h.Write([]byte("dxp/zk/groth16-ceremony/v1"))
	for _, phase := range []struct {
		ks     []ZKContribution
		beacon []byte
	}{{c.Phase1, c.Beacon1.Hash}, {c.Phase2, c.Beacon2.Hash}} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(phase.ks))))
		for _, k := range phase.ks {
			h.Write(k.Digest[:])
		}
		b := sha256.Sum256(phase.beacon)
		h.Write(b[:])
	}
	var d Digest
	h.Sum(d[:0])
	return d
}

func (x *exec) finishZKCeremony(m *FinishZKCeremony) error {
	c, err := x.zkCeremony(m.Ceremony)
	if err != nil {
		return err
	}
	switch c.Status {
	case ZKCeremonyFinished:
		return refuse(CodeZKCeremonyState, "setup ceremony %s was already finished by %s at height %d", c.ID, c.FinishedBy, c.Finished)
	case ZKCeremonyReady:
	default:
		return refuse(CodeZKCeremonyState, "setup ceremony %s is %s: it can be finished once every participant contributed to both phases and both beacons are recorded", c.ID, c.Status)
	}
	// The chain cannot re-derive the keys (that takes minutes and the contributions are in
	// storage), so it records the keys posted by someone accountable for them: the coordinator or
	// a participant, whose `finish` verified the whole transcript before posting. Anyone can
	// check them afterwards with `dxp zk ceremony verify`.
	if x.sender != c.Coordinator && !slices.ContainsFunc(c.Participants, func(p ZKParticipant) bool { return p.Address == x.sender }) {
		return refuse(CodeUnauthorized, "%s is neither the coordinator nor a participant of setup ceremony %s, so it cannot finish it", x.sender, c.ID)
	}
	if m.Transcript != c.Transcript {
		return refuse(CodeZKBadResult, "transcript digest %s is not the digest %s of the contributions and beacons setup ceremony %s recorded", m.Transcript, c.Transcript, c.ID)
	}
	if len(m.VK) < 1 || len(m.VK) > maxZKVK {
		return refuse(CodeZKBadResult, "the verifying key must be 1 to %d bytes, got %d", maxZKVK, len(m.VK))
	}
	if m.PK.IsZero() {
		return refuse(CodeZKBadResult, "the proving key digest is zero")
	}
	c.Status, c.FinishedBy, c.Finished = ZKCeremonyFinished, x.sender, x.b.Height
	c.VK, c.PK = slices.Clone(m.VK), m.PK
	x.emit(Event{Action: "finish_zk_ceremony", Parties: []Address{x.sender}, Attrs: []Attr{
		{"zk_ceremony", c.ID}, {"transcript", c.Transcript.String()}, {"pk", c.PK.String()}}})
	return x.registerZKCircuit(c, ZKCircuit{ChunkSize: c.ChunkSize, Width: c.Width, VK: c.VK, PK: c.PK,
		Setup: c.Transcript.String(), Ceremony: c.ID, Registered: x.b.Height})
}

// registerZKCircuit makes the result of a setup ceremony a registered circuit: it writes it to the
// circuit registry through registerCircuit (which refuses a (ChunkSize, Width) already
// registered, and the insecure setup off a devnet), records it on the ceremony, and indexes the
// ceremony by its circuit so ZKCircuit answers which ceremony produced it.
func (x *exec) registerZKCircuit(c *ZKCeremony, circ ZKCircuit) error {
	if err := x.registerCircuit(Circuit{ChunkSize: circ.ChunkSize, Width: circ.Width, VK: circ.VK, PK: circ.PK, Setup: circ.Setup}); err != nil {
		return err
	}
	c.Circuit = &circ
	if err := x.putZKCeremony(c); err != nil {
		return err
	}
	if err := x.s.Set(zkCircuitKey(circ.ChunkSize, circ.Width), []byte(c.ID)); err != nil {
		return err
	}
	x.emit(Event{Action: "register_zk_circuit", Attrs: []Attr{{"zk_ceremony", c.ID},
		{"chunk_size", strconv.FormatUint(circ.ChunkSize, 10)}, {"width", strconv.FormatUint(uint64(circ.Width), 10)}, {"setup", circ.Setup}}})
	return nil
}

// ZKCeremony returns setup ceremony id.
func (l *Ledger) ZKCeremony(id string) (*ZKCeremony, error) {
	return one[ZKCeremony](l, key(prefixZKCeremony, id), "setup ceremony "+id)
}

// ZKCeremonies returns every setup ceremony, in id order.
func (l *Ledger) ZKCeremonies() ([]ZKCeremony, error) {
	return list[ZKCeremony](l.Store, prefixZKCeremony)
}

// ZKCircuit returns the registered keys of the chunk circuit (n, w), or ErrNotFound.
func (l *Ledger) ZKCircuit(n uint64, w uint32) (*ZKCircuit, error) {
	id, err := l.Store.Get(zkCircuitKey(n, w))
	if err != nil {
		return nil, err
	}
	if id == nil {
		return nil, fmt.Errorf("%w: no keys are registered for the chunk circuit of %d values of %d bits", ErrNotFound, n, w)
	}
	c, err := l.ZKCeremony(string(id))
	if err != nil {
		return nil, err
	}
	if c.Circuit == nil {
		return nil, fmt.Errorf("rights: the circuit index names setup ceremony %s, which registered nothing", id)
	}
	return c.Circuit, nil
}
