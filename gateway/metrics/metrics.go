package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dxplabs/dxp/rights/client"
)

// Namespace prefixes every metric this package defines.
const Namespace = "dxp"

// Options configures Metrics. The zero value of every field means "without it".
type Options struct {
	// Chain is the chain whose blocks Run follows (txs by kind and refusal code, members' posts
	// and lag). Nil: Run refuses to start, and the chain's figures are absent.
	Chain *client.Client
	// StateFile is where Run keeps the last height it counted and its counts (0600, written
	// atomically), so a restarted gateway resumes after that height instead of counting a block
	// twice. Empty: every start counts the chain from its first block.
	StateFile string
	// CometBFT gathers the node's own metrics, re-exposed beside DXP's: Scrape(url) for a node in
	// another process (its node.Config.MetricsListen), prometheus.DefaultGatherer for a
	// node in this process (CometBFT registers there). Only families named cometbft_* are kept,
	// so the node's process and Go runtime figures do not clash with the gateway's own.
	CometBFT prometheus.Gatherer
	// Logger receives one line per request (Middleware) and the follower's troubles. Nil
	// discards them. Make it with NewLogger, which redacts secrets.
	Logger *slog.Logger
}

// Metrics holds the gateway's Prometheus registry and what feeds it. It is safe for concurrent
// use.
type Metrics struct {
	opts Options
	log  *slog.Logger
	reg  *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight *prometheus.GaugeVec

	computations        *prometheus.CounterVec
	computationDuration *prometheus.HistogramVec
	publishes           prometheus.Counter
	publishRows         prometheus.Counter
	publishDuration     prometheus.Histogram
	publishRate         prometheus.Histogram
	gatewayTxs          *prometheus.CounterVec

	chainTxs         *prometheus.CounterVec
	chainHeight      prometheus.Gauge
	countedHeight    prometheus.Gauge
	followErrors     prometheus.Counter
	memberLastPost   *prometheus.GaugeVec
	memberLag        *prometheus.GaugeVec
	memberOwed       *prometheus.GaugeVec
	cometUp          prometheus.Gauge
	follow           follower
	followMu         sync.Mutex // one Run at a time
	cometBFTGatherer prometheus.Gatherer
}

// Buckets of the latency histograms, in seconds.
var (
	// httpBuckets span a cached read (a millisecond) to a slow catalog page or a long upload.
	httpBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	// computationBuckets span a count the chain answers (a block) to a large committee job.
	computationBuckets = []float64{.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300, 600}
	// publishBuckets span a small table to a million rows with input proofs.
	publishBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600}
	// rowsPerSecondBuckets: input proofs run at a few hundred rows a second per core.
	rowsPerSecondBuckets = []float64{10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000}
)

