package rights

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestPropertyRandomTxs drives the ledger with random sequences of valid and invalid txs of every
// kind from fixed seeds and checks after each one: a refused tx changed nothing; the credit supply
// (balances plus escrow under way) equals the opening credits; every grant's and dataset's uses
// and epsilon match the computations charged to it, and no grant is past its uses or epsilon.
func TestPropertyRandomTxs(t *testing.T) {
	steps := 600
	if testing.Short() {
		steps = 150
	}
	accepted := map[string]int{}
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			p := &prop{world: newWorld(t, 2), rng: rand.New(rand.NewPCG(seed, 0x5eed))}
			p.datasets = []string{p.ds1, p.ds2}
			p.grants = []string{p.active, p.asked}
			for i := 0; i < steps; i++ {
				name, sender, msg := p.randomTx()
				if msg == nil {
					p.next()
				} else if p.try(sender, *msg) {
					accepted[name]++
				}
				p.check(i)
				if i%20 == 19 {
					checkMemo(t, p.l.Cache)
				}
			}
		})
	}
	t.Logf("accepted over all seeds: %v", accepted)
	// The walk must reach every kind, or the invariants were checked over too little.
	for _, kind := range []string{"request_grant", "approve_grant", "reject_grant", "revoke_grant", "request_computation",
		"submit_output", "submit_share", "freeze", "unfreeze", "set_policy", "update_dataset", "transfer_holding",
		"transfer_product", "license_product"} {
		if accepted[kind] == 0 {
			t.Errorf("no %s was accepted in the random walk", kind)
		}
	}
}

const debugProp = false

type prop struct {
	*world
	rng          *rand.Rand
	datasets     []string
	grants       []string
	computations []string
	products     []string
}

var propParties = []string{"owner1", "owner2", "buyer", "buyer2", "m1", "m2", "m3", testRegulatorKey}

func (p *prop) pick(list []string) string {
	if len(list) == 0 || p.rng.IntN(20) == 0 {
		return "nope-" + fmt.Sprint(p.rng.IntN(3)) // sometimes an unknown id
	}
	return list[p.rng.IntN(len(list))]
}

func (p *prop) party() string { return propParties[p.rng.IntN(len(propParties))] }

func (p *prop) eps() uint64 {
	return []uint64{0, 0, 0, 0, 100_000, 500_000, 2_000_000}[p.rng.IntN(7)]
}

