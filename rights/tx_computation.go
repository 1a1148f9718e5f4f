package rights

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/dxplabs/dxp/spec"
)

// colSpec is what requestComputation learned about one of its columns over every dataset.
type colSpec struct {
	name     string
	first    *Column // as declared by the first dataset
	min, max int64   // bounds over every dataset
	cts      int     // ciphertexts over every dataset
	// freq is the frequency table shape every dataset shares (the first's); noFreq names a
	// dataset whose column has no table, and freqDiffers one whose table differs from the first.
	freq                *FrequencyTable
	noFreq, freqDiffers string
}

// requestComputation checks a computation against its grant, the datasets' policies, the privacy
// budgets and the plaintext modulus, escrows the grant's prices and opens it. A count without
// noise is answered by the chain at once from the registered row counts.
func (x *exec) requestComputation(m *RequestComputation) (string, error) {
	g, err := x.grant(m.Grant)
	if err != nil {
		return "", err
	}
	if g.Grantee != x.sender {
		return "", refuse(CodeUnauthorized, "%s is not the grantee of grant %s", x.sender, g.ID)
	}
	if g.State == GrantExhausted {
		return "", refuse(CodeNoUsesLeft, "grant %s has no uses left (%d of %d used); it is exhausted", g.ID, g.Used, g.Uses)
	}
	if g.State != GrantActive {
		return "", refuse(CodeGrantState, "grant %s is %s, not active", g.ID, g.State)
	}
	if g.Expiry.Passed(x.b) {
		return "", refuse(CodeGrantState, "grant %s expired %s", g.ID, describeExpiry(g.Expiry))
	}
	if err := x.notFrozen(HoldGrant, g.ID, "grant "+g.ID); err != nil {
		return "", err
	}
	if !slices.Contains(g.Ops, m.Op) {
		return "", refuse(CodeOpNotGranted, "grant %s does not allow op %q (it allows %s)", g.ID, m.Op, joinOps(g.Ops))
	}
	if err := checkShape(m); err != nil {
		return "", err
	}
	for _, c := range m.Columns {
		if !slices.Contains(g.Columns, c) {
			return "", refuse(CodeColumnNotGranted, "grant %s does not cover column %q", g.ID, c)
		}
	}
	if g.Used >= g.Uses {
		return "", refuse(CodeNoUsesLeft, "grant %s has no uses left (%d of %d used)", g.ID, g.Used, g.Uses)
	}

	var (
		rows, escrow uint64
		prices       []uint64
		datasets     []*Dataset
		dp           = g.DPRequired
		cols         = make([]*colSpec, len(m.Columns))
	)
	for i, c := range m.Columns {
		cols[i] = &colSpec{name: c}
	}
	for i, id := range g.Datasets {
		d, err := x.usable(id)
		if err != nil {
			return "", err
		}
		if err := checkUse(d, []Op{m.Op}, m.Columns, g.Purpose); err != nil {
			return "", err
		}
		datasets = append(datasets, d)
		for _, cs := range cols {
			col := d.column(cs.name)
			if col == nil {
				return "", refuse(CodeSchemaMismatch, "column %q is not in dataset %s", cs.name, id)
			}
			if cs.first == nil {
				cs.first, cs.min, cs.max = col, col.Min, col.Max
			} else if col.Type != cs.first.Type || col.Scale != cs.first.Scale {
				return "", refuse(CodeSchemaMismatch, "column %q is %s with scale %d in %s but %s with scale %d in %s",
					cs.name, cs.first.Type, cs.first.Scale, g.Datasets[0], col.Type, col.Scale, id)
			}
			cs.min, cs.max = min(cs.min, col.Min), max(cs.max, col.Max)
			cs.cts += len(col.Ciphertexts)
			switch f := col.Frequencies; {
			case f == nil:
				if cs.noFreq == "" {
					cs.noFreq = id
				}
			case cs.freq == nil:
				cs.freq = f
			case (f.Min != cs.freq.Min || f.Bin != cs.freq.Bin) && cs.freqDiffers == "":
				cs.freqDiffers = id
			}
		}
		if rows+d.Rows < rows {
			return "", refuse(CodeOverflow, "the row count over the grant's datasets overflows")
		}
		rows += d.Rows
		price := d.Price // a grant approved before prices were fixed per grant
		if len(g.Prices) == len(g.Datasets) {
			price = g.Prices[i]
		}
		if escrow+price < escrow {
			return "", refuse(CodeInsufficientFunds, "the prices of the grant's datasets add up to more than any balance can hold")
		}
		escrow += price
		prices = append(prices, price)
		if d.Rows < d.Policy.MinRows {
			return "", refuse(CodePolicyRefused, "dataset %s has %d rows, and its policy requires an aggregate over at least %d of its own rows", d.ID, d.Rows, d.Policy.MinRows)
		}
		dp = dp || d.Policy.DPRequired
	}
	if err := checkPooling(datasets, x.sender); err != nil {
		return "", err
	}
	dp = dp || dpWhenPooled(datasets) != nil
	if err := x.checkEpsilon(m, g, datasets, dp); err != nil {
		return "", err
	}
	params, err := x.params()
	if err != nil {
		return "", err
	}
	var threshold uint64
	if m.Epsilon > 0 {
		committee, err := x.committee()
		if err != nil {
			return "", err
		}
		threshold = uint64(spec.Participants(len(committee.Members), int(committee.Threshold))) // the members that add noise shares
	}
	if err := checkOp(m, rows, cols, params.PlaintextModulus, threshold); err != nil {
		return "", err
	}
	byCommittee := m.Op != OpCount || m.Epsilon > 0
	if byCommittee {
		committee, err := x.committee()
		if err != nil {
			return "", err
		}
		if !committee.Ready {
			return "", refuse(CodeCommitteeNotReady, "the committee has not agreed its keys yet, so it cannot compute a %s", m.Op)
		}
		if err := spec.CheckProductNoise(m.Op, len(m.Columns), uint64(cols[0].cts), uint64(len(committee.Members)), params.ProductNoiseBudget); err != nil {
			return "", refuse(CodeProductNoise, "%v: ask over fewer rows", err)
		}
		requester, err := x.party(x.sender)
		if err != nil {
			return "", err
		}
		if requester.RLWEKey.IsZero() {
			return "", refuse(CodeMissingRLWEKey, "%s has no RLWE public key to receive the result under", x.sender)
		}
		for _, d := range datasets {
			if d.KeyEpoch != committee.Epoch {
				return "", refuse(CodeBadEpoch, "dataset %s is encrypted under key epoch %d, the committee is at epoch %d", d.ID, d.KeyEpoch, committee.Epoch)
			}
		}
	}
	requester, err := x.party(x.sender)
	if err != nil {
		return "", err
	}
	if requester.Balance < escrow {
		return "", refuse(CodeInsufficientFunds, "%s has %d credits but the computation costs %d", x.sender, requester.Balance, escrow)
	}

	id, err := x.newID("cp")
	if err != nil {
		return "", err
	}
	if old, err := x.s.Get(key(prefixComp, id)); err != nil {
		return "", err
	} else if old != nil {
		return "", refuse(CodeInternal, "computation id %s is already taken", id)
	}
	c := &Computation{
		ID:                id,
		Requester:         x.sender,
		Grant:             g.ID,
		Op:                m.Op,
		Columns:           m.Columns,
		Edges:             m.Edges,
		Weights:           m.Weights,
		WeightBound:       m.WeightBound,
		WeightsCommitment: m.WeightsCommitment,
		Epsilon:           m.Epsilon,
		Delta:             m.Delta,
		Datasets:          g.Datasets,
		Rows:              rows,
		Status:            ComputationPending,
		Escrow:            escrow,
		Deadline:          x.b.Height + params.ComputationDeadline,
		Requested:         x.b.Height,
		Prices:            prices,
	}
	g.Used++
	if m.Epsilon > 0 {
		g.EpsilonSpent += m.Epsilon
		for _, d := range datasets {
			d.EpsilonSpent += m.Epsilon
			if err := save(x.s, key(prefixDataset, d.ID), d); err != nil {
				return "", err
			}
		}
	}
	attrs := []Attr{{"op", string(c.Op)}}
	for _, col := range c.Columns {
		attrs = append(attrs, Attr{"column", col})
	}
	if c.Epsilon > 0 {
		attrs = append(attrs, Attr{"epsilon", FormatMicro(c.Epsilon)})
	}
	x.emit(Event{
		Action:      "request_computation",
		Parties:     []Address{x.sender},
		Datasets:    c.Datasets,
		Grant:       g.ID,
		Computation: id,
		Attrs:       attrs,
	})
	if err := x.pay(PaymentEscrow, c, x.sender, "", escrow); err != nil {
		return "", err
	}
	if err := x.setIndex(prefixCompByGrant, g.ID, id); err != nil {
		return "", err
	}
	if !byCommittee {
		if err := x.complete(c, g); err != nil {
			return "", err
		}
	} else {
		if err := x.s.Set(deadlineKey(c.Deadline, id), indexValue); err != nil {
			return "", err
		}
		if err := x.s.Set(pendingKey(g.ID, id), indexValue); err != nil {
			return "", err
		}
		if err := save(x.s, key(prefixComp, id), c); err != nil {
			return "", err
		}
	}
	if err := save(x.s, key(prefixGrant, g.ID), g); err != nil {
		return "", err
	}
	return id, nil
}

