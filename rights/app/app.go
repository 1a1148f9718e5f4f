package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/dxplabs/dxp/rights"
)

// Version is the application's software version, reported by Info.
const Version = "0.1.0"

// AppVersion is the application's protocol version, reported by Info and set in the genesis
// consensus params. Bump it when the state machine changes how it treats a tx.
const AppVersion uint64 = 1

// EventType is the type of every event the chain emits. Its attributes are action, sender (the
// tx signer), party (one per party touched), dataset (one per dataset), grant, computation, and
// per action: role, epoch, op, column, kind, product, hold, ...; all indexed except free text,
// digests, amounts and counters (unindexedAttrs), which are recorded but not indexed.
const EventType = "dxp"

// skipFastStorage turns off IAVL's fast storage: a second copy of every live key's value, in a
// keyspace ordered by the app's keys, that lets a read of the latest state skip the walk down
// the tree. DXP's ledger reads the latest state through its own object cache (rights.Cache) and
// the tree's node cache, so the copy mostly cost writes: every object a tx changes was written
// twice, once of them under a key spread over the whole range that goleveldb then compacted over
// and over. Without it the app wrote 986 instead of 2,660 bytes per tx on the ledger bench's mix
// (60,000 txs in blocks of 500, compactions included), at no more CPU per tx. Queries, proofs and
// iteration read the tree itself; a state written with fast storage opens as it is (the copy is
// then ignored).
const skipFastStorage = true

// IAVLCacheSize is how many nodes of the state tree the App keeps in memory.
const IAVLCacheSize = 200_000

// checkReadsMax bounds what CheckTx remembers of the committed state across blocks; past it, it
// starts again after the next Commit.
const checkReadsMax = 1 << 17

// App is the ABCI 2.0 application: a thin adapter that feeds CometBFT's blocks to the Ledger over
// an IAVL tree, stages each block in the tree's working version and saves it after Commit.
//
// Commit does not wait for the save. Saving a version writes every node the block changed to the
// database, a fifth of the time CometBFT's consensus routine spends on a block under load, and
// nothing in consensus needs it: the next FinalizeBlock does, and it waits (waitSaved). So the
// save runs while CometBFT records the block, updates its mempool and agrees on the next one.
// Meanwhile CheckTx (and the mempool's recheck of what the block left) reads the committed state
// as the block's writes over the version before it, and over what it read of that version
// before; IAVL cannot read one version while it writes another (its record of the latest and
// storage versions is unguarded), so a read that must reach the tree waits for the save. A
// crash before the save ends loses nothing: the app restarts one block behind CometBFT's
// stores, and CometBFT's handshake replays that block (Info reports the last saved height).
type App struct {
	abci.BaseApplication

	// mu guards the tree (FinalizeBlock stages a block in its working version; a save runs on
	// it after Commit), saving, saveErr, written, last and committed; checkMu guards check,
	// checkBlock and checks. CheckTx takes checkMu alone: it reads only the committed view, so it
	// runs while a block is finalized or saved. Commit, InitChain and Close take both, mu first.
	mu       sync.Mutex
	checkMu  sync.Mutex
	db       idb.DB
	tree     *iavl.MutableTree
	verifier rights.Verifier
	cache    *rights.Cache // every Ledger the app builds shares it
	logger   log.Logger

	saving     *saveRun       // the save Commit started, until waitSaved collects it
	saveErr    error          // a failed save: the tree can no longer be trusted
	written    *rights.Writes // the last finalized block's writes, for the committed view
	beforeSave func()         // tests: runs in the save's goroutine before it writes

	// committed is a read-only view of the last committed block's state: a saved version, the
	// block's writes over the version before it while it is being saved, or before the first
	// save a copy of genesis. check reads it for CheckTx, remembering what it read until the next
	// Commit; checkBlock is the block CheckTx admits txs for, the one after the last committed.
	committed  rights.Store
	check      *rights.Batch
	checkBlock rights.Block
	checks     checkState   // the txs CheckTx admitted, with their nonces (checkstate.go)
	last       rights.Block // the last finalized block
	block      finalized    // its txs, for Commit
}

