package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dxplabs/dxp/storage"
)

// partSize is the multipart part size for uploads of unknown length. minio-go holds one part
// in memory per upload, and S3 allows 10,000 parts, so 16 MiB bounds memory at 16 MiB per
// concurrent Put and objects at 156 GiB.
const partSize = 16 << 20

// Bucket is one S3 bucket. It is safe for concurrent use.
type Bucket struct {
	client    *minio.Client
	transport *http.Transport
	cfg       Config
}

var (
	_ storage.Bucket = (*Bucket)(nil)
	_ storage.Mover  = (*Bucket)(nil)
)

// Open connects to the bucket cfg names, creating it if it does not exist and enabling
// versioning on it, so that an overwritten or deleted object can still be recovered and
// audited.
func Open(ctx context.Context, cfg Config) (*Bucket, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Bucket, error) {
		return nil, fmt.Errorf("storage/s3: open bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return fail(err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.Secure,
		Region:    cfg.Region,
		Transport: tr,
	})
	if err != nil {
		return fail(err)
	}
	b := &Bucket{client: client, transport: tr, cfg: cfg}
	if err := b.ensureBucket(ctx); err != nil {
		tr.CloseIdleConnections()
		return fail(withCtx(ctx, err))
	}
	return b, nil
}

func (b *Bucket) ensureBucket(ctx context.Context) error {
	exists, err := b.client.BucketExists(ctx, b.cfg.Bucket)
	if err != nil {
		return err
	}
	if !exists {
		err := b.client.MakeBucket(ctx, b.cfg.Bucket, minio.MakeBucketOptions{Region: b.cfg.Region})
		// Two processes opening a new bucket at once both try to create it.
		if err != nil && code(err) != "BucketAlreadyOwnedByYou" {
			return fmt.Errorf("create: %w", err)
		}
	}
	v, err := b.client.GetBucketVersioning(ctx, b.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("read versioning: %w", err)
	}
	if !v.Enabled() {
		if err := b.client.EnableVersioning(ctx, b.cfg.Bucket); err != nil {
			return fmt.Errorf("enable versioning: %w", err)
		}
	}
	return nil
}

// Close releases idle connections. The bucket must not be used afterwards.
func (b *Bucket) Close() error {
	b.transport.CloseIdleConnections()
	return nil
}

// Config returns the configuration the bucket was opened with.
func (b *Bucket) Config() Config { return b.cfg }

// Client returns the underlying minio-go client, for operations Bucket does not offer
// (retention, legal holds, listing versions). Writes through it bypass storage's checks.
func (b *Bucket) Client() *minio.Client { return b.client }

// Put streams r as a multipart upload of unknown length. S3 makes the object visible only when
// the upload completes, and minio-go aborts the upload on any error, so a failed Put leaves
// nothing behind. No S3 checksum is requested: the integrity DXP relies on is the
// whole-object SHA-256 that storage.PutObject computes and the chain records.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) error {
	if err := storage.ValidKey(key); err != nil {
		return fmt.Errorf("storage/s3: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/s3: put %s: %w", key, err)
	}
	_, err := b.client.PutObject(ctx, b.cfg.Bucket, key, storage.ContextReader(ctx, r), -1, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    partSize,
	})
	if err != nil {
		return b.fail(ctx, "put", key, err)
	}
	return nil
}

// Get starts a GET of the whole object; errors such as a missing key arrive here rather than
// on the first Read.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := storage.ValidKey(key); err != nil {
		return nil, fmt.Errorf("storage/s3: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storage/s3: get %s: %w", key, err)
	}
	// Core.GetObject is one plain request; Client.GetObject would defer its errors to the
	// first Read and may re-request ranges behind our back.
	body, info, _, err := minio.Core{Client: b.client}.GetObject(ctx, b.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, b.fail(ctx, "get", key, err)
	}
	return sizedBody{ReadCloser: body, size: info.Size}, nil
}

// sizedBody is a GET response's body with the object size the response gave (storage.Sizer).
type sizedBody struct {
	io.ReadCloser
	size int64
}

func (s sizedBody) Size() int64 { return s.size }

// Stat returns the object's size.
func (b *Bucket) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.ValidKey(key); err != nil {
		return storage.Info{}, fmt.Errorf("storage/s3: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, fmt.Errorf("storage/s3: stat %s: %w", key, err)
	}
	info, err := b.client.StatObject(ctx, b.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return storage.Info{}, b.fail(ctx, "stat", key, err)
	}
	return storage.Info{Key: key, Size: info.Size}, nil
}

