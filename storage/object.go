package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"time"
)

// Digest is the SHA-256 of an object's bytes, DXP's one digest type: the chain's rights.Digest is
// this type, so a digest on chain names an object here as it is.
type Digest [32]byte

// String returns the 64-character lower-case hex form.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d was never set.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText writes the hex form, so digests read as hex in JSON.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the hex form written by MarshalText.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDigest reads the form written by Digest.String: exactly 64 lower-case hex digits. Upper
// case is refused so that a digest has one spelling and one object key.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != hex.EncodedLen(len(d)) {
		return Digest{}, fmt.Errorf("storage: digest %q has %d characters, want 64 lower-case hex digits", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return Digest{}, fmt.Errorf("storage: digest %q is not lower-case hex (byte %d is %q)", s, i, c)
		}
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return Digest{}, fmt.Errorf("storage: digest %q: %w", s, err)
	}
	return d, nil
}

// DigestOf returns the SHA-256 of b.
func DigestOf(b []byte) Digest { return sha256.Sum256(b) }

// objectPrefix and stagingPrefix are the two key spaces PutObject writes. A staging object is
// an upload in progress (or one that a crash abandoned); it is never read by digest.
const (
	objectPrefix  = "objects/"
	stagingPrefix = "staging/"
)

// ObjectKey is the key of the content-addressed object with digest d: "objects/<hex>".
func ObjectKey(d Digest) string { return objectPrefix + d.String() }

// PutObject streams r into b as a content-addressed object and returns its digest and size.
// The bytes go to a fresh staging key while SHA-256 is computed, and are then moved to
// ObjectKey(digest), so neither memory nor a second read of r is needed and a failed upload
// leaves nothing under "objects/".
//
// Putting the same bytes again is harmless: an object already stored under the key is read
// back and kept only if it hashes to the digest, and the staging copy is then dropped. Anything
// else there (a truncated copy, or a fake of the same size planted by someone who can write to
// the bucket and predicted the key) is replaced by the real bytes, and a warning naming the key
// goes to slog's default logger: a planted object never silently wins.
func PutObject(ctx context.Context, b Bucket, r io.Reader) (Digest, int64, error) {
	staging, err := stagingKey()
	if err != nil {
		return Digest{}, 0, err
	}
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(r, h)}
	if err := b.Put(ctx, staging, cr); err != nil {
		return Digest{}, 0, fmt.Errorf("storage: put object: %w", err)
	}
	var d Digest
	h.Sum(d[:0])
	final := ObjectKey(d)

	info, err := b.Stat(ctx, final)
	switch {
	case err == nil && info.Size == cr.n:
		err := verifyStored(ctx, b, d)
		if err == nil {
			if err := b.Delete(ctx, staging); err != nil {
				return d, cr.n, fmt.Errorf("storage: put object %s: object already stored, but dropping the staging copy failed: %w", d, err)
			}
			return d, cr.n, nil
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotFound) {
			return d, cr.n, errors.Join(fmt.Errorf("storage: put object %s: verify the stored copy: %w", d, err), dropStaging(ctx, b, staging))
		}
		if errors.Is(err, ErrCorrupt) {
			slog.Default().Warn("storage: an object of the right size but the wrong content was stored under this key; replacing it with the real bytes",
				"key", final, "size", cr.n)
		}
	case err == nil:
		slog.Default().Warn("storage: an object of the wrong size was stored under this key; replacing it with the real bytes",
			"key", final, "size", cr.n, "stored_size", info.Size)
	case !errors.Is(err, ErrNotFound):
		return d, cr.n, errors.Join(fmt.Errorf("storage: put object %s: %w", d, err), dropStaging(ctx, b, staging))
	}
	if err := Move(ctx, b, staging, final); err != nil {
		return d, cr.n, errors.Join(fmt.Errorf("storage: put object %s: %w", d, err), dropStaging(ctx, b, staging))
	}
	return d, cr.n, nil
}

