package rights

import (
	"slices"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestUpdateDataset(t *testing.T) {
	w := newWorld(t, 2)
	w.ok("owner1", Msg{UpdateDataset: &UpdateDataset{Dataset: w.ds1, Description: ptr("new words"), Tags: &[]string{"health", "2024"}, Price: ptr(uint64(7))}})
	d, err := w.l.Dataset(w.ds1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Description != "new words" || !slices.Equal(d.Tags, []string{"health", "2024"}) || d.Price != 7 || d.Updated != w.height {
		t.Errorf("updated dataset = %+v", d)
	}
	if len(w.events) != 1 || w.events[0].Action != "update_dataset" || !slices.Equal(w.events[0].Datasets, []string{w.ds1}) {
		t.Errorf("events = %+v", w.events)
	}
	// Only what is set changes.
	w.ok("owner1", Msg{UpdateDataset: &UpdateDataset{Dataset: w.ds1, Tags: &[]string{}}})
	if d, _ := w.l.Dataset(w.ds1); len(d.Tags) != 0 || d.Price != 7 || d.Description != "new words" {
		t.Errorf("after clearing tags = %+v", d)
	}
	// The grant approved before keeps its price; a grant approved now pays the new one.
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}})
	if got := w.computation(c).Escrow; got != 50 {
		t.Errorf("escrow under the old grant = %d, want 50 (prices fixed at approval)", got)
	}
	g := w.ok("buyer2", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpCount}, Columns: []string{"a"}, Uses: 1}})
	w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	if got := w.grant(g).Prices; !slices.Equal(got, []uint64{7}) {
		t.Errorf("prices of a grant approved after the update = %v, want [7]", got)
	}
	c = w.ok("buyer2", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpCount, Columns: []string{"a"}}})
	if got := w.computation(c).Escrow; got != 7 {
		t.Errorf("escrow = %d, want 7", got)
	}
	w.checkCredits()

	retired := w.list("owner2", Msg{RegisterDataset: listing("old", 4, 1, column("a", TypeInteger, 0, 0, 1, 4))})
	w.ok("owner2", Msg{RetireDataset: &RetireDataset{Dataset: retired}})
	upd := func(ds string, f func(*UpdateDataset)) Msg {
		m := &UpdateDataset{Dataset: ds, Price: ptr(uint64(1))}
		f(m)
		return Msg{UpdateDataset: m}
	}
	manyTags := make([]string, 17)
	for i := range manyTags {
		manyTags[i] = strings.Repeat("t", i+1)
	}
	for _, tc := range []struct {
		name, sender string
		m            Msg
		code         uint32
		want         string
	}{
		{"unknown", "owner1", upd("ds-nope", func(*UpdateDataset) {}), CodeUnknownDataset, "dataset ds-nope does not exist"},
		{"not the holder", "owner2", upd(w.ds1, func(*UpdateDataset) {}), CodeUnauthorized, "does not hold dataset " + w.ds1 + ", so it cannot update it"},
		{"nothing", "owner1", upd(w.ds1, func(m *UpdateDataset) { m.Price = nil }), CodeBadDataset, "changes nothing"},
		{"long description", "owner1", upd(w.ds1, func(m *UpdateDataset) { m.Description = ptr(strings.Repeat("x", 4097)) }), CodeBadText, "at most 4096 bytes"},
		{"too many tags", "owner1", upd(w.ds1, func(m *UpdateDataset) { m.Tags = &manyTags }), CodeBadTags, "at most 16 tags"},
		{"empty tag", "owner1", upd(w.ds1, func(m *UpdateDataset) { m.Tags = &[]string{""} }), CodeBadTags, "1 to 32 characters"},
		{"tag with comma", "owner1", upd(w.ds1, func(m *UpdateDataset) { m.Tags = &[]string{"a,b"} }), CodeBadTags, "without commas"},
		{"duplicate tag", "owner1", upd(w.ds1, func(m *UpdateDataset) { m.Tags = &[]string{"x", "x"} }), CodeBadTags, `tag "x" is named twice`},
		{"retired", "owner2", upd(retired, func(*UpdateDataset) {}), CodeDatasetNotListed, "is retired, so it cannot be changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
}

func TestRetireDataset(t *testing.T) {
	w := newWorld(t, 2)
	start := w.party("buyer").Balance
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	w.refused("owner2", Msg{RetireDataset: &RetireDataset{Dataset: w.ds1}}, CodeUnauthorized, "cannot retire it")
	w.refused("owner1", Msg{RetireDataset: &RetireDataset{Dataset: w.ds1, Reason: strings.Repeat("r", 600)}}, CodeBadText, "reason is 600 bytes")
	w.ok("owner1", Msg{RetireDataset: &RetireDataset{Dataset: w.ds1, Reason: "superseded"}})
	if d, _ := w.l.Dataset(w.ds1); d.Status != DatasetRetired || d.Reason != "superseded" {
		t.Errorf("retired dataset = %+v", d)
	}
	if got := w.computation(c); got.Status != ComputationAborted || !strings.Contains(got.Reason, "retired by its holder: superseded") {
		t.Errorf("computation under way = %s %q, want aborted", got.Status, got.Reason)
	}
	if w.party("buyer").Balance != start {
		t.Errorf("buyer not refunded")
	}
	w.refused("owner1", Msg{RetireDataset: &RetireDataset{Dataset: w.ds1}}, CodeDatasetNotListed, "is retired")
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}}, CodeDatasetNotListed, "dataset "+w.ds1+" is retired, not listed")
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}}, CodeDatasetNotListed, "is retired")
	w.checkCredits()
}

