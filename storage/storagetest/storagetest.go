package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dxplabs/dxp/storage"
)

// BigSize is the size of the largest object the suite streams: over 16 MiB, so that a driver
// uploading in 16 MiB parts (the s3 driver) completes a multipart upload of more than one part.
const BigSize = 17<<20 + 3

// Run runs the conformance suite. newBucket must return a new, empty bucket for each call; it
// is called once per subtest with the subtest's t, so it can register cleanups on it.
func Run(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b storage.Bucket)
	}{
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"Stat", testStat},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"Missing", testMissing},
		{"PrefixIsNotAnObject", testPrefixIsNotAnObject},
		{"Canceled", testCanceled},
		{"CanceledMidway", testCanceledMidway},
		{"FailingReader", testFailingReader},
		{"Move", testMove},
		{"PutObject", testPutObject},
		{"PutObjectIdempotent", testPutObjectIdempotent},
		{"Tampered", testTampered},
		{"Truncated", testTruncated},
		{"MissingObject", testMissingObject},
		{"HasObject", testHasObject},
		{"ConcurrentPutObject", testConcurrentPutObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newBucket(t))
		})
	}
}

// Data returns n deterministic pseudo-random bytes; different seeds give different bytes.
func Data(n int, seed uint64) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
	b := make([]byte, n)
	if _, err := r.Read(b); err != nil {
		panic(err) // ChaCha8.Read never fails
	}
	return b
}

// onlyReader hides everything but Read (bytes.Reader's Len, Seek, WriterTo), so drivers see
// a stream of unknown length as they would from a network or a pipe.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func stream(b []byte) io.Reader { return onlyReader{bytes.NewReader(b)} }

func put(t *testing.T, b storage.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), key, stream(data)); err != nil {
		t.Fatalf("Put(%q, %d bytes) = %v", key, len(data), err)
	}
}

func get(t *testing.T, b storage.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q) = %v", key, err)
	}
	size := int64(-1)
	if s, ok := rc.(storage.Sizer); ok {
		size = s.Size()
	}
	data, err := io.ReadAll(rc)
	if size >= 0 && size != int64(len(data)) {
		t.Errorf("Get(%q): the reader's Size() = %d, but it read %d bytes", key, size, len(data))
	}
	if cerr := rc.Close(); cerr != nil {
		t.Errorf("Get(%q): Close = %v", key, cerr)
	}
	if err != nil {
		t.Fatalf("Get(%q): read = %v", key, err)
	}
	return data
}

func wantContent(t *testing.T, b storage.Bucket, key string, want []byte) {
	t.Helper()
	got := get(t, b, key)
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %d bytes (sha256 %x), want %d bytes (sha256 %x)",
			key, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

func wantMissing(t *testing.T, b storage.Bucket, key string) {
	t.Helper()
	if info, err := b.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(%q) = %+v, %v, want ErrNotFound", key, info, err)
	}
	rc, err := b.Get(t.Context(), key)
	if err == nil {
		if cerr := rc.Close(); cerr != nil {
			t.Errorf("Get(%q): Close = %v", key, cerr)
		}
	}
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
	}
}

func list(t *testing.T, b storage.Bucket, prefix string) []storage.Info {
	t.Helper()
	infos, err := b.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q) = %v", prefix, err)
	}
	return infos
}

func keys(infos []storage.Info) []string {
	out := make([]string, 0, len(infos))
	for _, in := range infos {
		out = append(out, in.Key)
	}
	return out
}

func testRoundTrip(t *testing.T, b storage.Bucket) {
	for _, tc := range []struct {
		key  string
		data []byte
	}{
		{"empty", []byte{}},
		{"one", []byte{0x5a}},
		{"deep/path/to/big", Data(BigSize, 1)},
		{"unicode/é ü 数据+%20 (1).bin", []byte("keys may hold spaces, punctuation and non-ASCII text")},
	} {
		put(t, b, tc.key, tc.data)
		wantContent(t, b, tc.key, tc.data)
	}
}