// randomTx returns a kind name, a sender and a message; nil ends the block instead.
func (p *prop) randomTx() (string, string, *Msg) {
	r := p.rng
	ops := []Op{OpSum, OpCount, OpMean, OpVariance}
	// Weighted so that grants get approved and computations run often: freezes and policy
	// changes are rare.
	kind := []int{0, 0, 1, 1, 2, 2, 2, 3, 4, 5, 5, 5, 6, 7, 8, 8, 9, 10, 10, 11, 11, 12, 13, 14, 15}[r.IntN(25)]
	switch kind {
	case 0:
		return "", "", nil
	case 1:
		m := &RequestGrant{Datasets: []string{p.pick(p.datasets)}, Ops: ops, Columns: []string{"a"}, Uses: uint64(r.IntN(5)), Epsilon: p.eps()}
		if r.IntN(5) == 0 {
			m.Ops = []Op{ops[r.IntN(len(ops))], OpCount}
		}
		if r.IntN(3) == 0 {
			m.Datasets = append(m.Datasets, p.pick(p.datasets))
		}
		if r.IntN(3) == 0 {
			m.Expiry.Height = p.height + int64(r.IntN(6)) - 1
		}
		return "request_grant", []string{"buyer", "buyer2", "owner1"}[r.IntN(3)], &Msg{RequestGrant: m}
	case 2, 3:
		g := p.inState(GrantRequested)
		return "approve_grant", p.holderOf(g), &Msg{ApproveGrant: &ApproveGrant{Grant: g}}
	case 4:
		if r.IntN(2) == 0 {
			g := p.inState(GrantRequested)
			return "reject_grant", p.holderOf(g), &Msg{RejectGrant: &RejectGrant{Grant: g}}
		}
		g := p.inState(GrantActive)
		return "revoke_grant", p.holderOf(g), &Msg{RevokeGrant: &RevokeGrant{Grant: g, Reason: "random"}}
	case 5, 6:
		g := p.inState(GrantActive)
		return "request_computation", p.granteeOf(g), &Msg{RequestComputation: &RequestComputation{
			Grant: g, Op: ops[r.IntN(len(ops))], Columns: []string{"a"}, Epsilon: p.eps()}}
	case 7, 8:
		d := digestOf(fmt.Sprint("out", r.IntN(2)))
		return "submit_output", []string{"m1", "m2", "m3", "buyer"}[r.IntN(4)], &Msg{SubmitOutput: &SubmitOutput{Computation: p.underWay(), Output: d}}
	case 9, 10:
		return "submit_share", []string{"m1", "m2", "m3"}[r.IntN(3)], &Msg{SubmitShare: &SubmitShare{Computation: p.underWay(), Share: digestOf(fmt.Sprint("sh", r.IntN(9)))}}
	case 11:
		sender := []string{testRegulatorKey, testRegulatorKey, "owner1"}[r.IntN(3)]
		if r.IntN(4) > 0 { // release a hold in force, mostly
			holds, err := p.l.Holds()
			if err != nil {
				p.t.Fatal(err)
			}
			for _, h := range holds {
				if h.Released == 0 && r.IntN(2) == 0 {
					return "unfreeze", sender, &Msg{Unfreeze: &Unfreeze{Kind: h.Kind, ID: h.Target}}
				}
			}
		}
		kinds := []HoldKind{HoldParty, HoldDataset, HoldGrant, HoldProduct}
		k := kinds[r.IntN(len(kinds))]
		var id string
		switch k {
		case HoldParty:
			id = string(addr([]string{"buyer2", testRegulatorKey}[r.IntN(2)]))
		case HoldDataset:
			id = p.pick(p.datasets)
		case HoldGrant:
			id = p.pick(p.grants)
		default:
			id = p.pick(p.products)
		}
		return "freeze", sender, &Msg{Freeze: &Freeze{Kind: k, ID: id, Reason: "random"}}
	case 12:
		pol := Policy{Approval: ApprovalRequired, EpsilonTotal: []uint64{0, 1_000_000, 3_000_000}[r.IntN(3)]}
		if pol.EpsilonTotal > 0 {
			pol.EpsilonPerQuery = pol.EpsilonTotal / uint64(1+r.IntN(3))
			pol.DPRequired = r.IntN(4) == 0
		}
		if r.IntN(2) == 0 {
			pol.Approval, pol.Offer = ApprovalOffer, OfferTerms{MaxUses: uint64(1 + r.IntN(3)), PricePerUse: uint64(r.IntN(40)), Epsilon: pol.EpsilonPerQuery}
		}
		return "set_policy", []string{"owner1", "owner2"}[r.IntN(2)], &Msg{SetPolicy: &SetPolicy{Dataset: p.pick(p.datasets), Policy: pol}}
	case 13:
		price := uint64(r.IntN(60))
		if r.IntN(3) == 0 {
			return "transfer_holding", []string{"owner1", "owner2", "buyer2"}[r.IntN(3)], &Msg{TransferHolding: &TransferHolding{Dataset: p.pick(p.datasets), To: addr([]string{"owner1", "owner2", "buyer2", "buyer"}[r.IntN(4)])}}
		}
		return "update_dataset", []string{"owner1", "owner2"}[r.IntN(2)], &Msg{UpdateDataset: &UpdateDataset{Dataset: p.pick(p.datasets), Price: &price}}
	default:
		to := addr(p.party())
		if r.IntN(2) == 0 {
			return "transfer_product", []string{"buyer", "buyer2"}[r.IntN(2)], &Msg{TransferProduct: &TransferProduct{Product: p.pick(p.products), To: to}}
		}
		return "license_product", []string{"buyer", "buyer2"}[r.IntN(2)], &Msg{LicenseProduct: &LicenseProduct{Product: p.pick(p.products), To: to}}
	}
}

// holderOf names a party that holds one of grant g's datasets, mostly.
func (p *prop) holderOf(g string) string {
	if gr, err := p.l.Grant(g); err == nil && p.rng.IntN(8) > 0 {
		if d, err := p.l.Dataset(gr.Datasets[p.rng.IntN(len(gr.Datasets))]); err == nil {
			for _, name := range propParties {
				if addr(name) == d.Holder {
					return name
				}
			}
		}
	}
	return p.party()
}

