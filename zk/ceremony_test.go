package zk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/multicommit"
)

// TestCeremony runs the chunk circuit for 4 values of width 8; its phase 2
// takes seconds (gnark evaluates every Poseidon2 term at τ with a scalar
// multiplication), so the tests that tamper with transcripts use a toy
// circuit with the same features: public inputs and a BSB22 commitment.
const (
	ceremonyN = 4
	ceremonyW = 8
)

// toyCircuit proves knowledge of X, Y with X·Y = Z, and commits to X, Y.
type toyCircuit struct {
	X, Y frontend.Variable
	Z    frontend.Variable `gnark:",public"`
}

func (c *toyCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.Y), c.Z)
	multicommit.WithCommitment(api, func(api frontend.API, r frontend.Variable) error {
		api.AssertIsDifferent(api.Add(c.X, r), 0)
		return nil
	}, c.X, c.Y)
	return nil
}

var (
	ceremonyBeacon1 = []byte("block 1000 hash")
	ceremonyBeacon2 = []byte("block 2000 hash")
)

type ceremonyRun struct {
	ccs        constraint.ConstraintSystem
	domain     uint64
	start1     []byte
	transcript Transcript
	srs        []byte
	start2     []byte
}

var ceremonies = struct {
	sync.Mutex
	m map[string]*ceremonyRun
}{m: map[string]*ceremonyRun{}}

// runCeremony runs (once per circuit) a ceremony with three participants in
// each phase, for the chunk circuit ("chunk") or the toy circuit ("toy").
func runCeremony(t *testing.T, circuit string) *ceremonyRun {
	t.Helper()
	ceremonies.Lock()
	defer ceremonies.Unlock()
	if r, ok := ceremonies.m[circuit]; ok {
		return r
	}
	var ccs constraint.ConstraintSystem
	var err error
	if circuit == "chunk" {
		ccs, err = CompileChunk(ceremonyN, ceremonyW)
	} else {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &toyCircuit{})
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := newCeremony(ccs, 3)
	if err != nil {
		t.Fatal(err)
	}
	ceremonies.m[circuit] = r
	return r
}

func newCeremony(ccs constraint.ConstraintSystem, participants int) (_ *ceremonyRun, err error) {
	r := &ceremonyRun{ccs: ccs, domain: CeremonyDomain(ccs)}
	if r.start1, err = StartPhase1(r.domain); err != nil {
		return nil, err
	}
	prev := r.start1
	for range participants {
		if prev, err = ContributePhase1(r.domain, prev); err != nil {
			return nil, err
		}
		r.transcript.Phase1 = append(r.transcript.Phase1, prev)
	}
	r.transcript.Phase1Beacon = ceremonyBeacon1
	if r.srs, err = VerifyPhase1(r.domain, r.transcript.Phase1, ceremonyBeacon1); err != nil {
		return nil, err
	}
	if r.start2, err = StartPhase2(ccs, r.srs); err != nil {
		return nil, err
	}
	prev = r.start2
	for range participants {
		if prev, err = ContributePhase2(ccs, prev); err != nil {
			return nil, err
		}
		r.transcript.Phase2 = append(r.transcript.Phase2, prev)
	}
	r.transcript.Phase2Beacon = ceremonyBeacon2
	return r, nil
}

// TestCeremony runs a ceremony with three participants per phase and
// checks that the transcript verifies and that the keys it implies prove
// and verify chunks.
func TestCeremony(t *testing.T) {
	r := runCeremony(t, "chunk")
	keys, err := VerifyTranscript(r.ccs, &r.transcript)
	if err != nil {
		t.Fatalf("VerifyTranscript: %v", err)
	}

	prover, err := NewChunkProver(ceremonyN, ceremonyW, keys.PK)
	if err != nil {
		t.Fatalf("NewChunkProver(ceremony key): %v", err)
	}
	cp, err := prover.Prove([]int64{-3, 0, 250}, -5, 250)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyChunk(keys.VK, cp.Proof, cp.Commitment, -5, 250); err != nil {
		t.Errorf("VerifyChunk(ceremony vk) = %v, want nil", err)
	}
	if err := VerifyChunk(keys.VK, cp.Proof, cp.Commitment, -4, 250); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("VerifyChunk(ceremony vk, other bounds) = %v, want ErrInvalidProof", err)
	}

	// The digest is computable from the recorded digests alone.
	var d1, d2 [][sha256.Size]byte
	for _, c := range r.transcript.Phase1 {
		d1 = append(d1, ContributionDigest(c))
	}
	for _, c := range r.transcript.Phase2 {
		d2 = append(d2, ContributionDigest(c))
	}
	if got := TranscriptDigest(d1, sha256.Sum256(ceremonyBeacon1), d2, sha256.Sum256(ceremonyBeacon2)); got != keys.Digest {
		t.Errorf("TranscriptDigest = %x, want %x", got, keys.Digest)
	}
}

