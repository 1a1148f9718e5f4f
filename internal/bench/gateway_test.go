package bench

import (
	"context"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet/devnettest"
)

// TestGateway runs the gateway bench at a small size: the catalog it lists and searches through
// a real gateway is the chain's (Gateway checks the counts), every page is timed, and a mean
// through the gateway and through the CLI's session both give the plaintext answer.
func TestGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a bench chain and a devnet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	rep, err := Gateway(ctx, GatewayConfig{Datasets: 60, PageSize: 7, Runs: 1, Rows: 100,
		SetupCache: devnettest.SetupCache(), ChunkSize: devnettest.ChunkSize, Progress: func(l string) { t.Log(l) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.List.Results != 60 || rep.List.Pages != 9 {
		t.Errorf("the catalog: %d datasets in %d pages, want 60 in 9 (pages of 7)", rep.List.Results, rep.List.Pages)
	}
	if len(rep.Searches) != 3 {
		t.Fatalf("%d searches, want 3", len(rep.Searches))
	}
	for _, p := range append(rep.Searches, rep.List) {
		if p.Pages < 1 || p.P50MS <= 0 || p.P99MS < p.P50MS || p.MaxMS < p.P99MS || p.TotalS <= 0 {
			t.Errorf("search %s: timings missing or out of order: %+v", p.Query, p)
		}
	}
	c := rep.Compute
	if c == nil || len(c.CLIS) != 1 || len(c.APIS) != 1 || c.CLIMedianS <= 0 || c.APIMedianS <= 0 || c.Result == "" {
		t.Fatalf("the computation's figures are missing: %+v", c)
	}
	if rep.CatalogSetupS <= 0 || rep.ComputeSetupS <= 0 || rep.GatewayStartS <= 0 || rep.FirstPageMS <= 0 {
		t.Errorf("setup figures missing: %+v", rep)
	}
}
