package devnet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// TestDemo runs the demo at a small size: Demo fails unless every decrypted result equals the
// plaintext answer, every proof re-verifies and the credit supply is conserved; the report and
// the progress text show each step.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out strings.Builder
	// Serve (what `dxp demo --serve` runs a gateway in) is called with the devnet still running:
	// its catalog lists both datasets, unfrozen again; and what Serve returns, Demo returns.
	served := errors.New("served")
	var listed int
	serve := func(ctx context.Context, rep *devnet.DemoReport) error {
		s, err := marketplace.Open(ctx, rep.Home)
		if err != nil {
			return err
		}
		defer s.Close()
		entries, err := s.Catalog(ctx, marketplace.CatalogFilter{})
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Status == string(rights.DatasetListed) {
				listed++
			}
		}
		return served
	}
	rep, err := devnet.Demo(ctx, devnet.DemoConfig{Home: t.TempDir(), Rows: [2]int{60, 40}, Out: &out, SetupCache: devnettest.SetupCache(), Serve: serve})
	if !errors.Is(err, served) {
		t.Fatalf("Demo = %v, want the error Serve returned\n%s", err, out.String())
	}
	if listed != 2 {
		t.Errorf("while serving, the devnet lists %d datasets, want both of the demo's", listed)
	}
	if len(rep.Datasets) != 2 || rep.Grant == "" || len(rep.Checks) != 5 || rep.Audit == nil || len(rep.Publish) != 2 || len(rep.Compute) != 5 {
		t.Errorf("report %+v: want 2 datasets, a grant, 5 checks, an audit and the stages of 2 publishes and 5 computations", rep)
	}
	for _, c := range rep.Checks {
		if !c.Equal {
			t.Errorf("%s(%s) = %s, plaintext %s", c.Op, c.Column, c.Result, c.Plaintext)
		}
	}
	for _, step := range []string{"1. Starting a devnet", "2048 values per ciphertext: an INSECURE ring", "5.2 owner2 publishes 40 rows", "9. The regulator audits", "Done in"} {
		if !strings.Contains(out.String(), step) {
			t.Errorf("the demo's progress lacks %q:\n%s", step, out.String())
		}
	}
}
