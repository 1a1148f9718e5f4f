package devnet

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	fsstore "github.com/dxplabs/dxp/storage/fs"
)

// TestGenesisInputCircuits: a devnet at the secure ring registers chunk circuits only and does
// not require input proofs unless SecureInputs asks (the compute bench's devnet relies on it),
// and a small-ring devnet registers input circuits and requires them either way. (SecureInputs
// at the secure ring costs a setup of minutes: `dxp bench publish` exercises it.)
func TestGenesisInputCircuits(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up circuits")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bucket, err := fsstore.Open(filepath.Join(dir, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	member, err := memberKey(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The shared test setup cache (devnettest.SetupCache, which this package's internal tests cannot import).
	cache := filepath.Join(os.TempDir(), "dxp-test-setup-cache")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		slots        uint64
		secureInputs bool
		wantInputs   bool
	}{{mpc.SecureSlots, false, false}, {1024, false, true}, {1024, true, true}} {
		gen, err := newGenesis(ctx, genesisSpec{ChainPrefix: "t-", Members: []*marketplace.Key{member}, ChunkSize: 64, Slots: c.slots,
			Widths: []int{32}, SecureInputs: c.secureInputs, SetupCache: cache, Bucket: bucket}, log)
		if err != nil {
			t.Fatal(err)
		}
		inputs := 0
		for _, circuit := range gen.Circuits {
			if circuit.Kind != rights.CircuitChunk {
				inputs++
			}
		}
		if gen.Params.InputProofs != c.wantInputs || (inputs > 0) != c.wantInputs {
			t.Errorf("slots %d, SecureInputs %v: InputProofs %v with %d input circuits, want input proofs %v",
				c.slots, c.secureInputs, gen.Params.InputProofs, inputs, c.wantInputs)
		}
	}
}
