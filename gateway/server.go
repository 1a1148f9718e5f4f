package gateway

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/gateway/console"
	"github.com/dxplabs/dxp/gateway/metrics"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// OpenAPI is the gateway's OpenAPI 3.1 document, the one source of truth for its API.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Server is one organisation's gateway over the keys in its home.
type Server struct {
	cfg     Config
	session *marketplace.Session
	tokens  *tokens
	idem    *idempotency
	jobs    *jobs
	comps   *computations
	metrics *metrics.Metrics
	catalog catalogCache
	lock    *os.File // HOME/gateway/lock, held until Close

	mux    *http.ServeMux
	routes []string // every pattern registered, for the OpenAPI check

	// life is cancelled by Close: the background work (publish jobs, computations being
	// awaited) stops with it, and is resumed by the next New on the same home.
	life   context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// New opens a marketplace session on cfg.Home, reads (or makes, at first start) the home's
// tokens, and resumes the publish jobs and computations a previous gateway left under way.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	session, err := marketplace.Open(ctx, cfg.Home)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, session: session, mux: http.NewServeMux()}
	s.life, s.stop = context.WithCancel(context.Background())
	dir := filepath.Join(cfg.Home, "gateway")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		session.Close()
		return nil, err
	}
	if s.lock, err = lockHome(filepath.Join(dir, "lock")); err != nil {
		session.Close()
		return nil, err
	}
	if s.tokens, err = loadTokens(cfg.Home); err == nil {
		if s.idem, err = newIdempotency(filepath.Join(dir, "idempotency")); err == nil {
			if s.jobs, err = newJobs(s, filepath.Join(dir, "jobs"), filepath.Join(dir, "uploads")); err == nil {
				s.comps, err = newComputations(s, filepath.Join(dir, "results"))
			}
		}
	}
	if err != nil {
		session.Close()
		s.lock.Close()
		return nil, err
	}
	opts := metrics.Options{Chain: session.Chain, StateFile: filepath.Join(dir, "metrics.json"), Logger: cfg.Logger}
	if cfg.CometBFTMetrics != "" {
		opts.CometBFT = metrics.Scrape(cfg.CometBFTMetrics)
	}
	s.metrics = metrics.New(opts)
	s.goBackground(func(ctx context.Context) {
		if err := s.metrics.Run(ctx); err != nil && ctx.Err() == nil {
			cfg.Logger.Error("the metrics' chain follower stopped", "err", err)
		}
	})
	s.routeAll()
	s.jobs.resume()
	s.comps.resume()
	s.sweep(time.Now())
	s.goBackground(func(ctx context.Context) {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s.sweep(now)
			}
		}
	})
	return s, nil
}

// Handler serves the whole gateway: the API, its document, health, and (when mounted) the
// console and metrics.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves the gateway on l until ctx ends, over TLS when the config names a certificate.
// It refuses a listener that is not on loopback without TLS.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	tls := s.cfg.TLSCert != ""
	if err := checkListen(l.Addr().String(), tls); err != nil {
		return err
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return s.life }}
	done := make(chan error, 1)
	go func() {
		if tls {
			done <- srv.ServeTLS(l, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			done <- srv.Serve(l)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.stop() // ends the event streams, which would hold Shutdown
	err := srv.Shutdown(shutdown)
	<-done
	return err
}

// Close stops the background work (it resumes at the next start) and closes the session.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		s.stop()
		s.wg.Wait()
		err = errors.Join(s.session.Close(), s.lock.Close())
	})
	return err
}

// go runs f in the background until Close.
func (s *Server) goBackground(f func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.life)
	}()
}

// apiRead is a GET handler: it returns the status and the body to send as JSON, or an error.
type apiRead func(r *http.Request, p principal) (int, any, error)

// apiWrite is a write handler given the request body, read in full within the limit.
type apiWrite func(r *http.Request, p principal, body []byte) (int, any, error)

// handle registers a public route, counted and logged by the metrics' middleware.
func (s *Server) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.metrics.Middleware(pattern, h))
}

// read registers an authenticated GET route.
func (s *Server) read(pattern string, f apiRead) {
	s.handle(pattern, s.authed(func(w http.ResponseWriter, r *http.Request, p principal) {
		status, v, err := f(r, p)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		writeJSON(w, status, v)
	}))
}

