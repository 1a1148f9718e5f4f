package circuits

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

const (
	// MessageBits bounds the message coefficients: 0 <= m_i < 2^51. BGV
	// plaintext coefficients lie in [0, T), and DXP's T is just above 2^50.
	MessageBits = 51

	// MaxModulusBits bounds every CRT group modulus: Q_g < 2^236 keeps the
	// integer identity checked modulo p exact (see [Encryption]).
	MaxModulusBits = 236

	// maxEncryptionDegree bounds N; DXP uses 2^14 and tests far less.
	maxEncryptionDegree = 1 << 17

	// maxNoiseBound bounds B_e so that the noise table stays small.
	maxNoiseBound = 1 << 16

	// maxMessageLimbBits bounds the message limb tables (2^b entries).
	maxMessageLimbBits = 16
)

// EncryptionLayout fixes the shape of an [Encryption] circuit: the ring
// degree, the CRT group moduli, the plaintext modulus, the noise bound and
// whether component 0 carries a message. Build it with
// [NewEncryptionLayout], which derives the rest and checks the soundness
// bound; a layout is read-only afterwards.
type EncryptionLayout struct {
	N          int        // ring degree: R = Z[X]/(X^N+1), N a power of two
	Moduli     []*big.Int // Q_g, one per CRT group, each < 2^236 and coprime to T
	T          uint64     // BGV plaintext modulus
	NoiseBound uint64     // B_e: every e0_i, e1_i lies in [-B_e, B_e]
	Message    bool       // component 0 carries m (c0 = p0·u + e0 + [T^-1·m]_Q)

	// QuotientBound R = N/2+2 bounds the Q_g-quotients: |r1_i| <= R.
	QuotientBound uint64
	// MessageLimbs are the bit widths of the base-2 limbs each message
	// coefficient is witnessed as, least significant first; they sum to
	// MessageBits. Each limb is looked up in a table of its width. Empty
	// when Message is false.
	MessageLimbs []int
}

// NewEncryptionLayout returns the layout of the encryption relation for ring
// degree n, CRT group moduli, plaintext modulus t and noise bound
// noiseBound. It refuses a layout whose soundness bound does not hold: every
// coefficient of the integer polynomial F checked in [Encryption] must stay
// below p/4 in magnitude.
func NewEncryptionLayout(n int, moduli []*big.Int, t, noiseBound uint64, message bool) (EncryptionLayout, error) {
	if n < 2 || n > maxEncryptionDegree || n&(n-1) != 0 {
		return EncryptionLayout{}, fmt.Errorf("circuits: encryption: ring degree %d, want a power of two from 2 to %d", n, maxEncryptionDegree)
	}
	if len(moduli) == 0 {
		return EncryptionLayout{}, errors.New("circuits: encryption: no CRT group moduli")
	}
	if t < 2 {
		return EncryptionLayout{}, fmt.Errorf("circuits: encryption: plaintext modulus %d, want at least 2", t)
	}
	if message && t > 1<<MessageBits {
		return EncryptionLayout{}, fmt.Errorf("circuits: encryption: plaintext modulus %d is above 2^%d, the message bound", t, MessageBits)
	}
	if noiseBound > maxNoiseBound {
		return EncryptionLayout{}, fmt.Errorf("circuits: encryption: noise bound %d, want at most %d", noiseBound, maxNoiseBound)
	}
	lay := EncryptionLayout{
		N: n, T: t, NoiseBound: noiseBound, Message: message,
		QuotientBound: uint64(n)/2 + 2,
		Moduli:        make([]*big.Int, len(moduli)),
	}
	bigT := new(big.Int).SetUint64(t)
	for g, q := range moduli {
		if q == nil || q.Cmp(big.NewInt(2)) < 0 || q.BitLen() > MaxModulusBits {
			return EncryptionLayout{}, fmt.Errorf("circuits: encryption: modulus of group %d must be in [2, 2^%d)", g, MaxModulusBits)
		}
		if new(big.Int).GCD(nil, nil, q, bigT).Cmp(big.NewInt(1)) != 0 {
			return EncryptionLayout{}, fmt.Errorf("circuits: encryption: modulus of group %d is not coprime to the plaintext modulus", g)
		}
		// 2·Fmax < p/2, so that F_low - F_high (the reduction of F modulo
		// X^N+1) lies in (-p/2, p/2): see the proof in Encryption's doc.
		bound := new(big.Int).Lsh(lay.coefficientBound(q), 2)
		if bound.Cmp(fr.Modulus()) >= 0 {
			return EncryptionLayout{}, fmt.Errorf("circuits: encryption: group %d: modulus too large for ring degree %d (4·Fmax >= p)", g, n)
		}
		// Completeness: an honest |r1_i| is below (N+1)/2 + T·(B_e+1)/Q_g
		// (see Encryption), so at most N/2+2 when T·(B_e+1) < 2·Q_g.
		honest := new(big.Int).Mul(bigT, new(big.Int).SetUint64(noiseBound+1))
		if honest.Cmp(new(big.Int).Lsh(q, 1)) >= 0 {
			return EncryptionLayout{}, fmt.Errorf("circuits: encryption: modulus of group %d is below T·(B_e+1)/2: honest quotients could exceed N/2+2", g)
		}
		lay.Moduli[g] = new(big.Int).Set(q)
	}
	if message {
		lay.MessageLimbs = messageLimbs(n)
	}
	return lay, nil
}

