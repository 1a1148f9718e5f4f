package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/storage/s3"
	"github.com/dxplabs/dxp/storage/s3/miniotest"
	"github.com/dxplabs/dxp/storage/storagetest"
)

func open(t *testing.T, cfg s3.Config) *s3.Bucket {
	t.Helper()
	b, err := s3.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open(%s) = %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return b
}

func TestConformance(t *testing.T) {
	cfg := miniotest.Start(t)
	var n atomic.Int64
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		c := cfg
		c.Bucket = fmt.Sprintf("conformance-%d", n.Add(1))
		return open(t, c)
	})
}

func TestOpenEnablesVersioning(t *testing.T) {
	cfg := miniotest.Start(t)
	cfg.Bucket = "versioned"
	b := open(t, cfg)
	v, err := b.Client().GetBucketVersioning(t.Context(), cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Enabled() {
		t.Errorf("bucket versioning is %q, want Enabled", v.Status)
	}

	// An overwritten object's earlier version is kept, which is what versioning is for.
	for _, s := range []string{"one", "two"} {
		if err := b.Put(t.Context(), "k", strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
	}
	var versions int
	for obj := range b.Client().ListObjects(t.Context(), cfg.Bucket, minioListVersions("k")) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		versions++
	}
	if versions != 2 {
		t.Errorf("%d versions of k after two puts, want 2", versions)
	}

	// Opening an existing bucket again works and keeps it.
	b2 := open(t, cfg)
	if _, err := b2.Stat(t.Context(), "k"); err != nil {
		t.Errorf("Stat(k) after reopening = %v", err)
	}
}

// A moved staging upload leaves no noncurrent version behind, but moving a key with history
// does not resurrect its older version.
func TestMoveVersions(t *testing.T) {
	cfg := miniotest.Start(t)
	b := open(t, cfg)
	ctx := t.Context()
	if err := b.Put(ctx, "src", strings.NewReader("only")); err != nil {
		t.Fatal(err)
	}
	if err := b.Move(ctx, "src", "dst"); err != nil {
		t.Fatal(err)
	}
	if n := countVersions(t, b, "src"); n != 0 {
		t.Errorf("%d versions or markers of src left after moving its only version, want 0", n)
	}

	for _, s := range []string{"old", "new"} {
		if err := b.Put(ctx, "hist", strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Move(ctx, "hist", "moved"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(ctx, "hist"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(hist) after Move = %v, want ErrNotFound", err)
	}
}

func TestOpenErrors(t *testing.T) {
	cfg := miniotest.Start(t)

	bad := cfg
	bad.SecretKey = "wrong-secret-key"
	_, err := s3.Open(t.Context(), bad)
	if err == nil {
		t.Fatal("Open with a wrong secret key succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, cfg.Endpoint) || !strings.Contains(msg, cfg.Bucket) || strings.Contains(msg, bad.SecretKey) {
		t.Errorf("Open error %q: want the endpoint and bucket named and the secret key absent", msg)
	}

	for _, tc := range []struct {
		name string
		edit func(*s3.Config)
	}{
		{"no endpoint", func(c *s3.Config) { c.Endpoint = "" }},
		{"scheme in endpoint", func(c *s3.Config) { c.Endpoint = "http://" + c.Endpoint }},
		{"no bucket", func(c *s3.Config) { c.Bucket = "" }},
		{"bad bucket", func(c *s3.Config) { c.Bucket = "Upper_Case" }},
		{"no access key", func(c *s3.Config) { c.AccessKey = "" }},
		{"no secret key", func(c *s3.Config) { c.SecretKey = "" }},
	} {
		c := cfg
		tc.edit(&c)
		if _, err := s3.Open(t.Context(), c); err == nil {
			t.Errorf("Open with %s succeeded", tc.name)
		} else if cfg.SecretKey != "" && strings.Contains(err.Error(), cfg.SecretKey) {
			t.Errorf("Open with %s: error %q reveals the secret key", tc.name, err)
		}
	}
}

func TestConfigString(t *testing.T) {
	c := s3.Config{Endpoint: "h:9000", AccessKey: "AK", SecretKey: "SECRET", Bucket: "b", Region: "r"}
	if got, want := c.String(), "s3://AK:REDACTED@h:9000/b?region=r"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want s3.Config
	}{
		{"s3://AK:SK@127.0.0.1:9000/dxp", s3.Config{Endpoint: "127.0.0.1:9000", AccessKey: "AK", SecretKey: "SK", Bucket: "dxp"}},
		{"s3://minio.example.com/data-1?secure=true&region=eu-west-1", s3.Config{Endpoint: "minio.example.com", Bucket: "data-1", Secure: true, Region: "eu-west-1"}},
		{"s3://AK:s%2Fk%40x@[::1]:9000/dxp?secure=false", s3.Config{Endpoint: "[::1]:9000", AccessKey: "AK", SecretKey: "s/k@x", Bucket: "dxp"}},
		{"s3://h/dxp/", s3.Config{Endpoint: "h", Bucket: "dxp"}},
	} {
		got, err := s3.ParseURL(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v, want %+v", tc.url, got, err, tc.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	const secret = "TOPSECRET"
	for _, tc := range []struct {
		url, want string // want: a word the error must contain
	}{
		{"", "scheme"},
		{"http://AK:" + secret + "@h:9000/bkt", "scheme"},
		{"s3:AK:" + secret + "@h/bkt", "s3://"},
		{"foo:AK:" + secret + "@h/bkt", "s3://"},
		{"s3:///bkt", "no host"},
		{"s3://AK:" + secret + "@h:9000", "no bucket"},
		{"s3://AK:" + secret + "@h:9000/", "no bucket"},
		{"s3://AK:" + secret + "@h:9000/bkt/extra", "just a bucket"},
		{"s3://AK:" + secret + "@h:9000/Bad_Bucket", "not valid"},
		{"s3://AK:" + secret + "@h:9000/ab", "not valid"},
		{"s3://AK@h:9000/bkt", "part of the credentials"},
		{"s3://:" + secret + "@h:9000/bkt", "part of the credentials"},
		{"s3://AK:@h:9000/bkt", "part of the credentials"},
		{"s3://AK:" + secret + "@h:9000/bkt?secure=maybe", "secure"},
		{"s3://AK:" + secret + "@h:9000/bkt?secure=true&secure=false", "2 times"},
		{"s3://AK:" + secret + "@h:9000/bkt?tls=1", "unknown parameter"},
		{"s3://AK:" + secret + "@h:9000/bkt?region=", "empty region"},
		{"s3://AK:" + secret + "@h:9000/bkt?a=%zz", "malformed query"},
		{"s3://AK:" + secret + "@h:9000/bkt#frag", "fragment"},
		{"s3://AK:" + secret + "@h:port/bkt", "cannot be parsed"},
		{"s3://AK:" + secret + "@h:9000/bkt\x7f", "cannot be parsed"},
	} {
		got, err := s3.ParseURL(tc.url)
		if err == nil {
			t.Errorf("ParseURL(%q) = %+v, want an error", tc.url, got)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("ParseURL(%q) = %q, want it to mention %q", tc.url, msg, tc.want)
		}
		if strings.Contains(msg, secret) {
			t.Errorf("ParseURL(%q) = %q reveals the secret key", tc.url, msg)
		}
		if strings.Count(msg, "\n") > 0 || strings.HasSuffix(msg, ".") {
			t.Errorf("ParseURL(%q) = %q, want one line with no final period", tc.url, msg)
		}
	}
}

// A Put that fails after some parts were uploaded aborts its multipart upload, so the parts
// do not sit on the server unlisted and taking space.
func TestFailedPutAbortsUpload(t *testing.T) {
	cfg := miniotest.Start(t)
	b := open(t, cfg)
	data := storagetest.Data(storagetest.BigSize, 1) // more than one part
	errHalf := errors.New("reader failed after the first part")
	err := b.Put(t.Context(), "big", io.MultiReader(bytes.NewReader(data), iotest.ErrReader(errHalf)))
	if !errors.Is(err, errHalf) {
		t.Fatalf("Put = %v, want %v", err, errHalf)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := io.MultiReader(bytes.NewReader(data), readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, context.Canceled
	}))
	if err := b.Put(ctx, "canceled", r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
	for u := range b.Client().ListIncompleteUploads(t.Context(), cfg.Bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		t.Errorf("incomplete upload of %s (%d bytes) left on the server", u.Key, u.Size)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A same-size fake planted under the key of an honest put does not win, on a real MinIO: see
// storagetest.AttackPlantedObject.
func TestAttackPlantedObject(t *testing.T) {
	cfg := miniotest.Start(t)
	cfg.Bucket = "planted"
	storagetest.AttackPlantedObject(t, open(t, cfg))
}

// TestAttackSecretInMalformedURL: a storage URL that fails to parse must not show its secret,
// wherever in the URL it sits. url.Parse's errors quote the raw URL (and its parts), so an
// error that wraps them, or echoes a "redacted" URL that was never parsed, prints the secret
// to stderr and logs.
func TestAttackSecretInMalformedURL(t *testing.T) {
	for _, u := range miniotest.MalformedURLs() {
		cfg, err := s3.ParseURL(u)
		if err == nil {
			t.Errorf("ParseURL(%q) = %+v, want an error", u, cfg)
			continue
		}
		if msg := err.Error(); miniotest.ShowsSecret(msg) {
			t.Errorf("ParseURL(%q) = %q: the error shows the secret", u, msg)
		} else if strings.Contains(msg, "\n") {
			t.Errorf("ParseURL(%q) = %q, want one line", u, msg)
		}
	}
}

// TestAttackReadableCredentialsFile: a credentials file that others may read is refused, with a
// one-sentence error that names the file and never the secret; a 0600 one is read.
func TestAttackReadableCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s3.env")
	body := s3.EnvAccessKey + "=AK\n" + s3.EnvSecretKey + "=" + miniotest.URLSecret + "\n"
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o606} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		cfg, err := s3.ParseURL("s3://h:9000/bkt?credentials=" + url.QueryEscape(path))
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.LoadCredentials()
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadCredentials from a %04o file = %v, want a refusal naming the file and chmod 600", mode, err)
		} else if miniotest.ShowsSecret(err.Error()) || strings.Contains(err.Error(), "\n") {
			t.Errorf("LoadCredentials from a %04o file = %q: shows the secret or spans lines", mode, err)
		}
		if cfg.SecretKey != "" || cfg.AccessKey != "" {
			t.Errorf("LoadCredentials from a %04o file set credentials %q", mode, cfg.AccessKey)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(s3.EnvCredentialsFile, path)
	cfg, err := s3.ParseURL("s3://h:9000/bkt")
	if err == nil {
		err = cfg.LoadCredentials()
	}
	if err != nil || cfg.AccessKey != "AK" || cfg.SecretKey != miniotest.URLSecret {
		t.Errorf("LoadCredentials from a 0600 file named by %s = %v, access key %q; want AK and the secret", s3.EnvCredentialsFile, err, cfg.AccessKey)
	}
	if miniotest.ShowsSecret(cfg.String()) {
		t.Errorf("Config.String() = %q shows the secret", cfg.String())
	}
	// A malformed line is refused without being quoted.
	if err := os.WriteFile(path, []byte(s3.EnvSecretKey+" "+miniotest.URLSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ = s3.ParseURL("s3://h:9000/bkt")
	if err := cfg.LoadCredentials(); err == nil || miniotest.ShowsSecret(err.Error()) {
		t.Errorf("LoadCredentials of a malformed file = %v, want an error without the secret", err)
	}
}

// Credentials come from the environment when the URL carries none, and the bucket opens on a
// real MinIO with them.
func TestCredentialsFromEnvironment(t *testing.T) {
	srv := miniotest.Start(t)
	t.Setenv(s3.EnvCredentialsFile, "")
	t.Setenv(s3.EnvAccessKey, srv.AccessKey)
	t.Setenv(s3.EnvSecretKey, srv.SecretKey)
	cfg, err := s3.ParseURL("s3://" + srv.Endpoint + "/from-env")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.LoadCredentials(); err != nil {
		t.Fatal(err)
	}
	b := open(t, cfg)
	if _, err := storage.PutBytes(t.Context(), b, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(s3.EnvSecretKey, "")
	cfg, _ = s3.ParseURL("s3://" + srv.Endpoint + "/from-env")
	if err := cfg.LoadCredentials(); err == nil || !strings.Contains(err.Error(), "only one of") {
		t.Errorf("LoadCredentials with only an access key set = %v, want a refusal", err)
	}
}