// write registers an authenticated write route whose body is at most limit bytes, done at most
// once per Idempotency-Key.
func (s *Server) write(pattern string, limit int64, f apiWrite) {
	s.handle(pattern, s.authed(func(w http.ResponseWriter, r *http.Request, p principal) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeProblem(w, r, tooLarge(fmt.Sprintf("the request body is larger than %d bytes", limit)))
			} else {
				writeProblem(w, r, badRequest("the request body could not be read"))
			}
			return
		}
		s.idem.wrap(w, r, p, bodyDigest(body), func(w http.ResponseWriter) {
			status, v, err := f(r, p, body)
			s.observeTx(pattern, err)
			if err != nil {
				writeProblem(w, r, err)
				return
			}
			writeJSON(w, status, v)
		})
	}))
}

// authed checks the bearer token and calls h with who it is.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dxp"`)
			writeProblem(w, r, unauthorized("this request needs Authorization: Bearer TOKEN (see `dxp gateway token`)"))
			return
		}
		p, ok := s.tokens.authenticate(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dxp", error="invalid_token"`)
			writeProblem(w, r, unauthorized("the bearer token is not one of this gateway's"))
			return
		}
		h(w, r, p)
	})
}

// decode reads a JSON body into v: unknown fields and trailing data are refused (400).
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not the JSON this request takes: " + err.Error())
	}
	if dec.More() {
		return badRequest("the body has data after its JSON object")
	}
	return nil
}

// pathID reads the {id} path segment, refusing anything but an object id: letters, digits, '-',
// '_' and '.', not starting with '.', at most 128 characters. Ids also name files in the
// gateway's home (jobs, uploads, results), so nothing else may reach a path.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return "", notFound(fmt.Sprintf("%q is not an id", id))
	}
	return id, nil
}

// readRecords reads the records the gateway kept in dir, one ID.json file each (jobs,
// computations), by id; files that are not such a record are left alone, and a record that does
// not decode is an error naming it as what.
func readRecords[T any](dir, what string) (map[string]T, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	recs := map[string]T{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validID(id) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var rec T
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s %s is corrupt: %w", what, id, err)
		}
		recs[id] = rec
	}
	return recs, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' || id[0] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// routeAll registers every route; gateway/openapi.yaml lists each (a test checks both ways).
func (s *Server) routeAll() {
	const v = api.Prefix
	s.handle("GET /healthz", http.HandlerFunc(s.health))
	s.handle("GET /metrics", s.metrics.Handler())
	// The console takes every path the API does not: "/" without a method, so that "/api/"
	// (below) stays the more specific pattern for every method; it answers GET and HEAD.
	s.routes = append(s.routes, "GET /")
	s.mux.Handle("/", s.metrics.Middleware("GET /", console.Handler()))
	s.handle("GET /openapi.yaml", http.HandlerFunc(s.openapiYAML))
	s.handle("GET /openapi.json", http.HandlerFunc(s.openapiJSON))

	s.read("GET "+v+"/whoami", s.whoami)
	s.read("GET "+v+"/status", s.status)
	s.read("GET "+v+"/committee", s.committee)
	s.read("GET "+v+"/circuits", s.circuits)
	s.read("GET "+v+"/ceremonies", s.ceremonies)

	s.read("GET "+v+"/datasets", s.listDatasets)
	s.read("GET "+v+"/datasets/{id}", s.getDataset)
	s.write("POST "+v+"/datasets/{id}/verify", s.cfg.MaxBody, s.verifyDataset)
	s.write("PATCH "+v+"/datasets/{id}", s.cfg.MaxBody, s.updateDataset)
	s.write("PUT "+v+"/datasets/{id}/policy", s.cfg.MaxBody, s.setPolicy)
	s.write("POST "+v+"/datasets/{id}/retire", s.cfg.MaxBody, s.retireDataset)
	s.write("POST "+v+"/datasets/{id}/transfer", s.cfg.MaxBody, s.transferDataset)

	s.handle("POST "+v+"/uploads", s.authed(s.uploadStream))
	s.write("POST "+v+"/publish", s.cfg.MaxBody, s.publish)
	s.read("GET "+v+"/jobs", s.listJobs)
	s.read("GET "+v+"/jobs/{id}", s.getJob)
	s.handle("GET "+v+"/jobs/{id}/events", s.authed(s.jobEvents))

	s.read("GET "+v+"/grants", s.listGrants)
	s.write("POST "+v+"/grants", s.cfg.MaxBody, s.requestGrant)
	s.read("GET "+v+"/grants/{id}", s.getGrant)
	s.write("POST "+v+"/grants/{id}/approve", s.cfg.MaxBody, s.grantAction(marketplace.Approve))
	s.write("POST "+v+"/grants/{id}/reject", s.cfg.MaxBody, s.grantAction(marketplace.Reject))
	s.write("POST "+v+"/grants/{id}/revoke", s.cfg.MaxBody, s.grantAction(marketplace.Revoke))
	s.read("GET "+v+"/inbox", s.inbox)

	s.write("POST "+v+"/computations/quote", s.cfg.MaxBody, s.quote)
	s.write("POST "+v+"/computations", s.cfg.MaxBody, s.createComputation)
	s.read("GET "+v+"/computations", s.listComputations)
	s.read("GET "+v+"/computations/{id}", s.getComputation)
	s.handle("GET "+v+"/computations/{id}/events", s.authed(s.computationEvents))
	s.write("POST "+v+"/computations/{id}/resolve", s.cfg.MaxBody, s.resolve)

	s.read("GET "+v+"/products", s.listProducts)
	s.write("POST "+v+"/products/{id}/transfer", s.cfg.MaxBody, s.transferProduct)
	s.write("POST "+v+"/products/{id}/license", s.cfg.MaxBody, s.licenseProduct)

	s.read("GET "+v+"/audit/flows", s.flows)
	s.handle("GET "+v+"/audit/report", s.authed(s.report))
	s.read("GET "+v+"/audit/budgets", s.budgets)
	s.read("GET "+v+"/holds", s.listHolds)
	s.write("POST "+v+"/holds", s.cfg.MaxBody, s.freeze)
	s.write("POST "+v+"/holds/release", s.cfg.MaxBody, s.unfreeze)
	s.read("GET "+v+"/proposals", s.listProposals)
	s.write("POST "+v+"/proposals", s.cfg.MaxBody, s.propose)
	s.write("POST "+v+"/proposals/{id}/vote", s.cfg.MaxBody, s.vote)

	// Anything else under /api/ is a problem document, not the console's page.
	s.mux.Handle("/api/", s.authed(func(w http.ResponseWriter, r *http.Request, _ principal) {
		writeProblem(w, r, notFound(fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)))
	}))
}

