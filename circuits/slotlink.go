package circuits

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
)

func init() {
	solver.RegisterHint(slotLinkModHint, slotLinkInverseHint, slotLinkLimbsHint)
}

const (
	// SlotLinkCoeffBits bounds the plaintext coefficients a [SlotLink]
	// accepts: 0 <= m_k < 2^SlotLinkCoeffBits. The caller range-checks them.
	SlotLinkCoeffBits = 51

	// SlotLinkValueBits bounds the slot values: |v_i| < 2^SlotLinkValueBits
	// (any int64 but math.MinInt64). The caller range-checks them.
	SlotLinkValueBits = 63

	// SlotLinkRhoBits bounds each evaluation point: 0 <= ρ < 2^SlotLinkRhoBits.
	// [SlotLink.Assert] range-checks it.
	SlotLinkRhoBits = 50

	maxSlotLinkModulusBits = 62
	maxSlotLinkDegree      = 1 << 17
	maxSlotLinkLimbBits    = 16
)

// ErrSlotMismatch is the prover's error when the coefficients are not the
// inverse transform of the slot values mod T: no witness exists.
var ErrSlotMismatch = errors.New("circuits: slot link: coefficients and slot values differ mod T")

// errSlotRoot is the prover's error when ρ ≡ ψ_i (mod T) for some slot: the
// link has no witness at that point (see [SlotLink]).
var errSlotRoot = errors.New("circuits: slot link: ρ is a slot root mod T; prove again with a fresh commitment")

// SlotLink links a BGV plaintext's coefficients m_0..m_{N-1} to its slot
// values v_0..v_{N-1} modulo the plaintext modulus T, without an in-circuit
// NTT. Slot i holds m(ψ_i) mod T, where ψ_0..ψ_{N-1} are the N distinct
// roots of X^N+1 mod T in the encoder's slot order (the caller supplies
// them). For a point ρ that is not a root, Lagrange interpolation on the
// roots of f = X^N+1 (f'(ψ) = N·ψ^(N-1) = -N/ψ) gives
//
//	m(ρ) ≡ ((ρ^N + 1)/N) · Σ_i v_i · ψ_i/(ψ_i - ρ)   (mod T)
//
// and [SlotLink.Assert] checks it, multiplied by N, at each ρ it is given.
//
// # Soundness
//
// Let D(X) = m(X) - Σ_i v_i·L_i(X) over Z_T, of degree < N. D = 0 iff m is
// the inverse transform of v mod T, and the check at ρ passes iff D(ρ) ≡ 0.
// If ρ is drawn uniformly from [0, 2^ρbits) after m and v are fixed (the
// caller takes it from a commitment to both), a nonzero D passes with
// probability at most (N-1)·⌈2^ρbits/T⌉/2^ρbits, i.e. ≤ N/T for T >= 2^ρbits
// (2^-36 for N = 2^14 and DXP's T ≈ 2^50). Repetitions use independent ρ's
// and multiply: two give ≤ 2^-72. If ρ ≡ ψ_i for some i, the relation
// w_i·(ψ_i-ρ) ≡ ψ_i below has no solution (ψ_i ≠ 0), so no proof exists at
// that ρ; an honest prover hits it with probability ≤ N/T and proves again
// with fresh randomness (a new commitment, hence a new ρ).
//
// All arithmetic mod T is hinted and checked by integer identities in F_p
// (p the BN254 scalar field order, ~2^254). Every hinted integer is
// decomposed into b-bit limbs range-checked by a log-derivative lookup, so
// it is a non-negative integer below a known bound; every identity then has
// both sides below p/2 in magnitude (the bounds are written at each check
// and verified for the parameters by [slotLinkLayout.checkBounds]), so
// equality in F_p is equality in Z, which implies the congruence mod T.
// Remainders are bounded, not canonical: a remainder r+kT that still fits
// its limbs is congruent and harmless, since only congruences are used.
// Per repetition, with S = 2^⌈log2(N)/2⌉ and A = N/S:
//
//   - ρ < 2^ρbits: its limbs are looked up, the top one also shifted.
//   - Powers: p_b ≡ ρ^b for b < S and P_a ≡ ρ^(aS) for a < A, and ρ^N, by
//     a chain of reductions x·y = q·T + r (S + A - 2 of them).
//   - Inverses: for each slot, w_i·d_i = ψ_i + q_i·T with d_i = ψ_i + K - ρ,
//     K the least multiple of T with K >= 2^ρbits (so d_i > 0 and
//     d_i ≡ ψ_i - ρ); hence w_i ≡ ψ_i/(ψ_i-ρ).
//   - Final: (ρ^N + 1)·Σ_i v_i·w_i = N·Σ_a P_a·(Σ_b p_b·m_{aS+b}) + Q·T, with
//     one signed quotient Q: the sums are accumulated over the integers and
//     reduced once.
//
// The lookup's challenge comes from a commitment, made inside Assert, to
// every hinted limb and the lookup multiplicities; each query is a limb or a
// linear function of committed limbs, ρ, m, v and products of these, all
// fixed before that challenge. Assert therefore calls the builder's
// Commit itself: call it inside the callback of the commitment that yields
// ρ (std/multicommit forbids nested WithCommitment, so it does not use it),
// and the proof carries one more commitment.
//
// Cost per slot and repetition: three products (m_k·p_b, w_i·d_i, v_i·w_i)
// and one lookup per limb of w_i and q_i (8 for a 51-bit T with 13-bit
// limbs), plus the table (2^b) shared by all repetitions.
type SlotLink struct {
	n   int
	t   uint64
	psi []uint64
}

