package metrics_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/gateway/api"
	gwclient "github.com/dxplabs/dxp/gateway/client"
	"github.com/dxplabs/dxp/gateway/metrics"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// follow runs m's chain follower and serves its metrics until the returned stop is called.
func follow(t *testing.T, m *metrics.Metrics) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	return serve(t, m.Handler()), func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// acceptedOnChain is the number of txs the chain accepted, from its own state: every accepted tx
// moves its sender's nonce on by one, and only an accepted one does.
func acceptedOnChain(t *testing.T, ctx context.Context, c *client.Client) (uint64, int64) {
	t.Helper()
	kind, _ := rights.Listed[rights.Party]()
	var parties []rights.Party
	h, err := c.Query(ctx, kind.ListPath(), 0, &parties)
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, p := range parties {
		n += p.Nonce
	}
	return n, h
}

func sumCode(fams map[string]*dto.MetricFamily, name, code string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	var n float64
	for _, m := range f.Metric {
		if hasLabel(m.Label, "code", code) {
			n += m.Counter.GetValue()
		}
	}
	return n
}

// waitCaughtUp scrapes url until the follower has counted past the chain's state and counts as
// many accepted txs as that state says were accepted, and returns that scrape.
func waitCaughtUp(t *testing.T, ctx context.Context, c *client.Client, url string) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		accepted, h := acceptedOnChain(t, ctx, c)
		fams := scrape(t, url)
		counted, _ := value(fams, "dxp_chain_counted_height", nil)
		got := sumCode(fams, "dxp_chain_txs_total", "0")
		if counted >= float64(h) && got == float64(accepted) {
			return fams
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s the follower counts %v accepted txs up to height %v; the chain accepted %d by height %d", got, counted, accepted, h)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// refuseInBlock sends a grant request for a dataset that does not exist: admitted to the
// mempool (its kind's rules run in the block) and refused in its block. It returns the code.
func refuseInBlock(t *testing.T, ctx context.Context, s *marketplace.Session) string {
	t.Helper()
	k, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Chain.Submit(ctx, k.Private, rights.Msg{RequestGrant: &rights.RequestGrant{
		Datasets: []string{"ds-999999"}, Ops: []rights.Op{rights.OpSum}, Columns: []string{"delta"}, Uses: 1}})
	var te *rights.TxError
	if !errors.As(err, &te) || te.Code == rights.CodeOK {
		t.Fatalf("a grant on a dataset that does not exist: %v, want a refusal", err)
	}
	return strconv.FormatUint(uint64(te.Code), 10)
}

// TestOnDevnet shares one devnet, with a dataset published, a grant approved and a sum computed,
// between the chain follower's test and the gateway's logs.
func TestOnDevnet(t *testing.T) {
	home := t.TempDir()
	dn := devnettest.Start(t, devnet.Config{Home: home})
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := devnettest.ApprovedGrant(t, ctx, s, home, devnettest.Table(t, 100, 1), "survey", 1, rights.OpSum, "delta", 2)
	sum, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("follower", func(t *testing.T) { testFollower(t, ctx, s) })
	t.Run("gateway logs no secrets", func(t *testing.T) { testGatewayLogs(t, ctx, home, g.ID, sum.Result) })
}

// testFollower follows the devnet through the publish, the grant, the computation and a refused
// tx: the txs it counts by kind and code are the chain's (the accepted ones agree with the
// parties' nonces on chain), every member posted and owes nothing once the work is done, and
// neither a restart on the state file nor a state file of another chain counts a block twice
// or leaves one out.
func testFollower(t *testing.T, ctx context.Context, s *marketplace.Session) {
	refused := refuseInBlock(t, ctx, s)

	stateFile := filepath.Join(t.TempDir(), "gateway", "metrics.json")
	url, stop := follow(t, metrics.New(metrics.Options{Chain: s.Chain, StateFile: stateFile}))
	fams := waitCaughtUp(t, ctx, s.Chain, url)
	for _, c := range []struct {
		kind, code string
		want       float64
	}{
		{"register_dataset", "0", 1},
		{"request_grant", "0", 1},
		{"request_grant", refused, 1},
		{"approve_grant", "0", 1},
		{"request_computation", "0", 1},
	} {
		if got, _ := value(fams, "dxp_chain_txs_total", map[string]string{"kind": c.kind, "code": c.code}); got != c.want {
			t.Errorf("dxp_chain_txs_total{kind=%q,code=%q} = %v, want %v", c.kind, c.code, got, c.want)
		}
	}
	for _, kind := range []string{"post_ceremony_share", "attest_inputs", "submit_output", "submit_share"} {
		if got, _ := value(fams, "dxp_chain_txs_total", map[string]string{"kind": kind, "code": "0"}); got < 1 {
			t.Errorf("dxp_chain_txs_total{kind=%q,code=\"0\"} = %v; the committee's posts are missing", kind, got)
		}
	}
	com, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	height := mustValue(t, fams, "dxp_chain_height", nil)
	for _, mem := range com.Members {
		who := map[string]string{"member": string(mem.Address)}
		if last := mustValue(t, fams, "dxp_member_last_post_height", who); last < 1 || last > height {
			t.Errorf("member %s last posted at height %v; the chain is at %v and the member posted", mem.Address, last, height)
		}
		if lag := mustValue(t, fams, "dxp_member_lag_blocks", who); lag != 0 {
			t.Errorf("member %s lags %v blocks with no work under way", mem.Address, lag)
		}
		if owed := mustValue(t, fams, "dxp_member_owed_posts", who); owed != 0 {
			t.Errorf("member %s owes %v posts with no work under way", mem.Address, owed)
		}
	}
	stop()

	st, err := os.Stat(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", st.Mode().Perm())
	}
	var saved struct {
		ChainID string `json:"chain_id"`
		Height  int64  `json:"height"`
	}
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &saved); err != nil || saved.ChainID != s.Config.ChainID || saved.Height < 1 {
		t.Fatalf("state file = %s (%v), want this chain's id and the height counted", b, err)
	}

	// A refusal while no gateway runs, then a restart on the state file: the new block is
	// counted once and the old ones not again.
	if again := refuseInBlock(t, ctx, s); again != refused {
		t.Fatalf("the second refusal has code %s, the first %s", again, refused)
	}
	url, stop = follow(t, metrics.New(metrics.Options{Chain: s.Chain, StateFile: stateFile}))
	fams = waitCaughtUp(t, ctx, s.Chain, url)
	if got, _ := value(fams, "dxp_chain_txs_total", map[string]string{"kind": "request_grant", "code": refused}); got != 2 {
		t.Errorf("after a restart, refused grant requests = %v, want 2", got)
	}
	stop()

	// A state file of another chain (a devnet made again in the same home) is not resumed.
	foreign := `{"chain_id":"another-chain","height":1000000,"txs":[{"kind":"request_grant","code":0,"count":500}]}`
	if err := os.WriteFile(stateFile, []byte(foreign), 0o600); err != nil {
		t.Fatal(err)
	}
	url, stop = follow(t, metrics.New(metrics.Options{Chain: s.Chain, StateFile: stateFile}))
	fams = waitCaughtUp(t, ctx, s.Chain, url)
	if got, _ := value(fams, "dxp_chain_txs_total", map[string]string{"kind": "request_grant", "code": "0"}); got != 1 {
		t.Errorf("with another chain's state file, accepted grant requests = %v, want 1", got)
	}
	stop()
}

