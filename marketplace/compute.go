package marketplace

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/spec"
	"github.com/dxplabs/dxp/storage"
)

// ComputeRequest runs Op over Columns of every dataset of Grant, as the grantee From.
type ComputeRequest struct {
	From    string
	Grant   string
	Op      rights.Op
	Columns []string
	// Edges are a histogram's bucket edges in the column's units: bucket b counts the values in
	// [Edges[b], Edges[b+1]); they must sit on the column's frequency-table bin boundaries.
	Edges []string
	// Weights are a dot product's weights, one per row of the grant's datasets.
	Weights *Weights
	// Epsilon and Delta are the differential privacy to spend, in micro units; 0: an exact answer.
	Epsilon, Delta uint64
	// Progress, if set, receives a line when the computation changes stage.
	Progress func(line string)
}

// ComputeResult is a decrypted, exact answer.
type ComputeResult struct {
	Computation  string           `json:"computation"`
	Grant        string           `json:"grant"`
	Op           rights.Op        `json:"op"`
	Column       string           `json:"column"` // the columns, comma-separated
	Columns      []string         `json:"columns"`
	Datasets     []string         `json:"datasets"`
	Rows         uint64           `json:"rows"`
	Result       string           `json:"result"`
	Buckets      []Bucket         `json:"buckets,omitempty"`      // histogram
	Coefficients []Coefficient    `json:"coefficients,omitempty"` // regression: the intercept, then each feature
	Price        uint64           `json:"price"`
	Product      string           `json:"product,omitempty"`
	Participants []rights.Address `json:"participants,omitempty"`
	Disagreed    []rights.Address `json:"disagreed,omitempty"`
	Output       string           `json:"output_digest,omitempty"`
	// Noise added by the committee: the mechanism and the epsilon and delta the query spent.
	Mechanism string   `json:"mechanism,omitempty"`
	Epsilon   string   `json:"epsilon,omitempty"`
	Delta     string   `json:"delta,omitempty"`
	Height    int64    `json:"height"`
	Timings   []Timing `json:"timings"`
}

// MeanDecimals is the least number of decimal places a mean is printed with.
const MeanDecimals = 6

// Compute requests a computation, waits for the committee, and decrypts the answer with the
// buyer's RLWE secret key: SubmitComputation, then AwaitComputation. The chain refuses a request
// the grant does not cover; the refusal is returned as the error. When the participants'
// key-switch subsets disagree no answer is returned: Compute disputes the computation on chain
// (within its dispute window, naming the suspects, so the escrow is withheld until a regulator
// resolves it) and returns the *ShareDispute.
func (s *Session) Compute(ctx context.Context, req ComputeRequest) (*ComputeResult, error) {
	sub, err := s.SubmitComputation(ctx, req)
	if err != nil {
		return nil, err
	}
	return s.AwaitComputation(ctx, sub)
}

// SubmittedComputation is a computation request the chain committed, and what AwaitComputation
// needs to read its answer. Its exported fields are all it needs, so a caller that keeps them
// (the gateway, across a restart) can await the computation again.
type SubmittedComputation struct {
	ID     string // the chain's computation id
	Height int64  // the height the request was committed at
	From   string // the buyer's key name
	Grant  string
	Op     rights.Op
	// Columns are the columns as requested; WeightScale is a dot product's weights' scale.
	Columns     []string
	WeightScale uint32

	progress func(string)
	scales   []uint32 // the columns' scales, when read before the request
	timings  []Timing
}

