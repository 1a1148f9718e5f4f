package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	mempl "github.com/cometbft/cometbft/mempool"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/app"
	"github.com/dxplabs/dxp/rights/node"
)

// The ledger bench: how many txs per second one in-process validator sustains, every signature
// verified, with commit latency (from the moment a tx was due to be submitted to the moment the
// block holding it is committed) below a target, under a realistic mix (bench_workload.go); and,
// on the same node settings, two reference apps: one that only stores txs (CometBFT's ceiling),
// one that does only the unavoidable work per tx (decode, verify one signature, write to IAVL).
//
// Each app runs on a fresh node. Before each step the bench waits until the mempool is empty and
// the process is quiet (waitIdle). The offered load starts at StartRate and rises step by step
// until a rate misses the target (a narrow miss counts only if a second step at that rate misses
// too, so that one stall does not end the search): it doubles while p99 latency is far below the
// target and rises by FinalGrowth near it, but never past what the machine's cores could process
// at the CPU cost per tx the last step measured. A step far beyond an app's capacity only piles
// up a backlog, and draining it (huge blocks, compactions, a state grown by a step's worth of
// txs) slows the steps after it, so where the search ended depended on how far and how often it
// had overshot; a step that saturated the app is therefore not run again. Once a rate has
// missed, the next step tries the geometric mean of the highest rate that held and the lowest
// that missed, until the two are within FinalGrowth of each other; a coarse rise that overshoots
// is narrowed down in a few steps. A step submits its txs at a steady rate for Step, straight
// into the mempool as the p2p reactor would, and waits for them to commit.

// Bench defaults, for the CLI's help.
const (
	BenchDefaultStep          = 5 * time.Second
	BenchDefaultTarget        = time.Second
	BenchDefaultTimeoutCommit = 100 * time.Millisecond
)

// Bench app names, as BenchConfig.Apps takes them.
const (
	BenchDXP         = "dxp"
	BenchVerifyStore = "verify_store"
	BenchStoreOnly   = "store_only"
)

// BenchConfig configures BenchLedger. The zero value of every field means its default.
type BenchConfig struct {
	Dir           string        // where the nodes live; "" = a temporary directory, removed after
	Step          time.Duration // length of one load step; 5s
	StartRate     float64       // first offered load, tx/s; 1000
	MaxRate       float64       // highest offered load, tx/s; 400,000
	TargetP99     time.Duration // a step holds when p99 commit latency is below it; 1s
	TimeoutCommit time.Duration // the nodes' pause after each block; 100ms
	FinalGrowth   float64       // the rise near the target, and the precision of the search; 1.1
	Apps          []string      // which apps, in order; all three
	// Progress, if set, receives one line per step.
	Progress func(string)
	// DatasetRows sizes every bench dataset (two columns); 10,000.
	DatasetRows uint64
	// GCPercent is the Go garbage collector's target (GOGC) while the bench runs; 400. Memory is
	// not what limits a validator, and every app runs with the same setting.
	GCPercent int
	// MemoryLimit is the Go runtime's soft memory limit (GOMEMLIMIT) while the bench runs, so
	// that GCPercent does not let the heap grow to several times what is live; 4 GiB.
	MemoryLimit int64
}

