package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// PublishConfig configures Publish. The zero value of every field means its default.
type PublishConfig struct {
	Rows int // rows of the one integer column; zero means 1,000,000
	// Slots is the devnet's ring, values per ciphertext and so rows per input proof; zero means
	// mpc.SecureSlots. Below it the ring is INSECURE (tests), and the report says so.
	Slots uint64
	// ProofWorkers is how many proofs are made at once, by publish and by the baseline alike;
	// zero means zk.ProofWorkers().
	ProofWorkers int
	// SetupCache keeps the devnet's insecure setups for the next run (see devnet.Config.SetupCache);
	// empty sets them up in a temporary directory.
	SetupCache string
	// Dir holds the devnet and the CSV; empty means a temporary directory, removed after.
	Dir string
	// MemoryLimit is the Go runtime's soft memory limit (debug.SetMemoryLimit, GOMEMLIMIT) while
	// the publish runs, restored after it; zero means defaultPublishMemoryLimit, negative none.
	// With GOGC's default the heap grows to twice what is live before a collection, and an input
	// prover at the secure ring holds about a gigabyte: the limit makes the collector run before
	// the heap doubles, at the cost of more collections, counted in dxp_s. The baseline runs
	// without it, as bare gnark would.
	MemoryLimit int64
	// ProfileDir, if set, receives pprof profiles of the publish's window (publish.cpu.pprof,
	// publish.heap.pprof at its end) and of the baseline's (baseline.*), and their memory
	// timelines (*.mem.tsv: resident set and Go heap every 250 ms).
	ProfileDir string
	// RunDevnet, if set, runs the devnet outside this process once it is created and its
	// committee has its keys, as a network does: Publish stops the in-process devnet and calls
	// RunDevnet with its home, which starts the same devnet elsewhere (cmd/dxp: `dxp devnet start
	// --home HOME`, a child process) and says how to stop it. The publisher's process then holds
	// what an owner's does: not the chain's node and the committee's members as well, whose
	// ~500 MB were a third of the live heap the collector marked again and again under the
	// memory limit, and counted in the publish's peak. Nil keeps the devnet in this process.
	RunDevnet func(home string) (*DevnetProcess, error)
	// Progress receives a line per step; nil discards them.
	Progress func(line string)
	Log      *slog.Logger
}

// DevnetProcess is a devnet PublishConfig.RunDevnet started out of the bench's process.
type DevnetProcess struct {
	PID    int             // for its peak resident set (Linux)
	Log    string          // where its output goes, for errors
	Exited <-chan struct{} // closed once it has exited, for whatever reason
	// Stop stops it and waits for it to exit; its error says how it exited if not cleanly.
	Stop func() error
}

// devnetProcessStart is how long a devnet process has to serve the chain again once started.
const devnetProcessStart = 2 * time.Minute

// defaultPublishMemoryLimit is PublishConfig.MemoryLimit's default: 1,800 MiB, below the 2 GiB
// the publish must fit in, with room for what the limit does not count (the binary's text).
// Measured with one input prover at 16,384 slots (the plain circuit, 2^20 domain, no devnet):
// peak RSS over two proofs 2,152 MB without a limit, 1,430 MB with 1,400 MiB, for about 2% more
// CPU (four more collections, mostly returning pages: the prover's heap is nearly pointer-free,
// so marking it is cheap).
const defaultPublishMemoryLimit = 1800 << 20

// publishMax is the bench column's upper bound: values up to 2^32, a 32-bit circuit.
const publishMax = 1<<32 - 1

// publishWidth is the one circuit width the bench's devnet registers: the column's.
const publishWidth = 32

// publishChunkSize is the devnet's chunk circuit size: a chain that requires input proofs never
// proves with the chunk circuit, so the bench registers the smallest, whose setup takes a second.
const publishChunkSize = 64

