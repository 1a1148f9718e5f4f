package zk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// The Groth16 multi-party setup ceremony (gnark's
// backend/groth16/bn254/mpcsetup, after Bowe, Gabizon and Miers,
// eprint 2017/1050) as pure functions over bytes; carrying the
// contributions between participants, storage and the chain is the
// caller's job.
//
// Phase 1 ("powers of τ") depends only on the FFT domain size of the
// circuit, [CeremonyDomain]; phase 2 on the compiled circuit and the
// phase-1 result. Each participant downloads the latest contribution of the
// phase, adds its own secret randomness (crypto/rand, discarded on return)
// and publishes the result with a proof of knowledge bound to what it built
// on. Each phase ends with a public beacon: a value nobody could predict
// before the last contribution of the phase was published (a later block
// hash, say), hashed into a final, verifiable update.

var (
	// ErrInvalidContribution is returned for a ceremony contribution, SRS or
	// transcript that is malformed or does not verify.
	ErrInvalidContribution = errors.New("zk: invalid ceremony contribution")
)

const (
	// MaxCeremonyDomain bounds the domain a ceremony accepts (2^22 points:
	// a phase-1 contribution of 800 MB).
	MaxCeremonyDomain = 1 << 22

	// maxBeacon bounds a beacon's length.
	maxBeacon = 1 << 10

	// challengeSize is the length of a contribution's challenge, the SHA-256
	// of the contribution it builds on; the start of a phase has none.
	challengeSize = sha256.Size

	g1Size     = curve.SizeOfG1AffineCompressed
	g2Size     = curve.SizeOfG2AffineCompressed
	updateSize = g1Size + g2Size // an mpcsetup.UpdateProof
)

// CeremonyDomain returns the phase-1 domain size for ccs: the FFT domain of
// its Groth16 keys, the smallest power of two at least its number of
// constraints.
func CeremonyDomain(ccs constraint.ConstraintSystem) uint64 {
	return ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints()))
}

func checkDomain(domain uint64) error {
	if domain < 2 || domain > MaxCeremonyDomain || bits.OnesCount64(domain) != 1 {
		return fmt.Errorf("zk: ceremony domain %d is not a power of two in [2, %d]", domain, MaxCeremonyDomain)
	}
	return nil
}

// StartPhase1 returns the state phase 1 starts from for the given domain
// (every power of τ, α and β equal to 1). It is deterministic: anyone can
// recompute it, so it need not be transported.
func StartPhase1(domain uint64) (start []byte, err error) {
	if err := checkDomain(domain); err != nil {
		return nil, err
	}
	defer recoverTo(&err, "zk: start phase 1")
	return marshal(mpcsetup.NewPhase1(domain))
}

// ContributePhase1 adds a contribution to phase 1 for the given domain.
// prev is the latest contribution, or StartPhase1(domain) for the first
// one. It does not verify prev's proof (VerifyPhase1 does, for the whole
// transcript), but it refuses bytes that are not a phase-1 state for the
// domain.
func ContributePhase1(domain uint64, prev []byte) (next []byte, err error) {
	p, err := readPhase1(domain, prev)
	if err != nil {
		return nil, err
	}
	defer recoverTo(&err, "zk: contribute to phase 1")
	p.Contribute()
	return marshal(p)
}

// VerifyPhase1 checks a whole phase-1 transcript for the given domain: each
// contribution builds on the previous one (the first on StartPhase1) and
// proves knowledge of its update. It then applies the beacon and returns the
// resulting SRS, the input of phase 2.
func VerifyPhase1(domain uint64, contributions [][]byte, beacon []byte) (srs []byte, err error) {
	commons, err := verifyPhase1(domain, contributions, beacon)
	if err != nil {
		return nil, err
	}
	defer recoverTo(&err, "zk: verify phase 1")
	return marshal(commons)
}

func verifyPhase1(domain uint64, contributions [][]byte, beacon []byte) (_ *mpcsetup.SrsCommons, err error) {
	if err := checkBeacon(beacon); err != nil {
		return nil, err
	}
	if len(contributions) == 0 {
		return nil, fmt.Errorf("%w: phase 1 has no contribution", ErrInvalidContribution)
	}
	last, err := verifyPhase1Chain(domain, contributions)
	if err != nil {
		return nil, err
	}
	defer recoverTo(&err, "zk: verify phase 1")
	commons := last.Seal(beacon)
	return &commons, nil
}

