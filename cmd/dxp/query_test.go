package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/node"
)

type acceptAll struct{}

func (acceptAll) VerifyChunk(vk, proof, commitment []byte, min, max int64) error { return nil }

func (acceptAll) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error { return nil }

// TestQueryProve reads objects with `dxp query --prove` from a running node whose home pins the
// genesis validators.
func TestQueryProve(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	member := rights.AddressOf(pub)
	gen := rights.Genesis{ChainID: "dxp-query-test", Devnet: true,
		Committee: rights.Committee{Members: []rights.Member{{Address: member, PubKey: pub}}, Threshold: 1, Epoch: 1, Seed: []byte("seed")},
		Params: rights.Params{OpeningCredit: 1, ComputationDeadline: 10, PlaintextModulus: 65537, SlotsPerCiphertext: 8,
			MaxGrantDatasets: 1, ProductNoiseBudget: 1 << 20},
		Circuits: []rights.Circuit{{ChunkSize: 4, Width: 8, VK: []byte("vk"), PK: rights.Digest{1}, Setup: rights.InsecureDevnetSetup}}}
	nodeHome := filepath.Join(home, "node")
	if err := node.Init(nodeHome, gen); err != nil {
		t.Fatal(err)
	}
	rpc := freeRPC(t)
	n, err := node.Start(ctx, node.Config{Home: nodeHome, RPCListen: rpc, TimeoutCommit: 50 * time.Millisecond, Verifier: acceptAll{}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	// Height 2: the node reports a block once it is stored, a moment before the app commits it, and
	// a proof needs the app's committed state (TestQueryProve raced on height 1).
	for h, _ := n.Client().Height(ctx); h < 2; h, _ = n.Client().Height(ctx) {
		time.Sleep(50 * time.Millisecond)
	}
	conf, _ := json.Marshal(map[string]string{"chain_id": gen.ChainID, "rpc": rpc, "storage": filepath.Join(home, "storage")})
	write(t, filepath.Join(home, "config.json"), string(conf))

	out := mustRun(t, "query", "party", string(member), "--prove", "--home", home)
	if !strings.Contains(out, "proof verified against the AppHash of block") || !strings.Contains(out, "signed by 1 validators (of 1, the validator set of genesis)") {
		t.Errorf("query --prove printed:\n%s\nwant the proof verified by the genesis validator", out)
	}
	res := decode[queryResult](t, mustRun(t, "query", "committee", "--prove", "--home", home, "--output", "json"))
	if !res.Found || res.Proof == nil || !res.Proof.Verified || res.Proof.Block != res.Height+1 || !res.Proof.Pinned {
		t.Errorf("query committee --prove --output json = %+v", res)
	}
	// --node without a home: the validator set is the node's, not pinned.
	empty := t.TempDir()
	res = decode[queryResult](t, mustRun(t, "query", "party", string(member), "--prove", "--node", rpc, "--home", empty, "--output", "json"))
	if res.Proof == nil || res.Proof.Pinned || res.Proof.Signers != 1 {
		t.Errorf("query --node --prove = %+v, want a proof by the node's validator set", res)
	}
	out, err = run(t, "query", "dataset", "ds-nothing", "--prove", "--home", home)
	if err == nil || !strings.Contains(out, "absence proof verified") {
		t.Errorf("query of an unknown dataset: %v\n%s\nwant an error and a verified absence proof", err, out)
	}
	if _, err := run(t, "query", "dataset", "ds-nothing", "--home", home); err == nil || !strings.Contains(err.Error(), "no dataset") {
		t.Errorf("query of an unknown dataset without a proof: %v", err)
	}
	if _, err := run(t, "query", "widget", "x", "--home", home); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("query of an unknown kind: %v", err)
	}
	if _, err := run(t, "query", "party", "--home", home); err == nil {
		t.Error("query party without an id succeeded")
	}
	if _, err := os.Stat(filepath.Join(home, "config.json")); err != nil {
		t.Fatal(err)
	}
}

func (acceptAll) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return make([]byte, 32), nil
}

func (acceptAll) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return nil
}

// freeRPC is a node RPC address on a free loopback port.
func freeRPC(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	return "tcp://" + addr
}
