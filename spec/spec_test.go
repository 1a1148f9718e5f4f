package spec

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
)

// plaintextModulus is mpc.PlaintextModulus, the T the chain's genesis names (spec imports
// nothing of DXP, so it is written out here).
const plaintextModulus = 1125899908022273

func bigs(xs ...int64) []*big.Int {
	out := make([]*big.Int, len(xs))
	for i, x := range xs {
		out[i] = big.NewInt(x)
	}
	return out
}

func equalBigs(a, b []*big.Int) bool {
	return slices.EqualFunc(a, b, func(x, y *big.Int) bool { return x.Cmp(y) == 0 })
}

// TestOpArguments pins which arguments every op takes and their limits.
func TestOpArguments(t *testing.T) {
	want := []struct {
		op                                      Op
		minCols, maxCols                        int
		edges, weights, frequencies, disjoint   bool
		committeeExact, committeeNoisy, outputs bool
	}{
		{OpSum, 1, 1, false, false, false, false, true, true, true},
		{OpMean, 1, 1, false, false, false, false, true, true, true},
		{OpCount, 1, 1, false, false, true, false, false, true, true},
		{OpVariance, 1, 1, false, false, false, false, true, true, true},
		{OpStddev, 1, 1, false, false, false, false, true, true, true},
		{OpHistogram, 1, 1, true, false, true, true, true, true, true},
		{OpRegression, 2, 8, false, false, false, false, true, true, true},
		{OpDot, 1, 1, false, true, false, false, true, true, true},
	}
	if len(Ops) != len(want) {
		t.Fatalf("Ops = %v, want %d ops", Ops, len(want))
	}
	for i, w := range want {
		op := w.op
		if Ops[i] != op {
			t.Errorf("Ops[%d] = %q, want %q (the documented order)", i, Ops[i], op)
		}
		if !op.Known() {
			t.Errorf("%s.Known() = false", op)
		}
		if lo, hi := op.Columns(); lo != w.minCols || hi != w.maxCols {
			t.Errorf("%s.Columns() = %d, %d, want %d, %d", op, lo, hi, w.minCols, w.maxCols)
		}
		if got := op.TakesEdges(); got != w.edges {
			t.Errorf("%s.TakesEdges() = %v, want %v", op, got, w.edges)
		}
		if got := op.TakesWeights(); got != w.weights {
			t.Errorf("%s.TakesWeights() = %v, want %v", op, got, w.weights)
		}
		if got := op.FromFrequencies(); got != w.frequencies {
			t.Errorf("%s.FromFrequencies() = %v, want %v", op, got, w.frequencies)
		}
		if got := op.Disjoint(); got != w.disjoint {
			t.Errorf("%s.Disjoint() = %v, want %v", op, got, w.disjoint)
		}
		if got := op.ByCommittee(0); got != w.committeeExact {
			t.Errorf("%s.ByCommittee(0) = %v, want %v", op, got, w.committeeExact)
		}
		if got := op.ByCommittee(1); got != w.committeeNoisy {
			t.Errorf("%s.ByCommittee(1) = %v, want %v", op, got, w.committeeNoisy)
		}
	}
	if Op("median").Known() || Op("").Known() || Op("Sum").Known() {
		t.Error("an unknown op is Known")
	}
	if MaxRegressionColumns != 8 || MaxHistogramBuckets != 64 || MicroUnit != 1_000_000 {
		t.Errorf("limits %d columns, %d buckets, unit %d; want 8, 64, 1000000", MaxRegressionColumns, MaxHistogramBuckets, MicroUnit)
	}
}

