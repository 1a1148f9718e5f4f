package mpc

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
)

// Provable encryption: the owner's side of the encryption proofs (issue 15).
//
// Lattigo's public-key encryption works modulo QP and divides by P, a rounding that is hard to
// prove. EncryptProvable instead computes textbook RLWE public-key encryption directly at level ℓ
// (modulo Q_ℓ = q_0·…·q_ℓ), with lattigo's own samplers and ring arithmetic:
//
//	c0 = p0·u + e0 + [T⁻¹·m]_Q,   c1 = p1·u + e1   (mod Q_ℓ, X^N+1)
//
// where (p0, p1) is the collective public key with P and the primes above ℓ dropped, u is drawn
// from params.Xs() (ternary), e0 and e1 from params.Xe() (a discrete Gaussian that lattigo's
// sampler truncates, so |e| ≤ ErrorBound(params)), and m ∈ [0, T)^N is the plaintext polynomial
// of heint's encoder: the slot values permuted into lattigo's slot order, inverse-NTT'd modulo T
// and multiplied by the plaintext scale. A fresh heint plaintext has scale params.DefaultScale(),
// which for BGV is 1 (rlwe.NewScaleModT(1, T)), so m is exactly the inverse NTT of the permuted
// values; EncryptProvable refuses parameters whose default scale is not 1. [T⁻¹·m]_Q is what
// heint.Encoder.RingT2Q with scale-up writes, so the ciphertext is a heint ciphertext like any
// other (same metadata, NTT form, same codec) and the committee decrypts it as it decrypts
// EncryptColumn's.
//
// Multiplying by T removes T⁻¹: for every group of primes with product Q_g (CRTGroups),
//
//	T·c0 ≡ (T·p0)·u + T·e0 + m,   T·c1 ≡ (T·p1)·u + T·e1   (mod Q_g, X^N+1),
//
// the relation the encryption circuit proves with c' = [T·c]_{Q_g}, p' = [T·p]_{Q_g}
// (ProofPolys) and the witness (u, e0, e1, m) of EncryptionWitness.

// InputLevel is the level of every column ciphertext an owner uploads (EncryptColumn,
// FrequencyTable.Encrypt, EncryptProvable for members' use): the highest build level of any
// evaluation, multiBuildLevel, since a column is encrypted before anyone knows which queries it
// will serve. A single-valued evaluation drops it to singleBuildLevel for free (DropLevel). Going
// lower would need a different evaluation plan (params.go): a multi-valued evaluation builds its
// terms at 4 and rescales three times down to outputLevel 1 (after the terms, after the slot
// mask, whose noise one rescale would not absorb, and to the output).
const InputLevel = multiBuildLevel

// crtGroupBits bounds the product of a CRT group's primes: Q_g < 2^crtGroupBits keeps every
// coefficient of the circuit's folded identity below p/4 (the BN254 scalar field; see the design's
// soundness argument: |F| < 2^16·Q_g).
const crtGroupBits = 236

// EncryptionWitness is the secret randomness and plaintext of one provable ciphertext, coefficient
// by coefficient (N each): what the owner's encryption proof takes as its private witness. It
// reveals the values: never log it or send it anywhere but the prover.
type EncryptionWitness struct {
	U      []int64  // the ephemeral ternary key: every coefficient in {−1, 0, 1}
	E0, E1 []int64  // the encryption errors: |e| ≤ ErrorBound(params)
	M      []uint64 // the plaintext polynomial: every coefficient in [0, T)
}

// ProvableCiphertext is one ciphertext of EncryptProvable: its serialized bytes (the codec of
// every other ciphertext) and the witness of its encryption.
type ProvableCiphertext struct {
	Ciphertext []byte
	Witness    EncryptionWitness
}

// ErrorBound returns B_e, the largest |e| lattigo's Gaussian sampler for params.Xe() can return:
// it rejects a sample x·σ above Bound and rounds the rest to the nearest integer, so
// |e| ≤ ⌊Bound + 1/2⌋ (19 for lattigo's default σ = 3.2, Bound = 19.2).
func ErrorBound(params heint.Parameters) (int64, error) {
	xe, ok := params.Xe().(ring.DiscreteGaussian)
	if !ok {
		return 0, fmt.Errorf("mpc: the error distribution is %T, not a discrete Gaussian", params.Xe())
	}
	b := math.Floor(xe.Bound + 0.5)
	if !(b >= 0 && b < 1<<40) {
		return 0, fmt.Errorf("mpc: the error distribution's bound %v is not a small non-negative number", xe.Bound)
	}
	return int64(b), nil
}