func (c *BenchConfig) defaults() {
	if c.Step == 0 {
		c.Step = BenchDefaultStep
	}
	if c.StartRate == 0 {
		c.StartRate = 1000
	}
	if c.MaxRate == 0 {
		c.MaxRate = 400_000
	}
	if c.TargetP99 == 0 {
		c.TargetP99 = BenchDefaultTarget
	}
	if c.TimeoutCommit == 0 {
		c.TimeoutCommit = BenchDefaultTimeoutCommit
	}
	if c.FinalGrowth == 0 {
		c.FinalGrowth = 1.1
	}
	if len(c.Apps) == 0 {
		c.Apps = []string{BenchDXP, BenchVerifyStore, BenchStoreOnly}
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	if c.GCPercent == 0 {
		c.GCPercent = 400
	}
	if c.MemoryLimit == 0 {
		c.MemoryLimit = 4 << 30
	}
}

func (c *BenchConfig) validate() error {
	switch {
	case c.Step < 100*time.Millisecond:
		return fmt.Errorf("a step of %v is too short to measure", c.Step)
	case c.StartRate < 1 || c.MaxRate < c.StartRate:
		return fmt.Errorf("rates must satisfy 1 <= start (%v) <= max (%v)", c.StartRate, c.MaxRate)
	case c.FinalGrowth <= 1 || c.FinalGrowth > 2:
		return fmt.Errorf("the final growth %v must be above 1 and at most 2", c.FinalGrowth)
	case c.TargetP99 <= 0 || c.TimeoutCommit < 0:
		return errors.New("the latency target must be positive and the commit timeout not negative")
	}
	for _, a := range c.Apps {
		if a != BenchDXP && a != BenchVerifyStore && a != BenchStoreOnly {
			return fmt.Errorf("unknown bench app %q (want %s, %s or %s)", a, BenchDXP, BenchVerifyStore, BenchStoreOnly)
		}
	}
	return nil
}

// BenchReport is what BenchLedger measured. The first six fields are the headline: the best
// sustained rate of each app with p99 commit latency under the target, DXP's ratio to the
// verify-and-store app, and DXP's latencies at its best rate.
type BenchReport struct {
	TxPerS            float64 `json:"tx_per_s"`
	StoreOnlyTxPerS   float64 `json:"store_only_tx_per_s"`
	VerifyStoreTxPerS float64 `json:"verify_store_tx_per_s"`
	Ratio             float64 `json:"ratio"`
	P50CommitMS       float64 `json:"p50_commit_ms"`
	P99CommitMS       float64 `json:"p99_commit_ms"`
	// CPUPerTxUS is the process's CPU time per committed tx of each app at its best rate, in
	// microseconds, and CPURatio verify_store's over DXP's: the efficiency the ratio above
	// measures, without the noise of where a ramp happens to stop.
	CPUPerTxUS map[string]float64 `json:"cpu_us_per_tx"`
	CPURatio   float64            `json:"cpu_ratio"`
	// BytesWrittenPerTx and FsyncsPerBlock are what each app's node asked of the disk over its
	// whole ramp (BenchRun): what sets its speed on a real disk beside its CPU.
	BytesWrittenPerTx map[string]float64   `json:"bytes_written_per_tx"`
	FsyncsPerBlock    map[string]float64   `json:"fsyncs_per_block"`
	Runs              map[string]*BenchRun `json:"runs"`
	Settings          BenchSettings        `json:"settings"`
}

// BenchSettings records how the bench ran.
type BenchSettings struct {
	StepSeconds     float64        `json:"step_seconds"`
	TargetP99MS     float64        `json:"target_p99_ms"`
	TimeoutCommitMS float64        `json:"timeout_commit_ms"`
	GOMAXPROCS      int            `json:"gomaxprocs"`
	GOGC            int            `json:"gogc"`
	GOMemLimitMB    int64          `json:"gomemlimit_mb"`
	Mix             map[string]int `json:"dxp_mix"` // txs of each kind the DXP stream held
	DatasetBytes    int            `json:"dataset_bytes"`
	// Filesystem is the kind of filesystem the nodes' data lives on (BenchConfig.Dir, or the
	// system's temporary directory): ext4 is a disk, tmpfs memory.
	Filesystem string  `json:"filesystem"`
	TxBytes    float64 `json:"mean_tx_bytes"`
}

// BenchRun is one app's ramp.
type BenchRun struct {
	TxPerS      float64 `json:"tx_per_s"` // best sustained rate with p99 under the target
	P50CommitMS float64 `json:"p50_commit_ms"`
	P99CommitMS float64 `json:"p99_commit_ms"`
	CPUPerTxUS  float64 `json:"cpu_us_per_tx"` // at that rate
	// BytesWrittenPerTx and FsyncsPerBlock over every step of the ramp (BenchStep's, summed over
	// the steps before dividing): a database's compactions land in whichever step they happen
	// to, so one step's figure swings with them, while the ramp's pays for all it wrote.
	BytesWrittenPerTx float64      `json:"bytes_written_per_tx"`
	FsyncsPerBlock    float64      `json:"fsyncs_per_block"`
	Steps             []*BenchStep `json:"steps"`
}

// BenchStep is one load step.
type BenchStep struct {
	OfferedTxPerS float64 `json:"offered_tx_per_s"`
	TxPerS        float64 `json:"tx_per_s"` // committed txs over the time they took to commit
	P50CommitMS   float64 `json:"p50_commit_ms"`
	P99CommitMS   float64 `json:"p99_commit_ms"`
	Txs           int     `json:"txs"`
	Committed     int     `json:"committed"`
	Refused       int     `json:"refused"`
	Blocks        int     `json:"blocks"`
	Held          bool    `json:"held"` // every tx committed, p99 under the target
	FirstRefusal  string  `json:"first_refusal,omitempty"`
	// CPUPerTxUS is the process's CPU time (every core, the bench's own submitting included)
	// from the step's first submission to its end, per committed tx, in microseconds.
	CPUPerTxUS float64 `json:"cpu_us_per_tx"`
	// BytesWrittenPerTx is what the process sent to disk over the same span (processWriteBytes:
	// every database, log and compaction; 0 on a tmpfs), per committed tx.
	BytesWrittenPerTx float64 `json:"bytes_written_per_tx"`
	// FsyncsPerBlock is the fsyncs of CometBFT's databases (block store, state, tx and block
	// index, evidence: their synced writes, node.Node.DBSyncs) over the same span, per block made
	// in it. The app's own database is written without syncing (an app that loses its last blocks
	// in a crash has them replayed by CometBFT's handshake), so an app adds none of its own. Not
	// counted, since CometBFT writes it through a file of its own: the consensus WAL, which a lone
	// validator syncs for each message it sends itself (the proposal, each 64 KiB part of the
	// block, two votes), at the end of each height and every 2 s, the same for every app at a
	// given block size (strace -f: 412 WAL syncs for 39 verify_store blocks of 129 parts in 14 s).
	FsyncsPerBlock float64 `json:"fsyncs_per_block"`
	// BytesWritten, Fsyncs and Heights are the counts behind the two figures above: bytes sent
	// to disk, CometBFT's database fsyncs, and blocks made over the span.
	BytesWritten uint64 `json:"bytes_written"`
	Fsyncs       uint64 `json:"fsyncs"`
	Heights      int64  `json:"heights"`
}

// BenchLedger runs the ledger bench.
func BenchLedger(ctx context.Context, c BenchConfig) (*BenchReport, error) {
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("rights: bench: %w", err)
	}
	dir := c.Dir
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil { // now, so that its filesystem can be named
			return nil, fmt.Errorf("rights: bench: %w", err)
		}
	} else {
		tmp, err := os.MkdirTemp("", "dxp-bench-")
		if err != nil {
			return nil, fmt.Errorf("rights: bench: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	rep := &BenchReport{Runs: map[string]*BenchRun{}, CPUPerTxUS: map[string]float64{},
		BytesWrittenPerTx: map[string]float64{}, FsyncsPerBlock: map[string]float64{}, Settings: BenchSettings{
			StepSeconds: c.Step.Seconds(), TargetP99MS: ms(c.TargetP99), TimeoutCommitMS: ms(c.TimeoutCommit),
			GOMAXPROCS: runtime.GOMAXPROCS(0), GOGC: c.GCPercent, GOMemLimitMB: c.MemoryLimit >> 20, Filesystem: filesystemOf(dir)}}
	defer debug.SetGCPercent(debug.SetGCPercent(c.GCPercent))
	if c.MemoryLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(c.MemoryLimit))
	}
	for _, app := range c.Apps {
		run, err := benchApp(ctx, &c, app, filepath.Join(dir, app), &rep.Settings)
		if err != nil {
			return nil, fmt.Errorf("rights: bench %s: %w", app, err)
		}
		rep.Runs[app] = run
	}
	if r := rep.Runs[BenchDXP]; r != nil {
		rep.TxPerS, rep.P50CommitMS, rep.P99CommitMS = r.TxPerS, r.P50CommitMS, r.P99CommitMS
	}
	if r := rep.Runs[BenchVerifyStore]; r != nil {
		rep.VerifyStoreTxPerS = r.TxPerS
		if r.TxPerS > 0 {
			rep.Ratio = rep.TxPerS / r.TxPerS
		}
	}
	if r := rep.Runs[BenchStoreOnly]; r != nil {
		rep.StoreOnlyTxPerS = r.TxPerS
	}
	for app, r := range rep.Runs {
		rep.CPUPerTxUS[app] = r.CPUPerTxUS
		rep.BytesWrittenPerTx[app] = r.BytesWrittenPerTx
		rep.FsyncsPerBlock[app] = r.FsyncsPerBlock
	}
	if d, v := rep.CPUPerTxUS[BenchDXP], rep.CPUPerTxUS[BenchVerifyStore]; d > 0 && v > 0 {
		rep.CPURatio = v / d
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchTune is the node configuration of every bench node: DXP's, with a mempool that holds a
// second of the highest load, and nothing that depends on a peer.
func benchTune(c *cfg.Config) {
	c.Mempool.Size = 1_000_000
	c.Mempool.MaxTxsBytes = 2 << 30
	c.Mempool.CacheSize = 1_000_000
	c.Mempool.Broadcast = false
}

// appMaker opens an app of the bench whose state lives in dir, and returns what closes it.
type appMaker func(dir string) (abci.Application, func() error, error)

// benchMakers open the bench's apps.
var benchMakers = map[string]appMaker{
	BenchDXP: func(dir string) (abci.Application, func() error, error) {
		a, err := app.New(dir, benchAccept{})
		if err != nil {
			return nil, nil, err
		}
		return a, a.Close, nil
	},
	BenchVerifyStore: newVerifyStoreApp,
	BenchStoreOnly:   newStoreOnlyApp,
}

// txSource yields the txs of an app's load steps.
type txSource func(n int) ([][]byte, error)

func benchApp(ctx context.Context, c *BenchConfig, app, home string, settings *BenchSettings) (_ *BenchRun, err error) {
	gen, _ := benchGenesis()
	if err := node.Init(home, gen); err != nil {
		return nil, err
	}
	dir := node.AppDir(home)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	a, closeApp, err := benchMakers[app](dir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeApp()) }() // after the node has stopped
	probe := &commitProbe{Application: a}
	nc := node.Config{Home: home, TimeoutCommit: c.TimeoutCommit, App: probe}
	if nc.Comet, err = node.CometConfig(nc); err != nil {
		return nil, err
	}
	benchTune(nc.Comet)
	n, err := node.Start(ctx, nc)
	if err != nil {
		return nil, err
	}
	defer n.Stop()

	var src txSource
	switch app {
	case BenchDXP:
		w, err := newWorkload(benchMix{DatasetRows: c.DatasetRows}, filepath.Join(home, "workload"))
		if err != nil {
			return nil, err
		}
		defer w.Close()
		waves, err := w.setup()
		if err != nil {
			return nil, err
		}
		settings.DatasetBytes = len(waves[1][0])
		for i, wave := range waves {
			st, err := runStep(ctx, n, probe, wave, 0, c.TargetP99)
			if err != nil {
				return nil, err
			}
			if st.Committed != len(wave) {
				return nil, fmt.Errorf("setup wave %d: %d of %d txs committed (%s)", i+1, st.Committed, len(wave), st.FirstRefusal)
			}
		}
		settings.Mix = w.kinds
		src = w.next
	case BenchVerifyStore:
		next := 0
		src = func(k int) ([][]byte, error) {
			txs, err := plainTxs(next, k)
			next += k
			return txs, err
		}
	case BenchStoreOnly:
		// Unique txs of the size of a signed one, without the cost of signing millions.
		tmpl, err := plainTxs(0, 1)
		if err != nil {
			return nil, err
		}
		next := 0
		src = func(k int) ([][]byte, error) {
			out := make([][]byte, k)
			for i := range out {
				tx := slices.Clone(tmpl[0])
				v := uint64(next)
				for j := 0; j < 8; j++ {
					tx[len(tx)-1-j] = byte(v >> (8 * j))
				}
				next++
				out[i] = tx
			}
			return out, nil
		}
	}

	run := &BenchRun{}
	var bytes, count float64
	var (
		written, fsyncs uint64
		committed       int
		heights         int64
	)
	step := func(rate float64) (*BenchStep, error) {
		k := max(1, int(rate*c.Step.Seconds()))
		txs, err := src(k)
		if err != nil {
			return nil, err
		}
		for _, tx := range txs {
			bytes += float64(len(tx))
		}
		count += float64(len(txs))
		if err := waitIdle(ctx, n, 30*time.Second); err != nil {
			return nil, err
		}
		st, err := runStep(ctx, n, probe, txs, rate, c.TargetP99)
		if err != nil {
			return nil, err
		}
		run.Steps = append(run.Steps, st)
		written, committed, fsyncs, heights = written+st.BytesWritten, committed+st.Committed, fsyncs+st.Fsyncs, heights+st.Heights
		if committed > 0 {
			run.BytesWrittenPerTx = float64(written) / float64(committed)
		}
		if heights > 0 {
			run.FsyncsPerBlock = float64(fsyncs) / float64(heights)
		}
		c.Progress(fmt.Sprintf("%-12s offered %8.0f tx/s: committed %8.0f tx/s, p50 %6.0f ms, p99 %6.0f ms, %d blocks, %4.0f us CPU/tx, %5.0f B/tx written, %4.1f fsyncs/block%s",
			app, st.OfferedTxPerS, st.TxPerS, st.P50CommitMS, st.P99CommitMS, st.Blocks, st.CPUPerTxUS, st.BytesWrittenPerTx, st.FsyncsPerBlock,
			map[bool]string{true: "", false: "  (target missed)"}[st.Held]))
		if st.Held && st.TxPerS > run.TxPerS {
			run.TxPerS, run.P50CommitMS, run.P99CommitMS, run.CPUPerTxUS = st.TxPerS, st.P50CommitMS, st.P99CommitMS, st.CPUPerTxUS
		}
		if st.Refused > 0 && app == BenchDXP {
			// The stream is a chain of dependent txs: after a refusal the rest would be refused.
			return nil, fmt.Errorf("%d txs refused at %.0f tx/s, first: %s", st.Refused, rate, st.FirstRefusal)
		}
		return st, ctx.Err()
	}
	if err := searchRates(c, step); err != nil {
		return nil, err
	}
	if app == BenchDXP && count > 0 {
		settings.TxBytes = bytes / count
	}
	return run, nil
}

