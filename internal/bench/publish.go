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
	Rows      int // rows of the one integer column; zero means 1,000,000
	ChunkSize int // values per chunk proof; zero means PublishChunkSize
	// ProofWorkers is how many chunks are proven at once, by publish and by the baseline alike;
	// zero means zk.ProofWorkers().
	ProofWorkers int
	// SetupCache keeps the circuit's insecure setup for the next run (see devnet.InsecureChunkSetup);
	// empty sets it up in a temporary directory.
	SetupCache string
	// Dir holds the devnet and the CSV; empty means a temporary directory, removed after.
	Dir string
	// Progress receives a line per step; nil discards them.
	Progress func(line string)
	Log      *slog.Logger
}

// PublishChunkSize is the chunk size of `dxp bench publish`: larger chunks cost fewer
// constraints per value (the lookup table is shared by more values) but a longer setup.
const PublishChunkSize = 16384

// publishMax is the bench column's upper bound: values up to 2^32, a 32-bit circuit.
const publishMax = 1<<32 - 1

// PublishReport is what Publish measured. DXPSeconds is the whole publish (both
// passes over the CSV, commit, prove, encrypt, upload, register with every proof verified by the
// chain); RawSeconds is gnark proving the same chunks plus Lattigo encrypting the same values,
// nothing else; SetupSeconds is the circuit's setup (or loading it from the cache), before both.
type PublishReport struct {
	Rows              int     `json:"rows"`
	RowsPerS          float64 `json:"rows_per_s"`
	ConstraintsPerRow float64 `json:"constraints_per_row"`
	DXPSeconds        float64 `json:"dxp_s"`
	RawSeconds        float64 `json:"raw_s"`
	Ratio             float64 `json:"ratio"`
	SetupSeconds      float64 `json:"setup_s"`
	SetupCached       bool    `json:"setup_cached"`
	// PeakRSSMB is the process's peak resident set size from after the setup and the devnet's
	// start to the end (Linux; 0 elsewhere): publishing and both baselines, with the devnet's
	// node and committee resident. SetupPeakRSSMB is the peak before, the setup's.
	PeakRSSMB        float64 `json:"peak_rss_mb"`
	PublishPeakRSSMB float64 `json:"publish_peak_rss_mb"` // the part of PeakRSSMB up to the end of the publish
	SetupPeakRSSMB   float64 `json:"setup_peak_rss_mb"`
	DevnetRSSMB      float64 `json:"devnet_rss_mb"` // resident before publishing: the node, the committee, the runtime

	ChunkSize       int                  `json:"chunk_size"`
	Width           int                  `json:"width"`
	Chunks          int                  `json:"chunks"`
	Ciphertexts     int                  `json:"ciphertexts"`
	ProofWorkers    int                  `json:"proof_workers"`
	Cores           int                  `json:"cores"`
	RawProveSeconds float64              `json:"raw_prove_s"`
	RawEncryptSecs  float64              `json:"raw_encrypt_s"`
	VerifySeconds   float64              `json:"chain_verify_s"` // verifying every chunk proof once, as FinalizeBlock does
	DevnetSeconds   float64              `json:"devnet_s"`       // devnet start and committee ceremony, apart from everything
	PublishStages   []marketplace.Timing `json:"publish_stages"`
	Dataset         string               `json:"dataset"`
}