// granteeOf names grant g's grantee, mostly.
func (p *prop) granteeOf(g string) string {
	if gr, err := p.l.Grant(g); err == nil && p.rng.IntN(8) > 0 {
		for _, name := range propParties {
			if addr(name) == gr.Grantee {
				return name
			}
		}
	}
	return []string{"buyer", "buyer2"}[p.rng.IntN(2)]
}

// inState picks a grant in state s, mostly.
func (p *prop) inState(s GrantState) string {
	var in []string
	for _, id := range p.grants {
		if g, err := p.l.Grant(id); err == nil && g.State == s {
			in = append(in, id)
		}
	}
	if len(in) > 0 && p.rng.IntN(8) > 0 {
		return in[p.rng.IntN(len(in))]
	}
	return p.pick(p.grants)
}

// underWay picks a computation under way, mostly.
func (p *prop) underWay() string {
	var live []string
	for _, id := range p.computations {
		if c, err := p.l.Computation(id); err == nil && (c.Status == ComputationPending || c.Status == ComputationSwitching) {
			live = append(live, id)
		}
	}
	if len(live) > 0 && p.rng.IntN(8) > 0 {
		return live[p.rng.IntN(len(live))]
	}
	return p.pick(p.computations)
}

// try delivers msg; a refusal must leave the store byte-identical.
func (p *prop) try(sender string, msg Msg) bool {
	p.t.Helper()
	before := p.store.Snapshot()
	res, err := p.deliver(p.raw(sender, msg))
	var te *TxError
	if errors.As(err, &te) {
		if debugProp {
			p.t.Logf("refused %s by %s: %s", msg.Kind(), sender, te.Log)
		}
		if after := p.store.Snapshot(); !maps.EqualFunc(before, after, bytes.Equal) {
			p.t.Fatalf("refused %s by %s (%s) changed the state", msg.Kind(), sender, te.Log)
		}
		return false
	}
	if err != nil {
		p.t.Fatalf("%s by %s: %v", msg.Kind(), sender, err)
	}
	switch {
	case msg.RequestGrant != nil:
		p.grants = append(p.grants, res.ID)
	case msg.RequestComputation != nil:
		p.computations = append(p.computations, res.ID)
	}
	for _, e := range res.Events {
		if e.Action == "issue_product" {
			for _, a := range e.Attrs {
				if a.Key == "product" {
					p.products = append(p.products, a.Value)
				}
			}
		}
	}
	return true
}

// check asserts the invariants after step i.
func (p *prop) check(i int) {
	p.t.Helper()
	p.checkCredits()
	comps, err := p.l.Computations()
	if err != nil {
		p.t.Fatal(err)
	}
	grants, err := p.l.Grants()
	if err != nil {
		p.t.Fatal(err)
	}
	datasets, err := p.l.Datasets()
	if err != nil {
		p.t.Fatal(err)
	}
	used, geps, deps := map[string]uint64{}, map[string]uint64{}, map[string]uint64{}
	for _, c := range comps {
		if c.Status == ComputationExpired || c.Status == ComputationAborted {
			continue
		}
		used[c.Grant]++
		geps[c.Grant] += c.Epsilon
		for _, d := range c.Datasets {
			deps[d] += c.Epsilon
		}
		if c.Status == ComputationCompleted && c.Product == "" {
			p.t.Fatalf("step %d: completed computation %s has no product", i, c.ID)
		}
	}
	for _, g := range grants {
		if g.Used != used[g.ID] || g.EpsilonSpent != geps[g.ID] {
			p.t.Fatalf("step %d: grant %s used %d spent %d, its computations charge %d and %d", i, g.ID, g.Used, g.EpsilonSpent, used[g.ID], geps[g.ID])
		}
		if g.Used > g.Uses || g.EpsilonSpent > g.Epsilon {
			p.t.Fatalf("step %d: grant %s past its terms: used %d of %d, epsilon %d of %d", i, g.ID, g.Used, g.Uses, g.EpsilonSpent, g.Epsilon)
		}
	}
	for _, d := range datasets {
		if d.EpsilonSpent != deps[d.ID] {
			p.t.Fatalf("step %d: dataset %s spent %d, its computations charge %d", i, d.ID, d.EpsilonSpent, deps[d.ID])
		}
	}
}
