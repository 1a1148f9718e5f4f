package gateway

import (
	"context"
	"sync"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// catalogCache keeps the datasets on chain as of one height: every page of a catalog listing
// read in the same block is filtered from one read of the chain, instead of each decoding every
// dataset again (thousands of listings with their proofs).
type catalogCache struct {
	mu       sync.Mutex
	height   int64
	datasets []rights.Dataset
}

// catalog lists the catalog entries that pass cf, as of the chain's last block.
func (s *Server) catalogEntries(ctx context.Context, cf marketplace.CatalogFilter) ([]marketplace.CatalogEntry, error) {
	var holder rights.Address
	if cf.Holder != "" {
		a, err := s.session.ResolveParty(cf.Holder)
		if err != nil {
			return nil, badRequest(err.Error())
		}
		holder = a
	}
	h, err := s.session.Chain.Height(ctx)
	if err != nil {
		return nil, err
	}
	s.catalog.mu.Lock()
	datasets := s.catalog.datasets
	fresh := s.catalog.height == h && datasets != nil
	s.catalog.mu.Unlock()
	if !fresh {
		// Keyed by the height of the answer itself: the node reports a block a moment before
		// the app committed it, so the answer may be of the block before.
		kind, _ := rights.Listed[rights.Dataset]()
		datasets = nil
		at, err := s.session.Chain.Query(ctx, kind.ListPath(), 0, &datasets)
		if err != nil {
			return nil, err
		}
		s.catalog.mu.Lock()
		if at >= s.catalog.height {
			s.catalog.height, s.catalog.datasets = at, datasets
		}
		s.catalog.mu.Unlock()
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