// List lists the current version of every object under prefix. Keys that storage would not
// accept (written by other tools, such as "dir/" folder markers) are skipped.
func (b *Bucket) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	if err := storage.ValidPrefix(prefix); err != nil {
		return nil, fmt.Errorf("storage/s3: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storage/s3: list %q: %w", prefix, err)
	}
	// A cancelled listing stops the lister's goroutine once we stop reading.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []storage.Info
	for obj := range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, b.fail(ctx, "list", fmt.Sprintf("%q", prefix), obj.Err)
		}
		if storage.ValidKey(obj.Key) != nil {
			continue
		}
		out = append(out, storage.Info{Key: obj.Key, Size: obj.Size})
	}
	// S3 lists in UTF-8 byte order already; sorting makes it a property of this driver
	// rather than of whichever server is behind it.
	slices.SortFunc(out, func(x, y storage.Info) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// Delete removes the object. In the versioned bucket this adds a delete marker: the data stays
// as a noncurrent version until a lifecycle rule or an operator removes it.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := storage.ValidKey(key); err != nil {
		return fmt.Errorf("storage/s3: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/s3: delete %s: %w", key, err)
	}
	if err := b.client.RemoveObject(ctx, b.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return b.fail(ctx, "delete", key, err)
	}
	return nil
}

// Move copies the object server-side (a multipart copy above 5 GiB) and then removes the
// exact version it copied, so a moved staging upload does not linger as a noncurrent version
// and double the space it takes.
func (b *Bucket) Move(ctx context.Context, from, to string) error {
	for _, k := range []string{from, to} {
		if err := storage.ValidKey(k); err != nil {
			return fmt.Errorf("storage/s3: move: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/s3: move %s to %s: %w", from, to, err)
	}
	what := from + " to " + to
	src, err := b.client.StatObject(ctx, b.cfg.Bucket, from, minio.StatObjectOptions{})
	if err != nil {
		return b.fail(ctx, "move", what, err)
	}
	_, err = b.client.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: b.cfg.Bucket, Object: to},
		minio.CopySrcOptions{Bucket: b.cfg.Bucket, Object: from, VersionID: src.VersionID, MatchETag: src.ETag})
	if err != nil {
		return b.fail(ctx, "move", what, err)
	}
	if src.VersionID == "" || src.VersionID == "null" {
		if err := b.client.RemoveObject(ctx, b.cfg.Bucket, from, minio.RemoveObjectOptions{}); err != nil {
			return b.fail(ctx, "move", what+": remove source", err)
		}
		return nil
	}
	if err := b.client.RemoveObject(ctx, b.cfg.Bucket, from, minio.RemoveObjectOptions{VersionID: src.VersionID}); err != nil {
		return b.fail(ctx, "move", what+": remove source", err)
	}
	// Removing the newest version makes an older one current again; hide it with a delete
	// marker, as Delete would. A fresh staging key has no older version and skips this.
	_, err = b.client.StatObject(ctx, b.cfg.Bucket, from, minio.StatObjectOptions{})
	if err == nil {
		err = b.client.RemoveObject(ctx, b.cfg.Bucket, from, minio.RemoveObjectOptions{})
	} else if isNotFound(err) {
		err = nil
	}
	if err != nil {
		return b.fail(ctx, "move", what+": remove source", err)
	}
	return nil
}

// fail wraps a minio-go error for op on key: a missing object or bucket becomes
// storage.ErrNotFound, and an error caused by ctx ending says so to errors.Is.
func (b *Bucket) fail(ctx context.Context, op, key string, err error) error {
	switch code(err) {
	case "NoSuchKey":
		return fmt.Errorf("storage/s3: %s %s: %w", op, key, storage.ErrNotFound)
	case "NoSuchBucket":
		return fmt.Errorf("storage/s3: %s %s: bucket %q does not exist at %s: %w", op, key, b.cfg.Bucket, b.cfg.Endpoint, storage.ErrNotFound)
	}
	return fmt.Errorf("storage/s3: %s %s: %w", op, key, withCtx(ctx, err))
}

// withCtx makes sure errors.Is(err, context.Canceled) holds when ctx ending caused err: minio-go
// does not always keep the context's error in the chain.
func withCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

func code(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

func isNotFound(err error) bool {
	c := code(err)
	return c == "NoSuchKey" || c == "NoSuchBucket"
}
