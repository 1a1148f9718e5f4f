package circuits

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

func init() {
	solver.RegisterHint(chunkSlackHint, chunkCountHint, chunkElementHint)
}

const (
	// MaxChunkWidth is the widest column a chunk circuit supports: the
	// offset v-Min of an int64 column fits in 64 bits.
	MaxChunkWidth = 64

	// maxChunkValues bounds n so that the sponge IV encoding stays
	// injective; package zk enforces a much smaller limit.
	maxChunkValues = 1 << 24

	// packBits is how many bits of a hashed field element carry values:
	// every integer below 2^253 is a canonical BN254 scalar.
	packBits = fr.Bits - 1

	// maxLimbBits bounds the lookup table (2^b entries).
	maxLimbBits = 16

	// chunkVersion is part of the sponge IV; bump it if the commitment
	// format changes.
	chunkVersion = 1
)

// ChunkLayout is the shape of the chunk circuit for chunks of N values of a
// column whose offsets v-Min fit in W bits. Everything in it is derived from
// (N, W) by [NewChunkLayout].
type ChunkLayout struct {
	N int // values per chunk
	W int // declared width: Max-Min < 2^W

	// LimbBits (b) and Limbs (L = ⌈W/b⌉): each offset is witnessed as L
	// base-2^b digits, each looked up in the table {0, ..., 2^b-1}. b
	// minimises the number of lookups plus the table size for (N, W).
	LimbBits int
	Limbs    int

	// PerElement values are packed into each hashed field element, W bits
	// each; Elements = ⌈N/PerElement⌉ elements are hashed.
	PerElement int
	Elements   int
}

