package main

import (
	"testing"

	"github.com/dxplabs/dxp/internal/bench"
)

// TestBenchPublish runs `dxp bench publish` at a small size: every chunk is proven, published,
// registered and re-proven by the baseline, and the report's figures agree with each other.
func TestBenchPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	t.Setenv("DXP_SETUP_CACHE", t.TempDir())
	out := mustRun(t, "bench", "publish", "--rows", "300", "--chunk-size", "64", "--output", "json")
	rep := decode[bench.PublishReport](t, out)
	if rep.Rows != 300 || rep.Chunks != 5 || rep.Ciphertexts != 1 || rep.Dataset == "" {
		t.Errorf("report = %+v, want 300 rows in 5 chunks of 64 and 1 ciphertext, registered", rep)
	}
	if rep.DXPSeconds <= 0 || rep.RawSeconds <= 0 || rep.RawProveSeconds <= 0 || rep.RawEncryptSecs <= 0 {
		t.Errorf("report = %+v, want every timing measured", rep)
	}
	if got := rep.DXPSeconds / rep.RawSeconds; got != rep.Ratio {
		t.Errorf("ratio = %v, want dxp_s/raw_s = %v", rep.Ratio, got)
	}
	if rep.ConstraintsPerRow <= 1 || rep.PeakRSSMB <= 0 || rep.SetupCached {
		t.Errorf("report = %+v, want constraints per row, a peak RSS and a fresh setup", rep)
	}
}
