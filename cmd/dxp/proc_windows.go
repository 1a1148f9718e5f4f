package main

import (
	"os"
	"syscall"
)

func childAttr() *syscall.SysProcAttr { return nil }

// interrupt stops a validator; Windows cannot deliver an interrupt to another process.
func interrupt(p *os.Process) error { return p.Kill() }
