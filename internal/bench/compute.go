package bench

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

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// ComputeConfig configures Compute. The zero value of every field means its default.
type ComputeConfig struct {
	Rows   int // values of the one column, over every owner; zero means 1,000,000
	Owners int // datasets the rows are spread over, one owner each; zero means 4
	// Home keeps the devnet and its datasets; empty means a temporary directory removed after.
	// A home set up by an earlier run (bench-compute.json) is reused, its setup not repeated.
	Home      string
	ChunkSize int // values per listing proof at setup; zero means devnet.DefaultChunkSize
	// MaxWarmup bounds the warm-up's sums (warmUp); zero means 12.
	MaxWarmup int
	Progress  func(line string)
	Log       *slog.Logger // the devnet's log; nil discards
}

// ComputeOp is one measured computation.
type ComputeOp struct {
	Op string `json:"op"`
	// E2E runs from the request to the decrypted result (Session.Compute).
	E2E float64 `json:"e2e_s"`
	// Compute is the members' own work for it, from picking up the approved request to their
	// key-switch shares in storage: per participant, evaluate (storage reads, decoding,
	// evaluation, the output put) plus switch (the shares made and put); the slowest of the
	// participants (spec.Participants: 2t−1 = 3 here). Waiting for blocks is not in it;
	// CommitteeWall below has it.
	Compute float64 `json:"compute_s"`
	// Evaluate and Switch split Compute for the slowest participant.
	Evaluate float64 `json:"evaluate_s"`
	Switch   float64 `json:"switch_s"`
	// Raw is the same lattigo work with no DXP around it (raw_mpc.go): over ciphertexts of the
	// same values, as many and at the same level, under key material the bench makes itself, the
	// same number of participants at once each evaluating the sum and making its key-switch
	// share for every t-subset it is in, until the last is done. A mean is the same work.
	Raw   float64 `json:"raw_s"`
	Ratio float64 `json:"ratio"`
	// CPU is the CPU time (user and system) of the whole process (node, members, buyer) from the
	// request to the decrypted result, and RawCPU that of the raw run: figures that other
	// processes on the machine disturb less than the wall times above. Zero where not measured.
	CPU    float64 `json:"cpu_s"`
	RawCPU float64 `json:"raw_cpu_s"`
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

// ComputeReport is what Compute measured. The top-level figures are those of the
// slower op (by e2e_s); Ops has each.
type ComputeReport struct {
	Rows             int         `json:"rows"`
	E2E              float64     `json:"e2e_s"`
	Compute          float64     `json:"compute_s"`
	Raw              float64     `json:"raw_s"`
	Ratio            float64     `json:"ratio"`
	Blocks           int64       `json:"blocks"`
	PeakRSSMB        float64     `json:"peak_rss_mb"` // the whole process (node, members, buyer) from the warm-up to the last op, before the raw baseline
	StorageBytesRead int64       `json:"storage_bytes_read"`
	Ops              []ComputeOp `json:"ops"`
	Owners           int         `json:"owners"`
	Members          int         `json:"members"`
	Threshold        int         `json:"threshold"`
	Ciphertexts      int         `json:"ciphertexts"`
	Slots            int         `json:"slots_per_ciphertext"` // the ring: the secure mpc.SecureSlots, asked of the devnet
	Setup            float64     `json:"setup_s"`              // devnet, ceremony, publishing (0 when reused)
	Warmup           float64     `json:"warmup_s"`             // sums first: members load the evaluation keys, the heap grows to its goal (warmUp)
	WarmupOps        int         `json:"warmup_ops"`           // how many
	SetupPeakRSSMB   float64     `json:"setup_peak_rss_mb"`
	GOMAXPROCS       int         `json:"gomaxprocs"`
	Home             string      `json:"home,omitempty"`
}

// computeState is what a bench home remembers of its setup.
type computeState struct {
	Rows     int      `json:"rows"`
	Owners   int      `json:"owners"`
	Datasets []string `json:"datasets"`
	Grant    string   `json:"grant"`
	Sum      string   `json:"sum"` // the plaintext sum of every value
}

const (
	computeStateFile = "bench-compute.json"
	computeColumn    = "v"
	computeSchema    = `{"columns":[{"name":"v","type":"integer","min":-1000000,"max":1000000}]}`
	computeMembers   = 3
	computeThreshold = 2
)

// Compute measures a sum and a mean over cfg.Rows values of one column spread over
// cfg.Owners owners' datasets, through the full committee path (3 members, threshold 2, run in
// this process) of a devnet with its default block timing, and beside each the raw lattigo work
// on the same values (raw_mpc.go), run after the ops. Setup publishes the datasets through the
// real publish path (proofs verified on chain), which takes far longer than the computations; it
// is timed apart, and a kept Home skips it on the next run. Every result is checked against the plaintext answer.
func Compute(ctx context.Context, cfg ComputeConfig) (rep *ComputeReport, err error) {
	if cfg.Rows == 0 {
		cfg.Rows = 1_000_000
	}
	if cfg.Owners == 0 {
		cfg.Owners = 4
	}
	if cfg.MaxWarmup == 0 {
		cfg.MaxWarmup = defaultMaxWarmup
	}
	if cfg.MaxWarmup < 1 {
		return nil, fmt.Errorf("bench compute: at least one warm-up sum, not %d", cfg.MaxWarmup)
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
	rep = &ComputeReport{Rows: cfg.Rows, Owners: cfg.Owners, Members: computeMembers, Threshold: computeThreshold,
		GOMAXPROCS: runtime.GOMAXPROCS(0), Home: cfg.Home}

	st, err := loadComputeState(home)
	if err != nil {
		return nil, err
	}
	if st != nil && (st.Rows != cfg.Rows || st.Owners != cfg.Owners) {
		return nil, fmt.Errorf("bench compute: %s holds a bench of %d rows over %d owners, not %d over %d; use another --home", home, st.Rows, st.Owners, cfg.Rows, cfg.Owners)
	}
	rpc, err := freeport.Loopback()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	progress(fmt.Sprintf("starting a devnet in %s (%d members, threshold %d)", home, computeMembers, computeThreshold))
	// The committee's cost is measured at the secure ring, not a devnet's smaller default.
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: "tcp://" + rpc, Members: computeMembers, Threshold: computeThreshold,
		ChunkSize: cfg.ChunkSize, Slots: mpc.SecureSlots, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := dn.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	if len(dn.Members()) != computeMembers {
		return nil, fmt.Errorf("bench compute: %s runs %d of its members in this process, want all %d", home, len(dn.Members()), computeMembers)
	}
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	err = dn.WaitReady(readyCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if st == nil {
		if st, err = computeSetup(ctx, s, cfg, progress); err != nil {
			return nil, err
		}
		rep.Setup = time.Since(start).Seconds()
		rep.SetupPeakRSSMB = peakRSSMB()
	}
	want, ok := new(big.Int).SetString(st.Sum, 10)
	if !ok {
		return nil, fmt.Errorf("bench compute: %s: the recorded sum %q is not an integer", computeStateFile, st.Sum)
	}

	for _, id := range st.Datasets {
		ds, err := client.Get[rights.Dataset](ctx, s.Chain, id)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(ds.Columns, func(c rights.Column) bool { return c.Name == computeColumn })
		if i < 0 {
			return nil, fmt.Errorf("bench compute: dataset %s has no column %q", id, computeColumn)
		}
		rep.Ciphertexts += len(ds.Columns[i].Ciphertexts)
	}

	if err := checkCredits(ctx, s, st, cfg.MaxWarmup+2); err != nil {
		return nil, err
	}

	// The peak is measured from here: the warm-up does the same work as the measured ops, and
	// it faults in again the memory the reset hands back, so the measured ops run warm.
	debug.FreeOSMemory() // the setup's garbage would otherwise stay resident
	resetPeakRSS()       // where it cannot, the peak is the process's since start, an upper bound
	progress("warm-up: sums until the members have loaded the collective evaluation keys and the process's heap has grown to its working size")
	start = time.Now()
	if rep.WarmupOps, err = warmUp(ctx, dn, s, st, want, cfg.MaxWarmup); err != nil {
		return nil, fmt.Errorf("bench compute: warm-up: %w", err)
	}
	rep.Warmup = time.Since(start).Seconds()
	for _, op := range []rights.Op{rights.OpSum, rights.OpMean} {
		r, err := computeOne(ctx, dn, s, st, op, want)
		if err != nil {
			return nil, fmt.Errorf("bench compute: %s: %w", op, err)
		}
		rep.Ops = append(rep.Ops, *r)
	}
	rep.PeakRSSMB = peakRSSMB()

	// The raw baseline, after the measured ops so that their peak leaves it out: the values are
	// the setup's again (computeValues draws them from the same seed), encrypted under the
	// baseline's own keys into as many ciphertexts as the datasets hold.
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	rep.Slots = params.N()
	values, sum := computeValues(cfg.Rows, cfg.Owners)
	if sum.Cmp(want) != 0 {
		return nil, fmt.Errorf("bench compute: %s records the sum %s, but the bench values sum to %s", computeStateFile, want, sum)
	}
	raw, err := newRawSum(params, values, computeMembers, computeThreshold)
	if err != nil {
		return nil, fmt.Errorf("bench compute: %w", err)
	}
	values = nil
	if len(raw.inputs) != rep.Ciphertexts {
		return nil, fmt.Errorf("bench compute: the raw baseline made %d ciphertexts, the datasets hold %d", len(raw.inputs), rep.Ciphertexts)
	}
	for i := range rep.Ops {
		r := &rep.Ops[i]
		if err := r.runRaw(raw, want); err != nil {
			return nil, fmt.Errorf("bench compute: %s: %w", r.Op, err)
		}
		progress(fmt.Sprintf("%s over %d rows = %s: e2e %.3fs, members' work %.3fs, raw %.3fs (ratio %.2f), %d blocks",
			r.Op, cfg.Rows, r.Result, r.E2E, r.Compute, r.Raw, r.Ratio, r.Blocks))
	}
	slowest := slices.MaxFunc(rep.Ops, func(a, b ComputeOp) int {
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

// defaultMaxWarmup bounds the warm-up's sums (a heap that never reaches its goal grows without
// bound, and the measured ops then run on a growing heap like the warm-up's).
const defaultMaxWarmup = 12

// warmUp runs sums until the process is warm, at most max, and returns how many it ran. The first loads the
// members' evaluation keys (90 MB each); a collection then sets the heap's goal from what the
// process keeps live (twice the keys, the node's databases and the rest); the sums go on until
// the heap reaches that goal and the runtime collects again. Until then every computation's
// allocations land on pages the process has not touched yet, and the page faults cost more than
// the allocations: here about 0.3 s of system time for the 110 MB a sum over 100,000 rows
// allocates in the process (members, buyer and node), which doubled its CPU time and slowed the
// first measured op. A long-running member pays that once, not per computation; the collections
// that come back as the ops' garbage reaches the goal stay inside the measured ops.
func warmUp(ctx context.Context, dn *devnet.Devnet, s *marketplace.Session, st *computeState, want *big.Int, max int) (ops int, err error) {
	var ms runtime.MemStats
	var collected uint32
	for ops < max {
		if _, err := computeOne(ctx, dn, s, st, rights.OpSum, want); err != nil {
			return ops, err
		}
		ops++
		if ops == 1 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			collected = ms.NumGC
			continue
		}
		if runtime.ReadMemStats(&ms); ms.NumGC > collected {
			break
		}
	}
	return ops, nil
}

// checkCredits refuses a run the buyer cannot pay for to the end (ops computations at the grant's
// prices), before any of it: a kept home's buyer spends its opening credits run after run.
func checkCredits(ctx context.Context, s *marketplace.Session, st *computeState, ops int) error {
	g, err := client.Get[rights.Grant](ctx, s.Chain, st.Grant)
	if err != nil {
		return err
	}
	var price uint64
	for i, id := range g.Datasets {
		if len(g.Prices) == len(g.Datasets) {
			price += g.Prices[i]
			continue
		}
		ds, err := client.Get[rights.Dataset](ctx, s.Chain, id) // a grant approved before prices were fixed per grant
		if err != nil {
			return err
		}
		price += ds.Price
	}
	k, err := s.Key("buyer")
	if err != nil {
		return err
	}
	buyer, err := client.Get[rights.Party](ctx, s.Chain, string(k.Address()))
	if err != nil {
		return err
	}
	if need := uint64(ops) * price; buyer.Balance < need {
		return fmt.Errorf("bench compute: the buyer in %s has %d credits left, and a run may take %d computations at %d; set up a new bench in another --home", s.Home, buyer.Balance, ops, price)
	}
	return nil
}

// computeOne runs one computation through the committee and checks it against the plaintext
// answer.
func computeOne(ctx context.Context, dn *devnet.Devnet, s *marketplace.Session, st *computeState, op rights.Op, sum *big.Int) (*ComputeOp, error) {
	type work struct {
		evaluate, switching, post time.Duration
		evaluated, switched       bool
	}
	var mu sync.Mutex
	works := map[string]*work{}
	dn.SetTrace(func(member string, t mpc.TaskTrace) {
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
	})
	defer dn.SetTrace(nil)

	h0, err := s.Chain.Height(ctx)
	if err != nil {
		return nil, err
	}
	read0 := dn.StorageBytesRead()
	cpu0, cpuOK := processCPU()
	start := time.Now()
	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer", Grant: st.Grant, Op: op, Columns: []string{computeColumn}})
	if err != nil {
		return nil, err
	}
	e2e := time.Since(start)
	r := &ComputeOp{Op: string(op), E2E: e2e.Seconds(), Blocks: res.Height - h0,
		StorageBytesRead: dn.StorageBytesRead() - read0, Result: res.Result,
		Plaintext: marketplace.FormatResult(op, sum, uint64(st.Rows), 0)}
	if cpu1, _ := processCPU(); cpuOK {
		r.CPU = (cpu1 - cpu0).Seconds()
	}
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

	return r, nil
}

// runRaw runs the raw baseline once for r's op (a mean is the same lattigo work as a sum: the
// division by the row count is plaintext arithmetic) and checks it against the plaintext sum.
func (r *ComputeOp) runRaw(raw *rawSum, sum *big.Int) error {
	got, took, err := raw.run()
	if err != nil {
		return err
	}
	r.Raw, r.RawCPU = took.wall.Seconds(), took.cpu.Seconds()
	r.RawResult = strconv.FormatInt(got, 10)
	if r.RawResult != sum.String() {
		return fmt.Errorf("the raw sum is %s, the plaintext sum %s", r.RawResult, sum)
	}
	if r.Raw > 0 {
		r.Ratio = r.Compute / r.Raw
	}
	return nil
}

// computeSetup registers the owners and the buyer, publishes the datasets through the real publish
// path, and grants the buyer sum and mean over all of them, then records the setup in the home.
func computeSetup(ctx context.Context, s *marketplace.Session, cfg ComputeConfig, progress func(string)) (*computeState, error) {
	schema, err := marketplace.ParseSchema(strings.NewReader(computeSchema))
	if err != nil {
		return nil, err
	}
	st := &computeState{Rows: cfg.Rows, Owners: cfg.Owners}
	if _, err := marketplace.CreateKey(s.Home, "buyer", []rights.Role{rights.RoleBuyer}); err != nil {
		return nil, err
	}
	values, sum := computeValues(cfg.Rows, cfg.Owners)
	for i, column := range values {
		owner := fmt.Sprintf("owner%d", i+1)
		if _, err := marketplace.CreateKey(s.Home, owner, []rights.Role{rights.RoleOwner}); err != nil {
			return nil, err
		}
		rows := len(column)
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		w.WriteString(computeColumn + "\n")
		for _, v := range column {
			w.WriteString(strconv.FormatInt(v, 10))
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		start := time.Now()
		pub, err := s.Publish(ctx, marketplace.PublishRequest{From: owner, Name: owner + "-bench", Schema: schema,
			CSV: marketplace.BytesSource(owner+".csv", b.Bytes()), Price: 1})
		if err != nil {
			return nil, fmt.Errorf("publish %s's dataset: %w", owner, err)
		}
		progress(fmt.Sprintf("%s published %d rows as %s (%d chunk proofs, %d ciphertexts, %.1fs)", owner, rows, pub.Dataset, pub.Chunks, pub.Ciphertexts, time.Since(start).Seconds()))
		st.Datasets = append(st.Datasets, pub.Dataset)
	}
	st.Sum = sum.String()
	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer", Datasets: st.Datasets, Ops: []rights.Op{rights.OpSum, rights.OpMean},
		Columns: []string{computeColumn}, Uses: 1_000_000})
	if err != nil {
		return nil, err
	}
	for i := range cfg.Owners {
		if _, err := s.ActOnGrant(ctx, fmt.Sprintf("owner%d", i+1), g.ID, marketplace.Approve, ""); err != nil {
			return nil, err
		}
	}
	st.Grant = g.ID
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(s.Home, computeStateFile), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return st, nil
}

// computeValues are the bench's values, owner by owner: rows split as evenly as they go, uniform
// in [-10^6, 10^6], from a seed fixed by rows and owners, so that a kept home's datasets and the
// raw baseline hold the same values. sum is their total.
func computeValues(rows, owners int) (values [][]int64, sum *big.Int) {
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(owners))) // bench data, not secrets
	sum = new(big.Int)
	for i := range owners {
		n := rows / owners
		if i < rows%owners {
			n++
		}
		column := make([]int64, n)
		for k := range column {
			column[k] = rng.Int64N(2_000_001) - 1_000_000
			sum.Add(sum, big.NewInt(column[k]))
		}
		values = append(values, column)
	}
	return values, sum
}

func loadComputeState(home string) (*computeState, error) {
	b, err := os.ReadFile(filepath.Join(home, computeStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(home, marketplace.ConfigFile)); err == nil {
			return nil, fmt.Errorf("bench compute: %s holds a network that is not a finished bench setup; use an empty --home", home)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st computeState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("bench compute: %s is damaged: %w", filepath.Join(home, computeStateFile), err)
	}
	return &st, nil
}