// PublishReport is what Publish measured, on the input-proof path a chain with
// Params.InputProofs makes an owner take. DXPSeconds is the whole publish (both passes over the
// CSV, commitments, provable encryption, proofs, upload, registration with every proof verified
// by the chain, the committee's check of the stored inputs); RawSeconds is gnark proving the
// same circuits (the same witness shapes, both passes) plus Lattigo encrypting the same values,
// nothing else; the setups, the devnet's start and the accounting come before or after both.
type PublishReport struct {
	Rows     int     `json:"rows"`
	RowsPerS float64 `json:"rows_per_s"`
	// ConstraintsPerRow is every proof's circuit's constraints (each chunk's, the frequency
	// table's when there is one) over the rows; Relations says where they go.
	ConstraintsPerRow float64 `json:"constraints_per_row"`
	DXPSeconds        float64 `json:"dxp_s"`
	RawSeconds        float64 `json:"raw_s"`
	Ratio             float64 `json:"ratio"`
	// ProofSeconds is the publish's proving stages: provable encryption, commitments and proofs
	// of every chunk's ciphertext, with their upload (marketplace's "commit, prove, encrypt,
	// upload"), and of the frequency table's ("prove frequency tables"); loading the proving keys
	// is not in it (PublishStages has it).
	ProofSeconds float64 `json:"proof_s"`
	// VerifySeconds is every input proof of the dataset verified as the chain does
	// (marketplace.Verifier, with the histogram challenge and sum check when there is a table).
	VerifySeconds float64 `json:"verify_s"`
	// PeakRSSMB is the publish's peak resident set size (Linux; 0 elsewhere), with the devnet's
	// node and committee resident unless DevnetProcess (PublishConfig.RunDevnet), when
	// DevnetPeakRSSMB is the devnet process's own peak, from its start to the publish's end;
	// BaselinePeakRSSMB is the baseline's and the accounting's, after it; SetupPeakRSSMB the
	// setups' and the devnet's creation, before it.
	PeakRSSMB         float64 `json:"peak_rss_mb"`
	MemoryLimitMB     float64 `json:"memory_limit_mb"` // the publish's soft limit (PublishConfig.MemoryLimit); 0: none
	BaselinePeakRSSMB float64 `json:"baseline_peak_rss_mb"`
	SetupPeakRSSMB    float64 `json:"setup_peak_rss_mb"`
	DevnetProcess     bool    `json:"devnet_process"`
	DevnetPeakRSSMB   float64 `json:"devnet_peak_rss_mb,omitempty"`
	// DevnetRSSMB is the publisher's resident set before publishing: the runtime, and the
	// devnet's node and committee unless DevnetProcess.
	DevnetRSSMB   float64 `json:"devnet_rss_mb"`
	SetupSeconds  float64 `json:"setup_s"`      // the devnet's creation: its circuits' setups, or reading them from the cache
	SetupCached   bool    `json:"setup_cached"` // no setup was made: every circuit came from the cache
	DevnetSeconds float64 `json:"devnet_s"`     // the committee's key ceremony, apart from everything

	Slots        uint64 `json:"slots"`
	InsecureRing bool   `json:"insecure_ring"` // fewer slots than mpc.SecureSlots: a test ring, breakable
	Width        int    `json:"width"`
	Chunks       int    `json:"chunks"`
	Ciphertexts  int    `json:"ciphertexts"`
	// Circuits are the registered circuits the dataset was proven with (rights.KindCircuitID).
	Circuits        []string             `json:"circuits"`
	Relations       []RelationCount      `json:"relations"`
	Domains         []CircuitDomain      `json:"domains"`
	ProofWorkers    int                  `json:"proof_workers"`
	Cores           int                  `json:"cores"`
	RawProveSeconds float64              `json:"raw_prove_s"`
	RawEncryptSecs  float64              `json:"raw_encrypt_s"`
	RawWitnessSecs  float64              `json:"raw_witness_s"` // the baseline's provable encryptions, not in raw_s
	PublishStages   []marketplace.Timing `json:"publish_stages"`
	Dataset         string               `json:"dataset"`
}

