package rights

import (
	"slices"
	"testing"
)

// completedByAll runs a sum through all three participants of the test committee and returns it
// completed, its escrow held for the dispute window.
func completedByAll(w *world) *Computation {
	w.t.Helper()
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, output(c, digestOf("o")))
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, share(c, digestOf("s "+m)))
	}
	return w.computation(c)
}

func dispute(id string, evidence Digest, accused ...string) Msg {
	m := &DisputeComputation{Computation: id, Evidence: evidence}
	for _, a := range accused {
		m.Accused = append(m.Accused, addr(a))
	}
	return Msg{DisputeComputation: m}
}

// TestAttackOffsetShareDisputeWithholdsEscrow: m2 posted a key-switch share with an offset (the
// chain cannot tell; the buyer's client refuses the answer and names m2, mpc's
// TestAttackOffsetKeySwitchShare). Before this change completion paid the holders at once, so
// the buyer paid for an answer it could not use and had no way to say so on chain. Now the escrow
// is held for the dispute window; the buyer's dispute withholds it past the window, records m2 on
// the computation and in an event, and only a regulator's resolution moves it.
func TestAttackOffsetShareDisputeWithholdsEscrow(t *testing.T) {
	w := newWorld(t, 2)
	b1, b2, buyer := w.party("owner1").Balance, w.party("owner2").Balance, w.party("buyer").Balance
	c := completedByAll(w)
	if c.Status != ComputationCompleted || !c.EscrowHeld() {
		t.Fatalf("completed computation = %+v, want its escrow held", c)
	}
	evidence := digestOf("the three subsets decrypt to two answers")
	for _, tc := range []struct {
		name, sender string
		m            Msg
		code         uint32
		want         string
	}{
		{"not the requester", "buyer2", dispute(c.ID, evidence, "m2"), CodeUnauthorized, "did not request computation"},
		{"no one accused", "buyer", dispute(c.ID, evidence), CodeBadAccusation, "names 1 to 3 participants, got 0"},
		{"not a participant", "buyer", dispute(c.ID, evidence, "owner1"), CodeBadAccusation, "is not a participant"},
		{"accused twice", "buyer", dispute(c.ID, evidence, "m2", "m2"), CodeBadAccusation, "is accused twice"},
		{"zero evidence", "buyer", dispute(c.ID, Digest{}, "m2"), CodeBadAccusation, "evidence digest is zero"},
		{"unknown computation", "buyer", dispute("cp-nope", evidence, "m2"), CodeUnknownComputation, "does not exist"},
		{"resolve with no dispute", testRegulatorKey, Msg{ResolveDispute: &ResolveDispute{Computation: c.ID}}, CodeNoDispute, "has no open dispute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	w.next()
	w.ok("buyer", dispute(c.ID, evidence, "m2"))
	if ev := w.events[len(w.events)-1]; ev.Action != "dispute_computation" || !slices.Contains(ev.Parties, addr("m2")) || !slices.Contains(ev.Attrs, Attr{"accused", string(addr("m2"))}) {
		t.Errorf("dispute event = %+v", ev)
	}
	w.refused("buyer", dispute(c.ID, evidence, "m1"), CodeNotDisputable, "was already disputed")
	w.passWindow()
	got := w.computation(c.ID)
	if got.Dispute == nil || !slices.Equal(got.Dispute.Accused, []Address{addr("m2")}) || got.Dispute.Evidence != evidence || !got.EscrowHeld() {
		t.Errorf("disputed computation after its window = %+v, want m2 accused and the escrow held", got)
	}
	if w.party("owner1").Balance != b1 || w.party("owner2").Balance != b2 || w.party("buyer").Balance != buyer-c.Escrow {
		t.Errorf("escrow moved during a dispute: owner1 %d→%d owner2 %d→%d buyer %d→%d",
			b1, w.party("owner1").Balance, b2, w.party("owner2").Balance, buyer, w.party("buyer").Balance)
	}
	w.checkCredits()
	w.refused("buyer", Msg{ResolveDispute: &ResolveDispute{Computation: c.ID, Refund: true}}, CodeUnauthorized, "is not a regulator")
	w.ok(testRegulatorKey, Msg{ResolveDispute: &ResolveDispute{Computation: c.ID, Refund: true, Reason: "m2's share objects disagree with m1's and m3's"}})
	if w.party("buyer").Balance != buyer || w.party("owner1").Balance != b1 {
		t.Errorf("refund did not return the escrow to the buyer alone")
	}
	if got := w.computation(c.ID); got.Dispute.Outcome != DisputeRefund || got.EscrowHeld() {
		t.Errorf("resolved computation = %+v", got)
	}
	w.refused(testRegulatorKey, Msg{ResolveDispute: &ResolveDispute{Computation: c.ID}}, CodeNoDispute, "has no open dispute")
	w.checkCredits()
}

// TestFalseDisputeGainsNothing: a buyer that disputes an honest computation gets its escrow held
// until a regulator releases it to the holders; the buyer never gets it back by disputing.
func TestFalseDisputeGainsNothing(t *testing.T) {
	w := newWorld(t, 2)
	b1, buyer := w.party("owner1").Balance, w.party("buyer").Balance
	c := completedByAll(w)
	w.ok("buyer", dispute(c.ID, digestOf("nothing"), "m1", "m3"))
	w.passWindow()
	if w.party("buyer").Balance != buyer-c.Escrow {
		t.Errorf("buyer balance %d after a dispute, want %d", w.party("buyer").Balance, buyer-c.Escrow)
	}
	w.ok(testRegulatorKey, Msg{ResolveDispute: &ResolveDispute{Computation: c.ID, Reason: "all subsets agree"}})
	if w.party("owner1").Balance != b1+30 || w.party("buyer").Balance != buyer-c.Escrow {
		t.Errorf("release: owner1 %d→%d, buyer %d→%d", b1, w.party("owner1").Balance, buyer, w.party("buyer").Balance)
	}
	w.checkCredits()
}

// TestDisputeWindowCloses: after the window the escrow is settled and a dispute is refused; a
// computation under way cannot be disputed.
func TestDisputeWindowCloses(t *testing.T) {
	w := newWorld(t, 2)
	p := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	w.refused("buyer", dispute(p, digestOf("e"), "m1"), CodeNotDisputable, "only a completed computation can be disputed")
	w.next()
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, output(p, digestOf("o")))
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, share(p, digestOf("s "+m)))
	}
	c := w.computation(p)
	for w.height <= c.SettleAt {
		w.next()
	}
	if c := w.computation(p); c.EscrowHeld() || c.Settled != c.SettleAt {
		t.Errorf("computation after its window = %+v, want settled at %d", c, c.SettleAt)
	}
	w.refused("buyer", dispute(p, digestOf("e"), "m1"), CodeNotDisputable, "took disputes until height")
	w.checkCredits()
}