// New returns Metrics with its own registry holding DXP's metrics and the gateway process's Go
// runtime and process figures. It starts nothing: Run follows the chain.
func New(opts Options) *Metrics {
	m := &Metrics{opts: opts, log: opts.Logger, reg: prometheus.NewRegistry()}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	f := prometheus.WrapRegistererWithPrefix(Namespace+"_", m.reg)
	m.httpRequests = counterVec(f, "http_requests_total", "HTTP requests the gateway answered, by route, method and status.", "route", "method", "status")
	m.httpDuration = histogramVec(f, "http_request_duration_seconds", "Time to answer an HTTP request, by route and method (a stream: until it ended).", httpBuckets, "route", "method")
	m.httpInFlight = gaugeVec(f, "http_requests_in_flight", "HTTP requests being answered now, by route (open event streams included).", "route")

	m.computations = counterVec(f, "gateway_computations_total", "Computations the gateway ran for its buyers to an end, by op and final status.", "op", "status")
	m.computationDuration = histogramVec(f, "gateway_computation_duration_seconds", "From a computation's request to its end (the result decrypted, or the refusal), by op and final status.", computationBuckets, "op", "status")
	m.publishes = counter(f, "gateway_publishes_total", "Datasets the gateway published to the end (listed).")
	m.publishRows = counter(f, "gateway_publish_rows_total", "Rows of the datasets the gateway published.")
	m.publishDuration = histogram(f, "gateway_publish_duration_seconds", "Time to publish a dataset, from its upload to its listing.", publishBuckets)
	m.publishRate = histogram(f, "gateway_publish_rows_per_second", "Rows per second of each publish (its rows over its duration).", rowsPerSecondBuckets)
	m.gatewayTxs = counterVec(f, "gateway_txs_total", "Transactions the gateway submitted for its keys, by kind and the chain's code (0: accepted).", "kind", "code")

	m.chainTxs = counterVec(f, "chain_txs_total", "Transactions in the chain's blocks, by kind and the chain's code (0: accepted), read from the blocks and their results.", "kind", "code")
	m.chainHeight = gauge(f, "chain_height", "The node's latest block height.")
	m.countedHeight = gauge(f, "chain_counted_height", "The last block whose transactions dxp_chain_txs_total counts.")
	m.followErrors = counter(f, "chain_follow_errors_total", "Failed attempts to read blocks, results or the committee's work from the node.")
	m.memberLastPost = gaugeVec(f, "member_last_post_height", "The last height at which the chain accepted a post by the committee member (a ceremony share, an output, a key-switch share, an input verdict or a refusal).", "member")
	m.memberLag = gaugeVec(f, "member_lag_blocks", "Blocks since the oldest work still waiting for the committee member's post (an output or key-switch share of a computation under way, a verdict on a pending dataset); 0 when it owes nothing.", "member")
	m.memberOwed = gaugeVec(f, "member_owed_posts", "Posts the chain is waiting for from the committee member.", "member")
	if opts.CometBFT != nil {
		m.cometUp = gauge(f, "cometbft_metrics_up", "1 if the node's own metrics (cometbft_*) were read for the last scrape, else 0.")
		m.cometBFTGatherer = cometGatherer{src: opts.CometBFT, up: m.cometUp, log: m.log}
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry DXP's metrics live in, for a caller that adds its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' exposition format: DXP's and, with
// Options.CometBFT, the node's own beside them. A node that cannot be read leaves its metrics
// out (dxp_cometbft_metrics_up 0) rather than failing the scrape.
func (m *Metrics) Handler() http.Handler {
	var g prometheus.Gatherer = m.reg
	if m.cometBFTGatherer != nil {
		// The node's first, so that dxp_cometbft_metrics_up reports this scrape.
		g = prometheus.Gatherers{m.cometBFTGatherer, m.reg}
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:            slogPrintln{m.log},
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.reg, // counts promhttp's own errors
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	})
}

// ObserveComputation records a computation the gateway ran for a buyer that ended with status
// (completed, failed, refused, expired, aborted, ...) after d.
func (m *Metrics) ObserveComputation(op, status string, d time.Duration) {
	m.computations.WithLabelValues(op, status).Inc()
	m.computationDuration.WithLabelValues(op, status).Observe(d.Seconds())
}

// ObservePublish records a dataset of rows rows the gateway published in d.
func (m *Metrics) ObservePublish(rows int, d time.Duration) {
	m.publishes.Inc()
	m.publishRows.Add(float64(max(rows, 0)))
	m.publishDuration.Observe(d.Seconds())
	if d > 0 {
		m.publishRate.Observe(float64(rows) / d.Seconds())
	}
}

// ObserveTx records a tx of kind (rights.Msg.Kind) the gateway submitted and the code the chain
// answered (rights.CodeOK when it was accepted; a *rights.TxError's Code when refused).
func (m *Metrics) ObserveTx(kind string, code uint32) {
	m.gatewayTxs.WithLabelValues(kind, strconv.FormatUint(uint64(code), 10)).Inc()
}

// Middleware counts and times every request h answers under route (the pattern it is mounted
// at, such as "GET /api/v1/datasets/{id}": never the raw path, whose ids would make a label per
// object), and logs one line for it. The line holds the method, route, path, status, size and
// duration; never a header, the query string or a body, where tokens, keys and results travel.
// The ResponseWriter h gets still flushes (event streams) and unwraps (http.ResponseController).
func (m *Metrics) Middleware(route string, h http.Handler) http.Handler {
	inFlight := m.httpInFlight.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		inFlight.Inc()
		done := func() {
			inFlight.Dec()
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK // a handler that wrote nothing
			}
			method := methodLabel(r.Method)
			m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			m.log.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000))
		}
		defer func() {
			if p := recover(); p != nil {
				if rec.status == 0 {
					rec.status = http.StatusInternalServerError
				}
				done()
				panic(p) // net/http's own recovery (or http.ErrAbortHandler's meaning) goes on as before
			}
		}()
		h.ServeHTTP(rec, r)
		done()
	})
}

// methodLabel bounds the method label to the methods the API uses.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 { // 1xx responses are informational; the real one follows
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush passes a flush on (an event stream flushes each event), for handlers that assert
// http.Flusher rather than use http.ResponseController.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	// A writer that cannot flush returns http.ErrNotSupported; a handler that needs flushing
	// finds out through its own ResponseController, since Unwrap reaches the real writer.
	if err := http.NewResponseController(r.ResponseWriter).Flush(); err != nil {
		return
	}
}

// Unwrap lets http.ResponseController reach the real writer (deadlines, hijacking).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// slogPrintln adapts a logger to promhttp's ErrorLog.
type slogPrintln struct{ log *slog.Logger }

func (l slogPrintln) Println(v ...any) {
	l.log.Warn("metrics scrape", "error", fmt.Sprint(v...))
}

func counter(r prometheus.Registerer, name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	r.MustRegister(c)
	return c
}

func counterVec(r prometheus.Registerer, name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	r.MustRegister(c)
	return c
}

func gauge(r prometheus.Registerer, name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	r.MustRegister(g)
	return g
}

func gaugeVec(r prometheus.Registerer, name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	r.MustRegister(g)
	return g
}

func histogram(r prometheus.Registerer, name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	r.MustRegister(h)
	return h
}

func histogramVec(r prometheus.Registerer, name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	r.MustRegister(h)
	return h
}
