package mpc

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/dxplabs/dxp/spec"
)

// Differential privacy inside the committee.
//
// A task with DP set gets noise added to each output value by the committee itself: each of the q
// = spec.Participants participants draws its own share of the noise and deals it to the committee
// (dpdeal.go), and every key-switch subset adds the total through its members' Shamir shares of it
// (in the plaintext domain, at the output's BGV scale), so the buyer decrypts exact + Σ shares from
// every subset, and no one, the members included, knows the total. Both mechanisms are infinitely
// divisible over the integers, so q shares add up
// to exactly (Laplace) or very nearly (Gaussian) the intended distribution. Neighbouring datasets
// differ by one row added or removed.
//
// Epsilon and Delta are the budget of the whole release. Sensitivity[j] is how much one row can
// change output value j (in the output's integer units, see spec.Query.Sensitivities and NewDP). Unless the
// outputs are disjoint (a histogram: a row falls in one bucket), the budget is split evenly over
// the k output values:
//
//	laplace   output j gets a discrete Laplace (two-sided geometric) of scale b_j = Sensitivity[j]·k'/ε,
//	          P(x) ∝ exp(-|x|/b_j), k' = k, or 1 for a histogram: ε-DP by basic composition.
//	          Each dealer draws X − Y with X, Y independent Pólya (negative binomial) with shape 1/q and
//	          success probability 1 − exp(−1/b_j): q of them sum to the difference of two geometric
//	          variables, which is the discrete Laplace exactly.
//	gaussian  zero-concentrated DP: ρ = (sqrt(ln(1/δ) + ε) − sqrt(ln(1/δ)))², which gives (ε, δ)-DP
//	          (Bun and Steinke 2016, Prop. 1.3); output j gets variance σ_j² = Sensitivity[j]²·k'/(2ρ)
//	          (a discrete Gaussian of that variance is Sensitivity²/(2σ²)-zCDP, Canonne, Kamath and
//	          Steinke 2020; zCDP adds up over the k' values). Each dealer draws a discrete Gaussian of
//	          variance max(σ_j²/q, 4): the sum of q such is within a gap exponentially small in σ_j²/q
//	          of a discrete Gaussian of variance q·(σ_j²/q) (Kairouz, Liu and Steinke 2021,
//	          τ = 10·Σ_{k<t} exp(−2π²(σ_j²/t)·k/(k+1)) ≤ 10·t·e^{−4π²} < 2^-50·t), and the floor of 4
//	          only adds noise.
//
// Passive security only, as for the keys: members that collude learn their own shares and so
// remove them from the total; the noise left is that of the others (for Laplace, the honest
// members' shares alone are a difference of Pólya variables of shape (q−c)/q). A dishonest dealer
// may also deal zero noise; it cannot make subsets disagree without being caught (OpenValues).
//
// Samples use crypto/rand (53-bit uniforms) and float64 arithmetic; noise scales above 2^46 are
// refused. The chain admits no such scale: its overflow rule (spec.Query.CheckOverflow) bounds the
// noise's tail, 46·b or 9.5·σ, below T/2 ≈ 2^49, so b < 2^43.5 and σ < 2^45.8.
type DP struct {
	Mechanism   string   // DPGaussian or DPLaplace
	Epsilon     float64  // > 0
	Delta       float64  // gaussian: in (0, 1); laplace: 0
	Sensitivity []uint64 // per output value, len k
}

// Mechanisms (spec's).
const (
	DPGaussian = spec.Gaussian
	DPLaplace  = spec.Laplace
)

const (
	maxNoiseScale    = 1 << 46
	minShareVariance = float64(spec.MinShareVariance)
)

// dpNoise is the per-output noise of one release: the Laplace scales b_j or the Gaussian σ_j.
type dpNoise struct {
	laplace bool
	scale   []float64
}

