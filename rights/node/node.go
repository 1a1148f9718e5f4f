package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/app"
	"github.com/dxplabs/dxp/rights/client"
)

// Limits sized so a RegisterDataset carrying many chunk proofs (up to about 4 MiB) fits.
const (
	maxTxBytes    = 8 << 20  // mempool: largest tx accepted
	maxBlockBytes = 32 << 20 // consensus: largest block
	maxRPCBody    = 16 << 20 // RPC: largest request body (a tx travels base64 in JSON)
)

// Config says how to run an in-process node. The zero value of every field but Home and
// Verifier means the default.
type Config struct {
	Home          string        // CometBFT config+data and the app DB live under it
	RPCListen     string        // e.g. "tcp://127.0.0.1:26657"; "" = no RPC server
	TimeoutCommit time.Duration // zero = 200ms
	Verifier      rights.Verifier
	LogFile       string // "" = Home/node.log; CometBFT logs go there, never to stdout
	// P2PListen is where the node meets its peers, e.g. "tcp://127.0.0.1:26656"; "" = a free
	// loopback port, which suits a single validator.
	P2PListen string
	// Peers are the other validators' nodes, "ID@127.0.0.1:PORT" (ID from InitValidators); the
	// node keeps dialling them.
	Peers []string
	// App, if set, is the ABCI application the node runs instead of DXP's (app.New over
	// AppDir(Home) with Verifier, which is then not needed). The caller closes it after Stop.
	App abci.Application
	// Comet, if set, is the CometBFT configuration the node runs with: CometConfig's for this
	// Config, changed by the caller (a larger mempool, say). Nil means CometConfig's.
	Comet *cfg.Config
	// MetricsListen, if set ("127.0.0.1:26660"), is where the node serves CometBFT's own
	// Prometheus metrics (cometbft_*) at /metrics, for an operator's scraper or the gateway's
	// cometbft_metrics. One node per process may serve them at a time (see metrics.go).
	MetricsListen string
}

func (c *Config) validate() error {
	if c.Home == "" {
		return errors.New("home directory is empty")
	}
	if c.Verifier == nil && c.App == nil {
		return errors.New("a chunk proof verifier is required")
	}
	if c.TimeoutCommit < 0 {
		return fmt.Errorf("timeout commit %v is negative", c.TimeoutCommit)
	}
	if c.MetricsListen != "" {
		if err := checkMetricsListen(c.MetricsListen); err != nil {
			return err
		}
	}
	for _, p := range c.Peers {
		if _, err := p2p.NewNetAddressString(p); err != nil {
			return fmt.Errorf("peer %q: %w", p, err)
		}
	}
	return nil
}

// AppDir is where the application's IAVL database lives under home, apart from CometBFT's data.
func AppDir(home string) string { return filepath.Join(home, "app") }

// CometConfig returns the CometBFT configuration Start runs the node of nc with (when nc.Comet
// is nil), for a caller that wants to change it first. With nc.P2PListen empty it picks a free
// loopback port.
func CometConfig(nc Config) (*cfg.Config, error) {
	p2pAddr := nc.P2PListen
	if p2pAddr == "" {
		var err error
		if p2pAddr, err = freeLoopbackAddr(); err != nil {
			return nil, fmt.Errorf("rights: start node: pick a p2p port: %w", err)
		}
	}
	return cometConfig(nc.Home, nc.RPCListen, p2pAddr, nc.Peers, nc.TimeoutCommit), nil
}

