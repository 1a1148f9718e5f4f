package spec

import (
	"errors"
	"math/big"
)

// MicroUnit is the unit of a request's epsilon and delta: 1_000_000 is 1.
const MicroUnit = 1_000_000

// Mechanisms: the noise a request's epsilon and delta select (Mechanism).
const (
	Laplace  = "laplace"  // discrete Laplace, for epsilon without delta
	Gaussian = "gaussian" // discrete Gaussian, for epsilon with a delta in (0, 1)
)

// Noise limits and the constants of the noise tail.
const (
	// MinShareVariance is the least variance of one member's share of Gaussian noise: every
	// member adds a discrete Gaussian of variance max(σ²/t, MinShareVariance).
	MinShareVariance = 4
	// LaplaceTail and GaussianTail are the tail factors: discrete Laplace noise of scale b
	// exceeds 46·b with probability below 2^-64 (2·exp(−x/b) ≤ 2^-64 at x = 45.1·b), Gaussian noise of
	// standard deviation σ exceeds 9.5·σ (2·exp(−x²/2σ²) ≤ 2^-64 at x = 9.5·σ).
	LaplaceTail  = 46
	GaussianTail = 9.5
)

// Why CheckNoise refuses a request's epsilon and delta.
var (
	ErrDeltaWithoutEpsilon = errors.New("spec: a delta without epsilon (no noise)")
	ErrDeltaNotBelowOne    = errors.New("spec: delta not below 1")
)

// CheckNoise refuses epsilon and delta (micro units) that select no noise the committee adds: a
// delta without epsilon, or a delta of 1 or more. Epsilon 0 is no noise, delta 0 Laplace noise, a
// delta in (0, 1) Gaussian noise.
func CheckNoise(epsilon, delta uint64) error {
	if epsilon == 0 && delta > 0 {
		return ErrDeltaWithoutEpsilon
	}
	if delta >= MicroUnit {
		return ErrDeltaNotBelowOne
	}
	return nil
}

// Mechanism names the noise epsilon and delta select: "" without epsilon, Gaussian with delta,
// Laplace otherwise.
func Mechanism(epsilon, delta uint64) string {
	switch {
	case epsilon == 0:
		return ""
	case delta > 0:
		return Gaussian
	default:
		return Laplace
	}
}

// NoiseTail bounds from above, in exact arithmetic (so validators on any platform agree), the
// magnitude the committee's noise on one output value exceeds with probability below 2^-64, for
// an output of sensitivity s among k output values (k' = k, or 1 if disjoint: a histogram's
// buckets), ε = epsilon/10^6 and δ = delta/10^6, added in shares by members members:
//
//	laplace (delta 0):   46·b with b = s·k'/ε
//	gaussian (delta δ):  9.5·σ with σ² = max(s²·k'/(2ρ), 4·members), ρ = (√(L+ε) − √L)², L = ln(1/δ);
//	                     since ρ = ε²/(√(L+ε)+√L)² ≥ ε²/(4(L+ε)), σ² ≤ 2·s²·k'·(L+ε)/ε², and
//	                     L ≤ ln 2·bitlen(⌈10^6/delta⌉) ≤ 0.6932·bitlen(⌈10^6/delta⌉).
//
// b and σ are the scales mpc samples at (mpc.DP, in floats with the exact ρ): the bound is at
// least their tail. A sensitivity of 0 has no noise and a tail of 0. epsilon must be positive.
func NoiseTail(s *big.Int, k int, disjoint bool, epsilon, delta, members uint64) *big.Int {
	if s.Sign() == 0 {
		return new(big.Int)
	}
	kk := big.NewInt(int64(k))
	if disjoint {
		kk.SetInt64(1)
	}
	eps := new(big.Rat).SetFrac(new(big.Int).SetUint64(epsilon), big.NewInt(MicroUnit))
	sk := new(big.Rat).SetInt(new(big.Int).Mul(s, kk))
	if delta == 0 {
		tail := new(big.Rat).Quo(sk, eps)
		tail.Mul(tail, big.NewRat(LaplaceTail, 1))
		return ceilRat(tail)
	}
	inv := new(big.Int).SetUint64(ceilDiv(MicroUnit, delta))
	l := big.NewRat(int64(inv.BitLen())*6932, 10000)
	v := new(big.Rat).SetInt(new(big.Int).Mul(s, s))
	v.Mul(v, new(big.Rat).SetInt(kk))
	v.Mul(v, new(big.Rat).Add(l, eps))
	v.Mul(v, big.NewRat(2, 1))
	v.Quo(v, new(big.Rat).Mul(eps, eps))
	if floor := new(big.Rat).SetInt64(MinShareVariance * int64(max(members, 1))); v.Cmp(floor) < 0 {
		v = floor
	}
	v.Mul(v, big.NewRat(GaussianTail*GaussianTail*100, 100)) // 9.5² = 90.25
	t := ceilRat(v)
	r := new(big.Int).Sqrt(t)
	return r.Add(r, big.NewInt(1))
}

func ceilRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// ceilDiv is ceil(a/b) for b > 0, without overflow.
func ceilDiv(a, b uint64) uint64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}
