package mpc

import (
	"fmt"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"

	"github.com/dxplabs/dxp/spec"
)

// Noise estimates and the smudging noise of the key switch toward the buyer.
//
// A BGV ciphertext at level ℓ decrypts to c0 + c1·s = T⁻¹·m + e (mod Q_ℓ), and decoding multiplies
// by T, so it decodes correctly while |T·e| + T/2 < Q_ℓ/2. The noise e depends on the collective
// secret s (rescaling rounds c1, whose error is multiplied by s), so the buyer, who decrypts the
// output, must not see it bare: every active member adds smudging noise to its key-switch share.
//
// noiseModel propagates a bound on the variance of every coefficient of the noise through the
// evaluation, under the usual independence heuristic (as lattigo's mhe noise helpers), in raw
// units (before the factor T of decoding):
//
//	input ciphertext       max(vr, (B_f/noiseTail)²): vr = (1 + N·vs)/12, vs = 2/3·members
//	                       (the collective secret's coefficient variance), is lattigo's
//	                       public-key encryption (made modulo QP and divided by P, so its
//	                       rounding dominates); B_f = B_e·(1 + 2·N·members) is the proven bound of
//	                       a provable ciphertext (freshBound), taken as its noiseTail-σ point
//	add                    v1 + v2
//	rescale by q           v/q² + vr, or v/q² + (1 + N·vs + N²·vs²)/12 for a degree-2 ciphertext
//	ct × ct                2·N·T²·v1·v2 + N·T²/4·(v1 + v2) + N·T²/16 (the factor 2: both noises
//	                       carry the rounding of c1·s, so they are correlated through s)
//	ct × plaintext         N·T²·v + N·T²/4 (the plaintext's coefficients are below T)
//	key switch             v + Σ_digits N·D²/12·vk/P² + vr, D the digit's modulus, vk the key's
//	                       noise variance (mhe.NoiseGaloisKey, mhe.NoiseRelinearizationKey)
//	inner sum              N²·(v + ks): the sum over all N automorphisms is the field trace, which
//	                       maps the noise e to N·e_0 in the constant coefficient, and the key-switch
//	                       noise ks of step k is traced over the 2^(14-k) steps after it
//
// and refuses any step at which noiseTail standard deviations of noise would not decrypt.
// TestNoiseModel checks the model against the measured noise at every stage, TestOps against
// every op's output.
//
// Every evaluation ends with two (multi-valued) or one (single-valued) rescales from a noise far
// below the dropped prime, so the output's noise is essentially the rounding noise of the last
// rescale, vr: about 2^5.7 standard deviation for 3 members and 2^6.1 for 5.
//
// An owner is not bound by the heuristic: it may choose its encryption randomness within the
// ranges its proof establishes (|u| ≤ 1, |e| ≤ B_e) to make the noise as large or as structured
// as it likes. plan.noiseBound therefore also carries a worst-case bound A of the part of the
// noise that depends on the inputs (every input at its proven bound B_f, every ring product at N
// times the product of its factors' bounds), beside the committee's own rounding and key-switch
// noise at its heuristic tail. For the linear ops (sum, mean, dot, histograms, count) the rescales
// divide A to below 2^-3 at a million rows, against B ≈ 2^9, so the proven bound is the heuristic
// one to within 2^-10; for ct × ct products
// (variance, stddev, regression) A is N·T·B_f²·r·N·T/(q_4·q_3·q_2) ≈ 2^6.7·r per product term
// for 3 members and r ciphertexts per column (2^12.7 at r = 62, a million rows, against the
// heuristic 2^8.9): see TestProvenNoiseBound.
//
// The smudging bound. Let B be the larger of noiseTail·σ_out (σ_out² the estimated output
// variance; with noiseTail = 9 every one of the N coefficients is below it except with
// probability 2^-54 under the Gaussian heuristic) and the proven bound above. Each active member
// adds a discrete Gaussian of
//
//	σ_smudge = 2^λ·B, λ = smudgingMargin = 40 bits, truncated at Bound = 6·σ_smudge
//
// to its share. Its own share alone hides the output noise e (|e_i| ≤ B): the Kullback-Leibler
// divergence between D_σ and e + D_σ over the N coefficients is at most N·B²/(2σ²) = 2^-67, so the
// statistical distance (Pinsker) is at most sqrt(N)·2^-λ/2 = 2^-34 per share; truncation at 6σ
// moves less than 2^-60 more. When 6·2^40·B would reach the smallest output prime (product
// queries over many rows, whose proven B is larger), λ is lowered to the largest value that fits,
// never below minSmudgingMargin = 34 (statistical distance 2^-28 per share); below that the task
// is refused. So the margin is 40 bits whenever B ≤ 2^12.4 (every linear op; a variance up to
// about 48 ciphertexts per column for 3 members), and at least 34 bits up to B ≤ 2^18.4: at a
// million rows (62 ciphertexts per column) 39.7 bits for a variance and 37.2 for a regression
// over 3 columns with 3 members, 38.3 and 35.7 with 5. Two
// limits are checked for every task, and the task refused if either fails:
//
//   - Bound < the smallest Q prime at the output level (2^55 here): lattigo's Gaussian sampler
//     reduces a sample x as q_i − x, assuming x < q_i; a larger bound silently corrupts the
//     result (LIBRARIES.md, lattigo gotcha 1), hence the lowered margin above;
//   - T·(B + t·(Bound + B_pk)) + T/2 < Q_1/2 (t active members, B_pk the tail of the share's
//     encryption noise under the buyer's key), so the buyer still decrypts exactly.
//
// With these parameters Bound ≈ 2^51.5 for 3 members and 2^51.9 for 5 for the linear ops; the
// first limit holds with the full margin up to about 400 members, the second up to
// t·sqrt(members) ≈ 600.
const (
	noiseTail         = 9.0
	smudgingMargin    = 40
	minSmudgingMargin = 34
	smudgingCut       = 6.0
)

