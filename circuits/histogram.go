package circuits

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
)

func init() {
	solver.RegisterHint(histogramBucketHint)
}

// HistogramSide says which half of the histogram check an [Input] proof
// carries: none (the plain input circuit), the column side (each chunk of
// the column) or the table side (the frequency table's ciphertext).
type HistogramSide int

const (
	HistogramOff    HistogramSide = iota // the plain input circuit
	HistogramColumn                      // a column chunk: exposes S_c
	HistogramTable                       // the frequency table: exposes S_T
)

// HistogramLayout is the histogram option of an [InputLayout]; its zero
// value is off. Build it with [InputLayout.WithHistogramColumn] or
// [InputLayout.WithHistogramTable].
//
// # What the two sides prove together
//
// A column is m chunks (one input proof each) whose real rows v_{c,i}
// (i < Rows_c) are committed in C_c; its frequency table is one input
// ciphertext whose slots h_k (k < N, 0 in padding slots) are committed in
// C_T; bucket k is [Min_h + k·Bin, Min_h + (k+1)·Bin) for k < K <= N. The
// verifier draws α = zk.HistogramChallenge(context, C_1..C_m, C_T, Min_h,
// Bin), verifies every chunk proof (column side) and the table proof
// (table side) with the same α, and checks Σ_c S_c = S_T in F_p
// (zk.VerifyHistogram). This accepts a table that is not the histogram of
// the committed values with probability at most (N−1)/p per α.
//
// Column side, per row i (all rows, padding included; padding rows hold
// Min, inside a bucket because [HistogramStatement.Check] requires Min_h
// <= Min and Max − Min_h < K·Bin). With d_i = (Min − Min_h) + offset_i,
// where offset_i = v_i − Min ∈ [0, 2^W) is the chunk's proven offset, the
// circuit witnesses b_i, r_i, s_i (and c_i when K is not a power of two)
// as B-bit digits, each digit looked up in {0..2^B−1} and the top digit
// once more shifted so that the number is below 2^bits, and checks
//
//	b_i ∈ [0, 2^kb), c_i ∈ [0, 2^kb), c_i = K − 1 − b_i   (kb = BucketBits)
//	r_i, s_i ∈ [0, 2^W),                r_i + s_i + 1 = Bin
//	b_i·Bin + r_i = d_i
//	(α − b_i)·t_i = sel_i,              Σ_i t_i = S_c.
//
// Every equality holds over Z, not only mod p: the three per-row
// equalities are asserted as terms known to be small integers, several
// per constraint (zeroBatch, whose doc gives the argument), with c_i + b_i
// − (K−1) ∈ (−2^kb, 2^(kb+1)); r_i + s_i + 1 − Bin ∈ (−2^W, 2^(W+1)) as
// Bin ∈ [1, 2^W] (Check); and b_i·Bin + r_i − d_i ∈ (−2^(kb+W), 2^(kb+W)),
// since b_i·Bin + r_i <= (2^kb − 1)·2^W + 2^W − 1 and 0 <= d_i <= Max −
// Min_h < K·Bin <= 2^(kb+W) (offset_i <= Max − Min by Chunk, the rest by
// Check). So b_i <= K − 1, r_i ∈ [0, Bin) and b_i = ⌊(v_i − Min_h)/Bin⌋ ∈
// [0, K) exactly (Euclidean division is
// unique). The verifier refuses α < N (Check), so α − b_i is a nonzero
// element of F_p (0 <= b_i < K <= N <= α < p) and t_i = sel_i/(α − b_i):
// 1/(α − b_i) for a real row, 0 for a padding row (sel_i is Input's
// padding selector). Without α >= N a padding row with b_i = α would let
// t_i be anything. The digits and the lookup multiplicities are committed
// in the root commitment before the lookup's challenge is derived from it
// (the lookup's own soundness, as in [Chunk]); α, Min_h, Bin and S_c are
// public inputs, bound by the Groth16 verification, and are not hashed
// into γ, so [InputStatement.PublicPrefix] and zk.InputChallenge are
// unchanged.
//
// Table side, per slot k < N: (α − k)·t_k = v_k with v_k Input's slot
// value (0 in padding slots) and Σ_k t_k = S_T; α >= N > k makes t_k =
// h_k/(α − k).
//
// The sum check. Let n_k = #{(c, i) : b_{c,i} = k}, at most the column's
// rows, 2^40 at the most. Then Σ_c S_c − S_T = F(α) with
//
//	F(X) = Σ_{c,i} 1/(X − b_{c,i}) − Σ_{k<N} h_k/(X − k) = Σ_{k<N} (n_k − h_k)/(X − k).
//
// Multiplying by Z(X) = Π_{k<N} (X − k) gives P(X) = Σ_k (n_k −
// h_k)·Π_{j≠k} (X − j), of degree at most N − 1, with P(k) = (n_k −
// h_k)·Π_{j≠k} (k − j), and Π_{j≠k} (k − j) ≠ 0 in F_p (each |k − j| < N <
// p). So P = 0 exactly when n_k ≡ h_k (mod p) for every k, and since |n_k
// − h_k| < 2^40 + 2^63 < p (a count is an int64 of the table's range),
// exactly when h_k = n_k over Z: the table is the histogram. Otherwise P
// has at most N − 1 roots and Z(α) ≠ 0 (α >= N), so F(α) = 0 with
// probability at most (N − 1)/p over α, which is below 2^-239 at N =
// 2^14. (Without the in-circuit bucket range, the poles would be the
// distinct b's and k's: (N_rows + K)/p <= (2^40 + 2^14)/p < 2^-213.) The
// bound needs every n_k and h_k fixed before α: the values are bound by
// the chunk commitments (the chunk proofs show the values they commit to
// and encrypt, Input's statement) and the counts by C_T, all hashed into
// α; an owner who grinds Q salts gets Q tries, Q·(N − 1)/p. Why C_T must be
// in α: knowing α first, the counts would be free subject to one linear
// equation Σ_k h_k/(α − k) = Σ_c S_c in K small unknowns, a knapsack a
// lattice attack may solve.
//
// Cost per row (measured, w = 32, two groups, K = N): the column side adds
// 13.59 constraints at N = 1,024 (limb bits 8: 11 lookups, one product,
// one division, a third of a batched equality, the table's 256
// divisions) and 12.33 at N = 16,384 (limb bits 14: 9 lookups, the table
// 1); the table side adds 1. At N = 16,384 the column side's circuit
// (about 72.6 per row, 1.19M constraints) no longer fits the plain input
// circuit's 2^20-point FFT domain (987,377 constraints) and needs 2^21.
type HistogramLayout struct {
	Side HistogramSide
	// Bins (K, column side) is the number of buckets: every real row's
	// bucket index b_i = ⌊(v_i − Min)/Bin⌋ lies in [0, K).
	Bins int
	// BucketBits (column side) is the width of b_i's range check,
	// max(1, bits.Len(K−1)); when K is not 2^BucketBits, K−1−b_i is
	// range-checked to the same width as well.
	BucketBits int
	// LimbBits is the digit width of the column side's range checks
	// (b_i, its complement, r_i and s_i); it minimises the number of
	// lookups plus the table size for (N, W, K).
	LimbBits int
}