var _ abci.Application = (*App)(nil)

var errAppClosed = errors.New("rights: the app is closed")

// New opens (or creates) the application state in dir: an IAVL tree in its own goleveldb
// database, separate from CometBFT's. verifier checks chunk proofs.
func New(dir string, verifier rights.Verifier) (*App, error) {
	if verifier == nil {
		return nil, errors.New("rights: new app: a chunk proof verifier is required")
	}
	db, err := idb.NewGoLevelDBWithOpts("appstate", dir, LevelDBOptions())
	if err != nil {
		return nil, fmt.Errorf("rights: new app: open state database in %s: %w", dir, err)
	}
	tree := iavl.NewMutableTree(db, IAVLCacheSize, skipFastStorage, iavl.NewNopLogger())
	if _, err := tree.Load(); err != nil {
		return nil, errors.Join(fmt.Errorf("rights: new app: load state: %w", err), db.Close())
	}
	app := &App{db: db, tree: tree, verifier: newMemoVerifier(verifier), cache: rights.NewCache(), logger: log.NewNopLogger()}
	app.last.Height = tree.Version() // CheckTx judges txs for the block after it
	view, err := app.savedView()
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	app.resetCheck(view, nil)
	return app, nil
}

// SetLogger sets where the app reports bugs (a panic turned into a refused tx) and failures.
func (app *App) SetLogger(l log.Logger) {
	app.mu.Lock()
	defer app.mu.Unlock()
	app.checkMu.Lock()
	defer app.checkMu.Unlock()
	app.logger = l
}

// Close closes the state database. The app must not be used afterwards.
func (app *App) Close() error {
	app.mu.Lock()
	defer app.mu.Unlock()
	app.checkMu.Lock()
	defer app.checkMu.Unlock()
	if app.tree == nil {
		return nil
	}
	err := errors.Join(app.waitSaved(), app.tree.Close(), app.db.Close())
	app.tree, app.check = nil, nil
	if err != nil {
		return fmt.Errorf("rights: close app: %w", err)
	}
	return nil
}

// savedView is a read-only view of the last saved version; before the first save, of a copy of
// genesis, which is still in the working version that the first block will change under
// CheckTx's feet. The caller holds mu, and no save is under way.
func (app *App) savedView() (rights.Store, error) {
	if v := app.tree.Version(); v > 0 {
		imm, err := app.tree.GetImmutable(v)
		if err != nil {
			return nil, fmt.Errorf("rights: load version %d: %w", v, err)
		}
		return iavlView{imm}, nil
	}
	genesis := rights.NewMemStore()
	var serr error
	if err := (iavlStore{app.tree}).Iterate(nil, func(k, v []byte) bool {
		serr = genesis.Set(k, v)
		return serr == nil
	}); err != nil || serr != nil {
		return nil, fmt.Errorf("rights: copy genesis: %w", errors.Join(err, serr))
	}
	return rights.ReadOnly(genesis), nil
}

// resetCheck makes view the committed state CheckTx reads and carries over or drops the txs
// CheckTx admitted. With written, the writes of the block that led from the last committed state
// to view, CheckTx keeps what it read of the last state at every key the block did not write:
// the value there is the same. The caller holds both locks.
func (app *App) resetCheck(view rights.Store, written *rights.Writes) {
	app.committed = view
	check := rights.NewBatch(view)
	if written != nil && app.check != nil && app.check.Reads() < checkReadsMax {
		check.KeepReads(app.check, *written)
	}
	app.check = check
	app.checkBlock = rights.Block{Height: app.last.Height + 1, Time: app.last.Time}
	app.restage()
}

