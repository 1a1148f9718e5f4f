package marketplace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/spec"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// Histograms and noisy counts read a column's frequency table, not its rows: at publish every
// column's values are counted bin by bin (bins of the schema's "bin" width from the column's Min)
// and the counts encrypted as one ciphertext; its digest, Min and Bin go on chain with the column.
// The committee adds the tables of pooled datasets slot by slot and sums the bins of each bucket,
// so bucket edges must sit on bin boundaries.

// binWidth is a column's frequency-table bin width: the schema's, or else the smallest width that
// fits [Min, Max] into slots bins.
func binWidth(c ColumnSchema, slots int) (int64, error) {
	if c.Bin == 0 {
		b, err := mpc.DefaultBin(c.Min, c.Max, slots)
		if err != nil {
			return 0, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return b, nil
	}
	if err := mpc.CheckBin(c.Min, c.Max, c.Bin, slots); err != nil {
		least, _ := mpc.DefaultBin(c.Min, c.Max, slots)
		return 0, fmt.Errorf("column %s: bin %s is too narrow: [%s, %s] would need more than %d bins, one per ciphertext slot; declare a bin of at least %s",
			c.Name, FormatValue(big.NewInt(c.Bin), c.Scale), FormatValue(big.NewInt(c.Min), c.Scale), FormatValue(big.NewInt(c.Max), c.Scale),
			slots, FormatValue(big.NewInt(least), c.Scale))
	}
	return c.Bin, nil
}

// FrequencyTables counts every column of a schema bin by bin as its values stream past, then
// encrypts and uploads one table per column. A publisher that reads rows in chunks calls Add for
// each chunk of each column and Upload once at the end. Not safe for concurrent use.
type FrequencyTables struct {
	schema *Schema
	tables []*mpc.FrequencyTable
	bins   []int64
}

// NewFrequencyTables returns empty tables for every column of s, slots bins each.
func NewFrequencyTables(s *Schema, slots int) (*FrequencyTables, error) {
	f := &FrequencyTables{schema: s}
	for _, c := range s.Columns {
		bin, err := binWidth(c, slots)
		if err != nil {
			return nil, err
		}
		t, err := mpc.NewFrequencyTable(c.Min, bin, slots)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		f.tables, f.bins = append(f.tables, t), append(f.bins, bin)
	}
	return f, nil
}

// Add counts values of column col (its index in the schema).
func (f *FrequencyTables) Add(col int, values []int64) error {
	if col < 0 || col >= len(f.tables) {
		return fmt.Errorf("frequency tables: column %d of %d", col, len(f.tables))
	}
	for _, v := range values {
		if err := f.tables[col].Add(v); err != nil {
			return fmt.Errorf("column %s: %w", f.schema.Columns[col].Name, err)
		}
	}
	return nil
}

// Upload encrypts every table under the committee's public key, puts it in storage, and returns
// what the chain records for each column, in schema order.
func (f *FrequencyTables) Upload(ctx context.Context, bucket storage.Bucket, params heint.Parameters, pk *rlwe.PublicKey) ([]*rights.FrequencyTable, error) {
	return f.upload(ctx, bucket, params, pk, func(int) bool { return false })
}

// upload is Upload for the columns skip does not name; a skipped column's entry is nil.
func (f *FrequencyTables) upload(ctx context.Context, bucket storage.Bucket, params heint.Parameters, pk *rlwe.PublicKey, skip func(col int) bool) ([]*rights.FrequencyTable, error) {
	out := make([]*rights.FrequencyTable, len(f.tables))
	for i, t := range f.tables {
		if skip(i) {
			continue
		}
		c := f.schema.Columns[i]
		ct, err := t.Encrypt(params, pk)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		d, err := storage.PutBytes(ctx, bucket, ct)
		if err != nil {
			return nil, fmt.Errorf("upload the frequency table of column %s: %w", c.Name, err)
		}
		out[i] = &rights.FrequencyTable{Table: rights.Digest(d), Min: c.Min, Bin: f.bins[i]}
	}
	return out, nil
}

// pooledFrequencies returns the frequency table shape column name shares over datasets, with
// the column's pooled bounds and scale, or why a histogram or noisy count cannot use it.
func pooledFrequencies(datasets []*rights.Dataset, name string) (f *rights.FrequencyTable, lo, hi int64, scale uint32, err error) {
	for i, ds := range datasets {
		col := findColumn(ds, name)
		if col == nil {
			return nil, 0, 0, 0, fmt.Errorf("dataset %s has no column %q", ds.ID, name)
		}
		if col.Frequencies == nil {
			return nil, 0, 0, 0, fmt.Errorf("column %q of dataset %s has no frequency table (it was published before histograms), so the committee cannot compute a histogram or a noisy count over it", name, ds.ID)
		}
		if i == 0 {
			f, lo, hi, scale = col.Frequencies, col.Min, col.Max, col.Scale
			continue
		}
		if col.Frequencies.Min != f.Min || col.Frequencies.Bin != f.Bin {
			return nil, 0, 0, 0, fmt.Errorf("the frequency tables of column %q differ between datasets %s and %s (bins of %d from %d, and of %d from %d), so they cannot be pooled",
				name, datasets[0].ID, ds.ID, f.Bin, f.Min, col.Frequencies.Bin, col.Frequencies.Min)
		}
		lo, hi = min(lo, col.Min), max(hi, col.Max)
	}
	return f, lo, hi, scale, nil
}

// histogramEdges reads bucket edges written in the column's units and checks them as the chain
// will (spec's rules): 2 to spec.MaxHistogramBuckets+1 of them, strictly increasing, each on a
// bin boundary of the frequency table and within the bins that hold the column's values.
func histogramEdges(datasets []*rights.Dataset, name string, edges []string) ([]int64, error) {
	f, lo, hi, scale, err := pooledFrequencies(datasets, name)
	if err != nil {
		return nil, err
	}
	if err := spec.CheckEdgeCount(len(edges)); err != nil {
		return nil, err
	}
	unit := func(v int64) string { return FormatValue(big.NewInt(v), scale) }
	first, last := spec.BinSpan(f.Min, f.Bin, lo, hi)
	out := make([]int64, len(edges))
	for i, s := range edges {
		v, err := ParseValue(s, scale)
		if err != nil {
			return nil, fmt.Errorf("histogram edge %d: %w", i+1, err)
		}
		if i > 0 && v <= out[i-1] {
			return nil, fmt.Errorf("histogram edges must be strictly increasing, and %s follows %s", unit(v), unit(out[i-1]))
		}
		bv := big.NewInt(v)
		if !spec.OnBin(v, f.Min, f.Bin) {
			return nil, fmt.Errorf("histogram edge %s of column %q is not on a bin boundary: its frequency table has bins of width %s from %s, so edges are %s plus a multiple of %s",
				unit(v), name, unit(f.Bin), unit(f.Min), unit(f.Min), unit(f.Bin))
		}
		if bv.Cmp(first) < 0 || bv.Cmp(last) > 0 {
			return nil, fmt.Errorf("histogram edge %s of column %q lies outside [%s, %s], the bins that hold its values [%s, %s]",
				unit(v), name, FormatValue(first, scale), FormatValue(last, scale), unit(lo), unit(hi))
		}
		out[i] = v
	}
	return out, nil
}

// histogramInput is the committee's input for a histogram or a noisy count: the datasets'
// frequency tables in dataset order, their shape, and the buckets (none for a count).
func histogramInput(ctx context.Context, dataset func(context.Context, string) (*rights.Dataset, error), c *rights.Computation) (*mpc.HistogramInput, error) {
	if len(c.Columns) != 1 {
		return nil, fmt.Errorf("a %s takes one column, got %d", c.Op, len(c.Columns))
	}
	var datasets []*rights.Dataset
	for _, id := range c.Datasets {
		ds, err := dataset(ctx, id)
		if err != nil {
			return nil, err
		}
		datasets = append(datasets, ds)
	}
	f, _, _, _, err := pooledFrequencies(datasets, c.Columns[0])
	if err != nil {
		return nil, err
	}
	h := &mpc.HistogramInput{Min: f.Min, Bin: f.Bin, Edges: c.Edges}
	for _, ds := range datasets {
		h.Tables = append(h.Tables, findColumn(ds, c.Columns[0]).Frequencies.Table)
	}
	return h, nil
}

// Bucket is one bucket of a histogram: the count of values in [From, To), in the column's units.
type Bucket struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count string `json:"count"`
}

