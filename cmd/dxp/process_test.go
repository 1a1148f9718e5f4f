package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/internal/freeport"
)

// TestDevnetProcess runs `dxp devnet start --slots 1024` as a user does, in its own process: it
// becomes ready on that ring, which status labels INSECURE, stops cleanly on SIGINT, a second
// start on the same home resumes the same chain, and a start asking for another ring is refused.
// Restarted with --metrics, its node serves CometBFT's metrics, which a gateway pointed at them
// (what `dxp demo --serve` does) re-exposes beside DXP's.
func TestDevnetProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "dxp")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	rpc := freeRPC(t)

	status := func() (height float64, ready bool) {
		out, err := exec.Command(bin, "status", "--home", home, "--output", "json").Output()
		if err != nil {
			return 0, false
		}
		var st struct {
			Height float64 `json:"height"`
			Ready  bool    `json:"committee_ready"`
		}
		if json.Unmarshal(out, &st) != nil {
			t.Fatalf("status printed %q, not JSON", out)
		}
		return st.Height, st.Ready
	}
	start := func(flags ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"devnet", "start", "--home", home, "--rpc", rpc, "--chunk-size", "16"}, flags...)...)
		logf, err := os.Create(filepath.Join(t.TempDir(), "devnet.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for {
			if _, ready := status(); ready {
				return cmd
			}
			select {
			case <-ctx.Done():
				log, _ := os.ReadFile(logf.Name())
				t.Fatalf("devnet never became ready:\n%s", log)
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	stop := func(cmd *exec.Cmd) {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("devnet exited with %v after SIGINT, want a clean exit", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("devnet did not stop within a minute of SIGINT")
		}
	}

	cmd := start("--slots", "1024")
	height, _ := status()
	if out, err := exec.Command(bin, "status", "--home", home).Output(); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(string(out), "ring: 1024 values per ciphertext (INSECURE") || !strings.Contains(string(out), "input proofs: required") {
		t.Errorf("status printed %q, want the 1024-slot ring labelled INSECURE and input proofs required", out)
	}
	keys := committeeKeys(t, home)
	if keys == "" {
		t.Fatal("a ready committee has no keys on chain")
	}
	stop(cmd)
	if _, ready := status(); ready {
		t.Fatal("status still answers after the devnet stopped")
	}
	for _, f := range []string{"keys/regulator.json", "config.json"} {
		fi, err := os.Stat(filepath.Join(home, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want a 0600 file", f, err)
		}
	}

	metricsAddr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	cmd = start("--metrics", metricsAddr)
	h2, _ := status()
	if h2 < height {
		t.Errorf("after restart the chain is at height %v, before it was %v", h2, height)
	}
	if again := committeeKeys(t, home); again != keys {
		t.Errorf("restart changed the committee's collective keys: a second ceremony ran")
	}
	checkGatewayCometMetrics(t, home, "http://"+metricsAddr+"/metrics")
	stop(cmd)
	out, err := exec.Command(bin, "devnet", "start", "--home", home, "--rpc", rpc, "--slots", "2048").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "fixed at its first start") {
		t.Errorf("a 1024-slot devnet restarted with --slots 2048: %v\n%s\nwant a refusal", err, out)
	}
}

// committeeKeys reads the committee's collective key digests from the audit report.
func committeeKeys(t *testing.T, home string) string {
	t.Helper()
	out, err := run(t, "audit", "--home", home, "--from", "regulator", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Committee struct {
			Keys []string `json:"keys"`
		} `json:"committee"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return strings.Join(r.Committee.Keys, ",")
}

// checkGatewayCometMetrics runs a gateway over home whose cometbft_metrics is url and reads its
// /metrics: the node's consensus height is there, beside DXP's own figures.
func checkGatewayCometMetrics(t *testing.T, home, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gw, err := gateway.New(ctx, gateway.Config{Home: home, CometBFTMetrics: url})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	serveCtx, stopServing := context.WithCancel(ctx)
	go func() { served <- gw.Serve(serveCtx, ln) }()
	defer func() { stopServing(); <-served }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cometbft_consensus_height{", "dxp_cometbft_metrics_up 1", "dxp_chain_height"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the gateway's /metrics over a devnet started with --metrics has no %q:\n%.3000s", want, body)
		}
	}
}
