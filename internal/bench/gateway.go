package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/gateway/api"
	gwclient "github.com/dxplabs/dxp/gateway/client"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// The gateway bench (`dxp bench gateway`), issue 16's last check, in two parts:
//
//   - the catalog: GatewayConfig.Datasets datasets listed on a chain (the ledger bench's genesis
//     and free proofs, gateway_catalog.go, so that 10,000 register in a minute), read through a
//     real gateway on a loopback listener by its Go client: the whole catalog page by page, then
//     searches (a word, a tag, a price ceiling) page by page; the latency of every page, p50 and
//     p99, and a check that each list returns what the chain holds;
//   - a computation: a mean over one owner's dataset on a devnet (its committee, in process),
//     run Runs times through the CLI's path (marketplace.Session.Compute) and Runs times through
//     the gateway (POST /computations, its stage events until it ends, GET /computations/{id}
//     with the decrypted result), alternately so that both meet the same machine; the medians
//     and the gateway's overhead over the CLI's (api/cli − 1; the issue asks at most 10%).

// GatewayConfig configures Gateway. The zero value of every field means its default.
type GatewayConfig struct {
	Datasets int // on the catalog chain; zero means 10,000
	PageSize int // datasets per page; zero means 50 (the API's default)
	Runs     int // means each way; zero means 5
	Rows     int // rows of the dataset the means run over; zero means 1,000
	// Dir keeps the bench's chains; empty means a temporary directory removed after.
	Dir        string
	SetupCache string // the devnet's setup cache (devnet.Config.SetupCache)
	ChunkSize  int    // the devnet's chunk circuit size; zero means devnet.DefaultChunkSize
	Progress   func(line string)
	Log        *slog.Logger // the devnet's and the gateways' log; nil discards
}

// GatewayPages is the latency of reading one list through the API page by page.
type GatewayPages struct {
	Query   string  `json:"query"` // the list's filters, as in the URL
	Results int     `json:"results"`
	Pages   int     `json:"pages"`
	P50MS   float64 `json:"p50_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"`
	TotalS  float64 `json:"total_s"` // every page, one after the other
}

// GatewayCompute compares a computation through the gateway with the same through the CLI.
type GatewayCompute struct {
	Op         string    `json:"op"`
	Rows       int       `json:"rows"`
	Runs       int       `json:"runs"`
	CLIS       []float64 `json:"cli_s"` // each run: Session.Compute from the call to the decrypted answer
	APIS       []float64 `json:"api_s"` // each run: from the POST to the GET with the decrypted answer
	CLIMedianS float64   `json:"cli_median_s"`
	APIMedianS float64   `json:"api_median_s"`
	// Overhead is APIMedianS / CLIMedianS − 1: what the gateway adds, as a fraction.
	Overhead float64 `json:"overhead"`
	Result   string  `json:"result"`
}

// GatewayReport is what Gateway measured.
type GatewayReport struct {
	Datasets      int             `json:"datasets"`
	PageSize      int             `json:"page_size"`
	CatalogSetupS float64         `json:"catalog_setup_s"` // registering and listing the datasets
	GatewayStartS float64         `json:"gateway_start_s"` // gateway.New on the catalog chain, until its metrics counted the chain
	FirstPageMS   float64         `json:"first_page_ms"`   // the gateway's first catalog page
	List          GatewayPages    `json:"list"`            // the whole catalog
	Searches      []GatewayPages  `json:"searches"`
	Compute       *GatewayCompute `json:"compute"`
	ComputeSetupS float64         `json:"compute_setup_s"` // devnet, publish and grant
	GOMAXPROCS    int             `json:"gomaxprocs"`
}