// NewSlotLink returns the link for plaintext modulus t (a prime below 2^62,
// t ≡ 1 mod 2N) and slot roots psi (ψ_i for slot i; N = len(psi) a power of
// two from 2 to 2^17). It checks that the ψ_i are N distinct roots of
// X^N+1 mod t, i.e. all of them.
func NewSlotLink(t uint64, psi []uint64) (*SlotLink, error) {
	n := len(psi)
	if n < 2 || n > maxSlotLinkDegree || n&(n-1) != 0 {
		return nil, fmt.Errorf("circuits: slot link: %d slot roots, want a power of two from 2 to %d", n, maxSlotLinkDegree)
	}
	tb := new(big.Int).SetUint64(t)
	if bits.Len64(t) > maxSlotLinkModulusBits || !tb.ProbablyPrime(20) || t == 2 {
		return nil, fmt.Errorf("circuits: slot link: modulus %d is not an odd prime below 2^%d", t, maxSlotLinkModulusBits)
	}
	if (t-1)%uint64(2*n) != 0 {
		return nil, fmt.Errorf("circuits: slot link: modulus %d is not 1 mod 2N = %d", t, 2*n)
	}
	seen := make(map[uint64]int, n)
	nb := big.NewInt(int64(n))
	x := new(big.Int)
	for i, s := range psi {
		if s == 0 || s >= t {
			return nil, fmt.Errorf("circuits: slot link: psi[%d] = %d is not in [1, T)", i, s)
		}
		if x.Exp(x.SetUint64(s), nb, tb).Uint64() != t-1 {
			return nil, fmt.Errorf("circuits: slot link: psi[%d] = %d is not a root of X^N+1 mod T", i, s)
		}
		if j, ok := seen[s]; ok {
			return nil, fmt.Errorf("circuits: slot link: psi[%d] repeats psi[%d]", i, j)
		}
		seen[s] = i
	}
	return &SlotLink{n: n, t: t, psi: append([]uint64(nil), psi...)}, nil
}

// N returns the ring degree (the number of slots).
func (l *SlotLink) N() int { return l.n }

// T returns the plaintext modulus.
func (l *SlotLink) T() uint64 { return l.t }