type noiseModel struct {
	params  heint.Parameters
	n, t    float64
	vs      float64 // variance of a coefficient of the collective secret
	vGal    float64 // noise variance of a collective Galois key
	vRlk    float64 // noise variance of the collective relinearization key
	members float64
	be      float64 // B_e, the largest |e| of params.Xe() (ErrorBound); NaN if not a bounded Gaussian
	logQ    []float64
	logP    float64
	qHalfLn []float64 // log2(Q_ℓ/2) per level
}

func newNoiseModel(params heint.Parameters, members int) noiseModel {
	rp := *params.GetRLWEParameters()
	nm := noiseModel{
		params:  params,
		n:       float64(params.N()),
		t:       float64(params.PlaintextModulus()),
		vs:      float64(members) * float64(params.XsHammingWeight()) / float64(params.N()),
		vGal:    sq(mhe.NoiseGaloisKey(rp, members)),
		vRlk:    sq(mhe.NoiseRelinearizationKey(rp, members)),
		members: float64(members),
		be:      math.NaN(),
	}
	if be, err := ErrorBound(params); err == nil {
		nm.be = float64(be)
	}
	for _, q := range params.Q() {
		nm.logQ = append(nm.logQ, math.Log2(float64(q)))
	}
	for _, p := range params.P() {
		nm.logP += math.Log2(float64(p))
	}
	var sum float64
	for _, l := range nm.logQ {
		sum += l
		nm.qHalfLn = append(nm.qHalfLn, sum-1)
	}
	return nm
}

func sq(x float64) float64 { return x * x }

// round is the variance of the rounding noise of a rescale or of the division by P.
func (nm noiseModel) round(degree int) float64 {
	v := 1 + nm.n*nm.vs
	if degree == 2 {
		v += nm.n * nm.n * nm.vs * nm.vs
	}
	return v / 12
}

// fresh is the noise variance of a ciphertext from lattigo's public-key encryption (EncryptColumn
// today): the rounding of its division by P.
func (nm noiseModel) fresh() float64 { return nm.round(1) }

// freshBound is the proven bound on every noise coefficient of a provable fresh ciphertext
// (prov.go; what an owner's encryption proof bounds). Its noise is
//
//	c0 + c1·s − T⁻¹·m = (p0 + p1·s)·u + e0 + e1·s = e_pk·u + e0 + e1·s
//
// with |u| ≤ 1 and |e0|, |e1| ≤ B_e (proven), |e_pk| ≤ members·B_e (the collective key's noise is
// the sum of every member's CKG error, each drawn from params.Xe(), whose sampler cuts at B_e) and
// |s| ≤ members (the sum of the members' ternary secrets). A coefficient of a product of two
// polynomials of degree < N modulo X^N+1 is a signed sum of N products, so
//
//	|noise| ≤ N·members·B_e + B_e + N·B_e·members = B_e·(1 + 2·N·members),
//
// about 2^20.8 for 3 members and 2^21.6 for 5 at N = 2^14, B_e = 19. It holds for every choice of
// u, e0, e1 within the proven ranges, including an owner's deliberate one. It also bounds an
// honest lattigo encryption (EncryptColumn), whose noise is that of the same form modulo QP
// divided by P plus the rounding, at most (1 + N·members)/2 + 1.
func (nm noiseModel) freshBound() float64 { return nm.be * (1 + 2*nm.n*nm.members) }