// coefficientBound returns Fmax, a bound on every coefficient of
// F = c' - p'·u - T·e - m + Q·r1 over Z for a witness that passes the range
// checks (|u_i| <= 1, |e_i| <= B_e, 0 <= m_i < 2^51, |r1_i| <= R) and
// centred public coefficients (|c'_i|, |p'_i| <= (Q-1)/2):
//
//	|F_i| <= (Q-1)/2 + N·(Q-1)/2 + T·B_e + (2^51-1) + Q·R.
//
// (p'·u is the full product, N terms at most per coefficient.)
func (lay EncryptionLayout) coefficientBound(q *big.Int) *big.Int {
	half := new(big.Int).Rsh(new(big.Int).Sub(q, big.NewInt(1)), 1)
	b := new(big.Int).Mul(half, big.NewInt(int64(lay.N)+1))
	b.Add(b, new(big.Int).Mul(new(big.Int).SetUint64(lay.T), new(big.Int).SetUint64(lay.NoiseBound)))
	if lay.Message {
		b.Add(b, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), MessageBits), big.NewInt(1)))
	}
	return b.Add(b, new(big.Int).Mul(q, new(big.Int).SetUint64(lay.QuotientBound)))
}

// messageLimbs chooses the limb widths of a message coefficient for ring
// degree n: L limbs of b bits (the top one narrower) cost L lookups per
// coefficient plus one table entry per value of each distinct width.
func messageLimbs(n int) []int {
	bestB, bestCost := 0, 0
	for b := 1; b <= maxMessageLimbBits; b++ {
		l := ceilDiv(MessageBits, b)
		top := MessageBits - (l-1)*b
		cost := l*n + 1<<b
		if top != b {
			cost += 1 << top
		}
		if bestB == 0 || cost < bestCost {
			bestB, bestCost = b, cost
		}
	}
	l := ceilDiv(MessageBits, bestB)
	limbs := make([]int, l)
	for i := range limbs {
		limbs[i] = bestB
	}
	limbs[l-1] = MessageBits - (l-1)*bestB
	return limbs
}

// Groups returns the number of CRT groups.
func (lay EncryptionLayout) Groups() int { return len(lay.Moduli) }

