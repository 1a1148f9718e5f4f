package metrics

import (
	"testing"

	"github.com/dxplabs/dxp/rights"
)

// TestOwedWork: what each member owes, from the work under way as the chain records it.
func TestOwedWork(t *testing.T) {
	m1, m2, m3 := rights.Address("m1"), rights.Address("m2"), rights.Address("m3")
	members := []rights.Address{m1, m2, m3}
	comps := []rights.Computation{
		// Pending since 100: m1 posted its output, m2 refused, m3 owes one.
		{ID: "c-1", Status: rights.ComputationPending, Requested: 100,
			Outputs:  []rights.Post{{Member: m1, Height: 101}},
			Refusals: []rights.Refusal{{Member: m2, Height: 102}}},
		// Switching: the participants m1 and m2 agreed by 120 (m3 is no participant); m1 has
		// posted its share, m2 owes one since 120.
		{ID: "c-2", Status: rights.ComputationSwitching, Requested: 110,
			Outputs:      []rights.Post{{Member: m1, Height: 115}, {Member: m2, Height: 120}, {Member: m3, Height: 125}},
			Participants: []rights.Address{m1, m2},
			Shares:       []rights.Post{{Member: m1, Height: 121}}},
		// Pending since 130 with no posts: everyone owes an output.
		{ID: "c-3", Status: rights.ComputationPending, Requested: 130},
	}
	pending := []rights.Dataset{
		// Registered at 90: m2 gave its verdict; m1 and m3 owe theirs.
		{ID: "ds-1", Registered: 90, Attestations: []rights.InputAttestation{{Member: m2, Valid: true, Height: 95}}},
	}
	got := owedWork(members, comps, pending)
	want := map[rights.Address]owed{
		m1: {count: 2, since: 90},  // c-3's output, ds-1's verdict
		m2: {count: 2, since: 120}, // c-2's share, c-3's output
		m3: {count: 3, since: 90},  // c-1's and c-3's outputs, ds-1's verdict
	}
	for _, a := range members {
		if got[a] != want[a] {
			t.Errorf("owedWork()[%s] = %+v, want %+v", a, got[a], want[a])
		}
	}
	if idle := owedWork(members, nil, nil); len(idle) != 0 {
		t.Errorf("owedWork() with no work = %v, want nothing owed", idle)
	}
}
