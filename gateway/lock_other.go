//go:build !unix

package gateway

import "os"

// lockHome opens HOME/gateway/lock; without flock on this platform it does not keep a second
// gateway off the home (see lock_unix.go for why one should).
func lockHome(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