// waitIdle waits until the node's mempool is empty and then until the process is quiet: the
// databases' compactions and whatever else the last step left behind run before the next step,
// not during it, so each step measures the node at its rate and not the debts of a faster one.
func waitIdle(ctx context.Context, n *node.Node, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for n.Comet().Mempool().Size() > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("the mempool still holds %d txs after %v", n.Comet().Mempool().Size(), limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Quiet: below a fifth of a core over a quarter second, or settleLimit at most (a node with
	// an empty mempool still makes empty blocks).
	const window, quiet, settleLimit = 250 * time.Millisecond, 0.2, 20 * time.Second
	settle := time.Now().Add(settleLimit)
	last, ok := processCPU()
	for ok && time.Now().Before(settle) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(window):
		}
		now, _ := processCPU()
		if (now-last).Seconds()/window.Seconds() < quiet {
			return nil
		}
		last = now
	}
	return nil
}

// commitProbe wraps a bench node's app and hands the bench, at each Commit, the block's txs and
// their results. The bench used to learn them from a subscription to the node's event bus, which
// loaded what it measured: the bus matches every tx's events against every subscriber's query,
// expanding them into a new event list each time, and the consensus goroutine waits for it. On
// the ramp 1000..10000, 12500 (four runs, in memory), DXP's 12,500 tx/s step cost 143-153 us of
// CPU per tx with the probe against 153-162 with the subscription, and its p99 latency was
// 0.47-0.76 s against 0.87-1.06 s. A tx counts as committed when the app has committed its
// block, a few milliseconds before the node announces the block.
type commitProbe struct {
	abci.Application
	mu      sync.Mutex
	sink    chan committedBlock
	pending committedBlock
}

