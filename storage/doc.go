// Package storage holds DXP's bulk bytes: ciphertexts, keys, proofs and manifests. The chain
// carries only their SHA-256 digests, and every read by digest is verified against it, so a
// tampered or truncated object is detected however it was stored.
//
// A Bucket is a flat namespace of keyed objects with streaming Put and Get. Drivers live in
// subpackages: storage/fs (files under a directory, the embedded default) and storage/s3
// (any S3-compatible store such as MinIO). storage/storagetest is the conformance suite every
// driver passes.
//
// Content-addressed objects are stored on any Bucket under "objects/<hex sha256>":
//
//	b, err := fs.Open(dir) // or s3.Open(ctx, cfg)
//	if err != nil { ... }
//	defer b.Close()
//
//	d, size, err := storage.PutObject(ctx, b, file) // streams; hashes while uploading
//	if err != nil { ... }
//	// put d on chain
//
//	rc, err := storage.GetObject(ctx, b, d)
//	if err != nil { ... } // errors.Is(err, storage.ErrNotFound)
//	defer rc.Close()
//	if _, err := io.Copy(dst, rc); err != nil { ... } // errors.Is(err, storage.ErrCorrupt)
//
// GetBytes and PutBytes do the same for small objects held in memory.
//
// # Trusting what you read
//
// GetObject's reader checks the digest only at the end of the object. Bytes it returned before
// that are unverified: a caller must read to EOF, see a nil error, and only then act on them
// (write the output to a temporary file and rename it, or decode into memory and use it after
// the check). Failing that, a tampered object could be half-used before the error arrives.
//
// # Objects already stored
//
// A bucket may be writable by more parties than the one putting an object, and content
// addresses are predictable, so anything found under ObjectKey(d) is a claim, not a fact.
// PutObject keeps an existing object only after reading it back and checking its digest; a
// copy of the wrong size or content is overwritten with the real bytes and reported with a
// warning naming the key on slog's default logger. Readers never trust it either (see above).
//
// # Keys
//
// Keys are slash-separated paths that are already clean: no leading "/", no empty, "." or ".."
// segments, no backslash or NUL, valid UTF-8, at most 512 bytes with segments of at most 255
// (see ValidKey). Every driver refuses other keys with ErrInvalidKey before touching its
// store, so a key never escapes an fs root and means the same thing on every driver. PutObject
// uses "objects/" and "staging/"; other users should pick their own prefixes.
//
// # Writing a driver
//
// Implement Bucket; map "no such object" to ErrNotFound and refuse invalid keys with
// ErrInvalidKey; make Put atomic. Implement Mover if the store can move an object without
// streaming it through the client. Then run storagetest.Run in the driver's tests.
package storage