// input is the noise variance the plan assumes for every input ciphertext: the larger of lattigo's
// encryption noise and (freshBound/noiseTail)², so that a provable ciphertext at its proven worst
// is within the model's noiseTail·σ at the first stage (2^20.8 = 9·2^17.6 against 2^5.7 for
// lattigo's encryption, 3 members). Later stages divide it by the rescaled primes, which leaves
// the heuristic output noise unchanged to within 2^-7 relative (TestProvenNoiseBound).
func (nm noiseModel) input() float64 { return max(nm.fresh(), sq(nm.freshBound()/noiseTail)) }

// rescale drops the prime q_level.
func (nm noiseModel) rescale(v float64, level, degree int) float64 {
	return v*math.Exp2(-2*nm.logQ[level]) + nm.round(degree)
}

func (nm noiseModel) mulCt(v1, v2 float64) float64 {
	t2 := nm.t * nm.t
	return 2*nm.n*t2*v1*v2 + nm.n*t2/4*(v1+v2) + nm.n*t2/16
}

func (nm noiseModel) mulPlain(v float64) float64 {
	t2 := nm.t * nm.t
	return nm.n*t2*v + nm.n*t2/4
}

// keySwitch is the noise a key switch at level adds with a key of noise variance vk. Digits
// group the Q primes by the number of P primes (lattigo's RNS gadget decomposition).
func (nm noiseModel) keySwitch(level int, vk float64) float64 {
	per := len(nm.params.P())
	var v float64
	for lo := 0; lo <= level; lo += per {
		var logD float64
		for i := lo; i < min(lo+per, level+1); i++ {
			logD += nm.logQ[i]
		}
		v += nm.n / 12 * math.Exp2(2*(logD-nm.logP)) * vk
	}
	return v + nm.round(1)
}

func (nm noiseModel) relinearize(v float64, level int) float64 {
	return v + nm.keySwitch(level, nm.vRlk)
}

func (nm noiseModel) innerSum(v float64, level int) float64 {
	return nm.n * nm.n * (v + nm.keySwitch(level, nm.vGal))
}

// check refuses a noise variance that would not decrypt at level: T·(noiseTail·σ) + T/2 < Q/2.
func (nm noiseModel) check(v float64, level int, what string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("noise estimate after %s is not finite", what)
	}
	bits := math.Log2(nm.t*(noiseTail*math.Sqrt(v)+0.5) + 1)
	if bits >= nm.qHalfLn[level] {
		return fmt.Errorf("noise after %s would reach 2^%.1f of the 2^%.1f level %d allows: the query is too large for these parameters", what, bits, nm.qHalfLn[level], level)
	}
	return nil
}

// checkBound refuses a noise of worst-case part a and heuristic variance v that would not decrypt
// at level: T·(a + noiseTail·√v) + T/2 < Q/2.
func (nm noiseModel) checkBound(a, v float64, level int, what string) error {
	bound := a + noiseTail*math.Sqrt(v)
	if math.IsNaN(bound) || math.IsInf(bound, 0) {
		return fmt.Errorf("proven noise bound after %s is not finite", what)
	}
	bits := math.Log2(nm.t*(bound+0.5) + 1)
	if bits >= nm.qHalfLn[level] {
		return fmt.Errorf("the proven noise bound after %s would reach 2^%.1f of the 2^%.1f level %d allows: the query is too large for these parameters", what, bits, nm.qHalfLn[level], level)
	}
	return nil
}

// Smudging is the smudging noise each of active members adds to its key-switch share of t's
// output, in a committee of members (see "Smudging" in the package doc): what a member uses, and
// what a baseline doing the same key switch must use to do the same work. It is sized from the
// larger of the model's tail noiseTail·σ_out and the proven bound (plan.noiseBound), which holds
// whatever the owners chose within the bounds their encryption proofs establish.
func Smudging(params heint.Parameters, t *Task, members, active int) (ring.DiscreteGaussian, error) {
	p, err := newPlan(t, Slots(params))
	if err != nil {
		return ring.DiscreteGaussian{}, err
	}
	return planSmudging(params, p, members, active)
}

// planSmudging is Smudging for a plan: σ from the larger of the heuristic and the proven bound.
func planSmudging(params heint.Parameters, p *plan, members, active int) (ring.DiscreteGaussian, error) {
	nm := newNoiseModel(params, members)
	vOut, err := p.noise(nm)
	if err != nil {
		return ring.DiscreteGaussian{}, err
	}
	proven, err := p.noiseBound(nm)
	if err != nil {
		return ring.DiscreteGaussian{}, err
	}
	return smudgingForBound(params, max(noiseTail*math.Sqrt(vOut), proven), active)
}

// smudgingFor returns the smudging distribution for an output of noise variance vOut (bounded by
// noiseTail·√vOut) that active members switch to the buyer's key, or an error if it cannot
// satisfy both limits above.
func smudgingFor(params heint.Parameters, vOut float64, active int) (ring.DiscreteGaussian, error) {
	return smudgingForBound(params, noiseTail*math.Sqrt(vOut), active)
}

