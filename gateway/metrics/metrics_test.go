package metrics_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/dxplabs/dxp/gateway/metrics"
)

// serve serves h on a loopback listener until the test ends and returns its base URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shut the test server down: %v", err)
		}
	})
	return "http://" + l.Addr().String()
}

// scrape reads url's Prometheus exposition as a scraper would.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s = %s: %s", url, resp.Status, b)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: not the Prometheus text format: %v", url, err)
	}
	return fams
}

// value is the value of the metric of family name whose labels include want: a counter's or
// gauge's value, a histogram's sample count; ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			if !hasLabel(m.Label, k, v) {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func hasLabel(labels []*dto.LabelPair, k, v string) bool {
	for _, l := range labels {
		if l.GetName() == k && l.GetValue() == v {
			return true
		}
	}
	return false
}

func mustValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := value(fams, name, labels)
	if !ok {
		t.Fatalf("no metric %s%v in the scrape", name, labels)
	}
	return v
}

// syncBuffer is a log destination the server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMiddleware: requests are counted by the route they were mounted at (not the raw path),
// method and status, timed, and logged once each; an event stream still flushes through the
// middleware, and a handler that panics is counted as a 500.
func TestMiddleware(t *testing.T) {
	var logs syncBuffer
	logger, err := metrics.NewLogger(&logs, metrics.LogJSON, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Options{Logger: logger})
	firstEventRead := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /api/v1/datasets/{id}", m.Middleware("GET /api/v1/datasets/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q}`, r.PathValue("id"))
	})))
	mux.Handle("POST /api/v1/computations", m.Middleware("POST /api/v1/computations", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `{"title":"refused","status":409,"code":44}`)
	})))
	mux.Handle("GET /api/v1/computations/{id}/events", m.Middleware("GET /api/v1/computations/{id}/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: stage\ndata: {\"stage\":\"pending\"}\n\n")
		w.(http.Flusher).Flush() // as an SSE handler does
		select {                 // the client must get the first event while the stream is open
		case <-firstEventRead:
		case <-time.After(10 * time.Second):
			return
		}
		fmt.Fprint(w, "event: done\ndata: {}\n\n")
	})))
	mux.Handle("GET /api/v1/broken", m.Middleware("GET /api/v1/broken", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("a bug")
	})))
	base := serve(t, mux)

	for _, id := range []string{"ds-1", "ds-2"} {
		resp, err := http.Get(base + "/api/v1/datasets/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Post(base+"/api/v1/computations", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("POST = %d, want 409", resp.StatusCode)
	}
	// A fresh connection: a client retries a GET that failed on a reused one, which would run
	// the handler twice.
	noReuse := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := noReuse.Get(base + "/api/v1/broken"); err == nil {
		t.Errorf("GET /api/v1/broken answered; want the connection dropped by the panic")
	}

	resp, err = http.Get(base + "/api/v1/computations/c-1/events")
	if err != nil {
		t.Fatal(err)
	}
	events := bufio.NewReader(resp.Body)
	line, err := events.ReadString('\n')
	if err != nil || line != "event: stage\n" {
		t.Fatalf("first line of the stream = %q, %v; want the first event before the stream ends", line, err)
	}
	close(firstEventRead)
	rest, err := io.ReadAll(events)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(rest), "event: done") {
		t.Fatalf("rest of the stream = %q, %v", rest, err)
	}

	fams := scrape(t, base+"/metrics")
	for _, c := range []struct {
		route, method, status string
		want                  float64
	}{
		{"GET /api/v1/datasets/{id}", "GET", "200", 2},
		{"POST /api/v1/computations", "POST", "409", 1},
		{"GET /api/v1/computations/{id}/events", "GET", "200", 1},
		{"GET /api/v1/broken", "GET", "500", 1},
	} {
		got := mustValue(t, fams, "dxp_http_requests_total", map[string]string{"route": c.route, "method": c.method, "status": c.status})
		if got != c.want {
			t.Errorf("dxp_http_requests_total{route=%q,status=%s} = %v, want %v", c.route, c.status, got, c.want)
		}
	}
	if got := mustValue(t, fams, "dxp_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/datasets/{id}", "method": "GET"}); got != 2 {
		t.Errorf("dxp_http_request_duration_seconds count = %v, want 2", got)
	}
	if got := mustValue(t, fams, "dxp_http_requests_in_flight", map[string]string{"route": "GET /api/v1/computations/{id}/events"}); got != 0 {
		t.Errorf("dxp_http_requests_in_flight after the stream ended = %v, want 0", got)
	}
	for _, f := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := fams[f]; !ok {
			t.Errorf("no %s in the scrape", f)
		}
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if rec["msg"] == "http request" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 5 {
		t.Fatalf("%d request log lines, want 5 (one per request):\n%s", len(lines), logs.String())
	}
	if lines[0]["route"] != "GET /api/v1/datasets/{id}" || lines[0]["path"] != "/api/v1/datasets/ds-1" || lines[0]["status"] != float64(200) {
		t.Errorf("first log line = %v, want the route, the path and status 200", lines[0])
	}
	if lines[3]["level"] != "WARN" || lines[3]["status"] != float64(500) {
		t.Errorf("log line of the panic = %v, want a warning with status 500", lines[3])
	}
}

// TestHooks: what the gateway reports through the hooks is what the scrape shows.
func TestHooks(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.ObserveComputation("mean", "completed", 3*time.Second)
	m.ObserveComputation("mean", "completed", 5*time.Second)
	m.ObserveComputation("sum", "refused", time.Second)
	m.ObservePublish(1000, 4*time.Second)
	m.ObserveTx("request_computation", 0)
	m.ObserveTx("request_computation", 44)
	m.ObserveTx("request_computation", 44)
	fams := scrape(t, serve(t, m.Handler()))
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"dxp_gateway_computations_total", map[string]string{"op": "mean", "status": "completed"}, 2},
		{"dxp_gateway_computations_total", map[string]string{"op": "sum", "status": "refused"}, 1},
		{"dxp_gateway_computation_duration_seconds", map[string]string{"op": "mean", "status": "completed"}, 2},
		{"dxp_gateway_publishes_total", nil, 1},
		{"dxp_gateway_publish_rows_total", nil, 1000},
		{"dxp_gateway_publish_rows_per_second", nil, 1},
		{"dxp_gateway_txs_total", map[string]string{"kind": "request_computation", "code": "0"}, 1},
		{"dxp_gateway_txs_total", map[string]string{"kind": "request_computation", "code": "44"}, 2},
	}
	for _, c := range checks {
		if got := mustValue(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	h := fams["dxp_gateway_computation_duration_seconds"].Metric
	for _, mm := range h {
		if hasLabel(mm.Label, "op", "mean") {
			if got := mm.Histogram.GetSampleSum(); got != 8 {
				t.Errorf("mean computations took %v s in all, want 8", got)
			}
		}
	}
	rate := fams["dxp_gateway_publish_rows_per_second"].Metric[0].Histogram.GetSampleSum()
	if rate != 250 {
		t.Errorf("publish rows per second = %v, want 250", rate)
	}
}

// TestLogNeverHoldsSecrets sends requests carrying a token (header and query), a secret key and
// a result to a handler that logs all of them carelessly, through the middleware and the
// gateway's logger in both formats: no log line holds any of them, and the lines are there.
func TestLogNeverHoldsSecrets(t *testing.T) {
	tokenBytes := make([]byte, 32)
	if _, err := rand.Read(tokenBytes); err != nil {
		t.Fatal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(tokenBytes)
	queryToken := base64.RawURLEncoding.EncodeToString(tokenBytes[:20])
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secretKey := hex.EncodeToString(priv)
	const result = "123456.789012"

	for _, format := range []string{metrics.LogText, metrics.LogJSON} {
		t.Run(format, func(t *testing.T) {
			var logs syncBuffer
			logger, err := metrics.NewLogger(&logs, format, slog.LevelDebug)
			if err != nil {
				t.Fatal(err)
			}
			m := metrics.New(metrics.Options{Logger: logger})
			careless := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				logger.Info("request in", "authorization", r.Header.Get("Authorization"), "query", r.URL.RawQuery)
				logger.Warn("refused", "error", fmt.Errorf("token check: %s is not a token of this key", r.Header.Get("Authorization")))
				logger.Info("signing", "buyerSecretKey", secretKey, "from", "buyer1")
				logger.Debug("raw", slog.Group("token", "value", token), "body", string(body))
				logger.Info("decrypted", "result", result, "computation", "c-1")
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"result":{"value":%q}}`, result)
			})
			base := serve(t, m.Middleware("POST /api/v1/computations", careless))
			req, err := http.NewRequest(http.MethodPost, base+"/api/v1/computations?token="+queryToken, strings.NewReader(`{"from":"buyer1","secret_key":"`+secretKey+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(got), result) {
				t.Fatalf("the response lost the result: %s", got)
			}
			out := logs.String()
			for name, secret := range map[string]string{"the token": token, "the query's token": queryToken, "the secret key": secretKey, "the result": result} {
				if strings.Contains(out, secret) {
					t.Errorf("the log holds %s:\n%s", name, out)
				}
			}
			for _, want := range []string{"http request", "POST /api/v1/computations", metrics.Redacted, "buyer1", "c-1"} {
				if !strings.Contains(out, want) {
					t.Errorf("the log lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestNewLoggerRefusesUnknownFormat(t *testing.T) {
	if _, err := metrics.NewLogger(io.Discard, "xml", slog.LevelInfo); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("NewLogger(xml) = %v, want an error naming the format", err)
	}
}

// errGatherer fails like a node that is down.
type errGatherer struct{}

func (errGatherer) Gather() ([]*dto.MetricFamily, error) {
	return nil, errors.New("connection refused")
}

// TestCometBFTDown: a node whose metrics cannot be read leaves them out of the scrape, which
// still succeeds and says so.
func TestCometBFTDown(t *testing.T) {
	m := metrics.New(metrics.Options{CometBFT: errGatherer{}})
	fams := scrape(t, serve(t, m.Handler()))
	if got := mustValue(t, fams, "dxp_cometbft_metrics_up", nil); got != 0 {
		t.Errorf("dxp_cometbft_metrics_up = %v with the node down, want 0", got)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("the scrape lost the gateway's own metrics while the node was down")
	}
}
