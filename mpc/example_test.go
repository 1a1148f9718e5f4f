package mpc_test

import (
	"errors"
	"fmt"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/spec"
)

// The committee follows spec's rules for a request: the overflow check against its plaintext
// modulus, and the noise it adds, calibrated to spec's sensitivities.
func ExampleNewDP() {
	q := spec.Query{
		Op:      spec.OpVariance,
		Rows:    1_000_000,
		Columns: []spec.Bound{{Min: -5000, Max: 20000}}, // e.g. amounts in cents
		Epsilon: 1_000_000,                              // ε = 1, Laplace noise
		Members: 2,
	}
	dp, _ := mpc.NewDP(q)
	fmt.Println("mechanism:", dp.Mechanism, "epsilon:", dp.Epsilon, "sensitivities:", dp.Sensitivity)
	fmt.Println("admitted:", mpc.CheckOverflow(q) == nil)

	q.Columns = []spec.Bound{{Min: -5_000_000, Max: 20_000_000}}
	fmt.Println("refused:", errors.Is(mpc.CheckOverflow(q), spec.ErrOverflow))
	// Output:
	// mechanism: laplace epsilon: 1 sensitivities: [20000 400000000]
	// admitted: true
	// refused: true
}