func TestTransferHolding(t *testing.T) {
	w := newWorld(t, 2)
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	for _, tc := range []struct {
		name, sender string
		to           Address
		code         uint32
		want         string
	}{
		{"not the holder", "owner2", addr("buyer2"), CodeUnauthorized, "cannot transfer it"},
		{"to itself", "owner1", addr("owner1"), CodeBadTransfer, "to its own holder"},
		{"unregistered", "owner1", addr("nobody"), CodeUnknownParty, "is not registered"},
		{"not an owner", "owner1", addr("buyer"), CodeBadTransfer, "does not hold the owner role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, Msg{TransferHolding: &TransferHolding{Dataset: w.ds1, To: tc.to}}, tc.code, tc.want)
		})
	}
	w.t = t
	w.ok("owner1", Msg{TransferHolding: &TransferHolding{Dataset: w.ds1, To: addr("buyer2")}})
	d, _ := w.l.Dataset(w.ds1)
	if d.Holder != addr("buyer2") || len(d.Transfers) != 1 || d.Transfers[0] != (Transfer{From: addr("owner1"), To: addr("buyer2"), Height: w.height}) {
		t.Errorf("transferred dataset = %+v", d)
	}
	if got, _ := w.l.DatasetsByHolder(addr("buyer2")); len(got) != 1 || got[0].ID != w.ds1 {
		t.Errorf("DatasetsByHolder(new holder) = %v", got)
	}
	if got, _ := w.l.DatasetsByHolder(addr("owner1")); len(got) != 0 {
		t.Errorf("DatasetsByHolder(old holder) = %v, want none", got)
	}
	// The grant keeps its lineage; the computation under way pays the holder at settlement.
	if g := w.grant(w.active); !slices.Equal(g.Datasets, []string{w.ds1, w.ds2}) || g.State != GrantActive {
		t.Errorf("grant after transfer = %+v", g)
	}
	old, nw := w.party("owner1").Balance, w.party("buyer2").Balance
	w.ok("m1", output(c, digestOf("o")))
	w.ok("m2", output(c, digestOf("o")))
	w.ok("m3", output(c, digestOf("o")))
	w.ok("m1", share(c, digestOf("s1")))
	w.ok("m2", share(c, digestOf("s2")))
	w.ok("m3", share(c, digestOf("s3")))
	w.passWindow()
	if w.party("owner1").Balance != old || w.party("buyer2").Balance != nw+30 {
		t.Errorf("release went to the old holder: owner1 %d→%d, buyer2 %d→%d", old, w.party("owner1").Balance, nw, w.party("buyer2").Balance)
	}
	// The holding right carries the say over the grant.
	w.refused("owner1", Msg{RevokeGrant: &RevokeGrant{Grant: w.asked}}, CodeUnauthorized, "holds none of grant")
	w.ok("buyer2", Msg{ApproveGrant: &ApproveGrant{Grant: w.asked}})
	if g := w.grant(w.asked); g.State != GrantActive || !slices.Equal(g.Prices, []uint64{30}) {
		t.Errorf("grant approved by the new holder = %+v", g)
	}
	w.checkCredits()
}

