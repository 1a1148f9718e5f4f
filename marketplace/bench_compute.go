package marketplace

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// BenchComputeConfig configures BenchCompute. The zero value of every field means its default.
type BenchComputeConfig struct {
	Rows   int // values of the one column, over every owner; zero means 1,000,000
	Owners int // datasets the rows are spread over, one owner each; zero means 4
	// Home keeps the devnet and its datasets; empty means a temporary directory removed after.
	// A home set up by an earlier run (bench-compute.json) is reused, its setup not repeated.
	Home      string
	ChunkSize int // values per listing proof at setup; zero means DefaultChunkSize
	Progress  func(line string)
	Log       *slog.Logger // the devnet's log; nil discards
}

// BenchComputeOp is one measured computation.
type BenchComputeOp struct {
	Op string `json:"op"`
	// E2E runs from the request to the decrypted result (Session.Compute).
	E2E float64 `json:"e2e_s"`
	// Compute is the members' own work for it, from picking up the approved request to their
	// key-switch shares in storage: per participant, evaluate (storage reads, decoding,
	// evaluation, the output put) plus switch (the share made and put); the slowest of the t.
	// Waiting for blocks is not in it; CommitteeWall below has it.
	Compute float64 `json:"compute_s"`
	// Evaluate and Switch split Compute for the slowest participant.
	Evaluate float64 `json:"evaluate_s"`
	Switch   float64 `json:"switch_s"`
	// Raw is the same lattigo work on the same ciphertexts with no DXP around it (mpc.RawSum).
	Raw   float64 `json:"raw_s"`
	Ratio float64 `json:"ratio"`
	// Blocks is the chain's height at completion less its height before the request.
	Blocks int64 `json:"blocks"`
	// CommitteeWall is the buyer's wait from the committed request to the completed computation.
	CommitteeWall float64 `json:"committee_wall_s"`
	// PostWait is the slowest participant's time waiting for its two posts to commit.
	PostWait         float64 `json:"post_wait_s"`
	StorageBytesRead int64   `json:"storage_bytes_read"` // by the committee members
	Result           string  `json:"result"`
	Plaintext        string  `json:"plaintext"`
	RawResult        string  `json:"raw_result"`
}

// BenchComputeReport is what BenchCompute measured. The top-level figures are those of the
// slower op (by e2e_s); Ops has each.
type BenchComputeReport struct {
	Rows             int              `json:"rows"`
	E2E              float64          `json:"e2e_s"`
	Compute          float64          `json:"compute_s"`
	Raw              float64          `json:"raw_s"`
	Ratio            float64          `json:"ratio"`
	Blocks           int64            `json:"blocks"`
	PeakRSSMB        float64          `json:"peak_rss_mb"` // the whole process (node, members, buyer) from the warm-up on
	StorageBytesRead int64            `json:"storage_bytes_read"`
	Ops              []BenchComputeOp `json:"ops"`
	Owners           int              `json:"owners"`
	Members          int              `json:"members"`
	Threshold        int              `json:"threshold"`
	Ciphertexts      int              `json:"ciphertexts"`
	Setup            float64          `json:"setup_s"`  // devnet, ceremony, publishing (0 when reused)
	Warmup           float64          `json:"warmup_s"` // one sum first: members load the evaluation keys
	SetupPeakRSSMB   float64          `json:"setup_peak_rss_mb"`
	GOMAXPROCS       int              `json:"gomaxprocs"`
	Home             string           `json:"home,omitempty"`
}

// benchState is what a bench home remembers of its setup.
type benchState struct {
	Rows     int      `json:"rows"`
	Owners   int      `json:"owners"`
	Datasets []string `json:"datasets"`
	Grant    string   `json:"grant"`
	Sum      string   `json:"sum"` // the plaintext sum of every value
}

const (
	benchStateFile = "bench-compute.json"
	benchColumn    = "v"
	benchSchema    = `{"columns":[{"name":"v","type":"integer","min":-1000000,"max":1000000}]}`
	benchMembers   = 3
	benchThreshold = 2
)

