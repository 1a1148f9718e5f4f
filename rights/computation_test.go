package rights

import (
	"slices"
	"strings"
	"testing"
)

// opsWorld adds a dataset with wide bounds (for the overflow rules) and a grant over it that
// allows every op on columns x, y and z, approved.
func opsWorld(t *testing.T) (*world, string, string) {
	w := newWorld(t, 2)
	const rows = 1000
	wide := w.list("buyer2", Msg{RegisterDataset: listing("wide", rows, 1,
		column("x", TypeInteger, 0, -(1<<20), 1<<20, rows),
		withFrequencies(column("y", TypeInteger, 0, -100, 100, rows), -100, 26), // 8 bins: [-100, 108)
		column("z", TypeDecimal, 2, 0, 1000, rows))})
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{wide}, Ops: Ops, Columns: []string{"x", "y", "z"}, Uses: 100, Epsilon: 5_000_000}})
	w.ok("buyer2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	return w, wide, g
}

func TestComputationOps(t *testing.T) {
	w, wide, g := opsWorld(t)
	req := func(op Op, cols ...string) *RequestComputation {
		return &RequestComputation{Grant: g, Op: op, Columns: cols}
	}
	msg := func(r *RequestComputation) Msg { return Msg{RequestComputation: r} }
	weights := func(n int) []Digest {
		out := make([]Digest, n)
		for i := range out {
			out[i] = digestOf("w" + string(rune('a'+i)))
		}
		return out
	}
	wcommit := digestOf("weights commitment")
	with := func(r *RequestComputation, f func(*RequestComputation)) Msg { f(r); return msg(r) }

	// Accepted shapes.
	for name, m := range map[string]Msg{
		"sum":         msg(req(OpSum, "x")),
		"variance":    msg(req(OpVariance, "y")),
		"stddev":      msg(req(OpStddev, "z")),
		"regression":  msg(req(OpRegression, "y", "z")),
		"histogram":   with(req(OpHistogram, "y"), func(r *RequestComputation) { r.Edges = []int64{-100, -48, 4, 108} }),
		"dot":         with(req(OpDot, "y"), func(r *RequestComputation) { r.Weights, r.WeightsCommitment, r.WeightBound = weights(1), wcommit, 1000 }),
		"noisy sum":   with(req(OpSum, "y"), func(r *RequestComputation) { r.Epsilon, r.Delta = 500_000, 10 }),
		"noisy count": with(req(OpCount, "y"), func(r *RequestComputation) { r.Epsilon = 100_000 }),
	} {
		id := w.ok("buyer", m)
		if c := w.computation(id); c.Status != ComputationPending {
			t.Errorf("%s: status %s, want pending for the committee", name, c.Status)
		}
	}
	edges := make([]int64, 66)
	for i := range edges {
		edges[i] = int64(i)
	}
	for _, tc := range []struct {
		name string
		m    Msg
		code uint32
		want string
	}{
		{"no column", msg(req(OpSum)), CodeBadComputation, "a sum needs exactly one column, got 0"},
		{"two columns", msg(req(OpMean, "x", "y")), CodeBadComputation, "a mean needs exactly one column, got 2"},
		{"regression one column", msg(req(OpRegression, "x")), CodeBadComputation, "needs 2 to 8 columns"},
		{"regression twice", msg(req(OpRegression, "y", "y")), CodeBadComputation, `names column "y" twice`},
		{"column not granted", msg(req(OpSum, "w")), CodeColumnNotGranted, `does not cover column "w"`},
		{"edges on a sum", with(req(OpSum, "x"), func(r *RequestComputation) { r.Edges = []int64{1} }), CodeBadComputation, "a sum takes no bucket edges"},
		{"weights on a sum", with(req(OpSum, "x"), func(r *RequestComputation) { r.WeightBound = 1 }), CodeBadComputation, "takes no weights"},
		{"delta without epsilon", with(req(OpSum, "x"), func(r *RequestComputation) { r.Delta = 1 }), CodeBadComputation, "without noise (epsilon 0) takes no delta"},
		{"delta of 1", with(req(OpSum, "x"), func(r *RequestComputation) { r.Epsilon, r.Delta = 1, 1_000_000 }), CodeBadComputation, "needs delta below 1"},
		{"variance overflow", msg(req(OpVariance, "x")), CodeOverflow, "a variance over 1000 rows could reach 1099511627776000 (the squares of column \"x\""},
		{"stddev overflow", msg(req(OpStddev, "x")), CodeOverflow, "a stddev over 1000 rows"},
		{"regression overflow", msg(req(OpRegression, "y", "x")), CodeOverflow, `the products of columns "x" and "x"`},
		{"dot without bound", with(req(OpDot, "y"), func(r *RequestComputation) { r.Weights, r.WeightsCommitment = weights(1), wcommit }), CodeBadComputation, "needs a weight bound"},
		{"dot weight count", with(req(OpDot, "y"), func(r *RequestComputation) { r.Weights, r.WeightsCommitment, r.WeightBound = weights(3), wcommit, 1 }), CodeBadWeights, "needs exactly one weights object (the weights sealed to the committee members), got 3 digests"},
		{"dot without commitment", with(req(OpDot, "y"), func(r *RequestComputation) { r.Weights, r.WeightBound = weights(1), 1 }), CodeBadWeights, "needs the commitment to its weights"},
		{"dot zero weight", with(req(OpDot, "y"), func(r *RequestComputation) {
			r.Weights, r.WeightsCommitment, r.WeightBound = weights(1), wcommit, 1
			r.Weights[0] = Digest{}
		}), CodeBadWeights, "needs exactly one weights object"},
		{"dot overflow", with(req(OpDot, "x"), func(r *RequestComputation) {
			r.Weights, r.WeightsCommitment, r.WeightBound = weights(1), wcommit, 1<<30
		}), CodeOverflow, "times weights up to 1073741824"},
		{"histogram one edge", with(req(OpHistogram, "x"), func(r *RequestComputation) { r.Edges = []int64{0} }), CodeBadComputation, "needs 2 to 65 bucket edges (1 to 64 buckets), got 1"},
		{"histogram 65 buckets", with(req(OpHistogram, "y"), func(r *RequestComputation) { r.Edges = edges }), CodeBadComputation, "got 66"},
		{"histogram edge outside", with(req(OpHistogram, "y"), func(r *RequestComputation) { r.Edges = []int64{4, 134} }), CodeBadEdges, `edge 134 of column "y" lies outside [-100, 108], the bins that hold its values [-100, 100]`},
		{"histogram edge below", with(req(OpHistogram, "y"), func(r *RequestComputation) { r.Edges = []int64{-126, 4} }), CodeBadEdges, "edge -126"},
		{"histogram misaligned edge", with(req(OpHistogram, "y"), func(r *RequestComputation) { r.Edges = []int64{-100, 0} }), CodeBadEdges, `histogram edge 0 of column "y" is not on a bin boundary: its frequency table has bins of width 26 from -100`},
		{"histogram without table", with(req(OpHistogram, "x"), func(r *RequestComputation) { r.Edges = []int64{0, 1} }), CodeNoFrequencies, `column "x" of dataset ` + wide + ` has no frequency table`},
		{"noisy count without table", with(req(OpCount, "x"), func(r *RequestComputation) { r.Epsilon = 100_000 }), CodeNoFrequencies, "cannot compute a noisy count"},
		// 1000·2^20·2^16 ≈ 6.9e13 fits below T/2 ≈ 5.6e14; the noise at epsilon 10^-6 does not.
		{"gaussian tail overflow", with(req(OpDot, "x"), func(r *RequestComputation) {
			r.Weights, r.WeightsCommitment, r.WeightBound, r.Epsilon, r.Delta = weights(1), wcommit, 1<<16, 1, 1
		}), CodeOverflow, "times weights up to 65536 plus a noise tail of"},
		{"laplace tail overflow", with(req(OpDot, "x"), func(r *RequestComputation) {
			r.Weights, r.WeightsCommitment, r.WeightBound, r.Epsilon = weights(1), wcommit, 1<<16, 1
		}), CodeOverflow, "plus a noise tail of 3161095929856000000"},
		{"histogram not increasing", with(req(OpHistogram, "y"), func(r *RequestComputation) { r.Edges = []int64{5, 5} }), CodeBadComputation, "strictly increasing, and 5 follows 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused("buyer", tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	if d, _ := w.l.Dataset(wide); d.EpsilonSpent != 600_000 {
		t.Errorf("dataset epsilon spent = %d, want 600000 (0.5 + 0.1)", d.EpsilonSpent)
	}
	if got, _ := w.l.ComputationsByGrant(g); len(got) != 8 {
		t.Errorf("ComputationsByGrant = %d computations, want 8", len(got))
	}
	w.checkCredits()
}

func withFrequencies(c Column, min, bin int64) Column {
	c.Frequencies = &FrequencyTable{Table: digestOf("freq " + c.Name), Min: min, Bin: bin}
	return c
}

// TestFrequencyTables checks the shape of a listed column's frequency table, and that datasets
// pooled in a histogram share it.
func TestFrequencyTables(t *testing.T) {
	w := newWorld(t, 2)
	const rows = 10
	for _, tc := range []struct {
		name string
		col  Column
		code uint32
		want string
	}{
		{"zero digest", func() Column {
			c := withFrequencies(column("a", TypeInteger, 0, 0, 9, rows), 0, 2)
			c.Frequencies.Table = Digest{}
			return c
		}(), CodeBadDigests, `column "a" frequency table digest is zero`},
		{"zero bin", withFrequencies(column("a", TypeInteger, 0, 0, 9, rows), 0, 0), CodeBadFrequencies, "bin width 0; it must be positive"},
		{"starts above min", withFrequencies(column("a", TypeInteger, 0, 0, 9, rows), 1, 2), CodeBadFrequencies, "starts at 1, above the column's minimum 0"},
		{"too narrow", withFrequencies(column("a", TypeInteger, 0, 0, 9, rows), 0, 1), CodeBadFrequencies, "needs bin 9 for the maximum 9, but a ciphertext has 8 slots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused("owner1", Msg{RegisterDataset: listing("bad", rows, 1, tc.col)}, tc.code, tc.want)
		})
	}
	w.t = t
	d1 := w.list("owner1", Msg{RegisterDataset: listing("f1", rows, 1, withFrequencies(column("a", TypeInteger, 0, 0, 9, rows), 0, 2))})
	d2 := w.list("owner1", Msg{RegisterDataset: listing("f2", rows, 1, withFrequencies(column("a", TypeInteger, 0, 0, 9, rows), 0, 4))})
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{d1, d2}, Ops: []Op{OpHistogram}, Columns: []string{"a"}, Uses: 2}})
	w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpHistogram, Columns: []string{"a"}, Edges: []int64{0, 4}}},
		CodeNoFrequencies, "dataset "+d2+" does not have min 0 and bin 2")
}

