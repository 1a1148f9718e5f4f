package rights

import (
	"slices"
	"strings"
	"testing"
)

// completedSum runs a sum under the world's active grant to completion and returns it.
func completedSum(w *world) *Computation {
	w.t.Helper()
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	w.ok("m1", output(c, digestOf("o")))
	w.ok("m2", output(c, digestOf("o")))
	w.ok("m3", output(c, digestOf("o")))
	w.ok("m1", share(c, digestOf("s1")))
	w.ok("m2", share(c, digestOf("s2")))
	w.ok("m3", share(c, digestOf("s3")))
	return w.computation(c)
}

func freeze(kind HoldKind, id, reason string) Msg {
	return Msg{Freeze: &Freeze{Kind: kind, ID: id, Reason: reason}}
}

func unfreeze(kind HoldKind, id string) Msg {
	return Msg{Unfreeze: &Unfreeze{Kind: kind, ID: id, Reason: "cleared"}}
}

func TestFreezeRefusals(t *testing.T) {
	w := newWorld(t, 2)
	reg := testRegulatorKey
	for _, tc := range []struct {
		name, sender string
		m            Msg
		code         uint32
		want         string
	}{
		{"not a regulator", "owner1", freeze(HoldDataset, w.ds1, "x"), CodeUnauthorized, "is not a regulator, so it cannot freeze objects"},
		{"no reason", reg, freeze(HoldDataset, w.ds1, ""), CodeBadHold, "a freeze needs a reason"},
		{"unknown kind", reg, freeze("account", w.ds1, "x"), CodeBadHold, `hold kind "account" is unknown`},
		{"unknown dataset", reg, freeze(HoldDataset, "ds-nope", "x"), CodeUnknownDataset, "does not exist"},
		{"unknown grant", reg, freeze(HoldGrant, "gr-nope", "x"), CodeUnknownGrant, "does not exist"},
		{"unknown product", reg, freeze(HoldProduct, "pd-nope", "x"), CodeUnknownProduct, "product pd-nope does not exist"},
		{"unknown party", reg, freeze(HoldParty, string(addr("nobody")), "x"), CodeUnknownParty, "is not registered"},
		{"a regulator", reg, freeze(HoldParty, string(addr(reg)), "x"), CodeUnauthorized, "is a regulator and cannot be frozen"},
		{"unfreeze not frozen", reg, unfreeze(HoldDataset, w.ds1), CodeNotFrozen, "dataset " + w.ds1 + " is not frozen"},
		{"unfreeze by owner", "owner1", unfreeze(HoldDataset, w.ds1), CodeUnauthorized, "cannot unfreeze objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	w.ok(reg, freeze(HoldDataset, w.ds1, "inquiry"))
	w.refused(reg, freeze(HoldDataset, w.ds1, "again"), CodeAlreadyFrozen, "is already frozen by hold")
}

func TestFreezeParty(t *testing.T) {
	w := newWorld(t, 2)
	start := w.party("buyer").Balance
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	hold := w.ok(testRegulatorKey, freeze(HoldParty, string(addr("buyer")), "sanctions screening"))
	if cp := w.computation(c); cp.Status != ComputationAborted || !strings.Contains(cp.Reason, "was frozen by regulator") {
		t.Errorf("computation by the frozen party = %s %q", cp.Status, cp.Reason)
	}
	if w.party("buyer").Balance != start {
		t.Errorf("frozen party's computation not refunded")
	}
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}}, CodeFrozen,
		"party "+string(addr("buyer"))+" is frozen by regulator hold "+hold+" (sanctions screening), so it cannot send transactions")
	// Others cannot hand it anything either.
	w.refused("owner1", Msg{TransferHolding: &TransferHolding{Dataset: w.ds1, To: addr("buyer")}}, CodeFrozen, "is frozen")
	w.ok(testRegulatorKey, unfreeze(HoldParty, string(addr("buyer"))))
	w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}})
	h, err := w.l.Hold(hold)
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind != HoldParty || h.Target != string(addr("buyer")) || h.By != addr(testRegulatorKey) || h.Released != w.height || h.ReleaseReason != "cleared" {
		t.Errorf("released hold = %+v", h)
	}
	w.checkCredits()
}

