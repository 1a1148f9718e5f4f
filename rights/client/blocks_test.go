package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/node/nodetest"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestNewBlocks subscribes to blocks over the node's event bus (local client) and its websocket
// (HTTP client): each signal comes with a new block already queryable, and a subscription ends
// with its context.
func TestNewBlocks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	if err := node.Init(home, rightstest.Genesis()); err != nil {
		t.Fatal(err)
	}
	n, remote := nodetest.Start(t, ctx, home)
	for name, c := range map[string]*client.Client{"local": n.Client(), "websocket": remote} {
		subCtx, subCancel := context.WithCancel(ctx)
		blocks, err := c.NewBlocks(subCtx)
		if err != nil {
			t.Fatalf("%s: NewBlocks: %v", name, err)
		}
		last := int64(-1)
		for i := 0; i < 3; i++ {
			select {
			case <-blocks:
			case <-ctx.Done():
				t.Fatalf("%s: no block signal %d", name, i+1)
			}
			h, err := c.Height(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if h <= last {
				t.Errorf("%s: signal %d at height %d, after a signal at height %d: no new block", name, i+1, h, last)
			}
			last = h
		}
		subCancel()
		time.Sleep(100 * time.Millisecond)
		select {
		case <-blocks: // at most the one signal already buffered
		default:
		}
		time.Sleep(2500 * time.Millisecond) // an empty block at least every second
		if h, err := c.Height(ctx); err != nil || h < last+2 {
			t.Fatalf("%s: height %d (%v) after 2.5s, want at least %d", name, h, err, last+2)
		}
		select {
		case <-blocks:
			t.Errorf("%s: a block signal after the subscription's context ended", name)
		default:
		}
	}
}

// TestNewBlocksShared: two readers of one client share its subscription, and one leaving does
// not end the other's signals.
func TestNewBlocksShared(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	if err := node.Init(home, rightstest.Genesis()); err != nil {
		t.Fatal(err)
	}
	_, remote := nodetest.Start(t, ctx, home)
	firstCtx, firstCancel := context.WithCancel(ctx)
	first, err := remote.NewBlocks(firstCtx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := remote.NewBlocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]<-chan struct{}{"first": first, "second": second} {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the %s reader got no block signal", name)
		}
	}
	firstCancel()
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 2; i++ {
		select {
		case <-second:
		case <-time.After(30 * time.Second):
			t.Fatalf("the second reader got no block signal %d after the first left", i+1)
		}
	}
}
