package mpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/spec"
)

// Output layouts. A single-valued output holds its value in every slot (sum, mean: Σx; dot: Σx·w;
// count: the number of rows; a histogram of one bucket: its count). A k-valued output (k ≥ 2) holds value j in slot j and
// zero in every slot from k on:
//
//	variance, stddev   [Σx, Σx²]
//	regression         columns z_0..z_d (the features, then the target): [Σz_0, ..., Σz_d,
//	                   then Σz_a·z_b for 0 ≤ a ≤ b ≤ d, row by row (a, then b)]; so XᵀX, Xᵀy
//	                   and yᵀy, and with the row count (a column of ones) the intercept terms
//	histogram          [count of bucket 0, ..., count of bucket B-1]
//
// The values and their order are spec.Layout's (spec.Outputs gives k); OpenValues returns slots
// 0..k-1. A Task's op is a spec.Op; a count without noise never reaches the committee (the chain
// answers it from the registered row counts).

// termKind is how one output value is computed before its inner sum.
type termKind int

const (
	termLinear       termKind = iota // Σ over rows of column a
	termProduct                      // Σ over rows of column a × column b
	termBucket                       // Σ of the summed frequency tables over bins [lo, hi)
	termPlainProduct                 // Σ over rows of column a × the buyer's plaintext weights (dot)
)

type term struct {
	kind   termKind
	a, b   int
	lo, hi int
}

// plan is a task's evaluation: its input columns (row-aligned ciphertext digests) and one term per
// output value. It depends only on the task, so every member computes the same plan, and the
// noise estimate is a function of it.
type plan struct {
	columns [][][32]byte
	r       int // ciphertexts per column: len(columns[0]), or a shape's for ProductNoiseBudget
	terms   []term
	// weights are a dot product's checked weights, one slot vector per ciphertext of column 0;
	// set by the member once it opened and checked them (dotWeights).
	weights [][]int64
}

func (p *plan) single() bool { return len(p.terms) == 1 }

func (p *plan) buildLevel() int {
	if p.single() {
		return singleBuildLevel
	}
	return multiBuildLevel
}

// chunks is the number of ciphertexts per column.
func (p *plan) chunks() int { return p.r }

