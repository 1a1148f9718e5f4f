package spec

import (
	"errors"
	"fmt"
	"math/big"
)

// Bound is a column's declared value range, in its scaled integer units.
type Bound struct{ Min, Max int64 }

// Magnitude is max(|Min|, |Max|).
func (b Bound) Magnitude() *big.Int {
	lo, hi := big.NewInt(b.Min), big.NewInt(b.Max)
	lo.Abs(lo)
	hi.Abs(hi)
	if lo.Cmp(hi) > 0 {
		return lo
	}
	return hi
}

// Query is a computation's shape as far as the rules need it: what the chain checks before it
// escrows a request, what a client checks before it asks, and what the committee calibrates its
// noise to.
type Query struct {
	Op   Op
	Rows uint64 // rows over every dataset
	// Columns are the columns' bounds in request order, pooled over the datasets (the smallest
	// Min and the largest Max).
	Columns     []Bound
	Buckets     int    // histogram: len(Edges) - 1
	WeightBound uint64 // dot: the largest weight magnitude
	// Epsilon and Delta are the differential privacy the request spends, in micro units
	// (MicroUnit): Epsilon 0 is no noise, Delta 0 with Epsilon > 0 Laplace noise, Delta > 0
	// Gaussian noise.
	Epsilon, Delta uint64
	Members        uint64 // the members that add noise (spec.Participants: the noise dealers); the Gaussian floor depends on it
}

// inputs are the magnitudes of the query's Layout inputs: the columns', then a dot product's
// weight bound.
func (q Query) inputs() []*big.Int {
	m := make([]*big.Int, 0, len(q.Columns)+1)
	for _, c := range q.Columns {
		m = append(m, c.Magnitude())
	}
	if q.Op == OpDot {
		m = append(m, new(big.Int).SetUint64(q.WeightBound))
	}
	return m
}

// Outputs returns how many values the query's output holds.
func (q Query) Outputs() (int, error) { return Outputs(q.Op, len(q.Columns), q.Buckets) }

// MaxMagnitudes returns, per output value in Layout order, the largest absolute value it can take
// before noise, with n = Rows and M_a the magnitude of input a (Bound.Magnitude, or WeightBound):
//
//	sum, mean           n·M_0
//	variance, stddev    n·M_0, n·M_0²
//	regression          n·M_a for every column a, then n·M_a·M_b for a ≤ b
//	dot                 n·M_0·WeightBound
//	histogram           n per bucket
//	count               n
func (q Query) MaxMagnitudes() ([]*big.Int, error) {
	return q.magnitudes(q.Rows)
}

// Sensitivities returns, per output value, how much adding or removing one row can change it:
// MaxMagnitudes with n = 1. The DP noise of output j is calibrated to Sensitivities[j].
func (q Query) Sensitivities() ([]*big.Int, error) {
	return q.magnitudes(1)
}

func (q Query) magnitudes(rows uint64) ([]*big.Int, error) {
	terms, err := Layout(q.Op, len(q.Columns), q.Buckets)
	if err != nil {
		return nil, err
	}
	in := q.inputs()
	out := make([]*big.Int, len(terms))
	for j, t := range terms {
		m := new(big.Int).SetUint64(rows)
		switch t.Kind {
		case Linear:
			m.Mul(m, in[t.A])
		case Product:
			m.Mul(m, in[t.A]).Mul(m, in[t.B])
		}
		out[j] = m
	}
	return out, nil
}

// NoiseTails returns, per output value, the magnitude its DP noise exceeds with probability below
// 2^-64 (NoiseTail), all zero without noise.
func (q Query) NoiseTails() ([]*big.Int, error) {
	sens, err := q.Sensitivities()
	if err != nil {
		return nil, err
	}
	out := make([]*big.Int, len(sens))
	for j, s := range sens {
		if q.Epsilon == 0 {
			out[j] = new(big.Int)
			continue
		}
		out[j] = NoiseTail(s, len(sens), q.Op.Disjoint(), q.Epsilon, q.Delta, q.Members)
	}
	return out, nil
}

// ErrOverflow is what an *OverflowError is.
var ErrOverflow = errors.New("spec: the result could overflow the plaintext modulus")

// OverflowError is CheckOverflow's refusal: output value Output of a query of Op over Rows rows
// could reach Reach, its largest magnitude plus Tail, which is not below Half = ⌊T/2⌋.
type OverflowError struct {
	Op          Op
	Rows        uint64
	Output      int
	Reach, Tail *big.Int
	Noisy       bool // the query adds noise (Tail may still be 0, for an output of sensitivity 0)
	Half        *big.Int
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("%v: output %d of %s over %d rows can reach %s (noise tail included), not below %s", ErrOverflow, e.Output, e.Op, e.Rows, e.Reach, e.Half)
}

func (e *OverflowError) Is(target error) bool { return target == ErrOverflow }

// CheckOverflow applies the overflow rule for a plaintext modulus T (odd): the committee computes
// modulo T, so a result is exact only while its magnitude stays below ⌊T/2⌋. It refuses, with an
// *OverflowError for the first output in Layout order that fails, a query with an output value j
// such that
//
//	MaxMagnitudes[j] + NoiseTails[j] ≥ ⌊T/2⌋
//
// Intermediate slot values may wrap; only the final totals matter. A count without noise
// passes: the chain answers it from the row counts, nothing is encrypted. This exact rule is the
// chain's verdict, which the client and the committee follow.
func (q Query) CheckOverflow(modulus uint64) error {
	if !q.Op.ByCommittee(q.Epsilon) {
		return nil
	}
	mags, err := q.MaxMagnitudes()
	if err != nil {
		return err
	}
	tails, err := q.NoiseTails()
	if err != nil {
		return err
	}
	half := new(big.Int).SetUint64(modulus / 2)
	for j, m := range mags {
		reach := new(big.Int).Add(m, tails[j])
		if reach.Cmp(half) >= 0 {
			return &OverflowError{Op: q.Op, Rows: q.Rows, Output: j, Reach: reach, Tail: tails[j], Noisy: q.Epsilon > 0, Half: half}
		}
	}
	return nil
}