// SubmitComputation refuses, before anything is escrowed, what the chain would refuse by spec's
// rules (see prepare), then submits the request signed by the buyer and returns once the chain
// committed it. A chain refusal is returned as its *rights.TxError.
func (s *Session) SubmitComputation(ctx context.Context, req ComputeRequest) (*SubmittedComputation, error) {
	progress := req.Progress
	if progress == nil {
		progress = func(string) {}
	}
	buyer, err := s.Key(req.From)
	if err != nil {
		return nil, err
	}
	if !req.Op.Known() { // refused before anything is escrowed
		return nil, fmt.Errorf("unknown op %q", req.Op)
	}
	msg, scales, err := s.prepare(ctx, req, true)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	receipt, err := s.submit(ctx, buyer, rights.Msg{RequestComputation: msg})
	if err != nil {
		return nil, err
	}
	sub := &SubmittedComputation{ID: receipt.ID, Height: receipt.Height, From: req.From, Grant: req.Grant, Op: req.Op,
		Columns: req.Columns, progress: progress, scales: scales}
	if req.Weights != nil {
		sub.WeightScale = req.Weights.Scale
	}
	sub.timings = append(sub.timings, Timing{"request (chain checks the grant, escrows the price)", time.Since(start).Seconds()})
	progress(fmt.Sprintf("computation %s accepted at height %d; waiting for the committee", receipt.ID, receipt.Height))
	return sub, nil
}

