package rights

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAttackRefundAfterRelease is attack 4 of issue 14, as a buyer runs it: it takes an offer
// grant over a DP-required dataset with a time expiry it chooses, asks for a noisy sum, and times
// the committee's last key-switch share into the block whose time reaches that expiry. Were the
// share accepted, every share would be on chain (and in storage), and the buyer could combine
// them into the answer, yet escrow, use and epsilon came back: repeated, it averages the DP noise
// away for free. The chain must never refund a computation whose shares are all out: the last
// share is refused (the computation is no longer live) and the refund finds it one share short;
// a last share accepted before the expiry charges it.
func TestAttackRefundAfterRelease(t *testing.T) {
	const eps = 500_000
	setup := func(t *testing.T) (w *world, grant, comp string, start uint64) {
		w = newWorld(t, 2)
		w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{
			DPRequired: true, EpsilonTotal: 10_000_000, Approval: ApprovalOffer,
			Offer: OfferTerms{MaxUses: 5, PricePerUse: 20, Epsilon: 2_000_000, MaxSeconds: 3600},
		}}})
		w.next()
		start = w.party("buyer").Balance
		expires := w.block().Time.Unix() + 2 // the block two ahead: the harness's blocks are a second apart
		grant = w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"},
			Uses: 5, Epsilon: 2_000_000, Expiry: Expiry{Time: expires}}})
		if g := w.grant(grant); g.State != GrantActive {
			t.Fatalf("the offer did not approve the grant: %+v", g)
		}
		comp = w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: grant, Op: OpSum, Columns: []string{"a"}, Epsilon: eps}})
		w.ok("m1", noisyOutput(comp, digestOf("o"), digestOf("n1")))
		w.ok("m2", noisyOutput(comp, digestOf("o"), digestOf("n2")))
		w.ok("m3", noisyOutput(comp, digestOf("o"), digestOf("n3")))
		w.ok("m1", share(comp, digestOf("s1")))
		w.ok("m3", share(comp, digestOf("s3")))
		return w, grant, comp, start
	}
	// released reports whether every participant's share of c is on chain: the buyer can combine them.
	released := func(c *Computation) bool { return len(c.Participants) > 0 && len(c.Shares) == len(c.Participants) }

	t.Run("last share in the expiry block", func(t *testing.T) {
		w, grant, comp, start := setup(t)
		w.next()
		w.next() // this block's time is the grant's expiry
		raw := w.raw("m2", share(comp, digestOf("s2")))
		w.refusedRaw(raw, CodeNotLive, "computation "+comp+" is no longer live: grant "+grant+" expired at unix time")
		w.next()
		c := w.computation(comp)
		if c.Status != ComputationAborted || c.Product != "" {
			t.Fatalf("computation after the grant expired = %+v, want aborted", c)
		}
		if released(c) {
			t.Fatalf("computation %s was refunded with every share out (%d of %d): the buyer decrypts for free", comp, len(c.Shares), len(c.Participants))
		}
		if w.party("buyer").Balance != start {
			t.Errorf("buyer balance = %d, want %d back: nothing was released", w.party("buyer").Balance, start)
		}
		// The member's share, retried in a later block, is refused too.
		w.refused("m2", share(comp, digestOf("s2")), CodeComputationState, "is aborted, no longer under way")
		w.checkCredits()
	})
	t.Run("last share before the expiry", func(t *testing.T) {
		w, grant, comp, start := setup(t)
		w.next() // a block before the expiry time
		holder := w.party("owner2").Balance
		w.ok("m2", share(comp, digestOf("s2")))
		w.next()
		w.next() // the grant expires; the completed computation stays charged
		for i := 0; w.computation(comp).Settled == 0 && i < 100; i++ {
			w.next() // the holder is paid when the dispute window ends
		}
		c := w.computation(comp)
		if c.Status != ComputationCompleted || !released(c) || c.Product == "" {
			t.Fatalf("computation = %+v, want completed", c)
		}
		if got := w.party("buyer").Balance; got != start-20 {
			t.Errorf("buyer balance = %d, want %d: the release was not charged", got, start-20)
		}
		if got := w.party("owner2").Balance; got != holder+20 {
			t.Errorf("holder balance = %d, want %d", got, holder+20)
		}
		g := w.grant(grant)
		if g.State != GrantExpired || g.Used != 1 || g.EpsilonSpent != eps {
			t.Errorf("grant = state %s used %d epsilon %d, want expired with the use and epsilon %d spent", g.State, g.Used, g.EpsilonSpent, eps)
		}
		if d, _ := w.l.Dataset(w.ds2); d.EpsilonSpent != eps {
			t.Errorf("dataset spent epsilon %d, want %d", d.EpsilonSpent, eps)
		}
		w.checkCredits()
	})
	t.Run("policy expiry", func(t *testing.T) {
		w := newWorld(t, 2)
		start := w.party("buyer").Balance
		c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
		w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{Approval: ApprovalRequired, Expiry: Expiry{Time: w.block().Time.Unix() + 1}}}})
		w.ok("m1", output(c, digestOf("o")))
		w.next() // this block's time is the policy's expiry
		w.refused("m2", output(c, digestOf("o")), CodeNotLive, "the policy of dataset "+w.ds2+" has expired (at unix time")
		w.next() // and the end of the block ends it, as a grant's
		if cp := w.computation(c); cp.Status != ComputationAborted || !strings.Contains(cp.Reason, "the policy of dataset "+w.ds2+" expired at unix time") {
			t.Errorf("computation after the policy expired = %s %q, want aborted", cp.Status, cp.Reason)
		}
		if w.party("buyer").Balance != start {
			t.Errorf("buyer not refunded")
		}
		// A policy replaced before its expiry leaves nothing to expire.
		w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{Approval: ApprovalRequired, Expiry: Expiry{Height: w.height + 1}}}})
		w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{Approval: ApprovalRequired}}})
		c2 := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
		w.next()
		w.next()
		if cp := w.computation(c2); cp.Status != ComputationPending {
			t.Errorf("computation under a replaced policy = %s %q, want pending", cp.Status, cp.Reason)
		}
		w.checkCredits()
	})
}