// EncryptProvable encrypts values under the collective public key at level, Slots(params) values
// per ciphertext (the last one zero-padded), as EncryptColumn does but by the textbook encryption
// above, and returns every ciphertext with its witness. Values are centered integers modulo
// PlaintextModulus, as for EncryptColumn. Use InputLevel for a column the committee will compute
// on. Randomness comes from a fresh crypto/rand-keyed lattigo PRNG (sampling.NewPRNG) per call.
func EncryptProvable(params heint.Parameters, pk *rlwe.PublicKey, values []int64, level int) ([]ProvableCiphertext, error) {
	if err := checkProvable(params, pk, level); err != nil {
		return nil, fmt.Errorf("mpc: encrypt provable: %w", err)
	}
	if len(values) == 0 {
		return nil, errors.New("mpc: encrypt provable: no values")
	}
	half := int64(params.PlaintextModulus() / 2)
	for i, v := range values {
		if v > half || v < -half {
			return nil, fmt.Errorf("mpc: encrypt provable: the value at row %d is outside ±%d, the plaintext range", i, half)
		}
	}
	var out []ProvableCiphertext
	err := protect(func() error {
		enc, err := newProvableEncryptor(params, pk, level)
		if err != nil {
			return err
		}
		slots := Slots(params)
		for start := 0; start < len(values); start += slots {
			c, err := enc.encrypt(values[start:min(start+slots, len(values))])
			if err != nil {
				return fmt.Errorf("rows %d-: %w", start, err)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mpc: encrypt provable: %w", err)
	}
	return out, nil
}

// checkProvable refuses parameters, keys and levels the provable path does not hold for.
func checkProvable(params heint.Parameters, pk *rlwe.PublicKey, level int) error {
	if err := checkParams(params); err != nil {
		return err
	}
	if pk == nil {
		return errors.New("no public key")
	}
	if level < 1 || level > params.MaxLevel() {
		return fmt.Errorf("level %d is outside 1..%d (level 0 cannot hold T times the noise)", level, params.MaxLevel())
	}
	if s := params.DefaultScale(); s.Uint64() != 1 {
		return fmt.Errorf("the default plaintext scale is %d, the provable relation assumes 1", s.Uint64())
	}
	// Check the key's shape by its encoding, as for any untrusted key.
	b, err := pk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode public key: %w", err)
	}
	if _, err := newCodec(params).publicKey(b); err != nil {
		return err
	}
	return nil
}

type provableEncryptor struct {
	params heint.Parameters
	pk     *rlwe.PublicKey
	level  int
	ringQ  *ring.Ring
	ecd    *heint.Encoder
	xs, xe ring.Sampler // at the top level: see encrypt
	ptT    ring.Poly    // the plaintext polynomial m, mod T
	buf    ring.Poly    // at the top level, for the samplers
}

func newProvableEncryptor(params heint.Parameters, pk *rlwe.PublicKey, level int) (*provableEncryptor, error) {
	prng, err := sampling.NewPRNG() // keyed with 64 bytes of crypto/rand
	if err != nil {
		return nil, err
	}
	xs, err := ring.NewSampler(prng, params.RingQ(), params.Xs(), false)
	if err != nil {
		return nil, fmt.Errorf("ternary sampler: %w", err)
	}
	if _, ok := params.Xs().(ring.Ternary); !ok {
		return nil, fmt.Errorf("the secret distribution is %T, not ternary", params.Xs())
	}
	xe, err := ring.NewSampler(prng, params.RingQ(), params.Xe(), false)
	if err != nil {
		return nil, fmt.Errorf("error sampler: %w", err)
	}
	if _, err := ErrorBound(params); err != nil {
		return nil, err
	}
	rq := params.RingQ().AtLevel(level)
	return &provableEncryptor{
		params: params, pk: pk, level: level, ringQ: rq, ecd: heint.NewEncoder(params),
		xs: xs, xe: xe,
		ptT: params.RingT().NewPoly(), buf: params.RingQ().NewPoly(),
	}, nil
}

// encrypt encrypts at most Slots(params) values into one ciphertext.
func (p *provableEncryptor) encrypt(values []int64) (ProvableCiphertext, error) {
	n := p.params.N()
	w := EncryptionWitness{U: make([]int64, n), E0: make([]int64, n), E1: make([]int64, n)}
	// The samplers and their polynomial stay at the top level: lattigo v5.0.7's
	// TernarySampler.AtLevel keeps a sampling function bound to the top-level ring, which overruns
	// a lower-level polynomial (lattigo's Encryptor samples at the top level too).
	p.xs.Read(p.buf)
	p.centered(p.buf, w.U)
	p.xe.Read(p.buf)
	p.centered(p.buf, w.E0)
	p.xe.Read(p.buf)
	p.centered(p.buf, w.E1)
	return p.seal(values, w)
}

// seal encrypts values with the randomness of w (U, E0, E1) and sets w.M; the ciphertext is a
// function of the witness, so the witness is exactly what was used.
func (p *provableEncryptor) seal(values []int64, w EncryptionWitness) (ProvableCiphertext, error) {
	rq := p.ringQ
	// m: lattigo's own encoding into R_T (slots permuted, inverse NTT, times the scale 1), zero-padded.
	if err := p.ecd.EncodeRingT(values, p.params.DefaultScale(), p.ptT); err != nil {
		return ProvableCiphertext{}, fmt.Errorf("encode: %w", err)
	}
	w.M = append([]uint64(nil), p.ptT.Coeffs[0]...)

	ct := heint.NewCiphertext(p.params, 1, p.level)
	if !ct.IsNTT {
		return ProvableCiphertext{}, errors.New("heint ciphertexts are not in NTT form")
	}
	c0, c1 := ct.Value[0], ct.Value[1]

	// u·p0, u·p1 in NTT form: the key is NTT and Montgomery, and the Montgomery product of a
	// standard and a Montgomery operand is the standard product.
	u := rq.NewPoly()
	p.lift(w.U, u)
	rq.NTT(u, u)
	rq.MulCoeffsMontgomery(u, p.pk.Value[0].Q, c0)
	rq.MulCoeffsMontgomery(u, p.pk.Value[1].Q, c1)

	// c0 += e0 + [T⁻¹·m]_Q;  c1 += e1.
	e := u
	p.lift(w.E0, e)
	rq.NTT(e, e)
	rq.Add(c0, e, c0)
	p.ecd.RingT2Q(p.level, true, p.ptT, e)
	rq.NTT(e, e)
	rq.Add(c0, e, c0)
	p.lift(w.E1, e)
	rq.NTT(e, e)
	rq.Add(c1, e, c1)

	b, err := ct.MarshalBinary()
	if err != nil {
		return ProvableCiphertext{}, fmt.Errorf("serialize: %w", err)
	}
	return ProvableCiphertext{Ciphertext: b, Witness: w}, nil
}

// lift writes the small signed coefficients x into every row of a (a polynomial at the
// encryptor's level), reduced modulo that row's prime.
func (p *provableEncryptor) lift(x []int64, a ring.Poly) {
	for i, s := range p.ringQ.SubRings[:p.level+1] {
		q := s.Modulus
		row := a.Coeffs[i]
		for k, v := range x {
			if v < 0 {
				row[k] = q - uint64(-v)%q
				if row[k] == q {
					row[k] = 0
				}
			} else {
				row[k] = uint64(v) % q
			}
		}
	}
}

// centered reads a small polynomial's signed coefficients from its first residue (lattigo's
// samplers write x ≥ 0 as x and x < 0 as q − x; a zero may come out as q).
func (p *provableEncryptor) centered(a ring.Poly, out []int64) {
	q := p.ringQ.SubRings[0].Modulus
	for i, c := range a.Coeffs[0] {
		switch {
		case c == q:
			out[i] = 0
		case c > q/2:
			out[i] = -int64(q - c)
		default:
			out[i] = int64(c)
		}
	}
}

// CRTGroup is a set of consecutive Q primes whose product Modulus (Q_g) is below 2^236: the
// modulus of one encryption relation in the circuit.
type CRTGroup struct {
	Primes  []int    // indices into params.Q(), ascending
	Modulus *big.Int // their product Q_g
}

// CRTGroups partitions the primes of level (q_0..q_level) into groups with product below 2^236,
// greedily in prime order. Every group holds at most ⌊236/min log q⌋ and at least
// ⌊236/max log q⌋ primes, so with DXP's 54–56-bit primes each group but the last holds exactly
// four and the count, ⌈(level+1)/4⌉, is the fewest possible (five primes never fit).
func CRTGroups(params heint.Parameters, level int) ([]CRTGroup, error) {
	if level < 0 || level > params.MaxLevel() {
		return nil, fmt.Errorf("mpc: CRT groups: level %d is outside 0..%d", level, params.MaxLevel())
	}
	limit := new(big.Int).Lsh(big.NewInt(1), crtGroupBits)
	var groups []CRTGroup
	cur := CRTGroup{Modulus: big.NewInt(1)}
	for i, q := range params.Q()[:level+1] {
		next := new(big.Int).Mul(cur.Modulus, new(big.Int).SetUint64(q))
		if next.Cmp(limit) >= 0 {
			if len(cur.Primes) == 0 {
				return nil, fmt.Errorf("mpc: CRT groups: prime q_%d alone is not below 2^%d", i, crtGroupBits)
			}
			groups = append(groups, cur)
			cur = CRTGroup{Modulus: new(big.Int).SetUint64(q)}
		} else {
			cur.Modulus = next
		}
		cur.Primes = append(cur.Primes, i)
	}
	return append(groups, cur), nil
}

// GroupPolys are the public polynomials of one CRT group's encryption relation, as integers in
// [0, Q_g), coefficient by coefficient (N each): C0 = [T·c0]_{Q_g}, C1 = [T·c1]_{Q_g},
// P0 = [T·p0]_{Q_g}, P1 = [T·p1]_{Q_g}.
type GroupPolys struct {
	Group          CRTGroup
	C0, C1, P0, P1 []*big.Int
}

// ProofPolys returns, for each of CRTGroups(params, level), the public polynomials of the
// encryption relation of the serialized ciphertext ct under pk: ct and pk in the coefficient
// domain, CRT-composed over the group's primes and multiplied by T modulo Q_g. It refuses a
// ciphertext that is not a degree-1 heint ciphertext at exactly level. For many ciphertexts under
// one key, NewProofKey once and ProofKey.Polys for each saves the key's half of the work.
func ProofPolys(params heint.Parameters, pk *rlwe.PublicKey, ct []byte, level int) ([]GroupPolys, error) {
	k, err := NewProofKey(params, pk, level)
	if err != nil {
		return nil, err
	}
	return k.Polys(ct)
}

// ProofKey is a public key's side of the encryption relations at one level: the groups, the key's
// polynomials P0, P1 per group, and the CRT constants. Safe for concurrent use.
type ProofKey struct {
	params heint.Parameters
	level  int
	groups []CRTGroup
	// weights[g][j] = T·(Q_g/q)·((Q_g/q)⁻¹ mod q) mod Q_g for the j-th prime q of group g, so
	// that [T·x]_{Q_g} = Σ_j x_j·weights[g][j] mod Q_g for x with residues x_j (CRT).
	weights [][]*big.Int
	p0, p1  [][]*big.Int // per group
}

// NewProofKey checks pk and computes its polynomials [T·p0]_{Q_g}, [T·p1]_{Q_g} for every CRT
// group of level.
func NewProofKey(params heint.Parameters, pk *rlwe.PublicKey, level int) (*ProofKey, error) {
	if err := checkProvable(params, pk, level); err != nil {
		return nil, fmt.Errorf("mpc: proof key: %w", err)
	}
	groups, err := CRTGroups(params, level)
	if err != nil {
		return nil, err
	}
	k := &ProofKey{params: params, level: level, groups: groups}
	t := new(big.Int).SetUint64(params.PlaintextModulus())
	for _, g := range groups {
		var ws []*big.Int
		for _, i := range g.Primes {
			q := new(big.Int).SetUint64(params.Q()[i])
			rest := new(big.Int).Quo(g.Modulus, q)
			inv := new(big.Int).ModInverse(new(big.Int).Mod(rest, q), q)
			w := new(big.Int).Mul(rest, inv)
			w.Mul(w, t).Mod(w, g.Modulus)
			ws = append(ws, w)
		}
		k.weights = append(k.weights, ws)
	}
	err = protect(func() error {
		// Coefficient domain: lattigo's keys are in NTT and Montgomery form.
		rq := params.RingQ().AtLevel(level)
		for i, dst := range []*[][]*big.Int{&k.p0, &k.p1} {
			c := rq.NewPoly()
			rq.IMForm(pk.Value[i].Q, c)
			rq.INTT(c, c)
			*dst = k.compose(c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mpc: proof key: %w", err)
	}
	return k, nil
}

// compose returns, per group, [T·a]_{Q_g} coefficient by coefficient of a polynomial a in the
// coefficient domain at the key's level.
func (k *ProofKey) compose(a ring.Poly) [][]*big.Int {
	n := k.params.N()
	out := make([][]*big.Int, len(k.groups))
	acc, term := new(big.Int), new(big.Int)
	for g, grp := range k.groups {
		coeffs := make([]*big.Int, n)
		for c := range n {
			acc.SetUint64(0)
			for j, i := range grp.Primes {
				term.SetUint64(a.Coeffs[i][c])
				acc.Add(acc, term.Mul(term, k.weights[g][j]))
			}
			coeffs[c] = new(big.Int).Mod(acc, grp.Modulus)
		}
		out[g] = coeffs
	}
	return out
}

// Groups returns the CRT groups of the key's level.
func (k *ProofKey) Groups() []CRTGroup { return k.groups }

// Polys returns the public polynomials of the encryption relation of the serialized ciphertext ct
// under the key, per CRT group (the GroupPolys share the key's P0 and P1: do not modify them).
// It refuses a ciphertext that is not a degree-1 heint ciphertext at exactly the key's level.
func (k *ProofKey) Polys(ct []byte) ([]GroupPolys, error) {
	c := newCodec(k.params)
	o, err := c.decode(c.ciphertextKind(k.level), ct)
	if err != nil {
		return nil, fmt.Errorf("mpc: proof polynomials: want a ciphertext at level %d: %w", k.level, err)
	}
	var c0, c1 [][]*big.Int
	err = protect(func() error {
		cipher := o.(*rlwe.Ciphertext)
		if !cipher.IsNTT || cipher.IsMontgomery {
			return errors.New("the ciphertext is not in plain NTT form")
		}
		rq := k.params.RingQ().AtLevel(k.level)
		buf := rq.NewPoly()
		rq.INTT(cipher.Value[0], buf)
		c0 = k.compose(buf)
		rq.INTT(cipher.Value[1], buf)
		c1 = k.compose(buf)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mpc: proof polynomials: %w", err)
	}
	out := make([]GroupPolys, len(k.groups))
	for g, grp := range k.groups {
		out[g] = GroupPolys{Group: grp, C0: c0[g], C1: c1[g], P0: k.p0[g], P1: k.p1[g]}
	}
	return out, nil
}

// SlotRoots returns, for each slot index i of heint's encoder, the root ψ_i of X^N+1 modulo T at
// which the plaintext polynomial is evaluated to give slot i: v_i = m(ψ_i) mod T. It is read off
// lattigo's own decoder (DecodeRingT of the polynomial X at scale 1: the NTT is evaluation, so
// slot i of X is ψ_i), and checked: every ψ_i is a root of X^N+1 and no two are equal.
func SlotRoots(params heint.Parameters) ([]uint64, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: slot roots: %w", err)
	}
	t := params.PlaintextModulus()
	roots := make([]uint64, Slots(params))
	err := protect(func() error {
		x := params.RingT().NewPoly()
		x.Coeffs[0][1] = 1
		return heint.NewEncoder(params).DecodeRingT(x, params.NewScale(1), roots)
	})
	if err != nil {
		return nil, fmt.Errorf("mpc: slot roots: %w", err)
	}
	seen := make(map[uint64]bool, len(roots))
	for i, r := range roots {
		if ring.ModExp(r, uint64(params.N()), t) != t-1 || seen[r] {
			return nil, fmt.Errorf("mpc: slot roots: slot %d's point %d is not a distinct root of X^N+1 mod T", i, r)
		}
		seen[r] = true
	}
	return roots, nil
}
