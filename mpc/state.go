package mpc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// A member's private directory holds, per key epoch, what it must not lose between posting a
// share and finishing the step:
//
//	<Dir>/epoch-<n>/secret-key      its additive key share, for the ceremony (removed once the
//	                                committee is ready and the threshold share is saved)
//	<Dir>/epoch-<n>/box-key         its X25519 public and secret key (64 bytes), saved before the
//	                                public key is posted (removed with secret-key)
//	<Dir>/epoch-<n>/rkg-ephemeral   the digest of its RKG round-1 share, then the ephemeral secret of
//	                                that share (needed for round 2), saved before the share is
//	                                committed (removed with secret-key)
//	<Dir>/epoch-<n>/shamir-posted   the digests of its sealed Shamir shares, saved before they are
//	                                posted, so a restart posts the same ones (removed with secret-key)
//	<Dir>/epoch-<n>/commit-<step>   the objects of a committed step (ckg, rkg1, rkg2, gkg, kat), each
//	                                as its length (uint64) and bytes, saved before their digests are
//	                                posted and put in storage once every member posted the step
//	                                (removed with secret-key)
//	<Dir>/epoch-<n>/threshold-key   its t-of-N share of the collective secret (mhe.ShamirSecretShare),
//	                                saved before it makes its known-answer shares
//	<Dir>/epoch-<n>/share-<h>       its key-switch share for a task (h: SHA-256 of the task ID and
//	                                the agreed output): the share's digest and bytes, saved before it
//	                                is posted, so a restart posts the same share (and the same noise),
//	                                never a second
//	<Dir>/epoch-<n>/posted-<h>      the digest alone, once the task no longer waits for this member
//	<Dir>/epoch-<n>/output-<h>      the digest of the output it evaluated for a task (h: SHA-256 of
//	                                the task ID), saved before it is posted, so a restart posts the
//	                                same digest; removed once the task no longer waits for it
//
// Directories are 0700 and files 0600. Files are written once, atomically (temporary file, fsync,
// hard link to the final name, which fails if it exists) and never overwritten, so a share that
// is already posted always stays consistent with the secret on disk.
const (
	fileSecretKey    = "secret-key"
	fileBoxKey       = "box-key"
	fileRKGEphemeral = "rkg-ephemeral"
	fileShamirPosted = "shamir-posted"
	fileThresholdKey = "threshold-key"
)

type state struct{ dir string }

func openState(dir string) (*state, error) {
	if dir == "" {
		return nil, errors.New("no private directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("private directory: %w", err)
	}
	// MkdirAll keeps the mode of an existing directory; secrets go nowhere looser than 0700.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("private directory: %w", err)
	}
	return &state{dir: dir}, nil
}

func (s *state) epochDir(epoch uint64) string {
	return filepath.Join(s.dir, "epoch-"+strconv.FormatUint(epoch, 10))
}

// read returns the file's contents, or ok=false if it does not exist.
func (s *state) read(epoch uint64, name string) (data []byte, ok bool, err error) {
	data, err = os.ReadFile(filepath.Join(s.epochDir(epoch), name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", name, err)
	}
	return data, true, nil
}

// create writes a new 0600 file atomically. It returns an error wrapping fs.ErrExist if the file
// already exists, leaving it untouched.
func (s *state) create(epoch uint64, name string, data []byte) (err error) {
	dir := s.epochDir(epoch)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp*") // CreateTemp makes 0600 files
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if rerr := os.Remove(tmp.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("write %s: %w", name, rerr)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Link(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return syncDir(dir)
}

func (s *state) remove(epoch uint64, name string) error {
	err := os.Remove(filepath.Join(s.epochDir(epoch), name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// list returns the names in the epoch's directory that start with prefix.
func (s *state) list(epoch uint64, prefix string) ([]string, error) {
	entries, err := os.ReadDir(s.epochDir(epoch))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.epochDir(epoch), err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); len(n) > len(prefix) && n[:len(prefix)] == prefix {
			out = append(out, n)
		}
	}
	return out, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}