// NewChunkLayout returns the layout for chunks of n values of width w.
func NewChunkLayout(n, w int) (ChunkLayout, error) {
	if n < 1 || n > maxChunkValues {
		return ChunkLayout{}, fmt.Errorf("circuits: chunk: %d values, want 1 to %d", n, maxChunkValues)
	}
	if w < 1 || w > MaxChunkWidth {
		return ChunkLayout{}, fmt.Errorf("circuits: chunk: width %d, want 1 to %d", w, MaxChunkWidth)
	}
	best, bestCost := 0, 0
	for b := 1; b <= maxLimbBits; b++ {
		// Two lookups (offset and slack) per limb and value, one division
		// per table entry; the rest of the circuit does not depend on b.
		cost := 2*n*ceilDiv(w, b) + 1<<b
		if best == 0 || cost < bestCost {
			best, bestCost = b, cost
		}
	}
	per := packBits / w
	return ChunkLayout{
		N: n, W: w,
		LimbBits: best, Limbs: ceilDiv(w, best),
		PerElement: per, Elements: ceilDiv(n, per),
	}, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Width returns the declared width of a column with bounds [min, max]: the
// number of bits of max-min, at least 1. A chunk circuit of width w accepts
// any bounds with Width(min, max) <= w. It returns 0 if min > max.
func Width(min, max int64) int {
	if min > max {
		return 0
	}
	if w := bits.Len64(uint64(max) - uint64(min)); w > 0 {
		return w
	}
	return 1
}

// Chunk proves that a chunk of n int64 values lies within the public bounds
// [Min, Max] and that the values, with a secret salt, hash to the public
// Commitment. The circuit is fixed by (n, w), where w is the column's
// declared width ([Width]); it accepts only bounds with Max-Min < 2^w.
//
// The witness is not the values but the base-2^b digits of their offsets
// u_i = v_i - Min (see [ChunkLayout]), L digits per value, least significant
// first: composing u_i from digits is free in R1CS, while checking a value
// against its digits would cost a constraint per value. Build assignments
// with [NewChunkAssignment].
//
// The statement, for D = Max - Min, is:
//
//	0 <= D < 2^w,
//	for every i: 0 <= u_i <= D, so that v_i = Min + u_i lies in [Min, Max], and
//	Commitment = ChunkCommitment(n, w, v, Min, Salt).
//
// How it is checked:
//
//   - Every digit of u_i, and every digit of a slack s_i = D - u_i
//     (computed by a hint), lies in [0, 2^b): one log-derivative lookup
//     each (Haböck, eprint 2022/1530) into a constant table, with the
//     challenge drawn from a Groth16 (BSB22) commitment to all digits and the
//     multiplicities. So u_i, s_i ∈ [0, 2^(Lb)).
//   - u_i + s_i = D for every i. Since both are below 2^(Lb) and
//     D < 2^w <= 2^(Lb), the sum cannot wrap modulo the field, so it holds
//     over the integers and 0 <= u_i <= D. The equalities are batched, g
//     values per constraint, as Σ (u_i + s_i - D)·2^(σ·i) = 0 with slots of
//     σ = Lb+2 bits and gσ <= 253: each term lies in (-2^(σ-1), 2^(σ-1)), the
//     sum in (-2^253, 2^253), so it vanishes modulo p only if it is 0 over
//     the integers, and then (signed base 2^σ digits are unique) only if every
//     term is 0.
//   - D's own digits prove D < 2^w exactly (the top digit is also looked up
//     shifted left by Lb-w bits), which also makes Min > Max unsatisfiable.
//   - Since every u_i < 2^w, packing PerElement offsets into W-bit slots of
//     an element below 2^253 is injective, and the commitment binds the
//     values.
type Chunk struct {
	Digits     []frontend.Variable // secret: N·L digits, L per value
	Salt       frontend.Variable   // secret
	Commitment frontend.Variable   `gnark:",public"`
	Min        frontend.Variable   `gnark:",public"`
	Max        frontend.Variable   `gnark:",public"`

	n, w int // the circuit's shape; unexported, so not part of the witness
}

// assertInTable asserts that every query lies in [0, 2^b) by a log-derivative lookup into the
// constant table 0..2^b−1: a hint counts each entry's multiplicity m_j, and at a challenge x
// derived from a commitment to committed (which must fix every query) and the multiplicities,
// Σ_j m_j/(x − j) = Σ_i 1/(x − q_i). what names the circuit in an error.
func assertInTable(api frontend.API, queries, committed []frontend.Variable, b int, what string) error {
	table := 1 << b
	countIn := make([]frontend.Variable, 0, 1+len(queries))
	countIn = append(countIn, table)
	countIn = append(countIn, queries...)
	mult, err := api.Compiler().NewHint(chunkCountHint, table, countIn...)
	if err != nil {
		return fmt.Errorf("circuits: %s: count hint: %w", what, err)
	}
	all := make([]frontend.Variable, 0, len(committed)+table)
	all = append(all, committed...)
	all = append(all, mult...)
	multicommit.WithCommitment(api, func(api frontend.API, x frontend.Variable) error {
		right := make([]frontend.Variable, len(queries))
		for i, q := range queries {
			right[i] = api.Inverse(api.Sub(x, q))
		}
		left := make([]frontend.Variable, table)
		for j := range table {
			left[j] = api.DivUnchecked(mult[j], api.Sub(x, j))
		}
		api.AssertIsEqual(sum(api, left), sum(api, right))
		return nil
	}, all...)
	return nil
}

// NewChunk returns the chunk circuit for chunks of n values of width w, with
// Digits allocated, ready to be compiled. Invalid (n, w) make Define fail.
func NewChunk(n, w int) *Chunk {
	c := &Chunk{n: n, w: w}
	if lay, err := NewChunkLayout(n, w); err == nil {
		c.Digits = make([]frontend.Variable, n*lay.Limbs)
	}
	return c
}

// Define emits the chunk constraints.
func (c *Chunk) Define(api frontend.API) error {
	lay, err := NewChunkLayout(c.n, c.w)
	if err != nil {
		return err
	}
	n, w, b, L := lay.N, lay.W, lay.LimbBits, lay.Limbs
	if len(c.Digits) != n*L {
		return fmt.Errorf("circuits: chunk: %d digits, want %d", len(c.Digits), n*L)
	}
	pow2 := func(e int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }

	// compose returns Σ digits[k]·2^(bk+shift), a linear expression.
	compose := func(digits []frontend.Variable, shift int, terms []frontend.Variable) []frontend.Variable {
		for k, d := range digits {
			terms = append(terms, api.Mul(d, pow2(b*k+shift)))
		}
		return terms
	}

	d := api.Sub(c.Max, c.Min)
	hintIn := make([]frontend.Variable, 0, 3+len(c.Digits))
	hintIn = append(hintIn, b, L, d)
	hintIn = append(hintIn, c.Digits...)
	out, err := api.Compiler().NewHint(chunkSlackHint, n*L+L, hintIn...)
	if err != nil {
		return fmt.Errorf("circuits: chunk: slack hint: %w", err)
	}
	slack, dDigits := out[:n*L], out[n*L:]

	// D = Σ dDigits·2^(bk) with every digit in range and the top one also
	// in range after a shift: D < 2^w.
	api.AssertIsEqual(sum(api, compose(dDigits, 0, nil)), d)
	queries := make([]frontend.Variable, 0, 2*n*L+L+1)
	queries = append(queries, c.Digits...)
	queries = append(queries, slack...)
	queries = append(queries, dDigits...)
	if shift := L*b - w; shift > 0 {
		queries = append(queries, api.Mul(dDigits[L-1], pow2(shift)))
	}

	// u_i + s_i = D, batched g per constraint in slots of σ bits.
	sigma := L*b + 2
	g := packBits / sigma
	var terms []frontend.Variable
	for start := 0; start < n; start += g {
		terms = terms[:0]
		weight := new(big.Int)
		for i := start; i < min(start+g, n); i++ {
			shift := sigma * (i - start)
			terms = compose(c.Digits[i*L:(i+1)*L], shift, terms)
			terms = compose(slack[i*L:(i+1)*L], shift, terms)
			weight.Add(weight, pow2(shift))
		}
		api.AssertIsEqual(sum(api, terms), api.Mul(d, weight))
	}

	// All digits lie in [0, 2^b): log-derivative lookup into a constant table.
	if err := assertInTable(api, queries, queries, b, "chunk"); err != nil {
		return err
	}

	// Commitment = Sponge(iv(n, w); Salt, Min, e_0, ..., e_{m-1}).
	h, err := newSponge(api, chunkIV(n, w))
	if err != nil {
		return fmt.Errorf("circuits: chunk: %w", err)
	}
	if err := h.absorb(c.Salt, c.Min); err != nil {
		return fmt.Errorf("circuits: chunk: %w", err)
	}
	for j := range lay.Elements {
		terms = terms[:0]
		for i := j * lay.PerElement; i < min((j+1)*lay.PerElement, n); i++ {
			terms = compose(c.Digits[i*L:(i+1)*L], w*(i-j*lay.PerElement), terms)
		}
		// e_j as one wire, constrained to equal the sum of its digits: the
		// sponge squares its inputs, and squaring the sum would put every
		// digit wire in the B matrix (a G2 point each in the proving key and
		// in every proof's MSM) instead of one wire per element.
		e := sum(api, terms)
		if len(terms) > 1 {
			out, err := api.Compiler().NewHint(chunkElementHint, 1, e)
			if err != nil {
				return fmt.Errorf("circuits: chunk: element hint: %w", err)
			}
			api.AssertIsEqual(out[0], e)
			e = out[0]
		}
		if err := h.absorb(e); err != nil {
			return fmt.Errorf("circuits: chunk: %w", err)
		}
	}
	commitment, err := h.sum()
	if err != nil {
		return fmt.Errorf("circuits: chunk: %w", err)
	}
	api.AssertIsEqual(commitment, c.Commitment)
	return nil
}

// sum adds terms in one linear expression (a single merge, where a chain of
// two-operand Adds would be quadratic in the number of terms).
func sum(api frontend.API, terms []frontend.Variable) frontend.Variable {
	switch len(terms) {
	case 0:
		return 0
	case 1:
		return terms[0]
	default:
		return api.Add(terms[0], terms[1], terms[2:]...)
	}
}

// chunkIV is the sponge IV of the (n, w) chunk commitment: it separates the
// commitment from other uses of the sponge and fixes the input length.
func chunkIV(n, w int) fr.Element {
	var iv fr.Element
	iv.SetUint64(chunkVersion<<48 | uint64(n)<<8 | uint64(w))
	return iv
}

// chunkSlackHint takes (b, L, D, digits of u_0, ..., u_{n-1}) and returns the
// L base-2^b digits of each s_i = D - u_i, then L digits of D. It never
// fails on out-of-range values: it returns the low Lb bits of the field
// element, and the constraints, not the hint, reject such a witness.
func chunkSlackHint(field *big.Int, in, out []*big.Int) error {
	if len(in) < 3 || !in[0].IsUint64() || !in[1].IsUint64() {
		return errors.New("circuits: chunk slack hint: malformed input")
	}
	b, L := int(in[0].Uint64()), int(in[1].Uint64())
	if b < 1 || b > maxLimbBits || L < 1 || L > MaxChunkWidth || (len(in)-3)%L != 0 || len(out) != len(in)-3+L {
		return errors.New("circuits: chunk slack hint: malformed input")
	}
	d := in[2]
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(b)), big.NewInt(1))
	digitsOf := func(x *big.Int, dst []*big.Int) {
		t := new(big.Int).Set(x)
		for k := range dst {
			dst[k].And(t, mask)
			t.Rsh(t, uint(b))
		}
	}
	u, s := new(big.Int), new(big.Int)
	for i := 0; (i+1)*L <= len(in)-3; i++ {
		u.SetUint64(0)
		for k := L - 1; k >= 0; k-- {
			u.Lsh(u, uint(b)).Add(u, in[3+i*L+k])
		}
		s.Sub(d, u).Mod(s, field)
		digitsOf(s, out[i*L:(i+1)*L])
	}
	digitsOf(d, out[len(out)-L:])
	return nil
}

