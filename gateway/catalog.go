package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// catalogMaxAge is how old a catalog snapshot may be when a page is served from it. Reading the
// catalog decodes every dataset on chain with its proofs (about 15 MB for 10,000 datasets, a
// second or two on 2 cores), longer than a block: a cache keyed by height was stale for almost
// every page, so each page paid the whole read (p50 2.2 s per page of 50 with 10,000 datasets).
// A snapshot a few seconds old is what any catalog shows; this gateway's own writes to a
// dataset drop it at once (invalidate), so its users read what they have just done.
const catalogMaxAge = 3 * time.Second

// catalogCache keeps the datasets on chain as of one read: the pages of a listing served
// within catalogMaxAge of it are filtered from it, and concurrent requests that find it too old
// wait for one read instead of each reading the chain.
type catalogCache struct {
	mu       sync.Mutex
	read     time.Time // when datasets were read; zero: none, or invalidated
	datasets []rights.Dataset
	loading  chan struct{} // closed when the read in flight ends; nil when none is
	err      error         // the last read's error, for the requests that waited on it
}

// invalidate makes the next page read the chain again.
func (c *catalogCache) invalidate() {
	c.mu.Lock()
	c.read = time.Time{}
	c.mu.Unlock()
}

// snapshot returns the datasets as of a read at most catalogMaxAge old, reading the chain with
// read when there is none (one read at a time).
func (c *catalogCache) snapshot(ctx context.Context, read func(context.Context) ([]rights.Dataset, error)) ([]rights.Dataset, error) {
	for {
		c.mu.Lock()
		if !c.read.IsZero() && time.Since(c.read) < catalogMaxAge {
			ds := c.datasets
			c.mu.Unlock()
			return ds, nil
		}
		if wait := c.loading; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			if err != nil {
				return nil, err
			}
			continue
		}
		done := make(chan struct{})
		c.loading = done
		c.mu.Unlock()

		started := time.Now()
		ds, err := read(ctx)
		c.mu.Lock()
		c.loading, c.err = nil, err
		if err == nil {
			c.datasets, c.read = ds, started
		}
		c.mu.Unlock()
		close(done)
		return ds, err
	}
}

// catalogEntries lists the catalog entries that pass cf, as of a read of the chain at most
// catalogMaxAge old.
func (s *Server) catalogEntries(ctx context.Context, cf marketplace.CatalogFilter) ([]marketplace.CatalogEntry, error) {
	var holder rights.Address
	if cf.Holder != "" {
		a, err := s.session.ResolveParty(cf.Holder)
		if err != nil {
			return nil, badRequest(err.Error())
		}
		holder = a
	}
	datasets, err := s.catalog.snapshot(ctx, func(ctx context.Context) ([]rights.Dataset, error) {
		kind, _ := rights.Listed[rights.Dataset]()
		var ds []rights.Dataset
		_, err := s.session.Chain.Query(ctx, kind.ListPath(), 0, &ds)
		return ds, err
	})
	if err != nil {
		return nil, err
	}
	entries := []marketplace.CatalogEntry{}
	for i := range datasets {
		d := &datasets[i]
		if holder != "" && d.Holder != holder || !cf.Match(d) {
			continue
		}
		entries = append(entries, marketplace.CatalogEntryOf(d))
	}
	return entries, nil
}