// checkShape refuses a request whose columns, edges, weights or delta do not fit its op (spec).
func checkShape(m *RequestComputation) error {
	bad := func(format string, args ...any) error {
		return refuse(CodeBadComputation, "a %s %s", m.Op, fmt.Sprintf(format, args...))
	}
	n := len(m.Columns)
	if lo, hi := m.Op.Columns(); n < lo || n > hi {
		if lo == hi {
			return bad("needs exactly one column, got %d", n)
		}
		return bad("needs %d to %d columns (x columns, then y), got %d", lo, hi, n)
	}
	for i, c := range m.Columns {
		if slices.Contains(m.Columns[:i], c) {
			return bad("names column %q twice", c)
		}
	}
	if !m.Op.TakesEdges() && len(m.Edges) > 0 {
		return bad("takes no bucket edges")
	}
	if !m.Op.TakesWeights() && (len(m.Weights) > 0 || m.WeightBound > 0 || !m.WeightsCommitment.IsZero()) {
		return bad("takes no weights")
	}
	switch err := spec.CheckNoise(m.Epsilon, m.Delta); err {
	case spec.ErrDeltaWithoutEpsilon:
		return bad("without noise (epsilon 0) takes no delta")
	case spec.ErrDeltaNotBelowOne:
		return bad("needs delta below 1, got %s", FormatMicro(m.Delta))
	}
	return nil
}

