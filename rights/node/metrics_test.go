package node_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestCometBFTMetrics starts a node that serves CometBFT's own metrics and reads them as a
// scraper does: the consensus height of its chain is there and moves. While it serves, a second
// node of the process asking for them is refused and changes nothing; a taken port and a
// malformed address are refused at Start; after a stop the same home restarts serving them (the
// process builds CometBFT's metrics once), and the listener is gone when the node stops.
func TestCometBFTMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	if err := node.Init(home, rightstest.Genesis()); err != nil {
		t.Fatal(err)
	}
	addr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	start := func() *node.Node {
		t.Helper()
		n, err := node.Start(ctx, node.Config{Home: home, TimeoutCommit: 50 * time.Millisecond, Verifier: rightstest.Verifier{}, MetricsListen: addr})
		if err != nil {
			t.Fatalf("Start with metrics: %v", err)
		}
		return n
	}
	scrape := func() (string, error) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	height := func() string {
		t.Helper()
		body, err := scrape()
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "cometbft_consensus_height{") && strings.Contains(line, `chain_id="`+rightstest.ChainID+`"`) {
				return line[strings.LastIndexByte(line, ' ')+1:]
			}
		}
		t.Fatalf("no cometbft_consensus_height of chain %s in the metrics:\n%.2000s", rightstest.ChainID, body)
		return ""
	}

	n := start()
	first := height()
	deadline := time.Now().Add(30 * time.Second)
	for height() == first {
		if time.Now().After(deadline) {
			t.Fatalf("cometbft_consensus_height stayed at %s for 30 s", first)
		}
		time.Sleep(100 * time.Millisecond)
	}

	other := t.TempDir()
	if err := node.Init(other, rightstest.Genesis()); err != nil {
		t.Fatal(err)
	}
	otherAddr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.Start(ctx, node.Config{Home: other, Verifier: rightstest.Verifier{}, MetricsListen: otherAddr}); err == nil ||
		!strings.Contains(err.Error(), "already serves CometBFT's metrics") {
		t.Errorf("a second node serving metrics in the process: %v, want refused", err)
	}
	if c, err := net.DialTimeout("tcp", otherAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("the refused node left a listener on %s", otherAddr)
	}
	height() // the first node's metrics are untouched

	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := scrape(); err == nil {
		t.Error("the metrics are still served after Stop")
	}

	// The port taken by someone else, and an address that is not HOST:PORT.
	taken, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.Start(ctx, node.Config{Home: home, Verifier: rightstest.Verifier{}, MetricsListen: addr}); err == nil ||
		!strings.Contains(err.Error(), "listen for metrics on "+addr) {
		t.Errorf("metrics on a taken port: %v, want refused", err)
	}
	taken.Close()
	if _, err := node.Start(ctx, node.Config{Home: home, Verifier: rightstest.Verifier{}, MetricsListen: "26660"}); err == nil ||
		!strings.Contains(err.Error(), "not HOST:PORT") {
		t.Errorf("metrics address 26660: %v, want refused", err)
	}

	n = start() // a restart in the same process serves them again
	defer n.Stop()
	height()
}
