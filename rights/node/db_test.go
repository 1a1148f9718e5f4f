package node

import (
	"bytes"
	"fmt"
	"testing"

	cfg "github.com/cometbft/cometbft/config"
)

// TestLevelBatch writes through the batches the node hands CometBFT: a big batch of puts and
// deletes lands exactly as written, an empty one syncs nothing, and a written batch takes no more.
func TestLevelBatch(t *testing.T) {
	c := cfg.DefaultConfig()
	c.SetRoot(t.TempDir())
	tr := &dbTracker{}
	db, err := tr.provider(&cfg.DBContext{ID: "test", Config: c})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.closeAll()
	if _, ok := db.NewBatch().(*levelBatch); !ok {
		t.Fatalf("a goleveldb database's batch is %T, want *levelBatch", db.NewBatch())
	}
	if err := db.SetSync([]byte("gone"), []byte("soon")); err != nil {
		t.Fatal(err)
	}
	const n = 20_000 // past goleveldb's 3,000 records, where its own batch stops doubling
	b := db.NewBatch()
	for i := range n {
		if err := b.Set(fmt.Appendf(nil, "k%06d", i), bytes.Repeat([]byte{byte(i)}, i%300)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete([]byte("gone")); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteSync(); err != nil {
		t.Fatal(err)
	}
	if err := b.Set([]byte("late"), []byte("x")); err == nil {
		t.Error("a written batch took another put")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	for _, i := range []int{0, 1, 2999, 3001, n - 1} {
		v, err := db.Get(fmt.Appendf(nil, "k%06d", i))
		if err != nil || !bytes.Equal(v, bytes.Repeat([]byte{byte(i)}, i%300)) {
			t.Errorf("k%06d = %d bytes, %v; want %d bytes of %d", i, len(v), err, i%300, byte(i))
		}
	}
	// The next batch reuses the written one's buffer: what the first wrote stays as written.
	b = db.NewBatch()
	for i := range 100 {
		if err := b.Set(fmt.Appendf(nil, "k%06d", i), []byte("second")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int][]byte{0: []byte("second"), 99: []byte("second"), 100: bytes.Repeat([]byte{100}, 100), 2999: bytes.Repeat([]byte{2999 % 256}, 2999%300)} {
		if v, err := db.Get(fmt.Appendf(nil, "k%06d", i)); err != nil || !bytes.Equal(v, want) {
			t.Errorf("after a second batch k%06d = %q, %v; want %q", i, v, err, want)
		}
	}
	if v, err := db.Get([]byte("gone")); err != nil || v != nil {
		t.Errorf("deleted key = %q, %v", v, err)
	}
	if err := db.NewBatch().WriteSync(); err != nil {
		t.Fatal(err)
	}
	if got := tr.syncs.Load(); got != 2 {
		t.Errorf("%d synced writes counted, want 2 (the SetSync and the batch; an empty batch syncs nothing)", got)
	}
}