// noise validates d for an output of k values shared by t dealers (spec.Participants) and returns each value's noise
// scale.
func (d *DP) noise(k int, disjoint bool, t int) (dpNoise, error) {
	if t < 1 {
		return dpNoise{}, fmt.Errorf("dp: %d members", t)
	}
	if !(d.Epsilon > 0) || math.IsInf(d.Epsilon, 0) {
		return dpNoise{}, fmt.Errorf("dp: epsilon %v is not a positive number", d.Epsilon)
	}
	if len(d.Sensitivity) != k {
		return dpNoise{}, fmt.Errorf("dp: %d sensitivities for %d output values", len(d.Sensitivity), k)
	}
	kk := float64(k)
	if disjoint {
		kk = 1
	}
	n := dpNoise{scale: make([]float64, k)}
	switch d.Mechanism {
	case DPLaplace:
		if d.Delta != 0 {
			return dpNoise{}, fmt.Errorf("dp: the laplace mechanism takes no delta, got %v", d.Delta)
		}
		n.laplace = true
		for j, s := range d.Sensitivity {
			n.scale[j] = float64(s) * kk / d.Epsilon
		}
	case DPGaussian:
		if !(d.Delta > 0 && d.Delta < 1) {
			return dpNoise{}, fmt.Errorf("dp: delta %v is not in (0, 1)", d.Delta)
		}
		l := math.Log(1 / d.Delta)
		rho := sq(math.Sqrt(l+d.Epsilon) - math.Sqrt(l))
		for j, s := range d.Sensitivity {
			v := sq(float64(s)) * kk / (2 * rho)
			if s != 0 {
				v = max(v, minShareVariance*float64(t))
			}
			n.scale[j] = math.Sqrt(v)
		}
	default:
		return dpNoise{}, fmt.Errorf("dp: unknown mechanism %q", d.Mechanism)
	}
	for j, s := range n.scale {
		if math.IsNaN(s) || s > maxNoiseScale {
			return dpNoise{}, fmt.Errorf("dp: noise scale %.3g of output %d is above 2^46", s, j)
		}
	}
	return n, nil
}