// EvalCoefficients returns m(ρ) = Σ_k m_k·ρ^k mod T, the left side of the
// link, natively.
func (l *SlotLink) EvalCoefficients(m []uint64, rho uint64) (uint64, error) {
	if len(m) != l.n {
		return 0, fmt.Errorf("circuits: slot link: %d coefficients, want %d", len(m), l.n)
	}
	t := new(big.Int).SetUint64(l.t)
	r := new(big.Int).SetUint64(rho)
	acc, c := new(big.Int), new(big.Int)
	for k := l.n - 1; k >= 0; k-- { // Horner
		acc.Mul(acc, r).Add(acc, c.SetUint64(m[k])).Mod(acc, t)
	}
	return acc.Uint64(), nil
}

// EvalSlots returns ((ρ^N + 1)/N)·Σ_i v_i·ψ_i/(ψ_i - ρ) mod T, the right side
// of the link, natively: the value at ρ of the polynomial whose slots are v,
// without an inverse transform. It fails if ρ is a slot root mod T.
func (l *SlotLink) EvalSlots(v []int64, rho uint64) (uint64, error) {
	if len(v) != l.n {
		return 0, fmt.Errorf("circuits: slot link: %d slot values, want %d", len(v), l.n)
	}
	t := new(big.Int).SetUint64(l.t)
	r := new(big.Int).SetUint64(rho)
	sum, d, w, x := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	for i, s := range l.psi {
		d.SetUint64(s)
		d.Sub(d, r).Mod(d, t)
		if d.Sign() == 0 {
			return 0, errSlotRoot
		}
		w.ModInverse(d, t).Mul(w, x.SetUint64(s))
		sum.Add(sum, w.Mul(w, x.SetInt64(v[i]))).Mod(sum, t)
	}
	x.Exp(r, big.NewInt(int64(l.n)), t).Add(x, big.NewInt(1))
	sum.Mul(sum, x)
	sum.Mul(sum, x.ModInverse(big.NewInt(int64(l.n)), t)).Mod(sum, t)
	return sum.Uint64(), nil
}

// Check is the native link check: it reports whether m is the inverse
// transform of v mod T as seen at ρ (wrapping [ErrSlotMismatch] if not),
// with O(N) work and no inverse NTT. A random ρ makes it sound up to N/T,
// as in [SlotLink].
func (l *SlotLink) Check(m []uint64, v []int64, rho uint64) error {
	left, err := l.EvalCoefficients(m, rho)
	if err != nil {
		return err
	}
	right, err := l.EvalSlots(v, rho)
	if err != nil {
		return err
	}
	if left != right {
		return ErrSlotMismatch
	}
	return nil
}

// slotLinkLayout is the shape of one Assert: limb sizes and bounds, all
// derived from (N, T, repetitions) by [SlotLink.layout].
type slotLinkLayout struct {
	reps          int
	split, blocks int // S and A = N/S
	limbBits      int // b
	remLimbs      int // limbs of a remainder (power or inverse w_i): < W = 2^(remLimbs·b)
	powQuoLimbs   int // limbs of a power-chain quotient
	invQuoLimbs   int // limbs of an inverse's quotient q_i
	rhoLimbs      int // limbs of ρ
	finQuoLimbs   int // limbs of the final quotient, offset by finOffset
	shift         *big.Int
	finOffset     *big.Int
}