// clone returns a deep copy of t.
func clone(t Transcript) Transcript {
	c := Transcript{Phase1Beacon: bytes.Clone(t.Phase1Beacon), Phase2Beacon: bytes.Clone(t.Phase2Beacon)}
	for _, b := range t.Phase1 {
		c.Phase1 = append(c.Phase1, bytes.Clone(b))
	}
	for _, b := range t.Phase2 {
		c.Phase2 = append(c.Phase2, bytes.Clone(b))
	}
	return c
}

// swap exchanges the size-byte points at offsets a and b: both stay valid
// curve points, so only the contribution's proofs can catch it.
func swap(b []byte, a, c, size int) {
	tmp := bytes.Clone(b[a : a+size])
	copy(b[a:a+size], b[c:c+size])
	copy(b[c:c+size], tmp)
}

// Offsets of points in a contribution: phase 1 holds three update proofs,
// the domain size and [β]₂ before [τ¹]₁; phase 2 holds a commitment count,
// [δ]₁ and a length prefix before the first private key point.
const (
	phase1Tau1 = 3*updateSize + 8 + g2Size
	phase2PKK0 = 2 + g1Size + 4
)

// TestCeremonyTampered checks that a transcript with one tampered
// contribution is refused, wherever the contribution is.
func TestCeremonyTampered(t *testing.T) {
	r := runCeremony(t, "toy")
	tests := []struct {
		name   string
		tamper func(*Transcript)
	}{
		{"phase 1 last: two powers of tau swapped", func(t *Transcript) {
			swap(t.Phase1[2], phase1Tau1, phase1Tau1+g1Size, g1Size)
		}},
		{"phase 1 first: two powers of tau swapped", func(t *Transcript) {
			swap(t.Phase1[0], phase1Tau1, phase1Tau1+g1Size, g1Size)
		}},
		{"phase 1 middle: bit flipped", func(t *Transcript) { t.Phase1[1][len(t.Phase1[1])/2] ^= 0x04 }},
		{"phase 1: second contribution replaced by one on the start", func(t *Transcript) {
			other, err := ContributePhase1(r.domain, r.start1)
			if err != nil {
				panic(err)
			}
			t.Phase1[1] = other
		}},
		{"phase 1: two contributions swapped", func(t *Transcript) { t.Phase1[0], t.Phase1[1] = t.Phase1[1], t.Phase1[0] }},
		{"phase 1: contribution repeated", func(t *Transcript) { t.Phase1[2] = t.Phase1[1] }},
		{"phase 1: start as a contribution", func(t *Transcript) { t.Phase1 = append([][]byte{r.start1}, t.Phase1...) }},
		{"phase 1: none", func(t *Transcript) { t.Phase1 = nil }},
		{"phase 1: truncated", func(t *Transcript) { t.Phase1[2] = t.Phase1[2][:len(t.Phase1[2])-1] }},
		{"phase 1: trailing byte", func(t *Transcript) { t.Phase1[2] = append(t.Phase1[2], 0) }},
		{"phase 1: huge domain", func(t *Transcript) {
			copy(t.Phase1[2][3*updateSize:], []byte{0, 0, 0, 1, 0, 0, 0, 0})
		}},
		{"phase 1: empty beacon", func(t *Transcript) { t.Phase1Beacon = nil }},
		{"phase 2 last: two private key points swapped", func(t *Transcript) {
			swap(t.Phase2[2], phase2PKK0, phase2PKK0+g1Size, g1Size)
		}},
		{"phase 2 first: two private key points swapped", func(t *Transcript) {
			swap(t.Phase2[0], phase2PKK0, phase2PKK0+g1Size, g1Size)
		}},
		{"phase 2 middle: bit flipped", func(t *Transcript) { t.Phase2[1][len(t.Phase2[1])/2] ^= 0x04 }},
		{"phase 2: second contribution replaced by one on the start", func(t *Transcript) {
			other, err := ContributePhase2(r.ccs, r.start2)
			if err != nil {
				panic(err)
			}
			t.Phase2[1] = other
		}},
		{"phase 2: two contributions swapped", func(t *Transcript) { t.Phase2[1], t.Phase2[2] = t.Phase2[2], t.Phase2[1] }},
		{"phase 2: none", func(t *Transcript) { t.Phase2 = nil }},
		{"phase 2: huge slice length", func(t *Transcript) {
			copy(t.Phase2[2][2+g1Size:], []byte{0xff, 0xff, 0xff, 0xff})
		}},
		{"phase 2: phase 1 contribution", func(t *Transcript) { t.Phase2[0] = t.Phase1[0] }},
		{"phase 2: built on another phase 1", func(t *Transcript) {
			// The same phase-2 contributions on a phase 1 with a different beacon.
			t.Phase1Beacon = []byte("another beacon")
		}},
		{"phase 2: oversized beacon", func(t *Transcript) { t.Phase2Beacon = make([]byte, maxBeacon+1) }},
	}
	for _, tt := range tests {
		tr := clone(r.transcript)
		tt.tamper(&tr)
		if _, err := VerifyTranscript(r.ccs, &tr); !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("%s: VerifyTranscript = %v, want ErrInvalidContribution", tt.name, err)
		}
	}
}