// share draws this dealer's share of every output's noise, one of t.
func (n dpNoise) share(r *uniform, t int) ([]int64, error) {
	out := make([]int64, len(n.scale))
	for j, s := range n.scale {
		if s == 0 {
			continue
		}
		var err error
		if n.laplace {
			out[j], err = laplaceShare(r, s, t)
		} else {
			out[j], err = discreteGaussian(r, math.Max(s*s/float64(t), minShareVariance))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// uniform draws from crypto/rand through a buffer. Not safe for concurrent use.
type uniform struct{ r *bufio.Reader }

func newUniform() *uniform { return &uniform{r: bufio.NewReaderSize(rand.Reader, 4096)} }

// float returns a uniform float64 in (0, 1).
func (u *uniform) float() (float64, error) {
	var b [8]byte
	for {
		if _, err := io.ReadFull(u.r, b[:]); err != nil {
			return 0, fmt.Errorf("dp: random: %w", err)
		}
		x := binary.LittleEndian.Uint64(b[:]) >> 11
		if x != 0 {
			return float64(x) * 0x1p-53, nil
		}
	}
}

var errSampler = errors.New("dp: sampler did not converge")

// normal returns a standard normal sample (Box-Muller).
func (u *uniform) normal() (float64, error) {
	a, err := u.float()
	if err != nil {
		return 0, err
	}
	b, err := u.float()
	if err != nil {
		return 0, err
	}
	return math.Sqrt(-2*math.Log(a)) * math.Cos(2*math.Pi*b), nil
}

// discreteLaplace returns a sample of P(x) ∝ exp(-|x|/s) over the integers: the difference of two
// geometric variables, by inversion.
func discreteLaplace(u *uniform, s float64) (int64, error) {
	g := func() (int64, error) {
		x, err := u.float()
		if err != nil {
			return 0, err
		}
		// P(G ≥ k) = exp(-k/s)
		return int64(math.Floor(-math.Log(x) * s)), nil
	}
	a, err := g()
	if err != nil {
		return 0, err
	}
	b, err := g()
	if err != nil {
		return 0, err
	}
	return a - b, nil
}

// discreteGaussian returns a sample of P(x) ∝ exp(-x²/2v) over the integers (Canonne, Kamath and
// Steinke 2020, Algorithm 3: a discrete Laplace proposal of scale floor(σ)+1, accepted with
// probability exp(-(|y| − v/scale)²/2v)).
func discreteGaussian(u *uniform, v float64) (int64, error) {
	sigma := math.Sqrt(v)
	s := math.Floor(sigma) + 1
	for range 1 << 16 {
		y, err := discreteLaplace(u, s)
		if err != nil {
			return 0, err
		}
		d := math.Abs(float64(y)) - v/s
		x, err := u.float()
		if err != nil {
			return 0, err
		}
		if x < math.Exp(-d*d/(2*v)) {
			return y, nil
		}
	}
	return 0, errSampler
}

// laplaceShare returns one of t shares of a discrete Laplace of scale s: X − Y, X and Y Pólya with
// shape 1/t and success probability 1 − α, α = exp(-1/s).
func laplaceShare(u *uniform, s float64, t int) (int64, error) {
	x, err := polya(u, 1/float64(t), s)
	if err != nil {
		return 0, err
	}
	y, err := polya(u, 1/float64(t), s)
	if err != nil {
		return 0, err
	}
	return x - y, nil
}

// polya returns a negative binomial sample (failures before r successes, r real) with success
// probability 1 − exp(-1/s), as a Poisson mixture: λ ~ Gamma(r, α/(1−α)), X ~ Poisson(λ).
func polya(u *uniform, r, s float64) (int64, error) {
	alpha := math.Exp(-1 / s)
	g, err := gamma(u, r)
	if err != nil {
		return 0, err
	}
	return poisson(u, g*alpha/(-math.Expm1(-1/s)))
}

// gamma returns a Gamma(k, 1) sample (Marsaglia and Tsang 2000; for k < 1, Gamma(k+1)·U^(1/k)).
func gamma(u *uniform, k float64) (float64, error) {
	boost := 1.0
	if k < 1 {
		x, err := u.float()
		if err != nil {
			return 0, err
		}
		boost = math.Pow(x, 1/k)
		k++
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for range 1 << 16 {
		z, err := u.normal()
		if err != nil {
			return 0, err
		}
		v := 1 + c*z
		if v <= 0 {
			continue
		}
		v = v * v * v
		x, err := u.float()
		if err != nil {
			return 0, err
		}
		if math.Log(x) < z*z/2+d-d*v+d*math.Log(v) {
			return d * v * boost, nil
		}
	}
	return 0, errSampler
}

// poisson returns a Poisson(λ) sample: by multiplication below 10, else by Hörmann's transformed
// rejection (PTRS, 1993).
func poisson(u *uniform, lam float64) (int64, error) {
	if lam <= 0 {
		return 0, nil
	}
	if lam < 10 {
		limit := math.Exp(-lam)
		p := 1.0
		for k := int64(0); k < 1<<20; k++ {
			x, err := u.float()
			if err != nil {
				return 0, err
			}
			if p *= x; p <= limit {
				return k, nil
			}
		}
		return 0, errSampler
	}
	slam := math.Sqrt(lam)
	loglam := math.Log(lam)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for range 1 << 16 {
		x, err := u.float()
		if err != nil {
			return 0, err
		}
		v, err := u.float()
		if err != nil {
			return 0, err
		}
		x -= 0.5
		us := 0.5 - math.Abs(x)
		k := math.Floor((2*a/us+b)*x + lam + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k), nil
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lam+k*loglam-lg {
			return int64(k), nil
		}
	}
	return 0, errSampler
}