// RelationCount is where one circuit's constraints go: Constraints of each of its Proofs
// proofs come from Relation (RelationChunk ... RelationHistogram); PerRow is their total over
// the dataset's rows.
type RelationCount struct {
	Circuit     string  `json:"circuit"`
	Relation    string  `json:"relation"`
	Constraints int     `json:"constraints"`
	Proofs      int     `json:"proofs"`
	PerRow      float64 `json:"per_row"`
}

// CircuitDomain is one circuit's size as the prover pays for it: Groth16 proves over an FFT
// domain of the next power of two at or above its Constraints, so a circuit just past a power of
// two costs nearly twice the FFT work and the Z points of one just below it (Fill is
// Constraints/Domain).
type CircuitDomain struct {
	Circuit     string  `json:"circuit"`
	Constraints int     `json:"constraints"`
	Domain      int     `json:"domain"`
	Fill        float64 `json:"fill"`
}

// Publish publishes one integer column of cfg.Rows values in [0, 2^32) end to end on a devnet
// at cfg.Slots that requires input proofs (devnet.Config.SecureInputs), with fs storage,
// created in this process and run in its own when cfg.RunDevnet says how. It then verifies
// every input proof as the chain does, times the raw gnark proving of the same circuits and the
// raw Lattigo encryption of the same values, and counts the circuits' constraints per relation. The circuits are the ones the devnet registered and the
// publish chose, read from the chain.
func Publish(ctx context.Context, cfg PublishConfig) (rep *PublishReport, err error) {
	if cfg.Rows == 0 {
		cfg.Rows = 1_000_000
	}
	if cfg.Slots == 0 {
		cfg.Slots = mpc.SecureSlots
	}
	if cfg.Rows < 1 || cfg.Rows > 100_000_000 {
		return nil, fmt.Errorf("bench publish: rows must be 1 to 100000000, not %d", cfg.Rows)
	}
	if _, err := mpc.NewParamsFor(cfg.Slots); err != nil {
		return nil, fmt.Errorf("bench publish: %w", err)
	}
	if cfg.ProofWorkers <= 0 {
		cfg.ProofWorkers = zk.ProofWorkers()
	}
	if cfg.MemoryLimit == 0 {
		cfg.MemoryLimit = defaultPublishMemoryLimit
	}
	say := cfg.Progress
	if say == nil {
		say = func(string) {}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dxp-bench-publish-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	cache := cfg.SetupCache
	if cache == "" {
		cache = filepath.Join(dir, "setup")
	}
	rep = &PublishReport{Rows: cfg.Rows, Slots: cfg.Slots, InsecureRing: cfg.Slots < mpc.SecureSlots, Width: publishWidth,
		ProofWorkers: cfg.ProofWorkers, Cores: runtime.GOMAXPROCS(0)}
	if rep.InsecureRing {
		say(fmt.Sprintf("INSECURE ring of %d slots (the secure one is %d): for tests only", cfg.Slots, mpc.SecureSlots))
	}

	say(fmt.Sprintf("creating a devnet at %d slots with input proofs: its circuits' insecure setups (cached in %s)", cfg.Slots, cache))
	before, err := cacheFiles(cache)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	home := filepath.Join(dir, "devnet")
	rpc, err := freeport.Loopback()
	if err != nil {
		return nil, err
	}
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: "tcp://" + rpc, ChunkSize: publishChunkSize, Slots: cfg.Slots,
		SecureInputs: true, Widths: []int{publishWidth}, SetupCache: cache, Log: log})
	if err != nil {
		return nil, err
	}
	stopDevnet := dn.Stop
	defer func() {
		if stopErr := stopDevnet(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	rep.SetupSeconds = time.Since(start).Seconds()
	after, err := cacheFiles(cache)
	if err != nil {
		return nil, err
	}
	rep.SetupCached = cfg.SetupCache != "" && after == before

	say("running the committee's key ceremony")
	start = time.Now()
	if err := dn.WaitReady(ctx); err != nil {
		return nil, err
	}
	if _, err := marketplace.CreateKey(home, "owner", []rights.Role{rights.RoleOwner}); err != nil {
		return nil, err
	}
	rep.DevnetSeconds = time.Since(start).Seconds()
	devnetPID := 0
	if cfg.RunDevnet != nil {
		say("restarting the devnet in its own process")
		err := dn.Stop()
		stopDevnet = func() error { return nil }
		if err != nil {
			return nil, err
		}
		proc, err := cfg.RunDevnet(home)
		if err != nil {
			return nil, err
		}
		stopDevnet, devnetPID, rep.DevnetProcess = proc.Stop, proc.PID, true
		if err := waitServing(ctx, home, proc.Exited); err != nil {
			return nil, fmt.Errorf("bench publish: the devnet process (pid %d, log %s) %w", proc.PID, proc.Log, err)
		}
	}
	// Opened only now: a connection kept alive to the in-process node's RPC server outlives its
	// Stop, and would be answered by the stopped app.
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rep.SetupPeakRSSMB = peakRSSMB()
	debug.FreeOSMemory() // return the setup's garbage, so the peak below is publishing's own
	if resetPeakRSS() {
		rep.DevnetRSSMB = peakRSSMB() // just reset: the current size
	} else {
		rep.SetupPeakRSSMB = 0 // the peak cannot be split: PeakRSSMB includes the setup
	}

	csvPath := filepath.Join(dir, "bench.csv")
	if err := writePublishCSV(csvPath, cfg.Rows); err != nil {
		return nil, err
	}
	schema, err := marketplace.ParseSchema(strings.NewReader(fmt.Sprintf(`{"columns":[{"name":"value","type":"integer","min":0,"max":%d}]}`, publishMax)))
	if err != nil {
		return nil, err
	}

	say(fmt.Sprintf("publishing %d rows", cfg.Rows))
	runtime.GC()
	prof, err := startProfile(cfg.ProfileDir, "publish")
	if err != nil {
		return nil, err
	}
	limit := debug.SetMemoryLimit(-1)
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
		rep.MemoryLimitMB = float64(cfg.MemoryLimit) / (1 << 20)
	}
	start = time.Now()
	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner", Name: "bench", Schema: schema, CSV: marketplace.FileSource(csvPath),
		Price: 1, ProofWorkers: cfg.ProofWorkers})
	debug.SetMemoryLimit(limit)
	if err != nil {
		return nil, err
	}
	rep.DXPSeconds = time.Since(start).Seconds()
	if err := prof.finish(); err != nil {
		return nil, err
	}
	rep.Dataset, rep.PublishStages, rep.Chunks, rep.Ciphertexts = pub.Dataset, pub.Timings, pub.Chunks, pub.Ciphertexts
	for _, st := range pub.Timings {
		if strings.Contains(st.Stage, "prove") {
			rep.ProofSeconds += st.Seconds
		}
	}
	rep.PeakRSSMB = peakRSSMB()
	if devnetPID != 0 {
		rep.DevnetPeakRSSMB = processPeakRSSMB(devnetPID)
	}
	say(fmt.Sprintf("published in %.1fs", rep.DXPSeconds))

	ds, err := client.Get[rights.Dataset](ctx, s.Chain, pub.Dataset)
	if err != nil {
		return nil, err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	if len(committee.Keys) == 0 {
		return nil, errors.New("bench publish: the committee has no key on chain")
	}
	proofs, err := datasetInputProofs(ctx, s, ds, committee.Keys[0])
	if err != nil {
		return nil, err
	}
	say(fmt.Sprintf("verifying the dataset's %d input proofs as the chain does", len(proofs.claims)))
	start = time.Now()
	if err := proofs.verify(); err != nil {
		return nil, err
	}
	rep.VerifySeconds = time.Since(start).Seconds()

	// The baseline: the same circuits and values, proven and encrypted with nothing around the libraries.
	debug.FreeOSMemory() // the publish's prover is garbage now; do not stack the baseline's on it
	resetPeakRSS()
	values := publishValues(cfg.Rows)
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	pubKey, err := s.CommitteePublicKey(ctx)
	if err != nil {
		return nil, err
	}
	key := rawKey{Params: params, PublicKey: pubKey, Digest: committee.Keys[0], Holder: []byte(proofs.lister)}
	if prof, err = startProfile(cfg.ProfileDir, "baseline"); err != nil {
		return nil, err
	}
	for _, c := range proofs.columns {
		col := rawColumn{Values: values, Min: c.column.Min, Max: c.column.Max, Layout: c.layout}
		if col.PK, err = storage.GetBytes(ctx, s.Bucket, storage.Digest(c.circuit.PK)); err != nil {
			return nil, err
		}
		if c.table != nil {
			ft := c.column.Frequencies
			col.Table = &rawTable{Min: ft.Min, Bin: ft.Bin, Layout: c.table.layout, Context: rights.HistogramContext(proofs.lister, c.column.Name)}
			if col.Table.PK, err = storage.GetBytes(ctx, s.Bucket, storage.Digest(c.table.circuit.PK)); err != nil {
				return nil, err
			}
		}
		say(fmt.Sprintf("raw gnark proving of column %s (%d rows)", c.column.Name, len(values)))
		runtime.GC()
		times, err := rawProveColumn(ctx, key, col, cfg.ProofWorkers, nil)
		if err != nil {
			return nil, err
		}
		rep.RawProveSeconds += times.Prove
		rep.RawWitnessSecs += times.Witness
		say("raw Lattigo encryption of the same values")
		runtime.GC()
		start = time.Now()
		if err := rawEncrypt(params, pubKey, values); err != nil {
			return nil, err
		}
		if c.table != nil { // the table's N counts, one more ciphertext
			if err := rawEncrypt(params, pubKey, make([]int64, cfg.Slots)); err != nil {
				return nil, err
			}
		}
		rep.RawEncryptSecs += time.Since(start).Seconds()
	}
	if err := prof.finish(); err != nil {
		return nil, err
	}
	rep.RawSeconds = rep.RawProveSeconds + rep.RawEncryptSecs
	rep.Ratio = rep.DXPSeconds / rep.RawSeconds
	rep.RowsPerS = float64(cfg.Rows) / rep.DXPSeconds

	say("counting the circuits' constraints per relation")
	if err := proofs.count(rep); err != nil {
		return nil, err
	}
	rep.BaselinePeakRSSMB = peakRSSMB()
	return rep, nil
}