func TestEdges(t *testing.T) {
	edges := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(10 * i)
		}
		return out
	}
	for _, tc := range []struct {
		edges []int64
		want  string
	}{
		{edges(2), ""},
		{edges(65), ""},
		{nil, "a histogram needs 2 to 65 bucket edges (1 to 64 buckets), got 0"},
		{edges(1), "a histogram needs 2 to 65 bucket edges (1 to 64 buckets), got 1"},
		{edges(66), "a histogram needs 2 to 65 bucket edges (1 to 64 buckets), got 66"},
		{[]int64{0, 10, 10}, "histogram edges must be strictly increasing, and 10 follows 10"},
		{[]int64{0, -1}, "histogram edges must be strictly increasing, and -1 follows 0"},
	} {
		err := CheckEdges(tc.edges)
		if got := fmt.Sprint(err); (err == nil) != (tc.want == "") || err != nil && got != tc.want {
			t.Errorf("CheckEdges(%d edges) = %v, want %q", len(tc.edges), err, tc.want)
		}
	}
	// Bins of width 26 from -100 hold [-100, 100] in [-100, 108]; edges are -100 + 26k.
	if lo, hi := BinSpan(-100, 26, -100, 100); lo.Int64() != -100 || hi.Int64() != 108 {
		t.Errorf("BinSpan(-100, 26, -100, 100) = [%s, %s], want [-100, 108]", lo, hi)
	}
	if lo, hi := BinSpan(0, 10, -5, 5); lo.Int64() != -10 || hi.Int64() != 10 {
		t.Errorf("BinSpan(0, 10, -5, 5) = [%s, %s], want [-10, 10] (bins below the table's start)", lo, hi)
	}
	for _, tc := range []struct {
		e    int64
		want bool
	}{{-100, true}, {4, true}, {108, true}, {-126, true}, {0, false}, {-99, false}} {
		if got := OnBin(tc.e, -100, 26); got != tc.want {
			t.Errorf("OnBin(%d, -100, 26) = %v, want %v", tc.e, got, tc.want)
		}
	}
}

func TestLayout(t *testing.T) {
	lin := func(a int) Term { return Term{Kind: Linear, A: a} }
	prod := func(a, b int) Term { return Term{Kind: Product, A: a, B: b} }
	for _, tc := range []struct {
		op               Op
		columns, buckets int
		want             []Term
	}{
		{OpSum, 1, 0, []Term{lin(0)}},
		{OpMean, 1, 0, []Term{lin(0)}},
		{OpCount, 1, 0, []Term{{Kind: Count}}},
		{OpVariance, 1, 0, []Term{lin(0), prod(0, 0)}},
		{OpStddev, 1, 0, []Term{lin(0), prod(0, 0)}},
		{OpDot, 1, 0, []Term{prod(0, 1)}},
		{OpHistogram, 1, 3, []Term{{Kind: Bucket, A: 0}, {Kind: Bucket, A: 1}, {Kind: Bucket, A: 2}}},
		{OpRegression, 2, 0, []Term{lin(0), lin(1), prod(0, 0), prod(0, 1), prod(1, 1)}},
		{OpRegression, 3, 0, []Term{lin(0), lin(1), lin(2), prod(0, 0), prod(0, 1), prod(0, 2), prod(1, 1), prod(1, 2), prod(2, 2)}},
	} {
		got, err := Layout(tc.op, tc.columns, tc.buckets)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Layout(%s, %d, %d) = %v, %v; want %v", tc.op, tc.columns, tc.buckets, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		op               Op
		columns, buckets int
		want             int
	}{
		{OpRegression, 8, 0, 44}, // 8 sums and 36 products
		{OpHistogram, 1, 1, 1},
		{OpHistogram, 1, 64, 64},
		{OpSum, 1, 7, 1}, // buckets are a histogram's only
	} {
		if k, err := Outputs(tc.op, tc.columns, tc.buckets); err != nil || k != tc.want {
			t.Errorf("Outputs(%s, %d, %d) = %d, %v; want %d", tc.op, tc.columns, tc.buckets, k, err, tc.want)
		}
	}
	for _, tc := range []struct {
		op               Op
		columns, buckets int
	}{
		{"median", 1, 0},
		{OpSum, 0, 0},
		{OpSum, 2, 0},
		{OpDot, 2, 0},
		{OpRegression, 1, 0},
		{OpRegression, 9, 0},
		{OpHistogram, 1, 0},
		{OpHistogram, 1, 65},
		{OpCount, 0, 0},
	} {
		if k, err := Outputs(tc.op, tc.columns, tc.buckets); err == nil {
			t.Errorf("Outputs(%s, %d, %d) = %d, want an error", tc.op, tc.columns, tc.buckets, k)
		}
	}
}