// WithHistogramColumn returns lay with the column side of the histogram
// check: the proof also exposes S_c = Σ_{i<Rows} 1/(α − b_i) over the
// chunk's real rows, where b_i < bins is the row's bucket (see [Input]).
// bins (K) is at most N, the number of slots of the table's ciphertext.
func (lay InputLayout) WithHistogramColumn(bins int) (InputLayout, error) {
	if lay.Link == nil || lay.Chunk.N == 0 {
		return InputLayout{}, errors.New("circuits: histogram: the input layout is empty (use NewInputLayout)")
	}
	if bins < 1 || bins > lay.Chunk.N {
		return InputLayout{}, fmt.Errorf("circuits: histogram: %d bins, want 1 to %d (one slot each)", bins, lay.Chunk.N)
	}
	kb := max(1, bits.Len(uint(bins-1)))
	h := HistogramLayout{Side: HistogramColumn, Bins: bins, BucketBits: kb}
	best, bestCost := 0, 0
	for b := 1; b <= maxLimbBits; b++ {
		h.LimbBits = b
		cost := lay.Chunk.N*h.queriesPerRow(lay.Chunk.W) + 1<<b
		if best == 0 || cost < bestCost {
			best, bestCost = b, cost
		}
	}
	h.LimbBits = best
	lay.Histogram = h
	return lay, nil
}