func TestEpsilonBudgets(t *testing.T) {
	w := newWorld(t, 2)
	w.ok("owner1", Msg{SetPolicy: &SetPolicy{Dataset: w.ds1, Policy: Policy{Approval: ApprovalRequired, EpsilonTotal: 1_500_000, EpsilonPerQuery: 800_000}}})
	grant := func(eps uint64) string {
		g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 10, Epsilon: eps}})
		w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
		return g
	}
	sum := func(g string, eps uint64) Msg {
		return Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}, Epsilon: eps}}
	}
	a, b := grant(1_000_000), grant(1_000_000)
	w.refused("buyer", sum(w.active, 100_000), CodeEpsilon, "grant "+w.active+" has no epsilon budget, so it cannot spend epsilon 0.1")
	w.refused("buyer", sum(a, 900_000), CodeEpsilon, "epsilon 0.9 is above dataset "+w.ds1+"'s per-query limit 0.8")
	c1 := w.ok("buyer", sum(a, 700_000))
	w.refused("buyer", sum(a, 400_000), CodeEpsilon, "epsilon 0.4 would take grant "+a+" past its budget (0.7 of 1 spent)")
	w.ok("buyer", sum(b, 800_000))
	w.refused("buyer", sum(b, 100_000), CodeEpsilon, "epsilon 0.1 would take dataset "+w.ds1+" past its budget (1.5 of 1.5 spent)")
	if g := w.grant(a); g.EpsilonSpent != 700_000 {
		t.Errorf("grant spent %d, want 700000", g.EpsilonSpent)
	}
	// A refund gives the epsilon back to the grant and the dataset.
	w.ok("owner1", Msg{RevokeGrant: &RevokeGrant{Grant: a}})
	if c := w.computation(c1); c.Status != ComputationAborted {
		t.Fatalf("computation under a revoked grant = %s", c.Status)
	}
	if g := w.grant(a); g.EpsilonSpent != 0 {
		t.Errorf("revoked grant spent %d, want 0 after the refund", g.EpsilonSpent)
	}
	if d, _ := w.l.Dataset(w.ds1); d.EpsilonSpent != 800_000 {
		t.Errorf("dataset spent %d, want 800000 after the refund", d.EpsilonSpent)
	}
	w.ok("buyer", sum(b, 100_000))
	w.checkCredits()
}

