package devnet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	s3store "github.com/dxplabs/dxp/storage/s3"
)

const testChunk = devnettest.ChunkSize

func startDevnet(t *testing.T, home string) *devnet.Devnet {
	t.Helper()
	return devnettest.Start(t, devnet.Config{Home: home})
}

// TestEndToEnd is the whole path on a real in-process CometBFT node, real storage, the real
// committee ceremony, real proofs: two owners list, a buyer computes over both, a regulator
// audits, and a restarted devnet keeps its chain, keys and data.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home := t.TempDir()
	dn := startDevnet(t, home)
	stopped := false
	defer func() {
		if !stopped {
			dn.Stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	devnettest.MustKey(t, home, "owner1", rights.RoleOwner)
	devnettest.MustKey(t, home, "owner2", rights.RoleOwner)
	devnettest.MustKey(t, home, "buyer1", rights.RoleBuyer)

	// Two owners with different row counts, so chunks and ciphertexts are partly filled.
	tables := []*marketplace.Table{devnettest.Table(t, 150, 1), devnettest.Table(t, 97, 2)}
	var ids []string
	for i, owner := range []string{"owner1", "owner2"} {
		pub, err := s.Publish(ctx, marketplace.PublishRequest{From: owner, Name: owner + "-data", Schema: tables[i].Schema, CSV: marketplace.BytesSource("gen.csv", tables[i].CSV()), Price: uint64(3 + i)})
		if err != nil {
			t.Fatalf("Publish(%s) = %v", owner, err)
		}
		// One proof per chunk of the circuit each column was proven with (the chunk circuit, or
		// on a small ring the input circuit, whose chunk is a ciphertext).
		want := 0
		for _, id := range pub.Circuits {
			c, err := client.Get[rights.Circuit](ctx, s.Chain, id)
			if err != nil {
				t.Fatal(err)
			}
			want += (tables[i].Rows + int(c.ChunkSize) - 1) / int(c.ChunkSize)
		}
		if len(pub.Circuits) != 2 || pub.Chunks != want || pub.Tables != 2 {
			t.Errorf("Publish(%s) proved %d chunks and %d frequency tables with circuits %v, want %d and 2 with 2", owner, pub.Chunks, pub.Tables, pub.Circuits, want)
		}
		ids = append(ids, pub.Dataset)
	}

	// An owner cannot request grants, and a computation needs a grant.
	if _, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "owner1", Datasets: ids, Ops: []rights.Op{rights.OpSum}, Columns: []string{"income"}, Uses: 1}); err == nil {
		t.Error("an owner without the buyer role requested a grant")
	}
	if _, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: "gr-0000000000000000", Op: rights.OpSum, Columns: []string{"income"}}); !isRefusal(err) {
		t.Errorf("Compute without a grant = %v, want the chain's refusal", err)
	}

	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: ids,
		Ops: []rights.Op{rights.OpSum, rights.OpMean, rights.OpCount, rights.OpVariance, rights.OpStddev}, Columns: []string{"income", "delta"}, Uses: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"income"}}); !isRefusal(err) {
		t.Errorf("Compute under a grant no holder approved = %v, want a refusal", err)
	}
	if g, err = s.ActOnGrant(ctx, "owner1", g.ID, marketplace.Approve, ""); err != nil || g.State != rights.GrantRequested {
		t.Fatalf("after one of two approvals: grant %+v, %v; want still requested", g, err)
	}
	if _, err := s.ActOnGrant(ctx, "buyer1", g.ID, marketplace.Approve, ""); !isRefusal(err) {
		t.Errorf("the grantee approving its own grant = %v, want a refusal", err)
	}
	if g, err = s.ActOnGrant(ctx, "owner2", g.ID, marketplace.Approve, ""); err != nil || g.State != rights.GrantActive {
		t.Fatalf("after both approvals: grant %+v, %v; want active", g, err)
	}

	schema := tables[0].Schema
	buyer, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	before, err := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address()))
	if err != nil {
		t.Fatal(err)
	}
	queries := []struct {
		op  rights.Op
		col string
	}{{rights.OpSum, "income"}, {rights.OpMean, "income"}, {rights.OpSum, "delta"}, {rights.OpMean, "delta"}, {rights.OpCount, "delta"},
		{rights.OpVariance, "delta"}, {rights.OpStddev, "delta"}}
	for _, q := range queries {
		res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: q.op, Columns: []string{q.col}})
		if err != nil {
			t.Fatalf("Compute(%s %s) = %v", q.op, q.col, err)
		}
		if want := devnet.PlaintextAnswer(q.op, q.col, schema, tables); res.Result != want {
			t.Errorf("Compute(%s %s) = %s, want the plaintext answer %s", q.op, q.col, res.Result, want)
		}
		if res.Rows != uint64(tables[0].Rows+tables[1].Rows) {
			t.Errorf("Compute(%s %s) rows = %d, want %d", q.op, q.col, res.Rows, tables[0].Rows+tables[1].Rows)
		}
		if q.op != rights.OpCount && len(res.Participants) != 3 {
			t.Errorf("Compute(%s %s) had %d participants, want 3", q.op, q.col, len(res.Participants))
		}
	}
	after, err := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if paid, want := before.Balance-after.Balance, uint64(len(queries)*(3+4)); paid != want {
		t.Errorf("buyer paid %d credits for %d computations, want %d", paid, len(queries), want)
	}
	if g, err = client.Get[rights.Grant](ctx, s.Chain, g.ID); err != nil || g.Used != uint64(len(queries)) {
		t.Errorf("grant used %d times, want %d (%v)", g.Used, len(queries), err)
	}
	if _, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"zip"}}); !isRefusal(err) {
		t.Errorf("Compute over a column outside the grant = %v, want a refusal", err)
	}

	report, err := s.Audit(ctx, "regulator")
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Datasets) != 2 || len(report.Grants) != 1 || len(report.Computations) != len(queries) {
		t.Errorf("audit saw %d datasets, %d grants, %d computations; want 2, 1, %d", len(report.Datasets), len(report.Grants), len(report.Computations), len(queries))
	}
	for _, d := range report.Datasets {
		if !d.ProofVerified {
			t.Errorf("audit could not re-verify dataset %s", d.ID)
		}
	}
	// Holders are paid when each computation's dispute window ends.
	releases := 0
	for wait := 0; ; wait++ {
		releases = 0
		for _, p := range report.Payments {
			if p.Kind == string(rights.PaymentRelease) {
				releases++
			}
		}
		if releases >= 2*len(queries) || wait == 60 {
			break
		}
		time.Sleep(250 * time.Millisecond)
		if report, err = s.Audit(ctx, "regulator"); err != nil {
			t.Fatal(err)
		}
	}
	if releases != 2*len(queries) || !report.Supply.Conserved {
		t.Errorf("audit shows %d releases to holders, want %d after the dispute windows (supply conserved: %v)", releases, 2*len(queries), report.Supply.Conserved)
	}
	if _, err := s.Audit(ctx, "buyer1"); err == nil {
		t.Error("a buyer could run the regulator's audit")
	}

	// Restart: same chain, keys and data; no second ceremony.
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	height, err := s.Chain.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	stopped = true
	if err := dn.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	dn = startDevnet(t, home)
	stopped = false
	s2, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	h2, err := s2.Chain.Height(ctx)
	if err != nil || h2 < height {
		t.Fatalf("after restart height %d (%v), want at least %d", h2, err, height)
	}
	committee2, err := client.Get[rights.Committee](ctx, s2.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(committee2.Shares) != len(committee.Shares) || fmt.Sprint(committee2.Keys) != fmt.Sprint(committee.Keys) {
		t.Errorf("restart changed the committee's keys or ran a second ceremony")
	}
	res, err := s2.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"income"}})
	if err != nil {
		t.Fatalf("Compute after restart = %v", err)
	}
	if want := devnet.PlaintextAnswer(rights.OpSum, "income", schema, tables); res.Result != want {
		t.Errorf("Compute after restart = %s, want %s", res.Result, want)
	}
	ds, err := client.Get[rights.Dataset](ctx, s2.Chain, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := storage.HasObject(ctx, s2.Bucket, storage.Digest(ds.Columns[0].Ciphertexts[0])); err != nil || !ok {
		t.Errorf("after restart a ciphertext of %s is missing from storage (%v)", ids[0], err)
	}
}