// newPlan validates a task's shape and returns its plan.
func newPlan(t *Task, slots int) (*plan, error) {
	hasHist := t.Histogram != nil
	if hasHist != t.Op.FromFrequencies() {
		if hasHist {
			return nil, fmt.Errorf("op %q takes no histogram input", t.Op)
		}
		return nil, errors.New("histogram without its frequency tables")
	}
	if t.WeightsObject != ([32]byte{}) && !t.Op.TakesWeights() {
		return nil, fmt.Errorf("op %q takes no weights", t.Op)
	}
	p := &plan{}
	var bins [][2]int
	switch t.Op {
	case spec.OpSum, spec.OpMean, spec.OpVariance, spec.OpStddev, spec.OpRegression:
		if len(t.Columns) == 0 {
			return nil, fmt.Errorf("op %q takes input columns, got none", t.Op)
		}
		p.columns = t.Columns
	case spec.OpDot:
		if len(t.Columns) != 1 {
			return nil, fmt.Errorf("op %q takes 1 input column(s), got %d", t.Op, len(t.Columns))
		}
		if t.WeightsObject == ([32]byte{}) {
			return nil, fmt.Errorf("op %q without its weights object", t.Op)
		}
		if t.WeightBound == 0 {
			return nil, fmt.Errorf("op %q without a weight bound", t.Op)
		}
		// Input 1 of spec's dot term is the buyer's weights: plaintexts here, not a column.
		p.columns = [][][32]byte{t.Columns[0]}
	case spec.OpCount, spec.OpHistogram:
		// The request's one column comes as its frequency tables, not as input columns.
		if len(t.Columns) != 0 {
			return nil, fmt.Errorf("op %q takes 0 input column(s), got %d", t.Op, len(t.Columns))
		}
		h := t.Histogram
		if t.Op == spec.OpCount {
			if len(h.Edges) != 0 {
				return nil, fmt.Errorf("op %q takes no bucket edges", t.Op)
			}
			if len(h.Tables) == 0 {
				return nil, errors.New("count without frequency tables")
			}
		} else {
			var err error
			if bins, err = h.bins(slots); err != nil {
				return nil, err
			}
			if len(h.Tables) == 0 {
				return nil, errors.New("histogram without frequency tables")
			}
		}
		p.columns = [][][32]byte{h.Tables}
	default:
		return nil, fmt.Errorf("unsupported op %q", t.Op)
	}
	columns := len(t.Columns)
	if t.Op.FromFrequencies() {
		columns = 1
	}
	layout, err := spec.Layout(t.Op, columns, len(bins))
	if err != nil {
		return nil, fmt.Errorf("op %q over %d input columns: %w", t.Op, columns, err)
	}
	for _, v := range layout {
		switch v.Kind {
		case spec.Linear:
			p.terms = append(p.terms, term{kind: termLinear, a: v.A})
		case spec.Product:
			if t.Op == spec.OpDot {
				p.terms = append(p.terms, term{kind: termPlainProduct, a: v.A})
				continue
			}
			p.terms = append(p.terms, term{kind: termProduct, a: v.A, b: v.B})
		case spec.Bucket:
			p.terms = append(p.terms, term{kind: termBucket, lo: bins[v.A][0], hi: bins[v.A][1]})
		case spec.Count: // every value lies in one of the table's bins, so all of them count the rows
			p.terms = append(p.terms, term{kind: termBucket, lo: 0, hi: slots})
		}
	}
	if len(p.columns[0]) == 0 {
		return nil, errors.New("no input ciphertexts")
	}
	for i, c := range p.columns {
		if len(c) != len(p.columns[0]) {
			return nil, fmt.Errorf("input column %d has %d ciphertexts, column 0 has %d: columns must be row-aligned", i, len(c), len(p.columns[0]))
		}
	}
	p.r = len(p.columns[0])
	return p, nil
}

// HistogramInput is a histogram's input: the frequency tables of the datasets, all made with the
// same Min and Bin (EncryptFrequencies), and the buyer's bucket edges.
type HistogramInput struct {
	Tables [][32]byte // one frequency-table ciphertext per dataset
	Min    int64      // value of the lower edge of bin 0
	Bin    int64      // bin width, > 0
	// Edges are the bucket edges, strictly increasing, each Min plus a multiple of Bin: bucket b
	// counts the values in [Edges[b], Edges[b+1]). Bins outside the table (below Min, or from
	// Min + N·Bin on) hold no values.
	Edges []int64
}

// bins returns each bucket's range of table slots [lo, hi), clipped to [0, slots).
func (h *HistogramInput) bins(slots int) ([][2]int, error) {
	if h.Bin <= 0 {
		return nil, fmt.Errorf("histogram bin width %d is not positive", h.Bin)
	}
	if err := spec.CheckEdgeCount(len(h.Edges)); err != nil {
		return nil, err
	}
	idx := make([]int, len(h.Edges))
	for i, e := range h.Edges {
		if i > 0 && e <= h.Edges[i-1] {
			return nil, fmt.Errorf("histogram edges are not strictly increasing at edge %d", i)
		}
		// (e - Min) / Bin without int64 overflow.
		off, ok := sub64(e, h.Min)
		if !ok {
			return nil, fmt.Errorf("histogram edge %d is too far from the minimum %d", e, h.Min)
		}
		if off%h.Bin != 0 {
			return nil, fmt.Errorf("histogram edge %d is not the minimum %d plus a multiple of the bin width %d", e, h.Min, h.Bin)
		}
		idx[i] = int(max(0, min(off/h.Bin, int64(slots))))
	}
	out := make([][2]int, len(idx)-1)
	for b := range out {
		out[b] = [2]int{idx[b], idx[b+1]}
	}
	return out, nil
}

