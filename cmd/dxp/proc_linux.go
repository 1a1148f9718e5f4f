package main

import (
	"os"
	"syscall"
)

// childAttr puts a validator process in its own process group, so a Ctrl-C reaches only the
// supervisor, which stops the validators in order; and has the kernel stop it if the supervisor
// dies without doing so.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

func interrupt(p *os.Process) error { return p.Signal(os.Interrupt) }