// chunkElementHint returns its input: it turns a linear expression into a
// wire.
func chunkElementHint(_ *big.Int, in, out []*big.Int) error {
	if len(in) != 1 || len(out) != 1 {
		return errors.New("circuits: chunk element hint: malformed input")
	}
	out[0].Set(in[0])
	return nil
}

// chunkCountHint takes (T, q_0, q_1, ...) and returns how often each of
// 0, ..., T-1 occurs among the q_i. Queries outside the table are not
// counted, so the lookup argument, not the hint, rejects them.
func chunkCountHint(_ *big.Int, in, out []*big.Int) error {
	if len(in) < 1 || !in[0].IsUint64() || in[0].Uint64() != uint64(len(out)) {
		return errors.New("circuits: chunk count hint: malformed input")
	}
	counts := make([]uint64, len(out))
	for _, q := range in[1:] {
		if q.IsUint64() && q.Uint64() < uint64(len(out)) {
			counts[q.Uint64()]++
		}
	}
	for j, c := range counts {
		out[j].SetUint64(c)
	}
	return nil
}

// ChunkCommitment is the native counterpart of the chunk circuit's
// commitment, used to build the witness and to open a commitment. For
// values v_0, ..., v_{n-1} (exactly n, already padded) it returns
//
//	SpongeHash(iv, [salt, Min, e_0, ..., e_{m-1}])
//	iv  = 2^48·1 + 2^8·n + w                (format version 1)
//	e_j = Σ_{0<=i<k} u_{jk+i}·2^(w·i),      k = ⌊253/w⌋, m = ⌈n/k⌉
//	u_i = v_i - Min                         (missing terms of e_{m-1} are zero)
//
// with Min as a field element (a negative Min is p-|Min|). It fails if a
// value is below min or its offset does not fit in w bits. Max is not
// hashed: the commitment fixes the values, the proof their bounds.
func ChunkCommitment(n, w int, values []int64, min int64, salt fr.Element) (fr.Element, error) {
	lay, err := NewChunkLayout(n, w)
	if err != nil {
		return fr.Element{}, err
	}
	digits, err := lay.digits(values, min)
	if err != nil {
		return fr.Element{}, err
	}
	return lay.commit(digits, salt, fieldInt64(min)), nil
}