// cometConfig returns the CometBFT configuration DXP runs with: every listener on loopback, the
// given persistent peers (none for a single validator), empty blocks every second (deadlines need
// blocks), and limits raised for large listings.
func cometConfig(home, rpcListen, p2pListen string, peers []string, timeoutCommit time.Duration) *cfg.Config {
	if timeoutCommit == 0 {
		timeoutCommit = 200 * time.Millisecond
	}
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = "dxp"
	c.P2P.ListenAddress = p2pListen
	c.P2P.PexReactor = false
	c.P2P.AllowDuplicateIP = true
	c.P2P.PersistentPeers = strings.Join(peers, ",")
	c.P2P.AddrBookStrict = false // peers on loopback
	c.RPC.ListenAddress = rpcListen
	c.RPC.GRPCListenAddress = ""
	c.RPC.PprofListenAddress = ""
	c.RPC.TimeoutBroadcastTxCommit = 30 * time.Second
	c.RPC.MaxBodyBytes = maxRPCBody
	// The local client subscribes under one name for every BroadcastTxCommit in flight.
	c.RPC.MaxSubscriptionsPerClient = 100
	c.Instrumentation.Prometheus = false
	c.Consensus.TimeoutCommit = timeoutCommit
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = time.Second
	c.Mempool.MaxTxBytes = maxTxBytes
	c.TxIndex.Indexer = "kv"
	return c
}

// Initialized reports whether Init (or InitValidators) has set up home.
func Initialized(home string) bool {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	for _, f := range []string{c.GenesisFile(), c.PrivValidatorKeyFile(), c.NodeKeyFile()} {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return true
}

// Init sets up home for a single-validator chain starting from gen: the CometBFT config, a
// fresh validator key and node key (written 0600), and genesis.json with app_state = gen. It
// refuses a home that is already initialised.
func Init(home string, gen rights.Genesis) error {
	if _, err := InitValidators([]string{home}, gen); err != nil {
		return err
	}
	return nil
}

// InitValidators sets up one node home per validator of a new chain starting from gen: in each
// the CometBFT config and a fresh validator key and node key (written 0600), and in all of them
// the same genesis.json, which names every validator with equal power and has app_state = gen.
// It returns each home's node ID, for the others' Peers ("ID@HOST:PORT"). It refuses a home that
// is already initialised.
func InitValidators(homes []string, gen rights.Genesis) ([]string, error) {
	fail := func(err error) ([]string, error) { return nil, fmt.Errorf("rights: init node: %w", err) }
	if len(homes) == 0 {
		return fail(errors.New("no validator homes"))
	}
	if err := gen.Validate(); err != nil {
		return fail(err)
	}
	appState, err := json.Marshal(gen)
	if err != nil {
		return fail(fmt.Errorf("genesis to JSON: %w", err))
	}
	var (
		ids  []string
		vals []cmttypes.GenesisValidator
		cfgs []*cfg.Config
	)
	for i, home := range homes {
		c := cometConfig(home, "", "tcp://127.0.0.1:26656", nil, 0)
		if _, err := os.Stat(c.GenesisFile()); err == nil {
			return fail(fmt.Errorf("%s is already initialised", home))
		}
		for _, d := range []string{home, filepath.Join(home, cfg.DefaultConfigDir), filepath.Join(home, cfg.DefaultDataDir)} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return fail(err)
			}
		}
		if err := writeCometConfig(c); err != nil {
			return fail(fmt.Errorf("write config: %w", err))
		}
		pv := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
		if err := savePV(pv); err != nil {
			return fail(fmt.Errorf("save validator key: %w", err))
		}
		nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
		if err != nil {
			return fail(fmt.Errorf("node key: %w", err))
		}
		pub, err := pv.GetPubKey()
		if err != nil {
			return fail(fmt.Errorf("validator key: %w", err))
		}
		name := "dxp"
		if len(homes) > 1 {
			name = fmt.Sprintf("validator-%d", i+1)
		}
		ids = append(ids, string(nodeKey.ID()))
		vals = append(vals, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 10, Name: name})
		cfgs = append(cfgs, c)
	}
	params := cmttypes.DefaultConsensusParams()
	params.Block.MaxBytes = maxBlockBytes
	params.Version.App = app.AppVersion
	doc := &cmttypes.GenesisDoc{
		ChainID:         gen.ChainID,
		GenesisTime:     cmttime.Now(),
		InitialHeight:   1,
		ConsensusParams: params,
		Validators:      vals,
		AppState:        appState,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fail(fmt.Errorf("genesis: %w", err))
	}
	for _, c := range cfgs {
		if err := doc.SaveAs(c.GenesisFile()); err != nil {
			return fail(fmt.Errorf("write genesis: %w", err))
		}
	}
	return ids, nil
}