func testOverwrite(t *testing.T, b storage.Bucket) {
	first, second := Data(3<<20, 2), []byte("shorter second version")
	put(t, b, "k", first)
	put(t, b, "k", second)
	wantContent(t, b, "k", second)
	if info, err := b.Stat(t.Context(), "k"); err != nil || info.Size != int64(len(second)) {
		t.Errorf("Stat(k) = %+v, %v, want size %d", info, err, len(second))
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{"k"}) {
		t.Errorf("List(\"\") = %q, want [k]", got)
	}
}

func testStat(t *testing.T, b storage.Bucket) {
	for _, n := range []int{0, 1, 1000, 1 << 20} {
		key := fmt.Sprintf("size/%d", n)
		put(t, b, key, Data(n, uint64(n)))
		info, err := b.Stat(t.Context(), key)
		if err != nil {
			t.Fatalf("Stat(%q) = %v", key, err)
		}
		if want := (storage.Info{Key: key, Size: int64(n)}); info != want {
			t.Errorf("Stat(%q) = %+v, want %+v", key, info, want)
		}
	}
}

func testList(t *testing.T, b storage.Bucket) {
	// Byte order, not walk order: '-' < '/' < 'b', so "a-b" sorts before "a/b" before "ab".
	all := []string{"list/a-b", "list/a/b", "list/a/c/d", "list/ab", "list/b/x", "list/b/y", "list/c"}
	for i, k := range slices.Backward(all) {
		put(t, b, k, Data(i+1, uint64(i))) // sizes 1..7 tell the entries apart
	}
	put(t, b, "other", []byte("x"))

	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", append(slices.Clone(all), "other")},
		{"list/", all},
		{"list", all},
		{"list/a", []string{"list/a-b", "list/a/b", "list/a/c/d", "list/ab"}},
		{"list/a/", []string{"list/a/b", "list/a/c/d"}},
		{"list/a/c/d", []string{"list/a/c/d"}},
		{"list/b/", []string{"list/b/x", "list/b/y"}},
		{"list/zz", nil},
		{"nothing/here/", nil},
	} {
		infos := list(t, b, tc.prefix)
		if got := keys(infos); !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
		for _, in := range infos {
			if i := slices.Index(all, in.Key); i >= 0 && in.Size != int64(i+1) {
				t.Errorf("List(%q): %s has size %d, want %d", tc.prefix, in.Key, in.Size, i+1)
			}
		}
	}
	for _, prefix := range []string{"../", "/", "/list", "list//", "a\\", "list/../"} {
		if infos, err := b.List(t.Context(), prefix); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("List(%q) = %q, %v, want ErrInvalidKey", prefix, keys(infos), err)
		}
	}
}

func testDelete(t *testing.T, b storage.Bucket) {
	put(t, b, "d/gone", []byte("bye"))
	put(t, b, "d/kept", []byte("stay"))
	if err := b.Delete(t.Context(), "d/gone"); err != nil {
		t.Fatalf("Delete(d/gone) = %v", err)
	}
	wantMissing(t, b, "d/gone")
	wantContent(t, b, "d/kept", []byte("stay"))
	if got := keys(list(t, b, "d/")); !slices.Equal(got, []string{"d/kept"}) {
		t.Errorf("List(d/) after delete = %q, want [d/kept]", got)
	}
	for _, key := range []string{"d/gone", "never/existed", "d"} {
		if err := b.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q) of a missing key = %v, want nil", key, err)
		}
	}
	// Put after Delete must work, including in a directory a delete may have emptied.
	put(t, b, "d/gone", []byte("back"))
	wantContent(t, b, "d/gone", []byte("back"))
}

// InvalidKeys are refused by every Bucket method with ErrInvalidKey.
var InvalidKeys = []string{
	"", "../x", "/abs", "a/../../b", "a\\b", "..", ".", "a/./b", "a/..", "./a",
	"a//b", "a/", "nul\x00byte", "bad\xffutf8",
	strings.Repeat("k", storage.MaxKeyLen+1),
	strings.Repeat("k", storage.MaxSegmentLen+1),
	longestKey + "k",
}

// longestKey is a valid key of MaxKeyLen bytes with segments of at most MaxSegmentLen.
var longestKey = strings.Repeat("k", storage.MaxSegmentLen) + "/" + strings.Repeat("k", storage.MaxKeyLen-storage.MaxSegmentLen-3) + "/k"