func isRefusal(err error) bool {
	var te *rights.TxError
	return errors.As(err, &te)
}

// TestDevnetOnS3 runs a devnet whose storage is a real MinIO server: the committee's keys, the
// ciphertexts and the shares all go through S3.
func TestDevnetOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and MinIO")
	}
	home := t.TempDir()
	where, cfg := devnettest.MinioStorage(t)
	dn := devnettest.Start(t, devnet.Config{Home: home, Storage: where})
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.Bucket.(*s3store.Bucket); !ok {
		t.Fatalf("session storage is %T, want the S3 driver", s.Bucket)
	}
	tab := devnettest.Table(t, 80, 5)
	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "on-s3", 1, rights.OpSum, "delta", 1)
	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := devnet.PlaintextAnswer(rights.OpSum, "delta", tab.Schema, []*marketplace.Table{tab}); res.Result != want {
		t.Errorf("sum over S3-stored ciphertexts = %s, want %s", res.Result, want)
	}
	if conf, err := marketplace.LoadConfig(home); err != nil || conf.Storage != where {
		t.Errorf("config storage = %v (%v), want the S3 URL", conf, err)
	}
	if strings.Contains(marketplace.RedactURL(where), cfg.SecretKey) {
		t.Errorf("RedactURL kept the secret key")
	}
}