func (l *SlotLink) layout(reps int) slotLinkLayout {
	t := new(big.Int).SetUint64(l.t)
	tBits := bits.Len64(l.t)
	lay := slotLinkLayout{reps: reps}
	logN := bits.Len(uint(l.n)) - 1
	lay.split = 1 << ((logN + 1) / 2)
	lay.blocks = l.n / lay.split

	// K = T·⌈2^ρbits/T⌉ >= 2^ρbits > ρ, so d_i = ψ_i + K - ρ lies in (0, T+K).
	lay.shift = new(big.Int).Lsh(big.NewInt(1), SlotLinkRhoBits)
	lay.shift.Add(lay.shift, new(big.Int).Sub(t, big.NewInt(1))).Div(lay.shift, t).Mul(lay.shift, t)
	// Honest q_i = (w_i·d_i - ψ_i)/T < w_i·d_i/T < T + K.
	invQuoBits := new(big.Int).Add(t, lay.shift).BitLen()

	// b minimises the lookups (N per repetition for each limb of w_i and
	// q_i) plus the table; the power chain and final reduction are O(√N).
	best := 0
	for b := 1; b <= maxSlotLinkLimbBits; b++ {
		cost := reps*l.n*(ceilDiv(tBits, b)+ceilDiv(invQuoBits, b)) + 1<<b
		if best == 0 || cost < best {
			best, lay.limbBits = cost, b
		}
	}
	b := lay.limbBits
	lay.remLimbs = ceilDiv(tBits, b)
	lay.invQuoLimbs = ceilDiv(invQuoBits, b)
	lay.rhoLimbs = ceilDiv(SlotLinkRhoBits, b)

	// Powers are < Bp = max(W, 2^ρbits) (p_1 = ρ is not reduced), so a
	// chain product is < Bp² and its quotient < Bp²/T.
	bp := lay.powBound()
	lay.powQuoLimbs = max(1, ceilDiv(new(big.Int).Div(new(big.Int).Mul(bp, bp), t).BitLen(), b))

	// |X| = |(ρ^N+1)·Σ v_i·w_i - N·LHS| < Xmax (see finalBound); Q = X/T is
	// witnessed as Q + Qoff in [0, 2·Qoff], Qoff = ⌊Xmax/T⌋ + 1.
	lay.finOffset = new(big.Int).Div(lay.finalBound(l.n), t)
	lay.finOffset.Add(lay.finOffset, big.NewInt(1))
	lay.finQuoLimbs = ceilDiv(new(big.Int).Lsh(lay.finOffset, 1).BitLen(), b)
	return lay
}

func pow2(e int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }

// remBound is W = 2^(remLimbs·b), the bound on every remainder and w_i.
func (lay slotLinkLayout) remBound() *big.Int { return pow2(lay.remLimbs * lay.limbBits) }

// powBound is Bp = max(W, 2^ρbits), the bound on every power p_b, P_a.
func (lay slotLinkLayout) powBound() *big.Int {
	w := lay.remBound()
	if r := pow2(SlotLinkRhoBits); r.Cmp(w) > 0 {
		return r
	}
	return w
}

// finalBound is Xmax = W·N·2^63·W + N·N·Bp²·2^51 >= |(ρ^N+1)·RHS| + |N·LHS|:
// ρ^N + 1 <= W, |RHS| = |Σ v_i·w_i| < N·2^63·W, and
// LHS = Σ_a P_a·Σ_b p_b·m_{aS+b} < A·Bp·S·Bp·2^51 = N·Bp²·2^51.
func (lay slotLinkLayout) finalBound(n int) *big.Int {
	w, bp, nb := lay.remBound(), lay.powBound(), big.NewInt(int64(n))
	right := new(big.Int).Mul(w, w)
	right.Mul(right, nb).Lsh(right, SlotLinkValueBits)
	left := new(big.Int).Mul(bp, bp)
	left.Mul(left, nb).Mul(left, nb).Lsh(left, SlotLinkCoeffBits)
	return right.Add(right, left)
}

// checkBounds verifies, for these parameters, that each identity Assert
// checks in F_p has |left| + |right| < p, so that it holds in Z.
func (lay slotLinkLayout) checkBounds(n int, t, p *big.Int) error {
	b := lay.limbBits
	w, bp := lay.remBound(), lay.powBound()
	type identity struct {
		name        string
		left, right *big.Int
	}
	mul := func(a, c *big.Int) *big.Int { return new(big.Int).Mul(a, c) }
	add := func(a, c *big.Int) *big.Int { return new(big.Int).Add(a, c) }
	ids := []identity{
		// x·y = q·T + r: x, y < Bp; q < 2^(powQuoLimbs·b); r < W.
		{"power", mul(bp, bp), add(mul(pow2(lay.powQuoLimbs*b), t), w)},
		// w_i·d_i = ψ_i + q_i·T: w_i < W, d_i < T+K; q_i < 2^(invQuoLimbs·b).
		{"inverse", mul(w, add(t, lay.shift)), add(t, mul(pow2(lay.invQuoLimbs*b), t))},
		// (ρ^N+1)·RHS - N·LHS = (Q'-Qoff)·T: |left| < Xmax, |Q'-Qoff| < 2^(finQuoLimbs·b).
		{"final", lay.finalBound(n), mul(pow2(lay.finQuoLimbs*b), t)},
		// ρ = Σ limbs: both sides < 2^(rhoLimbs·b).
		{"rho", pow2(lay.rhoLimbs * b), pow2(lay.rhoLimbs * b)},
	}
	for _, id := range ids {
		if add(id.left, id.right).Cmp(p) >= 0 {
			return fmt.Errorf("circuits: slot link: the %s identity may wrap modulo the field for N = %d, T = %v", id.name, n, t)
		}
	}
	return nil
}

