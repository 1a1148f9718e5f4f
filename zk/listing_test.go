package zk

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/dxplabs/dxp/circuits"
)

const testN = 16

type fixture struct {
	pk, vk []byte
	prover *ListingProver
}

var (
	fixtures   = map[string]*fixture{}
	fixturesMu sync.Mutex
)

// setup returns a cached insecure setup for testN, one per name, so tests
// can compare keys from independent setups.
func setup(t testing.TB, name string) *fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[name]; ok {
		return f
	}
	pk, vk, err := SetupListingInsecure(testN)
	if err != nil {
		t.Fatalf("SetupListingInsecure(%d): %v", testN, err)
	}
	p, err := NewListingProver(testN, pk)
	if err != nil {
		t.Fatalf("NewListingProver(%d): %v", testN, err)
	}
	f := &fixture{pk: pk, vk: vk, prover: p}
	fixtures[name] = f
	return f
}

type proved struct {
	cp       ChunkProof
	min, max int64
}

var (
	provedOnce sync.Once
	provedVal  proved
	provedErr  error
)

// validProof returns one proof under the "a" setup, shared by the tests
// that tamper with it.
func validProof(t testing.TB) proved {
	t.Helper()
	f := setup(t, "a")
	provedOnce.Do(func() {
		const min, max = -1_000, 1 << 40
		cp, err := f.prover.Prove([]int64{-1_000, -7, 0, 3, 1 << 40, 12345}, min, max)
		provedVal, provedErr = proved{cp: cp, min: min, max: max}, err
	})
	if provedErr != nil {
		t.Fatalf("Prove: %v", provedErr)
	}
	return provedVal
}

func TestProveVerify(t *testing.T) {
	f := setup(t, "a")
	p := validProof(t)
	if err := VerifyChunk(f.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max); err != nil {
		t.Fatalf("VerifyChunk(valid) = %v, want nil", err)
	}
	if err := (Verifier{}).VerifyChunk(f.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max); err != nil {
		t.Fatalf("Verifier.VerifyChunk(valid) = %v, want nil", err)
	}
	if got := len(p.cp.Commitment); got != 32 {
		t.Errorf("len(Commitment) = %d, want 32", got)
	}
	if got := len(p.cp.Salt); got != 32 {
		t.Errorf("len(Salt) = %d, want 32", got)
	}
	if f.prover.ChunkSize() != testN {
		t.Errorf("ChunkSize() = %d, want %d", f.prover.ChunkSize(), testN)
	}
}

// TestCommitmentOpens checks the published commitment is the documented
// hash of the padded values and the returned salt.
func TestCommitmentOpens(t *testing.T) {
	f := setup(t, "a")
	values := []int64{5, -5, 0}
	cp, err := f.prover.Prove(values, -10, 10)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	padded := make([]int64, testN)
	copy(padded, values)
	for i := len(values); i < testN; i++ {
		padded[i] = -10
	}
	var salt fr.Element
	if err := salt.SetBytesCanonical(cp.Salt); err != nil {
		t.Fatalf("salt: %v", err)
	}
	want := circuits.ListingCommitment(padded, salt)
	if got := want.Bytes(); !bytes.Equal(cp.Commitment, got[:]) {
		t.Errorf("Commitment = %x, want ListingCommitment(padded, salt) = %x", cp.Commitment, got)
	}

	again, err := f.prover.Prove(values, -10, 10)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	if bytes.Equal(again.Salt, cp.Salt) || bytes.Equal(again.Commitment, cp.Commitment) {
		t.Error("two proofs of the same values share a salt or commitment")
	}
}

func TestVerifyWrongStatement(t *testing.T) {
	f := setup(t, "a")
	p := validProof(t)
	otherCommitment := bytes.Clone(p.cp.Commitment)
	otherCommitment[31] ^= 1
	tests := []struct {
		name       string
		commitment []byte
		min, max   int64
	}{
		{"min lower", p.cp.Commitment, p.min - 1, p.max},
		{"min higher", p.cp.Commitment, p.min + 1, p.max},
		{"max lower", p.cp.Commitment, p.min, p.max - 1},
		{"max higher", p.cp.Commitment, p.min, p.max + 1},
		{"min > max", p.cp.Commitment, p.max, p.min},
		{"widest bounds", p.cp.Commitment, math.MinInt64, math.MaxInt64},
		{"other commitment", otherCommitment, p.min, p.max},
	}
	for _, tt := range tests {
		err := VerifyChunk(f.vk, p.cp.Proof, tt.commitment, tt.min, tt.max)
		if !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%s: VerifyListing = %v, want ErrInvalidProof", tt.name, err)
		}
	}
}