// Publish publishes one integer column of cfg.Rows values in [0, 2^32) end to end on an
// in-process devnet with fs storage, and in the same process times the raw gnark proving of the
// same chunks and the raw Lattigo encryption of the same values.
func Publish(ctx context.Context, cfg PublishConfig) (rep *PublishReport, err error) {
	if cfg.Rows == 0 {
		cfg.Rows = 1_000_000
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = PublishChunkSize
	}
	if cfg.Rows < 1 || cfg.Rows > 100_000_000 {
		return nil, fmt.Errorf("bench publish: rows must be 1 to 100000000, not %d", cfg.Rows)
	}
	if cfg.ProofWorkers <= 0 {
		cfg.ProofWorkers = zk.ProofWorkers()
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
	const width = 32
	rep = &PublishReport{Rows: cfg.Rows, ChunkSize: cfg.ChunkSize, Width: width, ProofWorkers: cfg.ProofWorkers,
		Cores: runtime.GOMAXPROCS(0)}

	say(fmt.Sprintf("setting up the n=%d w=%d chunk circuit (insecure; cached in %s)", cfg.ChunkSize, width, cache))
	start := time.Now()
	if _, _, rep.SetupCached, err = devnet.InsecureChunkSetup(ctx, cache, cfg.ChunkSize, width, log); err != nil {
		return nil, err
	}
	rep.SetupSeconds = time.Since(start).Seconds()

	say("starting a devnet and running the committee's key ceremony")
	start = time.Now()
	home := filepath.Join(dir, "devnet")
	rpc, err := freeport.Loopback()
	if err != nil {
		return nil, err
	}
	// The secure ring, on which a devnet registers chunk circuits only: this bench measures the
	// chunk circuit against its raw baseline (input proofs at N = 16,384 are zk's benchmarks).
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: "tcp://" + rpc, ChunkSize: cfg.ChunkSize, Slots: mpc.SecureSlots,
		Widths: []int{width}, SetupCache: cache, Log: log})
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := dn.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	if err := dn.WaitReady(ctx); err != nil {
		return nil, err
	}
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if _, err := marketplace.CreateKey(home, "owner", []rights.Role{rights.RoleOwner}); err != nil {
		return nil, err
	}
	rep.DevnetSeconds = time.Since(start).Seconds()
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
	start = time.Now()
	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner", Name: "bench", Schema: schema, CSV: marketplace.FileSource(csvPath),
		Price: 1, ProofWorkers: cfg.ProofWorkers})
	if err != nil {
		return nil, err
	}
	rep.DXPSeconds = time.Since(start).Seconds()
	rep.Dataset, rep.PublishStages, rep.Chunks, rep.Ciphertexts = pub.Dataset, pub.Timings, pub.Chunks, pub.Ciphertexts
	rep.PublishPeakRSSMB = peakRSSMB()
	say(fmt.Sprintf("published in %.1fs", rep.DXPSeconds))

	ds, err := client.Get[rights.Dataset](ctx, s.Chain, pub.Dataset)
	if err != nil {
		return nil, err
	}
	circuit, err := client.Get[rights.Circuit](ctx, s.Chain, rights.CircuitID(uint64(cfg.ChunkSize), width))
	if err != nil {
		return nil, err
	}
	start = time.Now()
	for _, c := range ds.Columns {
		for i, ch := range c.Chunks {
			if err := zk.VerifyChunk(circuit.VK, ch.Proof, ch.Commitment, c.Min, c.Max); err != nil {
				return nil, fmt.Errorf("chunk %d does not verify: %w", i+1, err)
			}
		}
	}
	rep.VerifySeconds = time.Since(start).Seconds()

	// The baseline: the same values, proven and encrypted with nothing around the libraries.
	debug.FreeOSMemory() // the publish's prover is garbage now; do not stack the baseline's on it
	values := publishValues(cfg.Rows)
	pk, err := storage.GetBytes(ctx, s.Bucket, storage.Digest(circuit.PK))
	if err != nil {
		return nil, err
	}
	prover, err := newRawProver(cfg.ChunkSize, width, pk)
	if err != nil {
		return nil, err
	}
	pk = nil
	rep.ConstraintsPerRow = float64(prover.ccs.GetNbConstraints()) / float64(cfg.ChunkSize)
	var chunks [][]int64
	for off := 0; off < len(values); off += cfg.ChunkSize {
		chunks = append(chunks, values[off:min(off+cfg.ChunkSize, len(values))])
	}
	say(fmt.Sprintf("raw gnark proving of the same %d chunks", len(chunks)))
	runtime.GC()
	start = time.Now()
	if err := prover.prove(ctx, chunks, 0, publishMax, cfg.ProofWorkers); err != nil {
		return nil, err
	}
	rep.RawProveSeconds = time.Since(start).Seconds()
	prover = nil

	say("raw Lattigo encryption of the same values")
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	pubKey, err := s.CommitteePublicKey(ctx)
	if err != nil {
		return nil, err
	}
	runtime.GC()
	start = time.Now()
	if err := rawEncrypt(params, pubKey, values); err != nil {
		return nil, err
	}
	rep.RawEncryptSecs = time.Since(start).Seconds()

	rep.PeakRSSMB = max(peakRSSMB(), rep.PublishPeakRSSMB)
	rep.RawSeconds = rep.RawProveSeconds + rep.RawEncryptSecs
	rep.Ratio = rep.DXPSeconds / rep.RawSeconds
	rep.RowsPerS = float64(cfg.Rows) / rep.DXPSeconds
	return rep, nil
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