// histogramBuckets pairs decrypted counts with their edges.
func histogramBuckets(edges []int64, counts []*big.Int, scale uint32) []Bucket {
	out := make([]Bucket, len(counts))
	for b, n := range counts {
		out[b] = Bucket{From: FormatValue(big.NewInt(edges[b]), scale), To: FormatValue(big.NewInt(edges[b+1]), scale), Count: n.String()}
	}
	return out
}

// formatBuckets writes buckets on one line: "[0, 10): 4; [10, 20): 7".
func formatBuckets(bs []Bucket) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("[%s, %s): %s", b.From, b.To, b.Count)
	}
	return strings.Join(parts, "; ")
}

// Proven frequency tables. A CircuitInputHistogram column's table is proven to be the histogram
// of its values (circuits.HistogramLayout): each chunk's input proof exposes S_c = Σ_i 1/(α − b_i)
// over its rows' bins b_i, the table's own input proof (rights.CircuitFrequencyTable) exposes
// S_T = Σ_k h_k/(α − k) over its counts, and the chain accepts the table only if Σ_c S_c = S_T.
// That argument needs every value and every count fixed before α is known, so a publish with
// histogram columns runs a commit pass first (commitHistograms): it reads the CSV, commits every
// chunk of every histogram column under a fresh salt (zk.CommitInput), counts the column bin by
// bin and commits the counts, and journals all of it before anything is proven. α is then the
// chain's challenge over those commitments (Verifier.HistogramChallenge with
// rights.HistogramContext(owner, column)), and every chunk is proven with its journalled salt at
// that α (proveChunk), the table last (proveTable). A resumed publish re-derives the same α from
// the journal and never commits a chunk again. The salts and counts are secrets: they live in the
// journal (0600, in the owner's home) and nowhere else.

