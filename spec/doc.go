// Package spec is what a DXP computation may be, written once: the ops, which arguments each
// takes and their limits, how many values its output holds and in which order, the overflow rule
// with its exact noise tail, and the differential-privacy limits. Every layer that decides
// whether a computation is admissible asks this package, so the chain never escrows a query the
// committee refuses, nor the reverse:
//
//	rights, mpc, marketplace, cmd -> spec
//
// spec imports nothing of DXP (only the standard library), and holds no state.
//
// # What it holds
//
//   - Op and its constants (rights.Op is an alias of spec.Op: the chain encodes an op as the
//     same CBOR text string), Ops, Op.Known.
//   - Arguments: Op.Columns (one column, or 2 to MaxRegressionColumns for a regression),
//     Op.TakesEdges (a histogram: 2 to MaxHistogramBuckets+1 edges, CheckEdges, on the column's
//     frequency-table bins, OnBin and BinSpan), Op.TakesWeights (a dot product, with a weight
//     bound of at least 1), CheckNoise (epsilon and delta in micro units, MicroUnit).
//   - Output layout: Layout and Outputs (how many values an op's output holds, in slot order;
//     mpc evaluates exactly these terms).
//   - Overflow: Query.MaxMagnitudes, Query.Sensitivities, NoiseTail and Query.CheckOverflow, in
//     exact integers and rationals. This is the chain's rule and the only one: the client refuses
//     before it asks what the chain would refuse, and mpc calibrates its noise to these
//     sensitivities.
//   - DP: the mechanisms (Laplace, Gaussian, Mechanism), MinShareVariance and the tail factors.
//
// # Call sequence
//
// A caller describes the request once and asks:
//
//	q := spec.Query{Op: spec.OpVariance, Rows: n, Columns: []spec.Bound{{Min: lo, Max: hi}},
//		Epsilon: 500_000, Members: threshold}
//	k, err := q.Outputs()                  // 2: Σx and Σx²
//	sens, err := q.Sensitivities()         // what one row can change, per output value
//	err = q.CheckOverflow(modulus)         // an *OverflowError (errors.Is spec.ErrOverflow) if
//	                                       // an output, noise tail included, could reach ⌊T/2⌋
//
// # The overflow rule
//
// The committee computes modulo the plaintext modulus T (odd, about 2^50), so a total is exact
// only while its magnitude stays below ⌊T/2⌋. A query is refused if, for an output value j,
//
//	MaxMagnitudes[j] + NoiseTail_j ≥ ⌊T/2⌋
//
// where MaxMagnitudes is n·M (sums), n·M_a·M_b (products, a dot product's with the weight bound),
// n (counts), M_a the larger magnitude of column a's declared bounds, and NoiseTail_j an upper
// bound, in exact rationals, of the magnitude the DP noise exceeds with probability below 2^-64
// (46·b for Laplace of scale b, 9.5·σ for Gaussian). Before this package, mpc kept a float copy
// that admitted a total of exactly ⌊T/2⌋ and used a tighter float tail; the chain's exact rule is
// now the only one.
package spec