// TestThresholdDevnet runs a 2-of-3 committee: the collective key is thresholdized, and a
// computation without noise completes with all three members key-switching (every 2-subset of
// them, spec.Participants), exact as ever.
func TestThresholdDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home := t.TempDir()
	rpc := devnettest.RPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := devnet.Start(ctx, devnet.Config{Home: t.TempDir(), Members: 3, Threshold: 1}); err == nil {
		t.Error("a 1-of-3 committee was accepted: one member would hold the whole key")
	}
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: rpc, Members: 3, Threshold: 2, ChunkSize: testChunk, SetupCache: devnettest.SetupCache()})
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Stop()
	if err := dn.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, err := client.Get[rights.Committee](ctx, s.Chain, ""); err != nil || c.Threshold != 2 || len(c.Members) != 3 {
		t.Fatalf("committee = %+v, %v; want 2 of 3", c, err)
	}
	tab := devnettest.Table(t, 120, 7)
	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "two-of-three", 1, rights.OpMean, "income", 1)
	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpMean, Columns: []string{"income"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := devnet.PlaintextAnswer(rights.OpMean, "income", tab.Schema, []*marketplace.Table{tab}); res.Result != want {
		t.Errorf("mean on a 2-of-3 committee = %s, want %s", res.Result, want)
	}
	if len(res.Participants) != 3 {
		t.Errorf("%d members key-switched, want min(3, 2·2−1) = 3", len(res.Participants))
	}
}

// TestDevnetRing: a devnet asked for a 1024-slot ring writes it into genesis, and every party
// takes its parameters from there: the members run the ceremony and a computation over more
// rows than one ciphertext holds in that ring, the owner encrypts and the buyer decrypts in it,
// and the sum is exact. A ring that is not a power of two is refused, and a resumed devnet
// cannot change its ring.
func TestDevnetRing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := devnet.Start(ctx, devnet.Config{Home: t.TempDir(), Slots: 3000}); err == nil {
		t.Error("a devnet of 3000 slots per ciphertext was started")
	}
	const slots = 1024
	home := t.TempDir()
	dn := devnettest.Start(t, devnet.Config{Home: home, Slots: slots})
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		dn.Stop()
		t.Fatal(err)
	}
	defer s.Close()
	gen, err := client.Get[rights.Genesis](ctx, s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	params, err := s.Params()
	if err != nil {
		t.Fatal(err)
	}
	if gen.Params.SlotsPerCiphertext != slots || params.N() != slots {
		t.Fatalf("genesis slots %d, session ring %d; want %d", gen.Params.SlotsPerCiphertext, params.N(), slots)
	}
	tab := devnettest.Table(t, slots+100, 11) // two ciphertexts per column in this ring
	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "small-ring", 1, rights.OpSum, "delta", 1)
	ds, err := client.Get[rights.Dataset](ctx, s.Chain, g.Datasets[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ds.Columns[0].Ciphertexts); n != 2 {
		t.Errorf("column delta of %d rows has %d ciphertexts, want 2 in a ring of %d", slots+100, n, slots)
	}
	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := devnet.PlaintextAnswer(rights.OpSum, "delta", tab.Schema, []*marketplace.Table{tab}); res.Result != want {
		t.Errorf("sum in a %d-slot ring = %s, want %s", slots, res.Result, want)
	}
	if err := dn.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err = devnet.Start(ctx, devnet.Config{Home: home, RPC: devnettest.RPC(t), Slots: 2 * slots})
	if err == nil || !strings.Contains(err.Error(), "fixed at its first start") {
		t.Errorf("resuming a %d-slot devnet with --slots %d = %v, want a refusal", slots, 2*slots, err)
	}
}
