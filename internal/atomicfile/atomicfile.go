// Package atomicfile writes a file so that a crash leaves the old file or the new one, never a
// torn one: the bytes go to a temporary file beside the target, are synced, and the temporary
// file is renamed over the target. Homes (config, keys, journals, caches) are written this way.
//
//	err := atomicfile.Write(filepath.Join(home, "config.json"), b, 0o600)
package atomicfile

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to path with permission perm (for a new file), creating path's directory
// (0700) if needed.
func Write(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.tmp-%x", path, rnd)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
