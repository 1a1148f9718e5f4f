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
	solver.RegisterHint(slotLinkModHint, slotLinkInverseHint, slotLinkLimbsHint, slotLinkSplitHint)
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
// If ρ is drawn uniformly from [0, 2^50) after m and v are fixed (the
// caller takes it from a commitment to both), a nonzero D passes with
// probability at most (N-1)·⌈2^50/T⌉/2^50, i.e. < N/T for T >= 2^50
// (2^-36 for N = 2^14 and DXP's T ≈ 2^50). Repetitions use independent ρ's
// and multiply: two give < 2^-72. If ρ ≡ ψ_i for some i, w_i·(ψ_i-ρ) ≡ ψ_i
// below has no solution (ψ_i ≠ 0), so no proof exists at that ρ; an honest
// prover hits it with probability < N/T and proves again with fresh
// randomness (a new commitment, hence a new ρ).
//
// All arithmetic mod T is hinted and checked by integer identities in F_p
// (p the BN254 scalar field order, ~2^254). Every hinted integer is
// decomposed into b-bit limbs range-checked by a log-derivative lookup, so
// it is a non-negative integer below a known bound; every identity then has
// |left| + |right| < p (the bounds are written at each check and verified
// for the parameters by [slotLinkLayout.checkBounds]), so equality in F_p
// is equality in Z, which implies the congruence mod T.
// Remainders are bounded, not canonical: a remainder r+kT that still fits
// its limbs is congruent and harmless, since only congruences are used.
// With S = 2^⌈log2(N)/2⌉ and A = N/S, each repetition checks:
//
//   - ρ < 2^50: its limbs are looked up, the top one also shifted.
//   - Powers: p_b ≡ ρ^b for b < S, P_a ≡ ρ^(aS) for a <= A (P_A ≡ ρ^N), by
//     a chain of S + A - 2 reductions x·y = q·T + r.
//   - Inverses: w_i (hinted, < W = 2^(b·⌈log2(T)/b⌉)) with
//     e_i = w_i·d_i - ψ_i ≡ 0 (mod T), d_i = ψ_i + K - ρ, K the least
//     multiple of T with K >= 2^50 (so d_i > 0 and d_i ≡ ψ_i - ρ); hence
//     w_i ≡ ψ_i/(ψ_i-ρ). The congruences are checked in batch, below.
//   - Final: (ρ^N + 1)·Σ_i v_i·w_i = N·Σ_a P_a·(Σ_b p_b·m_{aS+b}) + Q·T, with
//     one signed quotient Q: the sums are accumulated over the integers and
//     reduced once.
//
// The batch check of the inverses: with λ_1, λ_2 < 2^50 read from the
// challenge c of the commitment to every w_i (c = λ_1 + 2^50·λ_2 + 2^100·h,
// h < 2^154), Σ_j λ^j·e_j ≡ 0 (mod T) over the R·N inverses of all R
// repetitions, for λ = λ_1 and λ = λ_2, computed as Σ_a L_a·r_a with
// r_a ≡ Σ_b l_b·e_{aS'+b} and powers of λ as above. If some e_j ≢ 0, Σ_j
// e_j·X^j is a nonzero polynomial of degree < R·N over Z_T, so each λ passes
// with probability < R·N/T, both < (R·N/T)², and the two ways to write c
// below 2^254 (c or c + p) at most double it: < 2^-69 for R = 2, N = 2^14.
// Checking each congruence with its own range-checked quotient instead
// costs 4 more lookups per inverse and 1 fewer product; the batch saves
// about 1.5 constraints per slot and repetition.
//
// Three commitment rounds: the caller's (m, v, hence ρ); round 2, every limb
// hinted after ρ (w_i, powers, quotients), whose challenge is both round
// 2's lookup challenge and c; round 3, the limbs of the batch check. Each
// round's queries are limbs or linear functions of its committed limbs and
// of values fixed in earlier rounds, so they are fixed before its
// challenge. Assert makes rounds 2 and 3 with the builder's Commit: call it
// inside the callback of the commitment that yields ρ (std/multicommit
// forbids nested WithCommitment, so Assert does not use it); the proof
// carries two more commitments.
//
// Cost per slot and repetition: five products (m_k·p_b, w_i·d_i, v_i·w_i
// and l_b·e_i for each λ) and one lookup per limb of w_i (4 for a 51-bit T
// with 13-bit limbs), plus O(√N) and the tables: 9.9 constraints at
// N = 2^14 with two repetitions, 10.4 with one.
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
	acc, d, w, x := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	for i, s := range l.psi {
		d.SetUint64(s)
		d.Sub(d, r).Mod(d, t)
		if d.Sign() == 0 {
			return 0, errSlotRoot
		}
		w.ModInverse(d, t).Mul(w, x.SetUint64(s))
		acc.Add(acc, w.Mul(w, x.SetInt64(v[i]))).Mod(acc, t)
	}
	x.Exp(r, big.NewInt(int64(l.n)), t).Add(x, big.NewInt(1))
	acc.Mul(acc, x)
	acc.Mul(acc, x.ModInverse(big.NewInt(int64(l.n)), t)).Mod(acc, t)
	return acc.Uint64(), nil
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
	t             *big.Int
	n, reps       int
	split, blocks int       // S and A = N/S
	shift         *big.Int  // K
	round2        modLayout // after ρ: ρ, its powers, the w_i, the final check
	rhoLimbs      int       // limbs of ρ
	finQuoLimbs   int       // limbs of the final quotient, offset by finOffset
	finOffset     *big.Int

	// The batch check of the inverses, over all reps·N terms e_j.
	round3                  modLayout // after the round-2 challenge
	terms                   int       // reps·N
	batchSplit, batchBlocks int       // S' and A' = ⌈terms/S'⌉
	innerQuoLimbs           int       // limbs of an inner sum's quotient, offset by innerOffset
	innerOffset             *big.Int
	batchQuoLimbs           int // limbs of a batch's quotient
	lambdaLimbs, highLimbs  int // limbs of each λ and of the challenge's rest h
}

