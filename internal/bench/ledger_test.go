package bench

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/app"
)

// Benchmarks of the per-tx core path, on the ledger bench's workload (see bench_workload.go):
//
//	go test ./rights -run '^$' -bench . -benchtime 20000x

// benchStream returns a workload after its setup, the setup's txs, and n txs of its stream.
func benchStream(b testing.TB, n int) (*workload, [][][]byte, [][]byte) {
	b.Helper()
	w, err := newWorkload(benchMix{}, "")
	if err != nil {
		b.Fatal(err)
	}
	waves, err := w.setup()
	if err != nil {
		b.Fatal(err)
	}
	txs, err := w.next(n)
	if err != nil {
		b.Fatal(err)
	}
	return w, waves, txs
}

func BenchmarkDecodeTx(b *testing.B) {
	_, _, txs := benchStream(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rights.DecodeTx(txs[i%len(txs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySig(b *testing.B) {
	_, _, raws := benchStream(b, 1000)
	txs := make([]*rights.Tx, len(raws))
	for i, raw := range raws {
		tx, err := rights.DecodeTx(raw)
		if err != nil {
			b.Fatal(err)
		}
		txs[i] = tx
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := rights.VerifySig(txs[i%len(txs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLedgerDeliver runs the stream through the ledger over a MemStore: decode, signature,
// rules, staged writes.
func BenchmarkLedgerDeliver(b *testing.B) {
	_, waves, txs := benchStream(b, b.N)
	gen, _ := benchGenesis()
	l := &rights.Ledger{Store: rights.NewMemStore(), Verifier: benchAccept{}, Cache: rights.NewCache()}
	if err := l.InitChain(gen, rights.Block{Height: 1, Time: benchTime(1)}); err != nil {
		b.Fatal(err)
	}
	for h, wave := range waves {
		for _, raw := range wave {
			if _, err := l.Deliver(raw, rights.Block{Height: int64(h + 1), Time: benchTime(int64(h + 1))}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for i, raw := range txs {
		h := int64(3 + i/benchBlockTxs)
		if _, err := l.Deliver(raw, rights.Block{Height: h, Time: benchTime(h)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppTx runs the stream through the ABCI app over IAVL as a node would, in blocks of
// 1000: CheckTx of each tx, then FinalizeBlock and Commit of the block; it reports the bytes the
// app's state database wrote per tx (B/tx).
func BenchmarkAppTx(b *testing.B) {
	const block = 1000
	_, waves, txs := benchStream(b, b.N)
	a, err := app.New(b.TempDir(), benchAccept{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	gen, _ := benchGenesis()
	state, err := json.Marshal(gen)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: gen.ChainID, InitialHeight: 1, AppStateBytes: state, Time: benchTime(0)}); err != nil {
		b.Fatal(err)
	}
	height := int64(0)
	run := func(txs [][]byte) {
		for _, raw := range txs {
			if res, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw}); err != nil || res.Code != rights.CodeOK {
				b.Fatalf("CheckTx: %v %v", err, res)
			}
		}
		height++
		res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: height, Time: benchTime(height), Txs: txs})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res.TxResults {
			if r.Code != rights.CodeOK {
				b.Fatalf("FinalizeBlock: %s", r.Log)
			}
		}
		if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, wave := range waves {
		run(wave)
	}
	b.ResetTimer()
	w0, _ := processWriteBytes()
	for i := 0; i < len(txs); i += block {
		run(txs[i:min(i+block, len(txs))])
	}
	b.StopTimer()
	// What the app's state database wrote to storage per tx, compactions included (0 on a tmpfs).
	if w1, ok := processWriteBytes(); ok && len(txs) > 0 {
		b.ReportMetric(float64(w1-w0)/float64(len(txs)), "B/tx")
	}
}

// TestBenchLedger runs the ledger bench briefly at low rates: every app commits every tx of
// its steps, the DXP stream is accepted in full, and the report is complete.
func TestBenchLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := BenchLedger(ctx, BenchConfig{Dir: t.TempDir(), Step: time.Second, StartRate: 200, MaxRate: 400, FinalGrowth: 2,
		TargetP99: 5 * time.Second, DatasetRows: 3000, Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{BenchDXP, BenchVerifyStore, BenchStoreOnly} {
		run := rep.Runs[app]
		if run == nil || len(run.Steps) != 2 {
			t.Fatalf("%s: run %+v, want two steps", app, run)
		}
		for _, st := range run.Steps {
			if st.Committed != st.Txs || st.Refused != 0 || !st.Held {
				t.Errorf("%s at %.0f tx/s: %d of %d committed, %d refused (%s)", app, st.OfferedTxPerS, st.Committed, st.Txs, st.Refused, st.FirstRefusal)
			}
		}
	}
	if rep.TxPerS <= 0 || rep.VerifyStoreTxPerS <= 0 || rep.StoreOnlyTxPerS <= 0 || rep.Ratio <= 0 || rep.P99CommitMS < rep.P50CommitMS {
		t.Errorf("report %+v lacks a figure", rep)
	}
	if _, measured := processCPU(); measured {
		for _, app := range []string{BenchDXP, BenchVerifyStore, BenchStoreOnly} {
			if rep.CPUPerTxUS[app] <= 0 {
				t.Errorf("%s: no CPU time per tx (%v)", app, rep.CPUPerTxUS)
			}
		}
		if rep.CPURatio <= 0 {
			t.Errorf("no CPU ratio in %+v", rep)
		}
	}
	if runtime.GOOS == "linux" && rep.Settings.Filesystem == "" {
		t.Errorf("the report does not name the filesystem the nodes ran on")
	}
	// Every block is synced to the block store and the state; a disk sees the writes.
	_, ioMeasured := processWriteBytes()
	for _, app := range []string{BenchDXP, BenchVerifyStore, BenchStoreOnly} {
		if rep.FsyncsPerBlock[app] < 2 {
			t.Errorf("%s: %v fsyncs per block, want at least the block store's and the state's", app, rep.FsyncsPerBlock[app])
		}
		if ioMeasured && rep.Settings.Filesystem != "tmpfs" && rep.BytesWrittenPerTx[app] <= 0 {
			t.Errorf("%s: no bytes written per tx on %s (%v)", app, rep.Settings.Filesystem, rep.BytesWrittenPerTx)
		}
	}
	for _, kind := range []string{"request_grant", "approve_grant", "request_computation", "submit_output", "submit_share"} {
		if rep.Settings.Mix[kind] == 0 {
			t.Errorf("the DXP stream held no %s (mix %v)", kind, rep.Settings.Mix)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("the report does not encode as JSON: %v", err)
	}
}

// TestSearchRates: the load search doubles far below the target, retries a narrow miss once,
// bisects after an overshoot and stops within FinalGrowth of the highest rate that holds.
func TestSearchRates(t *testing.T) {
	c := &BenchConfig{}
	c.defaults()
	const capacity = 7000.0
	run := func(stall map[float64]bool) []float64 {
		var rates []float64
		err := searchRates(c, func(rate float64) (*BenchStep, error) {
			rates = append(rates, rate)
			st := &BenchStep{OfferedTxPerS: rate, P99CommitMS: 1000 * rate / capacity * 0.9}
			if stall[rate] {
				st.P99CommitMS, stall[rate] = 1200, false // one stall, narrowly over the target
			}
			st.Held = st.P99CommitMS < ms(c.TargetP99)
			return st, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rates
	}
	best := func(rates []float64) (held, missed float64) {
		missed = math.Inf(1)
		for _, r := range rates {
			if r <= capacity/0.9 && r > held {
				held = r
			}
			if r > capacity/0.9 && r < missed {
				missed = r
			}
		}
		return held, missed
	}

	rates := run(nil)
	if rates[0] != 1000 || rates[1] != 2000 || rates[2] >= 4000 {
		t.Errorf("rates %v: want doubling from 1000 while far below the target (p99 under a fifth of it), then smaller rises", rates)
	}
	held, missed := best(rates)
	if missed/held > c.FinalGrowth {
		t.Errorf("rates %v: the search stopped with %v held and %v missed, more than %v apart", rates, held, missed, c.FinalGrowth)
	}
	if len(rates) > 14 {
		t.Errorf("rates %v: %d steps, want a bisection's few", rates, len(rates))
	}

	// A stall at 2000 is run again and holds: the search goes on as before.
	if again := run(map[float64]bool{2000: true}); len(again) != len(rates)+1 || again[1] != 2000 || again[2] != 2000 {
		t.Errorf("rates with a stall at 2000: %v, want 2000 run twice and then the same search as %v", again, rates)
	}
	// A step that measured its CPU cost per tx caps the next at the rate that would saturate every
	// core. An app whose latency stays low until its cores saturate at 7000 tx/s would otherwise
	// be offered 8000 after 4000.
	cpuPerTx := float64(runtime.GOMAXPROCS(0)) * 1e6 / capacity
	var capped []float64
	if err := searchRates(c, func(rate float64) (*BenchStep, error) {
		capped = append(capped, rate)
		st := &BenchStep{OfferedTxPerS: rate, P99CommitMS: 100, CPUPerTxUS: cpuPerTx}
		if rate > capacity {
			st.P99CommitMS = 5000
		}
		st.Held = st.P99CommitMS < ms(c.TargetP99)
		return st, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(capped) < 4 || !slices.Equal(capped[:3], []float64{1000, 2000, 4000}) || math.Abs(capped[3]-capacity) > 1e-6 {
		t.Errorf("rates %v: want 1000, 2000, 4000, then the cap %v", capped, capacity)
	}
	for i, r := range capped {
		if r > capacity+1e-6 && (i == 0 || r > capped[i-1]*c.FinalGrowth+1e-6) {
			t.Errorf("rates %v: %v is past the saturating rate %v by more than one FinalGrowth step", capped, r, capacity)
		}
	}

	// A step that saturates the app (it commits 7000 tx/s of the 8000 offered, narrowly missing
	// the target) is not run again: it was not a stall. (7336 offered, within FinalGrowth of what
	// it commits, may have been one.)
	var sat []float64
	if err := searchRates(c, func(rate float64) (*BenchStep, error) {
		sat = append(sat, rate)
		st := &BenchStep{OfferedTxPerS: rate, P99CommitMS: 150, TxPerS: rate}
		if rate > capacity {
			st.P99CommitMS, st.TxPerS = 1500, capacity
		}
		st.Held = st.P99CommitMS < ms(c.TargetP99)
		return st, nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(sat); i++ {
		if sat[i] > capacity*c.FinalGrowth && sat[i] == sat[i-1] {
			t.Errorf("rates %v: %v saturated the app and was run again", sat, sat[i])
		}
	}

	// An overloaded first step (p99 far past the target) is not run again.
	c.StartRate = 20000
	if rates := run(nil); len(rates) != 1 {
		t.Errorf("rates %v: an overloaded first step ends the search", rates)
	}
}

// TestCommitProbe: the probe reports each committed block's txs and results to the channel the
// latest watch returned, and to no other, until it is stopped; it never blocks the node when
// nobody watches.
func TestCommitProbe(t *testing.T) {
	p := &commitProbe{Application: abci.NewBaseApplication()}
	ctx := context.Background()
	block := func(txs ...string) {
		t.Helper()
		req := &abci.RequestFinalizeBlock{}
		for _, tx := range txs {
			req.Txs = append(req.Txs, []byte(tx))
		}
		if _, err := p.FinalizeBlock(ctx, req); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	drain := func(ch <-chan committedBlock) (got []string) {
		for {
			select {
			case b := <-ch:
				if len(b.results) != len(b.txs) || b.at.IsZero() {
					t.Errorf("block %q: %d results, committed at %v", b.txs, len(b.results), b.at)
				}
				for _, tx := range b.txs {
					got = append(got, string(tx))
				}
				got = append(got, "|")
			default:
				return got
			}
		}
	}
	block("a") // nobody watches yet
	first, stopFirst := p.watch()
	block("b", "c")
	block() // an empty block holds nothing to report
	block("d")
	second, stopSecond := p.watch()
	block("e")
	stopFirst() // too late to matter: the second watch replaced it
	block("f")
	stopSecond()
	block("g")
	if got, want := drain(first), []string{"b", "c", "|", "d", "|"}; !slices.Equal(got, want) {
		t.Errorf("first watch got %q, want %q", got, want)
	}
	if got, want := drain(second), []string{"e", "|", "f", "|"}; !slices.Equal(got, want) {
		t.Errorf("second watch got %q, want %q", got, want)
	}
}
