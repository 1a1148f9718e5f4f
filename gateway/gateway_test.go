package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/gateway/client"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// The package's tests share one devnet (a small ring, its committee, fs storage) and one gateway
// over its home, on a real loopback listener: env starts them on first use, TestMain stops them.
// Its home holds the devnet's regulator and the keys owner1, owner2, buyer1 and buyer2.

var (
	envOnce sync.Once
	shared  *env
	envErr  error
)

type env struct {
	home string
	dn   *devnet.Devnet
	gw   *runningGateway
	// one client per token
	all, owner, buyer, buyer2, regulator *client.Client
	tokens                               map[string]string

	tab       *marketplace.Table
	dataset   string // published by owner1 through the gateway, once
	pubJob    string // its job
	pubStages []string
	pubOnce   sync.Once
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.gw.stop()
		shared.dn.Stop()
		os.RemoveAll(shared.home)
	}
	os.Exit(code)
}

// testConfig keeps uploads small so the oversized-upload attack is cheap.
func testConfig(home string) gateway.Config {
	return gateway.Config{Home: home, MaxUpload: 1 << 20, ComputeTimeout: 3 * time.Minute}
}

// runningGateway is a gateway serving on a loopback port until stop.
type runningGateway struct {
	srv    *gateway.Server
	url    string
	cancel context.CancelFunc
	done   chan error
}

func startGateway(t testing.TB, cfg gateway.Config) *runningGateway {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := gateway.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(context.Background())
	g := &runningGateway{srv: srv, url: "http://" + l.Addr().String(), cancel: stop, done: make(chan error, 1)}
	go func() { g.done <- srv.Serve(serveCtx, l) }()
	return g
}

func (g *runningGateway) stop() {
	g.cancel()
	<-g.done
	g.srv.Close()
}

func getEnv(t *testing.T) *env {
	t.Helper()
	envOnce.Do(func() {
		home, err := os.MkdirTemp("", "dxp-gateway-test-")
		if err != nil {
			envErr = err
			return
		}
		e := &env{home: home, tab: devnettest.Table(t, 200, 1)}
		// The smallest ring (INSECURE, as every test devnet's) keeps each input proof quick.
		e.dn = devnettest.Start(t, devnet.Config{Home: home, Slots: 1024})
		devnettest.MustKey(t, home, "owner1", rights.RoleOwner)
		devnettest.MustKey(t, home, "buyer1", rights.RoleBuyer)
		devnettest.MustKey(t, home, "buyer2", rights.RoleBuyer)
		devnettest.MustKey(t, home, "owner2", rights.RoleOwner)
		e.gw = startGateway(t, testConfig(home))
		e.tokens = map[string]string{}
		for _, name := range []string{gateway.HomeToken, "owner1", "buyer1", "buyer2", "regulator"} {
			tok, err := gateway.Token(home, name)
			if err != nil {
				envErr = err
				return
			}
			e.tokens[name] = tok
		}
		e.all = client.New(e.gw.url, e.tokens[gateway.HomeToken])
		e.owner = client.New(e.gw.url, e.tokens["owner1"])
		e.buyer = client.New(e.gw.url, e.tokens["buyer1"])
		e.buyer2 = client.New(e.gw.url, e.tokens["buyer2"])
		e.regulator = client.New(e.gw.url, e.tokens["regulator"])
		shared = e
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	if shared == nil {
		t.Fatal("the shared devnet did not start (see the first test's failure)")
	}
	return shared
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// problem asserts err is a problem with status (and chain code, unless -1).
func problem(t *testing.T, err error, status int, code int64) *api.Problem {
	t.Helper()
	var p *client.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v, want a %d problem", err, status)
	}
	if p.Status != status || code >= 0 && int64(p.Code) != code {
		t.Fatalf("problem %d (code %d) %q, want %d (code %d)", p.Status, p.Code, p.Detail, status, code)
	}
	if p.Detail == "" || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %+v lacks a type, title or detail", p)
	}
	return p
}

// schemaJSON is the devnettest schema as a JSON object for a publish request.
func schemaJSON() json.RawMessage { return json.RawMessage(devnettest.Schema) }

// published returns the dataset owner1 published through the gateway (publishing it the first
// time it is asked for).
func (e *env) published(t *testing.T) string {
	t.Helper()
	e.pubOnce.Do(func() {
		ctx := ctxT(t)
		up, err := e.owner.Upload(ctx, e.tab.CSV())
		if err != nil {
			t.Fatal(err)
		}
		ref, err := e.owner.Publish(ctx, api.PublishRequest{From: "owner1", Upload: up.ID, Schema: schemaJSON(), Name: "survey",
			Description: "household survey", Price: 3})
		if err != nil {
			t.Fatal(err)
		}
		e.pubJob = ref.Job
		job, err := e.owner.WaitJob(ctx, ref.Job, func(p api.Progress) {
			if n := len(e.pubStages); n == 0 || e.pubStages[n-1] != p.Stage {
				e.pubStages = append(e.pubStages, p.Stage)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		e.dataset = job.Result.Dataset
		// The listing is usable once the committee attested its stored inputs.
		deadline := time.Now().Add(time.Minute)
		for {
			d, err := e.owner.Dataset(ctx, e.dataset)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status == string(rights.DatasetListed) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("dataset %s still %s", e.dataset, d.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	if e.dataset == "" {
		t.Fatal("the shared dataset was not published (see the first test's failure)")
	}
	return e.dataset
}

// statusOf sends a raw request and returns the status (for requests the client cannot make).
func statusOf(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// session opens a marketplace session on the shared home, to check the chain directly.
func (e *env) session(t *testing.T) (*marketplace.Session, error) {
	t.Helper()
	return marketplace.Open(context.Background(), e.home)
}

// sessionKey is the address of a key in the shared home.
func (e *env) sessionKey(t *testing.T, name string) (rights.Address, error) {
	t.Helper()
	return marketplace.ResolveParty(e.home, name)
}

// clientHome returns a new home that reaches e's devnet with e's keys and gateway tokens, as
// another machine of the same organisation would. A test that runs a gateway of its own runs it
// there: one home takes one gateway (HOME/gateway/lock), and the shared one holds e.home.
func clientHome(t *testing.T, e *env) string {
	t.Helper()
	home := t.TempDir()
	copyFile := func(rel string) {
		b, err := os.ReadFile(filepath.Join(e.home, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(home, rel)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, rel), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(marketplace.ConfigFile)
	keys, err := os.ReadDir(filepath.Join(e.home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		copyFile(filepath.Join("keys", k.Name()))
	}
	copyFile(filepath.Join("gateway", "tokens.json"))
	return home
}
