package freeport

import (
	"net"
	"strings"
	"testing"
)

func TestLoopback(t *testing.T) {
	addr, err := Loopback()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("Loopback() = %q, want 127.0.0.1 and a chosen port", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the port Loopback() returned cannot be bound: %v", err)
	}
	l.Close()
}
