package rights

import (
	"fmt"
	"slices"
	"strings"
)

// MaxRefusalReason bounds a refusal's reason, in bytes.
const MaxRefusalReason = 300

// refuseComputation records a member's refusal of a computation under way for its requester's
// fault. Only a committee member may refuse, once per computation, while the computation takes
// posts (pending or switching, up to its deadline). With Threshold refusals the computation fails
// as the requester's fault (failRefused); fewer are kept for the audit only, and a computation
// the committee does not finish otherwise still expires and is refunded.
func (x *exec) refuseComputation(m *RefuseComputation) error {
	c, committee, err := x.memberComputation(m.Computation)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(m.Reason)
	if reason == "" {
		return refuse(CodeBadRefusal, "a refusal needs a reason")
	}
	if len(m.Reason) > MaxRefusalReason {
		return refuse(CodeBadRefusal, "a refusal's reason is %d bytes, at most %d are allowed", len(m.Reason), MaxRefusalReason)
	}
	if slices.ContainsFunc(c.Refusals, func(r Refusal) bool { return r.Member == x.sender }) {
		return refuse(CodeAlreadyRefused, "%s already refused computation %s", x.sender, c.ID)
	}
	c.Refusals = append(slices.Clip(c.Refusals), Refusal{Member: x.sender, Reason: reason, Height: x.b.Height})
	x.emit(Event{
		Action:      "refuse_computation",
		Parties:     []Address{x.sender, c.Requester},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"reason", reason}},
	})
	if len(c.Refusals) < int(committee.Threshold) {
		return save(x.s, key(prefixComp, c.ID), c)
	}
	g, err := x.grant(c.Grant)
	if err != nil {
		return err
	}
	if err := x.failRefused(c, g); err != nil {
		return err
	}
	return save(x.s, key(prefixGrant, g.ID), g)
}

// failRefused ends a computation Threshold members refused for its requester's fault. The work
// is charged, not refunded: the escrow is released to the datasets' holders of this moment, as
// at completion, the grant's use and the epsilon charged to the grant and the datasets stay
// spent, and no product is issued. The caller saves g.
func (x *exec) failRefused(c *Computation, g *Grant) error {
	c.Status = ComputationRefused
	c.Finished = x.b.Height
	c.Reason = fmt.Sprintf("refused by %d committee members for the requester's fault: %s", len(c.Refusals), c.Refusals[0].Reason)
	if err := x.unindex(c); err != nil {
		return err
	}
	parties := []Address{c.Requester}
	for _, r := range c.Refusals {
		parties = append(parties, r.Member)
	}
	x.emit(Event{
		Action:      "fail_computation",
		Parties:     uniqueAddrs(parties),
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"requester", string(c.Requester)}, {"reason", c.Reason}, {"charged", formatUint(c.Escrow)}},
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
	if g.Used >= g.Uses {
		pending, err := indexed(x.s, prefixPendingBy, g.ID)
		if err != nil {
			return err
		}
		if len(pending) == 0 && g.State == GrantActive {
			g.State = GrantExhausted
			g.Updated = x.b.Height
			x.grantEvent("exhaust_grant", g, Attr{"uses", formatUint(g.Uses)})
		}
	}
	return save(x.s, key(prefixComp, c.ID), c)
}