// waitServing waits until home's node answers with its committee ready, retrying while a node
// still starting refuses connections, for devnetProcessStart at most or until the process has
// exited. Its client is dialled here, after the in-process node stopped, so no connection
// kept alive to that node's RPC server (which outlives its Stop) answers for it.
func waitServing(ctx context.Context, home string, exited <-chan struct{}) error {
	conf, err := marketplace.LoadConfig(home)
	if err != nil {
		return err
	}
	chain, err := client.Dial(conf.RPC)
	if err != nil {
		return err
	}
	defer chain.Close()
	ctx, cancel := context.WithTimeout(ctx, devnetProcessStart)
	defer cancel()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		c, err := client.Get[rights.Committee](ctx, chain, "")
		if err == nil && c.Ready {
			return nil
		}
		if err == nil {
			err = errors.New("its committee is not ready")
		}
		select {
		case <-exited:
			return errors.New("exited before serving the chain")
		case <-ctx.Done():
			return fmt.Errorf("did not serve the chain within %s: %w", devnetProcessStart, err)
		case <-t.C:
		}
	}
}

// cacheFiles is the number of files in the setup cache; a setup adds one.
func cacheFiles(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	return len(entries), err
}

// benchCircuit is a registered input circuit a dataset was proven with, and its layout.
type benchCircuit struct {
	circuit rights.Circuit
	layout  circuits.InputLayout
}