// checkEpsilon refuses a request that needs noise and has none, or that would spend past the
// grant's budget, a dataset's per-query limit or a dataset's total budget.
func (x *exec) checkEpsilon(m *RequestComputation, g *Grant, datasets []*Dataset, dp bool) error {
	e := m.Epsilon
	if e == 0 {
		if dp {
			for _, d := range datasets {
				if d.Policy.DPRequired {
					return refuse(CodeDPRequired, "dataset %s requires differential privacy, so the computation must spend epsilon", d.ID)
				}
			}
			if d := dpWhenPooled(datasets); d != nil {
				return refuse(CodeDPRequired, "dataset %s requires differential privacy when pooled with other datasets, so the computation must spend epsilon", d.ID)
			}
			return refuse(CodeDPRequired, "grant %s requires differential privacy, so the computation must spend epsilon", g.ID)
		}
		return nil
	}
	if g.Epsilon == 0 {
		return refuse(CodeEpsilon, "grant %s has no epsilon budget, so it cannot spend epsilon %s", g.ID, FormatMicro(e))
	}
	if g.EpsilonSpent+e > g.Epsilon || g.EpsilonSpent+e < e {
		return refuse(CodeEpsilon, "epsilon %s would take grant %s past its budget (%s of %s spent)", FormatMicro(e), g.ID, FormatMicro(g.EpsilonSpent), FormatMicro(g.Epsilon))
	}
	for _, d := range datasets {
		p := d.Policy
		if p.EpsilonPerQuery > 0 && e > p.EpsilonPerQuery {
			return refuse(CodeEpsilon, "epsilon %s is above dataset %s's per-query limit %s", FormatMicro(e), d.ID, FormatMicro(p.EpsilonPerQuery))
		}
		if p.EpsilonTotal > 0 && (d.EpsilonSpent+e > p.EpsilonTotal || d.EpsilonSpent+e < e) {
			return refuse(CodeEpsilon, "epsilon %s would take dataset %s past its budget (%s of %s spent)", FormatMicro(e), d.ID, FormatMicro(d.EpsilonSpent), FormatMicro(p.EpsilonTotal))
		}
	}
	return nil
}