// sub64 returns a-b and whether it did not overflow.
func sub64(a, b int64) (int64, bool) {
	d := a - b
	return d, (b >= 0) == (d <= a)
}

// noise returns the estimated noise variance of the plan's output, checking at every step that
// the ciphertext still decrypts.
func (p *plan) noise(nm noiseModel) (float64, error) {
	lb := p.buildLevel()
	r := float64(p.chunks())
	vf := nm.input()
	var acc float64
	for j, t := range p.terms {
		var v float64
		degree := 1
		switch t.kind {
		case termLinear:
			v = r * vf
		case termProduct:
			v = r * nm.mulCt(vf, vf)
			degree = 2
		case termPlainProduct:
			v = r * nm.mulPlain(vf)
		case termBucket:
			v = nm.mulPlain(r * vf)
		}
		if err := nm.check(v, lb, fmt.Sprintf("term %d", j)); err != nil {
			return 0, err
		}
		v = nm.rescale(v, lb, degree)
		if degree == 2 {
			v = nm.relinearize(v, lb-1)
		}
		v = nm.innerSum(v, lb-1)
		if err := nm.check(v, lb-1, fmt.Sprintf("the inner sum of term %d", j)); err != nil {
			return 0, err
		}
		if p.single() {
			v = nm.rescale(v, lb-1, 1)
			return v, nm.check(v, outputLevel, "the last rescale")
		}
		v = nm.mulPlain(v)
		acc += v
	}
	if err := nm.check(acc, lb-1, "the slot masks"); err != nil {
		return 0, err
	}
	for l := lb - 1; l > outputLevel; l-- {
		acc = nm.rescale(acc, l, 1)
		if err := nm.check(acc, l-1, "a rescale"); err != nil {
			return 0, err
		}
	}
	return acc, nil
}

// noiseBound returns a bound on every coefficient of the output noise that holds whatever the
// owners chose within their proven ranges (noiseModel.freshBound), with the committee's own noise
// (rescale rounding, key switching) at its noiseTail·σ heuristic tail. It carries two parts
// through the plan: A, a worst-case bound on the part of the noise that depends on the inputs'
// noise, and v, the variance of the committee's part; the result is A + noiseTail·√v. The worst
// cases, with b the inputs' bound and coefficients summed over N terms in every ring product:
//
//	sum of r ciphertexts   r·b
//	ct × ct                N·T·b1·b2 + N·T/2·(b1 + b2) + N·T/4: the product's noise is
//	                       T·e1·e2 + m1·e2 + m2·e1 + k, with |m| ≤ T/2 and k the carry of
//	                       m1·m2 above T, |k| ≤ N·T/4
//	ct × plaintext         N·T·b + N·T/2 (the plaintext's coefficients are in [0, T))
//	rescale by q           A/q (its rounding is the committee's, in v)
//	inner sum              N·A, in the constant coefficient only: the sum over all N
//	                       automorphisms is the trace, which maps e to N·e_0 exactly
//	slot mask (multi)      T·A: a constant polynomial times a plaintext of coefficients below T
//
// The committee's part follows the variance model (noise). The two parts never multiply each
// other: the only ciphertext products are of fresh inputs, which carry no committee noise yet.
// Like noise, it refuses a plan at any step of which the bound would not decrypt, so an owner
// within its proven bounds cannot make the committee's result wrong either.
func (p *plan) noiseBound(nm noiseModel) (float64, error) {
	lb := p.buildLevel()
	r := float64(p.chunks())
	b := nm.freshBound()
	n, t := nm.n, nm.t
	q := func(level int) float64 { return math.Exp2(nm.logQ[level]) }
	var accA, accV float64
	for j, tm := range p.terms {
		var a float64
		degree := 1
		switch tm.kind {
		case termLinear:
			a = r * b
		case termProduct:
			a = r * (n*t*b*b + n*t*b + n*t/4)
			degree = 2
		case termPlainProduct:
			a = r * (n*t*b + n*t/2)
		case termBucket:
			a = n*t*r*b + n*t/2
		}
		if err := nm.checkBound(a, 0, lb, fmt.Sprintf("term %d", j)); err != nil {
			return 0, err
		}
		a /= q(lb)
		v := nm.round(degree)
		if degree == 2 {
			v = nm.relinearize(v, lb-1)
		}
		a *= n
		v = nm.innerSum(v, lb-1)
		if err := nm.checkBound(a, v, lb-1, fmt.Sprintf("the inner sum of term %d", j)); err != nil {
			return 0, err
		}
		if p.single() {
			a /= q(lb - 1)
			v = nm.rescale(v, lb-1, 1)
			return a + noiseTail*math.Sqrt(v), nm.checkBound(a, v, outputLevel, "the last rescale")
		}
		accA += t * a
		accV += nm.mulPlain(v)
	}
	if err := nm.checkBound(accA, accV, lb-1, "the slot masks"); err != nil {
		return 0, err
	}
	for l := lb - 1; l > outputLevel; l-- {
		accA /= q(l)
		accV = nm.rescale(accV, l, 1)
		if err := nm.checkBound(accA, accV, l-1, "a rescale"); err != nil {
			return 0, err
		}
	}
	return accA + noiseTail*math.Sqrt(accV), nil
}