// modLayout is how one commitment round writes integers mod T: b-bit
// limbs, remainders below W = 2^(remLimbs·b), and products of two powers
// (each below Bp = max(W, 2^50)) reduced with quotients of powQuoLimbs
// limbs.
type modLayout struct {
	limbBits, remLimbs, powQuoLimbs int
}

func newModLayout(t *big.Int, b int) modLayout {
	ml := modLayout{limbBits: b, remLimbs: ceilDiv(t.BitLen(), b)}
	bp := ml.powBound()
	// A product of two powers is < Bp², so its quotient is < Bp²/T.
	ml.powQuoLimbs = max(1, ceilDiv(new(big.Int).Div(new(big.Int).Mul(bp, bp), t).BitLen(), b))
	return ml
}

// remBound is W = 2^(remLimbs·b), the bound on every remainder and w_i.
func (ml modLayout) remBound() *big.Int { return pow2(ml.remLimbs * ml.limbBits) }

// powBound is Bp = max(W, 2^50), the bound on every power (the first power
// of a point below 2^50 is the point itself, not reduced).
func (ml modLayout) powBound() *big.Int {
	w := ml.remBound()
	if r := pow2(SlotLinkRhoBits); r.Cmp(w) > 0 {
		return r
	}
	return w
}

// splitOf returns S = 2^⌈log2(n)/2⌉ (at least 2) and A = ⌈n/S⌉.
func splitOf(n int) (int, int) {
	logN := bits.Len(uint(n - 1))
	s := max(2, 1<<((logN+1)/2))
	return s, ceilDiv(n, s)
}

// chainReductions is the number of reductions of a power chain with split
// S and A blocks: x^2, ..., x^(S-1), then x^S, x^(2S), ..., x^(AS).
func chainReductions(s, a int) int { return s - 2 + a }

