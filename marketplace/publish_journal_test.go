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
