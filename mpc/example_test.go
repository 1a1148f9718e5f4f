package mpc_test

import (
	"errors"
	"fmt"

	"github.com/dxplabs/dxp/mpc"
)

// The rules a client and the chain apply to a request before it runs: how many values the
// output holds, the sensitivities DP noise is calibrated to, and the overflow check.
func ExampleQuery() {
	q := mpc.Query{
		Op:      mpc.OpVariance,
		Rows:    1_000_000,
		Columns: []mpc.Bound{{Min: -5000, Max: 20000}}, // e.g. amounts in cents
		Members: 2,
	}
	k, _ := q.Outputs()
	mags, _ := q.MaxMagnitudes()
	sens, _ := q.Sensitivities()
	fmt.Println("values:", k, "largest:", mags, "sensitivities:", sens)

	q.DP = &mpc.DP{Mechanism: mpc.DPLaplace, Epsilon: 1, Sensitivity: sens}
	fmt.Println("admitted:", q.CheckOverflow() == nil)

	q.Columns = []mpc.Bound{{Min: -5_000_000, Max: 20_000_000}}
	fmt.Println("refused:", errors.Is(q.CheckOverflow(), mpc.ErrOverflow))
	// Output:
	// values: 2 largest: [20000000000 400000000000000] sensitivities: [20000 400000000]
	// admitted: true
	// refused: true
}