// smudgingForBound returns the smudging distribution for an output whose noise coefficients are
// all below b: σ = 2^λ·b with λ = smudgingMargin, or, when 6σ would reach the smallest output
// prime, the largest λ ≥ minSmudgingMargin that fits.
func smudgingForBound(params heint.Parameters, b float64, active int) (ring.DiscreteGaussian, error) {
	minQ := params.Q()[0]
	for _, q := range params.Q()[:outputLevel+1] {
		minQ = min(minQ, q)
	}
	// The largest λ ≤ smudgingMargin with 6·2^λ·b < minQ (the sampler's bound is a float64).
	lambda := min(float64(smudgingMargin), math.Floor(math.Log2(float64(minQ)/(smudgingCut*b))*16)/16)
	sigma := math.Exp2(lambda) * b
	bound := smudgingCut * sigma
	if math.IsNaN(bound) || math.IsInf(bound, 0) || b <= 0 {
		return ring.DiscreteGaussian{}, fmt.Errorf("smudging bound is not finite")
	}
	if lambda < minSmudgingMargin || bound >= float64(minQ) {
		return ring.DiscreteGaussian{}, fmt.Errorf("output noise bound 2^%.1f needs smudging σ = 2^%d·bound, whose cut 6σ is not below the smallest Q prime at the output level, 2^%.1f, even with the margin lowered to 2^%d", math.Log2(b), smudgingMargin, math.Log2(float64(minQ)), minSmudgingMargin)
	}
	// T·(B + active·(bound + pk tail)) + T/2 < Q_out/2, in big integers.
	nm := newNoiseModel(params, 1)
	pkTail := noiseTail * math.Sqrt(nm.round(1))
	total := new(big.Float).SetFloat64(b + float64(active)*(bound+pkTail) + 0.5)
	total.Mul(total, new(big.Float).SetUint64(params.PlaintextModulus()))
	qHalf := new(big.Float).SetInt(params.RingQ().AtLevel(outputLevel).Modulus())
	qHalf.Quo(qHalf, big.NewFloat(2))
	if total.Cmp(qHalf) >= 0 {
		return ring.DiscreteGaussian{}, fmt.Errorf("%d active members' smudging noise (bound 2^%.1f each) would not decrypt at level %d", active, math.Log2(bound), outputLevel)
	}
	return ring.DiscreteGaussian{Sigma: sigma, Bound: bound}, nil
}

// maxBudgetCiphertexts caps ProductNoiseBudget on rings whose noise never limits a product query
// (the small devnet rings): 2^20 ciphertexts per column is beyond any dataset they hold.
const maxBudgetCiphertexts = 1 << 20

// ProductNoiseBudget is the chain's product noise budget for params (rights.Params,
// spec.CheckProductNoise): a query with P ciphertext × ciphertext product terms over r
// ciphertexts per column, in a committee of m members, is admitted only if r·P·m² ≤ budget.
//
// Why that form. A product term's proven noise (plan.noiseBound) is r·N·T·B_f² before the
// rescales, with the owners' fresh bound B_f = B_e·(1 + 2·N·m) linear in m; the P terms add up
// in the output. The smudging must stay 2^34 above it and below the smallest output prime
// (smudgingForBound), so the admissible r·P·m² is a constant of the ring's parameters. Measured
// at 16,384 slots, the largest r the committee accepts times P·m² is 30,700-30,956 for every m
// from 1 to 16 and every regression width: the form is exact to within 1%.
//
// It is found as 98% of the most ciphertexts one product term can sum for a committee of one
// (a variance, one active member), and TestEveryAdmittedProductQueryIsSmudged checks that every
// shape it admits, for committees of up to 16 members at every threshold, gets its smudging. A
// ring on which even one ciphertext cannot be smudged has budget 0 (no product query).
func ProductNoiseBudget(params heint.Parameters) (uint64, error) {
	p, err := newPlan(&Task{Op: spec.OpVariance, Columns: [][][32]byte{{{1}}}}, Slots(params))
	if err != nil {
		return 0, err
	}
	fits := func(r int) bool {
		p.r = r
		_, err := planSmudging(params, p, 1, 1)
		return err == nil
	}
	if !fits(1) {
		return 0, nil
	}
	lo, hi := 1, 2 // fits(lo); hi untried
	for ; fits(hi); lo, hi = hi, hi*2 {
		if hi >= maxBudgetCiphertexts {
			return maxBudgetCiphertexts, nil
		}
	}
	for hi-lo > 1 { // fits(lo), !fits(hi)
		if m := (lo + hi) / 2; fits(m) {
			lo = m
		} else {
			hi = m
		}
	}
	return uint64(lo) * 49 / 50, nil
}
