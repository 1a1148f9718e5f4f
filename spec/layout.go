package spec

import (
	"fmt"
	"math/big"
)

// TermKind is how one output value is computed from the inputs.
type TermKind int

const (
	Linear  TermKind = iota // Σ over rows of input A
	Product                 // Σ over rows of input A × input B
	Bucket                  // the number of rows whose value falls in bucket A
	Count                   // the number of rows
)

// Term is one output value. Inputs are the request's columns in order, and for a dot product
// then the buyer's weights (input 1).
type Term struct {
	Kind TermKind
	A, B int
}

// Layout returns the values of op's output in slot order, for a request over columns columns
// and, for a histogram, buckets buckets:
//
//	sum, mean          [Σx]
//	dot                [Σx·w]
//	variance, stddev   [Σx, Σx²]
//	regression         columns z_0..z_d (the features, then the target): [Σz_0, ..., Σz_d, then
//	                   Σz_a·z_b for 0 ≤ a ≤ b ≤ d, row by row (a, then b)]
//	histogram          [count of bucket 0, ..., count of bucket buckets-1]
//	count              [the number of rows]
//
// It refuses an unknown op, a column count op does not take (Op.Columns) and, for a histogram,
// a bucket count outside 1..MaxHistogramBuckets.
func Layout(op Op, columns, buckets int) ([]Term, error) {
	if !op.Known() {
		return nil, fmt.Errorf("spec: unknown op %q", op)
	}
	if lo, hi := op.Columns(); columns < lo || columns > hi {
		if lo == hi {
			return nil, fmt.Errorf("spec: a %s takes %d column, got %d", op, lo, columns)
		}
		return nil, fmt.Errorf("spec: a %s takes %d to %d columns, got %d", op, lo, hi, columns)
	}
	switch op {
	case OpSum, OpMean:
		return []Term{{Kind: Linear}}, nil
	case OpDot:
		return []Term{{Kind: Product, A: 0, B: 1}}, nil
	case OpVariance, OpStddev:
		return []Term{{Kind: Linear}, {Kind: Product}}, nil
	case OpRegression:
		var out []Term
		for a := range columns {
			out = append(out, Term{Kind: Linear, A: a})
		}
		for a := range columns {
			for b := a; b < columns; b++ {
				out = append(out, Term{Kind: Product, A: a, B: b})
			}
		}
		return out, nil
	case OpHistogram:
		if buckets < 1 || buckets > MaxHistogramBuckets {
			return nil, fmt.Errorf("spec: a histogram takes 1 to %d buckets, got %d", MaxHistogramBuckets, buckets)
		}
		out := make([]Term, buckets)
		for b := range out {
			out[b] = Term{Kind: Bucket, A: b}
		}
		return out, nil
	default: // OpCount
		return []Term{{Kind: Count}}, nil
	}
}

// Outputs returns how many values op's output holds (the length of its Layout).
func Outputs(op Op, columns, buckets int) (int, error) {
	l, err := Layout(op, columns, buckets)
	return len(l), err
}

// BinSpan returns the edges of the frequency-table bins (width bin from tableMin) that hold the
// values [lo, hi]: first is the lower edge of lo's bin, last the upper edge of hi's. A histogram's
// edges lie on bin boundaries (OnBin) within [first, last].
func BinSpan(tableMin, bin, lo, hi int64) (first, last *big.Int) {
	b, origin := big.NewInt(bin), big.NewInt(tableMin)
	first = new(big.Int).Sub(big.NewInt(lo), origin)
	first.Div(first, b).Mul(first, b).Add(first, origin)
	last = new(big.Int).Sub(big.NewInt(hi), origin)
	last.Div(last, b).Add(last, big.NewInt(1)).Mul(last, b).Add(last, origin)
	return first, last
}

// OnBin reports whether e is a bin boundary of a frequency table of width bin from tableMin:
// tableMin plus a multiple of bin.
func OnBin(e, tableMin, bin int64) bool {
	d := new(big.Int).Sub(big.NewInt(e), big.NewInt(tableMin))
	return d.Mod(d, big.NewInt(bin)).Sign() == 0
}