// TestLivenessQuery: /live/ID/HEIGHT/UNIX answers what a member's post would meet in that block,
// so that a member asks before it hands out a share.
func TestLivenessQuery(t *testing.T) {
	w := newWorld(t, 2)
	expires := w.block().Time.Unix() + 5
	g := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1, Expiry: Expiry{Time: expires}}})
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
	c := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}})
	w.next()
	ask := func(path string) *Liveness {
		t.Helper()
		b, _, err := w.l.Query(path)
		if err != nil {
			t.Fatalf("Query(%s): %v", path, err)
		}
		var l Liveness
		if err := Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		return &l
	}
	h := w.height
	if l := ask(fmt.Sprintf("/live/%s/%d/%d", c, h, expires-1)); !l.Live || l.Reason != "" || l.Computation != c || l.Height != h {
		t.Errorf("before the expiry: %+v, want live", l)
	}
	if l := ask(fmt.Sprintf("/live/%s/%d/%d", c, h, expires)); l.Live || !strings.Contains(l.Reason, "grant "+g+" expired at unix time") {
		t.Errorf("at the expiry: %+v, want not live", l)
	}
	if l := ask(fmt.Sprintf("/live/%s/%d/%d", c, h+testDeadline+5, expires-1)); l.Live || !strings.Contains(l.Reason, "takes posts until height") {
		t.Errorf("past the deadline: %+v, want not live", l)
	}
	if _, _, err := w.l.Query("/live/cp-nope/1/1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown computation: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"/live/" + c, "/live/" + c + "/1", "/live/" + c + "/x/1", "/live//1/1"} {
		var te *TxError
		if _, _, err := w.l.Query(bad); !errors.As(err, &te) || te.Code != CodeUnknownQuery {
			t.Errorf("Query(%s) = %v, want CodeUnknownQuery", bad, err)
		}
	}
}

// TestAttackRefundBySelfAbort is a variant of attack 4: a buyer that also holds a dataset of its
// grant (pooled with a victim's whose policy allows any pooling) waits until the output is agreed
// and the members are key-switching, then revokes its own grant, or retires its own dataset, in
// the block of the last share. The members asked the chain before they stored their shares, so
// those shares may be in storage while the chain refuses the last one and aborts. An abort by the
// requester's own hand after the output was agreed is charged, never refunded.
func TestAttackRefundBySelfAbort(t *testing.T) {
	for _, how := range []string{"revoke", "retire"} {
		t.Run(how, func(t *testing.T) {
			w := newWorld(t, 2)
			mine := w.list("buyer2", Msg{RegisterDataset: listing("mine", 10, 5, column("a", TypeInteger, 0, 0, 10, 10))})
			w.ok("owner2", Msg{SetPolicy: &SetPolicy{Dataset: w.ds2, Policy: Policy{Approval: ApprovalRequired, Pooling: PoolingAny}}})
			w.next()
			g := w.ok("buyer2", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2, mine}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}})
			w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
			w.ok("buyer2", Msg{ApproveGrant: &ApproveGrant{Grant: g}})
			start, victim := w.party("buyer2").Balance, w.party("owner2").Balance
			c := w.ok("buyer2", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}})
			escrow := w.computation(c).Escrow
			w.ok("m1", output(c, digestOf("o")))
			w.ok("m2", output(c, digestOf("o")))
			w.ok("m3", output(c, digestOf("o")))
			w.ok("m1", share(c, digestOf("s1")))
			w.ok("m3", share(c, digestOf("s3")))
			w.next()
			// m2 made and stored its share; before its post lands, the buyer aborts.
			if how == "revoke" {
				w.ok("buyer2", Msg{RevokeGrant: &RevokeGrant{Grant: g, Reason: "changed my mind"}})
			} else {
				w.ok("buyer2", Msg{RetireDataset: &RetireDataset{Dataset: mine, Reason: "stale"}})
			}
			w.refused("m2", share(c, digestOf("s2")), CodeComputationState, "is aborted")
			cp := w.computation(c)
			if cp.Status != ComputationAborted || cp.Product != "" || !strings.Contains(cp.Reason, "charged, not refunded") {
				t.Errorf("computation = %s %q, want aborted and charged", cp.Status, cp.Reason)
			}
			if got := w.party("buyer2").Balance; got != start-escrow+5 { // its own dataset's price comes back to it as holder
				t.Errorf("buyer balance = %d, want %d: the self-abort was refunded", got, start-escrow+5)
			}
			if got := w.party("owner2").Balance; got != victim+escrow-5 {
				t.Errorf("victim's holder balance = %d, want %d", got, victim+escrow-5)
			}
			if gr := w.grant(g); gr.Used != 1 {
				t.Errorf("grant used %d, want 1: the use stays spent", gr.Used)
			}
			w.checkCredits()
		})
	}
}
