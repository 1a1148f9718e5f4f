package node_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/node/nodetest"
	"github.com/dxplabs/dxp/rights/rightstest"
)

func TestNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	if node.Initialized(home) {
		t.Fatal("Initialized(empty dir) = true")
	}
	if _, err := node.Start(ctx, node.Config{Home: home, Verifier: rightstest.Verifier{}}); err == nil {
		t.Fatal("StartNode on an uninitialised home succeeded")
	}
	if err := node.Init(home, rightstest.Genesis()); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if !node.Initialized(home) {
		t.Fatal("NodeInitialized after InitNode = false")
	}
	if err := node.Init(home, rightstest.Genesis()); err == nil || !strings.Contains(err.Error(), "already initialised") {
		t.Fatalf("second InitNode = %v, want already initialised", err)
	}

	n, remote := nodetest.Start(t, ctx, home)
	local := n.Client()

	g, err := client.Get[rights.Genesis](ctx, remote, "")
	if err != nil || g.ChainID != rightstest.ChainID {
		t.Fatalf("Genesis over HTTP = %+v, %v", g, err)
	}
	if _, err := client.Get[rights.Party](ctx, remote, string(rightstest.Addr("owner1"))); !errors.Is(err, rights.ErrNotFound) {
		t.Fatalf("Party(unregistered) = %v, want ErrNotFound", err)
	}
	regOwner := nodetest.Submit(t, ctx, remote, "owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	nodetest.Submit(t, ctx, local, "buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("rlwe")}})

	// Three members and a publisher share one node: concurrent Submits by different keys.
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, m := range rightstest.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := local.Submit(ctx, rightstest.Key(m), keys); err != nil {
				errs <- err
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := local.Submit(ctx, rightstest.Key("owner1"), rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-none"}}); err == nil {
			errs <- errors.New("reject of an unknown grant accepted")
		}
	}()
	wg.Wait()
	close(errs)
	// Whichever member's keys come third arrive after the committee is ready: refused.
	var late int
	for err := range errs {
		var te *rights.TxError
		if errors.As(err, &te) && te.Code == rights.CodeCommitteeReady {
			late++
			continue
		}
		t.Fatalf("concurrent submit: %v", err)
	}
	if late != 1 {
		t.Errorf("%d key posts refused as late, want 1 (threshold 2 of 3)", late)
	}
	cm, err := client.Get[rights.Committee](ctx, remote, "")
	if err != nil || !cm.Ready {
		t.Fatalf("Committee = %+v, %v; want ready", cm, err)
	}

	list := nodetest.Submit(t, ctx, remote, "owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", 10, 30, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 10))})
	ds := list.ID
	for _, m := range rightstest.Members[:2] {
		nodetest.Submit(t, ctx, remote, m, rightstest.Verdict(ds))
	}
	if d, err := client.Get[rights.Dataset](ctx, local, ds); err != nil || d.Holder != rightstest.Addr("owner1") {
		t.Fatalf("Dataset(%s) = %+v, %v", ds, d, err)
	}
	// A listing of about 4 MiB (1100 chunks with 4 KiB proofs) fits through HTTP, the mempool
	// and a block.
	big := rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 4400)
	for i := range big.Chunks {
		big.Chunks[i].Proof = make([]byte, 4096)
	}
	bigTx := rightstest.SignedTx(t, rightstest.Key("owner1"), rightstest.ChainID, 0, rights.Msg{RegisterDataset: rightstest.Listing("big", 4400, 1, big)})
	if len(bigTx) < 4<<20 {
		t.Fatalf("big listing is %d bytes, want at least 4 MiB", len(bigTx))
	}
	if r := nodetest.Submit(t, ctx, remote, "owner1", rights.Msg{RegisterDataset: rightstest.Listing("big", 4400, 1, big)}); r.ID == "" {
		t.Errorf("big listing created no dataset")
	}
	gr := nodetest.Submit(t, ctx, local, "buyer", rights.Msg{RequestGrant: &rights.RequestGrant{Datasets: []string{ds}, Ops: []rights.Op{rights.OpCount, rights.OpSum}, Columns: []string{"a"}, Uses: 3}}).ID
	nodetest.Submit(t, ctx, remote, "owner1", rights.Msg{ApproveGrant: &rights.ApproveGrant{Grant: gr}})

	// The same key through two clients at once: the second waits for the first's nonce.
	ask := rights.Msg{RequestGrant: &rights.RequestGrant{Datasets: []string{ds}, Ops: []rights.Op{rights.OpMean}, Columns: []string{"a"}, Uses: 1}}
	errs2 := make(chan error, 2)
	for _, cl := range []*client.Client{local, remote} {
		go func() {
			_, err := cl.Submit(ctx, rightstest.Key("buyer"), ask)
			errs2 <- err
		}()
	}
	for range 2 {
		if err := <-errs2; err != nil {
			t.Fatalf("same key, two clients: %v", err)
		}
	}
	cp := nodetest.Submit(t, ctx, local, "buyer", rights.Msg{RequestComputation: &rights.RequestComputation{Grant: gr, Op: rights.OpCount, Columns: []string{"a"}}}).ID
	if c, err := client.Get[rights.Computation](ctx, remote, cp); err != nil || c.Status != rights.ComputationCompleted || c.Rows != 10 {
		t.Fatalf("count computation = %+v, %v", c, err)
	}

	// Refusals come back as *TxError.
	_, err = remote.Submit(ctx, rightstest.Key("buyer"), rights.Msg{RequestComputation: &rights.RequestComputation{Grant: gr, Op: rights.OpMean, Columns: []string{"a"}}})
	var te *rights.TxError
	if !errors.As(err, &te) || te.Code != rights.CodeOpNotGranted || !strings.Contains(te.Error(), `does not allow op "mean"`) {
		t.Errorf("Submit(mean) = %v, want a TxError with code %d", err, rights.CodeOpNotGranted)
	}
	// A tx with a used nonce is refused. (The byte-identical replay is refused by the mempool
	// cache while the node runs, and by the app after the restart below.)
	reuse := rightstest.SignedTx(t, rightstest.Key("owner1"), rightstest.ChainID, 0, rights.Msg{RejectGrant: &rights.RejectGrant{Grant: gr}})
	res, err := remote.RPC().BroadcastTxCommit(ctx, cmttypes.Tx(reuse))
	if err != nil || res.CheckTx.Code != rights.CodeReplay || !strings.Contains(res.CheckTx.Log, "already used") {
		t.Errorf("used-nonce broadcast = %+v, %v; want code %d", res, err, rights.CodeReplay)
	}
	replay := rightstest.SignedTx(t, rightstest.Key("owner1"), rightstest.ChainID, 0, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	if _, err := remote.RPC().BroadcastTxSync(ctx, cmttypes.Tx(replay)); err == nil {
		t.Errorf("byte-identical replay accepted by the mempool")
	}

	// tx_search answers "every flow touching dataset X" (listing, three grant requests, approval,
	// computation) and "everything party Y did". The indexer runs behind the commit.
	search := func(q string, want int) *ctypes.ResultTxSearch {
		t.Helper()
		for {
			found, err := remote.RPC().TxSearch(ctx, q, false, nil, nil, "asc")
			if err != nil {
				t.Fatalf("TxSearch(%s): %v", q, err)
			}
			if found.TotalCount == want {
				return found
			}
			if found.TotalCount > want || ctx.Err() != nil {
				t.Fatalf("TxSearch(%s) found %d txs, want %d", q, found.TotalCount, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	search("dxp.dataset='"+ds+"'", 8) // with the committee's two verdicts on the listing
	search("dxp.grant='"+gr+"' AND dxp.action='request_computation'", 1)
	if byOwner := search("dxp.sender='"+string(rightstest.Addr("owner1"))+"'", 4); byOwner.Txs[0].Hash.String() != regOwner.TxHash {
		t.Errorf("owner1's first tx is %s, want its registration %s", byOwner.Txs[0].Hash, regOwner.TxHash)
	}

	payments, err := client.List[rights.Payment](ctx, local)
	if err != nil || len(payments) != 2 {
		t.Errorf("Payments = %d, %v; want escrow and release", len(payments), err)
	}
	height, err := local.Height(ctx)
	if err != nil || height < 1 {
		t.Fatalf("Height = %d, %v", height, err)
	}
	if err := n.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Restart on the same home: the same chain, state kept, new txs accepted.
	n2, remote2 := nodetest.Start(t, ctx, home)
	h2, err := n2.Client().Height(ctx)
	if err != nil || h2 < height {
		t.Fatalf("height after restart = %d, %v; want at least %d", h2, err, height)
	}
	if g2, err := client.Get[rights.Genesis](ctx, remote2, ""); err != nil || g2.ChainID != rightstest.ChainID {
		t.Fatalf("Genesis after restart = %+v, %v", g2, err)
	}
	if d, err := client.Get[rights.Dataset](ctx, remote2, ds); err != nil || d.ID != ds {
		t.Fatalf("Dataset after restart = %+v, %v", d, err)
	}
	res, err = remote2.RPC().BroadcastTxCommit(ctx, cmttypes.Tx(replay))
	if err != nil || res.CheckTx.Code != rights.CodeReplay {
		t.Errorf("replay after restart = %+v, %v; want code %d", res, err, rights.CodeReplay)
	}
	cp2 := nodetest.Submit(t, ctx, remote2, "buyer", rights.Msg{RequestComputation: &rights.RequestComputation{Grant: gr, Op: rights.OpSum, Columns: []string{"a"}}})
	if c, err := client.Get[rights.Computation](ctx, n2.Client(), cp2.ID); err != nil || c.Status != rights.ComputationPending || cp2.Height <= height {
		t.Errorf("computation after restart = %+v at height %d, %v", c, cp2.Height, err)
	}
	if g, err := client.Get[rights.Grant](ctx, remote2, gr); err != nil || g.Used != 2 {
		t.Errorf("Grant after restart = %+v, %v", g, err)
	}
	if gs, err := client.List[rights.Grant](ctx, remote2); err != nil || len(gs) != 3 {
		t.Errorf("Grants after restart = %d, %v; want 3", len(gs), err)
	}
	if ds, err := client.List[rights.Dataset](ctx, remote2); err != nil || len(ds) != 2 {
		t.Errorf("Datasets after restart = %d, %v", len(ds), err)
	}
	if cs, err := client.List[rights.Computation](ctx, remote2); err != nil || len(cs) != 2 {
		t.Errorf("Computations after restart = %d, %v", len(cs), err)
	}
}
