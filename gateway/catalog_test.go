package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dxplabs/dxp/rights"
)

// TestCatalogSnapshot: pages within catalogMaxAge of a read share it; requests that arrive
// while it is read wait for that one read; a failed read is not kept; invalidate forces a read.
func TestCatalogSnapshot(t *testing.T) {
	var c catalogCache
	var reads atomic.Int32
	release := make(chan struct{})
	read := func(context.Context) ([]rights.Dataset, error) {
		reads.Add(1)
		<-release
		return []rights.Dataset{{ID: "ds-1"}}, nil
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ds, err := c.snapshot(ctx, read); err != nil || len(ds) != 1 {
				t.Errorf("snapshot = %v, %v", ds, err)
			}
		}()
	}
	for reads.Load() == 0 {
		// wait until one request is reading; the others must queue behind it
	}
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Errorf("8 concurrent pages read the chain %d times, want once", n)
	}
	if _, err := c.snapshot(ctx, read); err != nil || reads.Load() != 1 {
		t.Errorf("a page within catalogMaxAge read the chain again (%d reads, %v)", reads.Load(), err)
	}
	c.invalidate()
	if _, err := c.snapshot(ctx, read); err != nil || reads.Load() != 2 {
		t.Errorf("after invalidate: %d reads, %v; want a second read", reads.Load(), err)
	}
	c.invalidate()
	boom := errors.New("node down")
	if _, err := c.snapshot(ctx, func(context.Context) ([]rights.Dataset, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("failed read = %v, want %v", err, boom)
	}
	if _, err := c.snapshot(ctx, read); err != nil || reads.Load() != 3 {
		t.Errorf("after a failed read: %d reads, %v; want a fresh read", reads.Load(), err)
	}
}