func testInvalidKeys(t *testing.T, b storage.Bucket) {
	ctx := t.Context()
	for _, key := range InvalidKeys {
		if err := storage.ValidKey(key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := b.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		rc, err := b.Get(ctx, key)
		if err == nil {
			if cerr := rc.Close(); cerr != nil {
				t.Errorf("Get(%q): Close = %v", key, cerr)
			}
		}
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := b.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := b.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
		put(t, b, "valid", []byte("v"))
		if err := storage.Move(ctx, b, "valid", key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Move(valid, %q) = %v, want ErrInvalidKey", key, err)
		}
		if err := storage.Move(ctx, b, key, "valid2"); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Move(%q, valid2) = %v, want ErrInvalidKey", key, err)
		}
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{"valid"}) {
		t.Errorf("List(\"\") after refused puts = %q, want [valid]", got)
	}
	if len(longestKey) != storage.MaxKeyLen {
		t.Fatalf("longestKey has %d bytes, want %d", len(longestKey), storage.MaxKeyLen)
	}
	put(t, b, longestKey, []byte("longest key"))
	wantContent(t, b, longestKey, []byte("longest key"))
}

func testMissing(t *testing.T, b storage.Bucket) {
	put(t, b, "present", []byte("p"))
	for _, key := range []string{"absent", "present/below", "no/such/dir/key"} {
		wantMissing(t, b, key)
	}
}

// A key that only prefixes other keys, like a directory, is not itself an object.
func testPrefixIsNotAnObject(t *testing.T, b storage.Bucket) {
	put(t, b, "dir/x", []byte("x"))
	wantMissing(t, b, "dir")
	if err := b.Delete(t.Context(), "dir"); err != nil {
		t.Errorf("Delete(dir) = %v, want nil", err)
	}
	wantContent(t, b, "dir/x", []byte("x"))
}