// isInputKind reports whether kind is a column input circuit: one chunk per ciphertext, proven
// together with its encryption.
func isInputKind(kind rights.CircuitKind) bool {
	return kind == rights.CircuitInput || kind == rights.CircuitInputHistogram
}

// journalHistogram is a histogram column's commit pass, as journalled.
type journalHistogram struct {
	Commitments     [][]byte `json:"commitments"` // per chunk, in row order
	Salts           [][]byte `json:"salts"`
	Counts          []int64  `json:"counts"` // the frequency table: one count per slot
	TableCommitment []byte   `json:"table_commitment"`
	TableSalt       []byte   `json:"table_salt"`
}

// histogramColumn is a publish's histogram check of one CircuitInputHistogram column.
type histogramColumn struct {
	column ColumnSchema
	lay    circuits.InputLayout // the column side's
	bin    int64                // the frequency table's bins: [Min + k·bin, Min + (k+1)·bin)
	slots  int
	alpha  fr.Element // the column's α, once drawn (commitHistograms)
}

func newHistogramColumn(c ColumnSchema, bin int64, circ rights.Circuit, slots int) (*histogramColumn, error) {
	lay, err := KindLayout(circ.Kind, circ.ChunkSize, circ.Width)
	if err != nil {
		return nil, fmt.Errorf("circuit %s: %w", circ.ID(), err)
	}
	return &histogramColumn{column: c, lay: lay, bin: bin, slots: slots}, nil
}

// journalled reports whether jh is a whole commit pass of this column for a dataset of rows
// rows in chunks chunks.
func (h *histogramColumn) journalled(jh *journalHistogram, chunks, rows int) bool {
	if jh == nil || len(jh.Commitments) != chunks || len(jh.Salts) != chunks || len(jh.Counts) != h.slots ||
		!canonical(jh.TableCommitment) || !canonical(jh.TableSalt) {
		return false
	}
	for k := range jh.Commitments {
		if !canonical(jh.Commitments[k]) || !canonical(jh.Salts[k]) {
			return false
		}
	}
	total := int64(0)
	for _, n := range jh.Counts {
		if n < 0 {
			return false
		}
		total += n
	}
	return total == int64(rows)
}

// canonical reports whether b is a canonical 32-byte field element.
func canonical(b []byte) bool {
	var x fr.Element
	return x.SetBytesCanonical(b) == nil
}

// drawAlpha sets the column's α: the chain's challenge (Verifier.HistogramChallenge) over the
// journalled commitments, for the column of owner's listing.
func (h *histogramColumn) drawAlpha(owner rights.Address, jh *journalHistogram) error {
	a, err := Verifier{}.HistogramChallenge(rights.HistogramContext(owner, h.column.Name), jh.Commitments, jh.TableCommitment, h.column.Min, h.bin)
	if err != nil {
		return err
	}
	if err := h.alpha.SetBytesCanonical(a); err != nil {
		return errors.New("the histogram challenge is not a canonical field element")
	}
	return nil
}

