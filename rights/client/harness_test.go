package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// startTestNode starts the node initialised in home with an RPC server on a free loopback port,
// and returns it with an HTTP client of it.
func startTestNode(t *testing.T, ctx context.Context, home string) (*node.Node, *client.Client) {
	t.Helper()
	addr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	rpc := "tcp://" + addr
	n, err := node.Start(ctx, node.Config{Home: home, RPCListen: rpc, TimeoutCommit: 50 * time.Millisecond, Verifier: rightstest.Verifier{}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	c, err := client.Dial(strings.Replace(rpc, "tcp://", "http://", 1))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return n, c
}

func submit(t *testing.T, ctx context.Context, c *client.Client, name string, msg rights.Msg) *client.Receipt {
	t.Helper()
	r, err := c.Submit(ctx, rightstest.Key(name), msg)
	if err != nil {
		t.Fatalf("%s by %s: %v", msg.Kind(), name, err)
	}
	return r
}
