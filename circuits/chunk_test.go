package circuits

import (
	"math"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// bn254Groth16 restricts CheckCircuit to the one curve and backend DXP uses.
var bn254Groth16 = []test.TestingOption{
	test.WithCurves(ecc.BN254),
	test.WithBackends(backend.GROTH16),
	test.NoFuzzing(),
	test.NoSerializationChecks(),
	test.NoSolidityChecks(),
}

// chunkCase builds assignments of one (n, w) circuit from raw digits, so
// that tests can express witnesses NewChunkAssignment refuses.
type chunkCase struct {
	t        *testing.T
	lay      ChunkLayout
	salt     fr.Element
	min, max int64
}

func newChunkCase(t *testing.T, n, w int, min, max int64) *chunkCase {
	t.Helper()
	lay, err := NewChunkLayout(n, w)
	if err != nil {
		t.Fatal(err)
	}
	return &chunkCase{t: t, lay: lay, salt: testSalt(), min: min, max: max}
}

// valid returns the assignment NewChunkAssignment builds for values.
func (c *chunkCase) valid(values []int64) *Chunk {
	c.t.Helper()
	a, err := NewChunkAssignment(c.lay.N, c.lay.W, values, c.min, c.max, c.salt)
	if err != nil {
		c.t.Fatalf("NewChunkAssignment: %v", err)
	}
	return a
}

// offsets returns an assignment whose i-th value has offset u[i] (written
// in L base-2^b digits, truncated to Lb bits) and whose commitment is what
// the circuit computes from those digits: only the range checks can
// reject it.
func (c *chunkCase) offsets(u []uint64) *Chunk {
	c.t.Helper()
	b, L := c.lay.LimbBits, c.lay.Limbs
	digits := make([]fr.Element, c.lay.N*L)
	for i, x := range u {
		for k := range L {
			digits[i*L+k].SetUint64(x >> uint(b*k) & (1<<b - 1))
		}
	}
	return c.digits(digits)
}

// digits returns the assignment with the given digits and the commitment
// the circuit computes from them.
func (c *chunkCase) digits(digits []fr.Element) *Chunk {
	minE, maxE := fieldInt64(c.min), fieldInt64(c.max)
	return c.lay.assignment(digits, c.salt, c.lay.commit(digits, c.salt, minE), minE, maxE)
}

func (c *chunkCase) check(valid []*Chunk, invalid map[string]*Chunk) {
	c.t.Helper()
	opts := append([]test.TestingOption(nil), bn254Groth16...)
	for _, a := range valid {
		opts = append(opts, test.WithValidAssignment(a))
	}
	for _, a := range invalid {
		opts = append(opts, test.WithInvalidAssignment(a))
	}
	test.NewAssert(c.t).CheckCircuit(NewChunk(c.lay.N, c.lay.W), opts...)
}

// offsetsOf returns v_i - min as uint64 (wrapping for v < min).
func offsetsOf(values []int64, min int64) []uint64 {
	out := make([]uint64, len(values))
	for i, v := range values {
		out[i] = uint64(v) - uint64(min)
	}
	return out
}

func TestChunk(t *testing.T) {
	// w = 13 and bounds [-1000, 2000]: D = 3000 < 2^13. The layout uses
	// three 5-bit digits, so the digits can hold offsets beyond D and
	// beyond 2^w.
	const min, max = -1000, 2000
	c := newChunkCase(t, 10, 13, min, max)
	if c.lay.Limbs*c.lay.LimbBits <= c.lay.W {
		t.Fatalf("layout %+v has no digit bits beyond w", c.lay)
	}
	values := []int64{-1000, -1, 0, 1, 42, 1999, 2000, -999, 7, -1000}

	wrongCommitment := c.valid(values)
	wrongCommitment.Commitment = fieldInt64(12345)
	wrongSalt := c.valid(values)
	wrongSalt.Salt = fieldInt64(7)
	otherValue := c.valid(values)
	otherValue.Digits[0] = uint64(1) // commitment still of the original values

	above := offsetsOf(values, min)
	above[6] = max - min + 1
	// Below min: the offset wraps to 2^64-1, and its low Lb bits are what a
	// prover could put in the digits; both must be refused.
	below := offsetsOf(values, min)
	below[3] = uint64(1)<<(c.lay.Limbs*c.lay.LimbBits) - 1
	// Beyond the width: 2^13 fits the digits but not w.
	wide := offsetsOf(values, min)
	wide[2] = 1 << 13

	// Offset 2^b written as digits [2^b, 0, ...] instead of [0, 1, ...]:
	// the same offset and commitment, but a digit outside the table.
	canonical, err := c.lay.digits(values, min)
	if err != nil {
		t.Fatal(err)
	}
	fat := append([]fr.Element(nil), canonical...)
	fat[5*c.lay.Limbs].SetUint64(1 << c.lay.LimbBits)
	fat[5*c.lay.Limbs+1].SetUint64(0)
	fatValues := append([]int64(nil), values...)
	fatValues[5] = min + 1<<c.lay.LimbBits

	// A digit p-1, standing for offset -1: the value min-1.
	negative := append([]fr.Element(nil), canonical...)
	negative[0].SetInt64(-1)

	swapped := c.valid(values)
	swapped.Min, swapped.Max = fieldInt64(max), fieldInt64(min)

	c.check([]*Chunk{
		c.valid(values),
		c.valid(fatValues), // the canonical digits of the same offset
		c.valid([]int64{min, min, min, min, min, min, min, min, min, min}),
		c.valid([]int64{max, max, max, max, max, max, max, max, max, max}),
	}, map[string]*Chunk{
		"wrong commitment": wrongCommitment,
		"wrong salt":       wrongSalt,
		"other value":      otherValue,
		"above max":        c.offsets(above),
		"below min":        c.offsets(below),
		"beyond width":     c.offsets(wide),
		"digit too large":  c.digits(fat),
		"negative digit":   c.digits(negative),
		"min > max":        swapped,
	})
}

// TestChunkWidth checks bounds that do not fit the circuit's width.
func TestChunkWidth(t *testing.T) {
	// w = 8: Max-Min = 256 needs 9 bits, even if every value fits 8.
	c := newChunkCase(t, 4, 8, 0, 256)
	tooWide := c.offsets([]uint64{0, 1, 255, 3})
	ok := newChunkCase(t, 4, 8, 0, 255)
	c.check([]*Chunk{ok.valid([]int64{0, 1, 255, 3})}, map[string]*Chunk{"bounds wider than w": tooWide})
	if _, err := NewChunkAssignment(4, 8, []int64{0, 1, 2, 3}, 0, 256, testSalt()); err == nil {
		t.Error("NewChunkAssignment(bounds wider than w) succeeded, want an error")
	}
}

// TestChunkShapes covers widths and sizes where the packing, the batched
// sum checks and the sponge blocks fall differently: a 1-bit column,
// full-width int64 columns, and more packed elements than one sponge block.
func TestChunkShapes(t *testing.T) {
	tests := []struct {
		n, w     int
		min, max int64
	}{
		{3, 1, 5, 6},
		{5, 64, math.MinInt64, math.MaxInt64},
		{50, 64, math.MinInt64, math.MaxInt64}, // 17 elements + salt, Min: two permutations
		{33, 8, -128, 127},
		{7, 32, 0, 1<<32 - 1},
	}
	for _, tt := range tests {
		c := newChunkCase(t, tt.n, tt.w, tt.min, tt.max)
		// min, max, then a spread of values in between.
		values := make([]int64, tt.n)
		span := uint64(tt.max) - uint64(tt.min)
		for i := range values {
			values[i] = int64(uint64(tt.min) + span/uint64(tt.n+1)*uint64(i))
		}
		values[0], values[1] = tt.min, tt.max
		// The commitment of the same values with the first two swapped.
		swapped := append([]int64{values[1], values[0]}, values[2:]...)
		bad := c.valid(values)
		bad.Commitment = c.valid(swapped).Commitment
		c.check([]*Chunk{c.valid(values)}, map[string]*Chunk{"other values' commitment": bad})
	}
}

func TestChunkLayout(t *testing.T) {
	for _, tt := range []struct {
		n, w, b, L, per int
	}{
		{16384, 32, 11, 3, 7},
		{4096, 32, 11, 3, 7},
		{16384, 64, 13, 5, 3},
		{16384, 8, 8, 1, 31},
		{1, 1, 1, 1, 253},
	} {
		lay, err := NewChunkLayout(tt.n, tt.w)
		if err != nil {
			t.Fatal(err)
		}
		if lay.LimbBits != tt.b || lay.Limbs != tt.L || lay.PerElement != tt.per {
			t.Errorf("NewChunkLayout(%d, %d) = %+v, want b=%d L=%d per=%d", tt.n, tt.w, lay, tt.b, tt.L, tt.per)
		}
	}
	for _, nw := range [][2]int{{0, 8}, {-1, 8}, {8, 0}, {8, 65}, {maxChunkValues + 1, 8}} {
		if _, err := NewChunkLayout(nw[0], nw[1]); err == nil {
			t.Errorf("NewChunkLayout(%d, %d) succeeded, want an error", nw[0], nw[1])
		}
	}
}

func TestWidth(t *testing.T) {
	for _, tt := range []struct {
		min, max int64
		want     int
	}{
		{0, 0, 1}, {0, 1, 1}, {0, 2, 2}, {0, 255, 8}, {0, 256, 9}, {-1, 0, 1},
		{0, 1<<32 - 1, 32}, {math.MinInt64, math.MaxInt64, 64}, {-5, 5, 4}, {1, 0, 0},
	} {
		if got := Width(tt.min, tt.max); got != tt.want {
			t.Errorf("Width(%d, %d) = %d, want %d", tt.min, tt.max, got, tt.want)
		}
	}
}

func TestChunkCommitment(t *testing.T) {
	salt := testSalt()
	values := []int64{1, 2, 3, 4, 5, 6, 7, 8}
	c, err := ChunkCommitment(8, 16, values, 0, salt)
	if err != nil {
		t.Fatal(err)
	}
	var other fr.Element
	other.SetUint64(1)
	mustCommit := func(n, w int, values []int64, min int64, salt fr.Element) fr.Element {
		t.Helper()
		c, err := ChunkCommitment(n, w, values, min, salt)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, got := range map[string]fr.Element{
		"value changed":  mustCommit(8, 16, []int64{1, 2, 3, 4, 5, 6, 7, 9}, 0, salt),
		"values swapped": mustCommit(8, 16, []int64{2, 1, 3, 4, 5, 6, 7, 8}, 0, salt),
		"salt changed":   mustCommit(8, 16, values, 0, other),
		"min changed":    mustCommit(8, 16, []int64{0, 1, 2, 3, 4, 5, 6, 7}, -1, salt),
		"other width":    mustCommit(8, 17, values, 0, salt),
		"other n":        mustCommit(9, 16, append(values, 0), 0, salt),
	} {
		if got.Equal(&c) {
			t.Errorf("%s: commitment unchanged", name)
		}
	}
	for name, args := range map[string]struct {
		n, w   int
		values []int64
		min    int64
	}{
		"below min":     {2, 8, []int64{0, -1}, 0},
		"beyond width":  {2, 8, []int64{0, 256}, 0},
		"short":         {3, 8, []int64{0, 1}, 0},
		"invalid width": {2, 0, []int64{0, 0}, 0},
	} {
		if _, err := ChunkCommitment(args.n, args.w, args.values, args.min, salt); err == nil {
			t.Errorf("%s: ChunkCommitment succeeded, want an error", name)
		}
	}
}

// TestChunkCommitmentKnownAnswer pins the commitment format: a change to
// the packing, the IV or the sponge must be deliberate (bump chunkVersion).
func TestChunkCommitmentKnownAnswer(t *testing.T) {
	c, err := ChunkCommitment(3, 32, []int64{-5, 0, 1 << 31}, -5, testSalt())
	if err != nil {
		t.Fatal(err)
	}
	const want = "76689528956379021429035499695400502853732494279711854265207453694489633062"
	if got := c.String(); got != want {
		t.Errorf("ChunkCommitment = %s, want %s", got, want)
	}
}

// spongeCircuit exposes the in-circuit sponge.
type spongeCircuit struct {
	In  []frontend.Variable
	Out frontend.Variable `gnark:",public"`
	iv  fr.Element
}

func (c *spongeCircuit) Define(api frontend.API) error {
	s, err := newSponge(api, c.iv)
	if err != nil {
		return err
	}
	if err := s.absorb(c.In...); err != nil {
		return err
	}
	out, err := s.sum()
	if err != nil {
		return err
	}
	api.AssertIsEqual(out, c.Out)
	return nil
}

// TestSpongeAgreement checks that the in-circuit sponge (gnark's width-16
// Poseidon2) and SpongeHash (gnark-crypto's) compute the same function, for
// lengths below, at and above one block.
func TestSpongeAgreement(t *testing.T) {
	var iv fr.Element
	iv.SetUint64(99)
	for _, n := range []int{1, SpongeRate - 1, SpongeRate, SpongeRate + 1, 2 * SpongeRate} {
		in := make([]fr.Element, n)
		for i := range in {
			in[i].SetRandom()
		}
		in[0].SetInt64(-1) // p-1
		out := SpongeHash(iv, in)
		ok := &spongeCircuit{In: make([]frontend.Variable, n), Out: out}
		bad := &spongeCircuit{In: make([]frontend.Variable, n), Out: out}
		for i := range in {
			ok.In[i] = in[i]
			bad.In[i] = in[i]
		}
		bad.In[n-1] = fr.NewElement(5)
		opts := append([]test.TestingOption{test.WithValidAssignment(ok), test.WithInvalidAssignment(bad)}, bn254Groth16...)
		test.NewAssert(t).CheckCircuit(&spongeCircuit{In: make([]frontend.Variable, n), iv: iv}, opts...)
	}
}

func TestSpongeHash(t *testing.T) {
	var iv, other fr.Element
	iv.SetUint64(1)
	other.SetUint64(2)
	in := []fr.Element{fr.NewElement(1), fr.NewElement(2)}
	a := SpongeHash(iv, in)
	for name, got := range map[string]fr.Element{
		"other iv": SpongeHash(other, in),
		"swapped":  SpongeHash(iv, []fr.Element{in[1], in[0]}),
	} {
		if got.Equal(&a) {
			t.Errorf("%s: hash unchanged", name)
		}
	}
	// Zero padding is why the IV must fix the input length.
	if padded := SpongeHash(iv, append(in, fr.Element{})); !padded.Equal(&a) {
		t.Error("SpongeHash(in || 0) != SpongeHash(in) under one IV; the padding rule changed")
	}
}

// testSalt is a fixed salt, so that test failures are reproducible.
func testSalt() fr.Element {
	var s fr.Element
	s.SetString("1234567890123456789012345678901234567890")
	return s
}
