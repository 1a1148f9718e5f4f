//go:build !linux

package miniotest

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death signal; t.Cleanup
// still stops the server on every normal exit.
func setParentDeathSignal(*exec.Cmd) {}