type committedBlock struct {
	txs     [][]byte
	results []*abci.ExecTxResult
	at      time.Time
}

// watch returns a channel that receives every block committed from now on, until stop is
// called. One watcher at a time: a later watch replaces an earlier one.
func (p *commitProbe) watch() (blocks <-chan committedBlock, stop func()) {
	ch := make(chan committedBlock, 10_000) // a block per 100 ms for a quarter of an hour
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sink = ch
	return ch, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.sink == ch {
			p.sink = nil
		}
	}
}

func (p *commitProbe) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	res, err := p.Application.FinalizeBlock(ctx, req)
	if err == nil {
		p.mu.Lock()
		p.pending = committedBlock{txs: req.Txs, results: res.TxResults}
		p.mu.Unlock()
	}
	return res, err
}

func (p *commitProbe) Commit(ctx context.Context, req *abci.RequestCommit) (*abci.ResponseCommit, error) {
	res, err := p.Application.Commit(ctx, req)
	if err != nil {
		return res, err
	}
	p.mu.Lock()
	b := p.pending
	p.pending = committedBlock{}
	if len(b.txs) > 0 {
		b.at = time.Now()
		select {
		case p.sink <- b: // nil when nobody watches: then the block goes unreported
		default: // full: a watcher that stopped reading long ago
		}
	}
	p.mu.Unlock()
	return res, err
}