// WithHistogramTable returns lay with the table side of the histogram
// check: the proof also exposes S_T = Σ_{k<N} h_k/(α − k), where h_k is
// slot k's value (0 in a padding slot).
func (lay InputLayout) WithHistogramTable() (InputLayout, error) {
	if lay.Link == nil || lay.Chunk.N == 0 {
		return InputLayout{}, errors.New("circuits: histogram: the input layout is empty (use NewInputLayout)")
	}
	lay.Histogram = HistogramLayout{Side: HistogramTable}
	return lay, nil
}

// complement reports whether K−1−b_i is range-checked too (K not a power
// of two).
func (h HistogramLayout) complement() bool { return h.Bins != 1<<h.BucketBits }

// queriesPerRow is how many lookups a column row costs for width w.
func (h HistogramLayout) queriesPerRow(w int) int {
	q := 2 * digitQueries(w, h.LimbBits) // r_i and s_i
	q += digitQueries(h.BucketBits, h.LimbBits)
	if h.complement() {
		q += digitQueries(h.BucketBits, h.LimbBits)
	}
	return q
}

// digitQueries is the number of lookups that prove x < 2^n with b-bit
// digits: one per digit, and the top digit once more, shifted, when b does
// not divide n.
func digitQueries(n, b int) int {
	q := ceilDiv(n, b)
	if n%b != 0 {
		q++
	}
	return q
}

// publicCount is how many public inputs the histogram part appends.
func (h HistogramLayout) publicCount() int {
	switch h.Side {
	case HistogramColumn:
		return 4 // α, Min, Bin, S_c
	case HistogramTable:
		return 2 // α, S_T
	}
	return 0
}

// HistogramStatement is the public part of a proof's histogram check,
// appended after the input statement and the evaluations in this order:
// column side Alpha, Min, Bin, Sum; table side Alpha, Sum.
type HistogramStatement struct {
	// Alpha is α, drawn after every value and count is committed
	// (zk.HistogramChallenge).
	Alpha fr.Element
	// Min and Bin (column side) are the table's bucket edges: bucket k is
	// [Min + k·Bin, Min + (k+1)·Bin).
	Min, Bin int64
	// Sum is S_c (column side) or S_T (table side).
	Sum fr.Element
}

// Public returns the statement's public inputs in the circuit's order.
func (h HistogramStatement) Public(lay InputLayout) []fr.Element {
	switch lay.Histogram.Side {
	case HistogramColumn:
		return []fr.Element{h.Alpha, fieldInt64(h.Min), fieldInt64(h.Bin), h.Sum}
	case HistogramTable:
		return []fr.Element{h.Alpha, h.Sum}
	}
	return nil
}

// Check refuses a histogram statement no proof of lay may be accepted for,
// given the input statement st of the same proof. Always: α < N (see
// [Input]: α − b must be nonzero for every index b < N, or a padding row's
// 1/(α − b) would be free). Column side: Bin < 1 or Bin > 2^W (the
// remainder's range check has W bits), Min above the column's st.Min (the
// padding rows hold st.Min and must fall in a bucket), and a column range
// [st.Min, st.Max] that does not fit in the K buckets. The last two are the
// chain's shape check of a frequency table; they keep every witnessed
// integer in the bounds [Input]'s argument needs.
func (h HistogramStatement) Check(lay InputLayout, st InputStatement) error {
	hl := lay.Histogram
	if hl.Side != HistogramColumn && hl.Side != HistogramTable {
		return errors.New("circuits: histogram: the layout has no histogram part")
	}
	var n fr.Element
	n.SetUint64(uint64(lay.Chunk.N))
	if h.Alpha.Cmp(&n) < 0 {
		return fmt.Errorf("circuits: histogram: α is below %d, a bucket index", lay.Chunk.N)
	}
	if hl.Side == HistogramTable {
		return nil
	}
	if h.Bin < 1 || uint64(h.Bin-1)>>uint(lay.Chunk.W) != 0 {
		return fmt.Errorf("circuits: histogram: bin width %d, want 1 to 2^%d", h.Bin, lay.Chunk.W)
	}
	if h.Min > st.Min {
		return fmt.Errorf("circuits: histogram: the table's min %d is above the column's %d", h.Min, st.Min)
	}
	span := new(big.Int).Sub(big.NewInt(st.Max), big.NewInt(h.Min))
	if span.Quo(span, big.NewInt(h.Bin)).Cmp(big.NewInt(int64(hl.Bins))) >= 0 {
		return fmt.Errorf("circuits: histogram: [%d, %d] does not fit in %d bins of width %d from %d", st.Min, st.Max, hl.Bins, h.Bin, h.Min)
	}
	return nil
}