// benchColumn is one column of the dataset: its circuit, and its table's when it has one.
type benchColumn struct {
	column rights.Column
	benchCircuit
	table *benchCircuit
}

// datasetProofs is every input proof of a dataset with the claim the chain verifies it against.
type datasetProofs struct {
	lister  rights.Address
	columns []benchColumn
	claims  []benchClaim
	// histograms are the sum checks, one per column with a table.
	histograms []histogramCheck
}

type benchClaim struct {
	vk    []byte
	claim *rights.InputClaim
	proof []byte
	what  string
}

type histogramCheck struct {
	column    string
	chunkSums [][]byte
	tableSum  []byte
}

// datasetInputProofs reads the circuits ds was proven with from the chain and builds every
// input proof's claim as the chain does (marketplace.InputClaim; for a column with a proven
// frequency table, the histogram parts at the column's α and the table's claim).
func datasetInputProofs(ctx context.Context, s *marketplace.Session, ds *rights.Dataset, key rights.Digest) (*datasetProofs, error) {
	out := &datasetProofs{lister: ds.Lister}
	if out.lister == "" {
		out.lister = ds.Holder
	}
	circuitOf := func(kind rights.CircuitKind, n uint64, w uint32) (*benchCircuit, error) {
		id := rights.KindCircuitID(kind, n, w)
		c, err := client.Get[rights.Circuit](ctx, s.Chain, id)
		if err != nil {
			return nil, fmt.Errorf("bench publish: circuit %s: %w", id, err)
		}
		claim := &rights.InputClaim{Slots: n, Width: w}
		switch kind {
		case rights.CircuitInput:
		case rights.CircuitInputHistogram:
			claim.Histogram = &rights.HistogramClaim{Side: rights.HistogramColumn}
		case rights.CircuitFrequencyTable:
			claim.Histogram = &rights.HistogramClaim{Side: rights.HistogramTable}
		default:
			return nil, fmt.Errorf("bench publish: circuit %s is not an input circuit: the chain does not require input proofs", id)
		}
		lay, err := marketplace.ClaimLayout(claim)
		if err != nil {
			return nil, err
		}
		return &benchCircuit{circuit: *c, layout: lay}, nil
	}
	v := marketplace.Verifier{}
	for ci := range ds.Columns {
		col := ds.Columns[ci]
		c, err := circuitOf(col.Kind, col.ChunkSize, col.Width)
		if err != nil {
			return nil, err
		}
		bc := benchColumn{column: col, benchCircuit: *c}
		var h *rights.HistogramClaim
		if col.Kind == rights.CircuitInputHistogram {
			ft := col.Frequencies
			if ft == nil || len(ft.Proof) == 0 {
				return nil, fmt.Errorf("bench publish: column %s has no proven frequency table", col.Name)
			}
			if bc.table, err = circuitOf(rights.CircuitFrequencyTable, col.ChunkSize, ft.Width); err != nil {
				return nil, err
			}
			commitments := make([][]byte, len(col.Chunks))
			sums := make([][]byte, len(col.Chunks))
			for j, ch := range col.Chunks {
				commitments[j], sums[j] = ch.Commitment, ch.HistogramSum
			}
			alpha, err := v.HistogramChallenge(rights.HistogramContext(out.lister, col.Name), commitments, ft.Commitment, ft.Min, ft.Bin)
			if err != nil {
				return nil, err
			}
			h = &rights.HistogramClaim{Side: rights.HistogramColumn, Alpha: alpha, Min: ft.Min, Bin: ft.Bin}
			out.histograms = append(out.histograms, histogramCheck{column: col.Name, chunkSums: sums, tableSum: ft.Sum})
			out.claims = append(out.claims, benchClaim{vk: bc.table.circuit.VK, proof: ft.Proof, what: "column " + col.Name + " frequency table",
				claim: &rights.InputClaim{Slots: col.ChunkSize, Width: ft.Width, Min: 0, Max: int64(ds.Rows), Rows: col.ChunkSize,
					Commitment: ft.Commitment, Key: key, Holder: out.lister, Ciphertext: ft.Table, Evaluations: ft.Evaluations,
					Histogram: &rights.HistogramClaim{Side: rights.HistogramTable, Alpha: alpha, Sum: ft.Sum}}})
		}
		for j, ch := range col.Chunks {
			claim := marketplace.InputClaim(ds.Rows, &col, j, key, out.lister)
			if h != nil {
				hj := *h
				hj.Sum = ch.HistogramSum
				claim.Histogram = &hj
			}
			out.claims = append(out.claims, benchClaim{vk: bc.circuit.VK, claim: claim, proof: ch.Proof, what: fmt.Sprintf("column %s chunk %d", col.Name, j+1)})
		}
		out.columns = append(out.columns, bc)
	}
	return out, nil
}