// writeCometConfig writes config.toml for reference and for `cometbft` tools; Start builds
// its configuration in code and does not read it. The template writer panics on I/O errors.
func writeCometConfig(c *cfg.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	cfg.WriteConfigFile(filepath.Join(c.RootDir, cfg.DefaultConfigDir, "config.toml"), c)
	return nil
}

// savePV writes the validator key and state; privval panics on I/O errors.
func savePV(pv *privval.FilePV) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	pv.Save()
	return nil
}

// loadPV loads the validator key and sign state. privval exits the process on a bad file, so the
// files are checked first.
func loadPV(keyFile, stateFile string) (*privval.FilePV, error) {
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(kb, &key); err != nil {
		return nil, fmt.Errorf("validator key %s: %w", keyFile, err)
	}
	if key.PrivKey == nil {
		return nil, fmt.Errorf("validator key %s has no private key", keyFile)
	}
	sb, err := os.ReadFile(stateFile)
	if err != nil {
		return nil, err
	}
	var state privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(sb, &state); err != nil {
		return nil, fmt.Errorf("validator state %s: %w", stateFile, err)
	}
	return privval.LoadFilePV(keyFile, stateFile), nil
}

// Node is a running in-process CometBFT node with the DXP app (or Config.App).
type Node struct {
	node     *nm.Node
	closeApp func() error // nil for Config.App, which its caller closes
	dbs      *dbTracker
	logFile  *os.File
	client   *client.Client
	metrics  *metricsServer // nil without Config.MetricsListen
	// heldMetrics: this node holds the process's CometBFT metrics (acquireMetrics).
	heldMetrics bool

	stopOnce sync.Once
	stopErr  error
}

// Start starts the node initialised in nc.Home, resuming its chain where it stopped.
func Start(ctx context.Context, nc Config) (*Node, error) {
	if err := nc.validate(); err != nil {
		return nil, fmt.Errorf("rights: start node: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rights: start node: %w", err)
	}
	if !Initialized(nc.Home) {
		return nil, fmt.Errorf("rights: start node: %s is not initialised (InitNode first)", nc.Home)
	}
	c := nc.Comet
	if c == nil {
		var err error
		if c, err = CometConfig(nc); err != nil {
			return nil, err
		}
	}

	logPath := nc.LogFile
	if logPath == "" {
		logPath = filepath.Join(nc.Home, "node.log")
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("rights: start node: open log: %w", err)
	}
	logger := log.NewFilter(log.NewTMLogger(log.NewSyncWriter(logFile)),
		log.AllowError(),
		log.AllowInfoWith("module", "state"),
		log.AllowInfoWith("module", "dxp"))

	n := &Node{logFile: logFile, dbs: &dbTracker{}}
	fail := func(err error) (*Node, error) {
		return nil, errors.Join(fmt.Errorf("rights: start node: %w", err), n.closeAll())
	}

	abciApp := nc.App
	if abciApp == nil {
		if err := os.MkdirAll(AppDir(nc.Home), 0o700); err != nil {
			return fail(err)
		}
		a, err := app.New(AppDir(nc.Home), nc.Verifier)
		if err != nil {
			return fail(err)
		}
		a.SetLogger(logger.With("module", "dxp"))
		abciApp, n.closeApp = a, a.Close
	}

	pv, err := loadPV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	if err != nil {
		return fail(err)
	}
	nodeKey, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return fail(err)
	}
	metricsProvider := nm.DefaultMetricsProvider(c.Instrumentation)
	if nc.MetricsListen != "" {
		chainID, err := chainIDOf(c.GenesisFile())
		if err != nil {
			return fail(err)
		}
		if metricsProvider, err = acquireMetrics(chainID); err != nil {
			return fail(err)
		}
		n.heldMetrics = true
		if n.metrics, err = serveMetrics(nc.MetricsListen); err != nil {
			return fail(err)
		}
	}
	n.node, err = nm.NewNodeWithContext(ctx, c, pv, nodeKey,
		// One lock per ABCI connection, not one for all: CheckTx can verify a signature while
		// the consensus connection finalizes a block. The apps lock their own state.
		proxy.NewConnSyncLocalClientCreator(abciApp),
		nm.DefaultGenesisDocProviderFunc(c),
		n.dbs.provider,
		metricsProvider,
		logger)
	if err != nil {
		return fail(err)
	}
	if err := n.node.Start(); err != nil {
		n.node = nil
		return fail(err)
	}
	n.client = client.New(local.New(n.node))
	return n, nil
}

