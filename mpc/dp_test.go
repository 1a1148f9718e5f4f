package mpc

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/dxplabs/dxp/spec"
)

// The DP samplers are checked statistically: over n draws, the empirical mean and variance of one
// member's share and of the sum of t shares must lie within z standard errors of their exact
// values (computed from the distributions' probability mass functions). Each check is a two-sided
// z-test on an average of n ≥ 100,000 independent draws (for the variance, of x², with the
// standard error estimated from the empirical fourth moment), so by the central limit theorem it
// fails by chance with probability α = 1e-6/checks; the whole test fails by chance with
// probability at most 1e-6.

const dpFalseFailure = 1e-6

func zFor(checks int) float64 { return math.Sqrt2 * math.Erfcinv(dpFalseFailure/float64(checks)) }

// moments returns the mean and variance of xs, and the standard error of the variance estimate.
func moments(xs []float64) (mean, variance, seVar float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	var m2, m4 float64
	for _, x := range xs {
		d := (x - mean) * (x - mean)
		m2 += d
		m4 += d * d
	}
	variance = m2 / n
	seVar = math.Sqrt((m4/n - variance*variance) / n)
	return mean, variance, seVar
}

// discreteGaussianVariance is Σ x²·e^{-x²/2v} / Σ e^{-x²/2v}.
func discreteGaussianVariance(v float64) float64 {
	var num, den float64
	lim := int(20*math.Sqrt(v)) + 20
	for x := -lim; x <= lim; x++ {
		w := math.Exp(-float64(x*x) / (2 * v))
		num += float64(x*x) * w
		den += w
	}
	return num / den
}

func TestDPNoiseStatistics(t *testing.T) {
	if testing.Short() {
		t.Skip("draws millions of samples")
	}
	cases := []struct {
		name  string
		noise dpNoise
		t     int
		n     int
		// want variances of one share and of the sum of t shares
		share, total float64
	}{
		{name: "gaussian σ²=100 t=3", noise: dpNoise{scale: []float64{10}}, t: 3, n: 150000},
		{name: "gaussian σ²=1e6 t=5", noise: dpNoise{scale: []float64{1000}}, t: 5, n: 100000},
		{name: "laplace b=5 t=3", noise: dpNoise{laplace: true, scale: []float64{5}}, t: 3, n: 150000},
		{name: "laplace b=300 t=5", noise: dpNoise{laplace: true, scale: []float64{300}}, t: 5, n: 100000},
	}
	z := zFor(4 * len(cases))
	u := newUniform()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.noise.scale[0]
			var share, total float64
			if tc.noise.laplace {
				// Two-sided geometric with α = e^{-1/b}: variance 2α/(1−α)²; each share is a
				// difference of two Pólya(1/t) variables: variance 2·(1/t)·α/(1−α)².
				a := math.Exp(-1 / s)
				total = 2 * a / ((1 - a) * (1 - a))
				share = total / float64(tc.t)
			} else {
				share = discreteGaussianVariance(math.Max(s*s/float64(tc.t), minShareVariance))
				total = float64(tc.t) * share
				if math.Abs(total-s*s) > 1e-9*s*s {
					t.Fatalf("sum of %d shares has variance %v, want σ² = %v", tc.t, total, s*s)
				}
			}
			shares := make([]float64, tc.n)
			sums := make([]float64, tc.n)
			for i := range tc.n {
				var acc int64
				for j := range tc.t {
					x, err := tc.noise.share(u, tc.t)
					if err != nil {
						t.Fatal(err)
					}
					if j == 0 {
						shares[i] = float64(x[0])
					}
					acc += x[0]
				}
				sums[i] = float64(acc)
			}
			for _, c := range []struct {
				what string
				xs   []float64
				want float64
			}{{"one share", shares, share}, {"sum of shares", sums, total}} {
				mean, variance, seVar := moments(c.xs)
				seMean := math.Sqrt(c.want / float64(len(c.xs)))
				t.Logf("%s: mean %.4f (±%.4f), variance %.2f, want %.2f (±%.2f)", c.what, mean, z*seMean, variance, c.want, z*seVar)
				if math.Abs(mean) > z*seMean {
					t.Errorf("%s: mean %.4f is more than %.2f standard errors (%.4f) from 0", c.what, mean, z, seMean)
				}
				if math.Abs(variance-c.want) > z*seVar {
					t.Errorf("%s: variance %.3f is more than %.2f standard errors (%.3f) from %.3f", c.what, variance, z, seVar, c.want)
				}
			}
		})
	}
}

