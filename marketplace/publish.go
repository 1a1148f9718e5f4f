package marketplace

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// PublishRequest lists a validated table as a dataset held by From.
type PublishRequest struct {
	From        string // key name of the owner
	Name        string
	Description string
	Table       *Table
	Price       uint64
	// Progress, if set, receives one line per stage.
	Progress func(line string)
}

// Timing is how long one stage of a flow took.
type Timing struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
}

// PublishResult says what was registered.
type PublishResult struct {
	Dataset     string         `json:"dataset"`
	Holder      rights.Address `json:"holder"`
	Rows        int            `json:"rows"`
	Columns     []string       `json:"columns"`
	Chunks      int            `json:"chunks_proven"`
	Ciphertexts int            `json:"ciphertexts"`
	Commitment  string         `json:"commitment"`
	Manifest    string         `json:"manifest"`
	Height      int64          `json:"height"`
	Timings     []Timing       `json:"timings"`
}

// manifest is the public description of a dataset kept in storage; the chain holds its digest.
type manifest struct {
	Format      string           `json:"format"`
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Rows        int              `json:"rows"`
	KeyEpoch    uint64           `json:"key_epoch"`
	ChunkSize   uint64           `json:"chunk_size"`
	Columns     []manifestColumn `json:"columns"`
}

type manifestColumn struct {
	Name        string            `json:"name"`
	Type        rights.ColumnType `json:"type"`
	Scale       uint32            `json:"scale,omitempty"`
	Min         int64             `json:"min"`
	Max         int64             `json:"max"`
	Ciphertexts []rights.Digest   `json:"ciphertexts"`
	Commitments []string          `json:"commitments"`
}

