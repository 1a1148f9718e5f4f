package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// CometBFT's own metrics.
//
// A node exposes CometBFT's metrics (consensus height and rounds, block interval and size,
// mempool, peers, ABCI call times; names cometbft_*) when started with node.Config.MetricsListen
// (`--metrics` of `dxp devnet start` and `dxp node start`), from the process's default
// Prometheus registry. The gateway re-exposes them beside DXP's at its own /metrics,
// rather than leaving an operator to scrape two targets, because:
//   - one target per organisation is what the operator configures and secures (the gateway's
//     listener, with its TLS), and the node's metrics listener can stay on loopback;
//   - DXP's and CometBFT's figures then come from one scrape, at one instant: a chain height
//     (dxp_chain_height) and the node's consensus height are comparable without skew.
//
// Only families named cometbft_* are taken: the node's process and Go runtime figures
// (process_*, go_*) would clash with the gateway's own when both live in one process, and are
// the node's business when they do not. A node that cannot be read costs its families for that
// scrape, not the scrape (dxp_cometbft_metrics_up says which).

// cometPrefix is the name prefix of CometBFT's metrics (instrumentation.namespace "cometbft").
const cometPrefix = "cometbft_"

// scrapeTimeout bounds one read of the node's metrics.
const scrapeTimeout = 5 * time.Second

// maxScrapeBytes bounds what one read of the node's metrics may return.
const maxScrapeBytes = 16 << 20

// Scrape returns a Gatherer that reads the Prometheus text exposition at url (a CometBFT node's
// "http://127.0.0.1:26660/metrics") each time it is gathered.
func Scrape(url string) prometheus.Gatherer {
	return scraper{url: url, client: &http.Client{Timeout: scrapeTimeout}}
}

type scraper struct {
	url    string
	client *http.Client
}

func (s scraper) Gather() ([]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("read the node's metrics: %w", err)
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the node's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read the node's metrics at %s: %s", s.url, resp.Status)
	}
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxScrapeBytes))
	if err != nil {
		return nil, fmt.Errorf("read the node's metrics at %s: %w", s.url, err)
	}
	out := make([]*dto.MetricFamily, 0, len(families))
	for _, f := range families {
		out = append(out, f)
	}
	return out, nil
}

// cometGatherer keeps a source's cometbft_* families and says whether it could read them.
type cometGatherer struct {
	src prometheus.Gatherer
	up  prometheus.Gauge
	log *slog.Logger
}

func (g cometGatherer) Gather() ([]*dto.MetricFamily, error) {
	families, err := g.src.Gather()
	if err != nil && len(families) == 0 {
		g.up.Set(0)
		g.log.Warn("the node's own metrics could not be read", "error", err)
		return nil, nil // the scrape goes on without them
	}
	g.up.Set(1)
	var out []*dto.MetricFamily
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), cometPrefix) {
			out = append(out, f)
		}
	}
	return out, nil
}