// DBSyncs is how many synced writes (WriteSync, SetSync, DeleteSync) the node has made to
// CometBFT's databases since it started: each is an fsync of that database's journal, which a
// disk serves in milliseconds where a buffered write costs microseconds. The consensus WAL and
// the validator's sign state, which CometBFT syncs through files of its own, are not counted.
func (n *Node) DBSyncs() uint64 { return n.dbs.syncs.Load() }

// Client returns a client that talks to the node in-process, without HTTP.
func (n *Node) Client() *client.Client { return n.client }

// Comet returns the CometBFT node, for what Node does not wrap (its mempool, say).
func (n *Node) Comet() *nm.Node { return n.node }

// Stop stops the node, waits for it to finish, and closes every database and the log.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		var errs []error
		if n.node != nil {
			if err := n.node.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop node: %w", err))
			}
			n.node.Wait()
		}
		errs = append(errs, n.closeAll())
		if err := errors.Join(errs...); err != nil {
			n.stopErr = fmt.Errorf("rights: stop node: %w", err)
		}
	})
	return n.stopErr
}

// closeAll closes what the node opened: its metrics listener, CometBFT's databases (its tx
// indexer is not closed by Node.Stop), the app and the log, and gives back the process's
// CometBFT metrics.
func (n *Node) closeAll() error {
	var errs []error
	if n.metrics != nil {
		errs = append(errs, n.metrics.close())
	}
	if n.heldMetrics {
		releaseMetrics()
	}
	errs = append(errs, n.dbs.closeAll())
	if n.closeApp != nil {
		errs = append(errs, n.closeApp())
	}
	if n.logFile != nil {
		errs = append(errs, n.logFile.Close())
	}
	return errors.Join(errs...)
}

// dbTracker opens CometBFT's databases and remembers them so Stop can close them all. It
// counts their synced writes (Node.DBSyncs), so the ledger bench can say what a block costs a
// disk, and gives their goleveldb databases batches that grow geometrically (levelBatch).
type dbTracker struct {
	mu    sync.Mutex
	dbs   []dbm.DB
	syncs atomic.Uint64
}

