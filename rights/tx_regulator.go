package rights

import (
	"fmt"
	"math"
	"slices"
)

// regulators returns the current regulators: those genesis named, as changed by passed proposals.
func (x *exec) regulators() ([]Address, error) {
	var regs []Address
	ok, err := load(x.s, keyRegulators, &regs)
	if err != nil {
		return nil, err
	}
	if !ok { // state written before regulators could change
		gen, err := x.genesis()
		if err != nil {
			return nil, err
		}
		regs = gen.Regulators
	}
	return regs, nil
}

// mustRegulator refuses a sender that is not a current regulator.
func (x *exec) mustRegulator(action string) ([]Address, error) {
	regs, err := x.regulators()
	if err != nil {
		return nil, err
	}
	if !slices.Contains(regs, x.sender) {
		return nil, refuse(CodeUnauthorized, "%s is not a regulator, so it cannot %s", x.sender, action)
	}
	return regs, nil
}

// holdOn returns the hold in force on an object, or nil.
func (x *exec) holdOn(kind HoldKind, target string) (*Hold, error) {
	return holdOn(x.s, kind, target)
}

func holdOn(s Store, kind HoldKind, target string) (*Hold, error) {
	id, err := s.Get(holdOnKey(kind, target))
	if err != nil || id == nil {
		return nil, err
	}
	var h Hold
	ok, err := load(s, key(prefixHold, string(id)), &h)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("rights: hold index names missing hold %s", id)
	}
	return &h, nil
}

// holdOnKey is where the id of the hold in force on an object is kept. At most one hold is in
// force per object (freeze refuses a second), so checking an object, which nearly every tx does
// for several objects, is one read rather than a scan.
func holdOnKey(kind HoldKind, target string) []byte {
	return key(prefixHoldOn, string(kind)+"/"+target)
}

// productHolds returns the holds that freeze p: on p itself or on any of its source datasets.
func productHolds(s Store, p *Product) ([]Hold, error) {
	var out []Hold
	h, err := holdOn(s, HoldProduct, p.ID)
	if err != nil {
		return nil, err
	}
	if h != nil {
		out = append(out, *h)
	}
	for _, d := range p.Datasets {
		h, err := holdOn(s, HoldDataset, d)
		if err != nil {
			return nil, err
		}
		if h != nil {
			out = append(out, *h)
		}
	}
	return out, nil
}

// notFrozen refuses an object under a hold; what names it in the message ("dataset ds-1").
func (x *exec) notFrozen(kind HoldKind, target, what string) error {
	h, err := x.holdOn(kind, target)
	if err != nil {
		return err
	}
	if h != nil {
		return refuse(CodeFrozen, "%s is frozen by regulator hold %s (%s)", what, h.ID, h.Reason)
	}
	return nil
}

func knownHoldKind(k HoldKind) bool {
	switch k {
	case HoldParty, HoldDataset, HoldGrant, HoldProduct:
		return true
	}
	return false
}

// holdTarget checks that the object a hold names exists and returns the event fields it touches.
func (x *exec) holdTarget(kind HoldKind, id string) (Event, error) {
	ev := Event{Attrs: []Attr{{"kind", string(kind)}, {"target", id}}}
	switch kind {
	case HoldParty:
		p, err := x.party(Address(id))
		if err != nil {
			return ev, err
		}
		if p == nil {
			return ev, refuse(CodeUnknownParty, "party %s is not registered", id)
		}
		ev.Parties = []Address{p.Address}
	case HoldDataset:
		d, err := x.dataset(id)
		if err != nil {
			return ev, err
		}
		ev.Parties, ev.Datasets = []Address{d.Holder}, []string{d.ID}
	case HoldGrant:
		g, err := x.grant(id)
		if err != nil {
			return ev, err
		}
		ev.Parties, ev.Datasets, ev.Grant = []Address{g.Grantee}, g.Datasets, g.ID
	case HoldProduct:
		p, err := x.product(id)
		if err != nil {
			return ev, err
		}
		ev.Parties, ev.Datasets, ev.Grant, ev.Computation = []Address{p.Holder}, p.Datasets, p.Grant, p.Computation
		ev.Attrs = append(ev.Attrs, Attr{"product", p.ID})
	default:
		return ev, refuse(CodeBadHold, "hold kind %q is unknown (want party, dataset, grant or product)", kind)
	}
	return ev, nil
}