// Encryption proves that a BGV ciphertext (c0, c1) at some level is a fresh
// public-key encryption under pk = (p0, p1):
//
//	c0 = p0·u + e0 + [T^-1·m]_Q,   c1 = p1·u + e1   (mod Q, X^N+1)
//
// with u ternary, |e0|, |e1| <= B_e and 0 <= m_i < 2^51 (m = 0 when the
// layout carries no message). The level's modulus Q is split into CRT
// groups of product Q_g < 2^236, and the relation is proven per group on
// the T-scaled polynomials c' = [T·c]_{Q_g}, p' = [T·p]_{Q_g}; multiplying
// by T removes T^-1, and since T is invertible mod Q_g nothing is lost. The
// callers pass coefficients in [0, Q_g); the relation (prover and verifier
// alike) uses their centred representatives, x - Q_g for x > (Q_g-1)/2, so
// that |c'_i|, |p'_i| <= (Q_g-1)/2, which halves the quotients r1 and their
// range table. Over Z[X], for k = 0, 1:
//
//	c_k' = p_k'·u + T·e_k [+ m] - Q_g·r1_k - (X^N+1)·r2_k
//
// with r1_k of degree < N and |r1_k,i| <= R = N/2+2 (honest: r1 =
// ((p'·u mod X^N+1) + T·e + m - c')/Q_g with |(p'·u mod X^N+1)_i| <=
// N·(Q_g-1)/2, |c'_i| <= (Q_g-1)/2, |T·e + m| < T·(B_e+1), so |r1_i| <
// (N+1)/2 + T·(B_e+1)/Q_g, which is below N/2+2.5 and, r1 being an integer,
// at most N/2+2 when T·(B_e+1) < 2·Q_g, which NewEncryptionLayout requires;
// DXP's 54-bit q4 gives T·20/q4 < 1.3) and r2_k of degree <= N-2 (the high
// half of the product p_k'·u).
//
// The circuit checks each identity at one random point γ ∈ F_p, the
// commitment of a gnark BSB22 commitment (std/multicommit) to every witness
// polynomial (u, e0, e1, the message limbs, every r1 and r2), the lookup
// multiplicities and the public Binding, which hashes the ciphertext and
// the key. The verifier recomputes γ from the proof's commitment and
// evaluates c', p' at γ itself; the public inputs are those evaluations
// (C0Gamma, ...), never the N coefficients.
//
// Soundness. Let H(X) = c'(X) - p'(X)·u(X) - T·e(X) - m(X) + Q_g·r1(X) +
// (X^N+1)·r2(X) over F_p, degree <= 2N-2. Its coefficients are fixed before γ
// (the witness by the commitment, c' and p' by Binding), so if H != 0 then
// H(γ) = 0 with probability at most (2N-2)/p, per identity. Hence H = 0:
// F := c' - p'·u - T·e - m + Q_g·r1, reduced modulo X^N+1, vanishes over F_p,
// i.e. F_i - F_{N+i} = 0 mod p for every i < N. The range checks make every
// witness coefficient a small integer, so |F_i| <= Fmax = (Q_g-1)(N+1)/2 +
// T·B_e + 2^51 + Q_g·R, and NewEncryptionLayout refuses any layout with 4·Fmax
// >= p (Fmax is about 2^14·Q_g at N = 2^14: 4·Fmax < 2^252 < p for any Q_g
// < 2^236). So F_i - F_{N+i} is
// an integer in (-p/2, p/2) that is 0 mod p, hence 0: F = 0 mod X^N+1 over
// Z, and c' = p'·u + T·e + m (mod Q_g, X^N+1). r2 is only the quotient by
// X^N+1; its size never matters, so it is witnessed but not range-checked.
//
// Range checks are log-derivative lookups (Haböck, eprint 2022/1530) into
// exact tables, one equation per table, with γ as the challenge: u_i+1 in
// {0, 1, 2}; e_i+B_e in [0, 2·B_e]; r1_i+R in [0, 2R]; each message limb in
// [0, 2^width). A single checked value per query: packing several values
// into one query would be unsound (out-of-range parts can cancel). The
// union bound over the lookups and the identities keeps the total error
// below (2G(2N-2) + Σ (queries + table sizes))/p, negligible.
//
// The challenge γ is the multicommit root commitment only if Define's
// callback is the FIRST registered with multicommit.WithCommitment in the
// circuit: a circuit that embeds Encryption must call its Define before any
// other gadget that commits. Gadgets that need randomness tied to the same
// commitment (the slot link) receive γ through [Encryption.DefineWith],
// whose callback runs inside the commitment callback (before the encryption
// checks, so that a test can observe γ even from a failing assignment), or
// register their own multicommit callback after Define and receive
// γ^(i+1).
//
// Cost per ring coefficient (G groups): 1 power of γ, 3 evaluations (u,
// T·e0+m, T·e1), 4G evaluations (r1, r2 per component), 3 + 2G + L lookups
// (L message limbs), plus the tables (N+5 entries for r1).
type Encryption struct {
	// Binding is the public input hashed into γ: see zk.Binding.
	Binding frontend.Variable `gnark:",public"`
	// Evaluations are c0'(γ), c1'(γ), p0'(γ), p1'(γ), one set per group.
	Evaluations []EncryptionEvaluations

	U, E0, E1 []frontend.Variable // secret, N each, as signed field elements
	// MessageLimbs holds, for each coefficient m_i, its limbs (widths
	// Layout.MessageLimbs, least significant first): limb j of m_i is
	// MessageLimbs[i·L+j]. Empty when the layout carries no message.
	MessageLimbs []frontend.Variable
	Quotients    []EncryptionQuotients // per group

	lay EncryptionLayout
}

