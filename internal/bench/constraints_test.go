package bench

import (
	"testing"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/zk"
)

// TestInputRelations: the per-relation accounting of the input circuits at N = 1,024 adds up to
// each circuit's constraint count (inputRelations refuses otherwise), and lands where the
// circuits' own accounting says: the padding selector 4 per row, the table side's S_T 1 per
// row, the chunk what the chunk circuit alone has, the same chunk, encryption and slot link in
// all three circuits.
func TestInputRelations(t *testing.T) {
	const n, w = 1024, 32
	plain, err := marketplace.InputLayout(n, w)
	if err != nil {
		t.Fatal(err)
	}
	column, err := plain.WithHistogramColumn(n)
	if err != nil {
		t.Fatal(err)
	}
	table, err := plain.WithHistogramTable()
	if err != nil {
		t.Fatal(err)
	}
	total, rel, err := inputRelations(plain)
	if err != nil {
		t.Fatal(err)
	}
	if got := rel[RelationPadding]; got < 4*n || got > 4*n+8 {
		t.Errorf("padding selector = %d constraints, want 4 per row (%d) and a few", got, 4*n)
	}
	chunk, err := zk.CompileChunk(n, w) // the chunk circuit alone: the same constraints, but the root commitment's
	if err != nil {
		t.Fatal(err)
	}
	if got, alone := rel[RelationChunk], chunk.GetNbConstraints(); got < alone-8 || got > alone {
		t.Errorf("chunk = %d constraints, want the chunk circuit's own %d, or a few fewer", got, alone)
	}
	if rel[RelationHistogram] != 0 {
		t.Errorf("plain circuit: histogram = %d constraints, want 0", rel[RelationHistogram])
	}
	for _, r := range []string{RelationChunk, RelationEncryption, RelationSlotLink} {
		if rel[r] < n {
			t.Errorf("%s = %d constraints, want at least one per row", r, rel[r])
		}
	}
	for _, c := range []struct {
		name     string
		lay      circuits.InputLayout
		min, max int
	}{{"column side", column, 10 * n, 20 * n}, {"table side", table, n, n + 8}} {
		htotal, hrel, err := inputRelations(c.lay)
		if err != nil {
			t.Fatal(err)
		}
		if got := hrel[RelationHistogram]; got < c.min || got > c.max || htotal != total+got {
			t.Errorf("%s: histogram = %d of %d constraints, want %d to %d over the plain circuit's %d", c.name, got, htotal, c.min, c.max, total)
		}
		for _, r := range []string{RelationChunk, RelationEncryption, RelationSlotLink, RelationPadding} {
			if hrel[r] != rel[r] {
				t.Errorf("%s: %s = %d constraints, want the plain circuit's %d", c.name, r, hrel[r], rel[r])
			}
		}
	}
}