// TestGrantExpiry: a grant expires in the block by height or block time; computations under
// way are aborted and refunded, and a share in the block where the time passed is refused.
func TestGrantExpiry(t *testing.T) {
	t.Run("height", func(t *testing.T) {
		w := newWorld(t, 2)
		g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 3, Expiry: Expiry{Height: w.height + 2}}})
		w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
		start := w.party("buyer").Balance
		c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}})
		w.next()
		w.next() // the grant may be used through its expiry height, which this block is
		w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}})
		w.next()
		gr := w.grant(g)
		if gr.State != GrantExpired || gr.Used != 0 || !strings.Contains(gr.Reason, "expired at height") {
			t.Errorf("grant after its expiry height = %+v", gr)
		}
		if cp := w.computation(c); cp.Status != ComputationAborted || !strings.Contains(cp.Reason, "grant "+g+" expired at height") {
			t.Errorf("computation = %s %q, want aborted", cp.Status, cp.Reason)
		}
		if w.party("buyer").Balance != start {
			t.Errorf("buyer not refunded")
		}
		if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == "expire_grant" && e.Grant == g }) {
			t.Errorf("no expire_grant event: %+v", w.events)
		}
		w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}}, CodeGrantState, "is expired, not active")
		w.checkCredits()
	})
	t.Run("time at completion", func(t *testing.T) {
		w := newWorld(t, 2)
		expires := w.block().Time.Unix() + 2 // the block two ahead
		g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 3, Expiry: Expiry{Time: expires}}})
		w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
		c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}})
		w.ok("m1", output(c, digestOf("o")))
		w.ok("m2", output(c, digestOf("o")))
		w.ok("m3", output(c, digestOf("o")))
		w.ok("m1", share(c, digestOf("s1")))
		w.ok("m3", share(c, digestOf("s3")))
		w.next()
		w.next()
		// The expiry time is this block's: the grant is dead before the end of the block expires it.
		w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}}, CodeGrantState, "expired at unix time")
		before := w.party("owner2").Balance
		// The last share is refused: the computation is no longer live, so its shares stay
		// short of the participants' and it cannot be combined.
		w.refused("m2", share(c, digestOf("s2")), CodeNotLive, "grant "+g+" expired at unix time")
		w.next()
		if gr := w.grant(g); gr.State != GrantExpired {
			t.Errorf("grant = %s, want expired", gr.State)
		}
		if cp := w.computation(c); cp.Status != ComputationAborted || !strings.Contains(cp.Reason, "expired at unix time") || cp.Product != "" || len(cp.Shares) != len(cp.Participants)-1 {
			t.Errorf("computation after its grant expired = %+v, want aborted one share short", cp)
		}
		if w.party("owner2").Balance != before {
			t.Errorf("the holder was paid for an aborted computation")
		}
		w.checkCredits()
	})
}