func TestSetPolicyRefusals(t *testing.T) {
	w := newWorld(t, 2)
	pol := func(f func(*Policy)) Msg {
		p := Policy{Approval: ApprovalRequired}
		f(&p)
		return Msg{SetPolicy: &SetPolicy{Dataset: w.ds1, Policy: p}}
	}
	offer := func(p *Policy) { p.Approval, p.Offer = ApprovalOffer, OfferTerms{MaxUses: 3} }
	for _, tc := range []struct {
		name string
		m    Msg
		code uint32
		want string
	}{
		{"unknown op", pol(func(p *Policy) { p.AllowedOps = []Op{"median"} }), CodeBadPolicy, `op "median" is unknown`},
		{"op twice", pol(func(p *Policy) { p.AllowedOps = []Op{OpSum, OpSum} }), CodeBadPolicy, "op sum is named twice"},
		{"unknown column", pol(func(p *Policy) { p.AllowedColumns = []string{"zip"} }), CodeBadPolicy, `column "zip" is not in the dataset`},
		{"column twice", pol(func(p *Policy) { p.AllowedColumns = []string{"a", "a"} }), CodeBadPolicy, "named twice"},
		{"per query above total", pol(func(p *Policy) { p.EpsilonTotal, p.EpsilonPerQuery = 1_000_000, 2_000_000 }), CodeBadPolicy, "epsilon per query 2 is above the total 1"},
		{"dp without budget", pol(func(p *Policy) { p.DPRequired = true }), CodeBadPolicy, "no epsilon budget"},
		{"bad purpose", pol(func(p *Policy) { p.Purposes = []string{""} }), CodeBadPolicy, "purpose"},
		{"expired", pol(func(p *Policy) { p.Expiry.Height = 1 }), CodeBadExpiry, "has already passed"},
		{"negative expiry", pol(func(p *Policy) { p.Expiry.Time = -1 }), CodeBadPolicy, "must not be negative"},
		{"unknown approval", pol(func(p *Policy) { p.Approval = "maybe" }), CodeBadPolicy, `approval "maybe" is unknown`},
		{"terms without offer", pol(func(p *Policy) { p.Offer.MaxUses = 1 }), CodeBadPolicy, "offer terms are set but approval is"},
		{"offer without uses", pol(func(p *Policy) { offer(p); p.Offer.MaxUses = 0 }), CodeBadPolicy, "an offer must allow 1 to"},
		{"offer negative blocks", pol(func(p *Policy) { offer(p); p.Offer.MaxBlocks = -1 }), CodeBadPolicy, "must not be negative"},
		{"offer without dp budget", pol(func(p *Policy) { offer(p); p.DPRequired, p.EpsilonTotal = true, 1_000_000 }), CodeBadPolicy, "the offer grants no epsilon"},
		{"offer above total", pol(func(p *Policy) { offer(p); p.EpsilonTotal, p.Offer.Epsilon = 1_000_000, 2_000_000 }), CodeBadPolicy, "above the dataset's total"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused("owner1", tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	w.refused("owner2", pol(func(*Policy) {}), CodeUnauthorized, "cannot set the policy of it")
}

// TestPolicyApplies: each term of a policy refuses what it does not allow, at request and at
// computation time.
func TestPolicyApplies(t *testing.T) {
	w := newWorld(t, 2)
	set := func(p Policy) {
		w.t.Helper()
		if p.Approval == "" {
			p.Approval = ApprovalRequired
		}
		w.ok("owner1", Msg{SetPolicy: &SetPolicy{Dataset: w.ds1, Policy: p}})
	}
	ask := func(ops []Op, cols []string, purpose string, eps uint64) Msg {
		return Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: ops, Columns: cols, Uses: 5, Purpose: purpose, Epsilon: eps}}
	}
	sumA := func(g string) Msg {
		return Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}}
	}

	set(Policy{AllowedOps: []Op{OpCount}})
	w.refused("buyer", ask([]Op{OpSum}, []string{"a"}, "", 0), CodePolicyRefused, "the policy of dataset "+w.ds1+" does not allow op sum (it allows count)")
	// A policy change reaches grants already active: the computation is refused.
	w.refused("buyer", sumA(w.active), CodePolicyRefused, "does not allow op sum")

	set(Policy{AllowedColumns: []string{"b"}})
	w.refused("buyer", ask([]Op{OpSum}, []string{"a"}, "", 0), CodePolicyRefused, `does not allow column "a" (it allows b)`)

	set(Policy{Purposes: []string{"research", "audit"}})
	w.refused("buyer", ask([]Op{OpSum}, []string{"a"}, "marketing", 0), CodePolicyRefused, `allows only the purposes research, audit, and the grant's purpose is "marketing"`)
	w.refused("buyer", sumA(w.active), CodePolicyRefused, `the grant's purpose is ""`)
	research := w.ok("buyer", ask([]Op{OpSum}, []string{"a"}, "research", 0))
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1, Purpose: "no,commas"}}, CodeBadGrantRequest, "without commas")

	set(Policy{MinRows: 11})
	w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: research}})
	w.refused("buyer", sumA(research), CodePolicyRefused, "dataset "+w.ds1+" has 10 rows, and its policy requires an aggregate over at least 11 of its own rows")
	// Pooled with ds2 the rows are not enough either: min_rows counts the dataset's own.
	w.refused("buyer", sumA(w.active), CodePolicyRefused, "dataset "+w.ds1+" has 10 rows")
	set(Policy{MinRows: 10})
	w.ok("buyer", sumA(w.active))

	set(Policy{DPRequired: true, EpsilonTotal: 2_000_000})
	w.refused("buyer", ask([]Op{OpSum}, []string{"a"}, "", 0), CodeDPRequired, "requires differential privacy, so the grant needs an epsilon budget")
	w.refused("buyer", sumA(research), CodeDPRequired, "dataset "+w.ds1+" requires differential privacy, so the computation must spend epsilon")

	set(Policy{Expiry: Expiry{Height: w.height + 1}})
	w.next()
	w.next()
	w.refused("buyer", ask([]Op{OpSum}, []string{"a"}, "", 0), CodePolicyRefused, "the policy of dataset "+w.ds1+" has expired (at height")
	w.refused("buyer", sumA(research), CodePolicyRefused, "has expired")
	w.checkCredits()
}