// EncryptionEvaluations are one CRT group's public evaluations at γ.
type EncryptionEvaluations struct {
	C0Gamma, C1Gamma, P0Gamma, P1Gamma frontend.Variable `gnark:",public"`
}

// EncryptionQuotients are one CRT group's quotient polynomials, for
// components 0 and 1: R1[k] (N coefficients, range-checked) and R2[k] (N-1
// coefficients, unbounded).
type EncryptionQuotients struct {
	R1, R2 [2][]frontend.Variable
}

// NewCircuit returns the circuit for lay with every slice allocated, ready
// to be compiled or filled as an assignment.
func (lay EncryptionLayout) NewCircuit() *Encryption {
	n := lay.N
	c := &Encryption{
		Evaluations:  make([]EncryptionEvaluations, len(lay.Moduli)),
		U:            make([]frontend.Variable, n),
		E0:           make([]frontend.Variable, n),
		E1:           make([]frontend.Variable, n),
		MessageLimbs: make([]frontend.Variable, n*len(lay.MessageLimbs)),
		Quotients:    make([]EncryptionQuotients, len(lay.Moduli)),
		lay:          lay,
	}
	for g := range c.Quotients {
		for k := range 2 {
			c.Quotients[g].R1[k] = make([]frontend.Variable, n)
			c.Quotients[g].R2[k] = make([]frontend.Variable, n-1)
		}
	}
	return c
}

// Layout returns the circuit's layout.
func (c *Encryption) Layout() EncryptionLayout { return c.lay }

// Message returns the message coefficients m_0, ..., m_{N-1} as linear
// expressions of their limbs, m_i = Σ_j limb_j·2^(offset_j) (no
// constraint); all zero when the layout carries no message. A gadget that
// links m to the committed slot values (inside DefineWith's callback) reads
// them here; DefineWith range-checks every limb.
func (c *Encryption) Message(api frontend.API) []frontend.Variable {
	n, limbs := c.lay.N, len(c.lay.MessageLimbs)
	message := make([]frontend.Variable, n)
	for i := range message {
		message[i] = 0
		if limbs == 0 || len(c.MessageLimbs) != n*limbs {
			continue
		}
		terms := make([]frontend.Variable, limbs)
		shift := 0
		for j, w := range c.lay.MessageLimbs {
			terms[j] = api.Mul(c.MessageLimbs[i*limbs+j], new(big.Int).Lsh(big.NewInt(1), uint(shift)))
			shift += w
		}
		message[i] = sum(api, terms)
	}
	return message
}

// lookupTable is one range check: every query must lie in [0, size).
type lookupTable struct {
	size    int
	queries []frontend.Variable
}

// Define emits the encryption constraints.
func (c *Encryption) Define(api frontend.API) error { return c.DefineWith(api, nil) }

