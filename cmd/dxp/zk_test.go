package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage"
)

// TestZKCeremonyCLI runs a setup ceremony with the commands a user types, each a separate
// invocation, two participants each from its own home.
func TestZKCeremonyCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and runs a Groth16 ceremony")
	}
	home := t.TempDir()
	rpc := freeRPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: rpc, ChunkSize: 64, SetupCache: devnettest.SetupCache()})
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Stop()
	if err := dn.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(home, "config.json"))
	if err != nil {
		t.Fatal(err)
	}

	// Each participant has its own home on the same chain and storage, and a registered key.
	homes := map[string]string{}
	var specs []string
	for _, name := range []string{"alice", "bob"} {
		h := t.TempDir()
		if err := os.WriteFile(filepath.Join(h, "config.json"), config, 0o600); err != nil {
			t.Fatal(err)
		}
		info := decode[marketplace.KeyInfo](t, mustRun(t, "keys", "add", name, "--role", "owner", "--home", h, "--output", "json"))
		s, err := marketplace.Open(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.Key(name)
		if err == nil {
			_, err = s.Register(ctx, k)
		}
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		homes[name] = h
		specs = append(specs, "--participant", name+"="+string(info.Address))
	}

	start := append([]string{"zk", "ceremony", "start", "--chunk-size", "64", "--width", "8", "--output", "json"}, specs...)
	if _, err := run(t, append(start, "--home", homes["alice"], "--key", "alice")...); err == nil || !strings.Contains(err.Error(), "not a regulator") {
		t.Errorf("start by a party that is not a regulator: %v, want a refusal saying it is not a regulator", err)
	}
	c := decode[rights.ZKCeremony](t, mustRun(t, append(start, "--home", home, "--key", "regulator")...))
	if c.ID == "" || c.Status != rights.ZKCeremonyPhase1 || len(c.Participants) != 2 {
		t.Fatalf("start printed %+v, want a ceremony in phase 1 with two participants", c)
	}
	contribute := func(name string) string {
		t.Helper()
		return mustRun(t, "zk", "ceremony", "contribute", c.ID, "--home", homes[name], "--key", name)
	}
	if _, err := run(t, "zk", "ceremony", "contribute", c.ID, "--home", homes["bob"], "--key", "bob"); err == nil || !strings.Contains(err.Error(), "waits for alice") {
		t.Errorf("bob contributing first: %v, want an error saying the ceremony waits for alice", err)
	}
	if out := contribute("alice"); !strings.Contains(out, "contributed to phase 1") {
		t.Errorf("alice's first contribution printed %q", out)
	}
	contribute("bob")
	if out := contribute("alice"); !strings.Contains(out, "contributed to phase 2") { // waits for the beacon block
		t.Errorf("alice's second contribution printed %q", out)
	}
	contribute("bob")
	status := mustRun(t, "zk", "ceremony", "status", c.ID, "--home", home)
	if !strings.Contains(status, "alice") || !strings.Contains(status, "phase 2 beacon") {
		t.Errorf("status printed %q, want the participants and the phase 2 beacon", status)
	}
	if _, err := run(t, "zk", "ceremony", "finish", c.ID, "--home", homes["bob"], "--key", "bob", "--output", "json"); err != nil {
		t.Fatalf("finish: %v", err)
	}
	v := decode[marketplace.ZKVerdict](t, mustRun(t, "zk", "ceremony", "verify", c.ID, "--home", homes["alice"], "--output", "json"))
	if !v.Valid || !v.Finished {
		t.Errorf("verify printed %+v, want valid and finished", v)
	}
	list := decode[[]rights.ZKCeremony](t, mustRun(t, "zk", "ceremony", "list", "--home", home, "--output", "json"))
	if len(list) != 1 || list[0].Status != rights.ZKCeremonyFinished || list[0].Circuit == nil {
		t.Errorf("list printed %+v, want the one finished ceremony with its registered circuit", list)
	}

	// Swap bob's phase-1 object in storage: verify fails and names bob.
	b, err := marketplace.OpenBucket(ctx, filepath.Join(home, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	d := storage.Digest(list[0].Phase1[1].Digest)
	orig, err := storage.GetBytes(ctx, b, d)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(orig)
	bad[len(bad)-40] ^= 1
	if err := b.Put(ctx, storage.ObjectKey(d), bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "zk", "ceremony", "verify", c.ID, "--home", home); err == nil || !strings.Contains(err.Error(), "by bob") || !strings.Contains(out, "FAILED") {
		t.Errorf("verify with bob's object swapped: %v, printed %q; want a failure naming bob", err, out)
	}
	if _, err := run(t, "zk", "ceremony", "status", "zkc-nope", "--home", home); err == nil || !strings.Contains(err.Error(), "no setup ceremony zkc-nope") {
		t.Errorf("status of an unknown ceremony: %v", err)
	}
}
