package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	mempl "github.com/cometbft/cometbft/mempool"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
)

// The catalog chain of `dxp bench gateway`: a node with the ledger bench's genesis and proof
// verifier (every proof verifies, at no cost: benchAccept), on which thousands of datasets are
// registered in seconds and listed by the committee's verdicts, and a DXP home over it for the
// gateway. The txs are the ledger bench's kinds (workload.go), signed by deterministic bench
// keys and handed to the node's mempool in waves: a sender may have at most
// rights.MaxQueuedListings listings waiting, so each wave lists that many per owner.

// catalogOwners is how many owners list the bench's datasets.
const catalogOwners = 500

// catalogWords name the bench datasets, so that a search for one word finds about one dataset in
// len(catalogWords), and tag a tenth of them each (catalogTags).
var (
	catalogWords = []string{"income", "claims", "trips", "energy", "sales", "clicks", "visits", "loans",
		"yields", "prices", "orders", "readings", "wages", "rents", "fares", "scores", "returns", "stock",
		"births", "grades", "votes", "flows", "tolls", "loads", "shifts"}
	catalogRegions = []string{"north", "south", "east", "west", "central"}
	catalogTags    = []string{"finance", "health", "mobility", "retail", "energy", "public", "research", "survey", "iot", "labour"}
)

// catalogChain is a running catalog chain and the home the gateway serves.
type catalogChain struct {
	node     *node.Node
	home     string // the DXP home (config.json) the gateway opens
	datasets int
	setup    time.Duration
}

func (c *catalogChain) Stop() error { return c.node.Stop() }

// startCatalogChain starts a bench node in dir/node with n listed datasets, and writes a DXP
// home in dir/home whose config names it.
func startCatalogChain(ctx context.Context, dir string, n int, progress func(string)) (*catalogChain, error) {
	start := time.Now()
	gen, members := benchGenesis()
	nodeHome := filepath.Join(dir, "node")
	if err := node.Init(nodeHome, gen); err != nil {
		return nil, err
	}
	rpc, err := freeport.Loopback()
	if err != nil {
		return nil, err
	}
	nc := node.Config{Home: nodeHome, RPCListen: "tcp://" + rpc, Verifier: benchAccept{}, TimeoutCommit: 100 * time.Millisecond}
	comet, err := node.CometConfig(nc)
	if err != nil {
		return nil, err
	}
	benchTune(comet)
	nc.Comet = comet
	nd, err := node.Start(ctx, nc)
	if err != nil {
		return nil, err
	}
	cc := &catalogChain{node: nd, home: filepath.Join(dir, "home"), datasets: n}
	fail := func(err error) (*catalogChain, error) {
		nd.Stop()
		return nil, fmt.Errorf("bench gateway: the catalog chain: %w", err)
	}
	if err := os.MkdirAll(cc.home, 0o700); err != nil {
		return fail(err)
	}
	if err := marketplace.SaveConfig(cc.home, &marketplace.Config{ChainID: gen.ChainID, RPC: "tcp://" + rpc, Storage: filepath.Join(cc.home, "storage")}); err != nil {
		return fail(err)
	}

	owners := make([]*benchKey, min(catalogOwners, n))
	var wave [][]byte
	for i := range owners {
		owners[i] = newBenchKey(fmt.Sprintf("catalog-owner-%d", i))
		raw, err := catalogTx(gen.ChainID, owners[i], rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
		if err != nil {
			return fail(err)
		}
		wave = append(wave, raw)
	}
	// The committee's keys, agreed by Threshold members: listings need a ready committee.
	keys := []rights.Digest{benchDigest("pk"), benchDigest("rlk"), benchDigest("gk")}
	for _, m := range members[:benchThreshold] {
		raw, err := catalogTx(gen.ChainID, m, rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: 1, Step: rights.KeysStep, Digests: keys}})
		if err != nil {
			return fail(err)
		}
		wave = append(wave, raw)
	}
	if err := submitWave(ctx, nd, wave); err != nil {
		return fail(fmt.Errorf("register the owners: %w", err))
	}

	index := map[string]int{}                 // dataset name -> i
	holders := map[rights.Address]*benchKey{} // address -> owner key
	for _, o := range owners {
		holders[o.addr] = o
	}
	for listed := 0; listed < n; {
		wave = wave[:0]
		for q := 0; q < rights.MaxQueuedListings && listed < n; q++ {
			for _, o := range owners {
				if listed == n {
					break
				}
				l := catalogListing(listed)
				index[l.Name] = listed
				raw, err := catalogTx(gen.ChainID, o, rights.Msg{RegisterDataset: l})
				if err != nil {
					return fail(err)
				}
				wave = append(wave, raw)
				listed++
			}
		}
		if err := submitWave(ctx, nd, wave); err != nil {
			return fail(fmt.Errorf("list datasets: %w", err))
		}
		progress(fmt.Sprintf("registered %d of %d datasets", listed, n))
	}

	pending, err := nd.Client().PendingDatasets(ctx)
	if err != nil {
		return fail(err)
	}
	if len(pending) != n {
		return fail(fmt.Errorf("%d datasets registered, want %d", len(pending), n))
	}
	const perWave = 10_000
	for lo := 0; lo < len(pending); lo += perWave {
		wave = wave[:0]
		for _, d := range pending[lo:min(lo+perWave, len(pending))] {
			for _, m := range members[:benchThreshold] {
				raw, err := catalogTx(gen.ChainID, m, rights.Msg{AttestInputs: &rights.AttestInputs{Dataset: d.ID, Valid: true}})
				if err != nil {
					return fail(err)
				}
				wave = append(wave, raw)
			}
		}
		if err := submitWave(ctx, nd, wave); err != nil {
			return fail(fmt.Errorf("the committee's verdicts: %w", err))
		}
	}
	if still, err := nd.Client().PendingDatasets(ctx); err != nil || len(still) != 0 {
		return fail(fmt.Errorf("%d datasets still pending after the committee's verdicts (%v)", len(still), err))
	}
	// The holders tag their listed datasets, as owners do for buyers to find them.
	for lo := 0; lo < len(pending); lo += perWave {
		wave = wave[:0]
		for _, d := range pending[lo:min(lo+perWave, len(pending))] {
			tags := catalogTagsOf(index[d.Name])
			raw, err := catalogTx(gen.ChainID, holders[d.Holder], rights.Msg{UpdateDataset: &rights.UpdateDataset{Dataset: d.ID, Tags: &tags}})
			if err != nil {
				return fail(err)
			}
			wave = append(wave, raw)
		}
		if err := submitWave(ctx, nd, wave); err != nil {
			return fail(fmt.Errorf("tag the datasets: %w", err))
		}
	}
	cc.setup = time.Since(start)
	progress(fmt.Sprintf("%d datasets listed in %.1f s", n, cc.setup.Seconds()))
	return cc, nil
}

