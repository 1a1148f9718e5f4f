package fs_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/storage"
	storagefs "github.com/dxplabs/dxp/storage/fs"
	"github.com/dxplabs/dxp/storage/storagetest"
)

func open(t *testing.T, dir string) *storagefs.Bucket {
	t.Helper()
	b, err := storagefs.Open(dir)
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return b
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		return open(t, t.TempDir())
	})
}

func TestPermissions(t *testing.T) {
	root := filepath.Join(t.TempDir(), "new", "root")
	b := open(t, root)
	if err := b.Put(t.Context(), "a/b/c", strings.NewReader("secret share")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := storage.PutObject(t.Context(), b, strings.NewReader("object")); err != nil {
		t.Fatal(err)
	}
	var n int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", p, got, want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// root, a, a/b, a/b/c, objects, objects/<hex>, staging
	if n != 7 {
		t.Errorf("walked %d paths under the root, want 7", n)
	}
}

// Keys cannot reach outside the root, not even through a symlink planted inside it.
func TestEscape(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	b := open(t, root)
	outside := filepath.Join(parent, "outside")
	if err := os.WriteFile(outside, []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../outside", "a/../../outside", "/" + outside} {
		if _, err := b.Get(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := b.Put(t.Context(), key, strings.NewReader("overwritten")); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if err := os.Symlink(parent, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "filelink")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(t.Context(), "link/outside"); err == nil {
		t.Error("Get(link/outside) through a symlink out of the root succeeded")
	}
	if _, err := b.Get(t.Context(), "filelink"); err == nil {
		t.Error("Get(filelink), a symlink to a file out of the root, succeeded")
	}
	if err := b.Put(t.Context(), "link/outside", strings.NewReader("overwritten")); err == nil {
		t.Error("Put(link/outside) through a symlink out of the root succeeded")
	}
	if got, err := os.ReadFile(outside); err != nil || string(got) != "not yours" {
		t.Errorf("file outside the root now holds %q, %v", got, err)
	}
	infos, err := b.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 0 {
		t.Errorf("List(\"\") = %v, want symlinks skipped", infos)
	}
}

// Temporary files a crash left behind are not objects, and their names cannot be keys.
func TestTempFiles(t *testing.T) {
	root := t.TempDir()
	b := open(t, root)
	if err := b.Put(t.Context(), "dir/kept", strings.NewReader("k")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dir", ".dxp-tmp-0123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	infos, err := b.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := []storage.Info{{Key: "dir/kept", Size: 1}}; !slices.Equal(infos, got) {
		t.Errorf("List(\"\") = %v, want %v", infos, got)
	}
	if err := b.Put(t.Context(), "dir/.dxp-tmp-0123", strings.NewReader("x")); !errors.Is(err, storage.ErrInvalidKey) {
		t.Errorf("Put of a temporary file's name = %v, want ErrInvalidKey", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := storagefs.Open(""); err == nil {
		t.Error(`Open("") succeeded`)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := storagefs.Open(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Open(a regular file) = %v, want an error naming it", err)
	}
}

// A same-size fake planted under the key of an honest put does not win: see
// storagetest.AttackPlantedObject.
func TestAttackPlantedObject(t *testing.T) {
	storagetest.AttackPlantedObject(t, open(t, t.TempDir()))
}

// TestGetBytesReadsIntoOneBuffer: reading an 8 MiB object allocates about the object once (the
// file's size is known when it is opened), not the three times a growing buffer takes, and the
// bytes still come back whole and verified.
func TestGetBytesReadsIntoOneBuffer(t *testing.T) {
	b := open(t, t.TempDir())
	data := storagetest.Data(8<<20, 3)
	d, err := storage.PutBytes(t.Context(), b, data)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := storage.GetBytes(t.Context(), b, d)
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetBytes = %d bytes, %v; want the %d bytes put", len(got), err, len(data))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(data))*5/4 {
		t.Errorf("GetBytes of %d bytes allocated %d bytes, want at most 1.25 times the object", len(data), alloc)
	}
}