func TestOffer(t *testing.T) {
	w := newWorld(t, 2)
	w.ok("owner1", Msg{SetPolicy: &SetPolicy{Dataset: w.ds1, Policy: Policy{
		Approval: ApprovalOffer, EpsilonTotal: 10_000_000,
		Offer: OfferTerms{MaxUses: 5, PricePerUse: 4, Epsilon: 1_000_000, MaxBlocks: 100}}}})
	ask := func(ds []string, uses, eps uint64, exp Expiry) Msg {
		return Msg{RequestGrant: &RequestGrant{Datasets: ds, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: uses, Epsilon: eps, Expiry: exp}}
	}
	in := Expiry{Height: w.height + 100}
	g := w.ok("buyer", ask([]string{w.ds1}, 5, 1_000_000, in))
	gr := w.grant(g)
	if gr.State != GrantActive || !slices.Equal(gr.Offered, []Address{addr("owner1")}) || !slices.Equal(gr.Prices, []uint64{4}) || !slices.Equal(gr.Approved, []bool{true}) {
		t.Errorf("grant within the offer = %+v, want active at the offer's price", gr)
	}
	if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == "activate_grant" }) {
		t.Errorf("no activate_grant event: %+v", w.events)
	}
	for name, m := range map[string]Msg{
		"too many uses":  ask([]string{w.ds1}, 6, 0, in),
		"too much eps":   ask([]string{w.ds1}, 1, 1_000_001, in),
		"no expiry":      ask([]string{w.ds1}, 1, 0, Expiry{}),
		"expiry too far": ask([]string{w.ds1}, 1, 0, Expiry{Height: w.height + 101}),
	} {
		id := w.ok("buyer", m)
		if g := w.grant(id); g.State != GrantRequested || len(g.Offered) != 0 {
			t.Errorf("%s: grant = %+v, want it to wait for the holder", name, g)
		}
	}
	// Two holders: the offer approves owner1's part; owner2 approves its own at its price.
	two := w.ok("buyer", ask([]string{w.ds1, w.ds2}, 2, 0, in))
	if g := w.grant(two); g.State != GrantRequested || !slices.Equal(g.Approved, []bool{true, false}) || !slices.Equal(g.Approvals, []Address{addr("owner1")}) {
		t.Errorf("two-holder grant after request = %+v", g)
	}
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: two}})
	if g := w.grant(two); g.State != GrantActive || !slices.Equal(g.Prices, []uint64{4, 20}) {
		t.Errorf("two-holder grant after approval = %+v", g)
	}
	w.refused("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: two}}, CodeGrantState, "is active")
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: two, Op: OpSum, Columns: []string{"a"}}})
	if got := w.computation(c).Escrow; got != 24 {
		t.Errorf("escrow = %d, want 24", got)
	}
	w.checkCredits()
}

func TestGrantRequestExpiryRefusals(t *testing.T) {
	w := newWorld(t, 2)
	ask := func(e Expiry) Msg {
		return Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1, Expiry: e}}
	}
	w.refused("buyer", ask(Expiry{Height: w.height - 1}), CodeBadExpiry, "has passed")
	w.refused("buyer", ask(Expiry{Time: w.block().Time.Unix()}), CodeBadExpiry, "has passed")
	w.refused("buyer", ask(Expiry{Height: -5}), CodeBadExpiry, "must not be negative")
	w.ok("buyer", ask(Expiry{Height: w.height}))
}