// Assert emits the link between coefficients m (N variables, each already
// range-checked to [0, 2^SlotLinkCoeffBits)) and slot values v (N
// variables, signed, |v_i| < 2^SlotLinkValueBits, range-checked by the
// caller) at each evaluation point in rhos (one repetition per point; each
// must be drawn after m and v are committed, and is range-checked here to
// [0, 2^SlotLinkRhoBits)). It must run inside a commitment callback (see
// [SlotLink]): it adds one commitment of its own.
func (l *SlotLink) Assert(api frontend.API, m, v []frontend.Variable, rhos ...frontend.Variable) error {
	if len(m) != l.n || len(v) != l.n {
		return fmt.Errorf("circuits: slot link: %d coefficients and %d slot values, want %d each", len(m), len(v), l.n)
	}
	if len(rhos) == 0 {
		return errors.New("circuits: slot link: no evaluation point")
	}
	committer, ok := api.(frontend.Committer)
	if !ok {
		return errors.New("circuits: slot link: the builder cannot commit")
	}
	lay := l.layout(len(rhos))
	t := new(big.Int).SetUint64(l.t)
	field := api.Compiler().Field()
	if err := lay.checkBounds(l.n, t, field); err != nil {
		return err
	}
	g := &slotLinkBuilder{api: api, lay: lay, t: t, field: field}
	for _, rho := range rhos {
		if err := g.repetition(l, m, v, rho); err != nil {
			return err
		}
	}
	return g.lookup(committer)
}

// slotLinkBuilder emits one Assert and collects its lookup queries.
type slotLinkBuilder struct {
	api      frontend.API
	lay      slotLinkLayout
	t, field *big.Int
	hinted   []frontend.Variable // committed: every hinted limb
	queries  []frontend.Variable // looked up in [0, 2^b)
}

// compose returns Σ limbs[j]·2^(b·j), a linear expression.
func (g *slotLinkBuilder) compose(limbs []frontend.Variable) frontend.Variable {
	terms := make([]frontend.Variable, len(limbs))
	for j, x := range limbs {
		terms[j] = g.api.Mul(x, pow2(g.lay.limbBits*j))
	}
	return sum(g.api, terms)
}

// limbs looks up the given hinted low limbs and the top limb
// (x - Σ low_j·2^(bj))/2^(b·len(low)), derived from x as a linear
// expression (no constraint, no wire), and returns nothing: x is then an
// integer in [0, 2^(b·(len(low)+1))). With exact, the top limb is also
// looked up shifted so that x < 2^exact.
func (g *slotLinkBuilder) limbs(x frontend.Variable, low []frontend.Variable, exact int) {
	b := g.lay.limbBits
	g.hinted = append(g.hinted, low...)
	g.queries = append(g.queries, low...)
	inv := new(big.Int).ModInverse(pow2(b*len(low)), g.field)
	top := g.api.Mul(g.api.Sub(x, g.compose(low)), inv)
	g.queries = append(g.queries, top)
	if shift := b*(len(low)+1) - exact; exact > 0 && shift > 0 {
		g.queries = append(g.queries, g.api.Mul(top, pow2(shift)))
	}
}

