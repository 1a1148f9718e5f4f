package rights

import "testing"

// TestAttackProductQueryBeyondNoiseBudget: a buyer asks for a regression over more rows than the
// committee can smudge the output noise of. Before the rule the chain escrowed it, every member
// evaluated it and then refused to switch it (the smudging would not fit), and the request
// expired refunded: free work for the committee, repeatable. Now the chain refuses it with
// CodeProductNoise and nothing is escrowed or used; a variance over the same dataset (one product
// term) and a sum (none) are admitted.
func TestAttackProductQueryBeyondNoiseBudget(t *testing.T) {
	w := newWorld(t, 2)
	const rows = 8000 // 1,000 ciphertexts per column at testSlots
	ds := w.list("buyer2", Msg{RegisterDataset: listing("big", rows, 1,
		column("x", TypeInteger, 0, -100, 100, rows),
		column("y", TypeInteger, 0, -100, 100, rows))})
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{ds}, Ops: Ops, Columns: []string{"x", "y"}, Uses: 10}})
	w.ok("buyer2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	before := *w.party("buyer")
	// 1,000 ciphertexts · 3 product terms · 3² members = 27,000 > 10,000.
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpRegression, Columns: []string{"x", "y"}}},
		CodeProductNoise, "can hide the noise of at most 370 such ciphertexts per column")
	if after := *w.party("buyer"); after.Balance != before.Balance {
		t.Fatalf("the refused regression moved the buyer's balance from %d to %d", before.Balance, after.Balance)
	}
	if gr := w.grant(g); gr.Used != 0 {
		t.Fatalf("the refused regression used the grant: %d uses", gr.Used)
	}
	// 1,000 · 1 · 9 = 9,000 ≤ 10,000, and a sum has no product term.
	w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpVariance, Columns: []string{"x"}}})
	w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"x"}}})
}