// DefineWith emits the encryption constraints and, if onChallenge is not
// nil, calls it with γ inside the commitment callback, before the
// encryption checks. A circuit that embeds Encryption calls DefineWith from
// its own Define, before any other gadget that commits, to derive its
// randomness (the slot link's ρ) from γ: see the type's doc.
func (c *Encryption) DefineWith(api frontend.API, onChallenge func(api frontend.API, gamma frontend.Variable) error) error {
	lay := c.lay
	n, groups, limbs := lay.N, len(lay.Moduli), len(lay.MessageLimbs)
	if n == 0 || groups == 0 {
		return errors.New("circuits: encryption: circuit has no layout (use EncryptionLayout.NewCircuit)")
	}
	if len(c.U) != n || len(c.E0) != n || len(c.E1) != n || len(c.MessageLimbs) != n*limbs ||
		len(c.Evaluations) != groups || len(c.Quotients) != groups {
		return errors.New("circuits: encryption: circuit slices do not match the layout")
	}
	for g := range c.Quotients {
		for k := range 2 {
			if len(c.Quotients[g].R1[k]) != n || len(c.Quotients[g].R2[k]) != n-1 {
				return fmt.Errorf("circuits: encryption: group %d quotients do not match the layout", g)
			}
		}
	}

	message := c.Message(api)

	// The range checks, one exact table each.
	bound := int(lay.NoiseBound)
	r := int(lay.QuotientBound)
	tables := []*lookupTable{{size: 3}, {size: 2*bound + 1}, {size: 2*r + 1}}
	for i := range n {
		tables[0].queries = append(tables[0].queries, api.Add(c.U[i], 1))
		tables[1].queries = append(tables[1].queries, api.Add(c.E0[i], bound), api.Add(c.E1[i], bound))
	}
	for g := range c.Quotients {
		for k := range 2 {
			for _, v := range c.Quotients[g].R1[k] {
				tables[2].queries = append(tables[2].queries, api.Add(v, r))
			}
		}
	}
	limbTable := map[int]*lookupTable{}
	for j, w := range lay.MessageLimbs {
		t, ok := limbTable[w]
		if !ok {
			t = &lookupTable{size: 1 << w}
			limbTable[w] = t
			tables = append(tables, t)
		}
		for i := range n {
			t.queries = append(t.queries, c.MessageLimbs[i*limbs+j])
		}
	}
	multiplicities := make([][]frontend.Variable, len(tables))
	for t, table := range tables {
		in := make([]frontend.Variable, 0, 1+len(table.queries))
		in = append(in, table.size)
		in = append(in, table.queries...)
		mult, err := api.Compiler().NewHint(chunkCountHint, table.size, in...)
		if err != nil {
			return fmt.Errorf("circuits: encryption: count hint: %w", err)
		}
		multiplicities[t] = mult
	}

	// Commit to every witness polynomial, the multiplicities and Binding.
	committed := []frontend.Variable{c.Binding}
	committed = append(committed, c.U...)
	committed = append(committed, c.E0...)
	committed = append(committed, c.E1...)
	committed = append(committed, c.MessageLimbs...)
	for g := range c.Quotients {
		for k := range 2 {
			committed = append(committed, c.Quotients[g].R1[k]...)
			committed = append(committed, c.Quotients[g].R2[k]...)
		}
	}
	for _, m := range multiplicities {
		committed = append(committed, m...)
	}

	multicommit.WithCommitment(api, func(api frontend.API, gamma frontend.Variable) error {
		if onChallenge != nil {
			if err := onChallenge(api, gamma); err != nil {
				return err
			}
		}
		// γ^0, ..., γ^N.
		powers := make([]frontend.Variable, n+1)
		powers[0] = 1
		powers[1] = gamma
		for i := 2; i <= n; i++ {
			powers[i] = api.Mul(powers[i-1], gamma)
		}
		eval := func(coeffs []frontend.Variable) frontend.Variable {
			terms := make([]frontend.Variable, len(coeffs))
			for i, v := range coeffs {
				if i == 0 {
					terms[i] = v
				} else {
					terms[i] = api.Mul(v, powers[i])
				}
			}
			return sum(api, terms)
		}
		scaled := func(e, m []frontend.Variable) []frontend.Variable {
			out := make([]frontend.Variable, n)
			for i := range out {
				out[i] = api.Add(api.Mul(e[i], lay.T), m[i])
			}
			return out
		}
		zero := make([]frontend.Variable, n)
		for i := range zero {
			zero[i] = 0
		}
		uG := eval(c.U)
		noise := [2]frontend.Variable{eval(scaled(c.E0, message)), eval(scaled(c.E1, zero))}
		wrap := api.Add(powers[n], 1) // γ^N + 1

		for g, q := range lay.Moduli {
			ev := c.Evaluations[g]
			cG := [2]frontend.Variable{ev.C0Gamma, ev.C1Gamma}
			pG := [2]frontend.Variable{ev.P0Gamma, ev.P1Gamma}
			for k := range 2 {
				r1 := eval(c.Quotients[g].R1[k])
				r2 := eval(c.Quotients[g].R2[k])
				// c'(γ) = p'(γ)·u(γ) + T·e(γ) [+ m(γ)] - Q_g·r1(γ) - (γ^N+1)·r2(γ)
				rhs := api.Sub(api.Add(api.Mul(pG[k], uG), noise[k]), api.Mul(r1, q), api.Mul(wrap, r2))
				api.AssertIsEqual(cG[k], rhs)
			}
		}

		// Σ_q 1/(γ - q) = Σ_j mult_j/(γ - j), per table.
		for t, table := range tables {
			right := make([]frontend.Variable, len(table.queries))
			for i, q := range table.queries {
				right[i] = api.Inverse(api.Sub(gamma, q))
			}
			left := make([]frontend.Variable, table.size)
			for j := range table.size {
				left[j] = api.DivUnchecked(multiplicities[t][j], api.Sub(gamma, j))
			}
			api.AssertIsEqual(sum(api, left), sum(api, right))
		}

		return nil
	}, committed...)
	return nil
}

