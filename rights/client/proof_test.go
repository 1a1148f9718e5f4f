package client_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/rights/node/nodetest"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestProvenQuery reads objects with proofs from a running node and checks that the proofs verify
// against the signed header, that absence is proven, and that any tampering is caught.
func TestProvenQuery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	if err := node.Init(home, rightstest.Genesis()); err != nil {
		t.Fatal(err)
	}
	_, c := nodetest.Start(t, ctx, home)
	nodetest.Submit(t, ctx, c, "buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("rlwe")}})
	r := nodetest.Submit(t, ctx, c, "owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	owner := string(rightstest.Addr("owner1"))
	genVals, err := client.GenesisValidators(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}

	got, err := c.Object(ctx, "party", owner, 0, true, client.ProofCheck{Validators: genVals})
	if err != nil {
		t.Fatalf("proven read of a party: %v", err)
	}
	p, ok := got.Value.(*rights.Party)
	if !got.Found || !ok || string(p.Address) != owner {
		t.Fatalf("proven read = %+v, want party %s", got, owner)
	}
	if got.Proof.Signers != 1 || got.Proof.Validators != 1 || !got.Proof.Pinned || got.Proof.Height < r.Height {
		t.Errorf("proof = %+v, want height >= %d signed by 1 of 1 pinned validators", got.Proof, r.Height)
	}

	// Before its registration block the party did not exist, and that is proven too.
	before, err := c.Object(ctx, "party", owner, r.Height-1, true, client.ProofCheck{})
	if err != nil || before.Found || before.Proof == nil || before.Height != r.Height-1 {
		t.Errorf("proven read at height %d = %+v, %v; want a proof of absence", r.Height-1, before, err)
	}
	absent, err := c.Object(ctx, "dataset", "ds-none", 0, true, client.ProofCheck{})
	if err != nil || absent.Found || absent.Proof == nil || absent.Proof.Value != nil {
		t.Errorf("proven read of an unknown dataset = %+v, %v; want a proof of absence", absent, err)
	}
	if _, err := c.Object(ctx, "committee", "", 0, true, client.ProofCheck{}); err != nil {
		t.Errorf("proven read of the committee: %v", err)
	}
	var te *rights.TxError
	if _, err := c.QueryProven(ctx, "/parties", nil, 0, client.ProofCheck{}); !errors.As(err, &te) || te.Code != rights.CodeUnknownQuery {
		t.Errorf("proven read of a list = %v, want CodeUnknownQuery", err)
	}
	other := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(ed25519.GenPrivKey().PubKey(), 10)})
	if _, err := c.Object(ctx, "party", owner, 0, true, client.ProofCheck{Validators: other}); !errors.Is(err, client.ErrProof) {
		t.Errorf("proven read pinned to another validator set = %v, want ErrProof", err)
	}
	if _, err := c.Object(ctx, "party", owner, 0, true, client.ProofCheck{ChainID: "other-chain"}); !errors.Is(err, client.ErrProof) {
		t.Errorf("proven read for another chain id = %v, want ErrProof", err)
	}

	// Tampering: the same answer and header, one thing changed at a time.
	key := keyOf("party", owner)
	prefixParty := keyOf("party", "")
	answer := func(k []byte) abci.ResponseQuery {
		res, err := c.RPC().ABCIQueryWithOptions(ctx, "/party/"+string(k[len(prefixParty):]), nil, rpcclient.ABCIQueryOptions{Height: got.Height, Prove: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Response
	}
	h1 := got.Height + 1
	com, err := c.RPC().Commit(ctx, &h1)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := client.Validators(ctx, c, h1)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(r abci.ResponseQuery, k []byte, sh cmttypes.SignedHeader) error {
		_, err := client.VerifyProven(&r, k, &sh, vals, rightstest.ChainID, nil)
		return err
	}
	if err := verify(answer(key), key, com.SignedHeader); err != nil {
		t.Fatalf("untampered answer: %v", err)
	}
	tampered := map[string]func() error{
		"value": func() error {
			r := answer(key)
			r.Value = append(bytes.Clone(r.Value[:len(r.Value)-1]), r.Value[len(r.Value)-1]^1)
			return verify(r, key, com.SignedHeader)
		},
		"proof": func() error {
			r := answer(key)
			d := bytes.Clone(r.ProofOps.Ops[0].Data)
			d[len(d)-3] ^= 1
			r.ProofOps.Ops[0].Data = d
			return verify(r, key, com.SignedHeader)
		},
		"key": func() error {
			other := keyOf("party", string(rightstest.Addr("buyer")))
			return verify(answer(key), other, com.SignedHeader)
		},
		"absent claimed present": func() error {
			k := keyOf("party", string(rightstest.Addr("nobody")))
			r := answer(k)
			r.Code, r.Value = rights.CodeOK, []byte{0xa0}
			return verify(r, k, com.SignedHeader)
		},
		"app hash": func() error {
			sh := com.SignedHeader
			h := *sh.Header
			h.AppHash = bytes.Repeat([]byte{7}, 32)
			sh.Header = &h
			return verify(answer(key), key, sh)
		},
		"commit": func() error {
			sh := com.SignedHeader
			cm := *sh.Commit
			cm.Signatures = append([]cmttypes.CommitSig(nil), cm.Signatures...)
			s := bytes.Clone(cm.Signatures[0].Signature)
			s[0] ^= 1
			cm.Signatures[0].Signature = s
			sh.Commit = &cm
			return verify(answer(key), key, sh)
		},
	}
	for name, f := range tampered {
		if err := f(); !errors.Is(err, client.ErrProof) {
			t.Errorf("tampered %s: %v, want ErrProof", name, err)
		}
	}
}

func keyOf(kind, id string) []byte {
	k, _ := rights.LookupKind(kind)
	return k.Key(id)
}
