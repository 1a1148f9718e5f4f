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
	if got != want || took <= 0 {
		t.Errorf("raw sum = %d in %v, want %d in a positive time", got, took, want)
	}
	if _, err := newRawSum(params, values, 2, 3); err == nil {
		t.Error("newRawSum accepted 3 active members of 2")
	}
}
