package rights

import (
	"slices"
)

// Key-switch disputes (issue 14, attack 2). A participant's key-switch share cannot be checked on
// chain; the requester's client checks it (mpc.OpenValues combines every t-subset of the
// participants' shares and refuses an answer on which they disagree). So completion does not pay
// the holders at once: the escrow is held for Params.DisputeWindow blocks, within which the
// requester may dispute the computation, naming the participants its client suspects. A dispute
// withholds the escrow (neither released nor refunded) and records the accused on the
// computation, until a regulator resolves it: refund to the requester, or release to the holders.
// A false dispute gains the requester nothing: its answer is not refunded unless a regulator
// decides so, and the product was issued at completion either way (it names the output and the
// shares the requester could already read; what the window defers is payment).

// DefaultDisputeWindow is the dispute window of a genesis that sets none, in blocks.
const DefaultDisputeWindow = 20

func settleKey(at int64, id string) []byte { return timeKey(prefixSettle, at, id) }

// holdForDisputes schedules c's settlement at the end of its dispute window.
func (x *exec) holdForDisputes(c *Computation) error {
	p, err := x.params()
	if err != nil {
		return err
	}
	window := p.DisputeWindow
	if window == 0 {
		window = DefaultDisputeWindow
	}
	c.SettleAt = x.b.Height + window
	return x.s.Set(settleKey(c.SettleAt, c.ID), indexValue)
}

// release pays each of c's datasets' price to its current holder and marks the escrow settled.
func (x *exec) release(c *Computation) error {
	for i, id := range c.Datasets {
		d, err := x.dataset(id)
		if err != nil {
			return err
		}
		if err := x.pay(PaymentRelease, c, "", d.Holder, c.Prices[i]); err != nil {
			return err
		}
	}
	c.Settled = x.b.Height
	return nil
}

// settle releases the escrow of every completed computation whose dispute window ends at or
// before this height and that was not disputed.
func (x *exec) settle() error {
	due, err := dueEntries(x.s, prefixSettle, x.b.Height, "settlement")
	if err != nil {
		return err
	}
	for _, e := range due {
		c, err := x.computation(e.id)
		if err != nil {
			return err
		}
		if err := x.s.Delete(settleKey(c.SettleAt, c.ID)); err != nil {
			return err
		}
		if err := x.release(c); err != nil {
			return err
		}
		x.emit(Event{Action: "settle_computation", Parties: []Address{c.Requester}, Datasets: c.Datasets, Grant: c.Grant,
			Computation: c.ID, Attrs: []Attr{{"amount", formatUint(c.Escrow)}}})
		if err := save(x.s, key(prefixComp, c.ID), c); err != nil {
			return err
		}
	}
	return nil
}

// disputeComputation records the requester's dispute of a completed computation within its
// window: the escrow is withheld and the accused participants recorded.
func (x *exec) disputeComputation(m *DisputeComputation) error {
	c, err := x.computation(m.Computation)
	if err != nil {
		return err
	}
	if c.Requester != x.sender {
		return refuse(CodeUnauthorized, "%s did not request computation %s, so it cannot dispute it", x.sender, c.ID)
	}
	switch {
	case c.Status != ComputationCompleted:
		return refuse(CodeNotDisputable, "computation %s is %s; only a completed computation can be disputed", c.ID, c.Status)
	case c.Dispute != nil:
		return refuse(CodeNotDisputable, "computation %s was already disputed at height %d", c.ID, c.Dispute.Height)
	case c.Settled != 0 || x.b.Height > c.SettleAt:
		return refuse(CodeNotDisputable, "computation %s took disputes until height %d, this is height %d", c.ID, c.SettleAt, x.b.Height)
	}
	if len(m.Accused) == 0 || len(m.Accused) > len(c.Participants) {
		return refuse(CodeBadAccusation, "a dispute names 1 to %d participants, got %d", len(c.Participants), len(m.Accused))
	}
	for i, a := range m.Accused {
		if !slices.Contains(c.Participants, a) {
			return refuse(CodeBadAccusation, "%s is not a participant of computation %s", a, c.ID)
		}
		if slices.Contains(m.Accused[:i], a) {
			return refuse(CodeBadAccusation, "%s is accused twice", a)
		}
	}
	if m.Evidence.IsZero() {
		return refuse(CodeBadAccusation, "evidence digest is zero")
	}
	if err := x.s.Delete(settleKey(c.SettleAt, c.ID)); err != nil {
		return err
	}
	c.Dispute = &Dispute{Accused: slices.Clone(m.Accused), Evidence: m.Evidence, Height: x.b.Height}
	attrs := []Attr{{"evidence", m.Evidence.String()}}
	for _, a := range m.Accused {
		attrs = append(attrs, Attr{"accused", string(a)})
	}
	x.emit(Event{Action: "dispute_computation", Parties: uniqueAddrs(append([]Address{c.Requester}, m.Accused...)), Datasets: c.Datasets,
		Grant: c.Grant, Computation: c.ID, Attrs: attrs})
	return save(x.s, key(prefixComp, c.ID), c)
}

// resolveDispute is a regulator's decision on an open dispute: refund the requester or release
// the escrow to the holders.
func (x *exec) resolveDispute(m *ResolveDispute) error {
	if _, err := x.mustRegulator("resolve disputes"); err != nil {
		return err
	}
	if err := checkReason(m.Reason); err != nil {
		return err
	}
	c, err := x.computation(m.Computation)
	if err != nil {
		return err
	}
	if c.Dispute == nil || c.Dispute.Resolved != 0 {
		return refuse(CodeNoDispute, "computation %s has no open dispute", c.ID)
	}
	c.Dispute.Resolved, c.Dispute.Reason = x.b.Height, m.Reason
	if m.Refund {
		c.Dispute.Outcome = DisputeRefund
		if err := x.pay(PaymentRefund, c, "", c.Requester, c.Escrow); err != nil {
			return err
		}
		c.Settled = x.b.Height
	} else {
		c.Dispute.Outcome = DisputeRelease
		if err := x.release(c); err != nil {
			return err
		}
	}
	x.emit(Event{Action: "resolve_dispute", Parties: uniqueAddrs(append([]Address{c.Requester}, c.Dispute.Accused...)), Datasets: c.Datasets,
		Grant: c.Grant, Computation: c.ID, Attrs: []Attr{{"outcome", c.Dispute.Outcome}, {"reason", m.Reason}}})
	return save(x.s, key(prefixComp, c.ID), c)
}
