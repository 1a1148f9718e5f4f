package marketplace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// CSVSource is a CSV file that Publish reads twice from its start: once to check every row,
// once to encode it, so that only a few chunks of it are ever in memory.
type CSVSource struct {
	Name string                        // shown in errors, such as the file's path
	Open func() (io.ReadCloser, error) // opens the CSV at its first byte
}

// FileSource is the CSV file at path.
func FileSource(path string) CSVSource {
	return CSVSource{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// BytesSource is a CSV already in memory.
func BytesSource(name string, data []byte) CSVSource {
	return CSVSource{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// PublishRequest lists a CSV as a dataset held by From.
type PublishRequest struct {
	From        string // key name of the owner
	Name        string
	Description string
	Schema      *Schema
	CSV         CSVSource
	Price       uint64
	// Progress, if set, is called from one goroutine at most a few times a second while the
	// dataset is published, and once more at the end of each stage.
	Progress func(PublishProgress)
	// ProofWorkers is how many chunks are proven at once; zero means zk.ProofWorkers() (one
	// per four cores: one proof already uses every core).
	ProofWorkers int
}

// PublishProgress counts what a publish has done so far.
type PublishProgress struct {
	Stage       string `json:"stage"` // "validate", "commit", "publish", "register" or "check"
	Rows        int    `json:"rows"`  // rows read in this stage
	TotalRows   int    `json:"total_rows"`
	Chunks      int    `json:"chunks"` // chunk proofs in the dataset (every column)
	Proven      int    `json:"proven"` // chunks committed and proven, reused ones included
	Ciphertexts int    `json:"ciphertexts"`
	Encrypted   int    `json:"encrypted"`
	Uploaded    int    `json:"uploaded"` // reused ones included
	Reused      int    `json:"reused"`   // chunks and ciphertexts taken from an interrupted run
}

// Line renders p as one line for a terminal.
func (p PublishProgress) Line() string {
	switch p.Stage {
	case "validate":
		return fmt.Sprintf("validating: %d rows read", p.Rows)
	case "publish":
		s := fmt.Sprintf("rows %d/%d · chunks committed+proven %d/%d · ciphertexts encrypted %d, uploaded %d/%d",
			p.Rows, p.TotalRows, p.Proven, p.Chunks, p.Encrypted, p.Uploaded, p.Ciphertexts)
		if p.Reused > 0 {
			s += fmt.Sprintf(" · %d reused", p.Reused)
		}
		return s
	case "commit":
		return fmt.Sprintf("committing histogram columns: %d/%d rows read", p.Rows, p.TotalRows)
	case "check":
		return fmt.Sprintf("registered; the committee is checking the %d stored ciphertexts", p.Ciphertexts)
	default:
		return fmt.Sprintf("registering %d rows, %d proofs (the chain verifies each)", p.TotalRows, p.Chunks)
	}
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
	Circuits    []string       `json:"circuits"` // the circuit each column was proven with
	Chunks      int            `json:"chunks_proven"`
	Tables      int            `json:"tables_proven"` // frequency tables proven (histogram columns), besides the chunks
	Ciphertexts int            `json:"ciphertexts"`
	Reused      int            `json:"reused"` // chunks and ciphertexts reused from an interrupted run
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
	Columns     []manifestColumn `json:"columns"`
}

type manifestColumn struct {
	Name        string            `json:"name"`
	Type        rights.ColumnType `json:"type"`
	Scale       uint32            `json:"scale,omitempty"`
	Min         int64             `json:"min"`
	Max         int64             `json:"max"`
	Circuit     string            `json:"circuit"`
	ChunkSize   uint64            `json:"chunk_size"`
	Ciphertexts []rights.Digest   `json:"ciphertexts"`
	Commitments []string          `json:"commitments"`
}

// Publish registers a CSV as a dataset: it reads the CSV once to check every row (nothing is
// uploaded or registered if one is bad), then again to commit to and prove every chunk of every
// column, encrypt the values under the committee's key and upload the ciphertexts, as a
// pipeline, a few chunks at a time. Finished chunks are journalled in the owner's home, so a run
// that is interrupted and started again with the same inputs resumes. Nothing is registered
// unless every chunk is proven and every ciphertext uploaded. A column with a registered input
// circuit (chooseCircuit) is encrypted provably and proven one ciphertext per chunk, each proof
// showing its ciphertext encrypts exactly the chunk's committed values (see the package doc). A
// histogram column (CircuitInputHistogram) is committed first, in a pass of its own over the CSV
// before the proofs, and its frequency table proven to be the histogram of its values
// (histogram.go).
func (s *Session) Publish(ctx context.Context, req PublishRequest) (*PublishResult, error) {
	report := req.Progress
	if report == nil {
		report = func(PublishProgress) {}
	}
	if req.Name == "" || len(req.Name) > 128 {
		return nil, errors.New("a dataset needs a name of 1 to 128 characters")
	}
	if req.Schema == nil || req.CSV.Open == nil {
		return nil, errors.New("publish needs a schema and a CSV")
	}
	owner, err := s.Key(req.From)
	if err != nil {
		return nil, err
	}
	if !owner.HasRole(rights.RoleOwner) {
		return nil, fmt.Errorf("key %q does not have the owner role", req.From)
	}
	gen, err := client.Get[rights.Genesis](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	if !committee.Ready {
		return nil, errors.New("the committee has not finished its key ceremony yet; wait until `dxp status` shows committee_ready")
	}
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	if uint64(mpc.Slots(params)) != gen.Params.SlotsPerCiphertext {
		return nil, fmt.Errorf("the chain packs %d values per ciphertext, these parameters %d", gen.Params.SlotsPerCiphertext, mpc.Slots(params))
	}
	half := int64(params.PlaintextModulus() / 2)
	for _, c := range req.Schema.Columns {
		if c.Min < -half || c.Max > half {
			return nil, fmt.Errorf("column %s: bounds [%d, %d] (scaled) exceed ±%d, what a ciphertext holds exactly", c.Name, c.Min, c.Max, half)
		}
	}
	registered, err := client.List[rights.Circuit](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	// The circuits are chosen once before the CSV is read, so that a schema no registered circuit
	// holds is refused at once, and again once its rows are known: the frequency-table circuit
	// must hold counts up to the row count.
	slots := gen.Params.SlotsPerCiphertext
	if _, err := chooseCircuits(registered, slots, req.Schema, 1); err != nil {
		return nil, err
	}
	res := &PublishResult{Holder: owner.Address()}
	stage := func(name string, start time.Time) {
		res.Timings = append(res.Timings, Timing{Stage: name, Seconds: time.Since(start).Seconds()})
	}

	// Pass 1: every row is checked before any work is done or anything leaves this machine.
	start := time.Now()
	rows, inputDigest, err := validateCSV(ctx, req.CSV, req.Schema, report)
	if err != nil {
		return nil, err
	}
	stage("validate", start)
	res.Rows = rows
	chosen, err := chooseCircuits(registered, slots, req.Schema, uint64(rows))
	if err != nil {
		return nil, err
	}
	circuits := chosen.columns

	if _, err := s.Register(ctx, owner); err != nil {
		return nil, err
	}
	start = time.Now()
	run, err := s.newPublishRun(ctx, req, owner.Address(), committee, chosen, rows, inputDigest)
	if err != nil {
		return nil, err
	}
	stage("read the journal", start)

	// The provers load (at the secure ring, tens of seconds of compiling and decoding on one or
	// two cores) while the commit pass reads the CSV on another.
	start = time.Now()
	loaded := make(chan error, 1)
	go func() { loaded <- run.loadProvers(ctx) }()
	// The histogram columns' commit pass: every chunk and the frequency table committed, and α
	// drawn from the commitments, before any of them is proven.
	if run.histograms() {
		if err := run.commitHistograms(ctx, req.CSV, report); err != nil {
			<-loaded // no loader outlives the publish
			return nil, err
		}
		stage("commit histogram columns", start)
		start = time.Now()
	}
	if err := <-loaded; err != nil {
		return nil, err
	}
	stage("load proving keys", start) // what the commit pass left of it

	// Pass 2: encode, commit, prove, encrypt and upload, chunk by chunk.
	start = time.Now()
	if err := run.publish(ctx, req, report); err != nil {
		return nil, err
	}
	stage("commit, prove, encrypt, upload", start)
	run.releaseProvers()

	// The frequency tables: every one encrypted, a histogram column's proven too, with the
	// frequency-table circuit's prover, loaded now that the columns' are released.
	if run.tables() > 0 {
		start = time.Now()
		if err := run.table.load(ctx, s.Bucket); err != nil {
			return nil, fmt.Errorf("frequency tables: %w", err)
		}
		stage("load the frequency-table proving key", start)
	}
	start = time.Now()
	freqs, err := run.sealFreqs(ctx)
	if err != nil {
		return nil, fmt.Errorf("frequency tables: %w", err)
	}
	if run.tables() > 0 {
		stage("prove frequency tables", start)
	} else {
		stage("encrypt frequency tables", start)
	}

	start = time.Now()
	// The chain verifies every chunk's proof and every histogram column's table proof.
	report(PublishProgress{Stage: "register", TotalRows: rows, Chunks: run.chunks() + run.tables()})
	msg, manDigest, err := run.registration(ctx, req, freqs)
	if err != nil {
		return nil, err
	}
	id, height, err := s.registerOnce(ctx, owner, msg)
	if err != nil {
		return nil, err
	}
	stage("register (chain verifies proofs)", start)
	ds, err := client.Get[rights.Dataset](ctx, s.Chain, id)
	if err != nil {
		return nil, err
	}
	// The salts open the commitments; only the owner keeps them.
	doc, err := run.saltDoc(id)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(s.Home, "published", id+".json"), doc, 0o600); err != nil {
		return nil, fmt.Errorf("dataset %s is registered, but saving its commitment salts failed: %w", id, err)
	}
	if err := os.Remove(run.journalPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("dataset %s is registered, but removing the publish journal failed: %w", id, err)
	}
	start = time.Now()
	cts := 0
	for _, c := range msg.Columns {
		cts += len(c.Ciphertexts)
	}
	report(PublishProgress{Stage: "check", TotalRows: rows, Ciphertexts: cts})
	if err := s.awaitListed(ctx, id); err != nil {
		return nil, err
	}
	stage("committee checks the stored inputs", start)
	res.Dataset, res.Height = id, height
	res.Commitment, res.Manifest = ds.Commitment.String(), manDigest.String()
	res.Reused = int(run.reused.Load())
	for i, c := range req.Schema.Columns {
		res.Columns = append(res.Columns, c.Name)
		res.Circuits = append(res.Circuits, circuits[i].ID())
		res.Chunks += len(msg.Columns[i].Chunks)
		if f := msg.Columns[i].Frequencies; f != nil && len(f.Proof) > 0 {
			res.Tables++
		}
		res.Ciphertexts += len(msg.Columns[i].Ciphertexts)
	}
	return res, nil
}

// chosenCircuits are the circuits a dataset is proven with: one per column, and the
// frequency-table circuit (nil if no column is a CircuitInputHistogram column).
type chosenCircuits struct {
	columns []rights.Circuit
	table   *rights.Circuit
}

// chooseCircuits picks the circuit of every column of schema (chooseCircuit) for a dataset of
// rows rows, and the frequency-table circuit its histogram columns' tables are proven with.
func chooseCircuits(registered []rights.Circuit, slots uint64, schema *Schema, rows uint64) (chosenCircuits, error) {
	var out chosenCircuits
	table := tableCircuit(registered, slots, rows)
	for _, c := range schema.Columns {
		circ, err := chooseCircuit(registered, slots, c, table != nil)
		if err != nil {
			return chosenCircuits{}, err
		}
		if circ.Kind == rights.CircuitInputHistogram {
			out.table = table
		}
		out.columns = append(out.columns, circ)
	}
	return out, nil
}

// tableCircuit is the narrowest registered frequency-table circuit of the chain's ring whose
// width holds counts up to rows (rights.ColumnWidth(0, rows)), or nil.
func tableCircuit(registered []rights.Circuit, slots, rows uint64) *rights.Circuit {
	need := rights.ColumnWidth(0, int64(min(rows, 1<<62)))
	var best *rights.Circuit
	for i := range registered {
		r := &registered[i]
		if r.Kind != rights.CircuitFrequencyTable || r.ChunkSize != slots || r.Width < need {
			continue
		}
		if best == nil || r.Width < best.Width {
			best = r
		}
	}
	return best
}

// chooseCircuit picks the registered circuit a column is proven with. An input circuit for the
// chain's ring (ChunkSize = slots) comes first: its proofs also show that each ciphertext
// encrypts exactly the chunk's committed values, and a chain that requires input proofs refuses
// any other column. Of those, the input circuit with the histogram column side
// (rights.CircuitInputHistogram) is preferred where histogram says a frequency-table circuit
// holds the dataset's counts and the column's bin width fits the circuit's width: then the
// column's frequency table is proven to be the histogram of its values. Among the circuits of
// the chosen kind it takes the narrowest width that holds the column's bounds, and of those the
// largest chunk size (fewer proofs for the chain to verify). The chunk circuits are the fallback
// for a chain that registers no input circuit wide enough.
func chooseCircuit(registered []rights.Circuit, slots uint64, c ColumnSchema, histogram bool) (rights.Circuit, error) {
	need := rights.ColumnWidth(c.Min, c.Max)
	bin, err := binWidth(c, int(slots))
	if err != nil {
		return rights.Circuit{}, err
	}
	var best *rights.Circuit
	var ids []string
	rank := func(r *rights.Circuit) int { // higher is preferred
		switch r.Kind {
		case rights.CircuitInputHistogram:
			return 2
		case rights.CircuitInput:
			return 1
		}
		return 0
	}
	for i := range registered {
		r := &registered[i]
		ids = append(ids, r.ID())
		if r.Width < need {
			continue
		}
		switch r.Kind {
		case rights.CircuitChunk:
		case rights.CircuitInput:
			if r.ChunkSize != slots {
				continue // an input chunk is one ciphertext of this chain's ring
			}
		case rights.CircuitInputHistogram:
			// The circuit's remainder check holds a bin of at most 2^Width
			// (circuits.HistogramStatement.Check).
			if r.ChunkSize != slots || !histogram || uint64(bin-1)>>r.Width != 0 {
				continue
			}
		default:
			continue
		}
		switch {
		case best == nil || rank(r) > rank(best):
			best = r
		case rank(r) < rank(best):
		case r.Width < best.Width || r.Width == best.Width && r.ChunkSize > best.ChunkSize:
			best = r
		}
	}
	if best == nil {
		return rights.Circuit{}, fmt.Errorf("column %s needs a circuit of width %d or more (its bounds span %d bits), and the chain registers only %s",
			c.Name, need, need, strings.Join(ids, ", "))
	}
	return *best, nil
}

// validateCSV reads the whole CSV once, checking every row, and returns the number of rows and
// the SHA-256 of the file's bytes.
func validateCSV(ctx context.Context, src CSVSource, schema *Schema, report func(PublishProgress)) (int, [32]byte, error) {
	f, err := src.Open()
	if err != nil {
		return 0, [32]byte{}, fmt.Errorf("open %s: %w", src.Name, err)
	}
	defer f.Close()
	h := sha256.New()
	rr, err := NewRowReader(src.Name, io.TeeReader(f, h), schema)
	if err != nil {
		return 0, [32]byte{}, err
	}
	tick := newTicker()
	for {
		_, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, [32]byte{}, err
		}
		if rr.Rows()%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, [32]byte{}, err
			}
			if tick.due() {
				report(PublishProgress{Stage: "validate", Rows: rr.Rows()})
			}
		}
	}
	if rr.Rows() == 0 {
		return 0, [32]byte{}, fmt.Errorf("%s has a header but no rows", src.Name)
	}
	report(PublishProgress{Stage: "validate", Rows: rr.Rows(), TotalRows: rr.Rows()})
	var d [32]byte
	h.Sum(d[:0])
	return rr.Rows(), d, nil
}

// ticker says when a progress report is due: at most every 200 ms.
type ticker struct{ last time.Time }

func newTicker() *ticker { return &ticker{} }

func (t *ticker) due() bool {
	if now := time.Now(); now.Sub(t.last) >= 200*time.Millisecond {
		t.last = now
		return true
	}
	return false
}

// publishRun is one publish's second pass: the provers, the committee's key and the journal of
// finished chunks.
type publishRun struct {
	s        *Session
	schema   *Schema
	circuits []rights.Circuit
	provers  []*zk.ChunkProver // per chunk-kind column (nil for an input column); columns of one circuit share it
	// inputProvers, per input column (nil for a chunk column), prove a chunk and its ciphertext
	// together; inputs encrypts for them under the committee's key (nil without input columns).
	// Both prover slices are set by loadProvers and dropped by releaseProvers.
	inputProvers []*zk.InputProver
	inputs       *inputEncrypter
	// hist, per column, is a CircuitInputHistogram column's histogram check (histogram.go); nil
	// for any other column. table proves their frequency tables.
	hist        []*histogramColumn
	table       *tableProver
	owner       rights.Address
	rows        int
	slots       int
	epoch       uint64
	encrypt     func(values []int64) ([][]byte, error)
	journalPath string
	// freqs counts every column's values bin by bin as the second pass reads them (histogram.go);
	// sealFreqs encrypts and uploads the counts once every row is read.
	freqs     *FrequencyTables
	sealFreqs func(ctx context.Context) ([]*rights.FrequencyTable, error)

	mu      sync.Mutex // guards journal
	journal *publishJournal

	input  [32]byte // SHA-256 of the CSV as the first pass read it
	reused atomic.Int64
}

// publishJournal is what an interrupted publish has finished. It lives in the owner's home
// (0600), never in storage: it holds the commitment salts.
type publishJournal struct {
	Format  string          `json:"format"`
	Key     string          `json:"key"`
	Columns []journalColumn `json:"columns"`
}

// journalColumn is one column's finished work. In an input column chunk k and ciphertext k are
// one piece of work (the proof is of that ciphertext, made with its encryption's witness, which is
// never kept): both are journalled at once, after the ciphertext is uploaded, and a resumed run
// keeps both or neither.
type journalColumn struct {
	Circuit     string           `json:"circuit"`
	Chunks      []*journalChunk  `json:"chunks"`      // null until proven
	Ciphertexts []*rights.Digest `json:"ciphertexts"` // null until uploaded
	// Histogram is a CircuitInputHistogram column's commit pass (histogram.go): null until it
	// is done, then fixed, since α is drawn from it and every chunk is proven at that α.
	Histogram *journalHistogram `json:"histogram,omitempty"`
}

type journalChunk struct {
	Commitment   []byte `json:"commitment"`
	Proof        []byte `json:"proof"`
	Salt         []byte `json:"salt"`
	Evaluations  []byte `json:"evaluations,omitempty"`   // an input proof's (Chunk.Evaluations)
	HistogramSum []byte `json:"histogram_sum,omitempty"` // a histogram column's S_c (Chunk.HistogramSum)
}

// journalFormat 2: input columns (chunks with evaluations, journalled with their ciphertexts).
// 3: histogram columns (the commit pass's commitments, salts and counts; each chunk's S_c).
const journalFormat = "dxp-publish-journal/3"

// journalKey names a publish by everything its chunks depend on: the input's bytes, the schema,
// the name, the owner, the circuits and the committee's key epoch. A rerun with the same inputs
// finds its journal; any change starts afresh.
func journalKey(input [32]byte, schema *Schema, name string, owner rights.Address, circuits []rights.Circuit, epoch uint64) (string, error) {
	sj, err := json.Marshal(schema)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	ids := make([]string, len(circuits))
	for i, c := range circuits {
		ids[i] = c.ID() + "/" + hex.EncodeToString(c.VK)
	}
	for _, part := range [][]byte{input[:], sj, []byte(name), []byte(owner), []byte(strings.Join(ids, ",")), fmt.Append(nil, epoch)} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Session) newPublishRun(ctx context.Context, req PublishRequest, owner rights.Address, committee *rights.Committee,
	chosen chosenCircuits, rows int, input [32]byte) (*publishRun, error) {
	circuits := chosen.columns
	epoch := committee.Epoch
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	pubKey, err := s.CommitteePublicKey(ctx)
	if err != nil {
		return nil, err
	}
	r := &publishRun{s: s, schema: req.Schema, circuits: circuits, rows: rows, slots: mpc.Slots(params), epoch: epoch, input: input, owner: owner,
		encrypt: func(values []int64) ([][]byte, error) { return mpc.EncryptColumn(params, pubKey, values) }}
	if r.freqs, err = NewFrequencyTables(req.Schema, mpc.Slots(params)); err != nil {
		return nil, err
	}
	r.sealFreqs = func(ctx context.Context) ([]*rights.FrequencyTable, error) {
		// A histogram column's table is proven (histogram.go), every other one only encrypted.
		tables, err := r.freqs.upload(ctx, s.Bucket, params, pubKey, func(col int) bool { return r.hist[col] != nil })
		if err != nil {
			return nil, err
		}
		for i, h := range r.hist {
			if h == nil {
				continue
			}
			if tables[i], err = r.proveTable(ctx, i); err != nil {
				return nil, fmt.Errorf("column %s: %w", r.schema.Columns[i].Name, err)
			}
		}
		return tables, nil
	}
	r.hist = make([]*histogramColumn, len(circuits))
	for i, c := range circuits {
		if c.Kind == rights.CircuitInputHistogram {
			if r.hist[i], err = newHistogramColumn(req.Schema.Columns[i], r.freqs.bins[i], c, r.slots); err != nil {
				return nil, err
			}
		}
		if isInputKind(c.Kind) && r.inputs == nil {
			if len(committee.Keys) == 0 {
				return nil, errors.New("the committee lists no collective public key")
			}
			if r.inputs, err = newInputEncrypter(params, pubKey, committee.Keys[0], owner); err != nil {
				return nil, err
			}
		}
	}
	if chosen.table != nil {
		if r.table, err = newTableProver(*chosen.table); err != nil {
			return nil, err
		}
	}
	keyed := circuits
	if chosen.table != nil {
		keyed = append(slices.Clone(circuits), *chosen.table)
	}
	key, err := journalKey(input, req.Schema, req.Name, owner, keyed, epoch)
	if err != nil {
		return nil, err
	}
	r.journalPath = filepath.Join(s.Home, "publishing", key+".json")
	if err := r.loadJournal(ctx, key); err != nil {
		return nil, err
	}
	return r, nil
}

// loadProvers fetches the proving key of every column's circuit and loads it (compiling the
// circuit), once per circuit: columns of one circuit share a prover. At the secure ring an input
// circuit's takes tens of seconds and most of a gigabyte, so Publish runs it beside the commit
// pass, and the frequency-table circuit's prover is loaded only once these are released
// (releaseProvers, tableProver.load).
func (r *publishRun) loadProvers(ctx context.Context) error {
	byID := map[string]*zk.ChunkProver{}
	inputByID := map[string]*zk.InputProver{}
	provers := make([]*zk.ChunkProver, len(r.circuits))
	inputProvers := make([]*zk.InputProver, len(r.circuits))
	for i, c := range r.circuits {
		if p := byID[c.ID()]; p != nil {
			provers[i] = p
			continue
		}
		if p := inputByID[c.ID()]; p != nil {
			inputProvers[i] = p
			continue
		}
		if isInputKind(c.Kind) {
			lay, err := KindLayout(c.Kind, c.ChunkSize, c.Width)
			if err != nil {
				return fmt.Errorf("circuit %s: %w", c.ID(), err)
			}
			p, err := zk.NewInputProverFrom(lay, provingKeySource(ctx, r.s.Bucket, c.PK))
			if err != nil {
				return fmt.Errorf("load the proving key of circuit %s: %w", c.ID(), err)
			}
			inputByID[c.ID()], inputProvers[i] = p, p
			continue
		}
		pk, err := storage.GetBytes(ctx, r.s.Bucket, storage.Digest(c.PK))
		if err != nil {
			return fmt.Errorf("fetch the proving key of circuit %s: %w", c.ID(), err)
		}
		p, err := zk.NewChunkProver(int(c.ChunkSize), int(c.Width), pk)
		if err != nil {
			return fmt.Errorf("load the proving key of circuit %s: %w", c.ID(), err)
		}
		byID[c.ID()], provers[i] = p, p
	}
	r.provers, r.inputProvers = provers, inputProvers
	return nil
}

// provingKeySource reads the proving key with digest d from storage, checked against d, each
// time it is opened: an input circuit's key is streamed (zk.KeySource), never held as bytes.
func provingKeySource(ctx context.Context, b storage.Bucket, d rights.Digest) zk.KeySource {
	return func() (io.ReadCloser, error) { return storage.GetObject(ctx, b, storage.Digest(d)) }
}

// releaseProvers drops the columns' provers once every chunk is proven.
func (r *publishRun) releaseProvers() {
	r.provers, r.inputProvers = nil, nil
}

// intact reports whether the object with digest d is stored whole: it reads it through and
// checks its SHA-256. A missing, truncated or altered object is not intact; it will be
// uploaded again, which replaces it.
func intact(ctx context.Context, b storage.Bucket, d storage.Digest) (bool, error) {
	rc, err := storage.GetObject(ctx, b, d)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	if errors.Is(err, storage.ErrCorrupt) {
		return false, nil
	}
	return err == nil, err
}

// loadJournal reads the journal of an interrupted run with the same inputs, keeping only the
// ciphertexts still intact in storage, or starts an empty one.
func (r *publishRun) loadJournal(ctx context.Context, key string) error {
	fresh := &publishJournal{Format: journalFormat, Key: key}
	for i, c := range r.circuits {
		fresh.Columns = append(fresh.Columns, journalColumn{
			Circuit:     c.ID(),
			Chunks:      make([]*journalChunk, r.chunksOf(i)),
			Ciphertexts: make([]*rights.Digest, ceil(r.rows, r.slots)),
		})
	}
	r.journal = fresh
	b, err := os.ReadFile(r.journalPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the publish journal: %w", err)
	}
	var old publishJournal
	if err := json.Unmarshal(b, &old); err != nil || old.Format != journalFormat || old.Key != key || len(old.Columns) != len(fresh.Columns) {
		// A torn or foreign journal only costs the work it recorded.
		return nil
	}
	for i, oc := range old.Columns {
		fc := &fresh.Columns[i]
		if oc.Circuit != fc.Circuit || len(oc.Chunks) != len(fc.Chunks) || len(oc.Ciphertexts) != len(fc.Ciphertexts) {
			return nil
		}
	}
	for i, oc := range old.Columns {
		fc := &fresh.Columns[i]
		input := isInputKind(r.circuits[i].Kind)
		var hist *histogramColumn
		if i < len(r.hist) {
			hist = r.hist[i]
		}
		if hist != nil {
			// The commit pass is kept whole or not at all: α is drawn from it, and a chunk
			// proven at another α is of no use.
			if !hist.journalled(oc.Histogram, len(fc.Chunks), r.rows) {
				continue
			}
			fc.Histogram = oc.Histogram
		}
		for k, ch := range oc.Chunks {
			if ch != nil && len(ch.Commitment) == 32 && len(ch.Proof) > 0 && len(ch.Salt) == 32 && (len(ch.Evaluations) > 0) == input &&
				(hist == nil || len(ch.HistogramSum) == 32 && bytes.Equal(ch.Commitment, oc.Histogram.Commitments[k])) {
				fc.Chunks[k] = ch
			}
		}
		for j, d := range oc.Ciphertexts {
			if d == nil {
				continue
			}
			ok, err := intact(ctx, r.s.Bucket, storage.Digest(*d))
			if err != nil {
				return fmt.Errorf("check a journalled ciphertext in storage: %w", err)
			}
			if ok {
				fc.Ciphertexts[j] = d
			}
		}
		if input {
			// A proof without its ciphertext (lost from storage) cannot be used: the ciphertext
			// cannot be made again without the witness, which is gone, so both are redone; nor
			// can a ciphertext whose proof is missing be proven. Keep both or neither.
			for k := range fc.Chunks {
				if fc.Chunks[k] == nil || fc.Ciphertexts[k] == nil {
					fc.Chunks[k], fc.Ciphertexts[k] = nil, nil
				}
			}
		}
	}
	return nil
}

func (r *publishRun) saveJournal() error {
	r.mu.Lock()
	b, err := json.Marshal(r.journal)
	r.mu.Unlock()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(r.journalPath, b, 0o600); err != nil {
		return fmt.Errorf("save the publish journal: %w", err)
	}
	return nil
}

func ceil(a, b int) int { return (a + b - 1) / b }

func (r *publishRun) chunksOf(col int) int { return ceil(r.rows, int(r.circuits[col].ChunkSize)) }

// tables is how many frequency tables the publish proves: one per histogram column.
func (r *publishRun) tables() int {
	n := 0
	for _, h := range r.hist {
		if h != nil {
			n++
		}
	}
	return n
}

func (r *publishRun) chunks() int {
	n := 0
	for i := range r.circuits {
		n += r.chunksOf(i)
	}
	return n
}

// batchRows is how many rows the second pass reads before handing work on: a multiple of every
// column's chunk size and of the ciphertext slots, so every chunk and ciphertext but the last
// lies inside one batch.
func (r *publishRun) batchRows() int {
	b := r.slots
	for _, c := range r.circuits {
		b = lcm(b, int(c.ChunkSize))
	}
	return b
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// proofJob and encryptJob are one chunk to prove and one ciphertext's values to encrypt. In an
// input column a proof job is both: its chunk is ciphertext index's values, encrypted and proven
// together.
type proofJob struct {
	col, index int
	values     []int64
}

// provenChunk is a proof job's result; an input chunk's also names its uploaded ciphertext.
type provenChunk struct {
	proofJob
	chunk      journalChunk
	ciphertext *rights.Digest // input chunks only
}

type encryptJob struct {
	col, index int
	values     []int64
}

type uploaded struct {
	col, index int
	digest     rights.Digest
}

// publish runs the second pass as a pipeline: the reader cuts each batch of rows into chunk and
// ciphertext jobs (skipping what the journal has), proof workers prove chunks while an encrypt
// worker encrypts and an upload worker uploads, and this goroutine journals every result.
// Channels between the stages hold a few jobs, so memory stays flat as rows grow. An input
// column's chunks go to the proof workers only: each encrypts its chunk provably, proves it with
// the encryption's witness, drops the witness and uploads the ciphertext, so memory holds one
// witness per worker.
func (r *publishRun) publish(ctx context.Context, req PublishRequest, report func(PublishProgress)) error {
	if r.batchRows() > 1<<22 {
		return fmt.Errorf("the chunk sizes of the chosen circuits and %d-value ciphertexts only align every %d rows, too many to buffer", r.slots, r.batchRows())
	}
	workers := req.ProofWorkers
	if workers <= 0 {
		workers = zk.ProofWorkers()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	fail := func(err error) { cancel(err) }

	var rowsRead, proven, encrypted, uploadedN atomic.Int64
	proofJobs := make(chan proofJob, workers)
	encJobs := make(chan encryptJob, 1)
	toUpload := make(chan encryptedCT, 2)
	proofs := make(chan provenChunk, workers)
	uploads := make(chan uploaded, 2)

	// Count what an earlier run finished.
	r.mu.Lock()
	for _, c := range r.journal.Columns {
		for _, ch := range c.Chunks {
			if ch != nil {
				proven.Add(1)
				r.reused.Add(1)
			}
		}
		for _, d := range c.Ciphertexts {
			if d != nil {
				encrypted.Add(1)
				uploadedN.Add(1)
				r.reused.Add(1)
			}
		}
	}
	r.mu.Unlock()
	totalCTs := len(r.circuits) * ceil(r.rows, r.slots)
	snapshot := func() PublishProgress {
		return PublishProgress{Stage: "publish", Rows: int(rowsRead.Load()), TotalRows: r.rows, Chunks: r.chunks(),
			Proven: int(proven.Load()), Ciphertexts: totalCTs, Encrypted: int(encrypted.Load()),
			Uploaded: int(uploadedN.Load()), Reused: int(r.reused.Load())}
	}

	var wg sync.WaitGroup
	// Reader.
	wg.Go(func() {
		defer close(proofJobs)
		defer close(encJobs)
		if err := r.feed(ctx, req.CSV, &rowsRead, proofJobs, encJobs); err != nil {
			fail(err)
		}
	})
	// Provers.
	var provers sync.WaitGroup
	for range workers {
		provers.Go(func() {
			for job := range proofJobs {
				if ctx.Err() != nil {
					continue // drain, so the reader is not left blocked
				}
				c := r.schema.Columns[job.col]
				if isInputKind(r.circuits[job.col].Kind) {
					p, err := r.proveInput(ctx, job, &encrypted, &uploadedN)
					if err != nil {
						fail(fmt.Errorf("column %s chunk %d (rows %d-): %w", c.Name, job.index+1, job.index*r.slots+1, err))
						continue
					}
					proofs <- p
					continue
				}
				cp, err := r.provers[job.col].Prove(job.values, c.Min, c.Max)
				if err != nil {
					fail(fmt.Errorf("prove column %s chunk %d: %w", c.Name, job.index+1, err))
					continue
				}
				proofs <- provenChunk{proofJob: job, chunk: journalChunk{Commitment: cp.Commitment, Proof: cp.Proof, Salt: cp.Salt}}
			}
		})
	}
	wg.Go(func() {
		provers.Wait()
		close(proofs)
	})
	// Encrypter and uploader.
	wg.Go(func() {
		defer close(toUpload)
		for job := range encJobs {
			if ctx.Err() != nil {
				continue
			}
			cts, err := r.encrypt(job.values)
			if err == nil && len(cts) != 1 {
				err = fmt.Errorf("%d ciphertexts for %d values", len(cts), len(job.values))
			}
			if err != nil {
				fail(fmt.Errorf("encrypt column %s rows %d-: %w", r.schema.Columns[job.col].Name, job.index*r.slots+1, err))
				continue
			}
			encrypted.Add(1)
			toUpload <- encryptedCT{job.col, job.index, cts[0]}
		}
	})
	wg.Go(func() {
		defer close(uploads)
		for ct := range toUpload {
			if ctx.Err() != nil {
				continue
			}
			d, err := storage.PutBytes(ctx, r.s.Bucket, ct.data)
			if err != nil {
				fail(fmt.Errorf("upload a ciphertext of column %s: %w", r.schema.Columns[ct.col].Name, err))
				continue
			}
			uploadedN.Add(1)
			uploads <- uploaded{ct.col, ct.index, rights.Digest(d)}
		}
	})

	// Journal every result; save at most every second (and at the end), so a crash loses at
	// most a second of work.
	tick := newTicker()
	lastSave := time.Now()
	var saveErr error
	save := func(force bool) {
		if saveErr == nil && (force || time.Since(lastSave) >= time.Second) {
			saveErr = r.saveJournal()
			lastSave = time.Now()
		}
	}
	pending := 2
	for pending > 0 {
		select {
		case p, ok := <-proofs:
			if !ok {
				proofs, pending = nil, pending-1
				continue
			}
			r.mu.Lock()
			r.journal.Columns[p.col].Chunks[p.index] = &p.chunk
			if p.ciphertext != nil {
				r.journal.Columns[p.col].Ciphertexts[p.index] = p.ciphertext
			}
			r.mu.Unlock()
			proven.Add(1)
		case u, ok := <-uploads:
			if !ok {
				uploads, pending = nil, pending-1
				continue
			}
			r.mu.Lock()
			r.journal.Columns[u.col].Ciphertexts[u.index] = &u.digest
			r.mu.Unlock()
		}
		save(false)
		if tick.due() {
			report(snapshot())
		}
	}
	wg.Wait()
	save(true)
	report(snapshot())
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, errInputChanged) {
			// The journal holds chunks of a file that no longer exists as it was keyed.
			err = fmt.Errorf("%s %w", req.CSV.Name, err)
			if rmErr := os.Remove(r.journalPath); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				return errors.Join(err, rmErr)
			}
		}
		return err
	}
	if saveErr != nil {
		return saveErr
	}
	return r.complete()
}

// proveInput encrypts an input chunk provably, proves the chunk and its ciphertext together and
// uploads the ciphertext: exactly the bytes proven, whose digest the proof's binding holds.
func (r *publishRun) proveInput(ctx context.Context, job proofJob, encrypted, uploadedN *atomic.Int64) (provenChunk, error) {
	c := r.schema.Columns[job.col]
	prover := r.inputProvers[job.col]
	var want fr.Element
	prove := func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error) {
		return prover.Prove(job.values, c.Min, c.Max, w, polys, binding)
	}
	if h := r.hist[job.col]; h != nil {
		r.mu.Lock()
		jh := r.journal.Columns[job.col].Histogram
		r.mu.Unlock()
		var err error
		if prove, want, err = h.proveChunk(prover, jh, job.index, job.values); err != nil {
			return provenChunk{}, err
		}
	}
	pc, err := r.inputs.encryptAndProve(job.values, prove)
	if err != nil {
		return provenChunk{}, fmt.Errorf("encrypt and prove: %w", err)
	}
	if r.hist[job.col] != nil && !pc.Proof.Commitment.Equal(&want) {
		// The commit pass read other values for this chunk.
		return provenChunk{}, fmt.Errorf("%w: the chunk's values are not those the commit pass committed", errInputChanged)
	}
	encrypted.Add(1)
	d, err := storage.PutBytes(ctx, r.s.Bucket, pc.Ciphertext)
	if err != nil {
		return provenChunk{}, fmt.Errorf("upload its ciphertext: %w", err)
	}
	uploadedN.Add(1)
	digest := rights.Digest(d)
	cb, sb := pc.Proof.Commitment.Bytes(), pc.Proof.Salt.Bytes()
	p := provenChunk{proofJob: job, ciphertext: &digest, chunk: journalChunk{Commitment: cb[:], Proof: pc.Proof.Proof,
		Salt: sb[:], Evaluations: EncodeEvaluations(pc.Proof.Evaluations)}}
	if r.hist[job.col] != nil {
		hs := pc.Proof.HistogramSum.Bytes()
		p.chunk.HistogramSum = hs[:]
	}
	return p, nil
}

