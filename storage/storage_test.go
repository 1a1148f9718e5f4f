package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/storage/storagetest"
)

func TestValidKey(t *testing.T) {
	for _, key := range []string{
		"a", "a/b", "objects/0f", "with space", "dots.in.name", "...", ".hidden/x", "a/..b", "é/数据",
		strings.Repeat("k", storage.MaxSegmentLen),
	} {
		if err := storage.ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range storagetest.InvalidKeys {
		err := storage.ValidKey(key)
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrInvalidKey", key, err)
			continue
		}
		if len(key) < 40 && !strings.Contains(err.Error(), fmt.Sprintf("%q", key)) {
			t.Errorf("ValidKey(%q) = %q, want the error to quote the key", key, err)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	for _, prefix := range []string{"", "a", "a/", "a/b", "a/.", "a/..", "objects/0f", strings.Repeat("k", 255) + "/"} {
		if err := storage.ValidPrefix(prefix); err != nil {
			t.Errorf("ValidPrefix(%q) = %v, want nil", prefix, err)
		}
	}
	for _, prefix := range []string{"/", "/a", "../", "a/../", "a//", "./", "a\\", "\x00", strings.Repeat("k", 513)} {
		if err := storage.ValidPrefix(prefix); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidPrefix(%q) = %v, want ErrInvalidKey", prefix, err)
		}
	}
}

// FuzzValidKey checks that an accepted key is clean and stays strictly inside any root it is
// joined to, which is what the fs driver relies on before os.Root even sees it.
func FuzzValidKey(f *testing.F) {
	for _, key := range storagetest.InvalidKeys {
		f.Add(key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := storage.ValidKey(key)
		if err != nil {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Fatalf("ValidKey(%q) = %v, want nil or ErrInvalidKey", key, err)
			}
			return
		}
		if len(key) == 0 || len(key) > storage.MaxKeyLen {
			t.Fatalf("ValidKey accepted %q of %d bytes", key, len(key))
		}
		for _, root := range []string{"/srv/dxp", "rel/root", "."} {
			p := filepath.Join(root, filepath.FromSlash(key))
			rel, err := filepath.Rel(root, p)
			if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
				t.Fatalf("ValidKey accepted %q, which joined to %q gives %q (relative %q, %v)", key, root, p, rel, err)
			}
			if filepath.ToSlash(rel) != key {
				t.Fatalf("ValidKey accepted %q, which filepath.Join cleans to %q", key, rel)
			}
		}
		if err := storage.ValidPrefix(key); err != nil {
			t.Fatalf("ValidKey accepted %q but ValidPrefix = %v", key, err)
		}
	})
}

func TestParseDigest(t *testing.T) {
	d := storage.DigestOf([]byte("abc"))
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := d.String(); got != abc {
		t.Fatalf("DigestOf(abc).String() = %s, want %s", got, abc)
	}
	if got, err := storage.ParseDigest(abc); err != nil || got != d {
		t.Errorf("ParseDigest(%s) = %s, %v, want %s", abc, got, err, d)
	}
	if got := storage.ObjectKey(d); got != "objects/"+abc {
		t.Errorf("ObjectKey = %s, want objects/%s", got, abc)
	}
	for _, bad := range []string{"", abc[:63], abc + "0", strings.ToUpper(abc), abc[:62] + "zz", " " + abc[1:], "0x" + abc[2:]} {
		if got, err := storage.ParseDigest(bad); err == nil {
			t.Errorf("ParseDigest(%q) = %s, want an error", bad, got)
		}
	}
	text, err := d.MarshalText()
	if err != nil || string(text) != abc {
		t.Errorf("MarshalText = %s, %v, want %s", text, err, abc)
	}
	var back storage.Digest
	if err := back.UnmarshalText(text); err != nil || back != d {
		t.Errorf("UnmarshalText(%s) = %s, %v", text, back, err)
	}
	if err := back.UnmarshalText([]byte("nope")); err == nil {
		t.Error("UnmarshalText(nope) succeeded")
	}
	if !(storage.Digest{}).IsZero() || d.IsZero() {
		t.Error("IsZero is wrong")
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestVerifier(t *testing.T) {
	data := storagetest.Data(100_000, 1)
	d := storage.DigestOf(data)
	for _, tc := range []struct {
		name    string
		content []byte
		corrupt bool
	}{
		{"intact", data, false},
		{"flipped", append(slices.Clone(data[:len(data)-1]), data[len(data)-1]^0x80), true},
		{"truncated", data[:len(data)-1], true},
		{"extended", append(slices.Clone(data), 0), true},
		{"empty", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader and DataErrReader exercise both ways a reader may report EOF.
			for _, wrap := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.DataErrReader} {
				src := &closeRecorder{Reader: wrap(bytes.NewReader(tc.content))}
				v := storage.NewVerifier(src, d)
				got, err := io.ReadAll(v)
				if !bytes.Equal(got, tc.content) {
					t.Errorf("read %d bytes, want all %d passed through", len(got), len(tc.content))
				}
				if tc.corrupt {
					if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), d.String()) {
						t.Errorf("ReadAll = %v, want ErrCorrupt naming %s", err, d)
					}
					if _, err := v.Read(make([]byte, 8)); !errors.Is(err, storage.ErrCorrupt) {
						t.Errorf("Read after corruption = %v, want ErrCorrupt again", err)
					}
				} else {
					if err != nil {
						t.Errorf("ReadAll = %v, want nil", err)
					}
					if n, err := v.Read(make([]byte, 8)); n != 0 || err != io.EOF {
						t.Errorf("Read after EOF = %d, %v, want 0, io.EOF", n, err)
					}
				}
				if err := v.Close(); err != nil || !src.closed {
					t.Errorf("Close = %v, closed underlying = %v", err, src.closed)
				}
			}
		})
	}

	// A transport error is passed on as is: it says nothing about the object.
	errNet := errors.New("connection reset")
	v := storage.NewVerifier(io.NopCloser(io.MultiReader(bytes.NewReader(data[:10]), iotest.ErrReader(errNet))), d)
	if _, err := io.ReadAll(v); !errors.Is(err, errNet) || errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("ReadAll over a failing transport = %v, want %v and not ErrCorrupt", err, errNet)
	}
}

// memBucket is a minimal in-memory Bucket without a Move method. The suite running on it
// checks the package's generic code paths (Move's fallback, PutObject) apart from any driver.
type memBucket struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (m *memBucket) Put(ctx context.Context, key string, r io.Reader) error {
	if err := storage.ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var buf bytes.Buffer
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := io.CopyN(&buf, r, 64<<10); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = buf.Bytes()
	return nil
}

func (m *memBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := storage.ValidKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("mem: %s: %w", key, storage.ErrNotFound)
	}
	return io.NopCloser(storage.ContextReader(ctx, bytes.NewReader(b))), nil
}

func (m *memBucket) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.ValidKey(key); err != nil {
		return storage.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return storage.Info{}, fmt.Errorf("mem: %s: %w", key, storage.ErrNotFound)
	}
	return storage.Info{Key: key, Size: int64(len(b))}, nil
}

func (m *memBucket) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := storage.ValidPrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.Info
	for k, b := range m.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, storage.Info{Key: k, Size: int64(len(b))})
		}
	}
	slices.SortFunc(out, func(a, b storage.Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func (m *memBucket) Delete(ctx context.Context, key string) error {
	if err := storage.ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}

func TestGeneric(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		return &memBucket{objs: map[string][]byte{}}
	})
}