// checkOp applies the op's own rules and spec's overflow rule (spec.Query.CheckOverflow): it
// refuses a query any of whose output values, noise tail included, could reach half the plaintext
// modulus T, where the encrypted result would wrap. A dot product needs a weight bound, one
// sealed weights object and a commitment to the weights (the members check them). A histogram needs edges spec.CheckEdges takes,
// on the column's frequency table's bin boundaries and within the bins that hold its values; it
// and a noisy count need every dataset's column to carry a frequency table of the same shape.
func checkOp(m *RequestComputation, rows uint64, cols []*colSpec, modulus, threshold uint64) error {
	c := cols[0]
	switch m.Op {
	case OpDot:
		if m.WeightBound == 0 {
			return refuse(CodeBadComputation, "a dot product needs a weight bound (the largest weight magnitude) of at least 1")
		}
		if len(m.Weights) != 1 || m.Weights[0].IsZero() {
			return refuse(CodeBadWeights, "a dot product needs exactly one weights object (the weights sealed to the committee members), got %d digests", len(m.Weights))
		}
		if m.WeightsCommitment.IsZero() {
			return refuse(CodeBadWeights, "a dot product needs the commitment to its weights, which the members check")
		}
	case OpHistogram:
		if err := spec.CheckEdges(m.Edges); err != nil {
			return refuse(CodeBadComputation, "%s", err)
		}
		if err := c.checkFrequencies(m.Op); err != nil {
			return err
		}
		if err := c.checkEdges(m.Edges); err != nil {
			return err
		}
	case OpCount:
		if m.Epsilon > 0 {
			if err := c.checkFrequencies(m.Op); err != nil {
				return err
			}
		}
	}
	if !m.Op.Known() {
		return nil // unreachable: a grant names known ops only
	}
	q := spec.Query{Op: m.Op, Rows: rows, Buckets: max(len(m.Edges)-1, 0), WeightBound: m.WeightBound,
		Epsilon: m.Epsilon, Delta: m.Delta, Members: threshold}
	for _, cs := range cols {
		q.Columns = append(q.Columns, cs.bound())
	}
	err := q.CheckOverflow(modulus)
	var oe *spec.OverflowError
	if err == nil {
		return nil
	} else if !errors.As(err, &oe) {
		return refuse(CodeBadComputation, "a %s %v", m.Op, err) // unreachable: checkShape and the cases above admit only shapes spec takes
	}
	noise := ""
	if oe.Noisy {
		noise = fmt.Sprintf(" plus a noise tail of %s", oe.Tail)
	}
	return refuse(CodeOverflow, "a %s over %d rows could reach %s (%s%s), not below half the plaintext modulus (%s), so the encrypted result could wrap",
		m.Op, rows, oe.Reach, describeOutput(m, cols, oe.Output), noise, oe.Half)
}

func (c *colSpec) bound() spec.Bound { return spec.Bound{Min: c.min, Max: c.max} }

// describe is column c's part of an overflow refusal.
func (c *colSpec) describe() string {
	return fmt.Sprintf("column %q with values up to %s in magnitude", c.name, c.bound().Magnitude())
}

// describeOutput says what output value j of m's layout (spec.Layout) sums, for an overflow
// refusal.
func describeOutput(m *RequestComputation, cols []*colSpec, j int) string {
	terms, err := spec.Layout(m.Op, len(cols), max(len(m.Edges)-1, 0))
	if err != nil || j >= len(terms) {
		return fmt.Sprintf("output %d", j)
	}
	switch t := terms[j]; t.Kind {
	case spec.Linear:
		return cols[t.A].describe()
	case spec.Product:
		switch m.Op {
		case OpDot:
			return fmt.Sprintf("%s times weights up to %d", cols[0].describe(), m.WeightBound)
		case OpRegression:
			a, b := cols[t.A], cols[t.B]
			return fmt.Sprintf("the products of columns %q and %q, up to %s and %s in magnitude", a.name, b.name, a.bound().Magnitude(), b.bound().Magnitude())
		default:
			return "the squares of " + cols[t.A].describe()
		}
	case spec.Bucket:
		return "bucket counts"
	default:
		return "the row count"
	}
}

// checkFrequencies refuses a histogram or noisy count over a column some dataset has no frequency
// table for, or whose datasets' tables differ in shape (the committee adds them slot by slot).
func (c *colSpec) checkFrequencies(op Op) error {
	if c.noFreq != "" {
		return refuse(CodeNoFrequencies, "column %q of dataset %s has no frequency table, so the committee cannot compute a %s over it", c.name, c.noFreq, describeOp(op))
	}
	if c.freqDiffers != "" {
		return refuse(CodeNoFrequencies, "the frequency tables of column %q differ in shape between datasets (dataset %s does not have min %d and bin %d), so they cannot be pooled", c.name, c.freqDiffers, c.freq.Min, c.freq.Bin)
	}
	return nil
}