// saveRun is a save of the tree running after Commit.
type saveRun struct {
	done chan struct{} // closed when the save has ended
	err  error         // its failure, set before done is closed
}

// waitSaved waits for the save Commit started, if one is under way, and reports whether the
// tree is sound: once a save has failed, every later use of the tree fails with its error, and
// the node halts rather than build on a state it could not write. The caller holds mu.
func (app *App) waitSaved() error {
	if app.saving != nil {
		<-app.saving.done
		app.saveErr, app.saving = app.saving.err, nil
	}
	return app.saveErr
}

// Info reports the last saved height and its AppHash, from which CometBFT replays on restart.
func (app *App) Info(_ context.Context, _ *abci.RequestInfo) (*abci.ResponseInfo, error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	if app.tree == nil {
		return nil, errAppClosed
	}
	if err := app.waitSaved(); err != nil {
		return nil, err
	}
	res := &abci.ResponseInfo{Data: "dxp", Version: Version, AppVersion: AppVersion}
	if v := app.tree.Version(); v > 0 {
		res.LastBlockHeight = v
		res.LastBlockAppHash = app.tree.Hash()
	}
	return res, nil
}

// InitChain writes the genesis state from AppStateBytes, the JSON of a Genesis.
func (app *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	app.checkMu.Lock()
	defer app.checkMu.Unlock()
	if app.tree == nil {
		return nil, errAppClosed
	}
	var gen rights.Genesis
	dec := json.NewDecoder(bytes.NewReader(req.AppStateBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&gen); err != nil {
		return nil, fmt.Errorf("rights: init chain: app_state is not a DXP genesis: %w", err)
	}
	if gen.ChainID == "" {
		gen.ChainID = req.ChainId
	}
	if gen.ChainID != req.ChainId {
		return nil, fmt.Errorf("rights: init chain: app_state names chain %q but CometBFT runs chain %q", gen.ChainID, req.ChainId)
	}
	initial := max(req.InitialHeight, 1)
	if initial > 1 {
		// IAVL versions then match block heights.
		app.tree.SetInitialVersion(uint64(initial))
	}
	b := rights.Block{Height: initial, Time: req.Time}
	l := &rights.Ledger{Store: iavlStore{app.tree}, Verifier: app.verifier, Cache: app.cache}
	if err := l.InitChain(gen, b); err != nil {
		return nil, fmt.Errorf("rights: init chain: %w", err)
	}
	app.last = rights.Block{Height: initial - 1, Time: req.Time}
	view, err := app.savedView()
	if err != nil {
		return nil, err
	}
	app.resetCheck(view, nil)
	return &abci.ResponseInitChain{AppHash: app.tree.WorkingHash()}, nil
}

func refuse(code uint32, format string, args ...any) *rights.TxError {
	return &rights.TxError{Code: code, Log: fmt.Sprintf(format, args...)}
}

// deliver runs one tx through the ledger; a panic (a bug) refuses it (refuseOnPanic).
func (app *App) deliver(l *rights.Ledger, tx []byte, b rights.Block) (res *rights.Result, err error) {
	defer app.refuseOnPanic(&err, "running", b.Height)
	return l.Deliver(tx, b)
}

// refuseOnPanic, deferred, turns a panic in the ledger (a bug) into a refusal, which changed
// nothing since the ledger writes only what it accepted, and logs it with its stack.
func (app *App) refuseOnPanic(err *error, doing string, height int64) {
	if r := recover(); r != nil {
		app.logger.Error("BUG: the ledger panicked; the tx is refused", "while", doing, "height", height, "panic", r, "stack", string(debug.Stack()))
		*err = refuse(rights.CodeInternal, "internal error while %s the transaction (a bug, reported in the node log): %v", doing, r)
	}
}

// CheckTx admits a tx to the mempool (checkstate.go): encoding, chain id, signature, a
// registered sender not frozen, its next nonce; a listing's proofs too. FinalizeBlock runs the
// kind's rules. It does not wait for a block being finalized.
func (app *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if req.Type == abci.CheckTxType_New {
		app.cache.Preverify(req.Tx) // before the lock, so it overlaps a block being finalized (see sigcache.go)
	}
	app.checkMu.Lock()
	defer app.checkMu.Unlock()
	if app.check == nil {
		return nil, errAppClosed
	}
	if req.Type == abci.CheckTxType_Recheck && app.checks.recheckCarried(req.Tx) {
		return &abci.ResponseCheckTx{Code: rights.CodeOK, GasWanted: 1}, nil // still admitted (checkstate.go)
	}
	if err := app.admit(req.Tx); err != nil {
		var te *rights.TxError
		if !errors.As(err, &te) {
			app.logger.Error("check tx failed", "err", err)
			te = refuse(rights.CodeInternal, "internal error while checking the transaction: %v", err)
		}
		return &abci.ResponseCheckTx{Code: te.Code, Log: te.Log}, nil
	}
	return &abci.ResponseCheckTx{Code: rights.CodeOK, GasWanted: 1}, nil
}

// FinalizeBlock runs the block's txs in order on the working tree, then the end-of-block rules,
// and returns the new AppHash. A refused tx gets a non-zero code and changes nothing; a storage
// failure halts the node rather than let state diverge.
func (app *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	if app.tree == nil {
		return nil, errAppClosed
	}
	if err := app.waitSaved(); err != nil {
		return nil, err
	}
	b := rights.Block{Height: req.Height, Time: req.Time, Hash: req.Hash}
	// The block's txs write to a cache that reaches the tree once, at the end of the block, in key
	// order: a key that several txs write (a member's nonce, a computation collecting its outputs
	// and shares) is set in the tree once per block instead of once per tx, and the tree builds and
	// hashes that many fewer nodes. It also remembers what the block read (Batch).
	blockWrites := rights.NewBatch(iavlStore{app.tree})
	l := &rights.Ledger{Store: blockWrites, Verifier: app.verifier, Cache: app.cache}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, tx := range req.Txs {
		res, err := app.deliver(l, tx, b)
		if err != nil {
			var te *rights.TxError
			if !errors.As(err, &te) {
				return nil, fmt.Errorf("rights: finalize block %d, tx %d: %w", b.Height, i, err)
			}
			results[i] = &abci.ExecTxResult{Code: te.Code, Log: te.Log}
			continue
		}
		results[i] = &abci.ExecTxResult{Code: rights.CodeOK, Data: []byte(res.ID), Events: txEvents(res.Events)}
	}
	events, err := app.endBlock(l, b)
	if err != nil {
		return nil, err
	}
	written, err := blockWrites.Write()
	if err != nil {
		return nil, fmt.Errorf("rights: finalize block %d: %w", b.Height, err)
	}
	app.written = &written
	app.last = b
	app.block.note(req.Txs, func(i int) uint32 { return results[i].Code })
	return &abci.ResponseFinalizeBlock{
		TxResults: results,
		Events:    abciEvents(events),
		AppHash:   app.tree.WorkingHash(),
	}, nil
}

func (app *App) endBlock(l *rights.Ledger, b rights.Block) (events []rights.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			app.logger.Error("BUG: the ledger panicked at the end of a block", "height", b.Height, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("rights: end block %d: panic: %v", b.Height, r)
		}
	}()
	return l.EndBlock(b)
}