// verify verifies every proof and sum check as the chain does.
func (d *datasetProofs) verify() error {
	v := marketplace.Verifier{}
	for _, c := range d.claims {
		if err := v.VerifyInput(c.vk, c.claim, c.proof); err != nil {
			return fmt.Errorf("bench publish: %s does not verify: %w", c.what, err)
		}
	}
	for _, h := range d.histograms {
		if err := v.CheckHistogram(h.chunkSums, h.tableSum); err != nil {
			return fmt.Errorf("bench publish: column %s: %w", h.column, err)
		}
	}
	return nil
}

// count fills rep's constraint figures: each distinct circuit compiled once (inputRelations),
// times the proofs made with it.
func (d *datasetProofs) count(rep *PublishReport) error {
	type use struct {
		c      benchCircuit
		proofs int
	}
	var uses []*use
	byID := map[string]*use{}
	add := func(c benchCircuit, proofs int) {
		id := c.circuit.ID()
		if u, ok := byID[id]; ok {
			u.proofs += proofs
			return
		}
		u := &use{c: c, proofs: proofs}
		byID[id] = u
		uses = append(uses, u)
		rep.Circuits = append(rep.Circuits, id)
	}
	for _, col := range d.columns {
		add(col.benchCircuit, len(col.column.Chunks))
		if col.table != nil {
			add(*col.table, 1)
		}
	}
	total := 0
	for _, u := range uses {
		n, rel, err := inputRelations(u.c.layout)
		if err != nil {
			return fmt.Errorf("bench publish: circuit %s: %w", u.c.circuit.ID(), err)
		}
		total += n * u.proofs
		domain := 1
		for domain < n {
			domain *= 2
		}
		rep.Domains = append(rep.Domains, CircuitDomain{Circuit: u.c.circuit.ID(), Constraints: n, Domain: domain, Fill: float64(n) / float64(domain)})
		for _, r := range relationOrder {
			if rel[r] == 0 {
				continue
			}
			rep.Relations = append(rep.Relations, RelationCount{Circuit: u.c.circuit.ID(), Relation: r, Constraints: rel[r], Proofs: u.proofs,
				PerRow: float64(rel[r]*u.proofs) / float64(rep.Rows)})
		}
	}
	rep.ConstraintsPerRow = float64(total) / float64(rep.Rows)
	return nil
}

// publishValues are the bench column: uniform in [0, 2^32), from a fixed seed so the CSV and the
// baseline hold the same values.
func publishValues(rows int) []int64 {
	rng := rand.New(rand.NewPCG(2026, 11))
	v := make([]int64, rows)
	for i := range v {
		v[i] = int64(rng.Uint32())
	}
	return v
}

// writePublishCSV writes publishValues(rows) as a one-column CSV, streaming.
func writePublishCSV(path string, rows int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("value\n")
	var buf []byte
	for _, v := range publishValues(rows) {
		buf = strconv.AppendInt(buf[:0], v, 10)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	return errors.Join(w.Flush(), f.Close())
}