// NewChunkAssignment returns a complete assignment of the (n, w) chunk
// circuit: the digits of values (exactly n, already padded), the salt,
// the bounds and the commitment. It fails unless min <= v <= max for every
// value and Width(min, max) <= w.
func NewChunkAssignment(n, w int, values []int64, min, max int64, salt fr.Element) (*Chunk, error) {
	lay, err := NewChunkLayout(n, w)
	if err != nil {
		return nil, err
	}
	if min > max {
		return nil, fmt.Errorf("circuits: chunk: min %d > max %d", min, max)
	}
	if got := Width(min, max); got > w {
		return nil, fmt.Errorf("circuits: chunk: bounds [%d, %d] need %d bits, the circuit has %d", min, max, got, w)
	}
	for i, v := range values {
		if v > max {
			return nil, fmt.Errorf("circuits: chunk: values[%d] = %d is above max %d", i, v, max)
		}
	}
	digits, err := lay.digits(values, min)
	if err != nil {
		return nil, err
	}
	minE := fieldInt64(min)
	return lay.assignment(digits, salt, lay.commit(digits, salt, minE), minE, fieldInt64(max)), nil
}

// digits returns the L base-2^b digits of each offset v_i - min, least
// significant first.
func (lay ChunkLayout) digits(values []int64, min int64) ([]fr.Element, error) {
	if len(values) != lay.N {
		return nil, fmt.Errorf("circuits: chunk: %d values, want %d", len(values), lay.N)
	}
	b, L := lay.LimbBits, lay.Limbs
	mask := uint64(1)<<b - 1
	out := make([]fr.Element, lay.N*L)
	for i, v := range values {
		if v < min {
			return nil, fmt.Errorf("circuits: chunk: values[%d] = %d is below min %d", i, v, min)
		}
		u := uint64(v) - uint64(min) // exact: 0 <= v-min < 2^64
		if bits.Len64(u) > lay.W {
			return nil, fmt.Errorf("circuits: chunk: values[%d] = %d is %d above min, more than %d bits", i, v, u, lay.W)
		}
		for k := range L {
			out[i*L+k].SetUint64(u >> uint(b*k) & mask) // b·k < w <= 64
		}
	}
	return out, nil
}

