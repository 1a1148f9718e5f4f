package bench

import (
	"testing"

	"github.com/dxplabs/dxp/mpc"
)

// TestRawSum: the raw baseline decrypts the exact sum of values spread over owners and
// ciphertexts, and takes time to do it.
func TestRawSum(t *testing.T) {
	params, err := mpc.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	slots := mpc.Slots(params)
	values := [][]int64{make([]int64, slots+5), {-7, 1_000_000, -1_000_000, 42}}
	var want int64 = -7 + 42
	for i := range values[0] {
		values[0][i] = int64(i%2001) - 1000
		want += values[0][i]
	}
	raw, err := newRawSum(params, values, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.inputs) != 3 {
		t.Errorf("%d input ciphertexts, want 3 (two for the first owner, one for the second)", len(raw.inputs))
	}
	got, took, err := raw.run()
	if err != nil {
		t.Fatal(err)
	}
	if got != want || took.wall <= 0 {
		t.Errorf("raw sum = %d in %v, want %d in a positive time", got, took, want)
	}
	// The committee's work: 2t−1 = 3 participants, each evaluating and sharing for the two
	// 2-subsets of the three it is in.
	if len(raw.parts) != 3 {
		t.Fatalf("%d participants, want 3", len(raw.parts))
	}
	for j, p := range raw.parts {
		if p.out == nil || len(p.shares) != 2 {
			t.Errorf("participant %d: output %v, %d shares, want an output and 2 shares", j, p.out != nil, len(p.shares))
		}
	}
	if _, err := newRawSum(params, values, 2, 3); err == nil {
		t.Error("newRawSum accepted a threshold of 3 of 2 members")
	}
}