// EncryptionWitness is the secret of one encryption: the ternary u, the
// noises e0, e1 and the message coefficients m (nil when the layout carries
// no message), N each.
type EncryptionWitness struct {
	U, E0, E1 []int64
	M         []uint64
}

// GroupPolys are one CRT group's public polynomials, T-scaled and in the
// coefficient domain: C0 = [T·c0]_{Q_g}, C1 = [T·c1]_{Q_g}, P0 = [T·p0]_{Q_g},
// P1 = [T·p1]_{Q_g}, N integers in [0, Q_g) each ([EncryptionLayout.ScaleByT]
// computes them from c and p).
type GroupPolys struct {
	C0, C1, P0, P1 []*big.Int
}

// EncryptionEvaluation holds one group's public polynomials evaluated at γ.
type EncryptionEvaluation struct {
	C0Gamma, C1Gamma, P0Gamma, P1Gamma fr.Element
}

// ScaleByT returns [T·x]_{Q_g} for a polynomial x of group g with
// coefficients in [0, Q_g).
func (lay EncryptionLayout) ScaleByT(g int, x []*big.Int) ([]*big.Int, error) {
	if g < 0 || g >= len(lay.Moduli) {
		return nil, fmt.Errorf("circuits: encryption: group %d, the layout has %d", g, len(lay.Moduli))
	}
	q := lay.Moduli[g]
	if err := lay.checkPoly(x, q, "polynomial"); err != nil {
		return nil, err
	}
	t := new(big.Int).SetUint64(lay.T)
	out := make([]*big.Int, len(x))
	for i, v := range x {
		out[i] = new(big.Int).Mul(v, t)
		out[i].Mod(out[i], q)
	}
	return out, nil
}

func (lay EncryptionLayout) checkPoly(x []*big.Int, q *big.Int, name string) error {
	if len(x) != lay.N {
		return fmt.Errorf("circuits: encryption: %s has %d coefficients, want %d", name, len(x), lay.N)
	}
	for i, v := range x {
		if v == nil || v.Sign() < 0 || v.Cmp(q) >= 0 {
			return fmt.Errorf("circuits: encryption: %s coefficient %d is not in [0, Q_g)", name, i)
		}
	}
	return nil
}

