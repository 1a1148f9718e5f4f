package marketplace

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// CatalogFilter narrows Catalog. The zero value lists every dataset on chain.
type CatalogFilter struct {
	// Holder keeps only the datasets this party holds: an address, or a key name in the
	// session's home.
	Holder string
	// Query keeps the datasets whose name, description, tags or columns hold every word of it,
	// ignoring case.
	Query string
	// Tag, Column and Status keep the datasets with that tag, a column of that name, or that
	// status (pending, listed, retired, refused).
	Tag, Column, Status string
	// MaxPrice, if set, keeps the datasets that cost at most that much per computation;
	// MinRows keeps those with at least that many rows.
	MaxPrice *uint64
	MinRows  uint64
}

// Match reports whether d passes every filter of cf but Holder (which Catalog asks the chain's
// index for).
func (cf CatalogFilter) Match(d *rights.Dataset) bool {
	if cf.Tag != "" && !slices.Contains(d.Tags, cf.Tag) ||
		cf.Column != "" && findColumn(d, cf.Column) == nil ||
		cf.Status != "" && string(d.Status) != cf.Status ||
		cf.MaxPrice != nil && d.Price > *cf.MaxPrice ||
		d.Rows < cf.MinRows {
		return false
	}
	if cf.Query == "" {
		return true
	}
	text := []string{d.Name, d.Description}
	text = append(text, d.Tags...)
	for _, c := range d.Columns {
		text = append(text, c.Name)
	}
	all := strings.ToLower(strings.Join(text, " "))
	for _, w := range strings.Fields(strings.ToLower(cf.Query)) {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
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
	// Proofs counts the chunk and frequency-table proofs the chain verified when it registered
	// the dataset; Verified says the listing is usable: its proofs verified and its stored
	// inputs attested by the committee (status listed or retired).
	Proofs   int  `json:"proofs"`
	Verified bool `json:"verified"`
}

// Catalog lists the datasets registered on chain that pass cf's filters (only cf.Holder's, if
// set), in the chain's order (by id). It returns an empty, non-nil slice when there are none.
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
	for i := range datasets {
		if cf.Match(&datasets[i]) {
			entries = append(entries, CatalogEntryOf(&datasets[i]))
		}
	}
	return entries, nil
}

// CatalogEntryOf is dataset d as the catalog shows it.
func CatalogEntryOf(d *rights.Dataset) CatalogEntry {
	e := CatalogEntry{ID: d.ID, Name: d.Name, Holder: d.Holder, Tags: d.Tags, Rows: d.Rows, Price: d.Price, Status: string(d.Status),
		Approval: string(d.Policy.Approval), Policy: DescribePolicy(d.Policy),
		Verified: d.Status == rights.DatasetListed || d.Status == rights.DatasetRetired}
	for _, col := range d.Columns {
		e.Columns = append(e.Columns, fmt.Sprintf("%s:%s", col.Name, col.Type))
		e.Proofs += len(col.Chunks)
		if col.Frequencies != nil && len(col.Frequencies.Proof) > 0 {
			e.Proofs++
		}
	}
	return e
}