func describeOp(op Op) string {
	if op == OpCount {
		return "noisy count"
	}
	return string(op)
}

// checkEdges refuses bucket edges off the frequency table's bin boundaries Min + k·Bin, or outside
// the bins that hold the column's values [min, max] (pooled over the datasets; spec.BinSpan).
func (c *colSpec) checkEdges(edges []int64) error {
	f := c.freq
	lo, hi := spec.BinSpan(f.Min, f.Bin, c.min, c.max)
	for _, e := range edges {
		if !spec.OnBin(e, f.Min, f.Bin) {
			return refuse(CodeBadEdges, "histogram edge %d of column %q is not on a bin boundary: its frequency table has bins of width %d from %d, so edges are %d plus a multiple of %d", e, c.name, f.Bin, f.Min, f.Min, f.Bin)
		}
		if be := big.NewInt(e); be.Cmp(lo) < 0 || be.Cmp(hi) > 0 {
			return refuse(CodeBadEdges, "histogram edge %d of column %q lies outside [%s, %s], the bins that hold its values [%d, %d]", e, c.name, lo, hi, c.min, c.max)
		}
	}
	return nil
}

// checkFrequencyTable refuses a registered column's frequency table that is malformed: a zero
// digest, a bin width that is not positive, or a value of [col.Min, col.Max] without a slot.
func checkFrequencyTable(col *Column, slots uint64) error {
	f := col.Frequencies
	if f == nil {
		return nil
	}
	if f.Table.IsZero() {
		return refuse(CodeBadDigests, "column %q frequency table digest is zero", col.Name)
	}
	if f.Bin <= 0 {
		return refuse(CodeBadFrequencies, "column %q frequency table has bin width %d; it must be positive", col.Name, f.Bin)
	}
	if f.Min > col.Min {
		return refuse(CodeBadFrequencies, "column %q frequency table starts at %d, above the column's minimum %d", col.Name, f.Min, col.Min)
	}
	last := new(big.Int).Sub(big.NewInt(col.Max), big.NewInt(f.Min))
	last.Quo(last, big.NewInt(f.Bin))
	if last.Cmp(new(big.Int).SetUint64(slots)) >= 0 {
		return refuse(CodeBadFrequencies, "column %q frequency table needs bin %s for the maximum %d, but a ciphertext has %d slots: widen the bin", col.Name, last, col.Max, slots)
	}
	return nil
}

// liveness says why a computation may take no more posts and may not complete now, or "" if it
// may: its grant, requester and datasets must still be live and unfrozen, judged on this block
// (a time expiry has passed once the block's time reaches it).
func (x *exec) liveness(c *Computation, g *Grant) (string, error) {
	if g.State != GrantActive {
		return fmt.Sprintf("grant %s is %s", g.ID, g.State), nil
	}
	if g.Expiry.Passed(x.b) {
		return fmt.Sprintf("grant %s expired %s", g.ID, describeExpiry(g.Expiry)), nil
	}
	checks := []struct {
		kind   HoldKind
		target string
	}{{HoldGrant, g.ID}, {HoldParty, string(c.Requester)}}
	for _, d := range c.Datasets {
		checks = append(checks, struct {
			kind   HoldKind
			target string
		}{HoldDataset, d})
	}
	for _, ch := range checks {
		h, err := x.holdOn(ch.kind, ch.target)
		if err != nil {
			return "", err
		}
		if h != nil {
			return fmt.Sprintf("%s %s is frozen by regulator hold %s (%s)", ch.kind, ch.target, h.ID, h.Reason), nil
		}
	}
	for _, id := range c.Datasets {
		d, err := x.dataset(id)
		if err != nil {
			return "", err
		}
		if d.Status != DatasetListed {
			return fmt.Sprintf("dataset %s is %s", id, d.Status), nil
		}
		if d.Policy.Expiry.Passed(x.b) {
			return fmt.Sprintf("the policy of dataset %s has expired (%s)", id, describeExpiry(d.Policy.Expiry)), nil
		}
	}
	return "", nil
}

// Liveness is the answer to /live/ID/HEIGHT/UNIX: whether computation ID would take a member's
// output or key-switch share in a block of that height and time, and if not, why.
type Liveness struct {
	Computation string
	Height      int64
	Time        int64 // unix seconds
	Live        bool
	Reason      string // why not, when not Live
}