func (c *GatewayConfig) defaults() {
	if c.Datasets == 0 {
		c.Datasets = 10_000
	}
	if c.PageSize == 0 {
		c.PageSize = 50
	}
	if c.Runs == 0 {
		c.Runs = 5
	}
	if c.Rows == 0 {
		c.Rows = 1000
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Gateway runs the gateway bench.
func Gateway(ctx context.Context, cfg GatewayConfig) (rep *GatewayReport, err error) {
	cfg.defaults()
	if cfg.Datasets < 1 || cfg.PageSize < 1 || cfg.Runs < 1 || cfg.Rows < 1 {
		return nil, errors.New("bench gateway: datasets, page size, runs and rows must each be at least 1")
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dxp-bench-gateway-"); err != nil {
			return nil, err
		}
		defer func() {
			if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
				err = rmErr
			}
		}()
	}
	rep = &GatewayReport{Datasets: cfg.Datasets, PageSize: cfg.PageSize, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if err := benchCatalog(ctx, cfg, filepath.Join(dir, "catalog"), rep); err != nil {
		return nil, fmt.Errorf("bench gateway: the catalog: %w", err)
	}
	if err := benchGatewayCompute(ctx, cfg, filepath.Join(dir, "compute"), rep); err != nil {
		return nil, fmt.Errorf("bench gateway: the computation: %w", err)
	}
	return rep, nil
}

// runningGateway is a gateway serving a home on a loopback listener, and a client of it acting
// with the home's token.
type runningGateway struct {
	srv    *gateway.Server
	client *gwclient.Client
	cancel context.CancelFunc
	done   chan error
}

// startGateway starts a gateway on home and returns once its metrics follower has counted the
// chain up to its height now.
func startGateway(ctx context.Context, home string, log *slog.Logger) (*runningGateway, error) {
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		return nil, err
	}
	height, err := s.Chain.Height(ctx)
	s.Close()
	if err != nil {
		return nil, err
	}
	srv, err := gateway.New(ctx, gateway.Config{Home: home, Logger: log})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	token, err := gateway.Token(home, gateway.HomeToken)
	if err != nil {
		l.Close()
		srv.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	base := "http://" + l.Addr().String()
	g := &runningGateway{srv: srv, client: gwclient.New(base, token), cancel: cancel, done: make(chan error, 1)}
	go func() { g.done <- srv.Serve(sctx, l) }()
	if err := waitCounted(ctx, base, height); err != nil {
		return nil, errors.Join(err, g.Stop())
	}
	return g, nil
}

// waitCounted waits until the gateway's metrics follower has counted the chain up to height
// (dxp_chain_counted_height at /metrics): its first catch-up reads every block with txs, work
// that would otherwise land on the first pages measured.
func waitCounted(ctx context.Context, base string, height int64) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		counted, err := countedHeight(ctx, base)
		if err != nil {
			return err
		}
		if counted >= float64(height) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the gateway's metrics counted the chain up to height %.0f in 5 minutes, not to %d", counted, height)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func countedHeight(ctx context.Context, base string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("the gateway's /metrics: %w", err)
	}
	f, ok := fams["dxp_chain_counted_height"]
	if !ok || len(f.Metric) == 0 {
		return 0, nil // not counted yet
	}
	return f.Metric[0].GetGauge().GetValue(), nil
}

func (g *runningGateway) Stop() error {
	g.cancel()
	err := <-g.done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, g.srv.Close())
}

