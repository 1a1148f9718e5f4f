package zk

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/dxplabs/dxp/circuits"
)

// The chunk tests use a small circuit: 16 values of width 16.
const (
	testChunkN = 16
	testChunkW = 16
)

type chunkFixture struct {
	pk, vk []byte
	prover *ChunkProver
}

var chunkFixtures = struct {
	sync.Mutex
	m map[string]*chunkFixture
}{m: map[string]*chunkFixture{}}

// chunkSetup returns a cached insecure setup of the test chunk circuit, one
// per name.
func chunkSetup(t testing.TB, name string) *chunkFixture {
	t.Helper()
	chunkFixtures.Lock()
	defer chunkFixtures.Unlock()
	if f, ok := chunkFixtures.m[name]; ok {
		return f
	}
	pk, vk, err := SetupChunkInsecure(testChunkN, testChunkW)
	if err != nil {
		t.Fatalf("SetupChunkInsecure: %v", err)
	}
	p, err := NewChunkProver(testChunkN, testChunkW, pk)
	if err != nil {
		t.Fatalf("NewChunkProver: %v", err)
	}
	f := &chunkFixture{pk: pk, vk: vk, prover: p}
	chunkFixtures.m[name] = f
	return f
}

func TestChunkProveVerify(t *testing.T) {
	f := chunkSetup(t, "a")
	tests := []struct {
		name     string
		values   []int64
		min, max int64
	}{
		{"full width", []int64{0, 65535, 1, 2, 3}, 0, 65535},
		{"negative bounds", []int64{-70000, -5000, -4465}, -70000, -4465},
		{"narrower bounds", []int64{3, 4, 5}, 3, 5},
		{"single point", []int64{7}, 7, 7},
		{"full chunk", make([]int64, testChunkN), 0, 0},
		{"int64 extremes", []int64{math.MaxInt64, math.MaxInt64 - 65535}, math.MaxInt64 - 65535, math.MaxInt64},
	}
	for _, tt := range tests {
		cp, err := f.prover.Prove(tt.values, tt.min, tt.max)
		if err != nil {
			t.Errorf("%s: Prove: %v", tt.name, err)
			continue
		}
		if err := VerifyChunk(f.vk, cp.Proof, cp.Commitment, tt.min, tt.max); err != nil {
			t.Errorf("%s: VerifyChunk = %v, want nil", tt.name, err)
		}
		// The chain's verifier takes chunk keys unchanged.
		if err := (Verifier{}).VerifyChunk(f.vk, cp.Proof, cp.Commitment, tt.min, tt.max); err != nil {
			t.Errorf("%s: Verifier.VerifyChunk = %v, want nil", tt.name, err)
		}
		if tt.min < tt.max {
			if err := VerifyChunk(f.vk, cp.Proof, cp.Commitment, tt.min, tt.max-1); !errors.Is(err, ErrInvalidProof) {
				t.Errorf("%s: VerifyChunk(narrower bounds) = %v, want ErrInvalidProof", tt.name, err)
			}
		}
	}
}

// TestChunkCommitmentOpens checks that the published commitment is
// circuits.ChunkCommitment of the padded values and the returned salt.
func TestChunkCommitmentOpens(t *testing.T) {
	f := chunkSetup(t, "a")
	values := []int64{5, -5, 0}
	cp, err := f.prover.Prove(values, -10, 10)
	if err != nil {
		t.Fatal(err)
	}
	padded := make([]int64, testChunkN)
	copy(padded, values)
	for i := len(values); i < testChunkN; i++ {
		padded[i] = -10
	}
	var salt fr.Element
	if err := salt.SetBytesCanonical(cp.Salt); err != nil {
		t.Fatalf("salt: %v", err)
	}
	want, err := circuits.ChunkCommitment(testChunkN, testChunkW, padded, -10, salt)
	if err != nil {
		t.Fatal(err)
	}
	if got := want.Bytes(); !bytes.Equal(cp.Commitment, got[:]) {
		t.Errorf("Commitment = %x, want ChunkCommitment(padded, salt) = %x", cp.Commitment, got)
	}
	again, err := f.prover.Prove(values, -10, 10)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again.Salt, cp.Salt) || bytes.Equal(again.Commitment, cp.Commitment) {
		t.Error("two proofs of the same values share a salt or commitment")
	}
}

