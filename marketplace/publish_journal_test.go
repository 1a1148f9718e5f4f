package marketplace

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/storage/fs"
)

// TestJournalKeepsInputChunkWithItsCiphertext checks how a resumed publish reads the journal of
// an input column, where a chunk's proof is of exactly one ciphertext whose witness is gone: it
// keeps a chunk only together with its ciphertext, still intact in storage. A proof whose
// ciphertext was lost (never uploaded, or removed or altered since) is dropped, so the chunk is
// encrypted and proven afresh; a ciphertext without its proof is dropped too, never proven
// without its witness. A chunk column keeps each independently, as before.
func TestJournalKeepsInputChunkWithItsCiphertext(t *testing.T) {
	ctx := context.Background()
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(b string) *rights.Digest {
		d, err := storage.PutBytes(ctx, bucket, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		r := rights.Digest(d)
		return &r
	}
	chunk := func(input bool) *journalChunk {
		c := &journalChunk{Commitment: make([]byte, 32), Proof: []byte("proof"), Salt: make([]byte, 32)}
		if input {
			c.Evaluations = make([]byte, 256)
		}
		return c
	}
	lost := rights.Digest{1} // never stored
	input := rights.Circuit{ChunkSize: 4, Width: 8, Kind: rights.CircuitInput}
	plain := rights.Circuit{ChunkSize: 2, Width: 8}
	r := &publishRun{s: &Session{Bucket: bucket}, circuits: []rights.Circuit{input, plain}, rows: 16, slots: 4,
		journalPath: filepath.Join(t.TempDir(), "journal.json")}
	old := publishJournal{Format: journalFormat, Key: "k", Columns: []journalColumn{
		{Circuit: input.ID(),
			Chunks:      []*journalChunk{chunk(true), chunk(true), nil, chunk(false)},
			Ciphertexts: []*rights.Digest{put("ct0"), &lost, put("ct2"), put("ct3")}},
		{Circuit: plain.ID(),
			Chunks:      []*journalChunk{chunk(false), nil, chunk(false), nil, nil, nil, nil, nil},
			Ciphertexts: []*rights.Digest{&lost, put("ct1"), nil, nil}},
	}}
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.journalPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.loadJournal(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	in, ch := r.journal.Columns[0], r.journal.Columns[1]
	// Input column: 0 kept (proof and intact ciphertext); 1 dropped (ciphertext lost); 2 dropped
	// (no proof); 3 dropped (a chunk proof without evaluations is not an input proof).
	for k, want := range []bool{true, false, false, false} {
		if got := in.Chunks[k] != nil; got != want || (in.Ciphertexts[k] != nil) != want {
			t.Errorf("input chunk %d: kept proof %v, ciphertext %v; want both %v", k, got, in.Ciphertexts[k] != nil, want)
		}
	}
	// Chunk column: proofs and ciphertexts kept independently, a lost ciphertext dropped.
	if ch.Chunks[0] == nil || ch.Chunks[2] == nil || ch.Ciphertexts[0] != nil || ch.Ciphertexts[1] == nil {
		t.Errorf("chunk column after reload: chunks %v, ciphertexts %v; want chunks 0 and 2, ciphertext 1", ch.Chunks, ch.Ciphertexts)
	}
}

// TestJournalKeepsHistogramCommitPass checks how a resumed publish reads a histogram column's
// journal: α is drawn from the commit pass, so a whole commit pass is kept with the chunks proven
// for its commitments (a chunk whose commitment is not the journalled one is proven again), and a
// torn one (here, counts that do not add up to the rows) is dropped with every chunk of the
// column, which is then committed and proven afresh.
func TestJournalKeepsHistogramCommitPass(t *testing.T) {
	ctx := context.Background()
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(b string) *rights.Digest {
		d, err := storage.PutBytes(ctx, bucket, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		r := rights.Digest(d)
		return &r
	}
	elem := func(x byte) []byte { b := make([]byte, 32); b[31] = x; return b }
	chunk := func(commitment byte) *journalChunk {
		return &journalChunk{Commitment: elem(commitment), Proof: []byte("proof"), Salt: elem(9), Evaluations: make([]byte, 256), HistogramSum: elem(7)}
	}
	pass := func(total int64) *journalHistogram {
		return &journalHistogram{Commitments: [][]byte{elem(1), elem(2)}, Salts: [][]byte{elem(3), elem(4)},
			Counts: []int64{total - 1, 1, 0, 0}, TableCommitment: elem(5), TableSalt: elem(6)}
	}
	circ := rights.Circuit{ChunkSize: 4, Width: 8, Kind: rights.CircuitInputHistogram}
	for _, tc := range []struct {
		name      string
		pass      *journalHistogram
		wantPass  bool
		wantChunk []bool
	}{
		{"whole commit pass", pass(8), true, []bool{true, false}},
		{"torn commit pass", pass(7), false, []bool{false, false}},
		{"no commit pass", nil, false, []bool{false, false}},
	} {
		r := &publishRun{s: &Session{Bucket: bucket}, circuits: []rights.Circuit{circ}, rows: 8, slots: 4,
			hist:        []*histogramColumn{{column: ColumnSchema{Name: "h"}, slots: 4}},
			journalPath: filepath.Join(t.TempDir(), "journal.json")}
		// Chunk 0 was proven for the journalled commitment, chunk 1 for another.
		old := publishJournal{Format: journalFormat, Key: "k", Columns: []journalColumn{{Circuit: circ.ID(),
			Chunks: []*journalChunk{chunk(1), chunk(8)}, Ciphertexts: []*rights.Digest{put("ct0"), put("ct1")}, Histogram: tc.pass}}}
		b, err := json.Marshal(old)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(r.journalPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := r.loadJournal(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		c := r.journal.Columns[0]
		if (c.Histogram != nil) != tc.wantPass {
			t.Errorf("%s: commit pass kept %v, want %v", tc.name, c.Histogram != nil, tc.wantPass)
		}
		for k, want := range tc.wantChunk {
			if got := c.Chunks[k] != nil; got != want || (c.Ciphertexts[k] != nil) != want {
				t.Errorf("%s: chunk %d kept %v (ciphertext %v), want %v", tc.name, k, got, c.Ciphertexts[k] != nil, want)
			}
		}
	}
}

// TestChooseCircuitsHistogram: a column is proven with the input-histogram circuit where a
// frequency-table circuit of the ring holds the dataset's row count and the column's bin fits the
// circuit's width; otherwise with the plain input circuit.
func TestChooseCircuitsHistogram(t *testing.T) {
	const slots = 1024
	hist := rights.Circuit{Kind: rights.CircuitInputHistogram, ChunkSize: slots, Width: 8}
	plain := rights.Circuit{Kind: rights.CircuitInput, ChunkSize: slots, Width: 8}
	table := rights.Circuit{Kind: rights.CircuitFrequencyTable, ChunkSize: slots, Width: 8}
	otherRing := rights.Circuit{Kind: rights.CircuitFrequencyTable, ChunkSize: 2 * slots, Width: 32}
	narrow := &Schema{Columns: []ColumnSchema{{Name: "a", Min: 0, Max: 200}}}
	// Bins of 2^9 (2^19 values in 1,024 bins) do not fit a width-8 remainder.
	wideBins := &Schema{Columns: []ColumnSchema{{Name: "a", Min: 0, Max: 200, Bin: 1 << 9}}}
	for _, tc := range []struct {
		name       string
		registered []rights.Circuit
		schema     *Schema
		rows       uint64
		want       rights.CircuitKind
		wantTable  bool
	}{
		{"table fits", []rights.Circuit{plain, hist, table}, narrow, 255, rights.CircuitInputHistogram, true},
		{"more rows than the table counts", []rights.Circuit{plain, hist, table}, narrow, 256, rights.CircuitInput, false},
		{"no table of this ring", []rights.Circuit{plain, hist, otherRing}, narrow, 10, rights.CircuitInput, false},
		{"bin wider than the width", []rights.Circuit{plain, hist, table}, wideBins, 10, rights.CircuitInput, false},
	} {
		got, err := chooseCircuits(tc.registered, slots, tc.schema, tc.rows)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.columns[0].Kind != tc.want || (got.table != nil) != tc.wantTable {
			t.Errorf("%s: kind %q, table %v; want %q, table %v", tc.name, got.columns[0].Kind, got.table != nil, tc.want, tc.wantTable)
		}
	}
}
