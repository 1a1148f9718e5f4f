package miniotest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel kill minio if the test binary dies without running its
// cleanups (a panic, or go test's timeout), so no server outlives its test.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
