package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// health answers 200 with the chain's height when the node answers within a few seconds, else
// 503.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	h, err := s.session.Chain.Height(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, api.Health{Status: "unreachable", ChainID: s.session.Config.ChainID})
		return
	}
	writeJSON(w, http.StatusOK, api.Health{Status: "ok", Height: h, ChainID: s.session.Config.ChainID})
}

func (s *Server) openapiYAML(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(OpenAPI)
}

func (s *Server) openapiJSON(w http.ResponseWriter, r *http.Request) {
	doc, err := OpenAPIJSON()
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
}

// OpenAPIJSON is the OpenAPI document as JSON.
func OpenAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

func (s *Server) whoami(r *http.Request, p principal) (int, any, error) {
	keys, err := p.keys(s.cfg.Home)
	if err != nil {
		return 0, nil, err
	}
	out := api.Whoami{Token: p.name, Keys: []api.Key{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, api.Key{Name: k.Name, Address: k.Address, Roles: k.Roles})
	}
	return http.StatusOK, out, nil
}

func (s *Server) status(r *http.Request, _ principal) (int, any, error) {
	ctx := r.Context()
	h, err := s.session.Chain.Height(ctx)
	if err != nil {
		return 0, nil, err
	}
	gen, err := client.Get[rights.Genesis](ctx, s.session.Chain, "")
	if err != nil {
		return 0, nil, err
	}
	st := api.Status{ChainID: gen.ChainID, Height: h, InputProofsRequired: gen.Params.InputProofs,
		Insecure: gen.Params.SlotsPerCiphertext < mpc.SecureSlots}
	if st.Committee, err = s.committeeView(ctx); err != nil {
		return 0, nil, err
	}
	if st.Circuits, err = s.circuitViews(ctx); err != nil {
		return 0, nil, err
	}
	for _, c := range st.Circuits {
		st.Insecure = st.Insecure || c.Insecure
	}
	if st.Ceremonies, err = s.ceremonyViews(ctx); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, st, nil
}

func (s *Server) committeeView(ctx context.Context) (api.Committee, error) {
	c, err := client.Get[rights.Committee](ctx, s.session.Chain, "")
	if err != nil {
		return api.Committee{}, err
	}
	out := api.Committee{Threshold: c.Threshold, Epoch: c.Epoch, Ready: c.Ready, Members: []rights.Address{}, Keys: []string{}}
	for _, m := range c.Members {
		out.Members = append(out.Members, m.Address)
	}
	for _, k := range c.Keys {
		out.Keys = append(out.Keys, k.String())
	}
	return out, nil
}

func (s *Server) circuitViews(ctx context.Context) ([]api.Circuit, error) {
	cs, err := client.List[rights.Circuit](ctx, s.session.Chain)
	if err != nil {
		return nil, err
	}
	out := []api.Circuit{}
	for _, c := range cs {
		kind := string(c.Kind)
		if kind == "" {
			kind = "chunk"
		}
		out = append(out, api.Circuit{ID: c.ID(), Kind: kind, ChunkSize: c.ChunkSize, Width: c.Width,
			Insecure: c.Setup == rights.InsecureDevnetSetup})
	}
	return out, nil
}

func (s *Server) ceremonyViews(ctx context.Context) ([]api.Ceremony, error) {
	cs, err := client.List[rights.ZKCeremony](ctx, s.session.Chain)
	if err != nil {
		return nil, err
	}
	out := []api.Ceremony{}
	for i := range cs {
		c := &cs[i]
		v := api.Ceremony{ID: c.ID, Status: string(c.Status), ChunkSize: c.ChunkSize, Width: c.Width,
			Participants: []rights.Address{}, WaitingFor: marketplace.ZKWaitingFor(c)}
		for _, p := range c.Participants {
			v.Participants = append(v.Participants, p.Address)
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) committee(r *http.Request, _ principal) (int, any, error) {
	c, err := s.committeeView(r.Context())
	return http.StatusOK, c, err
}

func (s *Server) circuits(r *http.Request, _ principal) (int, any, error) {
	c, err := s.circuitViews(r.Context())
	return http.StatusOK, c, err
}

func (s *Server) ceremonies(r *http.Request, _ principal) (int, any, error) {
	c, err := s.ceremonyViews(r.Context())
	return http.StatusOK, c, err
}