// freeze puts a hold on an object and aborts, with refunds, the computations under way that use it.
func (x *exec) freeze(m *Freeze) (string, error) {
	regs, err := x.mustRegulator("freeze objects")
	if err != nil {
		return "", err
	}
	if err := checkReason(m.Reason); err != nil {
		return "", err
	}
	if m.Reason == "" {
		return "", refuse(CodeBadHold, "a freeze needs a reason, for the audit trail")
	}
	ev, err := x.holdTarget(m.Kind, m.ID)
	if err != nil {
		return "", err
	}
	if m.Kind == HoldParty && slices.Contains(regs, Address(m.ID)) {
		return "", refuse(CodeUnauthorized, "party %s is a regulator and cannot be frozen; propose its removal instead", m.ID)
	}
	if h, err := x.holdOn(m.Kind, m.ID); err != nil {
		return "", err
	} else if h != nil {
		return "", refuse(CodeAlreadyFrozen, "%s %s is already frozen by hold %s", m.Kind, m.ID, h.ID)
	}
	id, err := x.newID("hd")
	if err != nil {
		return "", err
	}
	h := &Hold{ID: id, Kind: m.Kind, Target: m.ID, Reason: m.Reason, By: x.sender, Height: x.b.Height}
	if err := save(x.s, key(prefixHold, id), h); err != nil {
		return "", err
	}
	if err := x.s.Set(holdOnKey(m.Kind, m.ID), []byte(id)); err != nil {
		return "", err
	}
	ev.Action = "freeze"
	ev.Attrs = append(ev.Attrs, Attr{"hold", id}, Attr{"reason", m.Reason})
	x.emit(ev)

	why := fmt.Sprintf("%s %s was frozen by regulator %s: %s", m.Kind, m.ID, x.sender, m.Reason)
	var match func(c *Computation) bool
	switch m.Kind {
	case HoldParty:
		match = func(c *Computation) bool { return c.Requester == Address(m.ID) }
	case HoldDataset:
		match = func(c *Computation) bool { return slices.Contains(c.Datasets, m.ID) }
	case HoldGrant:
		match = func(c *Computation) bool { return c.Grant == m.ID }
	default:
		return id, nil // a product is not an input of computations
	}
	return id, x.abortPending(match, why)
}

// unfreeze releases the hold in force on an object.
func (x *exec) unfreeze(m *Unfreeze) error {
	if _, err := x.mustRegulator("unfreeze objects"); err != nil {
		return err
	}
	if err := checkReason(m.Reason); err != nil {
		return err
	}
	ev, err := x.holdTarget(m.Kind, m.ID)
	if err != nil {
		return err
	}
	h, err := x.holdOn(m.Kind, m.ID)
	if err != nil {
		return err
	}
	if h == nil {
		return refuse(CodeNotFrozen, "%s %s is not frozen", m.Kind, m.ID)
	}
	h.Released, h.ReleasedBy, h.ReleaseReason = x.b.Height, x.sender, m.Reason
	if err := save(x.s, key(prefixHold, h.ID), h); err != nil {
		return err
	}
	if err := x.s.Delete(holdOnKey(m.Kind, m.ID)); err != nil {
		return err
	}
	ev.Action = "unfreeze"
	ev.Attrs = append(ev.Attrs, Attr{"hold", h.ID}, Attr{"reason", m.Reason})
	x.emit(ev)
	return nil
}

// abortPending aborts and refunds every computation under way (pending or switching) that match
// selects.
func (x *exec) abortPending(match func(c *Computation) bool, why string) error {
	underWay, err := dueEntries(x.s, prefixDeadline, math.MaxInt64, "deadline")
	if err != nil {
		return err
	}
	for _, e := range underWay {
		id := e.id
		c, err := x.computation(id)
		if err != nil {
			return err
		}
		if !match(c) {
			continue
		}
		if err := x.abort(c, why); err != nil {
			return err
		}
	}
	return nil
}

// abort ends a computation under way as aborted, refunding it, and saves its grant.
func (x *exec) abort(c *Computation, why string) error {
	g, err := x.grant(c.Grant)
	if err != nil {
		return err
	}
	if err := x.refund(c, g, ComputationAborted, why, "abort_computation"); err != nil {
		return err
	}
	return save(x.s, key(prefixGrant, g.ID), g)
}