// verifyStored reads the object with digest d to its end and returns nil if it hashes to d, an
// error wrapping ErrCorrupt if it does not, and ErrNotFound if it is gone.
func verifyStored(ctx context.Context, b Bucket, d Digest) error {
	rc, err := GetObject(ctx, b, d)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

// dropStaging removes a staging object after a failure. It ignores the cancellation of ctx,
// which is often why the operation failed, because a leftover staging copy wastes space; a
// timeout still bounds it.
func dropStaging(ctx context.Context, b Bucket, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := b.Delete(ctx, key); err != nil {
		return fmt.Errorf("storage: drop staging copy %s: %w", key, err)
	}
	return nil
}

func stagingKey() (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("storage: staging key: %w", err)
	}
	return stagingPrefix + hex.EncodeToString(id[:]), nil
}

// PutBytes stores data as a content-addressed object and returns its digest.
func PutBytes(ctx context.Context, b Bucket, data []byte) (Digest, error) {
	d, _, err := PutObject(ctx, b, bytes.NewReader(data))
	return d, err
}

// GetObject opens the object with digest d. The reader hashes what it returns; at the end of
// the object it returns io.EOF only if the bytes match d, and otherwise an error wrapping
// ErrCorrupt that names d. Callers must therefore read to EOF and check the error before
// trusting any of the bytes. A missing object gives an error wrapping ErrNotFound.
func GetObject(ctx context.Context, b Bucket, d Digest) (io.ReadCloser, error) {
	rc, err := b.Get(ctx, ObjectKey(d))
	if err != nil {
		return nil, fmt.Errorf("storage: get object %s: %w", d, err)
	}
	return NewVerifier(rc, d), nil
}

// GetBytes reads the whole object with digest d and verifies it. When the driver knows the size
// (Sizer) up to maxSizeHint, the bytes go into one buffer of that size: growing one as they
// arrive allocates about three times the object and copies it (a committee member reads a 1.5 MB
// ciphertext per 16,384 rows of every computation).
func GetBytes(ctx context.Context, b Bucket, d Digest) ([]byte, error) {
	rc, err := b.Get(ctx, ObjectKey(d))
	if err != nil {
		return nil, fmt.Errorf("storage: get object %s: %w", d, err)
	}
	var buf bytes.Buffer
	if s, ok := rc.(Sizer); ok && s.Size() >= 0 && s.Size() <= maxSizeHint {
		// MinRead more: bytes.Buffer.ReadFrom wants that much room for the read that sees EOF.
		buf.Grow(int(s.Size()) + bytes.MinRead)
	}
	vr := NewVerifier(rc, d)
	_, err = buf.ReadFrom(vr)
	if cerr := vr.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("storage: get object %s: %w", d, cerr)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxSizeHint is the largest size GetBytes allocates for before the bytes arrive, so that a size
// a driver was told (a response header) cannot make it allocate more than it reads.
const maxSizeHint = 64 << 20

// HasObject reports whether an object with digest d is stored. It does not read or verify it.
func HasObject(ctx context.Context, b Bucket, d Digest) (bool, error) {
	_, err := b.Stat(ctx, ObjectKey(d))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("storage: has object %s: %w", d, err)
	}
}

// NewVerifier returns a reader that passes rc through and checks at EOF that what it read
// hashes to d. On a mismatch it returns, instead of io.EOF, an error wrapping ErrCorrupt that
// names d, and keeps returning it. Closing it closes rc.
func NewVerifier(rc io.ReadCloser, d Digest) io.ReadCloser {
	return &verifier{rc: rc, want: d, h: sha256.New()}
}

type verifier struct {
	rc   io.ReadCloser
	want Digest
	h    hash.Hash
	n    int64
	err  error // sticky: io.EOF after a match, the corruption error after a mismatch
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err != io.EOF {
		// Other errors (a dropped connection) are not evidence of tampering; pass them on
		// unchanged so the caller can retry.
		return n, err
	}
	var got Digest
	v.h.Sum(got[:0])
	if got == v.want {
		v.err = io.EOF
	} else {
		v.err = fmt.Errorf("storage: object %s: read %d bytes hashing to %s: %w", v.want, v.n, got, ErrCorrupt)
	}
	return n, v.err
}

func (v *verifier) Close() error { return v.rc.Close() }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
