package marketplace_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dxplabs/dxp/devnet"
	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	s3store "github.com/dxplabs/dxp/storage/s3"
)

// TestPublishOnMinIO publishes a few thousand rows through the real publish path into a real
// MinIO server: a CSV with a bad row is refused by line and column with nothing uploaded or
// registered; a publish cancelled midway resumes from its journal, reusing its chunks, and
// registers once; and a ciphertext overwritten in the bucket behind DXP's back, altered or
// truncated, fails to read with an error naming it.
func TestPublishOnMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and MinIO")
	}
	home := t.TempDir()
	where, cfg := minioStorage(t)
	dn := startDevnetWith(t, devnet.Config{Home: home, Storage: where})
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bucket, ok := s.Bucket.(*s3store.Bucket)
	if !ok {
		t.Fatalf("session storage is %T, want the S3 driver", s.Bucket)
	}
	mustKey(t, home, "owner1", rights.RoleOwner)
	owner, err := s.Key("owner1")
	if err != nil {
		t.Fatal(err)
	}
	objects := func() int {
		t.Helper()
		list, err := s.Bucket.List(ctx, "objects/")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	held := func() []rights.Dataset {
		t.Helper()
		ds, err := client.ListBy[rights.Dataset](ctx, s.Chain, "holder", string(owner.Address()))
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	tab := table(t, 3000, 11)
	csv := tab.CSV()

	// A bad row near the end: refused by line and column, after nothing was uploaded.
	before := objects()
	lines := strings.Split(string(csv), "\n")
	lines[2898] = "12,oops" // line 2899 of the file; the header is line 1
	bad := []byte(strings.Join(lines, "\n"))
	_, err = s.Publish(ctx, PublishRequest{From: "owner1", Name: "bad", Schema: tab.Schema, CSV: BytesSource("bad.csv", bad), Price: 1})
	var re *RowError
	if !errors.As(err, &re) || re.Line != 2899 || re.Column != "income" {
		t.Fatalf("Publish(bad row at line 2899) = %v, want a RowError at line 2899, column income", err)
	}
	if got := objects(); got != before {
		t.Errorf("a refused publish left %d objects in storage, want %d", got, before)
	}
	if ds := held(); len(ds) != 0 {
		t.Errorf("a refused publish registered %d datasets", len(ds))
	}

	// A CSV that changes between the passes (same rows, other values) is refused, and its
	// journal, keyed by the first pass's digest, is dropped.
	small, other := table(t, 200, 12), table(t, 200, 13)
	opens := 0
	changing := CSVSource{Name: "changing.csv", Open: func() (io.ReadCloser, error) {
		opens++
		if opens == 1 {
			return io.NopCloser(bytes.NewReader(small.CSV())), nil
		}
		return io.NopCloser(bytes.NewReader(other.CSV())), nil
	}}
	_, err = s.Publish(ctx, PublishRequest{From: "owner1", Name: "changing", Schema: small.Schema, CSV: changing, Price: 1})
	if err == nil || !strings.Contains(err.Error(), "changing.csv changed while it was being published") {
		t.Errorf("Publish(CSV changed between passes) = %v, want it refused", err)
	}
	if journals, _ := filepath.Glob(filepath.Join(home, "publishing", "*.json")); len(journals) != 0 {
		t.Errorf("journals left after a changed CSV: %v", journals)
	}
	if ds := held(); len(ds) != 0 {
		t.Errorf("a CSV that changed was registered")
	}

	// Interrupt a publish once a third of its chunks are proven (at least one: on a devnet with
	// input circuits a chunk is a whole ciphertext), then run it again.
	req := PublishRequest{From: "owner1", Name: "resumed", Schema: tab.Schema, CSV: BytesSource("gen.csv", csv), Price: 1}
	var chunks, stopAt int
	interrupted, stop := context.WithCancel(ctx)
	req.Progress = func(p PublishProgress) {
		if p.Stage != "publish" {
			return
		}
		chunks, stopAt = p.Chunks, max(1, p.Chunks/3)
		if p.Proven >= stopAt {
			stop()
		}
	}
	if _, err := s.Publish(interrupted, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Publish = %v, want context.Canceled", err)
	}
	stop()
	journals, err := filepath.Glob(filepath.Join(home, "publishing", "*.json"))
	if err != nil || len(journals) != 1 {
		t.Fatalf("journals after the interruption = %v, %v; want one", journals, err)
	}
	if st, err := os.Stat(journals[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode = %v, %v; want 0600", st.Mode(), err)
	}
	if ds := held(); len(ds) != 0 {
		t.Fatalf("an interrupted publish registered %d datasets", len(ds))
	}
	req.Progress = nil
	pub, err := s.Publish(ctx, req)
	if err != nil {
		t.Fatalf("resumed Publish = %v", err)
	}
	if pub.Reused < stopAt || pub.Chunks != chunks || pub.Rows != tab.Rows {
		t.Errorf("resumed Publish reused %d, proved %d chunks of %d rows; want at least %d reused of %d chunks, %d rows",
			pub.Reused, pub.Chunks, pub.Rows, stopAt, chunks, tab.Rows)
	}
	if ds := held(); len(ds) != 1 || ds[0].ID != pub.Dataset {
		t.Errorf("datasets held after the resumed publish = %d, want exactly %s", len(ds), pub.Dataset)
	}
	if journals, _ := filepath.Glob(filepath.Join(home, "publishing", "*.json")); len(journals) != 0 {
		t.Errorf("journals left after registration: %v", journals)
	}
	ds, err := client.Get[rights.Dataset](ctx, s.Chain, pub.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, c := range ds.Columns {
		if want := (tab.Rows + int(c.ChunkSize) - 1) / int(c.ChunkSize); len(c.Chunks) != want {
			t.Errorf("column %s lists %d chunks of %d rows; want %d for %d rows", c.Name, len(c.Chunks), c.ChunkSize, want, tab.Rows)
		}
		listed += len(c.Chunks)
	}
	if listed != chunks {
		t.Errorf("the listing has %d chunks, the interrupted publish counted %d", listed, chunks)
	}
	if err := VerifyDatasetCommitment(ds); err != nil {
		t.Error(err)
	}

	// Overwrite a ciphertext in the bucket directly: altered, then truncated.
	d := storage.Digest(ds.Columns[1].Ciphertexts[0])
	good, err := storage.GetBytes(ctx, s.Bucket, d)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"altered":   append(append([]byte{}, good[:100]...), append([]byte{good[100] ^ 1}, good[101:]...)...),
		"truncated": good[:len(good)/2],
	} {
		if _, err := bucket.Client().PutObject(ctx, cfg.Bucket, storage.ObjectKey(d), bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := storage.GetBytes(ctx, s.Bucket, d)
		if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), d.String()) {
			t.Errorf("reading the %s ciphertext = %v, want ErrCorrupt naming %s", name, err, d)
		}
	}
}