// evaluator runs plans with one epoch's evaluation keys. Not safe for concurrent use.
type evaluator struct {
	params heint.Parameters
	eval   *heint.Evaluator
	ecd    *heint.Encoder

	// spare holds input ciphertexts whose rows the evaluation consumed, to decode the next
	// inputs into: a sum reads a 1.5 MB ciphertext per 16,384 rows, and decoding each into fresh
	// memory made most of a member's garbage (and, while the heap still grew, its page faults).
	spareMu sync.Mutex
	spare   []*rlwe.Ciphertext
}

// maxSpare bounds the spare input ciphertexts an evaluator keeps (1.5 MB each at LogN 14): the
// rows in flight, prefetchRows of them, of up to four columns.
const maxSpare = 4 * prefetchRows

// takeSpare returns a spare input ciphertext, or nil if there is none.
func (e *evaluator) takeSpare() *rlwe.Ciphertext {
	e.spareMu.Lock()
	defer e.spareMu.Unlock()
	n := len(e.spare)
	if n == 0 {
		return nil
	}
	ct := e.spare[n-1]
	e.spare = e.spare[:n-1]
	return ct
}

// putSpare keeps input ciphertexts the evaluation no longer reads, up to maxSpare.
func (e *evaluator) putSpare(cts []*rlwe.Ciphertext) {
	e.spareMu.Lock()
	defer e.spareMu.Unlock()
	for _, ct := range cts {
		if ct != nil && len(e.spare) < maxSpare {
			e.spare = append(e.spare, ct)
		}
	}
}

func newEvaluator(params heint.Parameters, evk rlwe.EvaluationKeySet) *evaluator {
	return &evaluator{params: params, eval: heint.NewEvaluator(params, evk), ecd: heint.NewEncoder(params)}
}

// loader returns the input ciphertext with this digest, at any level from minLevel up, decoded
// into into's memory (nil: fresh memory).
type loader func(ctx context.Context, d [32]byte, minLevel int, into *rlwe.Ciphertext) (*rlwe.Ciphertext, error)

