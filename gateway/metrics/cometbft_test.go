package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dxplabs/dxp/gateway/metrics"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestCometBFTMetrics runs a real CometBFT node serving its metrics (node.Config.MetricsListen,
// what `dxp devnet start --metrics` sets) and re-exposes
// its metrics beside DXP's, read both ways: over its listener (a node in another process) and
// from this process's default registry (a node in the gateway's process, whose Go and process
// figures would clash with the gateway's own if they were not left out). With the node stopped,
// the scrape still answers and says the node's metrics are missing.
//
// It is the only test of this package that turns CometBFT's Prometheus metrics on: CometBFT
// registers them in the process's default registry, once per process.
func TestCometBFTMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	if err := node.Init(home, rightstest.Genesis()); err != nil {
		t.Fatal(err)
	}
	promAddr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(ctx, node.Config{Home: home, TimeoutCommit: 50 * time.Millisecond, Verifier: rightstest.Verifier{}, MetricsListen: promAddr})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			n.Stop()
		}
	}()

	remote := metrics.New(metrics.Options{CometBFT: metrics.Scrape("http://" + promAddr + "/metrics")})
	inProcess := metrics.New(metrics.Options{CometBFT: prometheus.DefaultGatherer})
	remoteURL, inProcessURL := serve(t, remote.Handler()), serve(t, inProcess.Handler())
	for name, url := range map[string]string{"over the node's listener": remoteURL, "in process": inProcessURL} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			fams := scrape(t, url)
			h, _ := value(fams, "cometbft_consensus_height", nil)
			if h >= 3 {
				if up := mustValue(t, fams, "dxp_cometbft_metrics_up", nil); up != 1 {
					t.Errorf("%s: dxp_cometbft_metrics_up = %v, want 1", name, up)
				}
				if _, ok := fams["go_goroutines"]; !ok {
					t.Errorf("%s: the gateway's own metrics are missing", name)
				}
				if errs, _ := value(fams, "promhttp_metric_handler_errors_total", map[string]string{"cause": "gathering"}); errs != 0 {
					t.Errorf("%s: %v errors gathering the metrics (clashing families?)", name, errs)
				}
				if _, ok := fams["cometbft_mempool_size"]; !ok {
					t.Errorf("%s: cometbft_mempool_size is missing", name)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: cometbft_consensus_height = %v after 30 s, want at least 3", name, h)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	fams := scrape(t, remoteURL)
	if up := mustValue(t, fams, "dxp_cometbft_metrics_up", nil); up != 0 {
		t.Errorf("dxp_cometbft_metrics_up = %v with the node stopped, want 0", up)
	}
	if _, ok := fams["cometbft_consensus_height"]; ok {
		t.Error("the scrape shows the node's metrics though the node is stopped")
	}
}
