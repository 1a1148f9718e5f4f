//go:build !linux && !windows

package main

import (
	"os"
	"syscall"
)

// childAttr puts a validator process in its own process group, so a Ctrl-C reaches only the
// supervisor, which stops the validators in order.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func interrupt(p *os.Process) error { return p.Signal(os.Interrupt) }