// Liveness says whether computation id would take a member's post in block b: it is under way,
// b is within its deadline, and it is live (liveness). A member asks before it posts an output or
// puts a key-switch share in storage, for the next block at a time a little ahead of its clock, so
// that it does not hand out a share the chain would refuse and then refund. An unknown id wraps
// ErrNotFound.
func (l *Ledger) Liveness(id string, b Block) (*Liveness, error) {
	c, err := l.Computation(id)
	if err != nil {
		return nil, err
	}
	out := &Liveness{Computation: id, Height: b.Height, Time: b.Time.Unix()}
	x := &exec{s: l.Store, v: l.Verifier, c: l.Cache, b: b}
	switch {
	case c.Status != ComputationPending && c.Status != ComputationSwitching:
		out.Reason = fmt.Sprintf("computation %s is %s, no longer under way", id, c.Status)
	case b.Height > c.Deadline:
		out.Reason = fmt.Sprintf("computation %s takes posts until height %d", id, c.Deadline)
	default:
		g, err := x.grant(c.Grant)
		if err != nil {
			return nil, err
		}
		why, err := x.liveness(c, g)
		if err != nil {
			return nil, err
		}
		out.Reason = why
	}
	out.Live = out.Reason == ""
	return out, nil
}

// live returns c's grant if c is live in this block (liveness), and refuses a member's post for
// it otherwise: a computation that stopped being live takes no more outputs or key-switch shares.
func (x *exec) live(c *Computation) (*Grant, error) {
	g, err := x.grant(c.Grant)
	if err != nil {
		return nil, err
	}
	why, err := x.liveness(c, g)
	if err != nil {
		return nil, err
	}
	if why != "" {
		return nil, refuse(CodeNotLive, "computation %s is no longer live: %s", c.ID, why)
	}
	return g, nil
}

// complete marks c completed, issues its product to the requester, holds the escrow for the
// dispute window (settle releases each dataset's price to its holder at its end, tx_dispute.go;
// a count the chain answered has no shares to dispute and pays at once), and marks the grant
// exhausted when its last use completed. The caller saves g.
func (x *exec) complete(c *Computation, g *Grant) error {
	c.Status = ComputationCompleted
	c.Finished = x.b.Height
	if err := x.unindex(c); err != nil {
		return err
	}
	x.emit(Event{
		Action:      "complete_computation",
		Parties:     uniqueAddrs(append([]Address{c.Requester}, c.Participants...)),
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"op", string(c.Op)}},
	})
	if len(c.Participants) == 0 { // the chain's own answer (a count): no shares to dispute
		if err := x.release(c); err != nil {
			return err
		}
	} else if err := x.holdForDisputes(c); err != nil {
		return err
	}
	if err := x.issueProduct(c); err != nil {
		return err
	}
	if g.Used >= g.Uses {
		pending, err := indexed(x.s, prefixPendingBy, g.ID)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			g.State = GrantExhausted
			g.Updated = x.b.Height
			x.grantEvent("exhaust_grant", g, Attr{"uses", formatUint(g.Uses)})
		}
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

// issueProduct records the data product of a completed computation, held by its requester.
func (x *exec) issueProduct(c *Computation) error {
	id, err := x.newID("pd")
	if err != nil {
		return err
	}
	p := &Product{
		ID:          id,
		Holder:      c.Requester,
		Computation: c.ID,
		Grant:       c.Grant,
		Datasets:    c.Datasets,
		Op:          c.Op,
		Columns:     c.Columns,
		Rows:        c.Rows,
		Output:      c.Output,
		Issued:      x.b.Height,
	}
	c.Product = id
	if err := save(x.s, key(prefixProduct, id), p); err != nil {
		return err
	}
	if err := x.setIndex(prefixProductByHolder, string(p.Holder), id); err != nil {
		return err
	}
	x.emit(Event{Action: "issue_product", Parties: []Address{p.Holder}, Datasets: p.Datasets, Grant: p.Grant,
		Computation: c.ID, Attrs: []Attr{{"product", id}}})
	return nil
}