// reduce witnesses x = q·T + r, with x a wire or linear expression known
// to satisfy |x| < p/2 and the identity's bounds checked by checkBounds. It
// returns r (remLimbs limbs, or 0 if remLimbs is 0) as a linear
// expression; q + qOffset is looked up in qLimbs limbs, its top limb
// derived from x - r, so the identity costs no constraint.
func (g *slotLinkBuilder) reduce(x frontend.Variable, remLimbs, qLimbs int, qOffset *big.Int) (frontend.Variable, error) {
	out, err := g.api.Compiler().NewHint(slotLinkModHint, remLimbs+qLimbs-1,
		g.t, g.lay.limbBits, remLimbs, qLimbs, qOffset, x)
	if err != nil {
		return nil, fmt.Errorf("circuits: slot link: reduction hint: %w", err)
	}
	var r frontend.Variable = 0
	if remLimbs > 0 {
		g.hinted = append(g.hinted, out[:remLimbs]...)
		g.queries = append(g.queries, out[:remLimbs]...)
		r = g.compose(out[:remLimbs])
	}
	// q + qOffset = (x - r)/T + qOffset, exactly in F_p.
	tInv := new(big.Int).ModInverse(g.t, g.field)
	q := g.api.Add(g.api.Mul(g.api.Sub(x, r), tInv), qOffset)
	g.limbs(q, out[remLimbs:], 0)
	return r, nil
}

// mulMod returns a·c mod T (a bounded representative) for a, c < Bp.
func (g *slotLinkBuilder) mulMod(a, c frontend.Variable) (frontend.Variable, error) {
	// a·c < Bp² < p/2; q < 2^(powQuoLimbs·b); r < W (checkBounds "power").
	return g.reduce(g.api.Mul(a, c), g.lay.remLimbs, g.lay.powQuoLimbs, new(big.Int))
}

// repetition emits the check at one point ρ.
func (g *slotLinkBuilder) repetition(l *SlotLink, m, v []frontend.Variable, rho frontend.Variable) error {
	api, lay := g.api, g.lay
	b, S, A := lay.limbBits, lay.split, lay.blocks

	// 0 <= ρ < 2^ρbits.
	rl, err := api.Compiler().NewHint(slotLinkLimbsHint, lay.rhoLimbs-1, b, rho)
	if err != nil {
		return fmt.Errorf("circuits: slot link: ρ hint: %w", err)
	}
	g.limbs(rho, rl, SlotLinkRhoBits)

	// p_b ≡ ρ^b (b < S), P_a ≡ ρ^(aS) (a < A), rhoN ≡ ρ^N, all < Bp.
	pw := make([]frontend.Variable, S)
	pw[0], pw[1] = 1, rho
	for k := 2; k < S; k++ {
		if pw[k], err = g.mulMod(pw[k-1], rho); err != nil {
			return err
		}
	}
	pwS := make([]frontend.Variable, A+1)
	pwS[0] = 1
	if pwS[1], err = g.mulMod(pw[S-1], rho); err != nil {
		return err
	}
	for a := 2; a <= A; a++ {
		if pwS[a], err = g.mulMod(pwS[a-1], pwS[1]); err != nil {
			return err
		}
	}
	rhoN := pwS[A]

	// LHS = Σ_a P_a·Σ_b p_b·m_{aS+b}: 0 <= LHS < N·Bp²·2^51, no reduction.
	outer := make([]frontend.Variable, A)
	inner := make([]frontend.Variable, S)
	for a := range A {
		for k := range S {
			inner[k] = api.Mul(m[a*S+k], pw[k])
		}
		outer[a] = api.Mul(sum(api, inner), pwS[a])
	}
	lhs := sum(api, outer)

	// w_i ≡ ψ_i/(ψ_i - ρ): w_i·d_i = ψ_i + q_i·T, d_i = ψ_i + K - ρ.
	kW, kQ := lay.remLimbs, lay.invQuoLimbs
	in := make([]frontend.Variable, 0, 6+l.n)
	in = append(in, g.t, b, kW, kQ, lay.shift, rho)
	for _, s := range l.psi {
		in = append(in, s)
	}
	out, err := api.Compiler().NewHint(slotLinkInverseHint, l.n*(kW+kQ-1), in...)
	if err != nil {
		return fmt.Errorf("circuits: slot link: inverse hint: %w", err)
	}
	tInv := new(big.Int).ModInverse(g.t, g.field)
	prods := make([]frontend.Variable, l.n)
	for i, s := range l.psi {
		limbs := out[i*(kW+kQ-1) : (i+1)*(kW+kQ-1)]
		g.hinted = append(g.hinted, limbs[:kW]...)
		g.queries = append(g.queries, limbs[:kW]...)
		w := g.compose(limbs[:kW])
		d := api.Sub(new(big.Int).Add(new(big.Int).SetUint64(s), lay.shift), rho)
		// w_i·d_i < W·(T+K) and ψ_i + q_i·T < T + 2^(kQ·b)·T (checkBounds
		// "inverse"); q_i = (w_i·d_i - ψ_i)/T, top limb derived.
		q := api.Mul(api.Sub(api.Mul(w, d), s), tInv)
		g.limbs(q, limbs[kW:], 0)
		prods[i] = api.Mul(v[i], w)
	}
	// RHS = Σ v_i·w_i, |RHS| < N·2^63·W.
	rhs := sum(api, prods)

	// (ρ^N + 1)·RHS - N·LHS = Q·T with |Q·T| < Xmax (checkBounds "final").
	x := api.Sub(api.Mul(api.Add(rhoN, 1), rhs), api.Mul(lhs, l.n))
	if _, err := g.reduce(x, 0, lay.finQuoLimbs, lay.finOffset); err != nil {
		return err
	}
	return nil
}

