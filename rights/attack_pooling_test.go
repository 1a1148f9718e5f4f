package rights

import (
	"testing"
)

// TestAttackMinRowsPadding is attack 5 of issue 14, padding: a victim's dataset has 6 rows and a
// policy asking for aggregates over at least 100. The attacker, owner and buyer at once, lists
// 100 rows of zeros of its own and asks for a grant pooling the two: the sum over 106 rows is the
// victim's sum over its 6. The pooled grant is refused (the victim's policy does not allow
// pooling with the requester's own rows), and where the victim's policy allows any pooling, the
// computation is still refused: min_rows counts the victim's own rows.
func TestAttackMinRowsPadding(t *testing.T) {
	w := newWorld(t, 2)
	victim := w.list("owner2", Msg{RegisterDataset: listing("victim", 6, 10, column("a", TypeInteger, 0, 0, 10, 6))})
	zeros := w.list("buyer2", Msg{RegisterDataset: listing("zeros", 100, 0, column("a", TypeInteger, 0, 0, 0, 100))})
	w.next()
	w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: victim, Policy: Policy{Approval: ApprovalRequired, MinRows: 100}}})
	padded := Msg{RequestGrant: &RequestGrant{Datasets: []string{victim, zeros}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}}
	w.refused("buyer2", padded, CodePoolingRefused, "the policy of dataset "+victim+" does not allow pooling it with dataset "+zeros+", which the requester "+string(addr("buyer2"))+" holds")

	// The victim's holder allows pooling with anything: min_rows still counts its own rows.
	w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: victim, Policy: Policy{Approval: ApprovalRequired, MinRows: 100, Pooling: PoolingAny}}})
	g := w.ok("buyer2", padded)
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	w.ok("buyer2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	if gr := w.grant(g); gr.State != GrantActive {
		t.Fatalf("grant = %s, want active", gr.State)
	}
	sum := Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}}
	w.refused("buyer2", sum, CodePolicyRefused, "dataset "+victim+" has 6 rows, and its policy requires an aggregate over at least 100 of its own rows")

	// A grant approved while pooling was allowed does not outlive the policy's change back.
	w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: victim, Policy: Policy{Approval: ApprovalRequired}}})
	w.refused("buyer2", sum, CodePoolingRefused, "does not allow pooling it with dataset "+zeros)
	// Never: not even with another holder's dataset.
	w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: victim, Policy: Policy{Approval: ApprovalRequired, Pooling: PoolingNever}}})
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1, victim}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}},
		CodePoolingRefused, "the policy of dataset "+victim+" does not allow pooling it with other datasets")
	w.refused("owner2", Msg{SetPolicy: &SetPolicy{Dataset: victim, Policy: Policy{Approval: ApprovalRequired, Pooling: "sometimes"}}},
		CodeBadPolicy, `pooling "sometimes" is unknown`)
	w.checkCredits()
}

// TestAttackPooledDifferencing is attack 5 of issue 14, differencing: a buyer with grants over
// {A, B} and {A} asks for both sums and subtracts, reading B's sum though it never asked about B
// alone. B's policy requires differential privacy for pooled computations: the pooled sum
// without epsilon is refused, on a new grant and on one approved before the policy said so, and
// with epsilon it is answered and charged to B's budget.
func TestAttackPooledDifferencing(t *testing.T) {
	w := newWorld(t, 2) // w.active: buyer over ds1 (A, owner1) and ds2 (B, owner2), sum and count on a
	onlyA := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 5}})
	w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: onlyA}})
	w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{Approval: ApprovalRequired, DPWhenPooled: true, EpsilonTotal: 3_000_000}}})
	sum := func(g string, eps uint64) Msg {
		return Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}, Epsilon: eps}}
	}
	w.ok("buyer", sum(onlyA, 0)) // {A}: A's policy asks nothing more
	w.refused("buyer", sum(w.active, 0), CodeDPRequired, "dataset "+w.ds2+" requires differential privacy when pooled with other datasets, so the computation must spend epsilon")
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1, w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}},
		CodeDPRequired, "dataset "+w.ds2+" requires differential privacy when pooled with other datasets, so the grant needs an epsilon budget")

	// With a budget the pooled sum is answered, noised, and charged to B's budget.
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1, w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 3, Epsilon: 5_000_000}})
	w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	if gr := w.grant(g); !gr.DPRequired {
		t.Errorf("pooled grant over a dataset requiring DP when pooled has DPRequired false")
	}
	w.refused("buyer", sum(g, 0), CodeDPRequired, "requires differential privacy when pooled")
	w.ok("buyer", sum(g, 1_000_000))
	w.ok("buyer", sum(g, 1_000_000))
	if d, _ := w.l.Dataset(w.ds2); d.EpsilonSpent != 2_000_000 {
		t.Errorf("B's epsilon spent = %d, want 2000000", d.EpsilonSpent)
	}
	// The budget bounds how often the difference can be averaged.
	w.refused("buyer", sum(g, 1_500_000), CodeEpsilon, "would take dataset "+w.ds2+" past its budget")
	w.refused("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{Approval: ApprovalRequired, DPWhenPooled: true}}},
		CodeBadPolicy, "differential privacy is required when pooled but there is no epsilon budget")
	w.checkCredits()
}