// Commit makes the finalized block the committed state and starts saving the working tree as its
// version, without waiting for the save (see App).
func (app *App) Commit(_ context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	if app.tree == nil {
		return nil, errAppClosed
	}
	if err := app.waitSaved(); err != nil {
		return nil, err
	}
	run := &saveRun{done: make(chan struct{})}
	before := app.committed // before the first save: the copy of genesis, not in the tree
	if app.tree.Version() > 0 {
		saved, err := app.savedView()
		if err != nil {
			return nil, err
		}
		before = afterSave{run.done, saved}
	}
	view := before
	if app.written != nil {
		view = app.written.Over(before)
	}
	app.checkMu.Lock()
	app.resetCheck(view, app.written)
	app.checkMu.Unlock()
	app.written = nil

	tree, height, hook := app.tree, app.last.Height, app.beforeSave
	app.saving = run
	go func() {
		defer close(run.done)
		if hook != nil {
			hook()
		}
		if _, _, err := tree.SaveVersion(); err != nil {
			run.err = fmt.Errorf("rights: save block %d: %w", height, err)
		}
	}()
	return &abci.ResponseCommit{}, nil
}

// Query serves the state at req.Height (0: the last committed block) as canonical CBOR: every
// path rights.Ledger.Query answers, from the core's table of object kinds. An unknown id is
// CodeNotFound, an unknown path CodeUnknownQuery, a height with no state CodeBadHeight.
// With req.Prove a single object comes as its stored bytes with an ICS23 proof (see prove).
func (app *App) Query(_ context.Context, req *abci.RequestQuery) (res *abci.ResponseQuery, err error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			app.logger.Error("BUG: query panicked", "path", req.Path, "panic", r, "stack", string(debug.Stack()))
			res, err = &abci.ResponseQuery{Code: rights.CodeInternal, Log: fmt.Sprintf("internal error while answering %s: %v", req.Path, r)}, nil
		}
	}()
	if app.tree == nil {
		return &abci.ResponseQuery{Code: rights.CodeInternal, Log: errAppClosed.Error()}, nil
	}
	if err := app.waitSaved(); err != nil {
		return &abci.ResponseQuery{Code: rights.CodeInternal, Log: err.Error()}, nil
	}
	latest := app.tree.Version()
	height := req.Height
	view := app.committed
	switch {
	case height < 0 || height > latest:
		return &abci.ResponseQuery{Code: rights.CodeBadHeight, Log: fmt.Sprintf("no state at height %d; the last committed height is %d", height, latest)}, nil
	case height == 0 || height == latest:
		height = latest
	default:
		imm, err := app.tree.GetImmutable(height)
		if err != nil {
			return &abci.ResponseQuery{Code: rights.CodeBadHeight, Log: fmt.Sprintf("no state at height %d: %v", height, err)}, nil
		}
		view = iavlView{imm}
	}
	value, k, err := (&rights.Ledger{Store: view, Cache: app.cache}).Query(req.Path)
	if req.Prove {
		return app.prove(req.Path, height, k, err), nil
	}
	if err != nil {
		code := rights.CodeInternal
		var te *rights.TxError
		switch {
		case errors.As(err, &te):
			code = te.Code
		case errors.Is(err, rights.ErrNotFound):
			code = rights.CodeNotFound
		default:
			app.logger.Error("query failed", "path", req.Path, "err", err)
		}
		return &abci.ResponseQuery{Code: code, Log: err.Error(), Height: height}, nil
	}
	return &abci.ResponseQuery{Code: rights.CodeOK, Key: k, Value: value, Height: height}, nil
}

