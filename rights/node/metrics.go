package node

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cometbft/cometbft/blocksync"
	cs "github.com/cometbft/cometbft/consensus"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/proxy"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/statesync"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// CometBFT's own metrics (consensus height and rounds, block interval and size, mempool, peers,
// ABCI call times; names cometbft_*).
//
// CometBFT builds them through go-kit, which registers every metric on the process's default
// Prometheus registry, once per process: building them a second time panics. Its own metrics
// listener only logs a port it cannot bind. So a node does not leave either to CometBFT:
//   - the metrics are built once per process and reused by a later node of the same chain (a
//     restart in the same process); while one node serves them, a second node asking for them
//     is refused, as is a node of another chain (its chain_id label would be wrong), each with
//     an error that says why;
//   - the node listens itself, before it starts, so a taken or malformed address is an error of
//     Start, and serves the default registry there at /metrics (CometBFT's families beside the
//     process's go_* and process_*) until Stop.
var cometMetrics struct {
	sync.Mutex
	chainID string      // the chain the metrics were built for; "" before the first
	built   *metricsSet // nil before the first
	serving bool        // a running node serves them
}

// metricsSet is what nm.MetricsProvider returns, built once.
type metricsSet struct {
	cs        *cs.Metrics
	p2p       *p2p.Metrics
	mempool   *mempool.Metrics
	state     *sm.Metrics
	proxy     *proxy.Metrics
	blocksync *blocksync.Metrics
	statesync *statesync.Metrics
}

// cometMetricsNamespace is the metric name prefix (CometBFT's default instrumentation.namespace).
const cometMetricsNamespace = "cometbft"

// acquireMetrics reserves the process's CometBFT metrics for a node of chainID and returns the
// provider that hands them to CometBFT; release gives them back.
func acquireMetrics(chainID string) (nm.MetricsProvider, error) {
	cometMetrics.Lock()
	defer cometMetrics.Unlock()
	if cometMetrics.serving {
		return nil, errors.New("another node of this process already serves CometBFT's metrics, which live on the process's one Prometheus registry")
	}
	if cometMetrics.built != nil && cometMetrics.chainID != chainID {
		return nil, fmt.Errorf("this process already built CometBFT's metrics for chain %s; a node of chain %s cannot serve them", cometMetrics.chainID, chainID)
	}
	if cometMetrics.built == nil {
		label := []string{"chain_id", chainID}
		cometMetrics.built = &metricsSet{
			cs:        cs.PrometheusMetrics(cometMetricsNamespace, label...),
			p2p:       p2p.PrometheusMetrics(cometMetricsNamespace, label...),
			mempool:   mempool.PrometheusMetrics(cometMetricsNamespace, label...),
			state:     sm.PrometheusMetrics(cometMetricsNamespace, label...),
			proxy:     proxy.PrometheusMetrics(cometMetricsNamespace, label...),
			blocksync: blocksync.PrometheusMetrics(cometMetricsNamespace, label...),
			statesync: statesync.PrometheusMetrics(cometMetricsNamespace, label...),
		}
		cometMetrics.chainID = chainID
	}
	cometMetrics.serving = true
	m := cometMetrics.built
	return func(string) (*cs.Metrics, *p2p.Metrics, *mempool.Metrics, *sm.Metrics, *proxy.Metrics, *blocksync.Metrics, *statesync.Metrics) {
		return m.cs, m.p2p, m.mempool, m.state, m.proxy, m.blocksync, m.statesync
	}, nil
}

func releaseMetrics() {
	cometMetrics.Lock()
	cometMetrics.serving = false
	cometMetrics.Unlock()
}

// metricsServer serves the default Prometheus registry at /metrics on a listener of its own.
type metricsServer struct {
	srv  *http.Server
	done chan struct{}
}

// serveMetrics listens on addr ("HOST:PORT") and serves the metrics there until close.
func serveMetrics(addr string) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{MaxRequestsInFlight: 4}))
	s := &metricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln) // returns http.ErrServerClosed at close
	}()
	return s, nil
}

func (s *metricsServer) close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// chainIDOf reads the chain ID from a home's genesis file.
func chainIDOf(genesisFile string) (string, error) {
	doc, err := cmttypes.GenesisDocFromFile(genesisFile)
	if err != nil {
		return "", fmt.Errorf("read genesis: %w", err)
	}
	return doc.ChainID, nil
}

// checkMetricsListen refuses a metrics address that is not HOST:PORT.
func checkMetricsListen(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("metrics address %q is not HOST:PORT", addr)
	}
	return nil
}
