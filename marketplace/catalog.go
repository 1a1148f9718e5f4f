package marketplace

import (
	"context"
	"fmt"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// CatalogFilter narrows Catalog. The zero value lists every dataset on chain.
type CatalogFilter struct {
	// Holder keeps only the datasets this party holds: an address, or a key name in the
	// session's home.
	Holder string
}

// CatalogEntry is one dataset as a buyer browsing the catalog sees it (`dxp dataset list`): what
// it holds, who holds it, what a computation over it costs, and on what terms it is granted.
type CatalogEntry struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Holder rights.Address `json:"holder"`
	// Columns are the dataset's columns as "name:type" (type is integer or decimal), in the
	// schema's order.
	Columns []string `json:"columns"`
	Tags    []string `json:"tags,omitempty"`
	Rows    uint64   `json:"rows"`
	Price   uint64   `json:"price"` // credits per computation
	Status  string   `json:"status"`
	// Approval is the policy's approval mode: "required" (the holder approves each request) or
	// "offer" (requests within the offer's terms are approved at once).
	Approval string `json:"approval"`
	Policy   string `json:"policy"` // the whole policy in one line (DescribePolicy)
}

// Catalog lists the datasets registered on chain (only cf.Holder's, if set), in the chain's
// order. It returns an empty, non-nil slice when there are none.
func (s *Session) Catalog(ctx context.Context, cf CatalogFilter) ([]CatalogEntry, error) {
	var datasets []rights.Dataset
	if cf.Holder != "" {
		a, err := s.ResolveParty(cf.Holder)
		if err != nil {
			return nil, err
		}
		if datasets, err = client.ListBy[rights.Dataset](ctx, s.Chain, "holder", string(a)); err != nil {
			return nil, err
		}
	} else {
		var err error
		if datasets, err = client.List[rights.Dataset](ctx, s.Chain); err != nil {
			return nil, err
		}
	}
	entries := []CatalogEntry{}
	for _, d := range datasets {
		e := CatalogEntry{ID: d.ID, Name: d.Name, Holder: d.Holder, Tags: d.Tags, Rows: d.Rows, Price: d.Price, Status: string(d.Status),
			Approval: string(d.Policy.Approval), Policy: DescribePolicy(d.Policy)}
		for _, col := range d.Columns {
			e.Columns = append(e.Columns, fmt.Sprintf("%s:%s", col.Name, col.Type))
		}
		entries = append(entries, e)
	}
	return entries, nil
}