// runStep submits txs to n's mempool at rate per second (0: all at once) and waits until each is
// committed or refused, or until it is clear the target is missed.
func runStep(ctx context.Context, n *node.Node, probe *commitProbe, txs [][]byte, rate float64, target time.Duration) (*BenchStep, error) {
	st := &BenchStep{OfferedTxPerS: rate, Txs: len(txs)}
	index := make(map[string]int, len(txs))
	for i, tx := range txs {
		index[string(tx)] = i
	}
	due := make([]time.Time, len(txs))
	done := make([]time.Time, len(txs))
	var (
		mu        sync.Mutex
		settled   int // committed or refused
		committed int
		refused   int
		blocks    int
		first     string
		allDone   = make(chan struct{})
	)
	settle := func(i int, code uint32, log string, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if code == rights.CodeOK {
			done[i] = at
			committed++
		} else {
			refused++
			if first == "" {
				first = fmt.Sprintf("code %d: %s", code, log)
			}
		}
		if settled++; settled == len(txs) {
			close(allDone)
		}
	}

	blocksCommitted, stopWatching := probe.watch()
	defer stopWatching()
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		for {
			select {
			case <-returned:
				return
			case b := <-blocksCommitted:
				mine := false
				for j, tx := range b.txs {
					i, ok := index[string(tx)]
					if !ok {
						continue
					}
					mine = true
					r := b.results[j]
					settle(i, r.Code, r.Log, b.at)
				}
				if mine {
					mu.Lock()
					blocks++
					mu.Unlock()
				}
			}
		}
	}()

	cpu0, cpuOK := processCPU()
	written0, writtenOK := processWriteBytes()
	syncs0, height0 := n.DBSyncs(), n.Comet().BlockStore().Height()
	start := time.Now().Add(20 * time.Millisecond)
	mp := n.Comet().Mempool()
	for i, tx := range txs {
		if rate > 0 {
			due[i] = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if d := time.Until(due[i]); d > time.Millisecond {
				time.Sleep(d)
			}
		} else {
			due[i] = time.Now()
		}
		err := mp.CheckTx(tx, func(res *abci.ResponseCheckTx) {
			if res.Code != rights.CodeOK {
				settle(i, res.Code, res.Log, time.Now())
			}
		}, mempl.TxInfo{})
		if err != nil {
			settle(i, rights.CodeInternal, err.Error(), time.Now())
		}
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	// Wait for the rest; a tx still pending well past the target has missed it.
	wait := time.NewTimer(time.Until(due[len(due)-1].Add(3*target + 2*time.Second)))
	defer wait.Stop()
	select {
	case <-allDone:
	case <-wait.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	end := time.Now()
	cpu1, _ := processCPU()
	written1, _ := processWriteBytes()
	syncs1, height1 := n.DBSyncs(), n.Comet().BlockStore().Height()
	if height1 > height0 {
		st.Fsyncs, st.Heights = syncs1-syncs0, height1-height0
		st.FsyncsPerBlock = float64(st.Fsyncs) / float64(st.Heights)
	}
	mu.Lock()
	defer mu.Unlock()
	if cpuOK && committed > 0 {
		st.CPUPerTxUS = float64((cpu1 - cpu0).Microseconds()) / float64(committed)
	}
	if writtenOK && committed > 0 {
		st.BytesWritten = written1 - written0
		st.BytesWrittenPerTx = float64(st.BytesWritten) / float64(committed)
	}
	st.Committed, st.Refused, st.Blocks, st.FirstRefusal = committed, refused, blocks, first
	lat := make([]time.Duration, 0, len(txs))
	var firstCommit, lastCommit time.Time
	for i := range txs {
		if done[i].IsZero() {
			lat = append(lat, end.Sub(due[i])) // refused or not committed in time: at least this
			continue
		}
		lat = append(lat, done[i].Sub(due[i]))
		if firstCommit.IsZero() || done[i].Before(firstCommit) {
			firstCommit = done[i]
		}
		if done[i].After(lastCommit) {
			lastCommit = done[i]
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return ms(lat[max(0, int(math.Ceil(p*float64(len(lat))))-1)]) }
	st.P50CommitMS, st.P99CommitMS = pct(0.50), pct(0.99)
	if committed > 0 && rate > 0 {
		span := max(lastCommit.Sub(firstCommit), time.Duration(float64(len(txs))/rate*float64(time.Second)))
		st.TxPerS = float64(committed) / span.Seconds()
	}
	st.Held = committed == len(txs) && st.P99CommitMS < ms(target)
	return st, nil
}

// searchRates runs steps at rising rates until the highest that holds is found (see the top of
// this file): it doubles far below the target and rises by FinalGrowth near it, never past the
// rate at which the last step's CPU cost per tx would saturate every core; a narrow miss
// (p99 under twice the target) is run again before it counts, since a machine has stalls of its
// own (another process, a compaction) that can push one step just past the target; once a rate
// has missed, it bisects geometrically between the highest rate that held and the lowest that
// missed until they are within FinalGrowth of each other.
//
// A step that saturated the app (it committed less than the offered rate by more than
// FinalGrowth) is not run again: its miss was not a stall, a second run would only pile up a
// second backlog, and every overload left DXP's node slower for the steps after it. (What an
// overloaded app commits does not bound what it can sustain: verify_store offered twice its
// capacity committed a tenth less than it sustains at its limit.)
func searchRates(c *BenchConfig, step func(rate float64) (*BenchStep, error)) error {
	held, missed := 0.0, 0.0
	for rate := c.StartRate; rate <= c.MaxRate; {
		st, err := step(rate)
		if err != nil {
			return err
		}
		if !st.Held && st.P99CommitMS < 2*ms(c.TargetP99) && !saturated(st, c.FinalGrowth) {
			if st, err = step(rate); err != nil {
				return err
			}
		}
		if st.Held {
			held = rate
		} else {
			missed = rate
		}
		switch {
		case missed == 0:
			next := rate * nextRate(st.P99CommitMS/ms(c.TargetP99), c.FinalGrowth)
			if st.CPUPerTxUS > 0 {
				saturation := float64(runtime.GOMAXPROCS(0)) * 1e6 / st.CPUPerTxUS
				next = min(next, max(rate*c.FinalGrowth, saturation))
			}
			rate = next
		case held == 0 || missed/held <= c.FinalGrowth:
			return nil
		default:
			rate = math.Sqrt(held * missed)
		}
	}
	return nil
}

// saturated reports whether a step's app fell behind its offered load by more than a factor of
// growth: its throughput, not a stall, kept it from the target.
func saturated(st *BenchStep, growth float64) bool {
	return !st.Held && st.TxPerS > 0 && st.TxPerS*growth < st.OfferedTxPerS
}

// nextRate is how much the offered load rises after a step whose p99 latency was frac of the
// target: doubling far below it, finer steps near it. Latency climbs steeply as a node nears its
// limit (DXP's p99 is a quarter to a third of the target at three quarters of its limit), so
// doubling stops at a fifth of the target.
func nextRate(frac, final float64) float64 {
	switch {
	case frac < 0.2:
		return 2
	case frac < 0.6:
		return max(final, 1.25)
	default:
		return final
	}
}