// slotLinkHighBits: the round-2 challenge c (< p < 2^254) is written
// λ_1 + 2^50·λ_2 + 2^100·h with λ_1, λ_2 < 2^50 and h < 2^154.
const slotLinkHighBits = 254 - 2*SlotLinkRhoBits

func (l *SlotLink) layout(reps int) slotLinkLayout {
	t := new(big.Int).SetUint64(l.t)
	lay := slotLinkLayout{t: t, n: l.n, reps: reps, terms: reps * l.n}
	lay.split, lay.blocks = splitOf(l.n)
	lay.batchSplit, lay.batchBlocks = splitOf(lay.terms)

	// K = T·⌈2^ρbits/T⌉ >= 2^ρbits > ρ, so d_i = ψ_i + K - ρ lies in (0, T+K).
	lay.shift = new(big.Int).Lsh(big.NewInt(1), SlotLinkRhoBits)
	lay.shift.Add(lay.shift, new(big.Int).Sub(t, big.NewInt(1))).Div(lay.shift, t).Mul(lay.shift, t)

	// Round 2: b minimises the lookups (reps·N·⌈log2(T)/b⌉ for the w_i)
	// plus the table; the rest of round 2 is O(√N).
	best := 0
	for b := 1; b <= maxSlotLinkLimbBits; b++ {
		if cost := reps*l.n*ceilDiv(t.BitLen(), b) + 1<<b; best == 0 || cost < best {
			best, lay.round2 = cost, newModLayout(t, b)
		}
	}
	lay.rhoLimbs = ceilDiv(SlotLinkRhoBits, lay.round2.limbBits)
	// |X| = |(ρ^N+1)·Σ v_i·w_i - N·LHS| < Xmax (finalBound); Q = X/T is
	// witnessed as Q + Qoff in [0, 2·Qoff], Qoff = ⌊Xmax/T⌋ + 1.
	lay.finOffset = new(big.Int).Div(lay.finalBound(), t)
	lay.finOffset.Add(lay.finOffset, big.NewInt(1))
	lay.finQuoLimbs = ceilDiv(new(big.Int).Lsh(lay.finOffset, 1).BitLen(), lay.round2.limbBits)

	// Round 3: b minimises its lookups plus its table.
	best, bestB := 0, 0
	for b := 1; b <= maxSlotLinkLimbBits; b++ {
		lay.setRound3(b)
		if cost := lay.round3Queries() + 1<<b; best == 0 || cost < best {
			best, bestB = cost, b
		}
	}
	lay.setRound3(bestB)
	return lay
}

// setRound3 fixes round 3's limbs for b-bit limbs.
func (lay *slotLinkLayout) setRound3(b int) {
	t := lay.t
	lay.round3 = newModLayout(t, b)
	// |inner| < innerBound, witnessed as q + off in [0, 2·off], off = ⌊innerBound/T⌋ + 1.
	lay.innerOffset = new(big.Int).Div(lay.innerBound(), t)
	lay.innerOffset.Add(lay.innerOffset, big.NewInt(1))
	lay.innerQuoLimbs = ceilDiv(new(big.Int).Lsh(lay.innerOffset, 1).BitLen(), b)
	// 0 <= Σ_a L_a·r_a < batchBound, so its quotient is < batchBound/T.
	lay.batchQuoLimbs = max(1, ceilDiv(new(big.Int).Div(lay.batchBound(), t).BitLen(), b))
	lay.lambdaLimbs = ceilDiv(SlotLinkRhoBits, b)
	lay.highLimbs = ceilDiv(slotLinkHighBits, b)
}

// round3Queries counts round 3's lookups.
func (lay slotLinkLayout) round3Queries() int {
	r3 := lay.round3
	split := 2*exactQueries(lay.lambdaLimbs, r3.limbBits, SlotLinkRhoBits) +
		exactQueries(lay.highLimbs, r3.limbBits, slotLinkHighBits)
	perBatch := chainReductions(lay.batchSplit, lay.batchBlocks)*(r3.remLimbs+r3.powQuoLimbs) +
		lay.batchBlocks*(r3.remLimbs+lay.innerQuoLimbs) + lay.batchQuoLimbs
	return split + 2*perBatch
}