// TestCeremonyPhases checks that verifying phase by phase gives the keys
// VerifyTranscript gives.
func TestCeremonyPhases(t *testing.T) {
	r := runCeremony(t, "toy")
	keys, err := VerifyTranscript(r.ccs, &r.transcript)
	if err != nil {
		t.Fatalf("VerifyTranscript: %v", err)
	}
	pk, vk, err := VerifyPhase2(r.ccs, r.srs, r.transcript.Phase2, ceremonyBeacon2)
	if err != nil {
		t.Fatalf("VerifyPhase2: %v", err)
	}
	if !bytes.Equal(vk, keys.VK) || !bytes.Equal(pk, keys.PK) {
		t.Error("VerifyPhase2 and VerifyTranscript imply different keys")
	}
	if keys.Digest != r.transcript.Digest() {
		t.Error("CeremonyKeys.Digest != Transcript.Digest()")
	}
}

// TestCeremonyPrefixAndBeacon checks what a valid but different transcript
// implies: dropping the last contribution, or another phase-2 beacon, still
// verifies, but to other keys and another digest, which the chain's
// registered key and digest then expose.
func TestCeremonyPrefixAndBeacon(t *testing.T) {
	r := runCeremony(t, "toy")
	want, err := VerifyTranscript(r.ccs, &r.transcript)
	if err != nil {
		t.Fatal(err)
	}
	short := clone(r.transcript)
	short.Phase2 = short.Phase2[:2]
	other := clone(r.transcript)
	other.Phase2Beacon = []byte("another beacon")
	for name, tr := range map[string]*Transcript{"last contribution dropped": &short, "other beacon": &other} {
		got, err := VerifyTranscript(r.ccs, tr)
		if err != nil {
			t.Errorf("%s: VerifyTranscript = %v", name, err)
			continue
		}
		if bytes.Equal(got.VK, want.VK) || got.Digest == want.Digest {
			t.Errorf("%s: same verifying key or digest as the full transcript", name)
		}
	}
}

func TestCeremonyRefuses(t *testing.T) {
	r := runCeremony(t, "toy")
	if _, err := ContributePhase1(r.domain*2, r.transcript.Phase1[0]); !errors.Is(err, ErrInvalidContribution) {
		t.Errorf("ContributePhase1(other domain) = %v, want ErrInvalidContribution", err)
	}
	for _, d := range []uint64{0, 1, 3, MaxCeremonyDomain * 2} {
		if _, err := StartPhase1(d); err == nil {
			t.Errorf("StartPhase1(%d) succeeded, want an error", d)
		}
	}
	other, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &otherToyCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	if CeremonyDomain(other) != r.domain {
		t.Fatalf("other circuit's domain %d, want %d", CeremonyDomain(other), r.domain)
	}
	{
		if _, err := ContributePhase2(other, r.transcript.Phase2[0]); !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("ContributePhase2(other circuit) = %v, want ErrInvalidContribution", err)
		}
		if _, err := VerifyTranscript(other, &r.transcript); !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("VerifyTranscript(other circuit) = %v, want ErrInvalidContribution", err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":   nil,
		"garbage": bytes.Repeat([]byte{0xa5}, 1000),
		"srs":     r.srs,
	} {
		if _, err := ContributePhase1(r.domain, b); !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("ContributePhase1(%s) = %v, want ErrInvalidContribution", name, err)
		}
		if _, err := ContributePhase2(r.ccs, b); !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("ContributePhase2(%s) = %v, want ErrInvalidContribution", name, err)
		}
		if _, err := StartPhase2(r.ccs, append(b, 0)); !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("StartPhase2(%s) = %v, want ErrInvalidContribution", name, err)
		}
	}
}

