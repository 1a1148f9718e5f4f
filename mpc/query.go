package mpc

import (
	"errors"
	"fmt"
	"math"
	"math/big"
)

// Bound is a column's declared value range, in its scaled integer units.
type Bound struct{ Min, Max int64 }

func (b Bound) abs() *big.Int {
	lo, hi := big.NewInt(b.Min), big.NewInt(b.Max)
	lo.Abs(lo)
	hi.Abs(hi)
	if lo.Cmp(hi) > 0 {
		return lo
	}
	return hi
}

// Query is a computation's shape, for the rules callers and the chain share with the committee:
// how many values the output holds, how large they can get, and how much one row can change them.
type Query struct {
	Op   string
	Rows uint64 // rows over all datasets
	// Columns are the input columns' bounds in Task.Columns order; for dot, the data column and
	// then the weights (as the buyer declares them). Unused for a histogram.
	Columns []Bound
	Buckets int // histogram: the number of buckets (a count has none)
	DP      *DP // nil: no noise
	Members int // active members (the threshold): the Gaussian noise's floor depends on it
}

// Outputs returns how many values the query's output holds (see the layouts in compute.go).
func (q Query) Outputs() (int, error) {
	cols := len(q.Columns)
	switch q.Op {
	case OpSum, OpMean:
		return q.wantColumns(1, 1)
	case OpCount:
		return 1, nil
	case OpDot:
		return q.wantColumns(2, 1)
	case OpVariance, OpStddev:
		return q.wantColumns(1, 2)
	case OpRegression:
		if cols < 2 || cols > MaxRegressionColumns {
			return 0, fmt.Errorf("mpc: %s takes 2 to %d columns, got %d", q.Op, MaxRegressionColumns, cols)
		}
		return cols + cols*(cols+1)/2, nil
	case OpHistogram:
		if q.Buckets < 1 || q.Buckets > MaxBuckets {
			return 0, fmt.Errorf("mpc: histogram takes 1 to %d buckets, got %d", MaxBuckets, q.Buckets)
		}
		return q.Buckets, nil
	}
	return 0, fmt.Errorf("mpc: unsupported op %q", q.Op)
}

// wantColumns returns k if the query has n column bounds.
func (q Query) wantColumns(n, k int) (int, error) {
	if len(q.Columns) != n {
		return 0, fmt.Errorf("mpc: %s takes %d column bound(s), got %d", q.Op, n, len(q.Columns))
	}
	return k, nil
}

// MaxMagnitudes returns, per output value, the largest absolute value it can take before noise,
// with M_a = max(|Min|, |Max|) of column a and n = Rows:
//
//	sum, mean           n·M_0
//	variance, stddev    n·M_0, n·M_0²
//	regression          n·M_a for every column a, then n·M_a·M_b for a ≤ b (the layout's order)
//	dot                 n·M_0·M_1 (data column, weights)
//	histogram           n per bucket
//	count               n
func (q Query) MaxMagnitudes() ([]*big.Int, error) {
	k, err := q.Outputs()
	if err != nil {
		return nil, err
	}
	n := new(big.Int).SetUint64(q.Rows)
	m := make([]*big.Int, len(q.Columns))
	for i, c := range q.Columns {
		if c.Min > c.Max {
			return nil, fmt.Errorf("mpc: column %d bounds [%d, %d] are empty", i, c.Min, c.Max)
		}
		m[i] = c.abs()
	}
	mul := func(xs ...*big.Int) *big.Int {
		r := new(big.Int).Set(n)
		for _, x := range xs {
			r.Mul(r, x)
		}
		return r
	}
	var out []*big.Int
	switch q.Op {
	case OpSum, OpMean:
		out = []*big.Int{mul(m[0])}
	case OpVariance, OpStddev:
		out = []*big.Int{mul(m[0]), mul(m[0], m[0])}
	case OpDot:
		out = []*big.Int{mul(m[0], m[1])}
	case OpRegression:
		for a := range m {
			out = append(out, mul(m[a]))
		}
		for a := range m {
			for b := a; b < len(m); b++ {
				out = append(out, mul(m[a], m[b]))
			}
		}
	case OpHistogram, OpCount:
		for range k {
			out = append(out, mul())
		}
	}
	return out, nil
}

// Sensitivities returns, per output value, how much adding or removing one row can change it:
// the MaxMagnitudes formulas with n = 1 (1 per histogram bucket, 1 for a count). A DP.Sensitivity the chain may
// use as is.
func (q Query) Sensitivities() ([]uint64, error) {
	one := q
	one.Rows = 1
	mags, err := one.MaxMagnitudes()
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(mags))
	for i, m := range mags {
		if !m.IsUint64() {
			return nil, fmt.Errorf("mpc: sensitivity of output %d, %s, does not fit 64 bits", i, m)
		}
		out[i] = m.Uint64()
	}
	return out, nil
}

// ErrOverflow is returned by CheckOverflow for a query whose result could wrap around the
// plaintext modulus.
var ErrOverflow = errors.New("mpc: the result could overflow the plaintext modulus")

// CheckOverflow refuses a query any of whose output values could reach T/2 in magnitude, where
// the result would wrap around: for every output j,
//
//	MaxMagnitudes[j] + tail_j ≤ (T − 1)/2
//
// with tail_j = 0 without DP, 46·b_j for Laplace noise of scale b_j and 9.5·σ_j for Gaussian noise
// of standard deviation σ_j (each exceeded with probability below 2^-64; b_j and σ_j as in DP).
// The chain applies the same rule before it accepts a request.
func (q Query) CheckOverflow() error {
	mags, err := q.MaxMagnitudes()
	if err != nil {
		return err
	}
	var noise dpNoise
	if q.DP != nil {
		if noise, err = q.DP.noise(len(mags), q.Op == OpHistogram, max(q.Members, 1)); err != nil {
			return err
		}
	}
	limit := new(big.Int).SetUint64((PlaintextModulus - 1) / 2)
	for j, m := range mags {
		total := new(big.Int).Set(m)
		if q.DP != nil {
			tail, _ := new(big.Float).SetFloat64(math.Ceil(noise.tail(j))).Int(nil)
			total.Add(total, tail)
		}
		if total.Cmp(limit) > 0 {
			return fmt.Errorf("%w: output %d of %s over %d rows can reach %s (noise tail included), above %s", ErrOverflow, j, q.Op, q.Rows, total, limit)
		}
	}
	return nil
}