func TestVerifyOtherSetup(t *testing.T) {
	a, b := setup(t, "a"), setup(t, "b")
	p := validProof(t)
	if err := VerifyChunk(b.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("VerifyChunk(proof from setup a, vk from setup b) = %v, want ErrInvalidProof", err)
	}
	// Keys from one setup do not load as the keys of another chunk size.
	if _, err := NewListingProver(testN+1, a.pk); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("NewListingProver(n+1, pk for n) = %v, want ErrInvalidKey", err)
	}
}

// TestVerifyRawProof checks that gnark's uncompressed proof encoding is
// accepted too.
func TestVerifyRawProof(t *testing.T) {
	f := setup(t, "a")
	p := validProof(t)
	var proof groth16bn254.Proof
	if _, err := proof.ReadFrom(bytes.NewReader(p.cp.Proof)); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := proof.WriteRawTo(&raw); err != nil {
		t.Fatal(err)
	}
	if err := VerifyChunk(f.vk, raw.Bytes(), p.cp.Commitment, p.min, p.max); err != nil {
		t.Errorf("VerifyChunk(raw proof) = %v, want nil", err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	f := setup(t, "a")
	p := validProof(t)
	var modulus [32]byte // p itself: 32 bytes but not canonical
	fr.Modulus().FillBytes(modulus[:])
	hugeCount := bytes.Clone(p.cp.Proof)
	copy(hugeCount[128:132], []byte{0xff, 0xff, 0xff, 0xff}) // commitment count of a compressed proof

	tests := []struct {
		name                  string
		vk, proof, commitment []byte
		want                  error
	}{
		{"empty commitment", f.vk, p.cp.Proof, nil, ErrInvalidProof},
		{"short commitment", f.vk, p.cp.Proof, p.cp.Commitment[1:], ErrInvalidProof},
		{"long commitment", f.vk, p.cp.Proof, append(bytes.Clone(p.cp.Commitment), 0), ErrInvalidProof},
		{"non-canonical commitment", f.vk, p.cp.Proof, modulus[:], ErrInvalidProof},
		{"empty proof", f.vk, nil, p.cp.Commitment, ErrInvalidProof},
		{"truncated proof", f.vk, p.cp.Proof[:len(p.cp.Proof)-1], p.cp.Commitment, ErrInvalidProof},
		{"proof with trailing byte", f.vk, append(bytes.Clone(p.cp.Proof), 0), p.cp.Commitment, ErrInvalidProof},
		{"proof with huge count", f.vk, hugeCount, p.cp.Commitment, ErrInvalidProof},
		{"garbage proof", f.vk, bytes.Repeat([]byte{0xa5}, len(p.cp.Proof)), p.cp.Commitment, ErrInvalidProof},
		{"oversized proof", f.vk, make([]byte, 1<<20), p.cp.Commitment, ErrInvalidProof},
		{"empty vk", nil, p.cp.Proof, p.cp.Commitment, ErrInvalidKey},
		{"truncated vk", f.vk[:len(f.vk)-1], p.cp.Proof, p.cp.Commitment, ErrInvalidKey},
		{"vk with trailing byte", append(bytes.Clone(f.vk), 0), p.cp.Proof, p.cp.Commitment, ErrInvalidKey},
		{"garbage vk", bytes.Repeat([]byte{0x5a}, len(f.vk)), p.cp.Proof, p.cp.Commitment, ErrInvalidKey},
		{"oversized vk", make([]byte, 1<<20), p.cp.Proof, p.cp.Commitment, ErrInvalidKey},
	}
	for i := range len(p.cp.Proof) {
		flipped := bytes.Clone(p.cp.Proof)
		flipped[i] ^= 0x01
		tests = append(tests, struct {
			name                  string
			vk, proof, commitment []byte
			want                  error
		}{"proof bit flip", f.vk, flipped, p.cp.Commitment, ErrInvalidProof})
	}
	for _, tt := range tests {
		err := VerifyChunk(tt.vk, tt.proof, tt.commitment, p.min, p.max)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyListing = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestVerifyNotListingKey checks that a key of another circuit shape is refused.
func TestVerifyNotListingKey(t *testing.T) {
	f := setup(t, "a")
	p := validProof(t)
	var vk groth16bn254.VerifyingKey
	if _, err := vk.ReadFrom(bytes.NewReader(f.vk)); err != nil {
		t.Fatal(err)
	}
	vk.G1.K = append(vk.G1.K, vk.G1.K[0]) // one public input too many
	var buf bytes.Buffer
	if _, err := vk.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	err := VerifyChunk(buf.Bytes(), p.cp.Proof, p.cp.Commitment, p.min, p.max)
	if !errors.Is(err, ErrInvalidKey) {
		t.Errorf("VerifyChunk(vk with 4 public inputs) = %v, want ErrInvalidKey", err)
	}
}

func TestProveRefuses(t *testing.T) {
	f := setup(t, "a")
	tests := []struct {
		name     string
		values   []int64
		min, max int64
		want     string
	}{
		{"below min", []int64{0, 5, -1, 3}, 0, 10, "values[2] = -1 is outside [0, 10]"},
		{"above max", []int64{0, 5, 11}, 0, 10, "values[2] = 11 is outside [0, 10]"},
		{"extreme", []int64{math.MinInt64}, math.MinInt64 + 1, math.MaxInt64, "values[0] = -9223372036854775808"},
	}
	for _, tt := range tests {
		_, err := f.prover.Prove(tt.values, tt.min, tt.max)
		if !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Prove = %v, want ErrOutOfRange naming %q", tt.name, err, tt.want)
		}
	}
	for _, values := range [][]int64{nil, make([]int64, testN+1)} {
		if _, err := f.prover.Prove(values, 0, 0); err == nil {
			t.Errorf("Prove(%d values) succeeded, want an error", len(values))
		}
	}
	if _, err := f.prover.Prove([]int64{1}, 2, 1); err == nil {
		t.Error("Prove(min > max) succeeded, want an error")
	}
}

func TestProveFullChunkExtremes(t *testing.T) {
	f := setup(t, "a")
	values := make([]int64, testN)
	for i := range values {
		if i%2 == 0 {
			values[i] = math.MinInt64
		} else {
			values[i] = math.MaxInt64
		}
	}
	cp, err := f.prover.Prove(values, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	if err := VerifyChunk(f.vk, cp.Proof, cp.Commitment, math.MinInt64, math.MaxInt64); err != nil {
		t.Errorf("VerifyListing = %v, want nil", err)
	}
}

// TestProveConcurrent exercises the documented concurrency guarantee; run it
// with -race to make it meaningful.
func TestProveConcurrent(t *testing.T) {
	f := setup(t, "a")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			cp, err := f.prover.Prove([]int64{int64(i), 1, 2}, 0, 2)
			if err == nil {
				err = VerifyChunk(f.vk, cp.Proof, cp.Commitment, 0, 2)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
}

func TestNewListingProverMalformedKey(t *testing.T) {
	f := setup(t, "a")
	hugeDomain := bytes.Clone(f.pk)
	copy(hugeDomain, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	for name, pk := range map[string][]byte{
		"huge domain":    hugeDomain,
		"garbage":        bytes.Repeat([]byte{0xff}, 1<<12),
		"empty":          nil,
		"truncated":      f.pk[:len(f.pk)/2],
		"trailing bytes": append(bytes.Clone(f.pk), 1, 2, 3),
		"verifying key":  f.vk,
	} {
		if _, err := NewListingProver(testN, pk); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: NewListingProver = %v, want ErrInvalidKey", name, err)
		}
	}
}

func TestCompileListingBounds(t *testing.T) {
	for _, n := range []int{-1, 0, MaxChunkSize + 1} {
		if _, err := CompileListing(n); err == nil {
			t.Errorf("CompileListing(%d) succeeded, want an error", n)
		}
	}
}