// FuzzCeremonyContribution feeds arbitrary bytes to the ceremony's
// decoders: they must refuse anything but a well-formed state with
// ErrInvalidContribution, never panic or allocate by an unchecked length.
func FuzzCeremonyContribution(f *testing.F) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &toyCircuit{})
	if err != nil {
		f.Fatal(err)
	}
	domain := CeremonyDomain(ccs)
	start1, err := StartPhase1(domain)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(start1)
	f.Add(start1[:len(start1)/2])
	f.Add([]byte{0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ContributePhase1(domain, b); err != nil && !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("ContributePhase1 = %v, want nil or ErrInvalidContribution", err)
		}
		if _, err := ContributePhase2(ccs, b); err != nil && !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("ContributePhase2 = %v, want nil or ErrInvalidContribution", err)
		}
	})
}

// otherToyCircuit has toyCircuit's domain but one more secret input.
type otherToyCircuit struct {
	X, Y, W frontend.Variable
	Z       frontend.Variable `gnark:",public"`
}

func (c *otherToyCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.Y), c.Z)
	api.AssertIsEqual(api.Mul(c.W, c.W), c.W)
	return nil
}

// TestCeremonyCheck checks what a participant runs before it contributes:
// the prefix made so far verifies and yields the state to build on, and a
// bad contribution is named by phase and position.
func TestCeremonyCheck(t *testing.T) {
	r := runCeremony(t, "toy")
	tr := r.transcript
	if got, err := CheckPhase1(r.domain, nil); err != nil || !bytes.Equal(got, r.start1) {
		t.Errorf("CheckPhase1(none) = %d bytes, %v; want the start", len(got), err)
	}
	if got, err := CheckPhase1(r.domain, tr.Phase1[:2]); err != nil || !bytes.Equal(got, tr.Phase1[1]) {
		t.Errorf("CheckPhase1(two) = %d bytes, %v; want the second contribution", len(got), err)
	}
	if got, err := CheckPhase2(r.ccs, r.srs, nil); err != nil || !bytes.Equal(got, r.start2) {
		t.Errorf("CheckPhase2(none) = %d bytes, %v; want the start", len(got), err)
	}
	if got, err := CheckPhase2(r.ccs, r.srs, tr.Phase2); err != nil || !bytes.Equal(got, tr.Phase2[2]) {
		t.Errorf("CheckPhase2(all) = %d bytes, %v; want the last contribution", len(got), err)
	}

	onStart1, err := ContributePhase1(r.domain, r.start1)
	if err != nil {
		t.Fatal(err)
	}
	onStart2, err := ContributePhase2(r.ccs, r.start2)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(tr.Phase2[0])
	swap(flipped, phase2PKK0, phase2PKK0+g1Size, g1Size)
	tests := []struct {
		name         string
		check        func() error
		phase, index int
	}{
		{"phase 1, second not built on the first", func() error {
			_, err := CheckPhase1(r.domain, [][]byte{tr.Phase1[0], onStart1, tr.Phase1[2]})
			return err
		}, 1, 1},
		{"phase 1, third truncated", func() error {
			_, err := CheckPhase1(r.domain, [][]byte{tr.Phase1[0], tr.Phase1[1], tr.Phase1[2][:100]})
			return err
		}, 1, 2},
		{"phase 2, first tampered", func() error {
			_, err := CheckPhase2(r.ccs, r.srs, [][]byte{flipped})
			return err
		}, 2, 0},
		{"phase 2, third not built on the second", func() error {
			_, err := CheckPhase2(r.ccs, r.srs, [][]byte{tr.Phase2[0], tr.Phase2[1], onStart2})
			return err
		}, 2, 2},
		{"transcript, phase 2 second not built on the first", func() error {
			bad := clone(tr)
			bad.Phase2[1] = onStart2
			_, err := VerifyTranscript(r.ccs, &bad)
			return err
		}, 2, 1},
	}
	for _, tt := range tests {
		err := tt.check()
		var ce *ContributionError
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidContribution) {
			t.Errorf("%s: %v, want a *ContributionError wrapping ErrInvalidContribution", tt.name, err)
			continue
		}
		if ce.Phase != tt.phase || ce.Index != tt.index {
			t.Errorf("%s: error names phase %d contribution %d, want phase %d contribution %d", tt.name, ce.Phase, ce.Index+1, tt.phase, tt.index+1)
		}
	}
}