// benchCatalog is the bench's first part.
func benchCatalog(ctx context.Context, cfg GatewayConfig, dir string, rep *GatewayReport) (err error) {
	cfg.Progress(fmt.Sprintf("registering %d datasets on a bench chain", cfg.Datasets))
	chain, err := startCatalogChain(ctx, dir, cfg.Datasets, cfg.Progress)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, chain.Stop()) }()
	rep.CatalogSetupS = chain.setup.Seconds()

	start := time.Now()
	gw, err := startGateway(ctx, chain.home, cfg.Log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, gw.Stop()) }()
	rep.GatewayStartS = time.Since(start).Seconds()
	cfg.Progress(fmt.Sprintf("the gateway started and its metrics counted the chain in %.1f s", rep.GatewayStartS))

	t0 := time.Now()
	if _, err := gw.client.Datasets(ctx, gwclient.Query{"limit": strconv.Itoa(cfg.PageSize)}); err != nil {
		return err
	}
	rep.FirstPageMS = ms(time.Since(t0))

	all, err := readPages(ctx, gw.client, gwclient.Query{}, cfg.PageSize)
	if err != nil {
		return err
	}
	if all.Results != cfg.Datasets {
		return fmt.Errorf("the catalog lists %d datasets through the API; the chain holds %d", all.Results, cfg.Datasets)
	}
	rep.List = *all
	cfg.Progress(fmt.Sprintf("catalog: %d datasets in %d pages of %d, p50 %.1f ms, p99 %.1f ms", all.Results, all.Pages, cfg.PageSize, all.P50MS, all.P99MS))

	tag, ceiling := catalogTags[1], uint64(10)
	wantTag, wantCheap := 0, 0
	for i := range cfg.Datasets {
		if slices.Contains(catalogTagsOf(i), tag) {
			wantTag++
		}
		if catalogListing(i).Price <= ceiling {
			wantCheap++
		}
	}
	searches := []struct {
		q    gwclient.Query
		want int // -1: at least one
	}{
		{gwclient.Query{"q": catalogWords[0]}, -1},
		{gwclient.Query{"tag": tag}, wantTag},
		{gwclient.Query{"max_price": strconv.FormatUint(ceiling, 10)}, wantCheap},
	}
	for _, s := range searches {
		p, err := readPages(ctx, gw.client, s.q, cfg.PageSize)
		if err != nil {
			return err
		}
		if s.want >= 0 && p.Results != s.want || s.want < 0 && p.Results == 0 {
			return fmt.Errorf("the search %s finds %d datasets through the API, want %d", p.Query, p.Results, s.want)
		}
		rep.Searches = append(rep.Searches, *p)
		cfg.Progress(fmt.Sprintf("search %s: %d datasets in %d pages, p50 %.1f ms, p99 %.1f ms", p.Query, p.Results, p.Pages, p.P50MS, p.P99MS))
	}
	return nil
}

// readPages reads a catalog query page by page to its end and times each page.
func readPages(ctx context.Context, c *gwclient.Client, q gwclient.Query, pageSize int) (*GatewayPages, error) {
	var filters []string
	for k, v := range q {
		filters = append(filters, k+"="+v)
	}
	slices.Sort(filters)
	out := &GatewayPages{Query: strings.Join(filters, "&")}
	if out.Query == "" {
		out.Query = "(all)"
	}
	var lat []time.Duration
	seen := map[string]bool{}
	cursor := ""
	start := time.Now()
	for {
		page := gwclient.Query{"limit": strconv.Itoa(pageSize), "cursor": cursor}
		for k, v := range q {
			page[k] = v
		}
		t := time.Now()
		p, err := c.Datasets(ctx, page)
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t))
		if len(p.Items) > pageSize {
			return nil, fmt.Errorf("a page of %d datasets for limit %d", len(p.Items), pageSize)
		}
		for _, e := range p.Items {
			if seen[e.ID] {
				return nil, fmt.Errorf("dataset %s is listed twice while paging %s", e.ID, out.Query)
			}
			seen[e.ID] = true
		}
		out.Results += len(p.Items)
		if p.NextCursor == "" {
			break
		}
		if cursor == p.NextCursor {
			return nil, fmt.Errorf("the cursor did not move while paging %s", out.Query)
		}
		cursor = p.NextCursor
	}
	out.TotalS = time.Since(start).Seconds()
	out.Pages = len(lat)
	slices.Sort(lat)
	out.P50MS, out.P99MS, out.MaxMS = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1])
	return out, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[max(0, int(math.Ceil(p*float64(len(sorted))))-1)]
}