// refund ends a computation under way without a result (expired or aborted): the escrow goes back
// to the requester, and the use and the epsilon back to the grant (which the caller saves) and the
// datasets. An abort by the requester's own tx once the output was agreed is charged (forfeit).
func (x *exec) refund(c *Computation, g *Grant, status ComputationStatus, reason, action string) error {
	if status == ComputationAborted && x.sender != "" && x.sender == c.Requester && c.Status == ComputationSwitching {
		return x.forfeit(c, reason)
	}
	c.Status = status
	c.Finished = x.b.Height
	c.Reason = reason
	if g.Used > 0 {
		g.Used--
	}
	if c.Epsilon > 0 {
		g.EpsilonSpent -= min(g.EpsilonSpent, c.Epsilon)
		for _, id := range c.Datasets {
			d, err := x.dataset(id)
			if err != nil {
				return err
			}
			d.EpsilonSpent -= min(d.EpsilonSpent, c.Epsilon)
			if err := save(x.s, key(prefixDataset, id), d); err != nil {
				return err
			}
		}
	}
	if err := x.unindex(c); err != nil {
		return err
	}
	x.emit(Event{
		Action:      action,
		Parties:     []Address{c.Requester},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"reason", reason}},
	})
	if err := x.pay(PaymentRefund, c, "", c.Requester, c.Escrow); err != nil {
		return err
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

// forfeit ends, without a refund, a computation its own requester aborted (revoking its grant or
// retiring a dataset as a holder, freezing as a regulator) once its output was agreed: the key
// switch is under way, and the shares the members already made may be in storage, where the
// requester reads them, though the chain takes no more. The escrow goes to the datasets' holders
// and the use and the epsilon stay spent, as if it had completed, with no product.
func (x *exec) forfeit(c *Computation, reason string) error {
	c.Status = ComputationAborted
	c.Finished = x.b.Height
	c.Reason = reason + "; aborted by its requester after the output was agreed, so charged, not refunded"
	if err := x.unindex(c); err != nil {
		return err
	}
	x.emit(Event{
		Action:      "abort_computation",
		Parties:     []Address{c.Requester},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"reason", c.Reason}, {"charged", "true"}},
	})
	for i, id := range c.Datasets {
		d, err := x.dataset(id)
		if err != nil {
			return err
		}
		if err := x.pay(PaymentRelease, c, "", d.Holder, c.Prices[i]); err != nil {
			return err
		}
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

func (x *exec) unindex(c *Computation) error {
	if err := x.s.Delete(deadlineKey(c.Deadline, c.ID)); err != nil {
		return err
	}
	return x.s.Delete(pendingKey(c.Grant, c.ID))
}

// memberComputation loads a computation for a member's post, refusing non-members, unknown ids
// and posts after the deadline.
func (x *exec) memberComputation(id string) (*Computation, *Committee, error) {
	committee, err := x.committee()
	if err != nil {
		return nil, nil, err
	}
	if committee.member(x.sender) < 0 {
		return nil, nil, refuse(CodeUnauthorized, "%s is not a committee member", x.sender)
	}
	c, err := x.computation(id)
	if err != nil {
		return nil, nil, err
	}
	if c.Status != ComputationPending && c.Status != ComputationSwitching {
		return nil, nil, refuse(CodeComputationState, "computation %s is %s, no longer under way", c.ID, c.Status)
	}
	if x.b.Height > c.Deadline {
		return nil, nil, refuse(CodeDeadlinePassed, "computation %s took posts until height %d, this is height %d", c.ID, c.Deadline, x.b.Height)
	}
	return c, committee, nil
}

func posted(posts []Post, a Address) bool {
	return slices.ContainsFunc(posts, func(p Post) bool { return p.Member == a })
}

// submitOutput records a member's output digest. When spec.Participants members (2·Threshold − 1
// capped at the committee's size) posted the same digest, it is the computation's output, they
// are its participants, and it moves to switching. On a computation with DP noise the post must
// carry the digest of the member's noise dealing (kept on the Post, for the participants to open
// in the switch); without noise it must not.
func (x *exec) submitOutput(m *SubmitOutput) error {
	c, committee, err := x.memberComputation(m.Computation)
	if err != nil {
		return err
	}
	if _, err := x.live(c); err != nil {
		return err
	}
	if posted(c.Outputs, x.sender) {
		return refuse(CodeAlreadySubmitted, "%s already posted an output for computation %s", x.sender, c.ID)
	}
	if m.Output.IsZero() {
		return refuse(CodeBadDigests, "output digest is zero")
	}
	if c.Epsilon > 0 && m.Noise.IsZero() {
		return refuse(CodeNoNoise, "computation %s has DP noise, so an output post must carry the digest of the member's noise dealing", c.ID)
	}
	if c.Epsilon == 0 && !m.Noise.IsZero() {
		return refuse(CodeUnexpectedNoise, "computation %s has no DP noise, so an output post carries no noise dealing digest", c.ID)
	}
	c.Outputs = append(slices.Clip(c.Outputs), Post{Member: x.sender, Digest: m.Output, Height: x.b.Height, Noise: m.Noise})
	x.emit(Event{
		Action:      "submit_output",
		Parties:     []Address{x.sender},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"output", m.Output.String()}},
	})
	switch c.Status {
	case ComputationSwitching: // a late member: recorded for the audit
		if m.Output != c.Output {
			c.Disagreed = append(slices.Clip(c.Disagreed), x.sender)
		}
	case ComputationPending:
		var agree []Address
		for _, p := range c.Outputs {
			if p.Digest == m.Output {
				agree = append(agree, p.Member)
			}
		}
		if q := spec.Participants(len(committee.Members), int(committee.Threshold)); len(agree) >= q {
			c.Status = ComputationSwitching
			c.Output = m.Output
			c.Participants = agree[:q]
			for _, p := range c.Outputs {
				if p.Digest != m.Output {
					c.Disagreed = append(slices.Clip(c.Disagreed), p.Member)
				}
			}
			attrs := []Attr{{"output", m.Output.String()}}
			for _, a := range c.Disagreed {
				attrs = append(attrs, Attr{"disagreed", string(a)})
			}
			x.emit(Event{
				Action:      "agree_output",
				Parties:     c.Participants,
				Datasets:    c.Datasets,
				Grant:       c.Grant,
				Computation: c.ID,
				Attrs:       attrs,
			})
		}
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

// submitShare records a participant's key-switch share. When every participant posted, the
// computation completes and is charged: a share is taken only while the computation is live, so
// the block that accepts the last share, after which the buyer can combine them, is one in which
// the computation may complete. A computation that stops being live with shares missing is
// aborted and refunded by the action that ended it, or by EndBlock (expireGrants, expire).
func (x *exec) submitShare(m *SubmitShare) error {
	c, _, err := x.memberComputation(m.Computation)
	if err != nil {
		return err
	}
	g, err := x.live(c)
	if err != nil {
		return err
	}
	if c.Status != ComputationSwitching {
		return refuse(CodeComputationState, "computation %s has no agreed output yet, so it takes no key-switch shares", c.ID)
	}
	if !slices.Contains(c.Participants, x.sender) {
		return refuse(CodeNotParticipant, "%s is not a participant of computation %s (participants: %s)", x.sender, c.ID, joinAddrs(c.Participants))
	}
	if posted(c.Shares, x.sender) {
		return refuse(CodeAlreadySubmitted, "%s already posted a key-switch share for computation %s", x.sender, c.ID)
	}
	if m.Share.IsZero() {
		return refuse(CodeBadDigests, "key-switch share digest is zero")
	}
	c.Shares = append(slices.Clip(c.Shares), Post{Member: x.sender, Digest: m.Share, Height: x.b.Height})
	x.emit(Event{
		Action:      "submit_share",
		Parties:     []Address{x.sender},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"share", m.Share.String()}},
	})
	if len(c.Shares) < len(c.Participants) {
		return save(x.s, key(prefixComp, c.ID), c)
	}
	if err := x.complete(c, g); err != nil {
		return err
	}
	return save(x.s, key(prefixGrant, g.ID), g)
}