// run evaluates p. The result depends only on the inputs and the keys: every member computes the
// same bytes (there is no randomness, and every step is exact modular arithmetic).
func (e *evaluator) run(ctx context.Context, p *plan, load loader) (*rlwe.Ciphertext, error) {
	lb := p.buildLevel()
	d := len(p.columns)
	needLinear := make([]bool, d)
	for _, t := range p.terms {
		switch t.kind {
		case termProduct:
		case termPlainProduct:
			if len(p.weights) != p.chunks() {
				return nil, fmt.Errorf("a dot product needs %d weight vectors, has %d", p.chunks(), len(p.weights))
			}
		default:
			needLinear[t.a] = true
		}
	}
	linear := make([]*rlwe.Ciphertext, d)
	for a := range d {
		if needLinear[a] {
			linear[a] = heint.NewCiphertext(e.params, 1, lb)
		}
	}
	products := make([]*rlwe.Ciphertext, len(p.terms))
	for j, t := range p.terms {
		switch t.kind {
		case termProduct:
			products[j] = heint.NewCiphertext(e.params, 2, lb)
		case termPlainProduct:
			products[j] = heint.NewCiphertext(e.params, 1, lb)
		}
	}
	prod := heint.NewCiphertext(e.params, 2, lb)
	var prodPlain, pt = (*rlwe.Ciphertext)(nil), (*rlwe.Plaintext)(nil)
	if p.weights != nil {
		prodPlain = heint.NewCiphertext(e.params, 1, lb)
		pt = heint.NewPlaintext(e.params, lb)
	}
	rows, stop := e.prefetch(ctx, p, load, lb)
	defer stop()
	for i := range p.chunks() {
		var r loaded
		select {
		case r = <-rows[i]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if r.err != nil {
			return nil, r.err
		}
		for a, ct := range r.cts {
			e.eval.DropLevel(ct, ct.Level()-lb)
			if linear[a] != nil {
				if err := e.eval.Add(linear[a], ct, linear[a]); err != nil {
					return nil, fmt.Errorf("add column %d ciphertext %d: %w", a, i, err)
				}
			}
		}
		for j, t := range p.terms {
			if t.kind == termPlainProduct {
				// ct × plaintext: no relinearization, and far less noise than ct × ct.
				if err := e.ecd.Encode(p.weights[i], pt); err != nil {
					return nil, fmt.Errorf("encode weights %d: %w", i, err)
				}
				if err := e.eval.Mul(r.cts[t.a], pt, prodPlain); err != nil {
					return nil, fmt.Errorf("multiply column %d by the weights, ciphertext %d: %w", t.a, i, err)
				}
				if err := e.eval.Add(products[j], prodPlain, products[j]); err != nil {
					return nil, fmt.Errorf("add product %d: %w", j, err)
				}
				continue
			}
			if t.kind != termProduct {
				continue
			}
			if err := e.eval.Mul(r.cts[t.a], r.cts[t.b], prod); err != nil {
				return nil, fmt.Errorf("multiply columns %d and %d, ciphertext %d: %w", t.a, t.b, i, err)
			}
			if err := e.eval.Add(products[j], prod, products[j]); err != nil {
				return nil, fmt.Errorf("add product %d: %w", j, err)
			}
		}
		r.release()
	}

	var acc *rlwe.Ciphertext
	for j, t := range p.terms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var ct *rlwe.Ciphertext
		switch t.kind {
		case termLinear:
			ct = linear[t.a]
		case termProduct, termPlainProduct:
			ct = products[j]
		case termBucket:
			mask, err := e.mask(lb, t.lo, t.hi)
			if err != nil {
				return nil, err
			}
			ct = heint.NewCiphertext(e.params, 1, lb)
			if err := e.eval.Mul(linear[0], mask, ct); err != nil {
				return nil, fmt.Errorf("bucket %d mask: %w", j, err)
			}
		}
		v, err := e.reduce(ct)
		if err != nil {
			return nil, fmt.Errorf("term %d: %w", j, err)
		}
		if p.single() {
			return e.rescale(v)
		}
		mask, err := e.mask(v.Level(), j, j+1)
		if err != nil {
			return nil, err
		}
		if err := e.eval.Mul(v, mask, v); err != nil {
			return nil, fmt.Errorf("term %d slot mask: %w", j, err)
		}
		if acc == nil {
			acc = v
		} else if err := e.eval.Add(acc, v, acc); err != nil {
			return nil, fmt.Errorf("add term %d: %w", j, err)
		}
	}
	for acc.Level() > outputLevel {
		var err error
		if acc, err = e.rescale(acc); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// prefetchRows is how many rows of input ciphertexts are fetched and decoded ahead of the
// evaluation, concurrently: storage reads are I/O and decoding is a third of a sum's work.
const prefetchRows = 4

// loaded is one row of input ciphertexts (one per column), or the error that stopped it.
// release hands the row's ciphertexts back for the next rows to be decoded into.
type loaded struct {
	cts     []*rlwe.Ciphertext
	err     error
	release func()
}

// prefetch loads the plan's rows ahead of their use, at most prefetchRows at a time, and returns
// one channel per row. The rows arrive in any order but are consumed in order, so the evaluation
// stays deterministic. stop cancels what is still loading.
func (e *evaluator) prefetch(ctx context.Context, p *plan, load loader, minLevel int) (rows []chan loaded, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	rows = make([]chan loaded, p.chunks())
	for i := range rows {
		rows[i] = make(chan loaded, 1) // never blocks a loader
	}
	slots := make(chan struct{}, prefetchRows)
	go func() {
		for i := range rows {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				r := loaded{cts: make([]*rlwe.Ciphertext, len(p.columns))}
				r.release = func() {
					e.putSpare(r.cts)
					<-slots
				}
				r.err = protect(func() error {
					for a := range p.columns {
						ct, err := load(ctx, p.columns[a][i], minLevel, e.takeSpare())
						if err != nil {
							return fmt.Errorf("input column %d ciphertext %d: %w", a, i, err)
						}
						r.cts[a] = ct
					}
					return nil
				})
				rows[i] <- r
			}()
		}
	}()
	return rows, cancel
}

// reduce rescales a term from its build level, relinearizes a product and sums all its slots.
func (e *evaluator) reduce(ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	r := heint.NewCiphertext(e.params, ct.Degree(), ct.Level()-1)
	if err := e.eval.Rescale(ct, r); err != nil {
		return nil, fmt.Errorf("rescale: %w", err)
	}
	if r.Degree() == 2 {
		lin := heint.NewCiphertext(e.params, 1, r.Level())
		if err := e.eval.Relinearize(r, lin); err != nil {
			return nil, fmt.Errorf("relinearize: %w", err)
		}
		r = lin
	}
	return innerSum(e.params, e.eval, r)
}

func (e *evaluator) rescale(ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	r := heint.NewCiphertext(e.params, ct.Degree(), ct.Level()-1)
	if err := e.eval.Rescale(ct, r); err != nil {
		return nil, fmt.Errorf("rescale: %w", err)
	}
	return r, nil
}

// mask is the plaintext with 1 in slots [lo, hi) and 0 elsewhere, at level, scale 1.
func (e *evaluator) mask(level, lo, hi int) (*rlwe.Plaintext, error) {
	v := make([]uint64, Slots(e.params))
	for i := lo; i < hi; i++ {
		v[i] = 1
	}
	pt := heint.NewPlaintext(e.params, level)
	if err := e.ecd.Encode(v, pt); err != nil {
		return nil, fmt.Errorf("encode mask: %w", err)
	}
	return pt, nil
}

// innerSum returns a ciphertext whose every slot holds the sum of all slots of ct. BGV slots form
// a 2 x N/2 matrix: InnerSum over N/2 columns sums each row (rotations by 1, 2, ..., N/4), then the
// row rotation adds the two rows.
func innerSum(params heint.Parameters, eval *heint.Evaluator, ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	rows := heint.NewCiphertext(params, 1, ct.Level())
	if err := eval.InnerSum(ct, 1, params.N()/2, rows); err != nil {
		return nil, fmt.Errorf("inner sum: %w", err)
	}
	swapped := heint.NewCiphertext(params, 1, ct.Level())
	if err := eval.RotateRows(rows, swapped); err != nil {
		return nil, fmt.Errorf("row rotation: %w", err)
	}
	if err := eval.Add(rows, swapped, rows); err != nil {
		return nil, fmt.Errorf("add rows: %w", err)
	}
	return rows, nil
}
