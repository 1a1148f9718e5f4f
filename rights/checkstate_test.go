package rights

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestCheckCarriesOverCommit: when a block holds exactly the oldest txs CheckTx accepted, the
// rest stay staged across the Commit and their rechecks do not run the ledger again; otherwise
// the staging starts over and rechecks run the ledger.
func TestCheckCarriesOverCommit(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), testVerifier{})
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
		if r.Code != CodeOK {
			t.Fatalf("%s: code %d %q", what, r.Code, r.Log)
		}
	}

	keys := Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: KeysStep, Digests: testKeys}}
	c.block(c.tx("m1", keys), c.tx("m2", keys))
	reg := c.tx("owner1", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	list := c.tx("owner1", Msg{RegisterDataset: listing("one", 4, 1, column("a", TypeInteger, 0, 0, 9, 4))})
	buyer := c.tx("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: digestOf("rlwe")}})
	for _, tx := range [][]byte{reg, list, buyer} {
		ok("CheckTx", c.checkTx(tx))
	}

	// Block 1 holds the first tx: the listing and the buyer stay staged.
	c.block(reg)
	if n := len(c.app.checks.carried); n != 2 {
		t.Fatalf("%d txs carried over block 1, want 2", n)
	}
	ok("recheck of a carried listing", recheck(list))
	ok("recheck of a carried registration", recheck(buyer))
	if n, m := len(c.app.checks.carried), len(c.app.checks.entries); n != 0 || m != 2 {
		t.Errorf("after the rechecks %d carried and %d staged, want 0 and 2 (no tx run again)", n, m)
	}
	// The owner's next tx needs the staged nonce; the buyer's grant request needs the staged
	// dataset and registration.
	update := c.tx("owner1", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	if r := c.checkTx(update); r.Code != CodeAlreadyRegistered {
		t.Errorf("CheckTx after the carry-over = %d %q, want %d (the staged nonce and registration)", r.Code, r.Log, CodeAlreadyRegistered)
	}

	// Block 2 holds the buyer before the listing: not the order CheckTx saw, so the staging
	// starts over and the listing's recheck runs the ledger.
	c.block(buyer)
	if n := len(c.app.checks.entries); n != 0 {
		t.Fatalf("%d entries staged after a reordered block, want a fresh start", n)
	}
	ok("recheck after a reordered block", recheck(list))
	if n := len(c.app.checks.entries); n != 1 {
		t.Error("a recheck after a reordered block did not run the ledger")
	}

	// Block 3 commits the listing. A tx the mempool dropped (never rechecked) makes the next
	// Commit start over too.
	c.block(list)
	gr := c.tx("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{"ds-x"}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}})
	c.checkTx(gr) // refused (unknown dataset) or not, it does not matter here
	a := c.tx("owner2", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	b := c.tx("buyer2", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	ok("CheckTx a", c.checkTx(a))
	ok("CheckTx b", c.checkTx(b))
	c.block() // empty: a and b carried
	if n := len(c.app.checks.carried); n != 2 {
		t.Fatalf("%d txs carried over an empty block, want 2", n)
	}
	ok("recheck a", recheck(a)) // b is never rechecked: the mempool dropped it
	c.block()
	if n := len(c.app.checks.entries); n != 0 {
		t.Errorf("after a carried tx went missing, %d entries stayed staged, want a fresh start", n)
	}
}