func TestGrantExhausted(t *testing.T) {
	w := newWorld(t, 2)
	count := Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}}
	sum := Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}}
	w.ok("buyer", count)
	s := w.ok("buyer", sum)
	if g := w.grant(w.active); g.State != GrantActive {
		t.Fatalf("grant with a use still under way = %s, want active", g.State)
	}
	w.ok("m1", output(s, digestOf("o")))
	w.ok("m2", output(s, digestOf("o")))
	w.ok("m3", output(s, digestOf("o")))
	w.ok("m1", share(s, digestOf("s1")))
	w.ok("m2", share(s, digestOf("s2")))
	w.ok("m3", share(s, digestOf("s3")))
	if g := w.grant(w.active); g.State != GrantExhausted || g.Used != 2 {
		t.Errorf("grant after its last use = %+v, want exhausted", g)
	}
	w.refused("buyer", count, CodeNoUsesLeft, "has no uses left (2 of 2 used); it is exhausted")
	w.refused("owner1", Msg{RevokeGrant: &RevokeGrant{Grant: w.active}}, CodeGrantState, "is exhausted")
	if got, _ := w.l.ComputationsByGrant(w.active); len(got) != 2 {
		t.Errorf("uses recorded = %d, want 2", len(got))
	}
}

// TestOutputDisagreementRecorded: a computation needs spec.Participants members (all 3 of a 2-of-3
// committee) on one output, with or without noise, so a member posting a wrong digest holds it
// back until the deadline; a 2-of-4 committee outvotes and records the dissenter.
func TestOutputDisagreementRecorded(t *testing.T) {
	w := newWorld(t, 2)
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	w.ok("m2", output(c, digestOf("o")))
	w.ok("m1", output(c, digestOf("bad")))
	w.ok("m3", output(c, digestOf("o")))
	if cp := w.computation(c); cp.Status != ComputationPending || len(cp.Participants) != 0 {
		t.Errorf("2 of the 3 participants agreed, computation = %+v, want pending", cp)
	}
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1, Epsilon: 1_000_000}})
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	c = w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}, Epsilon: 1_000_000}})
	w.ok("m2", noisyOutput(c, digestOf("o"), digestOf("n2")))
	w.ok("m1", noisyOutput(c, digestOf("bad"), digestOf("n1")))
	w.ok("m3", noisyOutput(c, digestOf("o"), digestOf("n3")))
	if cp := w.computation(c); cp.Status != ComputationPending || len(cp.Participants) != 0 {
		t.Errorf("with noise, 2 of the 3 participants agreed, computation = %+v, want pending (spec.Participants = 3 for DP too)", cp)
	}
}