func TestChunkVerifyRefuses(t *testing.T) {
	a, b := chunkSetup(t, "a"), chunkSetup(t, "b")
	cp, err := a.prover.Prove([]int64{1, 2, 3}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Clone(cp.Commitment)
	other[31] ^= 1
	tests := []struct {
		name           string
		vk, commitment []byte
		min, max       int64
		want           error
	}{
		{"other commitment", a.vk, other, 0, 100, ErrInvalidProof},
		{"other min", a.vk, cp.Commitment, 1, 100, ErrInvalidProof},
		{"other max", a.vk, cp.Commitment, 0, 101, ErrInvalidProof},
		{"min > max", a.vk, cp.Commitment, 100, 0, ErrInvalidProof},
		{"other setup", b.vk, cp.Commitment, 0, 100, ErrInvalidProof},
	}
	for _, tt := range tests {
		if err := VerifyChunk(tt.vk, cp.Proof, tt.commitment, tt.min, tt.max); !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyChunk = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestChunkProveRefuses(t *testing.T) {
	f := chunkSetup(t, "a")
	tests := []struct {
		name     string
		values   []int64
		min, max int64
		want     error
		msg      string
	}{
		{"below min", []int64{0, 5, -1}, 0, 10, ErrOutOfRange, "values[2] = -1 is outside [0, 10]"},
		{"above max", []int64{11}, 0, 10, ErrOutOfRange, "values[0] = 11"},
		{"bounds too wide", []int64{0}, 0, 1 << 16, ErrWidth, "need 17 bits, the circuit has 16"},
		{"widest bounds", []int64{0}, math.MinInt64, math.MaxInt64, ErrWidth, "need 64 bits"},
	}
	for _, tt := range tests {
		_, err := f.prover.Prove(tt.values, tt.min, tt.max)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: Prove = %v, want %v naming %q", tt.name, err, tt.want, tt.msg)
		}
	}
	for _, values := range [][]int64{nil, make([]int64, testChunkN+1)} {
		if _, err := f.prover.Prove(values, 0, 0); err == nil {
			t.Errorf("Prove(%d values) succeeded, want an error", len(values))
		}
	}
	if _, err := f.prover.Prove([]int64{1}, 2, 1); err == nil {
		t.Error("Prove(min > max) succeeded, want an error")
	}
}

func TestNewChunkProverRefuses(t *testing.T) {
	f := chunkSetup(t, "a")
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
		if _, err := NewChunkProver(testChunkN, testChunkW, pk); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: NewChunkProver = %v, want ErrInvalidKey", name, err)
		}
	}
	// The key of one (n, w) does not load for another.
	for _, nw := range [][2]int{{testChunkN + 1, testChunkW}, {testChunkN, testChunkW + 16}} {
		if _, err := NewChunkProver(nw[0], nw[1], f.pk); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("NewChunkProver(%d, %d, key for (%d, %d)) = %v, want ErrInvalidKey", nw[0], nw[1], testChunkN, testChunkW, err)
		}
	}
	for _, nw := range [][2]int{{0, 8}, {MaxChunkSize + 1, 8}, {8, 0}, {8, 65}} {
		if _, err := CompileChunk(nw[0], nw[1]); err == nil {
			t.Errorf("CompileChunk(%d, %d) succeeded, want an error", nw[0], nw[1])
		}
	}
}

func TestChunkProverAccessors(t *testing.T) {
	p := chunkSetup(t, "a").prover
	if p.ChunkSize() != testChunkN || p.Width() != testChunkW || p.Layout().N != testChunkN {
		t.Errorf("ChunkSize, Width = %d, %d, want %d, %d", p.ChunkSize(), p.Width(), testChunkN, testChunkW)
	}
	if p.Constraints() <= 0 {
		t.Errorf("Constraints() = %d", p.Constraints())
	}
}