// unindexedAttrs are the event attributes nobody searches by: free text, digests of protocol
// shares and outputs, amounts and counters. They stay in the event; leaving them out of the tx
// index spares the indexer a write per attribute on the busiest txs (a key-switch share).
var unindexedAttrs = map[string]bool{
	"reason": true, "output": true, "share": true, "amount": true, "price": true, "uses": true,
	"epsilon": true, "seq": true, "votes": true, "regulators": true, "field": true, "step": true,
	"dp_required": true,
}

// memberPosts are the committee's protocol posts on a computation under way: a member's output
// and key-switch share. They are three quarters of a busy chain's txs (every computation takes
// one of each per member) and they move no right, credit or data: the flow is the computation,
// whose request, completion and payment are indexed by dataset and grant. So they are indexed by
// action, sender, party and computation only; their datasets and grant stay in the event,
// unindexed. "Every flow touching dataset X" finds the computation (dxp.dataset='ds-…'), and
// its posts are dxp.computation='cp-…'. On the ledger bench's mix this spares three index keys
// of the nine a tx had on average.
var memberPosts = map[string]bool{"submit_output": true, "submit_share": true}

// SummaryAttr marks a tx's summary event (txEvents): the one event of a tx with several that
// the tx index holds, carrying every attribute of the others that is indexed.
const SummaryAttr = "summary"