// catalogTx signs msg by k with its next nonce.
func catalogTx(chainID string, k *benchKey, msg rights.Msg) ([]byte, error) {
	tx := &rights.Tx{ChainID: chainID, Nonce: k.nonce, Msg: msg}
	if err := rights.Sign(k.priv, tx); err != nil {
		return nil, err
	}
	raw, err := rights.EncodeTx(tx)
	if err != nil {
		return nil, err
	}
	k.nonce++
	return raw, nil
}

// catalogTagsOf are the tags the holder of dataset i gives it once listed: one of catalogTags,
// and a second for every third dataset.
func catalogTagsOf(i int) []string {
	tags := []string{catalogTags[i%len(catalogTags)]}
	if i%3 == 0 {
		tags = append(tags, catalogTags[(i/3+1)%len(catalogTags)])
	}
	return tags
}

// catalogListing is the bench's dataset i: a name of two words, a price and up to
// one proof chunk per column (rows at most the chunk size), like a small listing on a devnet.
func catalogListing(i int) *rights.RegisterDataset {
	rows := uint64(100 + (i*37)%(benchChunk-100))
	col := func(name string) rights.Column {
		c := rights.Column{Name: name, Type: rights.TypeInteger, Min: 0, Max: 1000, ChunkSize: benchChunk, Width: benchWidth,
			Ciphertexts: []rights.Digest{benchDigest("catalog ct", i, name)}}
		cm := benchDigest("catalog commitment", i, name)
		cm[0] &= 0x0f // a BN254 field element
		proof := make([]byte, benchProof)
		for b := 0; b < benchProof; b += 32 {
			d := benchDigest("catalog proof", i, name, b)
			copy(proof[b:], d[:])
		}
		c.Chunks = []rights.Chunk{{Commitment: cm[:], Proof: proof}}
		return c
	}
	word := catalogWords[i%len(catalogWords)]
	region := catalogRegions[(i/len(catalogWords))%len(catalogRegions)]
	return &rights.RegisterDataset{
		Name:        fmt.Sprintf("%s %s %d", region, word, i),
		Description: fmt.Sprintf("%s of the %s region, %d rows (generated by dxp bench gateway)", word, region, rows),
		Columns:     []rights.Column{col("a"), col("b")},
		Rows:        rows,
		Price:       uint64(1 + i%50),
		Manifest:    benchDigest("catalog manifest", i),
		KeyEpoch:    1,
	}
}

// submitWave hands txs to the node's mempool and waits until every one is in a block. A tx the
// mempool refuses, or one its block refuses, fails the wave.
func submitWave(ctx context.Context, n *node.Node, txs [][]byte) error {
	if len(txs) == 0 {
		return nil
	}
	c := n.Client()
	before, err := c.Height(ctx)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var refused error
	mp := n.Comet().Mempool()
	for _, tx := range txs {
		err := mp.CheckTx(tx, func(res *abci.ResponseCheckTx) {
			if res.Code != rights.CodeOK {
				mu.Lock()
				if refused == nil {
					refused = &rights.TxError{Code: res.Code, Log: res.Log}
				}
				mu.Unlock()
			}
		}, mempl.TxInfo{})
		if err != nil {
			return fmt.Errorf("the mempool refused a tx: %w", err)
		}
	}
	mu.Lock()
	err = refused
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("a tx was refused at admission: %w", err)
	}
	if err := waitIdle(ctx, n, 5*time.Minute); err != nil {
		return err
	}
	// Every tx of the wave is in a block now: check their results.
	after, err := c.Height(ctx)
	if err != nil {
		return err
	}
	return checkResults(ctx, c, before+1, after)
}

// checkResults fails if a tx in blocks from to to was refused.
func checkResults(ctx context.Context, c *client.Client, from, to int64) error {
	for h := from; h <= to; h++ {
		res, err := c.RPC().BlockResults(ctx, &h)
		if err != nil {
			return fmt.Errorf("the results of block %d: %w", h, err)
		}
		for _, r := range res.TxsResults {
			if r.Code != rights.CodeOK {
				return fmt.Errorf("a tx in block %d was refused: %w", h, &rights.TxError{Code: r.Code, Log: r.Log})
			}
		}
	}
	return nil
}