// txKinds names the tx each write route submits, for the metrics of the gateway's txs.
var txKinds = map[string]string{
	"PATCH " + api.Prefix + "/datasets/{id}":            "update_dataset",
	"PUT " + api.Prefix + "/datasets/{id}/policy":       "set_policy",
	"POST " + api.Prefix + "/datasets/{id}/retire":      "retire_dataset",
	"POST " + api.Prefix + "/datasets/{id}/transfer":    "transfer_holding",
	"POST " + api.Prefix + "/grants":                    "request_grant",
	"POST " + api.Prefix + "/grants/{id}/approve":       "approve_grant",
	"POST " + api.Prefix + "/grants/{id}/reject":        "reject_grant",
	"POST " + api.Prefix + "/grants/{id}/revoke":        "revoke_grant",
	"POST " + api.Prefix + "/computations":              "request_computation",
	"POST " + api.Prefix + "/computations/{id}/resolve": "resolve_dispute",
	"POST " + api.Prefix + "/products/{id}/transfer":    "transfer_product",
	"POST " + api.Prefix + "/products/{id}/license":     "license_product",
	"POST " + api.Prefix + "/holds":                     "freeze",
	"POST " + api.Prefix + "/holds/release":             "unfreeze",
	"POST " + api.Prefix + "/proposals":                 "propose_regulator_change",
	"POST " + api.Prefix + "/proposals/{id}/vote":       "vote_regulator_change",
}

// observeTx counts a write route's tx: accepted (code 0) or refused by the chain with its code.
// A request the gateway refused itself sent no tx and is not counted.
func (s *Server) observeTx(route string, err error) {
	kind, ok := txKinds[route]
	if !ok {
		return
	}
	var te *rights.TxError
	switch {
	case err == nil:
		s.metrics.ObserveTx(kind, rights.CodeOK)
	case errors.As(err, &te):
		s.metrics.ObserveTx(kind, te.Code)
	}
}

func (s *Server) observeComputation(op, status string, d time.Duration) {
	s.metrics.ObserveComputation(op, status, d)
}

func (s *Server) observePublish(rows int, d time.Duration) {
	s.metrics.ObservePublish(rows, d)
	s.metrics.ObserveTx("register_dataset", rights.CodeOK)
}