// verifyPhase1Chain checks each contribution against the one before it (the
// first against StartPhase1), as mpcsetup.VerifyPhase1 does, but says which
// one failed. It returns the last one, or the start if there is none.
func verifyPhase1Chain(domain uint64, contributions [][]byte) (_ *mpcsetup.Phase1, err error) {
	if err := checkDomain(domain); err != nil {
		return nil, err
	}
	ps := make([]*mpcsetup.Phase1, len(contributions))
	for i, c := range contributions {
		if ps[i], err = readPhase1(domain, c); err != nil {
			return nil, &ContributionError{Phase: 1, Index: i, Err: err}
		}
		if len(ps[i].Challenge) != challengeSize {
			return nil, &ContributionError{Phase: 1, Index: i, Err: fmt.Errorf("%w: it has no challenge", ErrInvalidContribution)}
		}
	}
	defer recoverTo(&err, "zk: verify phase 1")
	prev := mpcsetup.NewPhase1(domain)
	for i, p := range ps {
		if err := prev.Verify(p); err != nil {
			return nil, &ContributionError{Phase: 1, Index: i, Err: fmt.Errorf("%w: %w", ErrInvalidContribution, err)}
		}
		prev = p
	}
	return prev, nil
}

// ContributionError names the contribution of a ceremony that is invalid:
// malformed, not built on the contribution before it, or without a valid
// proof of knowledge. It wraps ErrInvalidContribution.
type ContributionError struct {
	Phase int // 1 or 2
	Index int // position in the phase, from 0
	Err   error
}

func (e *ContributionError) Error() string {
	return fmt.Sprintf("phase %d contribution %d: %v", e.Phase, e.Index+1, e.Err)
}

func (e *ContributionError) Unwrap() error { return e.Err }

// CheckPhase1 verifies the phase-1 contributions made so far, each against
// the one before it, and returns the state the next contribution must build
// on: the last of them, or StartPhase1(domain) if there is none. A
// participant calls it before ContributePhase1 so that it never builds on
// an invalid contribution; a failure is a *ContributionError naming it.
func CheckPhase1(domain uint64, contributions [][]byte) (latest []byte, err error) {
	if _, err := verifyPhase1Chain(domain, contributions); err != nil {
		return nil, fmt.Errorf("zk: check phase 1: %w", err)
	}
	if len(contributions) == 0 {
		return StartPhase1(domain)
	}
	return contributions[len(contributions)-1], nil
}

// CheckPhase2 verifies the phase-2 contributions made so far for ccs on top
// of srs (the result of VerifyPhase1), each against the one before it, and
// returns the state the next contribution must build on: the last of them,
// or StartPhase2(ccs, srs) if there is none. It costs one StartPhase2.
func CheckPhase2(ccs constraint.ConstraintSystem, srs []byte, contributions [][]byte) (latest []byte, err error) {
	r1cs, err := ceremonyR1CS(ccs)
	if err != nil {
		return nil, err
	}
	commons, err := readSRS(CeremonyDomain(ccs), srs)
	if err != nil {
		return nil, err
	}
	var start []byte
	keepStart := func(p *mpcsetup.Phase2) (err error) {
		if len(contributions) == 0 {
			start, err = marshal(p)
		}
		return err
	}
	if _, _, err := verifyPhase2Chain(r1cs, commons, contributions, keepStart); err != nil {
		return nil, fmt.Errorf("zk: check phase 2: %w", err)
	}
	if len(contributions) == 0 {
		return start, nil
	}
	return contributions[len(contributions)-1], nil
}

// StartPhase2 returns the state phase 2 starts from for ccs, given srs, the
// result of VerifyPhase1 for CeremonyDomain(ccs). It is deterministic:
// anyone can recompute it from the phase-1 transcript and the circuit.
func StartPhase2(ccs constraint.ConstraintSystem, srs []byte) (start []byte, err error) {
	r1cs, err := ceremonyR1CS(ccs)
	if err != nil {
		return nil, err
	}
	commons, err := readSRS(CeremonyDomain(ccs), srs)
	if err != nil {
		return nil, err
	}
	defer recoverTo(&err, "zk: start phase 2")
	var p mpcsetup.Phase2
	p.Initialize(r1cs, commons)
	return marshal(&p)
}

// ContributePhase2 adds a contribution to phase 2 for ccs. prev is the
// latest contribution, or StartPhase2's result for the first one. It
// refuses bytes that are not a phase-2 state of ccs.
func ContributePhase2(ccs constraint.ConstraintSystem, prev []byte) (next []byte, err error) {
	r1cs, err := ceremonyR1CS(ccs)
	if err != nil {
		return nil, err
	}
	p, err := readPhase2(r1cs, prev)
	if err != nil {
		return nil, err
	}
	defer recoverTo(&err, "zk: contribute to phase 2")
	p.Contribute()
	return marshal(p)
}