// lookup checks every query lies in [0, 2^b) with a log-derivative
// argument (as in [Chunk]) whose challenge is a commitment to every hinted
// limb and the multiplicities.
func (g *slotLinkBuilder) lookup(committer frontend.Committer) error {
	api := g.api
	table := 1 << g.lay.limbBits
	countIn := make([]frontend.Variable, 0, 1+len(g.queries))
	countIn = append(countIn, table)
	countIn = append(countIn, g.queries...)
	mult, err := api.Compiler().NewHint(chunkCountHint, table, countIn...)
	if err != nil {
		return fmt.Errorf("circuits: slot link: count hint: %w", err)
	}
	committed := make([]frontend.Variable, 0, len(g.hinted)+table)
	committed = append(committed, g.hinted...)
	committed = append(committed, mult...)
	r, err := committer.Commit(committed...)
	if err != nil {
		return fmt.Errorf("circuits: slot link: commit: %w", err)
	}
	right := make([]frontend.Variable, len(g.queries))
	for i, q := range g.queries {
		right[i] = api.Inverse(api.Sub(r, q))
	}
	left := make([]frontend.Variable, table)
	for j := range table {
		left[j] = api.DivUnchecked(mult[j], api.Sub(r, j))
	}
	api.AssertIsEqual(sum(api, left), sum(api, right))
	return nil
}

// signedLift returns the integer in (-p/2, p/2] congruent to x mod p.
func signedLift(x, p *big.Int) *big.Int {
	y := new(big.Int).Mod(x, p)
	if y.Cmp(new(big.Int).Rsh(p, 1)) > 0 {
		y.Sub(y, p)
	}
	return y
}

// limbsOf writes x (taken mod p, so non-negative) in dst as b-bit limbs,
// least significant first, the last limb keeping every higher bit: the
// lookup, not the hint, refuses values that do not fit.
func limbsOf(x *big.Int, b int, p *big.Int, dst []*big.Int) {
	y := new(big.Int).Mod(x, p)
	mask := new(big.Int).Sub(pow2(b), big.NewInt(1))
	for j := range dst {
		if j == len(dst)-1 {
			dst[j].Set(y)
			break
		}
		dst[j].And(y, mask)
		y.Rsh(y, uint(b))
	}
}