// commit computes the commitment from digits exactly as the circuit does,
// including for digits that a valid witness could not have (tests build
// rejected assignments with it).
func (lay ChunkLayout) commit(digits []fr.Element, salt, min fr.Element) fr.Element {
	b, L := lay.LimbBits, lay.Limbs
	var limbWeight [MaxChunkWidth]fr.Element // 2^(bk)
	for k := range L {
		limbWeight[k].SetBigInt(new(big.Int).Lsh(big.NewInt(1), uint(b*k)))
	}
	slotWeight := make([]fr.Element, lay.PerElement) // 2^(w·i)
	for i := range slotWeight {
		slotWeight[i].SetBigInt(new(big.Int).Lsh(big.NewInt(1), uint(lay.W*i)))
	}
	in := make([]fr.Element, 2, 2+lay.Elements)
	in[0], in[1] = salt, min
	var e, u, t fr.Element
	for i := range lay.N {
		u.SetZero()
		for k := range L {
			t.Mul(&digits[i*L+k], &limbWeight[k])
			u.Add(&u, &t)
		}
		slot := i % lay.PerElement
		if slot == 0 {
			e.SetZero()
		}
		u.Mul(&u, &slotWeight[slot])
		e.Add(&e, &u)
		if slot == lay.PerElement-1 || i == lay.N-1 {
			in = append(in, e)
		}
	}
	return SpongeHash(chunkIV(lay.N, lay.W), in)
}

// assignment returns the circuit assignment for the given digits.
func (lay ChunkLayout) assignment(digits []fr.Element, salt, commitment, min, max fr.Element) *Chunk {
	a := &Chunk{
		Digits: make([]frontend.Variable, len(digits)),
		Salt:   salt, Commitment: commitment, Min: min, Max: max,
		n: lay.N, w: lay.W,
	}
	for i := range digits {
		a.Digits[i] = digits[i]
	}
	return a
}

func fieldInt64(v int64) fr.Element {
	var e fr.Element
	e.SetInt64(v)
	return e
}
