package mpc

import (
	"fmt"
	"math/bits"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// PlaintextModulus is the BGV plaintext modulus T: a prime with T ≡ 1 mod 2N (so every ciphertext
// packs N = 16384 values) of about 2^50, so a result stays exact while its magnitude is below T/2.
const PlaintextModulus uint64 = 1125899908022273

// SecureSlots is the ring degree N of DXP's secure parameters (NewParams): 16,384 values per
// ciphertext. A chain that is not a devnet has exactly this many slots per ciphertext.
const SecureSlots = 1 << 14

// NewParams returns DXP's BGV parameters: LogN=14, Q of six primes {56,55,55,54,54,54} bits and P of
// two 55-bit primes (LogQP 438, the 128-bit bound for LogN=14), plaintext modulus PlaintextModulus.
func NewParams() (heint.Parameters, error) { return NewParamsFor(SecureSlots) }

// NewParamsFor returns the parameters of NewParams at ring degree slots (a power of two from 2^10
// to 2^14), the chain's SlotsPerCiphertext. Below SecureSlots they are INSECURE (the same moduli
// over a smaller ring): a devnet may use them to make proofs and ceremonies fast, and a genesis
// that is not a devnet's refuses them.
func NewParamsFor(slots uint64) (heint.Parameters, error) {
	if slots < 1<<10 || slots > SecureSlots || slots&(slots-1) != 0 {
		return heint.Parameters{}, fmt.Errorf("mpc: parameters: %d slots per ciphertext, want a power of two from %d to %d", slots, 1<<10, SecureSlots)
	}
	p, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
		LogN:             bits.Len64(slots) - 1,
		LogQ:             []int{56, 55, 55, 54, 54, 54},
		LogP:             []int{55, 55},
		PlaintextModulus: PlaintextModulus,
	})
	if err != nil {
		return heint.Parameters{}, fmt.Errorf("mpc: parameters: %w", err)
	}
	return p, nil
}

// Slots returns how many values one ciphertext holds: N for BGV with T ≡ 1 mod 2N.
func Slots(p heint.Parameters) int { return p.MaxSlots() }

// Ciphertext levels of an evaluation (level ℓ keeps the Q primes q_0..q_ℓ). Owners encrypt at
// InputLevel = multiBuildLevel (4), the highest level an evaluation builds at: the top prime q_5
// is spent only by the ceremony's known-answer check, never on a column, and a single-valued
// evaluation drops its inputs to singleBuildLevel. Every evaluation ends with modulus switches
// (BGV rescaling) down to outputLevel, because a rescale divides the noise by the dropped prime
// and leaves only its own rounding noise: so the output's noise is small, known in advance and
// nearly independent of the query, which is what lets the smudging noise be sized from it (see
// noise.go). Level 0 is never used: one 56-bit prime cannot hold T·(rounding noise) ≈ 2^50·2^6.
//
// A single-valued output (sum, mean, dot, a one-bucket histogram):
//
//	level 3: build the term (adds; ct×ct products; the bucket mask)
//	level 2: rescale, relinearize a product, inner sum (every slot gets the total)
//	level 1: rescale: the output
//
// A multi-valued output (variance, regression, histogram), one term per output value:
//
//	level 4: build every term
//	level 3: rescale, relinearize, inner sum, multiply by the 0/1 mask of the value's slot, add up
//	level 2: rescale
//	level 1: rescale: the output
//
// The mask multiplies the noise by up to N·T² (≈ 2^114 in variance), which two rescales (≈ 2^-218)
// absorb; a single rescale would leave it about 16 times the rounding noise.
const (
	outputLevel      = 1
	singleBuildLevel = 3
	multiBuildLevel  = 4
)

// checkParams refuses parameters the package's choices do not hold for.
func checkParams(p heint.Parameters) error {
	if p.N() == 0 {
		return fmt.Errorf("mpc: parameters are not initialised")
	}
	if p.MaxLevel() < multiBuildLevel {
		return fmt.Errorf("mpc: parameters have %d Q primes, need at least %d", p.MaxLevel()+1, multiBuildLevel+1)
	}
	if p.PCount() == 0 {
		return fmt.Errorf("mpc: parameters need at least one P prime for key switching")
	}
	if Slots(p) != p.N() {
		return fmt.Errorf("mpc: plaintext modulus %d is not 1 mod 2N: slots %d, want %d", p.PlaintextModulus(), Slots(p), p.N())
	}
	return nil
}

// galoisElements returns the Galois elements whose keys the committee generates, in the order their
// keys are posted at the "keys" step: the column rotations by 1, 2, 4, ..., N/4 that
// rlwe.Evaluator.InnerSum(ct, 1, N/2) uses to sum each row of the 2 x N/2 slot matrix, then the
// row rotation (X -> X^-1) that adds the two rows. For LogN=14 that is 13 + 1 = 14 elements.
func galoisElements(p heint.Parameters) []uint64 {
	var els []uint64
	for k := 1; k < p.N()/2; k <<= 1 {
		els = append(els, p.GaloisElement(k))
	}
	return append(els, p.GaloisElementForRowRotation())
}