// slotLinkModHint takes (T, b, kR, kQ, qOffset, x) with x read as a signed
// integer and returns the kR limbs of r = x mod T and the kQ-1 low limbs of
// q + qOffset, where x = q·T + r. With kR = 0 it fails unless T divides x:
// that is the final check of a false statement.
func slotLinkModHint(field *big.Int, in, out []*big.Int) error {
	if len(in) != 6 || !in[1].IsUint64() || !in[2].IsUint64() || !in[3].IsUint64() ||
		in[1].Uint64() < 1 || in[1].Uint64() > maxSlotLinkLimbBits || in[3].Uint64() < 1 ||
		uint64(len(out)) != in[2].Uint64()+in[3].Uint64()-1 || in[0].Sign() <= 0 {
		return errors.New("circuits: slot link mod hint: malformed input")
	}
	t, b, kR := in[0], int(in[1].Uint64()), int(in[2].Uint64())
	x := signedLift(in[5], field)
	q, r := new(big.Int).DivMod(x, t, new(big.Int)) // Euclidean: 0 <= r < T
	if kR == 0 {
		if r.Sign() != 0 {
			return ErrSlotMismatch
		}
	} else {
		limbsOf(r, b, field, out[:kR])
	}
	q.Add(q, in[4])
	// Only the low limbs of q are witnessed; the circuit derives the top.
	tmp := make([]*big.Int, len(out)-kR+1)
	copy(tmp, out[kR:])
	tmp[len(tmp)-1] = new(big.Int)
	limbsOf(q, b, field, tmp)
	return nil
}

// slotLinkInverseHint takes (T, b, kW, kQ, K, ρ, ψ_0, ..., ψ_{N-1}) and
// returns, for each slot, the kW limbs of w_i = ψ_i/(ψ_i - ρ) mod T and the
// kQ-1 low limbs of q_i = (w_i·d_i - ψ_i)/T, d_i = ψ_i + K - ρ. It fails if
// ρ is a slot root mod T (no witness exists).
func slotLinkInverseHint(field *big.Int, in, out []*big.Int) error {
	if len(in) < 6 || !in[1].IsUint64() || !in[2].IsUint64() || !in[3].IsUint64() ||
		in[1].Uint64() < 1 || in[1].Uint64() > maxSlotLinkLimbBits || in[2].Uint64() < 1 || in[3].Uint64() < 1 ||
		in[0].Sign() <= 0 {
		return errors.New("circuits: slot link inverse hint: malformed input")
	}
	t, b := in[0], int(in[1].Uint64())
	kW, kQ := int(in[2].Uint64()), int(in[3].Uint64())
	per := kW + kQ - 1
	psi := in[6:]
	if len(out) != len(psi)*per {
		return errors.New("circuits: slot link inverse hint: malformed input")
	}
	rho := signedLift(in[5], field)
	d, dm, w, q := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	tmp := make([]*big.Int, kQ)
	tmp[kQ-1] = new(big.Int)
	for i, s := range psi {
		d.Add(s, in[4]).Sub(d, rho)
		if dm.Mod(d, t).Sign() == 0 {
			return errSlotRoot
		}
		w.ModInverse(dm, t).Mul(w, s).Mod(w, t)
		q.Mul(w, d).Sub(q, s).Div(q, t)
		o := out[i*per : (i+1)*per]
		limbsOf(w, b, field, o[:kW])
		copy(tmp, o[kW:])
		limbsOf(q, b, field, tmp)
	}
	return nil
}

// slotLinkLimbsHint takes (b, x) and returns the len(out) low b-bit limbs
// of x.
func slotLinkLimbsHint(field *big.Int, in, out []*big.Int) error {
	if len(in) != 2 || !in[0].IsUint64() || in[0].Uint64() < 1 || in[0].Uint64() > maxSlotLinkLimbBits {
		return errors.New("circuits: slot link limbs hint: malformed input")
	}
	tmp := make([]*big.Int, len(out)+1)
	copy(tmp, out)
	tmp[len(out)] = new(big.Int)
	limbsOf(in[1], int(in[0].Uint64()), field, tmp)
	return nil
}