// txEvents turns a tx's ledger events into CometBFT events. A tx with one event gets it
// indexed (abciEvents); a tx with several gets them all unindexed, followed by one summary event
// (first attribute SummaryAttr="true", unindexed) holding each indexed attribute of theirs once.
// The tx index writes a key per indexed attribute, and the busiest txs repeat most of theirs
// across their events (the last key-switch share of a computation: submit_share,
// complete_computation, issue_product and often exhaust_grant, 30 keys of which 15 differ; a
// computation request and its escrow payment, 16 of which 10 differ). On the ledger bench's mix
// that is 9.2 instead of 11.8 index keys per tx (the height key included), and CometBFT's
// indexer took 49 instead of 56 us of CPU per tx re-indexing 18,000 of its txs; the price is
// the summary's bytes, about 170 per tx on average, in the tx's result (kept by the tx index and
// twice by the state store). tx_search then matches a conjunction per tx rather than per
// event (`dxp.action='payment' AND dxp.dataset='X'` finds a tx that touched X and paid), which is
// what "every flow touching dataset X" asks; a reader who wants an event's own parties, datasets
// and amounts reads the tx's detail events, which are all there, in order, before the summary.
func txEvents(evs []rights.Event) []abci.Event {
	out := abciEvents(evs)
	if len(out) < 2 {
		return out
	}
	type attr struct{ key, value string }
	seen := map[attr]bool{}
	summary := abci.Event{Type: EventType, Attributes: []abci.EventAttribute{{Key: SummaryAttr, Value: "true"}}}
	for i := range out {
		for j, a := range out[i].Attributes {
			if !a.Index {
				continue
			}
			out[i].Attributes[j].Index = false
			if k := (attr{a.Key, a.Value}); !seen[k] {
				seen[k] = true
				summary.Attributes = append(summary.Attributes, a)
			}
		}
	}
	return append(out, summary)
}

// abciEvents turns ledger events into indexed CometBFT events.
func abciEvents(evs []rights.Event) []abci.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]abci.Event, 0, len(evs))
	for _, e := range evs {
		var attrs []abci.EventAttribute
		add := func(k, v string, index bool) {
			if v != "" {
				attrs = append(attrs, abci.EventAttribute{Key: k, Value: v, Index: index})
			}
		}
		add("action", e.Action, true)
		add("sender", string(e.Sender), true)
		for _, p := range e.Parties {
			add("party", string(p), true)
		}
		flow := !memberPosts[e.Action]
		for _, d := range e.Datasets {
			add("dataset", d, flow)
		}
		add("grant", e.Grant, flow)
		add("computation", e.Computation, true)
		for _, a := range e.Attrs {
			add(a.Key, a.Value, !unindexedAttrs[a.Key])
		}
		out = append(out, abci.Event{Type: EventType, Attributes: attrs})
	}
	return out
}

// memoVerifier remembers which chunk and input proofs verified, so a dataset registration checked by CheckTx (and
// rechecked while it waits in the mempool) is not verified again in FinalizeBlock. Only
// successes are remembered, and only the inputs' hash, so for a deterministic verifier the
// answers are exactly the inner verifier's. It is safe for concurrent use.
type memoVerifier struct {
	inner rights.Verifier
	mu    sync.Mutex
	ok    map[[32]byte]bool
}

const memoVerifierMax = 1 << 16