// AwaitComputation waits for the committee to answer a submitted computation and decrypts the
// answer with the buyer's RLWE secret key. A computation that ended without an answer (refused,
// expired, aborted) is an error saying so; on a key-switch dispute see Compute.
func (s *Session) AwaitComputation(ctx context.Context, sub *SubmittedComputation) (*ComputeResult, error) {
	progress := sub.progress
	if progress == nil {
		progress = func(string) {}
	}
	buyer, err := s.Key(sub.From)
	if err != nil {
		return nil, err
	}
	res := &ComputeResult{Computation: sub.ID, Grant: sub.Grant, Op: sub.Op, Column: strings.Join(sub.Columns, ","), Columns: sub.Columns,
		Timings: slices.Clone(sub.timings)}
	start := time.Now()
	c, err := s.waitComputation(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	res.Timings = append(res.Timings, Timing{"committee (evaluate, key-switch shares, on chain)", time.Since(start).Seconds()})
	if c.Status == rights.ComputationRefused {
		return nil, fmt.Errorf("computation %s was refused and charged, not refunded: %s", c.ID, c.Reason)
	}
	if c.Status != rights.ComputationCompleted {
		return nil, fmt.Errorf("computation %s %s and was refunded: %s", c.ID, c.Status, c.Reason)
	}
	res.Datasets, res.Rows, res.Price, res.Height, res.Product = c.Datasets, c.Rows, c.Escrow, c.Finished, c.Product
	res.Participants, res.Disagreed = c.Participants, c.Disagreed
	if res.Mechanism = spec.Mechanism(c.Epsilon, c.Delta); c.Epsilon > 0 {
		res.Epsilon = rights.FormatMicro(c.Epsilon)
		if c.Delta > 0 {
			res.Delta = rights.FormatMicro(c.Delta)
		}
	}

	if !c.Op.ByCommittee(c.Epsilon) { // the chain's own answer
		res.Result = new(big.Int).SetUint64(c.Rows).String()
		return res, nil
	}
	start = time.Now()
	values, err := s.open(ctx, buyer, c)
	var sd *ShareDispute
	if errors.As(err, &sd) {
		ev := sha256.New()
		ev.Write(c.Output[:])
		for _, p := range c.Shares {
			ev.Write(p.Digest[:])
		}
		ev.Write([]byte(sd.Error()))
		msg := rights.Msg{DisputeComputation: &rights.DisputeComputation{Computation: c.ID, Accused: sd.Suspects, Evidence: rights.Digest(ev.Sum(nil))}}
		if _, derr := s.submit(ctx, buyer, msg); derr != nil {
			return nil, fmt.Errorf("%w; disputing it failed: %v", err, derr)
		}
		sd.Disputed = true
		return nil, sd
	}
	if err != nil {
		return nil, err
	}
	res.Output = c.Output.String()
	res.Timings = append(res.Timings, Timing{"decrypt (aggregate shares, key switch, decrypt)", time.Since(start).Seconds()})
	scales := sub.scales
	if scales == nil { // the grant's datasets were not readable before the request
		if scales, err = s.columnScales(ctx, c); err != nil {
			return nil, err
		}
	}
	switch c.Op {
	case rights.OpCount:
		res.Result = values[0].String()
	case rights.OpHistogram:
		res.Buckets = histogramBuckets(c.Edges, values, scales[0])
		res.Result = formatBuckets(res.Buckets)
	case rights.OpRegression:
		beta, err := SolveRegression(values, c.Rows, c.Columns)
		if err != nil {
			return nil, fmt.Errorf("computation %s completed, but its regression has no solution: %w", c.ID, err)
		}
		res.Coefficients = regressionCoefficients(beta, c.Columns, scales)
		res.Result = formatRegression(c.Columns[len(c.Columns)-1], res.Coefficients)
	case rights.OpDot:
		res.Result = FormatValue(values[0], scales[0]+sub.WeightScale)
	default:
		res.Result = FormatValues(c.Op, values, c.Rows, scales[0])
	}
	return res, nil
}

// Quote is what a computation would cost and spend.
type Quote struct {
	Price    uint64   `json:"price"` // credits escrowed: the grant's price per use of each dataset
	Rows     uint64   `json:"rows"`
	Epsilon  uint64   `json:"epsilon"` // micro units
	Delta    uint64   `json:"delta"`
	Datasets []string `json:"datasets"`
	// Refused is why it would be refused, nil if it would not: a *rights.TxError with the
	// code the chain would refuse it with for the grant's state, op, columns, uses, budget and
	// holds (the checks a buyer meets most), or the error Compute would return before submitting
	// (spec's rules: arguments, overflow, product noise).
	Refused error `json:"-"`
}

// QuoteComputation says what req would cost and spend, and why it would be refused (Refused),
// with nothing submitted or uploaded. The error is a failure to quote at all.
func (s *Session) QuoteComputation(ctx context.Context, req ComputeRequest) (*Quote, error) {
	buyer, err := s.Key(req.From)
	if err != nil {
		return nil, err
	}
	q := &Quote{Epsilon: req.Epsilon, Delta: req.Delta, Datasets: []string{}}
	g, err := client.Get[rights.Grant](ctx, s.Chain, req.Grant)
	if errors.Is(err, rights.ErrNotFound) {
		q.Refused = &rights.TxError{Code: rights.CodeUnknownGrant, Log: fmt.Sprintf("no grant %s", req.Grant)}
		return q, nil
	}
	if err != nil {
		return nil, err
	}
	q.Datasets = g.Datasets
	for i, id := range g.Datasets {
		ds, err := client.Get[rights.Dataset](ctx, s.Chain, id)
		if err != nil {
			return nil, err
		}
		q.Rows += ds.Rows
		if i < len(g.Prices) {
			q.Price += g.Prices[i]
		}
	}
	refuse := func(code uint32, format string, args ...any) (*Quote, error) {
		q.Refused = &rights.TxError{Code: code, Log: fmt.Sprintf(format, args...)}
		return q, nil
	}
	switch {
	case g.Grantee != buyer.Address():
		return refuse(rights.CodeUnauthorized, "grant %s is not %s's", g.ID, req.From)
	case g.State != rights.GrantActive:
		return refuse(rights.CodeGrantState, "grant %s is %s, not active", g.ID, g.State)
	case !slices.Contains(g.Ops, req.Op):
		return refuse(rights.CodeOpNotGranted, "grant %s does not allow %s", g.ID, req.Op)
	case g.Used >= g.Uses:
		return refuse(rights.CodeNoUsesLeft, "grant %s has no uses left (%d of %d used)", g.ID, g.Used, g.Uses)
	case req.Epsilon > 0 && g.EpsilonSpent+req.Epsilon > g.Epsilon:
		return refuse(rights.CodeEpsilon, "epsilon %s is past what is left of grant %s's budget (%s of %s spent)",
			rights.FormatMicro(req.Epsilon), g.ID, rights.FormatMicro(g.EpsilonSpent), rights.FormatMicro(g.Epsilon))
	}
	for _, c := range req.Columns {
		if !slices.Contains(g.Columns, c) {
			return refuse(rights.CodeColumnNotGranted, "grant %s does not cover column %q", g.ID, c)
		}
	}
	targets := []struct {
		kind rights.HoldKind
		id   string
	}{{rights.HoldParty, string(buyer.Address())}, {rights.HoldGrant, g.ID}}
	for _, id := range g.Datasets {
		targets = append(targets, struct {
			kind rights.HoldKind
			id   string
		}{rights.HoldDataset, id})
	}
	for _, t := range targets {
		holds, err := s.Chain.HoldsOn(ctx, t.kind, t.id)
		if err != nil {
			return nil, err
		}
		if len(holds) > 0 {
			return refuse(rights.CodeFrozen, "%s %s is frozen by hold %s: %s", t.kind, t.id, holds[0].ID, holds[0].Reason)
		}
	}
	if !req.Op.Known() {
		q.Refused = fmt.Errorf("unknown op %q", req.Op)
	} else if _, _, err := s.prepare(ctx, req, false); err != nil {
		q.Refused = err
	}
	return q, nil
}

// prepare builds the request and refuses, before anything is escrowed, what the committee or the
// chain would refuse: histogram edges off the frequency tables' bins, weights that do not match
// the rows, and a query whose output, noise tail included, could overflow the plaintext modulus
// (spec.Query.CheckOverflow, the chain's rule). It uploads a dot product's
// weights sealed to the committee members. It returns the columns' scales when the grant's datasets are readable; when
// they are not (an unknown grant or column) it leaves the refusal to the chain, in its words.
// Without upload a dot product's weights are checked but not uploaded (a quote).
func (s *Session) prepare(ctx context.Context, req ComputeRequest, upload bool) (*rights.RequestComputation, []uint32, error) {
	msg := &rights.RequestComputation{Grant: req.Grant, Op: req.Op, Columns: req.Columns, Epsilon: req.Epsilon, Delta: req.Delta}
	if len(req.Edges) > 0 && !req.Op.TakesEdges() {
		return nil, nil, fmt.Errorf("a %s takes no bucket edges", req.Op)
	}
	if req.Weights != nil && !req.Op.TakesWeights() {
		return nil, nil, fmt.Errorf("a %s takes no weights", req.Op)
	}
	if req.Op.TakesEdges() && len(req.Edges) == 0 {
		return nil, nil, errors.New("a histogram needs bucket edges")
	}
	if req.Op.TakesWeights() && req.Weights == nil {
		return nil, nil, errors.New("a dot product needs weights, one per row")
	}
	g, err := client.Get[rights.Grant](ctx, s.Chain, req.Grant)
	if errors.Is(err, rights.ErrNotFound) {
		return msg, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var datasets []*rights.Dataset
	c := &rights.Computation{Op: req.Op, Columns: req.Columns, Datasets: g.Datasets, Epsilon: req.Epsilon, Delta: req.Delta}
	scales := make([]uint32, len(req.Columns))
	for _, id := range g.Datasets {
		ds, err := client.Get[rights.Dataset](ctx, s.Chain, id)
		if err != nil {
			return nil, nil, err
		}
		for i, name := range req.Columns {
			col := findColumn(ds, name)
			if col == nil {
				return msg, nil, nil // the chain refuses it
			}
			scales[i] = col.Scale
		}
		datasets = append(datasets, ds)
		c.Rows += ds.Rows
	}
	if lo, hi := req.Op.Columns(); len(req.Columns) < lo || len(req.Columns) > hi {
		return msg, nil, nil // the chain refuses the shape
	}
	switch {
	case req.Op == rights.OpHistogram:
		if msg.Edges, err = histogramEdges(datasets, req.Columns[0], req.Edges); err != nil {
			return nil, nil, err
		}
		c.Edges = msg.Edges
	case req.Op.FromFrequencies() && req.Op.ByCommittee(req.Epsilon): // a noisy count
		if _, _, _, _, err := pooledFrequencies(datasets, req.Columns[0]); err != nil {
			return nil, nil, err
		}
	case req.Op == rights.OpDot:
		if err := req.Weights.checkRows(datasets); err != nil {
			return nil, nil, err
		}
		msg.WeightBound = req.Weights.bound()
		c.WeightBound = msg.WeightBound
	}
	if req.Op.ByCommittee(req.Epsilon) {
		if err := s.checkOverflow(ctx, c); err != nil {
			return nil, nil, err
		}
		if err := s.checkProductNoise(ctx, datasets, req); err != nil {
			return nil, nil, err
		}
	}
	if req.Op == rights.OpDot && upload {
		obj, commitment, err := s.uploadWeights(ctx, datasets, req.Weights)
		if err != nil {
			return nil, nil, err
		}
		msg.Weights, msg.WeightsCommitment = []rights.Digest{obj}, commitment
	}
	return msg, scales, nil
}

// checkProductNoise refuses what the chain would refuse with CodeProductNoise: products over more
// ciphertexts than the committee can smudge the noise of (spec.CheckProductNoise).
func (s *Session) checkProductNoise(ctx context.Context, datasets []*rights.Dataset, req ComputeRequest) error {
	if spec.ProductTerms(req.Op, len(req.Columns)) == 0 {
		return nil
	}
	gen, err := client.Get[rights.Genesis](ctx, s.Chain, "")
	if err != nil {
		return fmt.Errorf("read the chain's genesis: %w", err)
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return fmt.Errorf("read the committee: %w", err)
	}
	var cts uint64
	for _, ds := range datasets {
		cts += uint64(len(findColumn(ds, req.Columns[0]).Ciphertexts))
	}
	if err := spec.CheckProductNoise(req.Op, len(req.Columns), cts, uint64(len(committee.Members)), gen.Params.ProductNoiseBudget); err != nil {
		return fmt.Errorf("%w: ask over fewer rows", err)
	}
	return nil
}

// checkOverflow refuses a query the chain would refuse, and the committee could not compute: one
// whose output, noise tail included, could overflow the plaintext modulus (spec's rule).
func (s *Session) checkOverflow(ctx context.Context, c *rights.Computation) error {
	dataset := func(ctx context.Context, id string) (*rights.Dataset, error) {
		return client.Get[rights.Dataset](ctx, s.Chain, id)
	}
	q, err := specQuery(ctx, dataset, c)
	if err != nil {
		return err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return err
	}
	q.Members = uint64(committee.Threshold)
	if err := mpc.CheckOverflow(q); err != nil {
		return fmt.Errorf("the committee would refuse this query: %w", err)
	}
	return nil
}

// FormatValues writes decrypted output slots as the op's answer in the column's units. A variance
// is the population variance (n·Σx² − (Σx)²)/n², exact as a rational and printed with at least
// MeanDecimals places; a standard deviation is its square root, to the same places. Noise (DP) can
// make a variance negative; its standard deviation is then printed as 0.
func FormatValues(op rights.Op, values []*big.Int, rows uint64, scale uint32) string {
	if op != rights.OpVariance && op != rights.OpStddev {
		return FormatResult(op, values[0], rows, scale)
	}
	n := new(big.Int).SetUint64(rows)
	num := new(big.Int).Mul(n, values[1])
	num.Sub(num, new(big.Int).Mul(values[0], values[0]))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(2*int64(scale)), nil)
	den.Mul(den, new(big.Int).Mul(n, n))
	variance := new(big.Rat).SetFrac(num, den)
	places := max(MeanDecimals, 2*int(scale))
	if op == rights.OpVariance {
		return variance.FloatString(places)
	}
	if variance.Sign() <= 0 {
		return new(big.Rat).FloatString(places)
	}
	// Enough bits that rounding to the printed places is exact for any int64-bounded column.
	f := new(big.Float).SetPrec(256).SetRat(variance)
	f.Sqrt(f)
	r, _ := f.Rat(nil)
	return r.FloatString(places)
}

// FormatResult writes a decrypted total in the column's units: a sum keeps the column's scale, a
// mean has at least MeanDecimals places (rounded half away from zero).
func FormatResult(op rights.Op, total *big.Int, rows uint64, scale uint32) string {
	switch op {
	case rights.OpMean:
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
		den.Mul(den, new(big.Int).SetUint64(rows))
		return new(big.Rat).SetFrac(total, den).FloatString(max(MeanDecimals, int(scale)))
	case rights.OpCount:
		return new(big.Int).SetUint64(rows).String()
	default:
		return FormatValue(total, scale)
	}
}

func (s *Session) waitComputation(ctx context.Context, id string) (*rights.Computation, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		c, err := client.Get[rights.Computation](ctx, s.Chain, id)
		if err != nil {
			return nil, err
		}
		if c.Status != rights.ComputationPending && c.Status != rights.ComputationSwitching {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("computation %s is still under way: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// open fetches the agreed output ciphertext and the participants' key-switch share objects (in
// participant order), and decrypts the op's output slots with the buyer's secret key, through
// mpc.OpenValues: every t-subset of the participants must decrypt to the same answer, or no answer
// is returned and the error names the suspected members (a *ShareDispute).
func (s *Session) open(ctx context.Context, buyer *Key, c *rights.Computation) ([]*big.Int, error) {
	if len(buyer.RLWESecret) == 0 {
		return nil, fmt.Errorf("key %q has no RLWE secret key to decrypt with", buyer.Name)
	}
	output, err := storage.GetBytes(ctx, s.Bucket, storage.Digest(c.Output))
	if err != nil {
		return nil, fmt.Errorf("fetch the output of computation %s: %w", c.ID, err)
	}
	var shares [][]byte
	for _, a := range c.Participants { // who evaluated the agreed output, in the chain's order
		i := slices.IndexFunc(c.Shares, func(p rights.Post) bool { return p.Member == a })
		if i < 0 {
			return nil, fmt.Errorf("computation %s has no key-switch share from participant %s", c.ID, a)
		}
		sh, err := storage.GetBytes(ctx, s.Bucket, storage.Digest(c.Shares[i].Digest))
		if err != nil {
			return nil, fmt.Errorf("fetch the key-switch share of member %s: %w", a, err)
		}
		shares = append(shares, sh)
	}
	if len(shares) == 0 {
		return nil, errors.New("no key-switch shares agree with the output")
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, fmt.Errorf("committee: %w", err)
	}
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	k, err := spec.Outputs(c.Op, len(c.Columns), len(c.Edges)-1)
	if err != nil {
		return nil, fmt.Errorf("computation %s: %w", c.ID, err)
	}
	values, err := mpc.OpenValues(params, buyer.RLWESecret, output, shares, int(committee.Threshold), k)
	var ve *mpc.VerifyError
	if errors.As(err, &ve) {
		d := &ShareDispute{Computation: c.ID, Certain: ve.Certain, Err: ve}
		for _, p := range ve.Suspects {
			d.Suspects = append(d.Suspects, c.Participants[p])
		}
		return nil, d
	}
	return values, err
}

// ShareDispute is a computation whose key-switch shares do not agree: its answer is refused.
// Suspects are the participants named by mpc.VerifyError (certainly the cheaters when Certain).
type ShareDispute struct {
	Computation string
	Suspects    []rights.Address
	Certain     bool
	Disputed    bool // Compute posted a DisputeComputation naming Suspects
	Err         *mpc.VerifyError
}

func (e *ShareDispute) Error() string {
	who := "one of"
	if e.Certain {
		who = "by"
	}
	s := fmt.Sprintf("computation %s: the answer is refused: its key-switch shares disagree, a wrong share was posted %s %s", e.Computation, who, joinAddresses(e.Suspects))
	if e.Disputed {
		s += "; disputed on chain, the escrow is withheld until a regulator resolves it"
	}
	return s
}

func (e *ShareDispute) Unwrap() error { return e.Err }

func joinAddresses(as []rights.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// columnScales are the scales of c's columns, as its first dataset declares them (the chain
// refuses datasets whose scales differ).
func (s *Session) columnScales(ctx context.Context, c *rights.Computation) ([]uint32, error) {
	ds, err := client.Get[rights.Dataset](ctx, s.Chain, c.Datasets[0])
	if err != nil {
		return nil, err
	}
	out := make([]uint32, len(c.Columns))
	for i, name := range c.Columns {
		col := findColumn(ds, name)
		if col == nil {
			return nil, fmt.Errorf("dataset %s has no column %q", ds.ID, name)
		}
		out[i] = col.Scale
	}
	return out, nil
}