func TestDPCalibration(t *testing.T) {
	lap := DP{Mechanism: DPLaplace, Epsilon: 0.5, Sensitivity: []uint64{10, 100}}
	n, err := lap.noise(2, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Two values share ε: each gets b = S·2/ε.
	if n.scale[0] != 40 || n.scale[1] != 400 || !n.laplace {
		t.Errorf("laplace scales %v, want [40 400]", n.scale)
	}
	if n, err = lap.noise(2, true, 3); err != nil || n.scale[0] != 20 {
		t.Errorf("disjoint laplace scale %v, %v; want 20", n.scale, err)
	}
	g := DP{Mechanism: DPGaussian, Epsilon: 1, Delta: 1e-6, Sensitivity: []uint64{1000}}
	n, err = g.noise(1, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	// ρ = (sqrt(ln 1e6 + 1) − sqrt(ln 1e6))², σ = S/sqrt(2ρ); check ρ + 2·sqrt(ρ·ln(1/δ)) = ε.
	rho := 1000 * 1000 / (2 * n.scale[0] * n.scale[0])
	if eps := rho + 2*math.Sqrt(rho*math.Log(1e6)); math.Abs(eps-1) > 1e-9 {
		t.Errorf("gaussian σ %v gives ε = %v, want 1", n.scale[0], eps)
	}
	// A tiny sensitivity still gets each member's variance floor.
	if n, err = (&DP{Mechanism: DPGaussian, Epsilon: 50, Delta: 0.1, Sensitivity: []uint64{1}}).noise(1, false, 3); err != nil || n.scale[0] < math.Sqrt(12) {
		t.Errorf("gaussian floor: σ %v, %v; want at least sqrt(4·3)", n.scale, err)
	}
	bad := []DP{
		{Mechanism: "cauchy", Epsilon: 1, Sensitivity: []uint64{1}},
		{Mechanism: DPLaplace, Epsilon: 0, Sensitivity: []uint64{1}},
		{Mechanism: DPLaplace, Epsilon: math.NaN(), Sensitivity: []uint64{1}},
		{Mechanism: DPLaplace, Epsilon: math.Inf(1), Sensitivity: []uint64{1}},
		{Mechanism: DPLaplace, Epsilon: 1, Delta: 0.1, Sensitivity: []uint64{1}},
		{Mechanism: DPLaplace, Epsilon: 1, Sensitivity: []uint64{1, 2}},
		{Mechanism: DPLaplace, Epsilon: 1e-9, Sensitivity: []uint64{1 << 40}},
		{Mechanism: DPGaussian, Epsilon: 1, Delta: 0, Sensitivity: []uint64{1}},
		{Mechanism: DPGaussian, Epsilon: 1, Delta: 1, Sensitivity: []uint64{1}},
	}
	for _, d := range bad {
		if _, err := d.noise(1, false, 3); err == nil {
			t.Errorf("noise(%+v) error = nil, want an error", d)
		}
	}
}

func TestSmudging(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	nm := newNoiseModel(params, 3)
	d, err := smudgingFor(params, nm.fresh(), 2)
	if err != nil {
		t.Fatal(err)
	}
	b := noiseTail * math.Sqrt(nm.fresh())
	if got := d.Sigma / b; got != math.Exp2(smudgingMargin) {
		t.Errorf("σ = %v·B, want 2^%d·B", got, smudgingMargin)
	}
	minQ := min(params.Q()[0], params.Q()[1])
	if d.Bound >= float64(minQ) {
		t.Errorf("bound 2^%.2f is not below the smallest output-level prime 2^%.2f", math.Log2(d.Bound), math.Log2(float64(minQ)))
	}
	t.Logf("3 members: output noise std 2^%.2f, B 2^%.2f, σ 2^%.2f, bound 2^%.2f, smallest prime 2^%.2f", math.Log2(math.Sqrt(nm.fresh())), math.Log2(b), math.Log2(d.Sigma), math.Log2(d.Bound), math.Log2(float64(minQ)))
	// An output noise whose smudging bound would reach the prime is refused, as is an active set
	// whose total smudging would not decrypt.
	if _, err := smudgingFor(params, 1<<20*nm.fresh(), 2); err == nil {
		t.Error("smudgingFor(noise 2^10 larger) error = nil, want the prime limit")
	}
	if _, err := smudgingFor(params, nm.fresh(), 1<<12); err == nil {
		t.Error("smudgingFor(4096 active) error = nil, want the decryption limit")
	}
	// The model's largest committee below the prime limit.
	for members := 1; ; members++ {
		if _, err := smudgingFor(params, newNoiseModel(params, members).fresh(), 2); err != nil {
			t.Logf("smudging fits committees of up to %d members", members-1)
			if members < 100 {
				t.Errorf("smudging fits only %d members", members-1)
			}
			break
		}
	}
}

// TestNewDP checks the noise a member adds for a request: spec's mechanism and sensitivities, the
// request's epsilon and delta as reals.
func TestNewDP(t *testing.T) {
	q := spec.Query{Op: spec.OpVariance, Rows: 100, Columns: []spec.Bound{{Min: -10, Max: 5}}, Epsilon: 500_000, Members: 2}
	d, err := NewDP(q)
	if err != nil {
		t.Fatal(err)
	}
	if d.Mechanism != DPLaplace || d.Epsilon != 0.5 || d.Delta != 0 || !slices.Equal(d.Sensitivity, []uint64{10, 100}) {
		t.Errorf("NewDP(laplace variance) = %+v, want laplace, epsilon 0.5, sensitivities [10 100]", d)
	}
	q.Delta = 10
	if d, err = NewDP(q); err != nil || d.Mechanism != DPGaussian || d.Delta != 1e-5 {
		t.Errorf("NewDP(delta 10) = %+v, %v; want gaussian with delta 1e-5", d, err)
	}
	if _, err := d.noise(2, false, 2); err != nil {
		t.Errorf("noise() of NewDP's DP: %v", err)
	}
	q.Epsilon, q.Delta = 0, 0
	if d, err := NewDP(q); d != nil || err != nil {
		t.Errorf("NewDP(no epsilon) = %+v, %v; want nil, nil", d, err)
	}
	q.Epsilon, q.Delta = 1, spec.MicroUnit
	if _, err := NewDP(q); !errors.Is(err, spec.ErrDeltaNotBelowOne) {
		t.Errorf("NewDP(delta 1) error = %v, want ErrDeltaNotBelowOne", err)
	}
	if err := CheckOverflow(spec.Query{Op: spec.OpSum, Rows: 2, Columns: []spec.Bound{{Min: 0, Max: int64(PlaintextModulus / 4)}}}); !errors.Is(err, spec.ErrOverflow) {
		t.Errorf("CheckOverflow(2·T/4) = %v, want ErrOverflow", err)
	}
}

// TestNoiseTailBoundsSampler checks that the chain's exact noise tail (spec.NoiseTail) is at
// least the tail of the noise the members sample (46·b, 9.5·σ from DP.noise's float scales), and
// that the members sample every scale the chain's overflow rule admits (noise refuses none).
func TestNoiseTailBoundsSampler(t *testing.T) {
	half := new(big.Int).SetUint64(PlaintextModulus / 2)
	largest := 0.0
	for _, tc := range []struct {
		sens           uint64
		k              int
		disjoint       bool
		epsilon, delta uint64
		members        int
	}{
		{1, 1, false, 1_000_000, 0, 2},
		{1000, 2, false, 500_000, 0, 3},
		{7, 5, true, 100_000, 0, 2},
		{1, 1, false, 1_000_000, 1, 2},
		{1 << 20, 44, false, 300_000, 10, 5},
		{1, 5, true, 500_000, 999_999, 3},
		{0, 2, false, 1, 1, 2},
		// Near the largest scales the chain admits: σ ≈ 2^45.4, a tail of 2^48.6 < T/2 ≈ 2^49
		// (mpc refused scales above 2^45 before spec, so the chain escrowed what members refused).
		{1 << 31, 1, false, 250, 1, 3},
		{1 << 40, 1, false, 1_000_000, 0, 2}, // Laplace b = 2^40
	} {
		s := new(big.Int).SetUint64(tc.sens)
		tail := spec.NoiseTail(s, tc.k, tc.disjoint, tc.epsilon, tc.delta, uint64(tc.members))
		if tail.Cmp(half) >= 0 {
			continue // the chain refuses this noise whatever the data
		}
		d := &DP{Mechanism: spec.Mechanism(tc.epsilon, tc.delta), Epsilon: float64(tc.epsilon) / spec.MicroUnit,
			Delta: float64(tc.delta) / spec.MicroUnit, Sensitivity: slices.Repeat([]uint64{tc.sens}, tc.k)}
		n, err := d.noise(tc.k, tc.disjoint, tc.members)
		if err != nil {
			t.Errorf("%+v: the chain admits a tail of %s, but noise() refuses: %v", tc, tail, err)
			continue
		}
		factor := float64(spec.LaplaceTail)
		if !n.laplace {
			factor = spec.GaussianTail
		}
		if got := math.Ceil(factor * n.scale[0]); got > float64(tail.Uint64()) {
			t.Errorf("%+v: the sampled noise's tail %.0f is above the chain's bound %s", tc, got, tail)
		}
		largest = max(largest, n.scale[0])
	}
	if largest <= 1<<45 {
		t.Errorf("largest scale tested 2^%.2f, want one above 2^45", math.Log2(largest))
	}
}
