package marketplace_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/node/nodetest"
	"github.com/dxplabs/dxp/rights/rightstest"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/storage/fs"
)

// regulatedChain starts an in-process node of a chain that is not a devnet (regulator admission,
// a proof fee) whose regulator is the key "regulator" of home, and returns a session over it and
// a directory of storage.
func regulatedChain(t *testing.T, ctx context.Context, home string) *marketplace.Session {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	reg, err := marketplace.LoadOrCreateKeyFile(marketplace.KeyPath(home, "regulator"), "regulator", []rights.Role{rights.RoleRegulator})
	if err != nil {
		t.Fatal(err)
	}
	gen := rightstest.Genesis()
	gen.Devnet = false
	gen.Params.ProofFee = rights.DefaultProofFee
	// Off a devnet, genesis requires input proofs on the secure ring.
	gen.Params.InputProofs, gen.Params.SlotsPerCiphertext = true, rights.SecureSlots
	gen.Circuits = append(gen.Circuits, rightstest.InputCircuit(rights.SecureSlots, 16))
	gen.Regulators = []rights.Address{reg.Address()}
	for i := range gen.Circuits {
		gen.Circuits[i].Setup = rightstest.Digest("transcript").String()
	}
	nodeHome := t.TempDir()
	if err := node.Init(nodeHome, gen); err != nil {
		t.Fatal(err)
	}
	_, c := nodetest.Start(t, ctx, nodeHome)
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &marketplace.Session{Home: home, Chain: c, Bucket: bucket}
}

// TestAttackAdmitBuyerWithBadRLWEKey: a buyer gets itself admitted naming an RLWE key object that
// is missing from storage, or garbage, so that every computation it requests fails in the
// committee (and is refunded). The admit command fetches and parses the key with the committee's
// parameters first and submits nothing; a real key is admitted, and the buyer registers with it.
// An outsider registering itself is refused by the chain.
func TestAttackAdmitBuyerWithBadRLWEKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	s := regulatedChain(t, ctx, home)
	if _, err := marketplace.CreateKey(home, "buyer1", []rights.Role{rights.RoleBuyer}); err != nil {
		t.Fatal(err)
	}
	buyer, err := s.Key("buyer1") // loaded through the session: with its RLWE key pair in the chain's ring
	if err != nil {
		t.Fatal(err)
	}

	var missing [32]byte
	if _, err := rand.Read(missing[:]); err != nil {
		t.Fatal(err)
	}
	garbage, err := storage.PutBytes(ctx, s.Bucket, []byte("not an RLWE public key, but the attacker says it is"))
	if err != nil {
		t.Fatal(err)
	}
	truncated, err := storage.PutBytes(ctx, s.Bucket, buyer.RLWEPublic[:len(buyer.RLWEPublic)/2])
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]storage.Digest{"missing": missing, "garbage": garbage, "truncated": truncated} {
		_, err := s.AdmitParty(ctx, marketplace.AdmitRequest{From: "regulator", Party: "buyer1", Roles: []rights.Role{rights.RoleBuyer}, Credit: 100, RLWEKey: d.String()})
		if err == nil {
			t.Errorf("admitting a buyer with a %s RLWE key object succeeded", name)
		}
		t.Logf("%s key: %v", name, err)
	}
	// Nothing was submitted: no admission, and the regulator never even registered.
	if _, err := client.Get[rights.Admission](ctx, s.Chain, string(buyer.Address())); !errors.Is(err, rights.ErrNotFound) {
		t.Fatalf("an admission of the buyer is on chain after refused admits: %v", err)
	}
	if h, err := s.Chain.Height(ctx); err != nil {
		t.Fatal(err)
	} else if p, err := client.Get[rights.Party](ctx, s.Chain, string(mustAddrOf(t, s, "regulator"))); !errors.Is(err, rights.ErrNotFound) {
		t.Fatalf("at height %d the regulator is registered (%+v, %v): a refused admit submitted something", h, p, err)
	}

	// The attack without the command: the buyer registers itself with the garbage key.
	if _, err := s.Register(ctx, buyer); !isRefusal(err) {
		t.Fatalf("an unadmitted buyer registered itself: %v", err)
	}
	if _, err := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address())); !errors.Is(err, rights.ErrNotFound) {
		t.Fatalf("the unadmitted buyer is a party: %v", err)
	}

	// Its real key, uploaded from its key file: admitted, and it registers with it.
	a, err := s.AdmitParty(ctx, marketplace.AdmitRequest{From: "regulator", Party: "buyer1", Roles: []rights.Role{rights.RoleBuyer}, Credit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if a.RLWEKey != rights.Digest(storage.DigestOf(buyer.RLWEPublic)) || a.Credit != 100 {
		t.Errorf("admission = %+v, want the buyer's key and 100 credits", a)
	}
	p, err := s.Register(ctx, buyer)
	if err != nil {
		t.Fatal(err)
	}
	if p.Balance != 100 || p.RLWEKey != a.RLWEKey {
		t.Errorf("admitted buyer = balance %d key %s, want 100 and its admitted key", p.Balance, p.RLWEKey)
	}
}

func mustAddrOf(t *testing.T, s *marketplace.Session, name string) rights.Address {
	t.Helper()
	k, err := s.Key(name)
	if err != nil {
		t.Fatal(err)
	}
	return k.Address()
}