// Bucket returns ⌊(v − min)/bin⌋, the bucket of v, or an error if v lies
// below min or in no bucket below bins.
func Bucket(v, min, bin int64, bins int) (int, error) {
	if bin < 1 {
		return 0, fmt.Errorf("circuits: histogram: bin width %d is not positive", bin)
	}
	d := new(big.Int).Sub(big.NewInt(v), big.NewInt(min))
	if d.Sign() < 0 {
		return 0, errors.New("circuits: histogram: a value lies below the table's min")
	}
	if d.Quo(d, big.NewInt(bin)); d.Cmp(big.NewInt(int64(bins))) >= 0 {
		return 0, fmt.Errorf("circuits: histogram: a value lies above the table's %d bins", bins)
	}
	return int(d.Int64()), nil
}

// HistogramColumnSum is the native counterpart of the column side:
// S_c = Σ_i 1/(α − b_i) over values (a chunk's real rows), b_i =
// Bucket(v_i, min, bin, bins). It refuses α below bins (see
// [HistogramStatement.Check]) and a value in no bucket.
func HistogramColumnSum(values []int64, min, bin int64, bins int, alpha fr.Element) (fr.Element, error) {
	var floor fr.Element
	floor.SetUint64(uint64(bins))
	if alpha.Cmp(&floor) < 0 {
		return fr.Element{}, errors.New("circuits: histogram: α is a bucket index")
	}
	denominators := make([]fr.Element, len(values))
	for i, v := range values {
		b, err := Bucket(v, min, bin, bins)
		if err != nil {
			return fr.Element{}, fmt.Errorf("%w (row %d)", err, i)
		}
		var be fr.Element
		be.SetUint64(uint64(b))
		denominators[i].Sub(&alpha, &be)
	}
	var s fr.Element
	for _, inv := range fr.BatchInvert(denominators) {
		s.Add(&s, &inv)
	}
	return s, nil
}

// HistogramTableSum is the native counterpart of the table side: S_T =
// Σ_k h_k/(α − k) over the table's counts (slot k holds counts[k]; missing
// slots are 0). It refuses α below len(counts).
func HistogramTableSum(counts []int64, alpha fr.Element) (fr.Element, error) {
	var floor fr.Element
	floor.SetUint64(uint64(len(counts)))
	if alpha.Cmp(&floor) < 0 {
		return fr.Element{}, errors.New("circuits: histogram: α is a slot index")
	}
	denominators := make([]fr.Element, len(counts))
	for k := range counts {
		var ke fr.Element
		ke.SetUint64(uint64(k))
		denominators[k].Sub(&alpha, &ke)
	}
	var s, term fr.Element
	for k, inv := range fr.BatchInvert(denominators) {
		h := fieldInt64(counts[k])
		term.Mul(&h, &inv)
		s.Add(&s, &term)
	}
	return s, nil
}

// NewHistogramAssignment is [InputLayout.NewAssignment] for a layout with
// a histogram part: it also sets the histogram's public inputs from h,
// with h.Sum replaced by the sum the values give (S_c of the real rows on
// the column side, S_T of the slots on the table side). It refuses what
// NewAssignment refuses, and a histogram statement [HistogramStatement.Check]
// refuses, without naming a value.
func (lay InputLayout) NewHistogramAssignment(values []int64, min, max int64, salt fr.Element, w EncryptionWitness, polys []GroupPolys, binding fr.Element, h HistogramStatement) (*Input, error) {
	st := InputStatement{Min: min, Max: max, Rows: len(values), Binding: binding}
	if err := st.Check(lay); err != nil {
		return nil, err
	}
	if err := h.Check(lay, st); err != nil {
		return nil, err
	}
	a, err := lay.newAssignment(values, min, max, salt, w, polys, binding)
	if err != nil {
		return nil, err
	}
	switch lay.Histogram.Side {
	case HistogramColumn:
		h.Sum, err = HistogramColumnSum(values, h.Min, h.Bin, lay.Histogram.Bins, h.Alpha)
	case HistogramTable:
		h.Sum, err = HistogramTableSum(values, h.Alpha)
	}
	if err != nil {
		return nil, err
	}
	a.SetHistogram(h)
	return a, nil
}

