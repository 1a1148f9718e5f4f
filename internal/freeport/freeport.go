// Package freeport picks a free TCP port on the loopback interface for a listener that will be
// started later by someone else: a node's RPC or P2P address written into a home, a test's MinIO
// server or devnet. It binds port 0 (the kernel picks a free port), notes the port and closes the
// listener again, so the port is only known to have been free a moment ago; another process can
// take it before the real listener binds it. Use it where the address must be known before the
// listener starts (it is written into a config, or passed to a child process), and bind port 0
// directly everywhere else.
//
//	rpc, err := freeport.Loopback() // "127.0.0.1:41234"
//	cfg.RPC = "tcp://" + rpc
package freeport

import "net"

// Loopback returns "127.0.0.1:PORT" for a TCP port that was free a moment ago.
func Loopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	return addr, nil
}
