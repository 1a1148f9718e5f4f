package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/dxplabs/dxp/storage"
)

// tempPrefix starts the name of every file Put writes before its rename. List skips such
// files, so keys whose last segment starts with it are refused rather than silently hidden.
const tempPrefix = ".dxp-tmp-"

// Bucket stores objects as files under a root directory. It is safe for concurrent use.
type Bucket struct {
	// All file access goes through an os.Root, so no key and no symlink planted under the
	// root can reach a file outside it, whatever ValidKey lets through.
	root *os.Root
	dir  string
}

var (
	_ storage.Bucket = (*Bucket)(nil)
	_ storage.Mover  = (*Bucket)(nil)
)

// Open opens the bucket rooted at the directory root, creating it (mode 0700) if needed.
// Close releases it.
func Open(root string) (*Bucket, error) {
	if root == "" {
		return nil, errors.New("storage/fs: open: empty root directory")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("storage/fs: open %s: %w", root, err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("storage/fs: open %s: %w", root, err)
	}
	return &Bucket{root: r, dir: root}, nil
}

// Close releases the root directory. The bucket must not be used afterwards.
func (b *Bucket) Close() error {
	if err := b.root.Close(); err != nil {
		return fmt.Errorf("storage/fs: close %s: %w", b.dir, err)
	}
	return nil
}

// Dir returns the root directory the bucket was opened with.
func (b *Bucket) Dir() string { return b.dir }

func checkKey(key string) error {
	if err := storage.ValidKey(key); err != nil {
		return err
	}
	if strings.HasPrefix(path.Base(key), tempPrefix) {
		return fmt.Errorf("%w %q: names starting with %q are reserved for the fs driver's temporary files",
			storage.ErrInvalidKey, key, tempPrefix)
	}
	return nil
}

// notFound reports whether err means there is no file at the key: either nothing is there, or
// a parent is a file ("a" exists and the key is "a/b").
func notFound(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Put writes r to a temporary file next to the key's file, syncs it, and renames it into
// place, so a reader sees either the old object or the whole new one, and a crash leaves at
// most an unlisted temporary file.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (err error) {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("storage/fs: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	dir := path.Dir(key)
	if err := b.root.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	f, tmp, err := b.createTemp(dir)
	if err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// f may already be closed; the interesting error is the one that got us here.
		if cerr := f.Close(); cerr != nil && !errors.Is(cerr, os.ErrClosed) {
			err = errors.Join(err, fmt.Errorf("storage/fs: put %s: close temporary file: %w", key, cerr))
		}
		if rerr := b.root.Remove(tmp); rerr != nil && !notFound(rerr) {
			err = errors.Join(err, fmt.Errorf("storage/fs: put %s: remove temporary file: %w", key, rerr))
		}
	}()
	if _, err := io.Copy(f, storage.ContextReader(ctx, r)); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	if err := b.root.Rename(tmp, key); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	if err := b.syncDir(dir); err != nil {
		return fmt.Errorf("storage/fs: put %s: %w", key, err)
	}
	return nil
}

func (b *Bucket) createTemp(dir string) (*os.File, string, error) {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, "", err
	}
	name := path.Join(dir, tempPrefix+hex.EncodeToString(id[:]))
	f, err := b.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", err
	}
	return f, name, nil
}

// syncDir makes a rename in dir durable: without it a crash can lose the new directory entry
// even though the file's bytes were synced.
func (b *Bucket) syncDir(dir string) error {
	d, err := b.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get opens the object's file. Reads fail once ctx is done.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("storage/fs: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storage/fs: get %s: %w", key, err)
	}
	f, err := b.root.Open(key)
	if notFound(err) {
		return nil, fmt.Errorf("storage/fs: get %s: %w", key, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage/fs: get %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		// A directory ("a" when "a/b" exists) is not an object.
		err = storage.ErrNotFound
	}
	if err != nil {
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fmt.Errorf("storage/fs: get %s: %w", key, err)
	}
	return &fileReader{ctx: ctx, f: f, size: fi.Size()}, nil
}

// Stat returns the object's size.
func (b *Bucket) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := checkKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("storage/fs: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, fmt.Errorf("storage/fs: stat %s: %w", key, err)
	}
	fi, err := b.root.Stat(key)
	if notFound(err) || err == nil && !fi.Mode().IsRegular() {
		return storage.Info{}, fmt.Errorf("storage/fs: stat %s: %w", key, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Info{}, fmt.Errorf("storage/fs: stat %s: %w", key, err)
	}
	return storage.Info{Key: key, Size: fi.Size()}, nil
}

// List walks only the directories that can hold keys with the prefix. Temporary files, and
// anything else under the root that is not a regular file with a valid key, are skipped.
func (b *Bucket) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := storage.ValidPrefix(prefix); err != nil {
		return nil, fmt.Errorf("storage/fs: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storage/fs: list %q: %w", prefix, err)
	}
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	var out []storage.Info
	err := iofs.WalkDir(b.root.FS(), start, func(p string, d iofs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			// Files and directories vanish under concurrent Deletes and Moves, and the
			// prefix's directory need not exist: none of that is an error for List.
			if notFound(err) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if p == "." || strings.HasPrefix(p+"/", prefix) || strings.HasPrefix(prefix, p+"/") {
				return nil
			}
			return iofs.SkipDir
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) ||
			!strings.HasPrefix(p, prefix) || storage.ValidKey(p) != nil {
			return nil
		}
		fi, err := d.Info()
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, storage.Info{Key: p, Size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage/fs: list %q: %w", prefix, err)
	}
	// WalkDir's order is per directory ("a/b" before "a-c"); callers want plain key order.
	slices.SortFunc(out, func(x, y storage.Info) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// Delete removes the object's file. Empty parent directories are left in place: removing
// them would race with a concurrent Put creating its temporary file there.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("storage/fs: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/fs: delete %s: %w", key, err)
	}
	fi, err := b.root.Lstat(key)
	if notFound(err) || err == nil && fi.IsDir() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage/fs: delete %s: %w", key, err)
	}
	if err := b.root.Remove(key); err != nil && !notFound(err) {
		return fmt.Errorf("storage/fs: delete %s: %w", key, err)
	}
	return nil
}

// Move renames the file, which is atomic and costs no copy.
func (b *Bucket) Move(ctx context.Context, from, to string) error {
	if err := checkKey(from); err != nil {
		return fmt.Errorf("storage/fs: move: %w", err)
	}
	if err := checkKey(to); err != nil {
		return fmt.Errorf("storage/fs: move: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/fs: move %s to %s: %w", from, to, err)
	}
	fi, err := b.root.Lstat(from)
	if notFound(err) || err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("storage/fs: move %s to %s: %w", from, to, storage.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage/fs: move %s to %s: %w", from, to, err)
	}
	dir := path.Dir(to)
	if err := b.root.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage/fs: move %s to %s: %w", from, to, err)
	}
	if err := b.root.Rename(from, to); err != nil {
		if notFound(err) {
			err = storage.ErrNotFound
		}
		return fmt.Errorf("storage/fs: move %s to %s: %w", from, to, err)
	}
	if err := b.syncDir(dir); err != nil {
		return fmt.Errorf("storage/fs: move %s to %s: %w", from, to, err)
	}
	return nil
}

// fileReader is what Get returns: the file, read only while the Get's context is live.
type fileReader struct {
	ctx  context.Context
	f    *os.File
	size int64 // when opened
}

// Size is the file's size when it was opened (storage.Sizer).
func (r *fileReader) Size() int64 { return r.size }

func (r *fileReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}

func (r *fileReader) Close() error { return r.f.Close() }