// checkPolys checks that polys has one group per modulus, each with N
// coefficients in [0, Q_g) per polynomial.
func (lay EncryptionLayout) checkPolys(polys []GroupPolys) error {
	if len(polys) != len(lay.Moduli) {
		return fmt.Errorf("circuits: encryption: %d groups of polynomials, want %d", len(polys), len(lay.Moduli))
	}
	for g, p := range polys {
		q := lay.Moduli[g]
		for _, x := range []struct {
			name string
			v    []*big.Int
		}{{"c0'", p.C0}, {"c1'", p.C1}, {"p0'", p.P0}, {"p1'", p.P1}} {
			if err := lay.checkPoly(x.v, q, fmt.Sprintf("group %d %s", g, x.name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Evaluate returns every group's public polynomials evaluated at gamma, the
// values the verifier passes as public inputs.
func (lay EncryptionLayout) Evaluate(polys []GroupPolys, gamma fr.Element) ([]EncryptionEvaluation, error) {
	if err := lay.checkPolys(polys); err != nil {
		return nil, err
	}
	out := make([]EncryptionEvaluation, len(polys))
	for g, p := range polys {
		out[g] = EncryptionEvaluation{
			C0Gamma: evaluateCentred(p.C0, lay.Moduli[g], gamma), C1Gamma: evaluateCentred(p.C1, lay.Moduli[g], gamma),
			P0Gamma: evaluateCentred(p.P0, lay.Moduli[g], gamma), P1Gamma: evaluateCentred(p.P1, lay.Moduli[g], gamma),
		}
	}
	return out, nil
}

// evaluateCentred returns Σ x̃_i·γ^i mod p (Horner), x̃_i the centred
// representative of x_i ∈ [0, q).
func evaluateCentred(x []*big.Int, q *big.Int, gamma fr.Element) fr.Element {
	half := new(big.Int).Rsh(new(big.Int).Sub(q, big.NewInt(1)), 1)
	var qFr, acc, c fr.Element
	qFr.SetBigInt(q)
	for i := len(x) - 1; i >= 0; i-- {
		acc.Mul(&acc, &gamma)
		c.SetBigInt(x[i])
		if x[i].Cmp(half) > 0 {
			c.Sub(&c, &qFr)
		}
		acc.Add(&acc, &c)
	}
	return acc
}

// centred returns the centred representatives of x ∈ [0, q)^N: x_i - q
// when x_i > (q-1)/2.
func centred(x []*big.Int, q *big.Int) []*big.Int {
	half := new(big.Int).Rsh(new(big.Int).Sub(q, big.NewInt(1)), 1)
	out := make([]*big.Int, len(x))
	for i, v := range x {
		out[i] = v
		if v.Cmp(half) > 0 {
			out[i] = new(big.Int).Sub(v, q)
		}
	}
	return out
}

// SetEvaluations sets the public evaluations of an assignment.
func (c *Encryption) SetEvaluations(ev []EncryptionEvaluation) error {
	if len(ev) != len(c.Evaluations) {
		return fmt.Errorf("circuits: encryption: %d groups of evaluations, want %d", len(ev), len(c.Evaluations))
	}
	for g, e := range ev {
		c.Evaluations[g] = EncryptionEvaluations{C0Gamma: e.C0Gamma, C1Gamma: e.C1Gamma, P0Gamma: e.P0Gamma, P1Gamma: e.P1Gamma}
	}
	return nil
}

// NewAssignment returns the assignment of the encryption circuit for the
// public polynomials polys (T-scaled, see [GroupPolys]), the secret w and
// the public binding, with every evaluation zero: the prover learns γ only
// from a first proving pass and sets them with SetEvaluations. It computes
// the quotients r1, r2 of every identity and refuses (an error, never a
// panic) a witness out of its bounds or one that does not satisfy the
// encryption relation modulo (Q_g, X^N+1): then no valid witness exists for
// these polynomials with this secret. Errors name coefficients by index,
// never their values.
func (lay EncryptionLayout) NewAssignment(polys []GroupPolys, w EncryptionWitness, binding fr.Element) (*Encryption, error) {
	n := lay.N
	if err := lay.checkPolys(polys); err != nil {
		return nil, err
	}
	if len(w.U) != n || len(w.E0) != n || len(w.E1) != n {
		return nil, fmt.Errorf("circuits: encryption: u, e0, e1 need %d coefficients each", n)
	}
	if lay.Message != (w.M != nil) {
		if lay.Message {
			return nil, errors.New("circuits: encryption: the layout carries a message but the witness has none")
		}
		return nil, errors.New("circuits: encryption: the layout carries no message but the witness has one")
	}
	if lay.Message && len(w.M) != n {
		return nil, fmt.Errorf("circuits: encryption: message has %d coefficients, want %d", len(w.M), n)
	}
	b := int64(lay.NoiseBound)
	for i := range n {
		if w.U[i] < -1 || w.U[i] > 1 {
			return nil, fmt.Errorf("circuits: encryption: u[%d] is not in {-1, 0, 1}", i)
		}
		if w.E0[i] < -b || w.E0[i] > b {
			return nil, fmt.Errorf("circuits: encryption: e0[%d] is outside [-B_e, B_e]", i)
		}
		if w.E1[i] < -b || w.E1[i] > b {
			return nil, fmt.Errorf("circuits: encryption: e1[%d] is outside [-B_e, B_e]", i)
		}
		if lay.Message && w.M[i] >= 1<<MessageBits {
			return nil, fmt.Errorf("circuits: encryption: m[%d] is not below 2^%d", i, MessageBits)
		}
	}

	a := lay.NewCircuit()
	a.Binding = binding
	for i := range n {
		a.U[i], a.E0[i], a.E1[i] = w.U[i], w.E0[i], w.E1[i]
	}
	limbs := len(lay.MessageLimbs)
	for i := 0; lay.Message && i < n; i++ {
		v := w.M[i]
		for j, width := range lay.MessageLimbs {
			a.MessageLimbs[i*limbs+j] = v & (1<<width - 1)
			v >>= width
		}
	}
	for g := range a.Evaluations {
		a.Evaluations[g] = EncryptionEvaluations{C0Gamma: 0, C1Gamma: 0, P0Gamma: 0, P1Gamma: 0}
	}

	prod := newNegacyclicProduct(n, w.U)
	t := new(big.Int).SetUint64(lay.T)
	r := new(big.Int).SetUint64(lay.QuotientBound)
	negR := new(big.Int).Neg(r)
	for g, p := range polys {
		q := lay.Moduli[g]
		cs := [2][]*big.Int{centred(p.C0, q), centred(p.C1, q)}
		ps := [2][]*big.Int{centred(p.P0, q), centred(p.P1, q)}
		es := [2][]int64{w.E0, w.E1}
		for k := range 2 {
			low, high := prod.times(ps[k])
			num, rem := new(big.Int), new(big.Int)
			for i := range n {
				// r1_i = (low_i - high_i + T·e_i [+ m_i] - c'_i) / Q_g, exactly.
				num.Sub(low[i], coeffOrZero(high, i))
				num.Add(num, new(big.Int).Mul(t, big.NewInt(es[k][i])))
				if k == 0 && lay.Message {
					num.Add(num, new(big.Int).SetUint64(w.M[i]))
				}
				num.Sub(num, cs[k][i])
				r1 := new(big.Int)
				r1.QuoRem(num, q, rem)
				if rem.Sign() != 0 {
					return nil, fmt.Errorf("circuits: encryption: group %d component %d is not an encryption of this witness under this key (coefficient %d)", g, k, i)
				}
				if r1.Cmp(r) > 0 || r1.Cmp(negR) < 0 {
					return nil, fmt.Errorf("circuits: encryption: group %d component %d: quotient %d is outside [-(N/2+2), N/2+2]", g, k, i)
				}
				a.Quotients[g].R1[k][i] = r1
			}
			for i := range n - 1 {
				a.Quotients[g].R2[k][i] = high[i]
			}
		}
	}
	return a, nil
}

// coeffOrZero returns x[i], or 0 past the end (high has N-1 coefficients).
func coeffOrZero(x []*big.Int, i int) *big.Int {
	if i < len(x) {
		return x[i]
	}
	return new(big.Int)
}

// negacyclicProduct multiplies polynomials by a fixed ternary u over Z. The
// full product p'·u (degree <= 2N-2, p' centred) has coefficients of
// magnitude at most N·(Q_g-1)/2 < p/2 (NewEncryptionLayout checks it), so
// computing it modulo p
// with gnark-crypto's FFT over F_p and lifting each coefficient to (-p/2,
// p/2) gives the exact integers.
type negacyclicProduct struct {
	n      int
	domain *fft.Domain
	uHat   []fr.Element
}

func newNegacyclicProduct(n int, u []int64) *negacyclicProduct {
	d := fft.NewDomain(uint64(2 * n))
	uHat := make([]fr.Element, 2*n)
	for i, v := range u {
		uHat[i].SetInt64(v)
	}
	d.FFT(uHat, fft.DIF)
	return &negacyclicProduct{n: n, domain: d, uHat: uHat}
}

// times returns the low N and high N-1 coefficients of p·u over Z.
func (np *negacyclicProduct) times(p []*big.Int) (low, high []*big.Int) {
	a := make([]fr.Element, 2*np.n)
	for i, v := range p {
		a[i].SetBigInt(v)
	}
	np.domain.FFT(a, fft.DIF)
	for i := range a {
		a[i].Mul(&a[i], &np.uHat[i])
	}
	np.domain.FFTInverse(a, fft.DIT)
	halfP := new(big.Int).Rsh(fr.Modulus(), 1)
	lift := func(x *fr.Element) *big.Int {
		v := x.BigInt(new(big.Int))
		if v.Cmp(halfP) > 0 {
			v.Sub(v, fr.Modulus())
		}
		return v
	}
	low = make([]*big.Int, np.n)
	high = make([]*big.Int, np.n-1)
	for i := range low {
		low[i] = lift(&a[i])
	}
	for i := range high {
		high[i] = lift(&a[np.n+i])
	}
	return low, high
}
