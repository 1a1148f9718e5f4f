package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestCheckCarriesOverCommit: when a block holds exactly the oldest txs CheckTx admitted, the
// rest stay admitted across the Commit, nonces included, and their rechecks do not run
// admission again; otherwise it starts over and rechecks run admission.
func TestCheckCarriesOverCommit(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), rightstest.Verifier{})
	c.initChain()
	recheck := func(tx []byte) *abci.ResponseCheckTx {
		t.Helper()
		res, err := c.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_Recheck})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ok := func(what string, r *abci.ResponseCheckTx) {
		t.Helper()
		if r.Code != rights.CodeOK {
			t.Fatalf("%s: code %d %q", what, r.Code, r.Log)
		}
	}

	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	c.block(c.tx("m1", keys), c.tx("m2", keys), c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}))
	list := c.tx("owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", 4, 1, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 4))})
	buyer := c.tx("buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("rlwe")}})
	// Queued behind the buyer's own registration, which is not committed yet.
	request := c.tx("buyer", rights.Msg{RequestGrant: &rights.RequestGrant{Datasets: []string{"ds-x"}, Ops: []rights.Op{rights.OpSum}, Columns: []string{"a"}, Uses: 1}})
	for _, tx := range [][]byte{list, buyer, request} {
		ok("CheckTx", c.checkTx(tx))
	}

	// Block 1 holds the first tx: the registration and the request stay admitted.
	c.block(list)
	if n := len(c.app.checks.carried); n != 2 {
		t.Fatalf("%d txs carried over block 1, want 2", n)
	}
	ok("recheck of a carried registration", recheck(buyer))
	ok("recheck of a carried request", recheck(request))
	if n, m := len(c.app.checks.carried), len(c.app.checks.entries); n != 0 || m != 2 {
		t.Errorf("after the rechecks %d carried and %d admitted, want 0 and 2 (none admitted again)", n, m)
	}
	// The buyer's next tx needs the carried nonce: the committed one is taken by its queue.
	if r := c.checkTx(rightstest.SignedTx(t, rightstest.Key("buyer"), rightstest.ChainID, 0, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}}})); r.Code != rights.CodeReplay {
		t.Errorf("CheckTx of a nonce held by a queued tx = %d %q, want %d", r.Code, r.Log, rights.CodeReplay)
	}

	// Block 2 holds the request before the registration: not the order CheckTx saw (and the
	// request fails), so admission starts over and the registration's recheck runs it.
	res := c.block(request, buyer)
	if res.TxResults[0].Code != rights.CodeUnregistered || res.TxResults[1].Code != rights.CodeOK {
		t.Fatalf("block 2 codes %d %d, want %d %d", res.TxResults[0].Code, res.TxResults[1].Code, rights.CodeUnregistered, rights.CodeOK)
	}
	if n := len(c.app.checks.entries); n != 0 {
		t.Fatalf("%d entries admitted after a reordered block, want a fresh start", n)
	}

	// A tx the mempool dropped (never rechecked) makes the next Commit start over too.
	a := c.tx("owner2", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	b := c.tx("buyer2", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	ok("CheckTx a", c.checkTx(a))
	ok("CheckTx b", c.checkTx(b))
	c.block() // empty: a and b carried
	if n := len(c.app.checks.carried); n != 2 {
		t.Fatalf("%d txs carried over an empty block, want 2", n)
	}
	ok("recheck a", recheck(a)) // b is never rechecked: the mempool dropped it
	c.block()
	if n := len(c.app.checks.entries); n != 0 {
		t.Errorf("after a carried tx went missing, %d entries stayed admitted, want a fresh start", n)
	}
	ok("recheck after a fresh start", recheck(a))
	if n := len(c.app.checks.entries); n != 1 {
		t.Error("a recheck after a fresh start did not run admission")
	}
}

// TestCheckAdmits: CheckTx refuses what admission covers (a replay, a gap, an unregistered or
// frozen sender, a bad proof, a listing before its sender's registration is committed) and
// admits a tx that breaks its kind's rules, which its block then refuses with the rule's code,
// changing nothing.
func TestCheckAdmits(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), rightstest.Verifier{})
	c.initChain()
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	c.block(c.tx("m1", keys), c.tx("m2", keys), c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}),
		c.tx("buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("rlwe")}}))

	code := func(what string, tx []byte, want uint32) {
		t.Helper()
		if r := c.checkTx(tx); r.Code != want || (want != rights.CodeOK && r.Log == "") {
			t.Errorf("CheckTx(%s) = %d %q, want %d", what, r.Code, r.Log, want)
		}
	}
	code("unregistered sender", rightstest.SignedTx(t, rightstest.Key("nobody"), rightstest.ChainID, 0, rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-1"}}), rights.CodeUnregistered)
	code("nonce gap", rightstest.SignedTx(t, rightstest.Key("buyer"), rightstest.ChainID, 7, rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-1"}}), rights.CodeNonceGap)
	code("listing before its registration commits", func() []byte {
		reg := c.tx("owner2", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
		code("registration", reg, rights.CodeOK)
		return c.tx("owner2", rights.Msg{RegisterDataset: rightstest.Listing("two", 4, 1, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 4))})
	}(), rights.CodeUnregistered)
	c.nonces["owner2"]-- // the listing was not admitted
	bad := rightstest.Listing("bad", 4, 1, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 4))
	bad.Columns[0].Chunks[0].Proof = rightstest.BadProof
	code("bad proof", rightstest.SignedTx(t, rightstest.Key("owner1"), rightstest.ChainID, c.nonces["owner1"], rights.Msg{RegisterDataset: bad}), rights.CodeBadProof)

	// Breaks its kind's rules (no such grant): admitted, refused in the block, nothing changed.
	reject := c.tx("owner1", rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-none"}})
	code("a rule-breaking tx", reject, rights.CodeOK)
	before := c.query("/party/"+string(rightstest.Addr("owner1")), 0).Value
	res := c.block(reject)
	if res.TxResults[0].Code != rights.CodeUnknownGrant || res.TxResults[0].Log == "" {
		t.Errorf("the block's code for a rule-breaking tx = %d %q, want %d", res.TxResults[0].Code, res.TxResults[0].Log, rights.CodeUnknownGrant)
	}
	if after := c.query("/party/"+string(rightstest.Addr("owner1")), 0).Value; string(after) != string(before) {
		t.Error("a refused tx changed its sender's party (its nonce)")
	}
	c.nonces["owner1"]-- // the refused tx did not use its nonce

	// A frozen party is refused at admission.
	res = c.block(c.tx(rightstest.RegulatorKey, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleRegulator}}}),
		c.tx(rightstest.RegulatorKey, rights.Msg{Freeze: &rights.Freeze{Kind: rights.HoldParty, ID: string(rightstest.Addr("buyer")), Reason: "inquiry"}}))
	if got := codes(res); got[0] != rights.CodeOK || got[1] != rights.CodeOK {
		t.Fatalf("the freeze's block codes = %v (%v)", got, res.TxResults)
	}
	code("frozen sender", c.tx("buyer", rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-1"}}), rights.CodeFrozen)
}