func testCanceled(t *testing.T, b storage.Bucket) {
	put(t, b, "present", []byte("p"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Put(ctx, "new", strings.NewReader("n")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with canceled ctx = %v, want context.Canceled", err)
	}
	wantMissing(t, b, "new")
	if rc, err := b.Get(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with canceled ctx = %v, want context.Canceled", err)
		if err == nil {
			if cerr := rc.Close(); cerr != nil {
				t.Errorf("Close = %v", cerr)
			}
		}
	}
	if _, err := b.Stat(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Stat with canceled ctx = %v, want context.Canceled", err)
	}
	if _, err := b.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("List with canceled ctx = %v, want context.Canceled", err)
	}
	if err := b.Delete(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with canceled ctx = %v, want context.Canceled", err)
	}
	wantContent(t, b, "present", []byte("p"))
	if _, _, err := storage.PutObject(ctx, b, strings.NewReader("obj")); !errors.Is(err, context.Canceled) {
		t.Errorf("PutObject with canceled ctx = %v, want context.Canceled", err)
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{"present"}) {
		t.Errorf("List(\"\") after canceled writes = %q, want [present]", got)
	}
}

// cancelingReader cancels its context once it has returned after bytes, as a client that
// gives up halfway through an upload would.
type cancelingReader struct {
	r      io.Reader
	after  int
	cancel context.CancelFunc
	n      int
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func testCanceledMidway(t *testing.T, b storage.Bucket) {
	old := []byte("previous version")
	put(t, b, "upload", old)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := &cancelingReader{r: bytes.NewReader(Data(8<<20, 3)), after: 1 << 20, cancel: cancel}
	if err := b.Put(ctx, "upload", r); !errors.Is(err, context.Canceled) {
		t.Errorf("Put canceled after 1 MiB = %v, want context.Canceled", err)
	}
	wantContent(t, b, "upload", old)

	// A reader of a large object stops once its context is done.
	big := Data(8<<20, 4)
	put(t, b, "big", big)
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	rc, err := b.Get(ctx, "big")
	if err != nil {
		t.Fatalf("Get(big) = %v", err)
	}
	defer func() {
		if err := rc.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	}()
	if _, err := io.ReadFull(rc, make([]byte, 1024)); err != nil {
		t.Fatalf("reading the first KiB = %v", err)
	}
	cancel()
	if n, err := io.Copy(io.Discard, rc); err == nil {
		t.Errorf("reading after cancel returned %d more bytes and no error, want an error", n)
	}
}

var errBoom = errors.New("storagetest: reader failed midway")

type failingReader struct {
	r io.Reader
}

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

func testFailingReader(t *testing.T, b storage.Bucket) {
	for _, n := range []int{0, 1 << 20, BigSize} {
		key := fmt.Sprintf("fail/%d", n)
		err := b.Put(t.Context(), key, failingReader{bytes.NewReader(Data(n, 5))})
		if !errors.Is(err, errBoom) {
			t.Errorf("Put(%q) of a reader failing after %d bytes = %v, want it to wrap %v", key, n, err, errBoom)
		}
		wantMissing(t, b, key)
	}
	if got := keys(list(t, b, "")); len(got) != 0 {
		t.Errorf("List(\"\") after failed puts = %q, want none", got)
	}

	old := []byte("previous version")
	put(t, b, "fail/over", old)
	if err := b.Put(t.Context(), "fail/over", failingReader{bytes.NewReader(Data(1<<20, 6))}); !errors.Is(err, errBoom) {
		t.Errorf("Put(fail/over) of a failing reader = %v, want it to wrap %v", err, errBoom)
	}
	wantContent(t, b, "fail/over", old)
}

// noMover hides a driver's Mover so storage.Move takes the generic path.
type noMover struct{ storage.Bucket }

func testMove(t *testing.T, b storage.Bucket) {
	for _, bb := range []storage.Bucket{b, noMover{b}} {
		_, native := bb.(storage.Mover)
		t.Run(fmt.Sprintf("native=%v", native), func(t *testing.T) {
			data := Data(2<<20, 7)
			put(t, bb, "m/src", data)
			put(t, bb, "m/dst", []byte("replaced"))
			if err := storage.Move(t.Context(), bb, "m/src", "m/dst"); err != nil {
				t.Fatalf("Move(m/src, m/dst) = %v", err)
			}
			wantMissing(t, bb, "m/src")
			wantContent(t, bb, "m/dst", data)
			if err := storage.Move(t.Context(), bb, "m/src", "m/other"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Move of a missing source = %v, want ErrNotFound", err)
			}
			wantMissing(t, bb, "m/other")
			if err := storage.Move(t.Context(), bb, "m/dst", "m/new/deeper"); err != nil {
				t.Fatalf("Move(m/dst, m/new/deeper) = %v", err)
			}
			wantContent(t, bb, "m/new/deeper", data)
			if err := bb.Delete(t.Context(), "m/new/deeper"); err != nil {
				t.Fatalf("Delete = %v", err)
			}
		})
	}
}

func putObject(t *testing.T, b storage.Bucket, data []byte) storage.Digest {
	t.Helper()
	d, n, err := storage.PutObject(t.Context(), b, stream(data))
	if err != nil {
		t.Fatalf("PutObject(%d bytes) = %v", len(data), err)
	}
	if want := storage.DigestOf(data); d != want {
		t.Errorf("PutObject(%d bytes) digest = %s, want %s", len(data), d, want)
	}
	if n != int64(len(data)) {
		t.Errorf("PutObject(%d bytes) size = %d", len(data), n)
	}
	return d
}

func wantNoStaging(t *testing.T, b storage.Bucket) {
	t.Helper()
	if got := keys(list(t, b, "staging/")); len(got) != 0 {
		t.Errorf("List(staging/) = %q, want no leftover staging copies", got)
	}
}

func testPutObject(t *testing.T, b storage.Bucket) {
	for i, data := range [][]byte{{}, []byte("hello, DXP"), Data(BigSize, 8)} {
		d := putObject(t, b, data)
		if info, err := b.Stat(t.Context(), storage.ObjectKey(d)); err != nil || info.Size != int64(len(data)) {
			t.Errorf("Stat(%s) = %+v, %v, want size %d", storage.ObjectKey(d), info, err, len(data))
		}
		got, err := storage.GetBytes(t.Context(), b, d)
		if err != nil {
			t.Fatalf("GetBytes(%s) = %v", d, err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("GetBytes(%s) = %d bytes, want %d", d, len(got), len(data))
		}
		rc, err := storage.GetObject(t.Context(), b, d)
		if err != nil {
			t.Fatalf("GetObject(%s) = %v", d, err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			t.Errorf("reading GetObject(%s) = %v", d, err)
		}
		if err := rc.Close(); err != nil {
			t.Errorf("GetObject(%s): Close = %v", d, err)
		}
		if got := storage.Digest(h.Sum(nil)); got != d {
			t.Errorf("GetObject(%s) streamed bytes hashing to %s", d, got)
		}
		if got := len(list(t, b, "objects/")); got != i+1 {
			t.Errorf("List(objects/) has %d objects, want %d", got, i+1)
		}
	}
	d, err := storage.PutBytes(t.Context(), b, []byte("put bytes"))
	if err != nil || d != storage.DigestOf([]byte("put bytes")) {
		t.Errorf("PutBytes = %s, %v, want %s", d, err, storage.DigestOf([]byte("put bytes")))
	}
	wantNoStaging(t, b)

	// A failed upload leaves no object and no staging copy.
	if _, _, err := storage.PutObject(t.Context(), b, failingReader{bytes.NewReader(Data(1<<20, 9))}); !errors.Is(err, errBoom) {
		t.Errorf("PutObject of a failing reader = %v, want it to wrap %v", err, errBoom)
	}
	if got := len(list(t, b, "objects/")); got != 4 {
		t.Errorf("List(objects/) after a failed PutObject has %d objects, want 4", got)
	}
	wantNoStaging(t, b)
}

func testPutObjectIdempotent(t *testing.T, b storage.Bucket) {
	data := Data(1<<20, 10)
	d1 := putObject(t, b, data)
	d2 := putObject(t, b, data)
	if d1 != d2 {
		t.Errorf("second PutObject digest = %s, want %s", d2, d1)
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{storage.ObjectKey(d1)}) {
		t.Errorf("List(\"\") after two identical puts = %q, want just %s", got, storage.ObjectKey(d1))
	}
	if got, err := storage.GetBytes(t.Context(), b, d1); err != nil || !bytes.Equal(got, data) {
		t.Errorf("GetBytes(%s) = %d bytes, %v, want %d bytes", d1, len(got), err, len(data))
	}
}

// wantCorrupt checks that both GetBytes and a streaming GetObject refuse the object with an
// ErrCorrupt that names its digest.
func wantCorrupt(t *testing.T, b storage.Bucket, d storage.Digest) {
	t.Helper()
	got, err := storage.GetBytes(t.Context(), b, d)
	if !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("GetBytes(%s) = %d bytes, %v, want ErrCorrupt", d, len(got), err)
	} else if !strings.Contains(err.Error(), d.String()) {
		t.Errorf("GetBytes(%s) error %q does not name the digest", d, err)
	}
	rc, err := storage.GetObject(t.Context(), b, d)
	if err != nil {
		t.Fatalf("GetObject(%s) = %v", d, err)
	}
	defer func() {
		if err := rc.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	}()
	_, err = io.Copy(io.Discard, rc)
	if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), d.String()) {
		t.Errorf("streaming GetObject(%s) ended with %v, want ErrCorrupt naming the digest", d, err)
	}
	// The error is sticky: a caller that reads again does not get a clean io.EOF.
	if _, err := rc.Read(make([]byte, 1)); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("Read after corruption = %v, want ErrCorrupt again", err)
	}
}