// proposeRegulatorChange opens a proposal to add or remove a regulator, with the proposer's vote.
func (x *exec) proposeRegulatorChange(m *ProposeRegulatorChange) (string, error) {
	regs, err := x.mustRegulator("propose regulator changes")
	if err != nil {
		return "", err
	}
	if err := checkReason(m.Reason); err != nil {
		return "", err
	}
	if !validAddress(m.Address) {
		return "", refuse(CodeBadProposal, "%q is not an address (40 lower-case hex digits)", m.Address)
	}
	if m.Change != RegulatorAdd && m.Change != RegulatorRemove {
		return "", refuse(CodeBadProposal, "regulator change %q is unknown (want add or remove)", m.Change)
	}
	if err := x.checkChange(regs, m.Change, m.Address); err != nil {
		return "", err
	}
	id, err := x.newID("rp")
	if err != nil {
		return "", err
	}
	p := &Proposal{ID: id, Proposer: x.sender, Change: m.Change, Address: m.Address, Reason: m.Reason,
		Votes: []Address{x.sender}, Status: ProposalOpen, Proposed: x.b.Height}
	x.emit(Event{Action: "propose_regulator_change", Parties: uniqueAddrs([]Address{x.sender, m.Address}),
		Attrs: []Attr{{"proposal", id}, {"change", string(m.Change)}, {"address", string(m.Address)}, {"reason", m.Reason}}})
	return id, x.tally(p, regs)
}

// voteRegulatorChange adds the sender's vote to an open proposal.
func (x *exec) voteRegulatorChange(m *VoteRegulatorChange) error {
	regs, err := x.mustRegulator("vote on regulator changes")
	if err != nil {
		return err
	}
	var p Proposal
	ok, err := load(x.s, key(prefixProposal, m.Proposal), &p)
	if err != nil {
		return err
	}
	if !ok {
		return refuse(CodeUnknownProposal, "proposal %s does not exist", m.Proposal)
	}
	if p.Status != ProposalOpen {
		return refuse(CodeProposalState, "proposal %s has already %s", p.ID, p.Status)
	}
	if slices.Contains(p.Votes, x.sender) {
		return refuse(CodeAlreadyVoted, "%s already voted for proposal %s", x.sender, p.ID)
	}
	if err := x.checkChange(regs, p.Change, p.Address); err != nil {
		return err
	}
	p.Votes = append(p.Votes, x.sender)
	x.emit(Event{Action: "vote_regulator_change", Parties: uniqueAddrs([]Address{x.sender, p.Address}),
		Attrs: []Attr{{"proposal", p.ID}}})
	return x.tally(&p, regs)
}

// checkChange refuses a change that is moot against the current regulators or would leave none.
func (x *exec) checkChange(regs []Address, change RegulatorChange, a Address) error {
	is := slices.Contains(regs, a)
	switch {
	case change == RegulatorAdd && is:
		return refuse(CodeBadProposal, "%s is already a regulator", a)
	case change == RegulatorRemove && !is:
		return refuse(CodeBadProposal, "%s is not a regulator", a)
	case change == RegulatorRemove && len(regs) == 1:
		return refuse(CodeBadProposal, "%s is the only regulator; removing it would leave none", a)
	}
	if change == RegulatorAdd {
		if err := x.notFrozen(HoldParty, string(a), "party "+string(a)); err != nil {
			return err
		}
	}
	return nil
}

// tally saves p, applying it when a strict majority of the current regulators voted for it.
func (x *exec) tally(p *Proposal, regs []Address) error {
	votes := 0
	for _, v := range p.Votes {
		if slices.Contains(regs, v) {
			votes++
		}
	}
	if 2*votes > len(regs) {
		next := slices.Clone(regs)
		if p.Change == RegulatorAdd {
			next = append(next, p.Address)
		} else {
			next = slices.DeleteFunc(next, func(a Address) bool { return a == p.Address })
		}
		if err := save(x.s, keyRegulators, next); err != nil {
			return err
		}
		if party, err := x.party(p.Address); err != nil {
			return err
		} else if party != nil {
			// A copy: party's slices are shared with the decode memo (see loadMemo).
			party.Roles = slices.DeleteFunc(slices.Clone(party.Roles), func(r Role) bool { return r == RoleRegulator })
			if p.Change == RegulatorAdd {
				party.Roles = append(party.Roles, RoleRegulator)
			}
			if err := x.putParty(party); err != nil {
				return err
			}
		}
		p.Status, p.Decided, p.Regulators = ProposalPassed, x.b.Height, next
		x.emit(Event{Action: "regulator_change_passed", Parties: uniqueAddrs(append([]Address{p.Address}, p.Votes...)),
			Attrs: []Attr{{"proposal", p.ID}, {"change", string(p.Change)}, {"address", string(p.Address)},
				{"votes", fmt.Sprint(votes)}, {"regulators", fmt.Sprint(len(regs))}}})
	}
	return save(x.s, key(prefixProposal, p.ID), p)
}
