package gateway

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

func (s *Server) listGrants(r *http.Request, _ principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	var grantee, holder rights.Address
	if v := q.Get("grantee"); v != "" {
		if grantee, err = s.session.ResolveParty(v); err != nil {
			return 0, nil, badRequest(err.Error())
		}
	}
	if v := q.Get("holder"); v != "" {
		if holder, err = s.session.ResolveParty(v); err != nil {
			return 0, nil, badRequest(err.Error())
		}
	}
	grants, err := s.grants(r.Context(), grantee, q.Get("dataset"))
	if err != nil {
		return 0, nil, err
	}
	out := []api.Grant{}
	for i := range grants {
		g := &grants[i]
		if holder != "" && !slices.Contains(g.Holders, holder) || q.Get("status") != "" && string(g.State) != q.Get("status") {
			continue
		}
		out = append(out, api.GrantOf(g))
	}
	return http.StatusOK, page(out, func(g api.Grant) string { return g.ID }, limit, after), nil
}

// grants reads the grants from the chain's index when a grantee or dataset narrows them.
func (s *Server) grants(ctx context.Context, grantee rights.Address, dataset string) ([]rights.Grant, error) {
	switch {
	case grantee != "":
		gs, err := client.ListBy[rights.Grant](ctx, s.session.Chain, "grantee", string(grantee))
		if err != nil || dataset == "" {
			return gs, err
		}
		return slices.DeleteFunc(gs, func(g rights.Grant) bool { return !slices.Contains(g.Datasets, dataset) }), nil
	case dataset != "":
		return client.ListBy[rights.Grant](ctx, s.session.Chain, "dataset", dataset)
	default:
		return client.List[rights.Grant](ctx, s.session.Chain)
	}
}

func (s *Server) getGrant(r *http.Request, _ principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	g, err := client.Get[rights.Grant](r.Context(), s.session.Chain, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.GrantOf(g), nil
}

func (s *Server) requestGrant(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.GrantRequest
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	key, err := p.signer(s.cfg.Home, req.From)
	if err != nil {
		return 0, nil, err
	}
	ops, err := marketplace.ParseOps(strings.Join(req.Ops, ","))
	if err != nil {
		return 0, nil, invalid(err.Error())
	}
	gr := marketplace.GrantRequest{From: key, Datasets: req.Datasets, Ops: ops, Columns: req.Columns, Uses: req.Uses, Purpose: req.Purpose}
	if req.Epsilon != "" {
		if gr.Epsilon, err = marketplace.ParseMicro(req.Epsilon); err != nil {
			return 0, nil, invalid("epsilon: " + err.Error())
		}
	}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return 0, nil, invalid(`expires_in must be a positive duration such as "1h"`)
		}
		gr.Expiry.Time = time.Now().Add(d).Unix()
	}
	g, err := s.session.RequestGrant(r.Context(), gr)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, api.GrantOf(g), nil
}

func (s *Server) grantAction(action marketplace.GrantAction) apiWrite {
	return func(r *http.Request, p principal, body []byte) (int, any, error) {
		id, err := pathID(r)
		if err != nil {
			return 0, nil, err
		}
		var req api.Reasoned
		if err := decode(body, &req); err != nil {
			return 0, nil, err
		}
		key, err := p.signer(s.cfg.Home, req.From)
		if err != nil {
			return 0, nil, err
		}
		g, err := s.session.ActOnGrant(r.Context(), key, id, action, req.Reason)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, api.GrantOf(g), nil
	}
}

// inbox lists the requested grants over datasets the token's keys hold that wait for their
// approval.
func (s *Server) inbox(r *http.Request, p principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	keys, err := p.keys(s.cfg.Home)
	if err != nil {
		return 0, nil, err
	}
	seen := map[string]bool{}
	out := []api.Grant{}
	for _, k := range keys {
		held, err := client.ListBy[rights.Dataset](r.Context(), s.session.Chain, "holder", string(k.Address))
		if err != nil {
			return 0, nil, err
		}
		for _, ds := range held {
			grants, err := client.ListBy[rights.Grant](r.Context(), s.session.Chain, "dataset", ds.ID)
			if err != nil {
				return 0, nil, err
			}
			for i := range grants {
				g := &grants[i]
				if g.State != rights.GrantRequested || seen[g.ID] || slices.Contains(g.Approvals, k.Address) {
					continue
				}
				seen[g.ID] = true
				out = append(out, api.GrantOf(g))
			}
		}
	}
	return http.StatusOK, page(out, func(g api.Grant) string { return g.ID }, limit, after), nil
}
