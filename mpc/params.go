package mpc

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// PlaintextModulus is the BGV plaintext modulus T: a prime with T ≡ 1 mod 2N (so every ciphertext
// packs N = 16384 values) of about 2^50, so a sum stays exact while its magnitude is below T/2.
const PlaintextModulus uint64 = 1125899908022273

// NewParams returns DXP's BGV parameters: LogN=14, Q of six primes {56,55,55,54,54,54} bits and P of
// two 55-bit primes (LogQP 438, the 128-bit bound for LogN=14), plaintext modulus PlaintextModulus.
func NewParams() (heint.Parameters, error) {
	p, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
		LogN:             14,
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

// evalLevel is the ciphertext level at which members compute: inputs (encrypted at the maximum
// level so that later, multiplicative queries have levels to spend) are first reduced to it.
// In BGV, dropping Q primes keeps the absolute noise e; decryption needs |m + T·e| < Q_level/2.
// Level 1 keeps two primes (about 2^111): with T ≈ 2^50 that leaves about 2^60 for the noise,
// which holds the sum's own noise (about 2^21 after a full inner sum of fresh ciphertexts, see
// TestInnerSumCoversAllSlots) plus every member's smudging noise (each below the smallest prime,
// 2^54, so even 16 members stay below 2^58; see smudging). It makes the inner sum's key switches
// about three times cheaper than at the top level and the output and each key-switch share 0.5 MB
// instead of 1.5 MB.
const evalLevel = 1

// Smudging (noise flooding) for the public key switch toward the buyer.
//
// Every member adds a sample of smudging() to its PCKS share so that the re-encrypted result hides
// the noise of the evaluated ciphertext, which depends on the members' secret key shares. Two limits:
//
//   - the bound must stay below the smallest Q prime: lattigo's Gaussian sampler reduces a sample x
//     as q_i - x per prime, assuming x < q_i, and a larger bound silently corrupts the result
//     (LIBRARIES.md, lattigo gotcha 1);
//   - N members' noise, multiplied by T when the buyer decodes, must stay below Q_evalLevel/2.
//
// sigma 2^30 with bound 6·2^30 (about 2^32.6) meets both with room to spare for these parameters:
// the smallest prime is 2^54, and 3 · 2^50 · 2^32.6 ≈ 2^84.2 is far below 2^110. This is a fixed
// choice for passive security; sizing sigma from the ciphertext noise with a statistical security
// margin is future work, and this is the one place to change.
const (
	smudgingSigma = 1 << 30
	smudgingBound = 6 * smudgingSigma
)

func smudging() ring.DiscreteGaussian {
	return ring.DiscreteGaussian{Sigma: smudgingSigma, Bound: smudgingBound}
}

// checkParams refuses parameters the package's choices do not hold for.
func checkParams(p heint.Parameters) error {
	if p.N() == 0 {
		return fmt.Errorf("mpc: parameters are not initialised")
	}
	if p.MaxLevel() < evalLevel {
		return fmt.Errorf("mpc: parameters have %d Q primes, need at least %d", p.MaxLevel()+1, evalLevel+1)
	}
	if p.PCount() == 0 {
		return fmt.Errorf("mpc: parameters need at least one P prime for key switching")
	}
	if Slots(p) != p.N() {
		return fmt.Errorf("mpc: plaintext modulus %d is not 1 mod 2N: slots %d, want %d", p.PlaintextModulus(), Slots(p), p.N())
	}
	for _, q := range p.Q() {
		if float64(q) <= smudgingBound {
			return fmt.Errorf("mpc: Q prime %d is not above the smudging bound %d", q, uint64(smudgingBound))
		}
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
