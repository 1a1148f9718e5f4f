package spec

import "fmt"

// ProductTerms returns how many of op's output values over columns columns (Layout) are sums of
// products of two encrypted columns, ciphertext × ciphertext: a variance's Σx², a regression's
// Σz_a·z_b. A dot product's weights are plaintexts to the committee, so its product is not one.
// It returns 0 for a shape Layout refuses.
func ProductTerms(op Op, columns int) int {
	if op == OpDot {
		return 0
	}
	terms, err := Layout(op, columns, 1)
	if err != nil {
		return 0
	}
	n := 0
	for _, t := range terms {
		if t.Kind == Product {
			n++
		}
	}
	return n
}

// CheckProductNoise refuses a query with ciphertext products that the committee could not
// switch to the buyer's key with its statistical margin: the owners' proven worst-case noise of a
// product term grows with the ciphertexts it sums (r per column) and with the square of the
// committee's size m (each member's key share adds to the collective secret, which multiplies
// both factors' noise), and the sum over the P product terms must stay below what the smudging
// noise can hide within the output modulus. So a query is admitted only if
//
//	r · P · m² ≤ budget,
//
// budget being the chain's Params.ProductNoiseBudget, which mpc.ProductNoiseBudget derives from
// the ring's parameters (mpc's TestEveryAdmittedProductQueryIsSmudged checks every admitted
// shape is smudged). A query without product terms always passes.
func CheckProductNoise(op Op, columns int, ciphertexts, members, budget uint64) error {
	p := uint64(ProductTerms(op, columns))
	if p == 0 {
		return nil
	}
	// r·P·m² ≤ budget without overflow: divide instead of multiplying.
	limit := budget / p / max(members, 1) / max(members, 1)
	if ciphertexts > limit {
		return fmt.Errorf("a %s over %d columns has %d product terms, each summing %d ciphertexts per column, and a committee of %d members can hide the noise of at most %d such ciphertexts per column (the chain's product noise budget %d over %d·%d²)",
			op, columns, p, ciphertexts, members, limit, budget, p, members)
	}
	return nil
}
