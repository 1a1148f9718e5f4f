package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/dxplabs/dxp/zk"
)

// TestRawProve: the raw baseline proves full and short chunks, refuses a value above max, and
// stops when cancelled.
func TestRawProve(t *testing.T) {
	const n, w = 16, 16
	pk, _, err := zk.SetupChunkInsecure(n, w)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newRawProver(n, w, pk)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	chunks := [][]int64{{1, 2, 3}, make([]int64, n), {100}}
	if err := p.prove(ctx, chunks, 0, 100, 2); err != nil {
		t.Fatalf("prove = %v", err)
	}
	if err := p.prove(ctx, [][]int64{{101}}, 0, 100, 1); err == nil {
		t.Error("prove(value above max) succeeded, want an error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.prove(cancelled, chunks, 0, 100, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("prove(cancelled) = %v, want context.Canceled", err)
	}
}
