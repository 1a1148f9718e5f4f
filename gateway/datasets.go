package gateway

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

func (s *Server) listDatasets(r *http.Request, _ principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	cf := marketplace.CatalogFilter{Holder: q.Get("holder"), Query: q.Get("q"), Tag: q.Get("tag"), Column: q.Get("column"), Status: q.Get("status")}
	if v := q.Get("max_price"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, nil, badRequest("max_price must be a whole number of credits")
		}
		cf.MaxPrice = &n
	}
	if v := q.Get("min_rows"); v != "" {
		if cf.MinRows, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, nil, badRequest("min_rows must be a whole number")
		}
	}
	entries, err := s.catalogEntries(r.Context(), cf)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, page(entries, func(e api.CatalogEntry) string { return e.ID }, limit, after), nil
}

func (s *Server) getDataset(r *http.Request, _ principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	ds, err := client.Get[rights.Dataset](r.Context(), s.session.Chain, id)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.detail(r.Context(), ds)
	return http.StatusOK, d, err
}

// detail is a dataset with its columns' bounds, proofs, usage and revenue.
func (s *Server) detail(ctx context.Context, ds *rights.Dataset) (*api.DatasetDetail, error) {
	d := &api.DatasetDetail{CatalogEntry: marketplace.CatalogEntryOf(ds), Description: ds.Description, Lister: ds.Lister,
		Registered: ds.Registered, Commitment: ds.Commitment.String(), EpsilonSpent: rights.FormatMicro(ds.EpsilonSpent),
		PolicyFile: marketplace.PolicyFileOf(ds.Policy), Transfers: api.HandoversOf(ds.Transfers), Reason: ds.Reason,
		ColumnDetails: []api.Column{}, Attestations: []api.Attestation{}}
	for _, a := range ds.Attestations {
		d.Attestations = append(d.Attestations, api.Attestation{Member: a.Member, Valid: a.Valid, Reason: a.Reason, Height: a.Height})
	}
	for _, c := range ds.Columns {
		d.ColumnDetails = append(d.ColumnDetails, api.Column{Name: c.Name, Type: string(c.Type), Scale: c.Scale,
			Min: marketplace.FormatValue(big.NewInt(c.Min), c.Scale), Max: marketplace.FormatValue(big.NewInt(c.Max), c.Scale),
			Proven: len(c.Chunks) > 0, Circuit: rights.KindCircuitID(c.Kind, c.ChunkSize, c.Width)})
		d.ProofSummary.Chunks += len(c.Chunks)
		if c.Frequencies != nil && len(c.Frequencies.Proof) > 0 {
			d.ProofSummary.Tables++
		}
	}
	d.ProofSummary.Verified = d.Verified
	switch ds.Status {
	case rights.DatasetPending:
		d.ProofSummary.Verdict = "the chain verified its proofs; the committee is checking its stored ciphertexts"
	case rights.DatasetRefused:
		d.ProofSummary.Verdict = "refused: " + ds.Reason
	default:
		d.ProofSummary.Verdict = fmt.Sprintf("the chain verified its %d proofs and the committee its stored ciphertexts", d.Proofs)
	}
	grants, err := client.ListBy[rights.Grant](ctx, s.session.Chain, "dataset", ds.ID)
	if err != nil {
		return nil, err
	}
	d.Usage.Grants = len(grants)
	for _, g := range grants {
		comps, err := client.ListBy[rights.Computation](ctx, s.session.Chain, "grant", g.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range comps {
			i := slices.Index(c.Datasets, ds.ID)
			if i < 0 {
				continue
			}
			d.Usage.Computations++
			if c.Status == rights.ComputationCompleted && i < len(c.Prices) {
				d.Revenue += c.Prices[i]
			}
		}
	}
	return d, nil
}

func (s *Server) verifyDataset(r *http.Request, _ principal, _ []byte) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	v, err := s.session.VerifyDataset(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.Verification{Verified: v.Verified, Checked: v.Checked, Problems: v.Problems}, nil
}

// holderWrite decodes a write on a dataset into req, resolves its signer and runs act; it
// answers with the dataset after.
func (s *Server) holderWrite(r *http.Request, p principal, body []byte, req any, from func() string,
	act func(ctx context.Context, key, id string) (*rights.Dataset, error)) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := decode(body, req); err != nil {
		return 0, nil, err
	}
	key, err := p.signer(s.cfg.Home, from())
	if err != nil {
		return 0, nil, err
	}
	ds, err := act(r.Context(), key, id)
	if err != nil {
		return 0, nil, err
	}
	s.catalog.invalidate()
	d, err := s.detail(r.Context(), ds)
	return http.StatusOK, d, err
}

func (s *Server) updateDataset(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.DatasetUpdate
	return s.holderWrite(r, p, body, &req, func() string { return req.From }, func(ctx context.Context, key, id string) (*rights.Dataset, error) {
		if req.Description == nil && req.Tags == nil && req.Price == nil {
			return nil, invalid("a dataset update needs a description, tags or a price")
		}
		return s.session.UpdateDataset(ctx, marketplace.DatasetUpdate{From: key, Dataset: id, Description: req.Description, Tags: req.Tags, Price: req.Price})
	})
}

func (s *Server) setPolicy(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.PolicyChange
	return s.holderWrite(r, p, body, &req, func() string { return req.From }, func(ctx context.Context, key, id string) (*rights.Dataset, error) {
		if len(req.Policy) == 0 {
			return nil, invalid(`a policy change needs "policy", a policy file as ` + "`dxp dataset policy --file`" + ` takes`)
		}
		pol, err := marketplace.ParsePolicy(bytes.NewReader(req.Policy))
		if err != nil {
			return nil, invalid("policy: " + err.Error())
		}
		return s.session.SetPolicy(ctx, key, id, pol)
	})
}

func (s *Server) retireDataset(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.Reasoned
	return s.holderWrite(r, p, body, &req, func() string { return req.From }, func(ctx context.Context, key, id string) (*rights.Dataset, error) {
		return s.session.RetireDataset(ctx, key, id, req.Reason)
	})
}

func (s *Server) transferDataset(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.Transfer
	return s.holderWrite(r, p, body, &req, func() string { return req.From }, func(ctx context.Context, key, id string) (*rights.Dataset, error) {
		if req.To == "" {
			return nil, invalid(`a transfer names its recipient in "to": an address or key name`)
		}
		return s.session.TransferHolding(ctx, key, id, req.To)
	})
}