// benchGatewayCompute is the bench's second part.
func benchGatewayCompute(ctx context.Context, cfg GatewayConfig, home string, rep *GatewayReport) (err error) {
	start := time.Now()
	rpc, err := freeport.Loopback()
	if err != nil {
		return err
	}
	cfg.Progress("starting a devnet for the computation")
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: "tcp://" + rpc, ChunkSize: cfg.ChunkSize, Widths: []int{32},
		SetupCache: cfg.SetupCache, Log: cfg.Log})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, dn.Stop()) }()
	if err := dn.WaitReady(ctx); err != nil {
		return err
	}
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		return err
	}
	defer s.Close()
	for name, role := range map[string]rights.Role{"owner1": rights.RoleOwner, "buyer1": rights.RoleBuyer} {
		if _, err := marketplace.CreateKey(home, name, []rights.Role{role}); err != nil {
			return err
		}
	}
	schema, err := marketplace.ParseSchema(strings.NewReader(`{"columns":[{"name":"v","type":"integer","min":0,"max":1000}]}`))
	if err != nil {
		return err
	}
	var csv strings.Builder
	csv.WriteString("v\n")
	var sum int64
	for i := range cfg.Rows {
		v := int64(i*7919) % 1001
		sum += v
		fmt.Fprintf(&csv, "%d\n", v)
	}
	cfg.Progress(fmt.Sprintf("publishing %d rows with input proofs", cfg.Rows))
	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner1", Name: "bench gateway", Schema: schema,
		CSV: marketplace.BytesSource("bench.csv", []byte(csv.String())), Price: 1})
	if err != nil {
		return err
	}
	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: []string{pub.Dataset}, Ops: []rights.Op{rights.OpMean},
		Columns: []string{"v"}, Uses: uint64(2*cfg.Runs + 2), Purpose: "bench"})
	if err != nil {
		return err
	}
	if _, err := s.ActOnGrant(ctx, "owner1", g.ID, marketplace.Approve, ""); err != nil {
		return err
	}
	gw, err := startGateway(ctx, home, cfg.Log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, gw.Stop()) }()
	rep.ComputeSetupS = time.Since(start).Seconds()

	want := marketplace.FormatResult(rights.OpMean, big.NewInt(sum), uint64(cfg.Rows), 0)
	viaCLI := func() (string, error) {
		r, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpMean, Columns: []string{"v"}})
		if err != nil {
			return "", err
		}
		return r.Result, nil
	}
	viaAPI := func() (string, error) {
		ref, err := gw.client.Compute(ctx, api.ComputationRequest{From: "buyer1", Grant: g.ID, Op: string(rights.OpMean), Columns: []string{"v"}})
		if err != nil {
			return "", err
		}
		c, err := gw.client.WaitComputation(ctx, ref.ID)
		if err != nil {
			return "", err
		}
		if c.Result == nil {
			return "", fmt.Errorf("computation %s ended %s without a result for the buyer's token", ref.ID, c.Status)
		}
		return c.Result.Result, nil
	}
	out := &GatewayCompute{Op: string(rights.OpMean), Rows: cfg.Rows, Runs: cfg.Runs}
	timed := func(name string, f func() (string, error)) (float64, error) {
		t := time.Now()
		got, err := f()
		if err != nil {
			return 0, fmt.Errorf("a mean through the %s: %w", name, err)
		}
		if got != want {
			return 0, fmt.Errorf("a mean through the %s = %s, want %s", name, got, want)
		}
		out.Result = got
		return time.Since(t).Seconds(), nil
	}
	// One of each first, unmeasured: the buyer's key loads, the gateway's session warms up.
	for name, f := range map[string]func() (string, error){"CLI": viaCLI, "API": viaAPI} {
		if _, err := timed(name, f); err != nil {
			return err
		}
	}
	for i := range cfg.Runs {
		// Alternate which goes first, so neither always follows the other's blocks.
		order := []string{"CLI", "API"}
		if i%2 == 1 {
			order = []string{"API", "CLI"}
		}
		for _, name := range order {
			f := viaCLI
			if name == "API" {
				f = viaAPI
			}
			d, err := timed(name, f)
			if err != nil {
				return err
			}
			if name == "CLI" {
				out.CLIS = append(out.CLIS, d)
			} else {
				out.APIS = append(out.APIS, d)
			}
		}
		cfg.Progress(fmt.Sprintf("mean %d of %d: CLI %.2f s, API %.2f s", i+1, cfg.Runs, out.CLIS[i], out.APIS[i]))
	}
	out.CLIMedianS, out.APIMedianS = median(out.CLIS), median(out.APIS)
	out.Overhead = out.APIMedianS/out.CLIMedianS - 1
	rep.Compute = out
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
