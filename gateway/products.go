package gateway

import (
	"context"
	"net/http"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

func (s *Server) listProducts(r *http.Request, _ principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	holder := r.URL.Query().Get("holder")
	if holder != "" {
		if _, err := s.session.ResolveParty(holder); err != nil {
			return 0, nil, badRequest(err.Error())
		}
	}
	ps, err := s.session.Products(r.Context(), holder)
	if err != nil {
		return 0, nil, err
	}
	out := make([]api.Product, len(ps))
	for i := range ps {
		out[i] = api.ProductOf(&ps[i])
	}
	return http.StatusOK, page(out, func(p api.Product) string { return p.ID }, limit, after), nil
}

func (s *Server) productWrite(act func(ctx context.Context, key, id, to string) (*rights.Product, error)) apiWrite {
	return func(r *http.Request, p principal, body []byte) (int, any, error) {
		id, err := pathID(r)
		if err != nil {
			return 0, nil, err
		}
		var req api.Transfer
		if err := decode(body, &req); err != nil {
			return 0, nil, err
		}
		key, err := p.signer(s.cfg.Home, req.From)
		if err != nil {
			return 0, nil, err
		}
		if req.To == "" {
			return 0, nil, invalid(`name the recipient in "to": an address or key name`)
		}
		prod, err := act(r.Context(), key, id, req.To)
		if err != nil {
			return 0, nil, err
		}
		holds, err := s.session.Chain.HoldsOn(r.Context(), rights.HoldProduct, prod.ID)
		if err != nil {
			return 0, nil, err
		}
		v := marketplace.ProductView{Product: *prod, Frozen: len(holds) > 0}
		for _, h := range holds {
			v.FrozenBy = append(v.FrozenBy, h.ID)
		}
		return http.StatusOK, api.ProductOf(&v), nil
	}
}

func (s *Server) transferProduct(r *http.Request, p principal, body []byte) (int, any, error) {
	return s.productWrite(s.session.TransferProduct)(r, p, body)
}

func (s *Server) licenseProduct(r *http.Request, p principal, body []byte) (int, any, error) {
	return s.productWrite(s.session.LicenseProduct)(r, p, body)
}