// errInputChanged is the CSV changing between the passes: nothing it led to is kept.
var errInputChanged = errors.New("changed while it was being published")

type encryptedCT struct {
	col, index int
	data       []byte
}

// complete checks that every chunk is proven and every ciphertext uploaded.
func (r *publishRun) complete() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range r.journal.Columns {
		for k, ch := range c.Chunks {
			if ch == nil {
				return fmt.Errorf("column %s chunk %d was not proven", r.schema.Columns[i].Name, k+1)
			}
		}
		for j, d := range c.Ciphertexts {
			if d == nil {
				return fmt.Errorf("column %s ciphertext %d was not uploaded", r.schema.Columns[i].Name, j+1)
			}
		}
	}
	return nil
}

// feed reads the CSV again, batch by batch, and sends every chunk and ciphertext the journal
// does not have yet. The first pass has checked every row; a file that changed in between is
// refused.
func (r *publishRun) feed(ctx context.Context, src CSVSource, rowsRead *atomic.Int64, proofJobs chan<- proofJob, encJobs chan<- encryptJob) error {
	f, err := src.Open()
	if err != nil {
		return fmt.Errorf("open %s: %w", src.Name, err)
	}
	defer f.Close()
	h := sha256.New()
	rr, err := NewRowReader(src.Name, io.TeeReader(f, h), r.schema)
	if err != nil {
		return err
	}
	batch := r.batchRows()
	cols := make([][]int64, len(r.schema.Columns))
	first := 0 // row index of cols[*][0]
	for {
		for i := range cols {
			cols[i] = make([]int64, 0, min(batch, r.rows-first))
		}
		for len(cols[0]) < batch {
			row, err := rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			for i, v := range row {
				cols[i] = append(cols[i], v)
			}
		}
		n := len(cols[0])
		rowsRead.Store(int64(rr.Rows()))
		if n == 0 || first+n > r.rows {
			break
		}
		// Every row is counted, also on a resumed run: the tables are not journalled (one
		// ciphertext per column, encrypted at the end).
		for i, vals := range cols {
			if err := r.freqs.Add(i, vals); err != nil {
				return err
			}
		}
		if err := r.sendBatch(ctx, first, cols, proofJobs, encJobs); err != nil {
			return err
		}
		first += n
		if n < batch {
			break
		}
	}
	if rr.Rows() != r.rows {
		return fmt.Errorf("%w: %d rows now, %d when it was checked", errInputChanged, rr.Rows(), r.rows)
	}
	if _, err := io.Copy(h, f); err != nil { // anything after the last row
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	var d [32]byte
	if h.Sum(d[:0]); d != r.input {
		return fmt.Errorf("%w: its SHA-256 differs from the first pass's", errInputChanged)
	}
	return nil
}

// sendBatch cuts one batch of column values (rows first to first+len) into the jobs the journal
// lacks. Each job gets its own slice of the batch, which no one writes again.
func (r *publishRun) sendBatch(ctx context.Context, first int, cols [][]int64, proofJobs chan<- proofJob, encJobs chan<- encryptJob) error {
	r.mu.Lock()
	j := r.journal
	r.mu.Unlock()
	for ci, vals := range cols {
		n := int(r.circuits[ci].ChunkSize)
		for off := 0; off < len(vals); off += n {
			k := (first + off) / n
			r.mu.Lock()
			done := j.Columns[ci].Chunks[k] != nil
			r.mu.Unlock()
			if done {
				continue
			}
			select {
			case proofJobs <- proofJob{ci, k, vals[off:min(off+n, len(vals))]}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		if isInputKind(r.circuits[ci].Kind) {
			continue // the proof jobs above encrypt the chunks too
		}
		for off := 0; off < len(vals); off += r.slots {
			k := (first + off) / r.slots
			r.mu.Lock()
			done := j.Columns[ci].Ciphertexts[k] != nil
			r.mu.Unlock()
			if done {
				continue
			}
			select {
			case encJobs <- encryptJob{ci, k, vals[off:min(off+r.slots, len(vals))]}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
	}
	return nil
}

// registration builds the RegisterDataset tx from the journal and uploads the manifest.
// freqs are the sealed frequency tables (sealFreqs), which go on chain but not in the manifest:
// their ciphertexts are fresh on every run, and registerOnce recognises a dataset by its manifest.
func (r *publishRun) registration(ctx context.Context, req PublishRequest, freqs []*rights.FrequencyTable) (*rights.RegisterDataset, storage.Digest, error) {
	msg := &rights.RegisterDataset{Name: req.Name, Description: req.Description, Rows: uint64(r.rows),
		Price: req.Price, KeyEpoch: r.epoch}
	man := manifest{Format: "dxp-dataset/2", Name: req.Name, Description: req.Description, Rows: r.rows, KeyEpoch: r.epoch}
	r.mu.Lock()
	for i, c := range r.schema.Columns {
		jc := r.journal.Columns[i]
		circ := r.circuits[i]
		col := rights.Column{Name: c.Name, Type: c.Type, Scale: c.Scale, Min: c.Min, Max: c.Max,
			ChunkSize: circ.ChunkSize, Width: circ.Width, Kind: circ.Kind, Frequencies: freqs[i]}
		mc := manifestColumn{Name: c.Name, Type: c.Type, Scale: c.Scale, Min: c.Min, Max: c.Max,
			Circuit: circ.ID(), ChunkSize: circ.ChunkSize}
		for _, d := range jc.Ciphertexts {
			col.Ciphertexts = append(col.Ciphertexts, *d)
		}
		for _, ch := range jc.Chunks {
			col.Chunks = append(col.Chunks, rights.Chunk{Commitment: ch.Commitment, Proof: ch.Proof, Evaluations: ch.Evaluations,
				HistogramSum: ch.HistogramSum})
			mc.Commitments = append(mc.Commitments, hex.EncodeToString(ch.Commitment))
		}
		mc.Ciphertexts = col.Ciphertexts
		msg.Columns = append(msg.Columns, col)
		man.Columns = append(man.Columns, mc)
	}
	r.mu.Unlock()
	manBytes, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return nil, storage.Digest{}, err
	}
	manDigest, err := storage.PutBytes(ctx, r.s.Bucket, manBytes)
	if err != nil {
		return nil, storage.Digest{}, fmt.Errorf("upload the manifest: %w", err)
	}
	msg.Manifest = rights.Digest(manDigest)
	return msg, manDigest, nil
}

// registerOnce submits msg unless the owner already holds a dataset with the same manifest: a
// run that registered but stopped before removing its journal is not registered twice.
func (s *Session) registerOnce(ctx context.Context, owner *Key, msg *rights.RegisterDataset) (string, int64, error) {
	held, err := client.ListBy[rights.Dataset](ctx, s.Chain, "holder", string(owner.Address()))
	if err != nil {
		return "", 0, err
	}
	sort.Slice(held, func(i, j int) bool { return held[i].Registered < held[j].Registered })
	for _, d := range held {
		if d.Manifest == msg.Manifest {
			return d.ID, d.Registered, nil
		}
	}
	receipt, err := s.Chain.Submit(ctx, owner.Private, rights.Msg{RegisterDataset: msg})
	if err != nil {
		return "", 0, fmt.Errorf("register the dataset: %w", err)
	}
	return receipt.ID, receipt.Height, nil
}

// awaitListed waits until the committee has checked dataset id's stored inputs: nil once it is
// listed, an error naming the committee's reason if it refused it. Until then the dataset is
// registered but pending, and nobody can compute on it.
func (s *Session) awaitListed(ctx context.Context, id string) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		d, err := client.Get[rights.Dataset](ctx, s.Chain, id)
		if err != nil {
			return err
		}
		switch d.Status {
		case rights.DatasetPending:
		case rights.DatasetRefused:
			return fmt.Errorf("dataset %s is registered, but the committee refused it: %s", id, d.Reason)
		default:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dataset %s is registered, but the committee has not checked its inputs yet (it is listed once a threshold of members have): %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// saltDoc is the owner's record of the salts that open dataset id's commitments.
func (r *publishRun) saltDoc(id string) ([]byte, error) {
	salts := map[string][]string{}
	tableSalts := map[string]string{}
	r.mu.Lock()
	for i, c := range r.schema.Columns {
		for _, ch := range r.journal.Columns[i].Chunks {
			salts[c.Name] = append(salts[c.Name], hex.EncodeToString(ch.Salt))
		}
		if h := r.journal.Columns[i].Histogram; h != nil {
			tableSalts[c.Name] = hex.EncodeToString(h.TableSalt)
		}
	}
	r.mu.Unlock()
	doc := map[string]any{"dataset": id, "salts": salts}
	if len(tableSalts) > 0 {
		doc["table_salts"] = tableSalts // they open the frequency tables' commitments
	}
	return json.Marshal(doc)
}