// TestQueryBounds pins, for every op over representative columns (M = 10, 3 and 2, 100 rows),
// the largest magnitudes, the sensitivities, the noise tails for Laplace (ε = 0.5) and Gaussian
// (ε = 0.5, δ = 10^-5, 2 members), and the overflow verdict just below and at the boundary.
func TestQueryBounds(t *testing.T) {
	a, b, c := Bound{Min: -10, Max: 5}, Bound{Min: 0, Max: 3}, Bound{Min: -2, Max: 2}
	for _, tc := range []struct {
		q                      Query
		mags, sens, lap, gauss []*big.Int
		firstMax               int // the first output of the largest magnitude
	}{
		{Query{Op: OpSum, Columns: []Bound{a}}, bigs(1000), bigs(10), bigs(920), bigs(942), 0},
		{Query{Op: OpMean, Columns: []Bound{a}}, bigs(1000), bigs(10), bigs(920), bigs(942), 0},
		{Query{Op: OpCount, Columns: []Bound{a}}, bigs(100), bigs(1), bigs(92), bigs(95), 0},
		{Query{Op: OpVariance, Columns: []Bound{a}}, bigs(1000, 10000), bigs(10, 100), bigs(1840, 18400), bigs(1332, 13319), 1},
		{Query{Op: OpStddev, Columns: []Bound{a}}, bigs(1000, 10000), bigs(10, 100), bigs(1840, 18400), bigs(1332, 13319), 1},
		// A histogram's buckets are disjoint: the budget is not split over them.
		{Query{Op: OpHistogram, Columns: []Bound{a}, Buckets: 3}, bigs(100, 100, 100), bigs(1, 1, 1), bigs(92, 92, 92), bigs(95, 95, 95), 0},
		{Query{Op: OpRegression, Columns: []Bound{b, c}}, bigs(300, 200, 900, 600, 400), bigs(3, 2, 9, 6, 4),
			bigs(1380, 920, 4140, 2760, 1840), bigs(632, 422, 1896, 1264, 843), 2},
		{Query{Op: OpDot, Columns: []Bound{a}, WeightBound: 3}, bigs(3000), bigs(30), bigs(2760), bigs(2826), 0},
	} {
		q := tc.q
		q.Rows = 100
		t.Run(string(q.Op), func(t *testing.T) {
			if k, err := q.Outputs(); err != nil || k != len(tc.mags) {
				t.Errorf("Outputs() = %d, %v; want %d", k, err, len(tc.mags))
			}
			if got, err := q.MaxMagnitudes(); err != nil || !equalBigs(got, tc.mags) {
				t.Errorf("MaxMagnitudes() = %v, %v; want %v", got, err, tc.mags)
			}
			if got, err := q.Sensitivities(); err != nil || !equalBigs(got, tc.sens) {
				t.Errorf("Sensitivities() = %v, %v; want %v", got, err, tc.sens)
			}
			if got, err := q.NoiseTails(); err != nil || !equalBigs(got, bigs(make([]int64, len(tc.mags))...)) {
				t.Errorf("NoiseTails() without epsilon = %v, %v; want zeros", got, err)
			}
			for _, n := range []struct {
				name           string
				epsilon, delta uint64
				want           []*big.Int
			}{{"laplace", 500_000, 0, tc.lap}, {"gaussian", 500_000, 10, tc.gauss}} {
				q := q
				q.Epsilon, q.Delta, q.Members = n.epsilon, n.delta, 2
				if got, err := q.NoiseTails(); err != nil || !equalBigs(got, n.want) {
					t.Errorf("%s NoiseTails() = %v, %v; want %v", n.name, got, err, n.want)
				}
			}

			// The boundary, exact: a modulus T whose ⌊T/2⌋ is the largest magnitude refuses,
			// one whose ⌊T/2⌋ is one more admits. An exact count is the chain's own answer:
			// nothing is encrypted, nothing refused.
			top := slices.MaxFunc(tc.mags, func(x, y *big.Int) int { return x.Cmp(y) }).Uint64()
			if err := q.CheckOverflow(2*top + 3); err != nil {
				t.Errorf("CheckOverflow(⌊T/2⌋ = max + 1) = %v, want nil", err)
			}
			err := q.CheckOverflow(2*top + 1)
			var oe *OverflowError
			switch {
			case !q.Op.ByCommittee(0):
				if err != nil {
					t.Errorf("CheckOverflow() of an exact %s = %v, want nil", q.Op, err)
				}
			case !errors.As(err, &oe) || !errors.Is(err, ErrOverflow):
				t.Errorf("CheckOverflow(⌊T/2⌋ = max) = %v, want an *OverflowError", err)
			case oe.Output != tc.firstMax || oe.Reach.Uint64() != top || oe.Half.Uint64() != top || oe.Tail.Sign() != 0 || oe.Noisy || oe.Op != q.Op || oe.Rows != 100:
				t.Errorf("CheckOverflow(⌊T/2⌋ = max) = %+v, want output %d reaching %d, no noise", oe, tc.firstMax, top)
			}
			// With noise, the tail counts: ⌊T/2⌋ = max + tail refuses, one more admits.
			noisy := q
			noisy.Epsilon, noisy.Members = 500_000, 2
			reach := new(big.Int).Add(tc.mags[tc.firstMax], tc.lap[tc.firstMax]).Uint64()
			for j := range tc.mags {
				reach = max(reach, new(big.Int).Add(tc.mags[j], tc.lap[j]).Uint64())
			}
			if err := noisy.CheckOverflow(2*reach + 3); err != nil {
				t.Errorf("noisy CheckOverflow(⌊T/2⌋ = reach + 1) = %v, want nil", err)
			}
			if err := noisy.CheckOverflow(2*reach + 1); !errors.As(err, &oe) || !oe.Noisy || oe.Reach.Uint64() != reach {
				t.Errorf("noisy CheckOverflow(⌊T/2⌋ = reach) = %v, want a refusal reaching %d", err, reach)
			}
		})
	}
}