func newMemoVerifier(v rights.Verifier) *memoVerifier {
	return &memoVerifier{inner: v, ok: map[[32]byte]bool{}}
}

func (m *memoVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	k := memoKey("chunk", [][]byte{vk, proof, commitment}, uint64(min), uint64(max))
	return m.verify(k, func() error { return m.inner.VerifyChunk(vk, proof, commitment, min, max) })
}

func (m *memoVerifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	kind, blobs, nums := "input", [][]byte{vk, proof, c.Commitment, c.Key[:], []byte(c.Holder), c.Ciphertext[:], c.Evaluations},
		[]uint64{c.Slots, uint64(c.Width), uint64(c.Min), uint64(c.Max), c.Rows}
	if h := c.Histogram; h != nil {
		kind, blobs, nums = "input-histogram", append(blobs, h.Alpha, h.Sum), append(nums, uint64(h.Side), uint64(h.Min), uint64(h.Bin))
	}
	k := memoKey(kind, blobs, nums...)
	return m.verify(k, func() error { return m.inner.VerifyInput(vk, c, proof) })
}

func (m *memoVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return m.inner.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (m *memoVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return m.inner.CheckHistogram(chunkSums, tableSum)
}

// memoKey hashes a verification's every input, each length-prefixed, under its kind.
func memoKey(kind string, blobs [][]byte, nums ...uint64) [32]byte {
	h := sha256.New()
	for _, b := range append([][]byte{[]byte(kind)}, blobs...) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	for _, v := range nums {
		h.Write(binary.BigEndian.AppendUint64(nil, v))
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// verify answers from memory for a success seen before, else runs check and remembers a success.
func (m *memoVerifier) verify(k [32]byte, check func() error) error {
	m.mu.Lock()
	ok := m.ok[k]
	m.mu.Unlock()
	if ok {
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ok) >= memoVerifierMax {
		clear(m.ok)
	}
	m.ok[k] = true
	return nil
}

// LevelDBOptions are the goleveldb settings of every database a node opens (CometBFT's and the
// app's). A validator writes a steady stream of blocks, tx results, event index entries and IAVL
// nodes, several KiB per tx, much of it under hash-like keys spread over the whole key range, so
// that every compaction of level 0 into level 1 rewrites most of level 1. With 32 MiB memtables
// and compaction at 4 level-0 tables (goleveldb's default), compaction grew to a fifth of a busy
// node's CPU once the tx index outgrew level 1, and CPU per tx rose by a quarter over 300,000
// txs; 64 MiB memtables and compaction at 8 level-0 tables merge four times as much per pass,
// and cut CPU per tx by about a tenth at that size (bench ledger). Bloom filters keep reads
// cheap with more level-0 tables to look through. Level 1 holds 512 MiB (goleveldb's default is
// 10 MiB, and each level ten times the one above): with 64 MiB memtables, a default level 1 was
// overfull after every level-0 compaction, so each one cascaded into levels 2 and 3 at once. On
// the root disk (bench ledger, dxp alone, same binary otherwise) DXP held >= 8,000 tx/s in 6 of
// 7 runs with it and in 5 of 9 without. No compression, because what they hold
// is mostly hashes, signatures and keys, and snappy took about 3% of a busy node's CPU; and no
// compaction triggered by reads (as go-ethereum does), since the state is read far more than
// written.
func LevelDBOptions() *opt.Options {
	return &opt.Options{
		WriteBuffer:            64 << 20,
		CompactionL0Trigger:    8,
		WriteL0SlowdownTrigger: 16,
		WriteL0PauseTrigger:    24,
		CompactionTableSize:    8 << 20,
		CompactionTotalSize:    512 << 20,
		BlockCacheCapacity:     64 << 20,
		Filter:                 filter.NewBloomFilter(10),
		Compression:            opt.NoCompression,
		DisableSeeksCompaction: true,
	}
}