// BenchCompute measures a sum and a mean over cfg.Rows values of one column spread over
// cfg.Owners owners' datasets, through the full committee path (3 members, threshold 2, run in
// this process) of a devnet with its default block timing, and beside each the raw lattigo work
// on the same ciphertexts. Setup publishes the datasets through the real publish path (proofs
// verified on chain), which takes far longer than the computations; it is timed apart, and a kept
// Home skips it on the next run. Every result is checked against the plaintext answer.
func BenchCompute(ctx context.Context, cfg BenchComputeConfig) (rep *BenchComputeReport, err error) {
	if cfg.Rows == 0 {
		cfg.Rows = 1_000_000
	}
	if cfg.Owners == 0 {
		cfg.Owners = 4
	}
	if cfg.Owners < 1 || cfg.Owners > 16 {
		return nil, fmt.Errorf("bench compute: 1 to 16 owners, not %d", cfg.Owners)
	}
	if cfg.Rows < cfg.Owners || cfg.Rows > 10_000_000 {
		return nil, fmt.Errorf("bench compute: %d rows; give at least one per owner (%d) and at most 10,000,000", cfg.Rows, cfg.Owners)
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	home := cfg.Home
	if home == "" {
		if home, err = os.MkdirTemp("", "dxp-bench-compute-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(home)
	}
	rep = &BenchComputeReport{Rows: cfg.Rows, Owners: cfg.Owners, Members: benchMembers, Threshold: benchThreshold,
		GOMAXPROCS: runtime.GOMAXPROCS(0), Home: cfg.Home}

	st, err := loadBenchState(home)
	if err != nil {
		return nil, err
	}
	if st != nil && (st.Rows != cfg.Rows || st.Owners != cfg.Owners) {
		return nil, fmt.Errorf("bench compute: %s holds a bench of %d rows over %d owners, not %d over %d; use another --home", home, st.Rows, st.Owners, cfg.Rows, cfg.Owners)
	}
	rpc, err := freeRPC()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	progress(fmt.Sprintf("starting a devnet in %s (%d members, threshold %d)", home, benchMembers, benchThreshold))
	dn, err := StartDevnet(ctx, DevnetConfig{Home: home, RPC: rpc, Members: benchMembers, Threshold: benchThreshold,
		ChunkSize: cfg.ChunkSize, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := dn.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	if len(dn.members) != benchMembers {
		return nil, fmt.Errorf("bench compute: %s runs %d of its members in this process, want all %d", home, len(dn.members), benchMembers)
	}
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	err = dn.WaitReady(readyCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, home)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if st == nil {
		if st, err = benchSetup(ctx, s, cfg, progress); err != nil {
			return nil, err
		}
		rep.Setup = time.Since(start).Seconds()
		rep.SetupPeakRSSMB = peakRSSMB()
	}
	want, ok := new(big.Int).SetString(st.Sum, 10)
	if !ok {
		return nil, fmt.Errorf("bench compute: %s: the recorded sum %q is not an integer", benchStateFile, st.Sum)
	}

	var inputs [][32]byte
	for _, id := range st.Datasets {
		ds, err := client.Get[rights.Dataset](ctx, s.Chain, id)
		if err != nil {
			return nil, err
		}
		col := findColumn(ds, benchColumn)
		if col == nil {
			return nil, fmt.Errorf("bench compute: dataset %s has no column %q", id, benchColumn)
		}
		inputs = append(inputs, digests(col.Ciphertexts)...)
	}
	rep.Ciphertexts = len(inputs)
	buyer, err := s.Key("buyer")
	if err != nil {
		return nil, err
	}

	// The peak is measured from here: the warm-up does the same work as the measured ops, and
	// it faults in again the memory the reset hands back, so the measured ops run warm.
	debug.FreeOSMemory() // the setup's garbage would otherwise stay resident
	resetPeakRSS()       // where it cannot, the peak is the process's since start, an upper bound
	progress("warm-up: one sum, so the members have loaded the collective evaluation keys")
	start = time.Now()
	if _, err := benchOne(ctx, dn, s, st, rights.OpSum, want, inputs, buyer); err != nil {
		return nil, fmt.Errorf("bench compute: warm-up: %w", err)
	}
	rep.Warmup = time.Since(start).Seconds()
	for _, op := range []rights.Op{rights.OpSum, rights.OpMean} {
		r, err := benchOne(ctx, dn, s, st, op, want, inputs, buyer)
		if err != nil {
			return nil, fmt.Errorf("bench compute: %s: %w", op, err)
		}
		progress(fmt.Sprintf("%s over %d rows = %s: e2e %.3fs, members' work %.3fs, raw %.3fs (ratio %.2f), %d blocks",
			op, cfg.Rows, r.Result, r.E2E, r.Compute, r.Raw, r.Ratio, r.Blocks))
		rep.Ops = append(rep.Ops, *r)
	}
	rep.PeakRSSMB = peakRSSMB()
	slowest := slices.MaxFunc(rep.Ops, func(a, b BenchComputeOp) int {
		switch {
		case a.E2E < b.E2E:
			return -1
		case a.E2E > b.E2E:
			return 1
		}
		return 0
	})
	rep.E2E, rep.Compute, rep.Raw, rep.Ratio, rep.Blocks, rep.StorageBytesRead =
		slowest.E2E, slowest.Compute, slowest.Raw, slowest.Ratio, slowest.Blocks, slowest.StorageBytesRead
	return rep, nil
}

// benchOne runs one computation through the committee and the raw work beside it, and checks
// both against the plaintext answer.
func benchOne(ctx context.Context, dn *Devnet, s *Session, st *benchState, op rights.Op, sum *big.Int,
	inputs [][32]byte, buyer *Key) (*BenchComputeOp, error) {
	type work struct {
		evaluate, switching, post time.Duration
		evaluated, switched       bool
	}
	var mu sync.Mutex
	works := map[string]*work{}
	dn.traceMu.Lock()
	dn.trace = func(member string, t mpc.TaskTrace) {
		mu.Lock()
		defer mu.Unlock()
		w := works[t.Task+"/"+member]
		if w == nil {
			w = &work{}
			works[t.Task+"/"+member] = w
		}
		if t.Phase == mpc.PhaseEvaluate {
			w.evaluate, w.evaluated = t.Work, true
		} else {
			w.switching, w.switched = t.Work, true
		}
		w.post += t.Post
	}
	dn.traceMu.Unlock()
	defer func() {
		dn.traceMu.Lock()
		dn.trace = nil
		dn.traceMu.Unlock()
	}()

	h0, err := s.Chain.Height(ctx)
	if err != nil {
		return nil, err
	}
	read0 := dn.read.read.Load()
	start := time.Now()
	res, err := s.Compute(ctx, ComputeRequest{From: "buyer", Grant: st.Grant, Op: op, Columns: []string{benchColumn}})
	if err != nil {
		return nil, err
	}
	r := &BenchComputeOp{Op: string(op), E2E: time.Since(start).Seconds(), Blocks: res.Height - h0,
		StorageBytesRead: dn.read.read.Load() - read0, Result: res.Result,
		Plaintext: FormatResult(op, sum, uint64(st.Rows), 0)}
	for _, t := range res.Timings {
		if strings.HasPrefix(t.Stage, "committee") {
			r.CommitteeWall = t.Seconds
		}
	}
	if r.Result != r.Plaintext {
		return nil, fmt.Errorf("the committee's %s is %s, the plaintext answer %s", op, r.Result, r.Plaintext)
	}
	// A member reports a post once its Submit returns, which can be after the buyer saw the
	// computation complete.
	reported := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range res.Participants {
			if w := works[res.Computation+"/"+string(p)]; w == nil || !w.evaluated || !w.switched {
				return false
			}
		}
		return true
	}
	for wait := time.Now(); !reported(); {
		if time.Since(wait) > 30*time.Second {
			return nil, fmt.Errorf("the participants %v did not report their work for %s", res.Participants, res.Computation)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	for _, p := range res.Participants {
		w := works[res.Computation+"/"+string(p)]
		if secs := (w.evaluate + w.switching).Seconds(); secs > r.Compute {
			r.Compute, r.Evaluate, r.Switch = secs, w.evaluate.Seconds(), w.switching.Seconds()
		}
		r.PostWait = max(r.PostWait, w.post.Seconds())
	}
	mu.Unlock()

	var active []*mpc.Member
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	for _, p := range res.Participants {
		i := slices.IndexFunc(committee.Members, func(m rights.Member) bool { return m.Address == p })
		if i < 0 || i >= len(dn.members) {
			return nil, fmt.Errorf("participant %s is not a member this process runs", p)
		}
		active = append(active, dn.members[i])
	}
	got, took, err := mpc.RawSum(ctx, active, inputs, buyer.RLWEPublic, buyer.RLWESecret)
	if err != nil {
		return nil, err
	}
	r.Raw = took.Seconds()
	r.RawResult = strconv.FormatInt(got, 10)
	if r.RawResult != sum.String() {
		return nil, fmt.Errorf("the raw sum is %s, the plaintext sum %s", r.RawResult, sum)
	}
	if r.Raw > 0 {
		r.Ratio = r.Compute / r.Raw
	}
	return r, nil
}

// benchSetup registers the owners and the buyer, publishes the datasets through the real publish
// path, and grants the buyer sum and mean over all of them, then records the setup in the home.
func benchSetup(ctx context.Context, s *Session, cfg BenchComputeConfig, progress func(string)) (*benchState, error) {
	schema, err := ParseSchema(strings.NewReader(benchSchema))
	if err != nil {
		return nil, err
	}
	st := &benchState{Rows: cfg.Rows, Owners: cfg.Owners}
	if _, err := CreateKey(s.Home, "buyer", []rights.Role{rights.RoleBuyer}); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Rows), uint64(cfg.Owners))) // bench data, not secrets
	sum := new(big.Int)
	for i := range cfg.Owners {
		owner := fmt.Sprintf("owner%d", i+1)
		if _, err := CreateKey(s.Home, owner, []rights.Role{rights.RoleOwner}); err != nil {
			return nil, err
		}
		rows := cfg.Rows / cfg.Owners
		if i < cfg.Rows%cfg.Owners {
			rows++
		}
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		w.WriteString(benchColumn + "\n")
		for range rows {
			v := rng.Int64N(2_000_001) - 1_000_000
			sum.Add(sum, big.NewInt(v))
			w.WriteString(strconv.FormatInt(v, 10))
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		start := time.Now()
		pub, err := s.Publish(ctx, PublishRequest{From: owner, Name: owner + "-bench", Schema: schema,
			CSV: BytesSource(owner+".csv", b.Bytes()), Price: 1})
		if err != nil {
			return nil, fmt.Errorf("publish %s's dataset: %w", owner, err)
		}
		progress(fmt.Sprintf("%s published %d rows as %s (%d chunk proofs, %d ciphertexts, %.1fs)", owner, rows, pub.Dataset, pub.Chunks, pub.Ciphertexts, time.Since(start).Seconds()))
		st.Datasets = append(st.Datasets, pub.Dataset)
	}
	st.Sum = sum.String()
	g, err := s.RequestGrant(ctx, GrantRequest{From: "buyer", Datasets: st.Datasets, Ops: []rights.Op{rights.OpSum, rights.OpMean},
		Columns: []string{benchColumn}, Uses: 1_000_000})
	if err != nil {
		return nil, err
	}
	for i := range cfg.Owners {
		if _, err := s.ActOnGrant(ctx, fmt.Sprintf("owner%d", i+1), g.ID, Approve, ""); err != nil {
			return nil, err
		}
	}
	st.Grant = g.ID
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(s.Home, benchStateFile), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return st, nil
}

func loadBenchState(home string) (*benchState, error) {
	b, err := os.ReadFile(filepath.Join(home, benchStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(home, configFile)); err == nil {
			return nil, fmt.Errorf("bench compute: %s holds a network that is not a finished bench setup; use an empty --home", home)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st benchState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("bench compute: %s is damaged: %w", filepath.Join(home, benchStateFile), err)
	}
	return &st, nil
}
