// Package nodetest starts an in-process node for tests of the packages around it (rights/node,
// rights/client): a node initialised in a home, with an RPC server on a free loopback port and an
// HTTP client of it, both stopped when the test ends.
//
//	nodetest -> rights/node, rights/client, rights/rightstest, internal/freeport
package nodetest

import (
	"context"
	"testing"
	"time"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// Start starts the node initialised in home (node.Init) with rightstest's verifier and a fast
// commit, and returns it with an HTTP client of its RPC server.
func Start(t *testing.T, ctx context.Context, home string) (*node.Node, *client.Client) {
	t.Helper()
	addr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(ctx, node.Config{Home: home, RPCListen: "tcp://" + addr, TimeoutCommit: 50 * time.Millisecond, Verifier: rightstest.Verifier{}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	c, err := client.Dial("http://" + addr)
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

// Submit submits msg signed by rightstest's key called name and fails the test unless the chain
// accepts it.
func Submit(t *testing.T, ctx context.Context, c *client.Client, name string, msg rights.Msg) *client.Receipt {
	t.Helper()
	r, err := c.Submit(ctx, rightstest.Key(name), msg)
	if err != nil {
		t.Fatalf("%s by %s: %v", msg.Kind(), name, err)
	}
	return r
}
