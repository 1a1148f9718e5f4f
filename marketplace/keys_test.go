package marketplace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
)

// TestBuyerRLWEKeyInChainRing: a buyer's RLWE key pair is made when its key first meets a chain,
// in that chain's ring, saved once and reused (a stale copy of the key takes the saved pair, not a
// second one); a key file carrying a pair of another ring is refused before anything is sent.
func TestBuyerRLWEKeyInChainRing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	s := regulatedChain(t, ctx, home)
	params, err := s.Params()
	if err != nil {
		t.Fatal(err)
	}
	if params.N() != mpc.SecureSlots {
		t.Fatalf("Params().N() = %d, want the chain's %d", params.N(), mpc.SecureSlots)
	}

	stale, err := marketplace.CreateKey(home, "buyer1", []rights.Role{rights.RoleBuyer})
	if err != nil {
		t.Fatal(err)
	}
	if len(stale.RLWEPublic) != 0 || len(stale.RLWESecret) != 0 {
		t.Fatal("CreateKey made an RLWE key pair before the key met a chain")
	}
	k, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(k.RLWEPublic), rlwe.NewPublicKey(params).BinarySize(); got != want || len(k.RLWESecret) == 0 {
		t.Fatalf("buyer's RLWE public key = %d bytes (secret %d), want %d (the chain's ring)", got, len(k.RLWESecret), want)
	}
	again, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.RLWEPublic, k.RLWEPublic) {
		t.Fatal("loading the buyer again made a second RLWE key pair")
	}
	// The stale copy (no pair) registering: it takes the saved pair, and the chain refuses the
	// buyer, which no regulator admitted.
	if _, err := s.Register(ctx, stale); !isRefusal(err) {
		t.Fatalf("an unadmitted buyer registering = %v, want the chain's refusal", err)
	}
	if !bytes.Equal(stale.RLWEPublic, k.RLWEPublic) || !bytes.Equal(stale.RLWESecret, k.RLWESecret) {
		t.Fatal("a stale copy of the buyer's key made its own RLWE key pair instead of taking the saved one")
	}

	// A key file whose pair is of a 1024-slot ring (copied from a devnet's home).
	small, err := mpc.NewParamsFor(1024)
	if err != nil {
		t.Fatal(err)
	}
	sk, pk, err := mpc.NewBuyerKey(small)
	if err != nil {
		t.Fatal(err)
	}
	path := marketplace.KeyPath(home, "buyer1")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	f["rlwe_secret_key"], f["rlwe_public_key"] = sk, pk
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key("buyer1"); err == nil || !strings.Contains(err.Error(), "ring of 16384 slots") {
		t.Fatalf("loading a buyer whose RLWE pair is of a 1024-slot ring = %v, want a refusal naming the chain's ring", err)
	}
}