// TestOverflowAtTheChainsModulus pins the rule at the real T: a total of exactly ⌊T/2⌋ is refused
// (mpc's float copy admitted it), one below is admitted, and a noise tail can tip a fitting total.
func TestOverflowAtTheChainsModulus(t *testing.T) {
	half := int64(plaintextModulus / 2)
	for _, tc := range []struct {
		name string
		q    Query
		ok   bool
	}{
		{"sum just below", Query{Op: OpSum, Rows: 1, Columns: []Bound{{Min: 0, Max: half - 1}}}, true},
		{"sum at the boundary", Query{Op: OpSum, Rows: 1, Columns: []Bound{{Min: -half, Max: 0}}}, false},
		{"two rows", Query{Op: OpSum, Rows: 2, Columns: []Bound{{Min: 0, Max: half / 2}}}, false},
		{"variance of 1000 rows of 2^20", Query{Op: OpVariance, Rows: 1000, Columns: []Bound{{Min: -(1 << 20), Max: 1 << 20}}}, false},
		// Values of magnitude 1 (sensitivity 1) and a Laplace tail of 46·1/1 at ε = 1.
		{"laplace tail fits", Query{Op: OpSum, Rows: uint64(half - 47), Columns: []Bound{{Min: -1, Max: 1}}, Epsilon: 1_000_000}, true},
		{"laplace tail at the boundary", Query{Op: OpSum, Rows: uint64(half - 46), Columns: []Bound{{Min: -1, Max: 1}}, Epsilon: 1_000_000}, false},
		{"fits without the tail", Query{Op: OpSum, Rows: uint64(half - 46), Columns: []Bound{{Min: -1, Max: 1}}}, true},
		// A count without noise is the chain's own answer: nothing to overflow.
		{"exact count", Query{Op: OpCount, Rows: 1 << 62, Columns: []Bound{{}}}, true},
		{"noisy count", Query{Op: OpCount, Rows: 1 << 62, Columns: []Bound{{}}, Epsilon: 1}, false},
	} {
		err := tc.q.CheckOverflow(plaintextModulus)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrOverflow) {
			t.Errorf("%s: CheckOverflow() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	if err := (Query{Op: OpSum, Rows: 1}).CheckOverflow(plaintextModulus); err == nil || errors.Is(err, ErrOverflow) {
		t.Errorf("CheckOverflow(no column) = %v, want a shape error", err)
	}
}

// TestNoiseTail pins the exact tail bound of both mechanisms.
func TestNoiseTail(t *testing.T) {
	for _, tc := range []struct {
		name           string
		s              int64
		k              int
		disjoint       bool
		epsilon, delta uint64
		members        uint64
		want           int64
	}{
		{"laplace", 10, 2, false, 500_000, 0, 2, 1840},                      // 46·10·2/0.5
		{"laplace disjoint", 1, 5, true, 100_000, 0, 2, 460},                // 46·1·1/0.1
		{"laplace ceiling", 1, 1, false, 3_000_000, 0, 2, 16},               // ⌈46/3⌉
		{"laplace tiny epsilon", 1 << 16, 1, false, 1, 0, 2, 3014656000000}, // 46·2^16·10^6
		// L ≤ 0.6932·17 for δ = 10^-5; σ² ≤ 2·(L+1) = 25.5688; ⌊√⌈90.25·σ²⌉⌋ + 1.
		{"gaussian", 1, 1, false, 1_000_000, 10, 2, 49},
		// The floor of 4 per member: σ² = 40 for 10 members.
		{"gaussian floor", 1, 1, false, 1_000_000, 10, 10, 61},
		{"gaussian large delta", 1, 1, false, 1_000_000, 999_999, 3, 33},
		{"no sensitivity", 0, 3, false, 1, 1, 5, 0},
	} {
		if got := NoiseTail(big.NewInt(tc.s), tc.k, tc.disjoint, tc.epsilon, tc.delta, tc.members); got.Int64() != tc.want || !got.IsInt64() {
			t.Errorf("%s: NoiseTail() = %s, want %d", tc.name, got, tc.want)
		}
	}
}

func TestNoise(t *testing.T) {
	for _, tc := range []struct {
		epsilon, delta uint64
		err            error
		mechanism      string
	}{
		{0, 0, nil, ""},
		{1, 0, nil, Laplace},
		{1, 1, nil, Gaussian},
		{500_000, 999_999, nil, Gaussian},
		{0, 1, ErrDeltaWithoutEpsilon, ""},
		{1, 1_000_000, ErrDeltaNotBelowOne, Gaussian},
	} {
		if err := CheckNoise(tc.epsilon, tc.delta); err != tc.err {
			t.Errorf("CheckNoise(%d, %d) = %v, want %v", tc.epsilon, tc.delta, err, tc.err)
		}
		if got := Mechanism(tc.epsilon, tc.delta); got != tc.mechanism {
			t.Errorf("Mechanism(%d, %d) = %q, want %q", tc.epsilon, tc.delta, got, tc.mechanism)
		}
	}
}

func TestProductNoise(t *testing.T) {
	for _, c := range []struct {
		op      Op
		columns int
		want    int
	}{{OpSum, 1, 0}, {OpDot, 1, 0}, {OpHistogram, 1, 0}, {OpCount, 1, 0}, {OpVariance, 1, 1}, {OpStddev, 1, 1},
		{OpRegression, 2, 3}, {OpRegression, 3, 6}, {OpRegression, MaxRegressionColumns, 36}, {OpRegression, MaxRegressionColumns + 1, 0}} {
		if got := ProductTerms(c.op, c.columns); got != c.want {
			t.Errorf("ProductTerms(%s, %d) = %d, want %d", c.op, c.columns, got, c.want)
		}
	}
	// budget 30000, 3 members, a 3-column regression (6 products): at most 30000/6/9 = 555 ciphertexts.
	if err := CheckProductNoise(OpRegression, 3, 555, 3, 30000); err != nil {
		t.Errorf("555 ciphertexts refused: %v", err)
	}
	if err := CheckProductNoise(OpRegression, 3, 556, 3, 30000); err == nil {
		t.Error("556 ciphertexts admitted")
	}
	if err := CheckProductNoise(OpSum, 1, 1<<60, 1000, 1); err != nil {
		t.Errorf("a sum refused: %v", err)
	}
	if err := CheckProductNoise(OpVariance, 1, 1, 1<<40, 1<<62); err == nil {
		t.Error("a committee of 2^40 members admitted")
	}
}