func testTampered(t *testing.T, b storage.Bucket) {
	data := Data(3<<20, 11)
	d := putObject(t, b, data)
	tampered := slices.Clone(data)
	tampered[len(tampered)/2] ^= 1
	put(t, b, storage.ObjectKey(d), tampered)
	wantCorrupt(t, b, d)

	put(t, b, storage.ObjectKey(d), []byte("entirely different bytes"))
	wantCorrupt(t, b, d)
}

func testTruncated(t *testing.T, b storage.Bucket) {
	data := Data(3<<20, 12)
	d := putObject(t, b, data)
	for _, short := range [][]byte{data[:len(data)-1], data[:1<<20], {}} {
		put(t, b, storage.ObjectKey(d), short)
		wantCorrupt(t, b, d)
	}
	// A put of the right bytes replaces a stored copy of the wrong size.
	putObject(t, b, data)
	if got, err := storage.GetBytes(t.Context(), b, d); err != nil || !bytes.Equal(got, data) {
		t.Errorf("GetBytes(%s) after re-put = %d bytes, %v, want the original %d bytes", d, len(got), err, len(data))
	}
}

func testMissingObject(t *testing.T, b storage.Bucket) {
	d := storage.DigestOf([]byte("never stored"))
	_, err := storage.GetBytes(t.Context(), b, d)
	if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), d.String()) {
		t.Errorf("GetBytes of a missing object = %v, want ErrNotFound naming %s", err, d)
	}
	rc, err := storage.GetObject(t.Context(), b, d)
	if err == nil {
		if cerr := rc.Close(); cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
	}
	if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), d.String()) {
		t.Errorf("GetObject of a missing object = %v, want ErrNotFound naming %s", err, d)
	}
}

