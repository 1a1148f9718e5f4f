package spec

import (
	"fmt"
	"slices"
)

// Op is an aggregate a grant may allow and a computation runs. It encodes as its string (the
// chain's tx bytes carry it as a CBOR text string).
type Op string

// The ops.
const (
	OpSum        Op = "sum"
	OpMean       Op = "mean"
	OpCount      Op = "count"
	OpVariance   Op = "variance"
	OpStddev     Op = "stddev"
	OpHistogram  Op = "histogram"  // counts of a column's values between Edges
	OpRegression Op = "regression" // sufficient statistics (XᵀX, Xᵀy) over Columns, y last
	OpDot        Op = "dot"        // a column times buyer-supplied encrypted Weights
)

// Ops are every op, in the order they are documented.
var Ops = []Op{OpSum, OpMean, OpCount, OpVariance, OpStddev, OpHistogram, OpRegression, OpDot}

// Limits on a request's shape. They bound one computation's work: every output value costs the
// committee an inner sum (14 key switches) per member.
const (
	MaxRegressionColumns = 8  // features and target together
	MaxHistogramBuckets  = 64 // a histogram takes 2 to MaxHistogramBuckets+1 edges
)

// Known reports whether op is one of Ops.
func (op Op) Known() bool { return slices.Contains(Ops, op) }

// Columns returns how many columns op takes: 2 to MaxRegressionColumns for a regression (the
// features, then the target), exactly one for every other op (a histogram's and a count's through
// the column's frequency table, a dot product's beside the buyer's weights).
func (op Op) Columns() (min, max int) {
	if op == OpRegression {
		return 2, MaxRegressionColumns
	}
	return 1, 1
}

// TakesEdges reports whether op takes bucket edges: only a histogram does, and it needs them.
func (op Op) TakesEdges() bool { return op == OpHistogram }

// TakesWeights reports whether op takes weights and a weight bound: only a dot product does, and
// it needs them (a bound of at least 1).
func (op Op) TakesWeights() bool { return op == OpDot }

// FromFrequencies reports whether the committee computes op from the columns' frequency tables
// instead of their rows: a histogram, and a noisy count.
func (op Op) FromFrequencies() bool { return op == OpHistogram || op == OpCount }

// ByCommittee reports whether the committee computes op: every op but a count without noise,
// which the chain answers at once from the registered row counts.
func (op Op) ByCommittee(epsilon uint64) bool { return op != OpCount || epsilon > 0 }

// Disjoint reports whether one row changes at most one of op's output values (a histogram: a row
// falls in one bucket), so DP noise need not split the budget over them.
func (op Op) Disjoint() bool { return op == OpHistogram }

// CheckEdgeCount refuses a histogram of n edges unless 2 ≤ n ≤ MaxHistogramBuckets+1.
func CheckEdgeCount(n int) error {
	if n < 2 || n-1 > MaxHistogramBuckets {
		return fmt.Errorf("a histogram needs 2 to %d bucket edges (1 to %d buckets), got %d", MaxHistogramBuckets+1, MaxHistogramBuckets, n)
	}
	return nil
}

// CheckEdges refuses histogram edges of the wrong count (CheckEdgeCount) or not strictly
// increasing.
func CheckEdges(edges []int64) error {
	if err := CheckEdgeCount(len(edges)); err != nil {
		return err
	}
	for i, e := range edges {
		if i > 0 && e <= edges[i-1] {
			return fmt.Errorf("histogram edges must be strictly increasing, and %d follows %d", e, edges[i-1])
		}
	}
	return nil
}