// exactQueries is the number of lookups that prove x < 2^bits with k
// limbs of b bits: one per limb, plus the top limb shifted if kb > bits.
func exactQueries(k, b, bits int) int {
	if k*b > bits {
		return k + 1
	}
	return k
}

// errBound is E = W·(T+K) > |e_i| for e_i = w_i·d_i - ψ_i, since 0 <= w_i
// < W, 0 < d_i < T+K and 0 < ψ_i < T <= E.
func (lay slotLinkLayout) errBound() *big.Int {
	e := new(big.Int).Add(lay.t, lay.shift)
	return e.Mul(e, lay.round2.remBound())
}

// innerBound bounds |Σ_{b<S'} l_b·e_{aS'+b}| < S'·Bp3·E.
func (lay slotLinkLayout) innerBound() *big.Int {
	x := new(big.Int).Mul(lay.errBound(), lay.round3.powBound())
	return x.Mul(x, big.NewInt(int64(lay.batchSplit)))
}

// batchBound bounds Σ_a L_a·r_a < A'·Bp3·W3 (L_a < Bp3, r_a < W3).
func (lay slotLinkLayout) batchBound() *big.Int {
	x := new(big.Int).Mul(lay.round3.powBound(), lay.round3.remBound())
	return x.Mul(x, big.NewInt(int64(lay.batchBlocks)))
}

// finalBound is Xmax = W·N·2^63·W + N·N·Bp²·2^51 >= |(ρ^N+1)·RHS| + |N·LHS|:
// ρ^N + 1 <= W, |RHS| = |Σ v_i·w_i| < N·2^63·W, and
// LHS = Σ_a P_a·Σ_b p_b·m_{aS+b} < A·Bp·S·Bp·2^51 = N·Bp²·2^51.
func (lay slotLinkLayout) finalBound() *big.Int {
	r2 := lay.round2
	w, bp, nb := r2.remBound(), r2.powBound(), big.NewInt(int64(lay.n))
	right := new(big.Int).Mul(w, w)
	right.Mul(right, nb).Lsh(right, SlotLinkValueBits)
	left := new(big.Int).Mul(bp, bp)
	left.Mul(left, nb).Mul(left, nb).Lsh(left, SlotLinkCoeffBits)
	return right.Add(right, left)
}