func TestFreezeDatasetAndGrant(t *testing.T) {
	w := newWorld(t, 2)
	product := completedSum(w).Product
	start := w.party("buyer").Balance
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	w.ok("m1", output(c, digestOf("o")))
	w.ok("m2", output(c, digestOf("o")))
	w.ok("m3", output(c, digestOf("o")))
	w.ok("m1", share(c, digestOf("s1")))
	w.ok("m3", share(c, digestOf("s3")))
	// Frozen between the agreement and the last share: aborted, never completed.
	w.ok(testRegulatorKey, freeze(HoldDataset, w.ds2, "disputed consent"))
	if cp := w.computation(c); cp.Status != ComputationAborted {
		t.Errorf("computation over a frozen dataset = %s, want aborted", cp.Status)
	}
	w.refused("m2", share(c, digestOf("s2")), CodeComputationState, "is aborted")
	if w.party("buyer").Balance != start {
		t.Errorf("buyer not refunded")
	}
	frozen := "dataset " + w.ds2 + " is frozen by regulator hold"
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}}, CodeFrozen, frozen)
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}}, CodeFrozen, frozen)
	w.refused("owner2", Msg{UpdateDataset: &UpdateDataset{Dataset: w.ds2, Price: ptr(uint64(1))}}, CodeFrozen, frozen)
	w.refused("owner2", Msg{TransferHolding: &TransferHolding{Dataset: w.ds2, To: addr("owner1")}}, CodeFrozen, frozen)
	// The product derived from it is frozen with it, without its own hold.
	holds, err := w.l.HoldsOn(HoldProduct, product)
	if err != nil || len(holds) != 1 || holds[0].Target != w.ds2 {
		t.Errorf("HoldsOn(product) = %v, %v; want the dataset's hold", holds, err)
	}
	w.refused("buyer", Msg{TransferProduct: &TransferProduct{Product: product, To: addr("buyer2")}}, CodeFrozen, "on dataset "+w.ds2)
	w.ok(testRegulatorKey, unfreeze(HoldDataset, w.ds2))
	if holds, _ := w.l.HoldsOn(HoldProduct, product); len(holds) != 0 {
		t.Errorf("product still frozen after the dataset's release: %v", holds)
	}

	c = w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	gh := w.ok(testRegulatorKey, freeze(HoldGrant, w.active, "audit"))
	if cp := w.computation(c); cp.Status != ComputationAborted {
		t.Errorf("computation under a frozen grant = %s, want aborted", cp.Status)
	}
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}}, CodeFrozen, "grant "+w.active+" is frozen by regulator hold "+gh)
	holds, err = w.l.Holds()
	if err != nil || len(holds) != 2 || holds[0].Released == 0 && holds[1].Released == 0 {
		t.Errorf("Holds() = %+v, %v; want the released and the active hold", holds, err)
	}
	w.checkCredits()
}

