package gateway

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

func (s *Server) flows(r *http.Request, _ principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	f := marketplace.FlowFilter{Dataset: q.Get("dataset"), Party: q.Get("party"), Grant: q.Get("grant"), Kind: q.Get("kind")}
	for name, h := range map[string]*int64{"from_height": &f.FromHeight, "to_height": &f.ToHeight} {
		if v := q.Get(name); v != "" {
			if *h, err = strconv.ParseInt(v, 10, 64); err != nil || *h < 1 {
				return 0, nil, badRequest(name + " must be a block height (1 or more)")
			}
		}
	}
	flows, err := s.session.Flows(r.Context(), f)
	if err != nil {
		return 0, nil, badRequest(err.Error())
	}
	return http.StatusOK, page(flows, flowKey, limit, after), nil
}

// flowKey orders flows by height, then place in the block.
func flowKey(f api.Flow) string { return fmt.Sprintf("%016d/%08d", f.Height, f.Index) }

// report is the regulator's audit report, as the token's regulator key (or ?from=) sees it.
func (s *Server) report(w http.ResponseWriter, r *http.Request, p principal) {
	from := r.URL.Query().Get("from")
	if from == "" {
		keys, err := p.keys(s.cfg.Home)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		for _, k := range keys {
			for _, role := range k.Roles {
				if role == rights.RoleRegulator && from == "" {
					from = k.Name
				}
			}
		}
		if from == "" {
			writeProblem(w, r, forbidden(fmt.Sprintf("the %s token acts for no regulator key", p.name)))
			return
		}
	}
	key, err := p.signer(s.cfg.Home, from)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	rep, err := s.session.Audit(r.Context(), key)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dxp-audit-%s-%d.json"`, rep.ChainID, rep.Height))
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) budgets(r *http.Request, _ principal) (int, any, error) {
	datasets, err := client.List[rights.Dataset](r.Context(), s.session.Chain)
	if err != nil {
		return 0, nil, err
	}
	grants, err := client.List[rights.Grant](r.Context(), s.session.Chain)
	if err != nil {
		return 0, nil, err
	}
	out := api.Budgets{Datasets: []api.Budget{}, Grants: []api.Budget{}}
	for _, d := range datasets {
		b := api.Budget{ID: d.ID, Spent: rights.FormatMicro(d.EpsilonSpent)}
		if d.Policy.EpsilonTotal > 0 {
			b.Limit = rights.FormatMicro(d.Policy.EpsilonTotal)
		}
		out.Datasets = append(out.Datasets, b)
	}
	for _, g := range grants {
		out.Grants = append(out.Grants, api.Budget{ID: g.ID, Spent: rights.FormatMicro(g.EpsilonSpent), Limit: rights.FormatMicro(g.Epsilon)})
	}
	return http.StatusOK, out, nil
}

func (s *Server) listHolds(r *http.Request, _ principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	holds, err := client.List[rights.Hold](r.Context(), s.session.Chain)
	if err != nil {
		return 0, nil, err
	}
	out := make([]api.Hold, len(holds))
	for i := range holds {
		out[i] = marketplace.AuditHoldOf(&holds[i])
	}
	return http.StatusOK, page(out, func(h api.Hold) string { return h.ID }, limit, after), nil
}

var holdKinds = map[string]rights.HoldKind{"dataset": rights.HoldDataset, "grant": rights.HoldGrant, "party": rights.HoldParty, "product": rights.HoldProduct}

func (s *Server) holdWrite(r *http.Request, p principal, body []byte) (string, rights.HoldKind, api.HoldRequest, error) {
	var req api.HoldRequest
	if err := decode(body, &req); err != nil {
		return "", "", req, err
	}
	key, err := p.signer(s.cfg.Home, req.From)
	if err != nil {
		return "", "", req, err
	}
	kind, ok := holdKinds[req.Kind]
	if !ok {
		return "", "", req, invalid(fmt.Sprintf("kind %q is not dataset, grant, party or product", req.Kind))
	}
	if req.ID == "" {
		return "", "", req, invalid(`a hold names what it holds in "id"`)
	}
	return key, kind, req, nil
}

func (s *Server) freeze(r *http.Request, p principal, body []byte) (int, any, error) {
	key, kind, req, err := s.holdWrite(r, p, body)
	if err != nil {
		return 0, nil, err
	}
	h, err := s.session.Freeze(r.Context(), key, kind, req.ID, req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, marketplace.AuditHoldOf(h), nil
}

func (s *Server) unfreeze(r *http.Request, p principal, body []byte) (int, any, error) {
	key, kind, req, err := s.holdWrite(r, p, body)
	if err != nil {
		return 0, nil, err
	}
	h, err := s.session.Unfreeze(r.Context(), key, kind, req.ID, req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, marketplace.AuditHoldOf(h), nil
}

func (s *Server) listProposals(r *http.Request, _ principal) (int, any, error) {
	limit, after, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	props, err := client.List[rights.Proposal](r.Context(), s.session.Chain)
	if err != nil {
		return 0, nil, err
	}
	out := make([]api.Proposal, len(props))
	for i := range props {
		out[i] = marketplace.AuditProposalOf(&props[i])
	}
	return http.StatusOK, page(out, func(p api.Proposal) string { return p.ID }, limit, after), nil
}

func (s *Server) propose(r *http.Request, p principal, body []byte) (int, any, error) {
	var req api.ProposalRequest
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	key, err := p.signer(s.cfg.Home, req.From)
	if err != nil {
		return 0, nil, err
	}
	change := rights.RegulatorChange(req.Change)
	if change != rights.RegulatorAdd && change != rights.RegulatorRemove {
		return 0, nil, invalid(fmt.Sprintf("change %q is not add or remove", req.Change))
	}
	prop, err := s.session.ProposeRegulatorChange(r.Context(), key, change, req.Who, req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, marketplace.AuditProposalOf(prop), nil
}

func (s *Server) vote(r *http.Request, p principal, body []byte) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.Signer
	if err := decode(body, &req); err != nil {
		return 0, nil, err
	}
	key, err := p.signer(s.cfg.Home, req.From)
	if err != nil {
		return 0, nil, err
	}
	prop, err := s.session.VoteRegulatorChange(r.Context(), key, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, marketplace.AuditProposalOf(prop), nil
}