// Publish proves, encrypts, uploads and registers a table. Nothing is uploaded unless every row
// is valid (ReadTable has checked that) and every chunk has been proven; nothing is registered
// unless everything is uploaded.
func (s *Session) Publish(ctx context.Context, req PublishRequest) (*PublishResult, error) {
	progress := req.Progress
	if progress == nil {
		progress = func(string) {}
	}
	if req.Name == "" || len(req.Name) > 128 {
		return nil, errors.New("a dataset needs a name of 1 to 128 characters")
	}
	if req.Table == nil || req.Table.Rows == 0 {
		return nil, errors.New("a dataset needs at least one row")
	}
	owner, err := s.Key(req.From)
	if err != nil {
		return nil, err
	}
	if !owner.HasRole(rights.RoleOwner) {
		return nil, fmt.Errorf("key %q does not have the owner role", req.From)
	}
	gen, err := s.Chain.Genesis(ctx)
	if err != nil {
		return nil, err
	}
	committee, err := s.Chain.Committee(ctx)
	if err != nil {
		return nil, err
	}
	if !committee.Ready {
		return nil, errors.New("the committee has not finished its key ceremony yet; wait until `dxp status` shows committee_ready")
	}
	if _, err := s.Register(ctx, owner); err != nil {
		return nil, err
	}
	res := &PublishResult{Holder: owner.Address(), Rows: req.Table.Rows}
	stage := func(name string, start time.Time) {
		res.Timings = append(res.Timings, Timing{Stage: name, Seconds: time.Since(start).Seconds()})
	}

	// Prove every chunk of every column before anything leaves this machine.
	start := time.Now()
	pk, err := storage.GetBytes(ctx, s.Bucket, storage.Digest(gen.Params.ListingPK))
	if err != nil {
		return nil, fmt.Errorf("fetch the listing proving key: %w", err)
	}
	prover, err := zk.NewListingProver(int(gen.Params.ListingChunkSize), pk)
	if err != nil {
		return nil, err
	}
	stage("load proving key", start)
	start = time.Now()
	proofs, err := proveColumns(ctx, prover, req.Table, progress)
	if err != nil {
		return nil, err
	}
	for _, p := range proofs {
		res.Chunks += len(p)
	}
	stage("prove", start)
	progress(fmt.Sprintf("proved %d chunks in %.1fs", res.Chunks, time.Since(start).Seconds()))

	// Encrypt every column under the committee's collective key.
	start = time.Now()
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	pubKey, err := mpc.LoadPublicKey(ctx, s.Objects(), params, digests(committee.Keys))
	if err != nil {
		return nil, fmt.Errorf("load the committee's public key: %w", err)
	}
	cts := make([][][]byte, len(req.Table.Values))
	if err := forEach(ctx, len(req.Table.Values), func(i int) (err error) {
		cts[i], err = mpc.EncryptColumn(params, pubKey, req.Table.Values[i])
		return err
	}); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	freqs, err := publishFrequencies(ctx, s.Bucket, params, pubKey, req.Table) // histogram.go
	if err != nil {
		return nil, fmt.Errorf("frequency tables: %w", err)
	}
	stage("encrypt", start)
	progress(fmt.Sprintf("encrypted %d columns in %.1fs", len(cts), time.Since(start).Seconds()))

	// Upload, then register.
	start = time.Now()
	msg := &rights.RegisterDataset{Name: req.Name, Description: req.Description, Rows: uint64(req.Table.Rows),
		Price: req.Price, KeyEpoch: committee.Epoch}
	man := manifest{Format: "dxp-dataset/1", Name: req.Name, Description: req.Description, Rows: req.Table.Rows,
		KeyEpoch: committee.Epoch, ChunkSize: gen.Params.ListingChunkSize}
	salts := map[string][]string{}
	for i, c := range req.Table.Schema.Columns {
		col := rights.Column{Name: c.Name, Type: c.Type, Scale: c.Scale, Min: c.Min, Max: c.Max, Frequencies: freqs[i]}
		mc := manifestColumn{Name: c.Name, Type: c.Type, Scale: c.Scale, Min: c.Min, Max: c.Max}
		for _, ct := range cts[i] {
			d, err := storage.PutBytes(ctx, s.Bucket, ct)
			if err != nil {
				return nil, fmt.Errorf("upload a ciphertext of column %s: %w", c.Name, err)
			}
			col.Ciphertexts = append(col.Ciphertexts, rights.Digest(d))
			res.Ciphertexts++
		}
		for _, p := range proofs[i] {
			col.Chunks = append(col.Chunks, rights.Chunk{Commitment: p.Commitment, Proof: p.Proof})
			mc.Commitments = append(mc.Commitments, hex.EncodeToString(p.Commitment))
			salts[c.Name] = append(salts[c.Name], hex.EncodeToString(p.Salt))
		}
		mc.Ciphertexts = col.Ciphertexts
		msg.Columns = append(msg.Columns, col)
		man.Columns = append(man.Columns, mc)
	}
	manBytes, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return nil, err
	}
	manDigest, err := storage.PutBytes(ctx, s.Bucket, manBytes)
	if err != nil {
		return nil, fmt.Errorf("upload the manifest: %w", err)
	}
	msg.Manifest = rights.Digest(manDigest)
	stage("upload", start)
	progress(fmt.Sprintf("uploaded %d ciphertexts and the manifest in %.1fs", res.Ciphertexts, time.Since(start).Seconds()))

	start = time.Now()
	receipt, err := s.Chain.Submit(ctx, owner.Private, rights.Msg{RegisterDataset: msg})
	if err != nil {
		return nil, fmt.Errorf("register the dataset: %w", err)
	}
	stage("register (chain verifies proofs)", start)
	ds, err := s.Chain.Dataset(ctx, receipt.ID)
	if err != nil {
		return nil, err
	}
	// The salts open the commitments; only the owner keeps them.
	saltDoc, err := json.Marshal(map[string]any{"dataset": receipt.ID, "salts": salts})
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(s.Home, "published", receipt.ID+".json"), saltDoc, 0o600); err != nil {
		return nil, fmt.Errorf("dataset %s is registered, but saving its commitment salts failed: %w", receipt.ID, err)
	}
	res.Dataset, res.Height = receipt.ID, receipt.Height
	res.Commitment, res.Manifest = ds.Commitment.String(), manDigest.String()
	for _, c := range req.Table.Schema.Columns {
		res.Columns = append(res.Columns, c.Name)
	}
	return res, nil
}

// proveColumns proves every chunk of every column, using every core.
func proveColumns(ctx context.Context, prover *zk.ListingProver, t *Table, progress func(string)) ([][]zk.ChunkProof, error) {
	n := prover.ChunkSize()
	type job struct{ col, chunk int }
	var jobs []job
	out := make([][]zk.ChunkProof, len(t.Values))
	for c, vals := range t.Values {
		chunks := (len(vals) + n - 1) / n
		out[c] = make([]zk.ChunkProof, chunks)
		for k := 0; k < chunks; k++ {
			jobs = append(jobs, job{c, k})
		}
	}
	var mu sync.Mutex
	done := 0
	err := forEach(ctx, len(jobs), func(i int) error {
		j := jobs[i]
		vals := t.Values[j.col][j.chunk*n : min((j.chunk+1)*n, len(t.Values[j.col]))]
		col := t.Schema.Columns[j.col]
		p, err := prover.Prove(vals, col.Min, col.Max)
		if err != nil {
			return fmt.Errorf("prove column %s chunk %d: %w", col.Name, j.chunk+1, err)
		}
		out[j.col][j.chunk] = p
		mu.Lock()
		done++
		if done%16 == 0 || done == len(jobs) {
			progress(fmt.Sprintf("proved %d/%d chunks", done, len(jobs)))
		}
		mu.Unlock()
		return nil
	})
	return out, err
}

// forEach runs f(0..n-1) on up to GOMAXPROCS goroutines and returns the first error.
func forEach(ctx context.Context, n int, f func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int)
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}