// checkBounds verifies, for these parameters, that each identity Assert
// checks in F_p has |left| + |right| < p, so that it holds in Z.
func (lay slotLinkLayout) checkBounds(p *big.Int) error {
	t := lay.t
	mul := func(a, c *big.Int) *big.Int { return new(big.Int).Mul(a, c) }
	add := func(a ...*big.Int) *big.Int {
		s := new(big.Int)
		for _, x := range a {
			s.Add(s, x)
		}
		return s
	}
	power := func(ml modLayout) *big.Int {
		// x·y = q·T + r: x, y < Bp; q < 2^(powQuoLimbs·b); r < W.
		bp := ml.powBound()
		return add(mul(bp, bp), mul(pow2(ml.powQuoLimbs*ml.limbBits), t), ml.remBound())
	}
	b2, b3 := lay.round2.limbBits, lay.round3.limbBits
	ids := []struct {
		name string
		sum  *big.Int
	}{
		{"power", power(lay.round2)},
		{"batch power", power(lay.round3)},
		// (ρ^N+1)·RHS - N·LHS = (Q'-Qoff)·T: |left| < Xmax, |Q'-Qoff| < 2^(finQuoLimbs·b).
		{"final", add(lay.finalBound(), mul(pow2(lay.finQuoLimbs*b2), t))},
		// e_i = w_i·d_i - ψ_i, computed in F_p: |e_i| < E.
		{"inverse", lay.errBound()},
		// Σ_b l_b·e_j = (q'-off)·T + r: |left| < innerBound, q' < 2^(innerQuoLimbs·b3), r < W3.
		{"inner", add(lay.innerBound(), mul(pow2(lay.innerQuoLimbs*b3), t), lay.round3.remBound())},
		// Σ_a L_a·r_a = q·T: left < batchBound, q < 2^(batchQuoLimbs·b3).
		{"batch", add(lay.batchBound(), mul(pow2(lay.batchQuoLimbs*b3), t))},
	}
	for _, id := range ids {
		if id.sum.Cmp(p) >= 0 {
			return fmt.Errorf("circuits: slot link: the %s identity may wrap modulo the field for N = %d, T = %v", id.name, lay.n, t)
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
// [SlotLink]): it adds two commitments of its own.
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
	field := api.Compiler().Field()
	if err := lay.checkBounds(field); err != nil {
		return err
	}
	g := &slotLinkBuilder{api: api, lay: lay, t: lay.t, tInv: new(big.Int).ModInverse(lay.t, field), field: field}
	g.round = &rangeRound{builder: g, ml: lay.round2}
	for _, rho := range rhos {
		if err := g.repetition(l, m, v, rho); err != nil {
			return err
		}
	}
	c, err := g.round.close(committer)
	if err != nil {
		return err
	}
	g.round = &rangeRound{builder: g, ml: lay.round3}
	if err := g.batch(c); err != nil {
		return err
	}
	_, err = g.round.close(committer)
	return err
}

// slotLinkBuilder emits one Assert.
type slotLinkBuilder struct {
	api            frontend.API
	lay            slotLinkLayout
	t, tInv, field *big.Int
	round          *rangeRound
	errs           []frontend.Variable // e_j = w_j·d_j - ψ_j over all repetitions
}

// rangeRound collects the values witnessed in one commitment round: their
// b-bit limbs are hinted, committed together after the round, and looked
// up in [0, 2^b) under that commitment's challenge.
type rangeRound struct {
	builder *slotLinkBuilder
	ml      modLayout
	hinted  []frontend.Variable // committed
	queries []frontend.Variable // looked up
}

// compose returns Σ limbs[j]·2^(b·j), a linear expression.
func (rr *rangeRound) compose(limbs []frontend.Variable) frontend.Variable {
	api := rr.builder.api
	terms := make([]frontend.Variable, len(limbs))
	for j, x := range limbs {
		terms[j] = api.Mul(x, pow2(rr.ml.limbBits*j))
	}
	return sum(api, terms)
}

// value looks up hinted limbs and returns the integer they compose, below
// 2^(b·len(limbs)), or below 2^exact if exact > 0 (the top limb is also
// looked up shifted left by b·len(limbs) - exact bits).
func (rr *rangeRound) value(limbs []frontend.Variable, exact int) frontend.Variable {
	rr.hinted = append(rr.hinted, limbs...)
	rr.queries = append(rr.queries, limbs...)
	rr.shiftTop(limbs[len(limbs)-1], len(limbs), exact)
	return rr.compose(limbs)
}

func (rr *rangeRound) shiftTop(top frontend.Variable, k, exact int) {
	if shift := rr.ml.limbBits*k - exact; exact > 0 && shift > 0 {
		rr.queries = append(rr.queries, rr.builder.api.Mul(top, pow2(shift)))
	}
}

// derived looks up hinted low limbs and the top limb (x - Σ low_j·2^(bj)) /
// 2^(b·len(low)), a linear expression (no constraint, no wire): x is then
// an integer below 2^(b·(len(low)+1)), or below 2^exact if exact > 0.
func (rr *rangeRound) derived(x frontend.Variable, low []frontend.Variable, exact int) {
	api, b := rr.builder.api, rr.ml.limbBits
	rr.hinted = append(rr.hinted, low...)
	rr.queries = append(rr.queries, low...)
	inv := new(big.Int).ModInverse(pow2(b*len(low)), rr.builder.field)
	top := api.Mul(api.Sub(x, rr.compose(low)), inv)
	rr.queries = append(rr.queries, top)
	rr.shiftTop(top, len(low)+1, exact)
}

// reduce witnesses x = q·T + r, for x a wire or linear expression whose
// identity's bounds checkBounds verified. It returns r (remLimbs limbs, or
// 0 if remLimbs is 0) as a linear expression; q + qOffset is looked up in
// qLimbs limbs, the top one derived from x - r, so the identity costs no
// constraint.
func (rr *rangeRound) reduce(x frontend.Variable, remLimbs, qLimbs int, qOffset *big.Int) (frontend.Variable, error) {
	g := rr.builder
	out, err := g.api.Compiler().NewHint(slotLinkModHint, remLimbs+qLimbs-1,
		g.t, rr.ml.limbBits, remLimbs, qLimbs, qOffset, x)
	if err != nil {
		return nil, fmt.Errorf("circuits: slot link: reduction hint: %w", err)
	}
	var r frontend.Variable = 0
	if remLimbs > 0 {
		r = rr.value(out[:remLimbs], 0)
	}
	// q + qOffset = (x - r)/T + qOffset, exactly in F_p.
	q := g.api.Add(g.api.Mul(g.api.Sub(x, r), g.tInv), qOffset)
	rr.derived(q, out[remLimbs:], 0)
	return r, nil
}

// mulMod returns a·c mod T (a bounded representative) for a, c < Bp.
func (rr *rangeRound) mulMod(a, c frontend.Variable) (frontend.Variable, error) {
	return rr.reduce(rr.builder.api.Mul(a, c), rr.ml.remLimbs, rr.ml.powQuoLimbs, new(big.Int))
}

// powers returns x^b mod T for b < S (x^0 = 1, x^1 = x) and x^(aS) mod T for
// a <= A, all below Bp, for x < 2^50.
func (rr *rangeRound) powers(x frontend.Variable, s, a int) (small, blocks []frontend.Variable, err error) {
	small = make([]frontend.Variable, s)
	small[0], small[1] = 1, x
	for k := 2; k < s; k++ {
		if small[k], err = rr.mulMod(small[k-1], x); err != nil {
			return nil, nil, err
		}
	}
	blocks = make([]frontend.Variable, a+1)
	blocks[0] = 1
	if blocks[1], err = rr.mulMod(small[s-1], x); err != nil {
		return nil, nil, err
	}
	for k := 2; k <= a; k++ {
		if blocks[k], err = rr.mulMod(blocks[k-1], blocks[1]); err != nil {
			return nil, nil, err
		}
	}
	return small, blocks, nil
}

// close commits to every limb hinted in the round and the lookup
// multiplicities, and checks with a log-derivative argument (as in
// [Chunk]) that every query lies in [0, 2^b). It returns the challenge.
func (rr *rangeRound) close(committer frontend.Committer) (frontend.Variable, error) {
	api := rr.builder.api
	table := 1 << rr.ml.limbBits
	countIn := make([]frontend.Variable, 0, 1+len(rr.queries))
	countIn = append(countIn, table)
	countIn = append(countIn, rr.queries...)
	mult, err := api.Compiler().NewHint(chunkCountHint, table, countIn...)
	if err != nil {
		return nil, fmt.Errorf("circuits: slot link: count hint: %w", err)
	}
	committed := make([]frontend.Variable, 0, len(rr.hinted)+table)
	committed = append(committed, rr.hinted...)
	committed = append(committed, mult...)
	r, err := committer.Commit(committed...)
	if err != nil {
		return nil, fmt.Errorf("circuits: slot link: commit: %w", err)
	}
	right := make([]frontend.Variable, len(rr.queries))
	for i, q := range rr.queries {
		right[i] = api.Inverse(api.Sub(r, q))
	}
	left := make([]frontend.Variable, table)
	for j := range table {
		left[j] = api.DivUnchecked(mult[j], api.Sub(r, j))
	}
	api.AssertIsEqual(sum(api, left), sum(api, right))
	return r, nil
}

// repetition emits the check at one point ρ (round 2).
func (g *slotLinkBuilder) repetition(l *SlotLink, m, v []frontend.Variable, rho frontend.Variable) error {
	api, lay, rr := g.api, g.lay, g.round
	S, A := lay.split, lay.blocks

	// 0 <= ρ < 2^ρbits.
	rl, err := api.Compiler().NewHint(slotLinkLimbsHint, lay.rhoLimbs-1, rr.ml.limbBits, rho)
	if err != nil {
		return fmt.Errorf("circuits: slot link: ρ hint: %w", err)
	}
	rr.derived(rho, rl, SlotLinkRhoBits)

	// p_b ≡ ρ^b (b < S), P_a ≡ ρ^(aS) (a <= A, P_A ≡ ρ^N), all < Bp.
	pw, pwS, err := rr.powers(rho, S, A)
	if err != nil {
		return err
	}

	// LHS = Σ_a P_a·Σ_b p_b·m_{aS+b}: 0 <= LHS < N·Bp²·2^51, not reduced.
	outer := make([]frontend.Variable, A)
	inner := make([]frontend.Variable, S)
	for a := range A {
		for k := range S {
			inner[k] = api.Mul(m[a*S+k], pw[k])
		}
		outer[a] = api.Mul(sum(api, inner), pwS[a])
	}
	lhs := sum(api, outer)

	// w_i, meant to be ψ_i/(ψ_i - ρ) mod T; e_i = w_i·d_i - ψ_i with
	// d_i = ψ_i + K - ρ is checked ≡ 0 mod T in batch (round 3).
	kW := rr.ml.remLimbs
	in := make([]frontend.Variable, 0, 4+l.n)
	in = append(in, g.t, rr.ml.limbBits, kW, rho)
	for _, s := range l.psi {
		in = append(in, s)
	}
	out, err := api.Compiler().NewHint(slotLinkInverseHint, l.n*kW, in...)
	if err != nil {
		return fmt.Errorf("circuits: slot link: inverse hint: %w", err)
	}
	prods := make([]frontend.Variable, l.n)
	for i, s := range l.psi {
		w := rr.value(out[i*kW:(i+1)*kW], 0)
		d := api.Sub(new(big.Int).Add(new(big.Int).SetUint64(s), lay.shift), rho)
		g.errs = append(g.errs, api.Sub(api.Mul(w, d), s))
		prods[i] = api.Mul(v[i], w)
	}
	// RHS = Σ v_i·w_i, |RHS| < N·2^63·W.
	rhs := sum(api, prods)

	// (ρ^N + 1)·RHS - N·LHS = Q·T (checkBounds "final").
	x := api.Sub(api.Mul(api.Add(pwS[A], 1), rhs), api.Mul(lhs, l.n))
	_, err = rr.reduce(x, 0, lay.finQuoLimbs, lay.finOffset)
	return err
}

// batch checks that every e_j ≡ 0 mod T (round 3): for λ_1, λ_2 taken from
// the round-2 challenge c, Σ_j λ^j·e_j ≡ 0 mod T, computed as
// Σ_a L_a·r_a with r_a ≡ Σ_b l_b·e_{aS'+b}.
func (g *slotLinkBuilder) batch(c frontend.Variable) error {
	api, lay, rr := g.api, g.lay, g.round
	// c = λ_1 + 2^50·λ_2 + 2^100·h, λ_1, λ_2 < 2^50, h < 2^154.
	kL := lay.lambdaLimbs
	out, err := api.Compiler().NewHint(slotLinkSplitHint, 2*kL+lay.highLimbs-1, rr.ml.limbBits, kL, c)
	if err != nil {
		return fmt.Errorf("circuits: slot link: split hint: %w", err)
	}
	lambdas := []frontend.Variable{
		rr.value(out[:kL], SlotLinkRhoBits),
		rr.value(out[kL:2*kL], SlotLinkRhoBits),
	}
	high := api.Mul(api.Sub(c, lambdas[0], api.Mul(lambdas[1], pow2(SlotLinkRhoBits))),
		new(big.Int).ModInverse(pow2(2*SlotLinkRhoBits), g.field))
	rr.derived(high, out[2*kL:], slotLinkHighBits)

	S, A := lay.batchSplit, lay.batchBlocks
	inner := make([]frontend.Variable, 0, S)
	for _, lambda := range lambdas {
		small, blocks, err := rr.powers(lambda, S, A)
		if err != nil {
			return err
		}
		outer := make([]frontend.Variable, A)
		for a := range A {
			inner = inner[:0]
			for k := range S {
				if j := a*S + k; j < len(g.errs) {
					inner = append(inner, api.Mul(g.errs[j], small[k]))
				}
			}
			// |Σ_b l_b·e_j| < S'·Bp3·E (checkBounds "inner").
			r, err := rr.reduce(sum(api, inner), rr.ml.remLimbs, lay.innerQuoLimbs, lay.innerOffset)
			if err != nil {
				return err
			}
			outer[a] = api.Mul(r, blocks[a])
		}
		// 0 <= Σ_a L_a·r_a = Q·T (checkBounds "batch").
		if _, err := rr.reduce(sum(api, outer), 0, lay.batchQuoLimbs, new(big.Int)); err != nil {
			return err
		}
	}
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

// slotLinkInverseHint takes (T, b, kW, ρ, ψ_0, ..., ψ_{N-1}) and returns,
// for each slot, the kW limbs of w_i = ψ_i/(ψ_i - ρ) mod T. It fails if ρ is
// a slot root mod T (no witness exists).
func slotLinkInverseHint(field *big.Int, in, out []*big.Int) error {
	if len(in) < 4 || !in[1].IsUint64() || !in[2].IsUint64() ||
		in[1].Uint64() < 1 || in[1].Uint64() > maxSlotLinkLimbBits || in[2].Uint64() < 1 ||
		in[0].Sign() <= 0 || uint64(len(out)) != uint64(len(in)-4)*in[2].Uint64() {
		return errors.New("circuits: slot link inverse hint: malformed input")
	}
	t, b, kW := in[0], int(in[1].Uint64()), int(in[2].Uint64())
	rho := signedLift(in[3], field)
	d, w := new(big.Int), new(big.Int)
	for i, s := range in[4:] {
		if d.Sub(s, rho).Mod(d, t).Sign() == 0 {
			return errSlotRoot
		}
		w.ModInverse(d, t).Mul(w, s).Mod(w, t)
		limbsOf(w, b, field, out[i*kW:(i+1)*kW])
	}
	return nil
}

// slotLinkSplitHint takes (b, k, c) and writes c = λ_1 + 2^50·λ_2 +
// 2^100·h: it returns the k limbs of λ_1, the k limbs of λ_2 and the low
// limbs of h (the circuit derives h's top limb).
func slotLinkSplitHint(field *big.Int, in, out []*big.Int) error {
	if len(in) != 3 || !in[0].IsUint64() || !in[1].IsUint64() || in[0].Uint64() < 1 ||
		in[0].Uint64() > maxSlotLinkLimbBits || in[1].Uint64() < 1 || uint64(len(out)) < 2*in[1].Uint64() {
		return errors.New("circuits: slot link split hint: malformed input")
	}
	b, k := int(in[0].Uint64()), int(in[1].Uint64())
	c := new(big.Int).Mod(in[2], field)
	mask := new(big.Int).Sub(pow2(SlotLinkRhoBits), big.NewInt(1))
	limbsOf(new(big.Int).And(c, mask), b, field, out[:k])
	limbsOf(new(big.Int).And(new(big.Int).Rsh(c, SlotLinkRhoBits), mask), b, field, out[k:2*k])
	tmp := append(append([]*big.Int(nil), out[2*k:]...), new(big.Int))
	limbsOf(new(big.Int).Rsh(c, 2*SlotLinkRhoBits), b, field, tmp)
	return nil
}

func pow2(e int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }

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
