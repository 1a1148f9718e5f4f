//go:build unix

package gateway

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockHome takes HOME/gateway/lock for this process, or refuses when another gateway holds it:
// two gateways on one home would both resume the same publish jobs and computations, and write
// the same job records. The lock is the kernel's (flock), so it dies with its process: a gateway
// that crashed leaves nothing to clean up.
func lockHome(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another gateway runs on this home (%s is locked): two would resume the same jobs", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