func TestProducts(t *testing.T) {
	w := newWorld(t, 2)
	c := completedSum(w)
	p := c.Product
	if got, _ := w.l.ProductsByHolder(addr("buyer")); len(got) != 1 || got[0].ID != p {
		t.Errorf("ProductsByHolder(buyer) = %v", got)
	}
	// A count answered by the chain is a product too.
	cnt := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}})
	if pc, err := w.l.Product(w.computation(cnt).Product); err != nil || pc.Rows != 16 || !pc.Output.IsZero() {
		t.Errorf("count product = %+v, %v", pc, err)
	}
	for _, tc := range []struct {
		name, sender string
		m            Msg
		code         uint32
		want         string
	}{
		{"unknown", "buyer", Msg{TransferProduct: &TransferProduct{Product: "pd-nope", To: addr("buyer2")}}, CodeUnknownProduct, "does not exist"},
		{"not the holder", "buyer2", Msg{TransferProduct: &TransferProduct{Product: p, To: addr("owner1")}}, CodeUnauthorized, "does not hold product " + p},
		{"to itself", "buyer", Msg{LicenseProduct: &LicenseProduct{Product: p, To: addr("buyer")}}, CodeBadTransfer, "its own holder"},
		{"unregistered", "buyer", Msg{TransferProduct: &TransferProduct{Product: p, To: addr("nobody")}}, CodeUnknownParty, "is not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	w.ok("buyer", Msg{LicenseProduct: &LicenseProduct{Product: p, To: addr("owner1")}})
	w.refused("buyer", Msg{LicenseProduct: &LicenseProduct{Product: p, To: addr("owner1")}}, CodeAlreadyLicensed, "already licensed")
	w.ok("buyer", Msg{TransferProduct: &TransferProduct{Product: p, To: addr("buyer2")}})
	got, err := w.l.Product(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Holder != addr("buyer2") || !slices.Equal(got.Licensees, []Address{addr("owner1")}) || len(got.Transfers) != 1 ||
		got.Computation != c.ID || got.Grant != w.active || got.Output != c.Output {
		t.Errorf("product after licence and transfer = %+v", got)
	}
	if mine, _ := w.l.ProductsByHolder(addr("buyer")); len(mine) != 1 {
		t.Errorf("old holder still lists %d products, want 1 (the count)", len(mine))
	}
	w.refused("buyer", Msg{LicenseProduct: &LicenseProduct{Product: p, To: addr("owner2")}}, CodeUnauthorized, "cannot license it")
	w.ok(testRegulatorKey, freeze(HoldProduct, p, "counterfeit"))
	w.refused("buyer2", Msg{LicenseProduct: &LicenseProduct{Product: p, To: addr("owner2")}}, CodeFrozen, "product "+p+" is frozen")
}

func TestRegulatorVotes(t *testing.T) {
	w := newWorld(t, 2)
	r1, r2, r3 := testRegulatorKey, "regulator2", "regulator3"
	propose := func(change RegulatorChange, who string) Msg {
		return Msg{ProposeRegulatorChange: &ProposeRegulatorChange{Change: change, Address: addr(who), Reason: "rotation"}}
	}
	vote := func(id string) Msg { return Msg{VoteRegulatorChange: &VoteRegulatorChange{Proposal: id}} }
	regs := func() []Address {
		w.t.Helper()
		r, err := w.l.Regulators()
		if err != nil {
			w.t.Fatal(err)
		}
		return r
	}

	w.refused(r2, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}}, CodeRoleNotAllowed, "role regulator")
	// One regulator: its own vote is a strict majority.
	p1 := w.ok(r1, propose(RegulatorAdd, r2))
	if p, _ := w.l.Proposal(p1); p.Status != ProposalPassed || p.Decided != w.height || !slices.Equal(p.Regulators, []Address{addr(r1), addr(r2)}) {
		t.Errorf("proposal = %+v, want passed", p)
	}
	if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == "regulator_change_passed" }) {
		t.Errorf("no regulator_change_passed event: %+v", w.events)
	}
	w.ok(r2, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	// Two regulators: one vote of two is not a strict majority.
	p2 := w.ok(r2, propose(RegulatorAdd, r3))
	if p, _ := w.l.Proposal(p2); p.Status != ProposalOpen {
		t.Fatalf("proposal with 1 of 2 votes = %s, want open", p.Status)
	}
	w.refused(r3, vote(p2), CodeUnregistered, "not a registered party")
	w.refused("owner1", vote(p2), CodeUnauthorized, "is not a regulator, so it cannot vote on regulator changes")
	w.refused(r2, vote(p2), CodeAlreadyVoted, "already voted for proposal "+p2)
	w.refused(r1, vote("rp-nope"), CodeUnknownProposal, "proposal rp-nope does not exist")
	w.ok(r1, vote(p2))
	if got := regs(); !slices.Equal(got, []Address{addr(r1), addr(r2), addr(r3)}) {
		t.Errorf("regulators = %v", got)
	}
	w.refused(r1, vote(p2), CodeProposalState, "has already passed")
	// An owner made regulator by a vote gets the role; removed, it loses it and its powers.
	w.ok(r3, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	p3 := w.ok(r3, propose(RegulatorRemove, r1))
	w.ok(r2, vote(p3))
	if got := regs(); slices.Contains(got, addr(r1)) || len(got) != 2 {
		t.Errorf("regulators after removing %s = %v", r1, got)
	}
	if roles := w.party(r1).Roles; slices.Contains(roles, RoleRegulator) {
		t.Errorf("removed regulator keeps its role: %v", roles)
	}
	w.refused(r1, freeze(HoldDataset, w.ds1, "x"), CodeUnauthorized, "is not a regulator")
	w.ok(r2, freeze(HoldDataset, w.ds1, "x"))

	for _, tc := range []struct {
		name, sender string
		m            Msg
		code         uint32
		want         string
	}{
		{"not a regulator", "owner1", propose(RegulatorAdd, "owner1"), CodeUnauthorized, "cannot propose regulator changes"},
		{"bad address", r2, Msg{ProposeRegulatorChange: &ProposeRegulatorChange{Change: RegulatorAdd, Address: "nope"}}, CodeBadProposal, `"nope" is not an address`},
		{"unknown change", r2, Msg{ProposeRegulatorChange: &ProposeRegulatorChange{Change: "swap", Address: addr("x")}}, CodeBadProposal, `regulator change "swap" is unknown`},
		{"add a regulator", r2, propose(RegulatorAdd, r3), CodeBadProposal, "is already a regulator"},
		{"remove a non-regulator", r2, propose(RegulatorRemove, r1), CodeBadProposal, "is not a regulator"},
		{"long reason", r2, Msg{ProposeRegulatorChange: &ProposeRegulatorChange{Change: RegulatorAdd, Address: addr("x"), Reason: strings.Repeat("r", 513)}}, CodeBadText, "reason is 513 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	// Down to one regulator, which cannot be removed.
	p4 := w.ok(r2, propose(RegulatorRemove, r3))
	w.ok(r3, vote(p4))
	w.refused(r2, propose(RegulatorRemove, r2), CodeBadProposal, "is the only regulator")
	props, err := w.l.Proposals()
	if err != nil || len(props) != 4 {
		t.Errorf("Proposals() = %d, %v; want 4", len(props), err)
	}
	checkMemo(t, w.l.Cache) // removing a role did not change a memoized party in place
}