// proveChunk returns the proof of chunk index (values) at the column's α with its journalled salt,
// for inputEncrypter.encryptAndProve, and the commitment the proof must carry.
func (h *histogramColumn) proveChunk(prover *zk.InputProver, jh *journalHistogram, index int, values []int64) (func(circuits.EncryptionWitness, []circuits.GroupPolys, fr.Element) (zk.InputProof, error), fr.Element, error) {
	var salt, want fr.Element
	if jh == nil || index < 0 || index >= len(jh.Salts) {
		return nil, want, fmt.Errorf("chunk %d was not committed in the commit pass", index+1)
	}
	if err := salt.SetBytesCanonical(jh.Salts[index]); err != nil {
		return nil, want, fmt.Errorf("chunk %d: its journalled salt is not a field element", index+1)
	}
	if err := want.SetBytesCanonical(jh.Commitments[index]); err != nil {
		return nil, want, fmt.Errorf("chunk %d: its journalled commitment is not a field element", index+1)
	}
	st := circuits.HistogramStatement{Alpha: h.alpha, Min: h.column.Min, Bin: h.bin}
	c := h.column
	return func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error) {
		return prover.ProveHistogram(values, c.Min, c.Max, salt, w, polys, binding, st)
	}, want, nil
}

// histograms reports whether the publish has a histogram column.
func (r *publishRun) histograms() bool {
	for _, h := range r.hist {
		if h != nil {
			return true
		}
	}
	return false
}

// commitHistograms runs the commit pass of every histogram column the journal has not committed
// yet, journals it, and draws every histogram column's α from its journalled commitments.
func (r *publishRun) commitHistograms(ctx context.Context, src CSVSource, report func(PublishProgress)) error {
	r.mu.Lock()
	var todo []int
	for i, h := range r.hist {
		if h != nil && r.journal.Columns[i].Histogram == nil {
			todo = append(todo, i)
		}
	}
	r.mu.Unlock()
	if len(todo) > 0 {
		done, err := r.commitPass(ctx, src, todo, report)
		if err != nil {
			return err
		}
		r.mu.Lock()
		for i, jh := range done {
			r.journal.Columns[i].Histogram = jh
		}
		r.mu.Unlock()
		// Saved before any proof: a chunk is only ever proven at the α of journalled commitments.
		if err := r.saveJournal(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, h := range r.hist {
		if h == nil {
			continue
		}
		if err := h.drawAlpha(r.owner, r.journal.Columns[i].Histogram); err != nil {
			return fmt.Errorf("column %s: %w", h.column.Name, err)
		}
	}
	return nil
}

// commitPass reads the CSV once more and commits, for each column of todo, every chunk under a
// fresh salt and its frequency table's counts. The first pass has checked every row; a file that
// changed in between is refused.
func (r *publishRun) commitPass(ctx context.Context, src CSVSource, todo []int, report func(PublishProgress)) (map[int]*journalHistogram, error) {
	f, err := src.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", src.Name, err)
	}
	defer f.Close()
	hash := sha256.New()
	rr, err := NewRowReader(src.Name, io.TeeReader(f, hash), r.schema)
	if err != nil {
		return nil, err
	}
	out := map[int]*journalHistogram{}
	chunk := map[int][]int64{}
	for _, i := range todo {
		out[i] = &journalHistogram{Counts: make([]int64, r.slots)}
		chunk[i] = make([]int64, 0, r.slots)
	}
	commit := func(i int) error {
		h := r.hist[i]
		c, salt, err := zk.CommitInput(h.lay, chunk[i], h.column.Min)
		if err != nil {
			return fmt.Errorf("column %s: %w", h.column.Name, err)
		}
		cb, sb := c.Bytes(), salt.Bytes()
		out[i].Commitments, out[i].Salts = append(out[i].Commitments, cb[:]), append(out[i].Salts, sb[:])
		chunk[i] = chunk[i][:0]
		return nil
	}
	tick := newTicker()
	for {
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, i := range todo {
			h := r.hist[i]
			b, err := circuits.Bucket(row[i], h.column.Min, h.bin, r.slots)
			if err != nil {
				return nil, fmt.Errorf("column %s row %d: %w", h.column.Name, rr.Rows(), err)
			}
			out[i].Counts[b]++
			if chunk[i] = append(chunk[i], row[i]); len(chunk[i]) == r.slots {
				if err := commit(i); err != nil {
					return nil, err
				}
			}
		}
		if rr.Rows()%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if tick.due() {
				report(PublishProgress{Stage: "commit", Rows: rr.Rows(), TotalRows: r.rows})
			}
		}
	}
	if rr.Rows() != r.rows {
		return nil, fmt.Errorf("%s %w: %d rows now, %d when it was checked", src.Name, errInputChanged, rr.Rows(), r.rows)
	}
	if _, err := io.Copy(hash, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", src.Name, err)
	}
	var d [32]byte
	if hash.Sum(d[:0]); d != r.input {
		return nil, fmt.Errorf("%s %w: its SHA-256 differs from the first pass's", src.Name, errInputChanged)
	}
	for _, i := range todo {
		if len(chunk[i]) > 0 {
			if err := commit(i); err != nil {
				return nil, err
			}
		}
		c, salt, err := zk.CommitInput(r.table.lay, out[i].Counts, 0)
		if err != nil {
			return nil, fmt.Errorf("column %s: the frequency table: %w", r.hist[i].column.Name, err)
		}
		cb, sb := c.Bytes(), salt.Bytes()
		out[i].TableCommitment, out[i].TableSalt = cb[:], sb[:]
	}
	report(PublishProgress{Stage: "commit", Rows: rr.Rows(), TotalRows: r.rows})
	return out, nil
}