func (t *dbTracker) provider(ctx *cfg.DBContext) (dbm.DB, error) {
	var (
		db    dbm.DB
		level *leveldb.DB
	)
	if dbm.BackendType(ctx.Config.DBBackend) == dbm.GoLevelDBBackend {
		ldb, err := dbm.NewGoLevelDBWithOpts(ctx.ID, ctx.Config.DBDir(), app.LevelDBOptions())
		if err != nil {
			return nil, err
		}
		db, level = ldb, ldb.DB()
	} else {
		var err error
		if db, err = cfg.DefaultDBProvider(ctx); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dbs = append(t.dbs, db)
	return nodeDB{DB: db, level: level, buffers: &sync.Pool{}, syncs: &t.syncs}, nil
}

// nodeDB is one of CometBFT's databases as the node hands it over: it counts synced writes, and
// over goleveldb (level) its batches are levelBatch; all else passes through.
type nodeDB struct {
	dbm.DB
	level   *leveldb.DB // nil for another backend
	buffers *sync.Pool  // of *[]byte: written batches' buffers, for the next batch
	syncs   *atomic.Uint64
}

func (d nodeDB) SetSync(key, value []byte) error {
	d.syncs.Add(1)
	return d.DB.SetSync(key, value)
}

func (d nodeDB) DeleteSync(key []byte) error {
	d.syncs.Add(1)
	return d.DB.DeleteSync(key)
}

func (d nodeDB) NewBatch() dbm.Batch {
	if d.level != nil {
		b := &levelBatch{db: d.level, buffers: d.buffers, syncs: d.syncs}
		if buf, ok := d.buffers.Get().(*[]byte); ok {
			b.data = (*buf)[:0]
		}
		return b
	}
	return syncCountingBatch{Batch: d.DB.NewBatch(), syncs: d.syncs}
}

type syncCountingBatch struct {
	dbm.Batch
	syncs *atomic.Uint64
}

func (b syncCountingBatch) WriteSync() error {
	b.syncs.Add(1)
	return b.Batch.WriteSync()
}

var errBatchClosed = errors.New("rights: node database: the batch was already written or closed")

// levelBatch is a goleveldb write batch whose buffer grows geometrically. goleveldb's own Batch
// (which cometbft-db's wraps) grows by a fixed 3,000 records' worth once it holds more than
// 3,000, copying its whole buffer each time, so filling it costs the square of its size: the tx
// indexer puts a block's every index key in one batch (about 13 per DXP tx, so 40,000 records
// for a block of 3,000 txs), and copying those batches and faulting in their fresh memory was a
// fifth of a loaded DXP node's CPU (perf, 3,000 tx/s on ext4). This batch encodes its records
// as goleveldb does (Batch.Load takes them without a copy) in a slice that append doubles, and
// hands it on to the database's next batch once written (goleveldb keeps no reference to a
// batch after Write: it copies the records to its journal and memtable), so a busy database
// stops copying and faulting in fresh memory for its batches altogether.
type levelBatch struct {
	db      *leveldb.DB
	buffers *sync.Pool
	syncs   *atomic.Uint64
	data    []byte // records: type (1 = put, 0 = delete), uvarint key length, key, then for a put uvarint value length, value
	closed  bool
}

func (b *levelBatch) Set(key, value []byte) error {
	switch {
	case b.closed:
		return errBatchClosed
	case len(key) == 0:
		return errors.New("rights: node database: empty key")
	case value == nil:
		return errors.New("rights: node database: nil value")
	}
	b.data = append(b.data, 1)
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	b.data = binary.AppendUvarint(b.data, uint64(len(value)))
	b.data = append(b.data, value...)
	return nil
}

func (b *levelBatch) Delete(key []byte) error {
	switch {
	case b.closed:
		return errBatchClosed
	case len(key) == 0:
		return errors.New("rights: node database: empty key")
	}
	b.data = append(b.data, 0)
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	return nil
}

func (b *levelBatch) Write() error { return b.write(false) }

func (b *levelBatch) WriteSync() error {
	if !b.closed && len(b.data) > 0 { // goleveldb writes (and syncs) nothing for an empty batch
		b.syncs.Add(1)
	}
	return b.write(true)
}

func (b *levelBatch) write(sync bool) error {
	if b.closed {
		return errBatchClosed
	}
	batch := new(leveldb.Batch)
	if err := batch.Load(b.data); err != nil {
		return fmt.Errorf("rights: node database: %w", err)
	}
	if err := b.db.Write(batch, &opt.WriteOptions{Sync: sync}); err != nil {
		return err
	}
	return b.Close() // as cometbft-db's: only Close may follow a write
}

func (b *levelBatch) Close() error {
	if !b.closed && cap(b.data) > 0 {
		buf := b.data[:0]
		b.buffers.Put(&buf)
	}
	b.closed, b.data = true, nil
	return nil
}

func (t *dbTracker) closeAll() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for _, db := range t.dbs {
		if err := db.Close(); err != nil && !errors.Is(err, leveldb.ErrClosed) {
			errs = append(errs, err)
		}
	}
	t.dbs = nil
	return errors.Join(errs...)
}

// freeLoopbackAddr returns a tcp://127.0.0.1:port address that was free a moment ago.
func freeLoopbackAddr() (string, error) {
	addr, err := freeport.Loopback()
	if err != nil {
		return "", err
	}
	return "tcp://" + addr, nil
}