// testGatewayLogs runs a real gateway on the devnet's home with the gateway's logger at debug
// level, and sends it what carries secrets: every token (the buyer's computing and reading the
// decrypted result, another key's refused, an unknown one, one in a query string) and an upload
// of rows. No log line holds a token, a key of the home, the result or a row, and the log has a
// line for each request.
func testGatewayLogs(t *testing.T, ctx context.Context, home, grant, result string) {
	var logs syncBuffer
	logger, err := metrics.NewLogger(&logs, metrics.LogJSON, slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.New(ctx, gateway.Config{Home: home, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, l) }()
	defer func() {
		stop()
		<-served
	}()
	base := "http://" + l.Addr().String()
	secrets := map[string]string{}
	tokens := map[string]string{}
	for _, name := range []string{gateway.HomeToken, "owner1", "buyer1"} {
		tok, err := gateway.Token(home, name)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
		secrets["the "+name+" token"] = tok
	}
	for _, name := range []string{"owner1", "buyer1"} {
		k, err := marketplace.LoadKey(home, name)
		if err != nil {
			t.Fatal(err)
		}
		seed := k.Private.Seed()
		secrets[name+"'s key (hex)"] = hex.EncodeToString(seed)
		secrets[name+"'s key (base64)"] = base64.StdEncoding.EncodeToString(seed)
		if len(k.RLWESecret) > 0 {
			secrets[name+"'s RLWE secret key"] = base64.StdEncoding.EncodeToString(k.RLWESecret)[:64]
		}
	}
	const row = "4817,987654.31"
	secrets["a row"] = "987654.31"

	buyer := gwclient.New(base, tokens["buyer1"])
	ref, err := buyer.Compute(ctx, api.ComputationRequest{From: "buyer1", Grant: grant, Op: string(rights.OpSum), Columns: []string{"delta"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := buyer.WaitComputation(ctx, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Result == nil || c.Result.Result != result {
		t.Fatalf("the gateway's sum = %+v, want %s (the same data as the CLI's)", c.Result, result)
	}
	secrets["the result"] = result
	if _, err := gwclient.New(base, tokens["owner1"]).Compute(ctx, api.ComputationRequest{From: "buyer1", Grant: grant, Op: string(rights.OpSum), Columns: []string{"delta"}}); err == nil {
		t.Error("owner1's token computed as buyer1")
	}
	if _, err := gwclient.New(base, "not-a-token-"+tokens["buyer1"][:8]).Whoami(ctx); err == nil {
		t.Error("an unknown token was let in")
	}
	resp, err := http.Get(base + "/api/v1/whoami?token=" + tokens[gateway.HomeToken])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := gwclient.New(base, tokens["owner1"]).Upload(ctx, []byte("delta,income\n"+row+"\n")); err != nil {
		t.Fatal(err)
	}

	out := logs.String()
	for name, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("the gateway's log holds %s", name)
		}
	}
	for _, route := range []string{"POST /api/v1/computations", "GET /api/v1/computations/{id}", "GET /api/v1/whoami", "POST /api/v1/uploads"} {
		if !strings.Contains(out, route) {
			t.Errorf("the gateway's log has no line for %s:\n%s", route, out)
		}
	}
}