// TestNoiseDealingDigestRule: an output post of a computation with DP noise must carry the
// member's noise dealing digest, which the chain keeps on the post; a post of one without noise
// must not carry one. A refused post changes nothing.
func TestNoiseDealingDigestRule(t *testing.T) {
	w := newWorld(t, 2)
	plain := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	w.refused("m1", noisyOutput(plain, digestOf("o"), digestOf("n1")), CodeUnexpectedNoise, "has no DP noise")
	if cp := w.computation(plain); len(cp.Outputs) != 0 {
		t.Errorf("a refused post was recorded: %+v", cp.Outputs)
	}
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1, Epsilon: 1_000_000}})
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}, Epsilon: 1_000_000}})
	w.refused("m1", output(c, digestOf("o")), CodeNoNoise, "must carry the digest of the member's noise dealing")
	if cp := w.computation(c); len(cp.Outputs) != 0 {
		t.Errorf("a refused post was recorded: %+v", cp.Outputs)
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, noisyOutput(c, digestOf("o"), digestOf("noise "+m)))
	}
	cp := w.computation(c)
	if cp.Status != ComputationSwitching || len(cp.Participants) != 3 {
		t.Fatalf("computation = %+v, want switching with 3 participants", cp)
	}
	for _, p := range cp.Outputs {
		if p.Noise != digestOf("noise "+string(p.Member)[len(string(p.Member))-2:]) && p.Noise.IsZero() {
			t.Errorf("post %+v lost its noise digest", p)
		}
	}
}
