package bench

import (
	"context"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/mpc"
)

// TestCompute runs the compute bench at a small size: both ops complete through the
// committee and the raw path with the plaintext answer (Compute checks), and every figure
// the report promises is filled in.
func TestCompute(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := Compute(ctx, ComputeConfig{Rows: 2000, ChunkSize: devnettest.ChunkSize, MaxWarmup: 2, Progress: func(l string) { t.Log(l) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ops) != 2 || rep.Ops[0].Op != "sum" || rep.Ops[1].Op != "mean" {
		t.Fatalf("ops %+v, want a sum and a mean", rep.Ops)
	}
	for _, o := range rep.Ops {
		if o.E2E <= 0 || o.Compute <= 0 || o.Raw <= 0 || o.Ratio <= 0 || o.Blocks < 2 || o.StorageBytesRead <= 0 {
			t.Errorf("%s: a figure is missing: %+v", o.Op, o)
		}
		if _, measured := processCPU(); measured && (o.CPU <= 0 || o.RawCPU <= 0) {
			t.Errorf("%s: CPU time %.3fs, raw %.3fs; want both measured", o.Op, o.CPU, o.RawCPU)
		}
		if o.Compute >= o.E2E {
			t.Errorf("%s: the members' work %.3fs is not inside the end-to-end time %.3fs", o.Op, o.Compute, o.E2E)
		}
	}
	if rep.Slots != mpc.SecureSlots {
		t.Errorf("the bench measured a ring of %d slots, want the secure %d", rep.Slots, mpc.SecureSlots)
	}
	if rep.Rows != 2000 || rep.Owners != 4 || rep.Ciphertexts != 4 || rep.Setup <= 0 || rep.PeakRSSMB <= 0 {
		t.Errorf("report %+v: rows, owners, ciphertexts, setup or peak missing", rep)
	}
	if rep.WarmupOps < 1 || rep.WarmupOps > 2 || rep.Warmup <= 0 {
		t.Errorf("warm-up: %d sums in %.3fs, want 1 or 2 sums (MaxWarmup 2) in a positive time", rep.WarmupOps, rep.Warmup)
	}
}