func joinAddrs(as []Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// expire refunds every computation under way whose deadline is below the block height.
func (x *exec) expire() error {
	due, err := dueEntries(x.s, prefixDeadline, x.b.Height-1, "deadline")
	if err != nil {
		return err
	}
	for _, e := range due {
		c, err := x.computation(e.id)
		if err != nil {
			return err
		}
		g, err := x.grant(c.Grant)
		if err != nil {
			return err
		}
		why := fmt.Sprintf("no output agreed by the committee by height %d", c.Deadline)
		if c.Status == ComputationPending {
			committee, err := x.committee()
			if err != nil {
				return err
			}
			var silent []Address
			for _, m := range committee.Members {
				if !posted(c.Outputs, m.Address) {
					silent = append(silent, m.Address)
				}
			}
			if len(silent) > 0 {
				why += "; no output from " + joinAddrs(silent)
			}
		}
		if c.Status == ComputationSwitching {
			var missing []Address
			for _, a := range c.Participants {
				if !posted(c.Shares, a) {
					missing = append(missing, a)
				}
			}
			why = fmt.Sprintf("key-switch shares missing by height %d from %s", c.Deadline, joinAddrs(missing))
		}
		if err := x.refund(c, g, ComputationExpired, why, "expire_computation"); err != nil {
			return err
		}
		if err := save(x.s, key(prefixGrant, g.ID), g); err != nil {
			return err
		}
	}
	return nil
}