// VerifyPhase2 checks a whole phase-2 transcript for ccs on top of srs (the
// result of VerifyPhase1), applies the beacon and returns the final proving
// key (gnark raw encoding, as NewChunkProver takes) and verifying key
// (compressed, as VerifyChunk takes).
func VerifyPhase2(ccs constraint.ConstraintSystem, srs []byte, contributions [][]byte, beacon []byte) (pk, vk []byte, err error) {
	commons, err := readSRS(CeremonyDomain(ccs), srs)
	if err != nil {
		return nil, nil, err
	}
	return verifyPhase2(ccs, commons, contributions, beacon)
}

func verifyPhase2(ccs constraint.ConstraintSystem, commons *mpcsetup.SrsCommons, contributions [][]byte, beacon []byte) (pk, vk []byte, err error) {
	r1cs, err := ceremonyR1CS(ccs)
	if err != nil {
		return nil, nil, err
	}
	if err := checkBeacon(beacon); err != nil {
		return nil, nil, err
	}
	if len(contributions) == 0 {
		return nil, nil, fmt.Errorf("%w: phase 2 has no contribution", ErrInvalidContribution)
	}
	last, evals, err := verifyPhase2Chain(r1cs, commons, contributions, nil)
	if err != nil {
		return nil, nil, err
	}
	defer recoverTo(&err, "zk: verify phase 2")
	gpk, gvk := last.Seal(commons, evals, beacon)
	return writeKeys(gpk, gvk)
}

// verifyPhase2Chain starts phase 2 from commons (handing the start to
// started, if not nil, before anything else reads it) and checks each
// contribution against the one before it, as mpcsetup.VerifyPhase2 does,
// but says which one failed. It returns the last contribution (the start
// if there is none) and the circuit's evaluations, which sealing needs.
func verifyPhase2Chain(r1cs *csbn254.R1CS, commons *mpcsetup.SrsCommons, contributions [][]byte, started func(*mpcsetup.Phase2) error) (_ *mpcsetup.Phase2, _ *mpcsetup.Phase2Evaluations, err error) {
	ps := make([]*mpcsetup.Phase2, len(contributions))
	for i, c := range contributions {
		if ps[i], err = readPhase2(r1cs, c); err != nil {
			return nil, nil, &ContributionError{Phase: 2, Index: i, Err: err}
		}
		if len(ps[i].Challenge) != challengeSize {
			return nil, nil, &ContributionError{Phase: 2, Index: i, Err: fmt.Errorf("%w: it has no challenge", ErrInvalidContribution)}
		}
	}
	defer recoverTo(&err, "zk: verify phase 2")
	prev := new(mpcsetup.Phase2)
	evals := prev.Initialize(r1cs, commons)
	if started != nil {
		if err := started(prev); err != nil {
			return nil, nil, err
		}
	}
	for i, p := range ps {
		if err := prev.Verify(p); err != nil {
			return nil, nil, &ContributionError{Phase: 2, Index: i, Err: fmt.Errorf("%w: %w", ErrInvalidContribution, err)}
		}
		prev = p
	}
	return prev, &evals, nil
}

// Transcript is a whole ceremony for one circuit: every contribution in
// order and the two beacons.
type Transcript struct {
	Phase1       [][]byte
	Phase1Beacon []byte
	Phase2       [][]byte
	Phase2Beacon []byte
}

// ContributionDigest returns the digest the chain records for one
// contribution: its SHA-256, which is also its storage address.
func ContributionDigest(contribution []byte) [sha256.Size]byte {
	return sha256.Sum256(contribution)
}

// transcriptDomain separates transcript digests from other SHA-256 uses.
const transcriptDomain = "dxp/zk/groth16-ceremony/v1"

// Digest returns the transcript digest the chain records:
//
//	SHA-256( "dxp/zk/groth16-ceremony/v1"
//	         ‖ uint32(len(Phase1)) ‖ d(Phase1[0]) ‖ ... ‖ d(Phase1Beacon)
//	         ‖ uint32(len(Phase2)) ‖ d(Phase2[0]) ‖ ... ‖ d(Phase2Beacon) )
//
// where d is SHA-256 (ContributionDigest) and the counts are big-endian. It
// is computed from contribution digests alone, so the chain can compute it
// from the digests it recorded without the contributions.
func (t *Transcript) Digest() [sha256.Size]byte {
	d1 := make([][sha256.Size]byte, len(t.Phase1))
	for i, c := range t.Phase1 {
		d1[i] = ContributionDigest(c)
	}
	d2 := make([][sha256.Size]byte, len(t.Phase2))
	for i, c := range t.Phase2 {
		d2[i] = ContributionDigest(c)
	}
	return TranscriptDigest(d1, sha256.Sum256(t.Phase1Beacon), d2, sha256.Sum256(t.Phase2Beacon))
}

