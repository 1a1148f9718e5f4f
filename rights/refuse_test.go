package rights

import (
	"strings"
	"testing"
)

func refusal(id, reason string) Msg {
	return Msg{RefuseComputation: &RefuseComputation{Computation: id, Reason: reason}}
}

// dotRequest is a dot product over opsWorld's column x with weights declared up to bound.
func dotRequest(g string, bound, epsilon uint64) Msg {
	return Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpDot, Columns: []string{"x"},
		Weights: []Digest{digestOf("sealed weights")}, WeightsCommitment: digestOf("commitment"), WeightBound: bound, Epsilon: epsilon}}
}

// TestAttackRefusedDotChargesRequester: a buyer declares weight bound 1 at epsilon 0.1 and seals a
// one-hot weight of 10^9 (or names a weights object it never uploaded). The members refuse it
// (mpc's TestAttackDotWeightBeyondDeclaredBound); with Threshold refusals the chain fails it as
// the requester's fault: the escrow goes to the holder, the use and the epsilon stay spent, no
// product is issued, and the deadline refunds nothing. Before this change there was no refusal:
// the computation sat until its deadline and was refunded in full, escrow, use and epsilon, so
// the buyer could load the committee for free (the test fails there: RefuseComputation is
// unknown, and the expiry refunds).
func TestAttackRefusedDotChargesRequester(t *testing.T) {
	w, wide, g := opsWorld(t)
	start, holder := w.party("buyer").Balance, w.party("buyer2").Balance
	id := w.ok("buyer", dotRequest(g, 1, 100_000))
	if w.party("buyer").Balance != start-1 {
		t.Fatalf("escrow not taken")
	}
	w.next()
	w.ok("m1", refusal(id, "the dot product's weights are refused: a weight is above the declared bound 1 in magnitude"))
	if c := w.computation(id); c.Status != ComputationPending || len(c.Refusals) != 1 {
		t.Fatalf("after one refusal: status %s, %d refusals; want pending (below the threshold) and 1", c.Status, len(c.Refusals))
	}
	w.ok("m2", refusal(id, "the dot product's weights are refused: a weight is above the declared bound 1 in magnitude"))
	c := w.computation(id)
	if c.Status != ComputationRefused || c.Finished != w.height || !strings.Contains(c.Reason, "requester's fault") || !c.Output.IsZero() || c.Product != "" {
		t.Fatalf("after the threshold of refusals: %+v", c)
	}
	if got := w.party("buyer").Balance; got != start-1 {
		t.Errorf("requester balance %d, want %d: the refused work is charged, not refunded", got, start-1)
	}
	if got := w.party("buyer2").Balance; got != holder+1 {
		t.Errorf("holder balance %d, want %d: the escrow goes to the holder", got, holder+1)
	}
	if gr := w.grant(g); gr.Used != 1 || gr.EpsilonSpent != 100_000 {
		t.Errorf("grant used %d, epsilon spent %d; want 1 and 100000 kept", gr.Used, gr.EpsilonSpent)
	}
	ds, err := w.l.Dataset(wide)
	if err != nil {
		t.Fatal(err)
	}
	if ds.EpsilonSpent != 100_000 {
		t.Errorf("dataset epsilon spent %d, want 100000 kept", ds.EpsilonSpent)
	}
	var failed bool
	for _, e := range w.events {
		if e.Action == "fail_computation" {
			failed = true
			if e.Parties[0] != addr("buyer") {
				t.Errorf("fail event names %v first, want the requester", e.Parties)
			}
		}
	}
	if !failed {
		t.Error("no fail_computation event")
	}
	n := len(w.payments())
	for range testDeadline + 2 {
		w.next()
	}
	if len(w.payments()) != n || w.party("buyer").Balance != start-1 {
		t.Error("the refused computation was refunded at its deadline")
	}
	w.refused("m3", refusal(id, "late"), CodeComputationState, "is refused, no longer under way")
	w.refused("m3", output(id, digestOf("o")), CodeComputationState, "is refused")
	w.checkCredits()
}

// TestRefuseComputationRules: only members refuse, once, with a reason, while the computation is
// under way; a refusal below the threshold is kept for the audit and changes nothing else.
func TestRefuseComputationRules(t *testing.T) {
	w, _, g := opsWorld(t)
	id := w.ok("buyer", dotRequest(g, 1, 0))
	w.refused("buyer", refusal(id, "mine"), CodeUnauthorized, "is not a committee member")
	w.refused("owner1", refusal(id, "theirs"), CodeUnauthorized, "is not a committee member")
	w.refused("m1", refusal(id, "  "), CodeBadRefusal, "needs a reason")
	w.refused("m1", refusal(id, strings.Repeat("x", MaxRefusalReason+1)), CodeBadRefusal, "at most 300")
	w.refused("m1", refusal("cp-nope", "no such"), CodeUnknownComputation, "")
	w.ok("m1", refusal(id, "the requester's RLWE public key object is missing from storage"))
	w.refused("m1", refusal(id, "again"), CodeAlreadyRefused, "already refused")
	// One refusal does not fail the computation: the others evaluate, and since a checked answer
	// needs every member of this 2-of-3 committee (spec.Participants), the refusing member may
	// still evaluate and switch too (a refusal is on record, not binding on the member).
	w.ok("m2", output(id, digestOf("o")))
	w.ok("m3", output(id, digestOf("o")))
	w.ok("m1", output(id, digestOf("o")))
	w.ok("m2", share(id, digestOf("s2")))
	w.ok("m3", share(id, digestOf("s3")))
	w.ok("m1", share(id, digestOf("s1")))
	c := w.computation(id)
	if c.Status != ComputationCompleted || len(c.Refusals) != 1 || c.Refusals[0].Member != addr("m1") {
		t.Fatalf("status %s, refusals %+v; want completed with m1's refusal on record", c.Status, c.Refusals)
	}
	w.refused("m2", refusal(id, "after completion"), CodeComputationState, "is completed, no longer under way")
	// Past the deadline a refusal is refused too, and the computation expires refunded.
	late := w.ok("buyer", dotRequest(g, 1, 0))
	for range testDeadline + 1 {
		w.next()
	}
	w.refused("m1", refusal(late, "too late"), CodeDeadlinePassed, "took posts until height")
	w.next()
	if c := w.computation(late); c.Status != ComputationExpired {
		t.Errorf("unrefused computation: status %s, want expired (refunded)", c.Status)
	}
	w.checkCredits()
}
