package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Drivers wrap them with the key, so test with errors.Is.
var (
	ErrNotFound   = errors.New("storage: object not found")
	ErrInvalidKey = errors.New("storage: invalid key")
	ErrCorrupt    = errors.New("storage: object does not match its digest")
)

// MaxKeyLen is the longest key, in bytes, that ValidKey accepts. It leaves room under the
// 1024-byte S3 limit and the usual 4096-byte path limit for a driver's own prefixes.
const MaxKeyLen = 512

// MaxSegmentLen is the longest segment, in bytes, that ValidKey accepts: the file name limit of
// common filesystems, so a key that one driver accepts every driver can store.
const MaxSegmentLen = 255

// Info describes a stored object.
type Info struct {
	Key  string
	Size int64
}

// Bucket is a flat namespace of objects. Keys are slash-separated, non-empty, no leading "/",
// no "." or ".." segments, no backslash or NUL, at most 512 bytes; anything else is refused with
// an error wrapping ErrInvalidKey (see ValidKey).
//
// Implementations are safe for concurrent use.
type Bucket interface {
	// Put stores the whole of r under key, atomically: on any error nothing (or the previous
	// object) is visible. The write has succeeded only when Put returned nil.
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens the object for reading; the caller closes it. A missing key gives ErrNotFound.
	// The reader implements Sizer if opening the object told the driver its size.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object. A missing key gives ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every object whose key starts with prefix, sorted by key. The prefix need
	// not end at a "/": "a/b" matches "a/b", "a/bc" and "a/b/c".
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Sizer is implemented by a reader Bucket.Get returns when the driver learned the object's size in
// opening it (a file's size, a response's Content-Length), so that a reader of the whole object
// can read it into one buffer of that size rather than growing one. It is a hint: a reader still
// reads to EOF.
type Sizer interface {
	Size() int64
}

// Mover is implemented by a Bucket that can move an object without streaming it through the
// caller (a rename on a filesystem, a server-side copy on S3). Move replaces any object already
// at to, atomically, and removes from; a missing from gives ErrNotFound. Bucket users call the
// package function Move, which falls back to Get, Put and Delete for buckets without it.
type Mover interface {
	Move(ctx context.Context, from, to string) error
}

// Move moves the object at from to to, replacing any object there. It uses b's Mover
// implementation when there is one. Without it the copy goes through Get and Put, so to
// appears atomically but from is deleted only after to is complete.
func Move(ctx context.Context, b Bucket, from, to string) error {
	if m, ok := b.(Mover); ok {
		return m.Move(ctx, from, to)
	}
	if err := ValidKey(to); err != nil {
		return err
	}
	r, err := b.Get(ctx, from)
	if err != nil {
		return fmt.Errorf("storage: move %s to %s: %w", from, to, err)
	}
	err = b.Put(ctx, to, r)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: move %s to %s: %w", from, to, err)
	}
	if err := b.Delete(ctx, from); err != nil {
		return fmt.Errorf("storage: move %s to %s: remove source: %w", from, to, err)
	}
	return nil
}

// ValidKey reports whether key may name an object, with an error wrapping ErrInvalidKey that
// quotes the key and says what is wrong. Beyond the rules on Bucket it also refuses empty
// segments ("a//b", "a/"), segments longer than MaxSegmentLen and invalid UTF-8, so that every
// accepted key is its own clean path (path.Clean(key) == key), maps to exactly one file that
// the filesystem can name, and is a legal S3 object name.
func ValidKey(key string) error {
	if why := keyProblem(key); why != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why)
	}
	return nil
}

// ValidPrefix reports whether prefix may be passed to List: the empty prefix, or the start of
// some valid key ("a/", "a/b", "objects/0f").
func ValidPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	// A key that starts with prefix is either prefix itself or prefix plus at least one more
	// byte, so prefix is usable exactly when one of those can be a key. This reuses every rule
	// of ValidKey instead of restating them for prefixes.
	if keyProblem(prefix) == "" {
		return nil
	}
	if why := keyProblem(prefix + "x"); why != "" {
		return fmt.Errorf("%w prefix %q: no key can start with it: %s", ErrInvalidKey, prefix, why)
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.ContainsRune(key, 0):
		return "contains NUL"
	case strings.ContainsRune(key, '\\'):
		return "contains a backslash"
	case key[0] == '/':
		return "starts with /"
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return "has an empty segment"
		case ".", "..":
			return fmt.Sprintf("has a %q segment", seg)
		}
		if len(seg) > MaxSegmentLen {
			return fmt.Sprintf("has a segment longer than %d bytes", MaxSegmentLen)
		}
	}
	return ""
}

// ContextReader returns a reader that fails with ctx's error once ctx is done, so a long copy or
// upload stops between reads even when the driver has no request in flight.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return &ctxReader{ctx: ctx, r: r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