// TranscriptDigest computes Transcript.Digest from the contributions'
// digests and the beacons' SHA-256.
func TranscriptDigest(phase1 [][sha256.Size]byte, beacon1 [sha256.Size]byte, phase2 [][sha256.Size]byte, beacon2 [sha256.Size]byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(transcriptDomain))
	var count [4]byte
	for _, phase := range []struct {
		digests [][sha256.Size]byte
		beacon  [sha256.Size]byte
	}{{phase1, beacon1}, {phase2, beacon2}} {
		binary.BigEndian.PutUint32(count[:], uint32(len(phase.digests)))
		h.Write(count[:])
		for _, d := range phase.digests {
			h.Write(d[:])
		}
		h.Write(phase.beacon[:])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// CeremonyKeys is what a verified transcript implies.
type CeremonyKeys struct {
	PK     []byte            // proving key, gnark raw encoding
	VK     []byte            // verifying key, gnark compressed encoding
	Digest [sha256.Size]byte // Transcript.Digest
}

// VerifyTranscript recomputes the whole ceremony for ccs from t: it checks
// every phase-1 contribution, seals phase 1 with its beacon, starts phase 2
// from the result and the circuit, checks every phase-2 contribution and
// seals it. It returns the keys the transcript implies; the chain's
// registered verifying key must equal VK. Any malformed, reordered,
// replaced or tampered contribution makes it fail with
// ErrInvalidContribution.
func VerifyTranscript(ccs constraint.ConstraintSystem, t *Transcript) (*CeremonyKeys, error) {
	commons, err := verifyPhase1(CeremonyDomain(ccs), t.Phase1, t.Phase1Beacon)
	if err != nil {
		return nil, fmt.Errorf("zk: verify transcript: %w", err)
	}
	pk, vk, err := verifyPhase2(ccs, commons, t.Phase2, t.Phase2Beacon)
	if err != nil {
		return nil, fmt.Errorf("zk: verify transcript: %w", err)
	}
	return &CeremonyKeys{PK: pk, VK: vk, Digest: t.Digest()}, nil
}

func checkBeacon(beacon []byte) error {
	if len(beacon) == 0 || len(beacon) > maxBeacon {
		return fmt.Errorf("%w: beacon of %d bytes, want 1 to %d", ErrInvalidContribution, len(beacon), maxBeacon)
	}
	return nil
}

func ceremonyR1CS(ccs constraint.ConstraintSystem) (*csbn254.R1CS, error) {
	r1cs, ok := ccs.(*csbn254.R1CS)
	if !ok {
		return nil, fmt.Errorf("zk: ceremony: unexpected constraint system %T", ccs)
	}
	if err := checkDomain(CeremonyDomain(ccs)); err != nil {
		return nil, err
	}
	return r1cs, nil
}

func marshal(w io.WriterTo) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("zk: ceremony: write: %w", err)
	}
	return buf.Bytes(), nil
}

// readPhase1 decodes an untrusted phase-1 state for domain. gnark's decoder
// allocates by the domain size it reads, so that is checked first; it also
// checks that every point is on the curve and in the subgroup.
func readPhase1(domain uint64, b []byte) (p *mpcsetup.Phase1, err error) {
	if err := checkDomain(domain); err != nil {
		return nil, err
	}
	if err := checkPhase1Framing(domain, b); err != nil {
		return nil, fmt.Errorf("%w: phase 1: %w", ErrInvalidContribution, err)
	}
	defer recoverTo(&err, "zk: read phase 1")
	p = new(mpcsetup.Phase1)
	if err := readAll(p, b); err != nil {
		return nil, fmt.Errorf("%w: phase 1: %w", ErrInvalidContribution, err)
	}
	return p, nil
}

// readSRS decodes an untrusted phase-1 result for domain.
func readSRS(domain uint64, b []byte) (c *mpcsetup.SrsCommons, err error) {
	if err := checkDomain(domain); err != nil {
		return nil, err
	}
	f := framing{b: b}
	f.srs(domain)
	if err := f.end(); err != nil {
		return nil, fmt.Errorf("%w: srs: %w", ErrInvalidContribution, err)
	}
	defer recoverTo(&err, "zk: read srs")
	c = new(mpcsetup.SrsCommons)
	if err := readAll(c, b); err != nil {
		return nil, fmt.Errorf("%w: srs: %w", ErrInvalidContribution, err)
	}
	return c, nil
}