// tableProver proves frequency tables with a registered CircuitFrequencyTable circuit. The commit
// pass needs only its layout; its prover is loaded when the first table is proven (load).
type tableProver struct {
	circuit rights.Circuit
	lay     circuits.InputLayout
	prover  *zk.InputProver
}

func newTableProver(c rights.Circuit) (*tableProver, error) {
	lay, err := KindLayout(c.Kind, c.ChunkSize, c.Width)
	if err != nil {
		return nil, fmt.Errorf("circuit %s: %w", c.ID(), err)
	}
	return &tableProver{circuit: c, lay: lay}, nil
}

// load fetches the circuit's proving key and loads it, once. At the secure ring a prover holds
// most of a gigabyte: the columns' provers are released by then (publishRun.releaseProvers), and a
// collection first returns their memory to the heap, so that the process never holds two.
func (t *tableProver) load(ctx context.Context, b storage.Bucket) error {
	if t.prover != nil {
		return nil
	}
	runtime.GC()
	var err error
	if t.prover, err = zk.NewInputProverFrom(t.lay, provingKeySource(ctx, b, t.circuit.PK)); err != nil {
		return fmt.Errorf("load the proving key of circuit %s: %w", t.circuit.ID(), err)
	}
	return nil
}

// proveTable encrypts histogram column col's journalled counts as a fresh input ciphertext
// (mpc.EncryptProvable at mpc.InputLevel, one count per slot), proves it with the table circuit
// at the column's α with the journalled salt, uploads it and returns the column's
// rights.FrequencyTable: the table's claim is Min 0, Max = rows, every slot a real row.
func (r *publishRun) proveTable(ctx context.Context, col int) (*rights.FrequencyTable, error) {
	h := r.hist[col]
	r.mu.Lock()
	jh := r.journal.Columns[col].Histogram
	r.mu.Unlock()
	if jh == nil {
		return nil, errors.New("the frequency table was not committed")
	}
	var salt fr.Element
	if err := salt.SetBytesCanonical(jh.TableSalt); err != nil {
		return nil, errors.New("the frequency table's journalled salt is not a field element")
	}
	if err := r.table.load(ctx, r.s.Bucket); err != nil {
		return nil, err
	}
	counts, rows := jh.Counts, int64(r.rows)
	pc, err := r.inputs.encryptAndProve(counts, func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error) {
		return r.table.prover.ProveHistogram(counts, 0, rows, salt, w, polys, binding, circuits.HistogramStatement{Alpha: h.alpha})
	})
	if err != nil {
		return nil, fmt.Errorf("encrypt and prove the frequency table: %w", err)
	}
	cb := pc.Proof.Commitment.Bytes()
	if !bytes.Equal(cb[:], jh.TableCommitment) {
		return nil, errors.New("the frequency table's proof does not carry its journalled commitment")
	}
	d, err := storage.PutBytes(ctx, r.s.Bucket, pc.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("upload the frequency table: %w", err)
	}
	sum := pc.Proof.HistogramSum.Bytes()
	return &rights.FrequencyTable{Table: rights.Digest(d), Min: h.column.Min, Bin: h.bin, Width: r.table.circuit.Width,
		Commitment: cb[:], Proof: pc.Proof.Proof, Evaluations: EncodeEvaluations(pc.Proof.Evaluations), Sum: sum[:]}, nil
}