// SetHistogram sets the assignment's histogram public inputs to h as is
// (tests use it to claim another sum).
func (c *Input) SetHistogram(h HistogramStatement) {
	public := h.Public(c.lay)
	c.Histogram = make([]frontend.Variable, len(public))
	for i := range public {
		c.Histogram[i] = public[i]
	}
}

// HistogramSum returns the sum an assignment claims (S_c or S_T), or zero
// if it has no histogram part.
func (c *Input) HistogramSum() fr.Element {
	if len(c.Histogram) == 0 {
		return fr.Element{}
	}
	s, _ := c.Histogram[len(c.Histogram)-1].(fr.Element)
	return s
}

// defineHistogram emits the histogram part of [Input] (see its doc for
// the argument). sel are the padding selectors, offsets the rows' v_i −
// Min (as linear expressions of the chunk's digits) and values the slot
// values sel_i·(Min + offset_i).
func (c *Input) defineHistogram(api frontend.API, sel, offsets, values []frontend.Variable) error {
	hl, n := c.lay.Histogram, c.lay.Chunk.N
	if len(c.Histogram) != hl.publicCount() {
		return fmt.Errorf("circuits: histogram: %d public inputs, want %d", len(c.Histogram), hl.publicCount())
	}
	alpha := c.Histogram[0]
	terms := make([]frontend.Variable, n)
	switch hl.Side {
	case HistogramTable:
		// (α − k)·t_k = h_k: t_k = h_k/(α − k), since α >= N > k.
		for k := range n {
			terms[k] = api.DivUnchecked(values[k], api.Sub(alpha, k))
		}
		api.AssertIsEqual(sum(api, terms), c.Histogram[1])
		return nil
	case HistogramColumn:
	default:
		return errors.New("circuits: histogram: unknown side")
	}
	hmin, bin, claimed := c.Histogram[1], c.Histogram[2], c.Histogram[3]
	w, B, kb := c.lay.Chunk.W, hl.LimbBits, hl.BucketBits
	lb, lr := ceilDiv(kb, B), ceilDiv(w, B)
	perRow := 2*lr + lb
	if hl.complement() {
		perRow += lb
	}

	// d_i = v_i − Min_h = (Min − Min_h) + offset_i, for every row
	// (padding rows hold Min, inside a bucket by Check).
	shift := api.Sub(c.Chunk.Min, hmin)
	in := make([]frontend.Variable, 0, 5+n)
	in = append(in, B, kb, w, hl.Bins, bin)
	d := make([]frontend.Variable, n)
	for i := range n {
		d[i] = api.Add(shift, offsets[i])
		in = append(in, d[i])
	}
	digits, err := api.Compiler().NewHint(histogramBucketHint, n*perRow, in...)
	if err != nil {
		return fmt.Errorf("circuits: histogram: bucket hint: %w", err)
	}
	queries := make([]frontend.Variable, 0, n*hl.queriesPerRow(w))
	// number composes digits into a value below 2^bits and queues the
	// digits and, when B does not divide bits, the top digit shifted so
	// that it too must be below 2^B: the value is then below 2^bits.
	number := func(dg []frontend.Variable, bitsWide int) frontend.Variable {
		parts := make([]frontend.Variable, len(dg))
		for k, x := range dg {
			parts[k] = api.Mul(x, pow2(B*k))
		}
		queries = append(queries, dg...)
		if s := len(dg)*B - bitsWide; s > 0 {
			queries = append(queries, api.Mul(dg[len(dg)-1], pow2(s)))
		}
		return sum(api, parts)
	}
	zeros := &zeroBatch{api: api}
	for i := range n {
		row := digits[i*perRow : (i+1)*perRow]
		b := number(row[:lb], kb)
		r := number(row[lb:lb+lr], w)
		s := number(row[lb+lr:lb+2*lr], w)
		if hl.complement() { // c_i + b_i − (K−1) = 0, in (−2^kb, 2^(kb+1))
			zeros.add(api.Sub(api.Add(number(row[lb+2*lr:], kb), b), hl.Bins-1), kb+2)
		}
		// b_i·Bin + r_i − d_i = 0, in (−2^(kb+W), 2^(kb+W)); r_i + s_i +
		// 1 − Bin = 0, in (−2^W, 2^(W+1)).
		zeros.add(api.Sub(api.Add(api.Mul(b, bin), r), d[i]), kb+w+1)
		zeros.add(api.Sub(api.Add(r, s, 1), bin), w+2)
		terms[i] = api.DivUnchecked(sel[i], api.Sub(alpha, b))
	}
	zeros.flush()
	api.AssertIsEqual(sum(api, terms), claimed)

	// Every digit lies in [0, 2^B): a log-derivative lookup whose challenge
	// is derived from the root commitment, which covers the digits and the
	// multiplicities (and no public input of the histogram part).
	return assertInTable(api, queries, digits, B, "histogram")
}

