package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestAttackQueuedListingsVerifiedForFree: an owner that can pay for one listing queues many in
// a node's mempool (each with its next nonce), so that the node verifies every one's proofs in
// CheckTx while only the first could ever be paid for. The mempool admits a listing only if the
// balance pays its fee on top of the fees of the sender's listings already waiting, and at most
// rights.MaxQueuedListings of them, checked before any proof is verified.
func TestAttackQueuedListingsVerifiedForFree(t *testing.T) {
	v := &countingVerifier{}
	c := newABCIChain(t, t.TempDir(), v)
	g := rightstest.Genesis()
	g.Params.ProofFee = 1
	state, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.app.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: rightstest.ChainID, InitialHeight: 1, AppStateBytes: state, Time: time.Unix(1_700_000_000, 0),
	}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	owner := rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}
	c.block(c.tx("owner1", owner), c.tx("owner2", owner), c.tx("m1", keys), c.tx("m2", keys))

	// 600 proofs each: the owner's 1,000 credits pay for one.
	const rows = 600 * rightstest.Chunk
	listing := func(name string) rights.Msg {
		return rights.Msg{RegisterDataset: rightstest.Listing(name, rows, 1, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, rows))}
	}
	if r := c.checkTx(c.tx("owner1", listing("one"))); r.Code != rights.CodeOK {
		t.Fatalf("CheckTx(first listing) = %d %q", r.Code, r.Log)
	}
	if v.calls != 600 {
		t.Fatalf("CheckTx verified %d proofs, want 600", v.calls)
	}
	for i := 0; i < 3; i++ {
		r := c.checkTx(c.tx("owner1", listing("more")))
		if r.Code != rights.CodeFeeUnpaid {
			t.Errorf("CheckTx(queued listing %d past the balance) = %d %q, want %d", i, r.Code, r.Log, rights.CodeFeeUnpaid)
		}
		c.nonces["owner1"]-- // refused: the nonce is free again
	}
	if v.calls != 600 {
		t.Errorf("the node verified %d proofs, want only the 600 of the listing its sender can pay for", v.calls)
	}

	// Listings a sender can pay are bounded in number too: small ones from owner2 fill its
	// quota, then the next is refused unverified.
	small := func(name string) rights.Msg {
		return rights.Msg{RegisterDataset: rightstest.Listing(name, 4, 1, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 4))}
	}
	for i := 0; i < rights.MaxQueuedListings; i++ {
		if r := c.checkTx(c.tx("owner2", small("s"))); r.Code != rights.CodeOK {
			t.Fatalf("CheckTx(small listing %d) = %d %q", i, r.Code, r.Log)
		}
	}
	before := v.calls
	if r := c.checkTx(c.tx("owner2", small("s"))); r.Code != rights.CodeTooManyHeavyTxs {
		t.Errorf("CheckTx(listing past the quota) = %d %q, want %d", r.Code, r.Log, rights.CodeTooManyHeavyTxs)
	}
	if v.calls != before {
		t.Errorf("a listing past the quota had %d proofs verified", v.calls-before)
	}
}
