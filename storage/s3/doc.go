// Package s3 is the storage driver for S3-compatible object stores, MinIO first among them,
// through minio-go.
//
//	cfg, err := s3.ParseURL("s3://127.0.0.1:9000/dxp") // or fill a Config
//	if err != nil { ... }
//	if err := cfg.LoadCredentials(); err != nil { ... } // from a 0600 file or the environment
//	b, err := s3.Open(ctx, cfg) // connects, creates the bucket if missing, enables versioning
//	if err != nil { ... }
//	defer b.Close()
//	d, size, err := storage.PutObject(ctx, b, file)
//
// Add "?secure=true" for https and "?region=REGION" where the server needs one.
//
// Put streams a multipart upload of unknown length in 16 MiB parts, so memory stays bounded
// whatever the object's size; S3 shows the object only once the upload completes, and a
// failed upload is aborted. Move is a server-side copy (a multipart copy above 5 GiB) followed
// by removal of the copied version. NoSuchKey and NoSuchBucket become storage.ErrNotFound.
//
// # Credentials
//
// A URL should carry no secret: command lines show in `ps` to every local user, and URLs end up
// in config files and logs. LoadCredentials takes them from a credentials file, named by the
// URL ("?credentials=/abs/path") or by DXP_S3_CREDENTIALS_FILE, holding the lines
// DXP_S3_ACCESS_KEY=... and DXP_S3_SECRET_KEY=... and refused unless only its owner can read
// it (chmod 600); or else from the environment variables DXP_S3_ACCESS_KEY and
// DXP_S3_SECRET_KEY. The older form "s3://ACCESS:SECRET@HOST:PORT/BUCKET" (percent-encoded)
// still works. ParseURL's errors never repeat any part of the URL, since a malformed one may
// hold its secret anywhere.
//
// # Integrity and history
//
// No S3 checksum is relied on: for multipart uploads S3 reports a checksum of part checksums,
// not the object's SHA-256. DXP computes the whole-object SHA-256 itself while streaming
// (storage.PutObject) and verifies it on every read (storage.GetObject).
//
// Open enables versioning, so Put over an existing key and Delete keep the earlier data as a
// noncurrent version: nothing DXP stored is lost to a mistaken overwrite, at the price of the
// space. Expire noncurrent versions with a bucket lifecycle rule if that matters more.
//
// # Security
//
// Config.String and every error redact the secret key; see Credentials above. Use Secure (https) for any server not
// on loopback: S3 signatures protect the request's integrity, not its confidentiality.
package s3