// histogramBucketHint takes (B, kb, W, K, Bin, d_0, ..., d_{N-1}) and
// returns, per row, the B-bit digits of b = ⌊d/Bin⌋ (⌈kb/B⌋ digits), of r =
// d mod Bin and s = Bin−1−r (⌈W/B⌉ each) and, when K != 2^kb, of K−1−b. It
// never fails on a d outside the buckets: it returns low bits, and the
// constraints reject them.
func histogramBucketHint(field *big.Int, in, out []*big.Int) error {
	if len(in) < 5 {
		return errors.New("circuits: histogram bucket hint: malformed input")
	}
	for _, x := range in[:4] {
		if !x.IsUint64() || x.Uint64() > 1<<62 {
			return errors.New("circuits: histogram bucket hint: malformed input")
		}
	}
	B, kb, w, K := int(in[0].Uint64()), int(in[1].Uint64()), int(in[2].Uint64()), int(in[3].Uint64())
	bin := in[4]
	if B < 1 || B > maxLimbBits || kb < 1 || w < 1 || w > MaxChunkWidth || bin.Sign() == 0 || bin.BitLen() > MaxChunkWidth+1 {
		return errors.New("circuits: histogram bucket hint: malformed input")
	}
	lb, lr := ceilDiv(kb, B), ceilDiv(w, B)
	perRow := lb + 2*lr
	complement := K != 1<<kb
	if complement {
		perRow += lb
	}
	rows := in[5:]
	if len(out) != len(rows)*perRow {
		return errors.New("circuits: histogram bucket hint: malformed input")
	}
	mask := new(big.Int).Sub(pow2(B), big.NewInt(1))
	put := func(x *big.Int, dst []*big.Int) {
		t := new(big.Int).Mod(x, field)
		for k := range dst {
			dst[k].And(t, mask)
			t.Rsh(t, uint(B))
		}
	}
	b, r, s := new(big.Int), new(big.Int), new(big.Int)
	for i, d := range rows {
		b.QuoRem(d, bin, r)
		s.Sub(bin, r).Sub(s, big.NewInt(1))
		o := out[i*perRow : (i+1)*perRow]
		put(b, o[:lb])
		put(r, o[lb:lb+lr])
		put(s, o[lb+lr:lb+2*lr])
		if complement {
			put(s.Sub(big.NewInt(int64(K-1)), b), o[lb+2*lr:])
		}
	}
	return nil
}

// zeroBatch asserts that integers are zero, several per constraint. Each
// term t_j added with width σ_j must be known to be an integer in
// (−2^(σ_j−1), 2^(σ_j−1)) (as a field element, t_j or p − |t_j|). Terms
// are packed as Σ_j t_j·2^(s_j), s_0 = 0, s_(j+1) = s_j + σ_j, while the
// total width s_last + σ_last stays at most packBits (253), and the sum is
// asserted to be 0. Soundness: |Σ_j t_j·2^(s_j)| < Σ_j 2^(s_j+σ_j−1) <
// 2^253 < p, so the sum is 0 over Z, not only mod p; then t_0 ≡ 0 (mod
// 2^(σ_0)) with |t_0| < 2^(σ_0−1) gives t_0 = 0, and so on for each term
// (signed digits are unique). This is Chunk's batching with a width per
// term.
type zeroBatch struct {
	api   frontend.API
	terms []frontend.Variable
	shift int
}

func (z *zeroBatch) add(t frontend.Variable, width int) {
	if z.shift+width > packBits {
		z.flush()
	}
	z.terms = append(z.terms, z.api.Mul(t, pow2(z.shift)))
	z.shift += width
}

func (z *zeroBatch) flush() {
	if len(z.terms) > 0 {
		z.api.AssertIsEqual(sum(z.api, z.terms), 0)
	}
	z.terms, z.shift = z.terms[:0], 0
}