// readPhase2 decodes an untrusted phase-2 state of r1cs, after checking
// every length in it against the circuit.
func readPhase2(r1cs *csbn254.R1CS, b []byte) (p *mpcsetup.Phase2, err error) {
	if err := checkPhase2Framing(r1cs, b); err != nil {
		return nil, fmt.Errorf("%w: phase 2: %w", ErrInvalidContribution, err)
	}
	defer recoverTo(&err, "zk: read phase 2")
	p = new(mpcsetup.Phase2)
	if err := readAll(p, b); err != nil {
		return nil, fmt.Errorf("%w: phase 2: %w", ErrInvalidContribution, err)
	}
	return p, nil
}

func readAll(r io.ReaderFrom, b []byte) error {
	read, err := r.ReadFrom(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if read != int64(len(b)) {
		return fmt.Errorf("%d trailing bytes", int64(len(b))-read)
	}
	return nil
}

// checkPhase1Framing follows mpcsetup Phase1.WriteTo: three update proofs
// (G1, G2), the SRS, then the challenge (one length byte, 0 or 32 bytes).
func checkPhase1Framing(domain uint64, b []byte) error {
	f := framing{b: b}
	for range 3 {
		f.point(false)
		f.point(true)
	}
	f.srs(domain)
	f.challenge()
	return f.end()
}

// srs follows mpcsetup SrsCommons.WriteTo: uint64 N, [β]₂, [τ¹..τ²ᴺ⁻²]₁,
// [τ¹..τᴺ⁻¹]₂, [βτ⁰..βτᴺ⁻¹]₁, [ατ⁰..ατᴺ⁻¹]₁, no length prefixes.
func (f *framing) srs(domain uint64) {
	if n := f.uint64(); f.err == nil && n != domain {
		f.err = fmt.Errorf("domain %d, want %d", n, domain)
		return
	}
	f.point(true)
	for range 2*domain - 2 {
		f.point(false)
	}
	for range domain - 1 {
		f.point(true)
	}
	for range 2 * domain {
		f.point(false)
	}
}

// challenge skips a challenge: a length byte, then 0 or 32 bytes.
func (f *framing) challenge() {
	if f.err != nil {
		return
	}
	if len(f.b) == 0 {
		f.err = fmt.Errorf("truncated")
		return
	}
	n := int(f.b[0])
	f.b = f.b[1:]
	if n != 0 && n != challengeSize {
		f.err = fmt.Errorf("challenge of %d bytes", n)
		return
	}
	f.skip(n)
}

// count reads a uint32 or uint16 length prefix and checks it equals want.
func (f *framing) count(size int, want int, what string) {
	if f.err != nil {
		return
	}
	if len(f.b) < size {
		f.err = fmt.Errorf("truncated")
		return
	}
	var n uint64
	if size == 2 {
		n = uint64(binary.BigEndian.Uint16(f.b))
	} else {
		n = uint64(binary.BigEndian.Uint32(f.b))
	}
	f.b = f.b[size:]
	if n != uint64(want) {
		f.err = fmt.Errorf("%d %s, want %d", n, what, want)
	}
}

// checkPhase2Framing follows mpcsetup Phase2.WriteTo: uint16 number of
// commitments, [δ]₁, []PKK, []Z (G1 slices with uint32 lengths), [δ]₂, per
// commitment a []G1 σ-basis, per commitment [σ]₂, the δ update proof, per
// commitment a σ update proof, then the challenge. Every length must be the
// one the circuit implies.
func checkPhase2Framing(r1cs *csbn254.R1CS, b []byte) error {
	info, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok {
		return fmt.Errorf("unexpected commitment info %T", r1cs.CommitmentInfo)
	}
	nbInternal, nbSecret, _ := r1cs.GetNbVariables()
	nbCommitted := 0
	for _, c := range info.GetPrivateCommitted() {
		nbCommitted += len(c)
	}
	f := framing{b: b}
	f.count(2, len(info), "commitments")
	f.point(false)
	slice := func(want int, what string) {
		f.count(4, want, what)
		for range want {
			f.point(false)
		}
	}
	slice(nbInternal+nbSecret-nbCommitted-len(info), "private key points")
	slice(int(CeremonyDomain(r1cs))-1, "Z points")
	f.point(true)
	for _, c := range info.GetPrivateCommitted() {
		slice(len(c), "commitment basis points")
	}
	for range info {
		f.point(true)
	}
	for range 1 + len(info) {
		f.point(false)
		f.point(true)
	}
	f.challenge()
	return f.end()
}