func testHasObject(t *testing.T, b storage.Bucket) {
	data := []byte("has object")
	d := storage.DigestOf(data)
	has := func(want bool) {
		t.Helper()
		if got, err := storage.HasObject(t.Context(), b, d); err != nil || got != want {
			t.Errorf("HasObject(%s) = %v, %v, want %v", d, got, err, want)
		}
	}
	has(false)
	putObject(t, b, data)
	has(true)
	if err := b.Delete(t.Context(), storage.ObjectKey(d)); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	has(false)
}

func testConcurrentPutObject(t *testing.T, b storage.Bucket) {
	const workers = 8
	data := Data(2<<20, 13)
	want := storage.DigestOf(data)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	digests := make([]storage.Digest, workers)
	for i := range workers {
		wg.Go(func() {
			digests[i], _, errs[i] = storage.PutObject(t.Context(), b, stream(data))
		})
	}
	wg.Wait()
	for i := range workers {
		if errs[i] != nil || digests[i] != want {
			t.Errorf("PutObject #%d = %s, %v, want %s", i, digests[i], errs[i], want)
		}
	}
	if got, err := storage.GetBytes(t.Context(), b, want); err != nil || !bytes.Equal(got, data) {
		t.Errorf("GetBytes(%s) after concurrent puts = %d bytes, %v, want %d bytes", want, len(got), err, len(data))
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{storage.ObjectKey(want)}) {
		t.Errorf("List(\"\") after concurrent puts = %q, want just %s", got, storage.ObjectKey(want))
	}
}

// AttackPlantedObject is the planted-object attack on a real bucket b: someone with write
// access to the bucket (another party, or anyone holding a leaked key) stores a fake of the
// right size under the key that an honest PutObject of data will use, before that put runs.
// Content addresses are predictable (a committee output, a share: the chain names their
// digests), so this needs no luck. The honest put must replace the fake, say so in a log line
// naming the key, and leave an object that reads back verified. It also checks that a second
// put of the same bytes keeps the verified object and logs nothing.
func AttackPlantedObject(t *testing.T, b storage.Bucket) {
	logs := captureLogs(t)
	data := Data(3<<20+5, 14)
	d := storage.DigestOf(data)
	key := storage.ObjectKey(d)
	fake := Data(len(data), 15) // same size, other bytes
	put(t, b, key, fake)

	if got := putObject(t, b, data); got != d {
		t.Fatalf("PutObject = %s, want %s", got, d)
	}
	got, err := storage.GetBytes(t.Context(), b, d)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetBytes(%s) after an honest put over a planted fake = %d bytes, %v; want the honest %d bytes (the fake was kept)", d, len(got), err, len(data))
	}
	if line := logs.find(key); line == "" {
		t.Errorf("no log line names %s after PutObject replaced a planted fake; log:\n%s", key, logs.all())
	}
	wantNoStaging(t, b)

	// The verified object stays and is not rewritten or reported again.
	logs.reset()
	putObject(t, b, data)
	if line := logs.find(key); line != "" {
		t.Errorf("a second honest put logged %q, want silence for an object that verifies", line)
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{key}) {
		t.Errorf("List(\"\") = %q, want just %s", got, key)
	}
}

// logBuffer collects the lines of slog's default logger while a test runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

// find returns the first line that contains s, or "".
func (l *logBuffer) find(s string) string {
	for line := range strings.SplitSeq(l.all(), "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// captureLogs sends slog's default logger to a buffer until the test ends. Tests that call it
// must not run in parallel with each other.
func captureLogs(t *testing.T) *logBuffer {
	l := &logBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(l, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return l
}
