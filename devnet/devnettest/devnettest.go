// Package devnettest is the test harness for code that needs a running devnet: it starts one on
// a free loopback port with a small chunk circuit and waits for its committee, starts MinIO for
// one on S3, and makes the keys, tables and grants most flows begin with.
//
//	dn := devnettest.Start(t, devnet.Config{Home: home})
//	defer dn.Stop()
//	s, err := marketplace.Open(ctx, home)
//	tab := devnettest.Table(t, 100, 1)
//	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "survey", 1, rights.OpSum, "delta", 1)
//
// It imports devnet, which imports marketplace: marketplace's own tests that start a devnet
// are therefore an external test package (marketplace_test).
package devnettest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	s3store "github.com/dxplabs/dxp/storage/s3"
	"github.com/dxplabs/dxp/storage/s3/miniotest"
)

// ChunkSize keeps the chunk circuits' setup quick in tests; the flow is the same at any size.
const ChunkSize = 64

// Schema is the schema of Table: an integer column delta in [-5000, 5000] and a decimal column
// income (scale 2) in [0, 1000000].
const Schema = `{"columns":[
 {"name":"delta","type":"integer","min":-5000,"max":5000},
 {"name":"income","type":"decimal","scale":2,"min":0,"max":1000000}]}`

// RPC returns a node RPC address on a free loopback port.
func RPC(t testing.TB) string {
	t.Helper()
	addr, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	return "tcp://" + addr
}

// Start starts a devnet on a free loopback port (unless cfg names its RPC) with ChunkSize and
// SetupCache (unless cfg names others) and waits until its committee is ready. The caller stops it.
func Start(t testing.TB, cfg devnet.Config) *devnet.Devnet {
	t.Helper()
	if cfg.RPC == "" {
		cfg.RPC = RPC(t)
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = ChunkSize
	}
	if cfg.SetupCache == "" {
		cfg.SetupCache = SetupCache()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dn, err := devnet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := dn.WaitReady(ctx); err != nil {
		dn.Stop()
		t.Fatal(err)
	}
	return dn
}

// SetupCache is the setup cache every test devnet shares (unless its Config names another), kept
// in the temporary directory across runs: a devnet on a small ring sets up input circuits, tens
// of seconds to minutes each (devnet.InsecureInputSetup), and a cached key is used only if it
// fits the circuit compiled now.
//
// $DXP_SETUP_CACHE names it when set, so that scripts/test gives every package's tests, and the
// dxp processes they start (which read the same variable), one cache: each setup then runs once
// per machine, not once per package.
func SetupCache() string {
	if d := os.Getenv("DXP_SETUP_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "dxp-test-setup-cache")
}

// MinioStorage starts a MinIO server for the test and returns its bucket as a --storage URL,
// and its configuration.
func MinioStorage(t *testing.T) (string, s3store.Config) {
	t.Helper()
	cfg := miniotest.Start(t)
	return fmt.Sprintf("s3://%s:%s@%s/%s", url.PathEscape(cfg.AccessKey), url.PathEscape(cfg.SecretKey), cfg.Endpoint, cfg.Bucket), cfg
}

// Table generates rows of Schema, different for each seed.
func Table(t testing.TB, rows int, seed int64) *marketplace.Table {
	t.Helper()
	s, err := marketplace.ParseSchema(strings.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("delta,income\n")
	for i := 0; i < rows; i++ {
		v := (int64(i)*7919 + seed*104729) % 10001
		fmt.Fprintf(&b, "%d,%d.%02d\n", v-5000, (v*37)%1000000, v%100)
	}
	tab, err := marketplace.ReadTable("gen.csv", strings.NewReader(b.String()), s)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// MustKey creates the identity name with role in home.
func MustKey(t testing.TB, home, name string, role rights.Role) {
	t.Helper()
	if _, err := marketplace.CreateKey(home, name, []rights.Role{role}); err != nil {
		t.Fatal(err)
	}
}

// ApprovedGrant creates the keys owner1 and buyer1, has owner1 publish tab as name at price, and
// returns buyer1's grant, approved, for uses of op over column.
func ApprovedGrant(t testing.TB, ctx context.Context, s *marketplace.Session, home string, tab *marketplace.Table, name string, price uint64, op rights.Op, column string, uses uint64) *rights.Grant {
	t.Helper()
	MustKey(t, home, "owner1", rights.RoleOwner)
	MustKey(t, home, "buyer1", rights.RoleBuyer)
	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner1", Name: name, Schema: tab.Schema, CSV: marketplace.BytesSource("gen.csv", tab.CSV()), Price: price})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: []string{pub.Dataset}, Ops: []rights.Op{op}, Columns: []string{column}, Uses: uses})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActOnGrant(ctx, "owner1", g.ID, marketplace.Approve, ""); err != nil {
		t.Fatal(err)
	}
	return g
}
