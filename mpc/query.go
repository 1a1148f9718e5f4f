package mpc

import (
	"fmt"

	"github.com/dxplabs/dxp/spec"
)

// What a query may be (its ops, arguments, output layout, the overflow rule and the DP limits) is
// package spec's, the chain's rule: the committee follows the chain's verdict and keeps no copy.

// CheckOverflow refuses a query whose output, noise tail included, could wrap around this
// package's plaintext modulus (spec.Query.CheckOverflow with T = PlaintextModulus). The error is
// a *spec.OverflowError (errors.Is spec.ErrOverflow) for such a query.
func CheckOverflow(q spec.Query) error { return q.CheckOverflow(PlaintextModulus) }

// NewDP returns the noise the committee adds to q's output, or nil if q spends no epsilon: the
// mechanism q's epsilon and delta select (spec.Mechanism), as reals, and q's per-output
// sensitivities (spec.Query.Sensitivities), which the chain bounded the noise's tail with.
func NewDP(q spec.Query) (*DP, error) {
	if q.Epsilon == 0 {
		return nil, nil
	}
	if err := spec.CheckNoise(q.Epsilon, q.Delta); err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	sens, err := q.Sensitivities()
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	d := &DP{Mechanism: spec.Mechanism(q.Epsilon, q.Delta), Epsilon: float64(q.Epsilon) / spec.MicroUnit,
		Delta: float64(q.Delta) / spec.MicroUnit, Sensitivity: make([]uint64, len(sens))}
	for i, s := range sens {
		if !s.IsUint64() {
			return nil, fmt.Errorf("mpc: sensitivity of output %d, %s, does not fit 64 bits", i, s)
		}
		d.Sensitivity[i] = s.Uint64()
	}
	return d, nil
}
