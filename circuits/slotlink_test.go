package circuits

import (
	"crypto/rand"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/multicommit"
	"github.com/consensys/gnark/test"
)

// slotLinkInstance is a plaintext for a test-sized ring: a prime T < 2^50
// with T ≡ 1 mod 2N, the slot roots ψ^(2i+1) of X^N+1 in a random order
// (the gadget takes any order), signed slot values and the coefficients
// from a native O(N²) inverse transform.
type slotLinkInstance struct {
	link *SlotLink
	psi  []uint64
	v    []int64
	m    []uint64
}

func randUint64(t testing.TB, bound uint64) uint64 {
	t.Helper()
	x, err := rand.Int(rand.Reader, new(big.Int).SetUint64(bound))
	if err != nil {
		t.Fatal(err)
	}
	return x.Uint64()
}

// slotLinkPrime returns the least prime T ≡ 1 mod 2n above start.
func slotLinkPrime(n int, start *big.Int) uint64 {
	step := big.NewInt(int64(2 * n))
	tb := new(big.Int).Div(start, step)
	tb.Mul(tb, step).Add(tb, big.NewInt(1))
	for !tb.ProbablyPrime(20) {
		tb.Add(tb, step)
	}
	return tb.Uint64()
}

// slotRoots returns the roots ψ^(2i+1) of X^N+1 mod T for a primitive
// 2N-th root ψ, in a random order (the slot order is the caller's).
func slotRoots(t testing.TB, T uint64, n int) []uint64 {
	t.Helper()
	tb := new(big.Int).SetUint64(T)
	// ψ = g^((T-1)/2N) is a primitive 2N-th root iff ψ^N = -1.
	var psi uint64
	for g := uint64(2); ; g++ {
		psi = new(big.Int).Exp(new(big.Int).SetUint64(g), new(big.Int).SetUint64((T-1)/uint64(2*n)), tb).Uint64()
		if new(big.Int).Exp(new(big.Int).SetUint64(psi), big.NewInt(int64(n)), tb).Uint64() == T-1 {
			break
		}
	}
	roots := make([]uint64, n)
	step := new(big.Int).Exp(new(big.Int).SetUint64(psi), big.NewInt(2), tb)
	x := new(big.Int).SetUint64(psi)
	for i := range roots {
		roots[i] = x.Uint64()
		x.Mul(x, step).Mod(x, tb)
	}
	for i := n - 1; i > 0; i-- { // Fisher–Yates
		j := int(randUint64(t, uint64(i+1)))
		roots[i], roots[j] = roots[j], roots[i]
	}
	return roots
}

func newSlotLinkInstance(t *testing.T, n int) *slotLinkInstance {
	t.Helper()
	T := slotLinkPrime(n, new(big.Int).Lsh(big.NewInt(3), 48)) // ≈ 1.5·2^49: ψ_i < 2^50 can be a ρ
	roots := slotRoots(t, T, n)
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(randUint64(t, math.MaxUint64>>1)) - int64(randUint64(t, math.MaxUint64>>1))
	}
	copy(v, []int64{math.MaxInt64, -math.MaxInt64, -1, 0})
	link, err := NewSlotLink(T, roots)
	if err != nil {
		t.Fatal(err)
	}
	inst := &slotLinkInstance{link: link, psi: roots, v: v}
	inst.m = inst.coefficients(v)
	return inst
}

// coefficients is the inverse transform m_k = N^-1·Σ_i v_i·ψ_i^-k mod T,
// checked against the forward direction m(ψ_i) ≡ v_i.
func (s *slotLinkInstance) coefficients(v []int64) []uint64 {
	n := len(v)
	tb := new(big.Int).SetUint64(s.link.t)
	nInv := new(big.Int).ModInverse(big.NewInt(int64(n)), tb)
	m := make([]*big.Int, n)
	for k := range m {
		m[k] = new(big.Int)
	}
	x, p := new(big.Int), new(big.Int)
	for i, r := range s.psi {
		inv := new(big.Int).ModInverse(new(big.Int).SetUint64(r), tb)
		p.Mod(x.SetInt64(v[i]), tb)
		for k := range m { // p = v_i·ψ_i^-k
			m[k].Add(m[k], p)
			p.Mul(p, inv).Mod(p, tb)
		}
	}
	out := make([]uint64, n)
	for k := range m {
		out[k] = m[k].Mul(m[k], nInv).Mod(m[k], tb).Uint64()
	}
	for i, r := range s.psi {
		acc := new(big.Int)
		for k := n - 1; k >= 0; k-- {
			acc.Mul(acc, x.SetUint64(r)).Add(acc, p.SetUint64(out[k])).Mod(acc, tb)
		}
		if acc.Cmp(x.Mod(x.SetInt64(v[i]), tb)) != 0 {
			panic("test inverse transform is wrong")
		}
	}
	return out
}

// slotLinkCircuit commits to M and V and links them at Reps points drawn
// from 50-bit windows of the commitment, as the encryption circuit will.
type slotLinkCircuit struct {
	M, V []frontend.Variable
	link *SlotLink
	reps int
}

func (c *slotLinkCircuit) Define(api frontend.API) error {
	committed := append(append([]frontend.Variable(nil), c.M...), c.V...)
	multicommit.WithCommitment(api, func(api frontend.API, gamma frontend.Variable) error {
		bits := api.ToBinary(gamma, api.Compiler().FieldBitLen())
		rhos := make([]frontend.Variable, c.reps)
		for r := range rhos {
			rhos[r] = api.FromBinary(bits[r*SlotLinkRhoBits : (r+1)*SlotLinkRhoBits]...)
		}
		return c.link.Assert(api, c.M, c.V, rhos...)
	}, committed...)
	return nil
}

// slotLinkFixedCircuit links M and V at public points Rho: attack tests
// use it to know ρ in advance, which only helps the attacker.
type slotLinkFixedCircuit struct {
	M, V []frontend.Variable
	Rho  []frontend.Variable `gnark:",public"`
	link *SlotLink
}

func (c *slotLinkFixedCircuit) Define(api frontend.API) error {
	return c.link.Assert(api, c.M, c.V, c.Rho...)
}

func (s *slotLinkInstance) assignment(m []uint64, v []int64) ([]frontend.Variable, []frontend.Variable) {
	M, V := make([]frontend.Variable, len(m)), make([]frontend.Variable, len(v))
	for k := range m {
		M[k] = m[k]
	}
	for i := range v {
		V[i] = v[i]
	}
	return M, V
}

func (s *slotLinkInstance) circuit(reps int) *slotLinkCircuit {
	n := s.link.n
	return &slotLinkCircuit{M: make([]frontend.Variable, n), V: make([]frontend.Variable, n), link: s.link, reps: reps}
}

func (s *slotLinkInstance) witness(m []uint64, v []int64, reps int) *slotLinkCircuit {
	M, V := s.assignment(m, v)
	return &slotLinkCircuit{M: M, V: V, link: s.link, reps: reps}
}

func (s *slotLinkInstance) fixed(m []uint64, v []int64, rhos ...uint64) *slotLinkFixedCircuit {
	M, V := s.assignment(m, v)
	R := make([]frontend.Variable, len(rhos))
	for r := range rhos {
		R[r] = rhos[r]
	}
	return &slotLinkFixedCircuit{M: M, V: V, Rho: R, link: s.link}
}

func (s *slotLinkInstance) compileFixed(t *testing.T, reps int) constraint.ConstraintSystem {
	t.Helper()
	n := s.link.n
	c := &slotLinkFixedCircuit{M: make([]frontend.Variable, n), V: make([]frontend.Variable, n), Rho: make([]frontend.Variable, reps), link: s.link}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	return ccs
}

func solveFixed(t *testing.T, ccs constraint.ConstraintSystem, a *slotLinkFixedCircuit, opts ...solver.Option) error {
	t.Helper()
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	return ccs.IsSolved(w, opts...)
}

func changedValue(v []int64, i int) []int64 {
	out := append([]int64(nil), v...)
	out[i]++
	return out
}

func changedCoefficient(m []uint64, k int, T uint64) []uint64 {
	out := append([]uint64(nil), m...)
	out[k] = (out[k] + 1) % T
	return out
}

func TestSlotLinkNative(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	for range 4 {
		rho := randUint64(t, 1<<SlotLinkRhoBits)
		if err := s.link.Check(s.m, s.v, rho); err != nil {
			t.Fatalf("Check(honest, ρ=%d) = %v, want nil", rho, err)
		}
		if err := s.link.Check(s.m, changedValue(s.v, 5), rho); !errors.Is(err, ErrSlotMismatch) {
			t.Errorf("Check(one value changed) = %v, want ErrSlotMismatch", err)
		}
		if err := s.link.Check(changedCoefficient(s.m, 7, s.link.t), s.v, rho); !errors.Is(err, ErrSlotMismatch) {
			t.Errorf("Check(one coefficient changed) = %v, want ErrSlotMismatch", err)
		}
	}
	if _, err := s.link.EvalSlots(s.v, s.psi[3]); !errors.Is(err, errSlotRoot) {
		t.Errorf("EvalSlots(ρ = ψ_3) = %v, want errSlotRoot", err)
	}
}

func TestNewSlotLink(t *testing.T) {
	s := newSlotLinkInstance(t, 16)
	T := s.link.t
	bad := func(f func([]uint64)) []uint64 {
		p := append([]uint64(nil), s.psi...)
		f(p)
		return p
	}
	for name, tc := range map[string]struct {
		t   uint64
		psi []uint64
	}{
		"not a power of two":   {T, s.psi[:12]},
		"one root":             {T, s.psi[:1]},
		"composite modulus":    {33 * 97, s.psi}, // ≡ 1 mod 32
		"modulus not 1 mod 2N": {17, s.psi},
		"not a root":           {T, bad(func(p []uint64) { p[3] = 5 })},
		"repeated root":        {T, bad(func(p []uint64) { p[3] = p[4] })},
		"zero root":            {T, bad(func(p []uint64) { p[0] = 0 })},
		"modulus too large":    {1<<62 + 1, s.psi},
	} {
		if _, err := NewSlotLink(tc.t, tc.psi); err == nil {
			t.Errorf("NewSlotLink(%s) = nil error, want one", name)
		}
	}
	if _, err := NewSlotLink(T, s.psi); err != nil {
		t.Errorf("NewSlotLink(valid) = %v", err)
	}
}

// TestSlotLink: an honest plaintext (negative and extreme values included)
// links at two points drawn from the commitment; one value or one
// coefficient changed does not.
func TestSlotLink(t *testing.T) {
	for _, n := range []int{64, 256} {
		s := newSlotLinkInstance(t, n)
		field := ecc.BN254.ScalarField()
		if err := test.IsSolved(s.circuit(2), s.witness(s.m, s.v, 2), field); err != nil {
			t.Fatalf("N=%d: honest plaintext: %v", n, err)
		}
		j := int(randUint64(t, uint64(n)))
		if err := test.IsSolved(s.circuit(2), s.witness(s.m, changedValue(s.v, j), 2), field); err == nil {
			t.Errorf("N=%d: value %d changed: solved, want an error", n, j)
		}
		if err := test.IsSolved(s.circuit(2), s.witness(changedCoefficient(s.m, j, s.link.t), s.v, 2), field); err == nil {
			t.Errorf("N=%d: coefficient %d changed: solved, want an error", n, j)
		}
	}
}

// TestSlotLinkShapes: tiny rings and odd repetition counts (whose batch
// of reps·N inverses is padded) link too, and refuse a changed value.
func TestSlotLinkShapes(t *testing.T) {
	for _, n := range []int{2, 8} {
		s := newSlotLinkInstance(t, n)
		for _, reps := range []int{1, 3} {
			field := ecc.BN254.ScalarField()
			if err := test.IsSolved(s.circuit(reps), s.witness(s.m, s.v, reps), field); err != nil {
				t.Errorf("N=%d, %d repetitions: honest plaintext: %v", n, reps, err)
			}
			if err := test.IsSolved(s.circuit(reps), s.witness(s.m, changedValue(s.v, 1), reps), field); err == nil {
				t.Errorf("N=%d, %d repetitions: value 1 changed: solved, want an error", n, reps)
			}
		}
	}
}

func TestSlotLinkGroth16(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, s.circuit(2))
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(s.witness(s.m, s.v, 2), ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		t.Fatalf("Prove(honest): %v", err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatalf("Verify(honest): %v", err)
	}
	bad, err := frontend.NewWitness(s.witness(s.m, changedValue(s.v, 9), 2), ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, bad); err == nil {
		t.Error("Prove(one value changed) succeeded, want an error")
	}
}

// TestSlotLinkRho: ρ = 2^50 - 1 is accepted, ρ = 2^50 is refused by the
// range check alone (the link itself holds at every ρ for an honest
// plaintext), and ρ = ψ_i has no witness.
func TestSlotLinkRho(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	ccs := s.compileFixed(t, 1)
	if err := solveFixed(t, ccs, s.fixed(s.m, s.v, 1<<SlotLinkRhoBits-1)); err != nil {
		t.Errorf("ρ = 2^50-1: %v", err)
	}
	if err := s.link.Check(s.m, s.v, 1<<SlotLinkRhoBits); err != nil {
		t.Fatalf("native Check at ρ = 2^50: %v", err)
	}
	if err := solveFixed(t, ccs, s.fixed(s.m, s.v, 1<<SlotLinkRhoBits)); err == nil {
		t.Error("ρ = 2^50: solved, want the range check to refuse it")
	}
	err := solveFixed(t, ccs, s.fixed(s.m, s.v, s.psi[7]))
	if err == nil || !strings.Contains(err.Error(), "slot root") {
		t.Errorf("ρ = ψ_7: %v, want the slot-root error", err)
	}
}

// linkTrace is the honest witness of one repetition, computed natively as
// the circuit does: canonical powers, inverses and the unreduced sums.
type linkTrace struct {
	lay       slotLinkLayout
	rho       *big.Int
	pw, pwS   []*big.Int // ρ^b mod T (b < S), ρ^(aS) mod T (a <= A)
	w         []*big.Int // ψ_i/(ψ_i-ρ) mod T
	lhs, rhs  *big.Int   // Σ_a P_a·Σ_b p_b·m_{aS+b}, Σ v_i·w_i (integers)
	t, n, rN1 *big.Int   // T, N, ρ^N + 1
}

func traceLink(s *slotLinkInstance, m []uint64, v []int64, rho uint64, reps int) *linkTrace {
	l := s.link
	lay := l.layout(reps)
	tb := new(big.Int).SetUint64(l.t)
	tr := &linkTrace{lay: lay, rho: new(big.Int).SetUint64(rho), t: tb, n: big.NewInt(int64(l.n))}
	S, A := lay.split, lay.blocks
	tr.pw = make([]*big.Int, S)
	tr.pw[0], tr.pw[1] = big.NewInt(1), new(big.Int).Set(tr.rho)
	for k := 2; k < S; k++ {
		tr.pw[k] = new(big.Int).Mul(tr.pw[k-1], tr.rho)
		tr.pw[k].Mod(tr.pw[k], tb)
	}
	tr.pwS = make([]*big.Int, A+1)
	tr.pwS[0] = big.NewInt(1)
	tr.pwS[1] = new(big.Int).Mul(tr.pw[S-1], tr.rho)
	tr.pwS[1].Mod(tr.pwS[1], tb)
	for a := 2; a <= A; a++ {
		tr.pwS[a] = new(big.Int).Mul(tr.pwS[a-1], tr.pwS[1])
		tr.pwS[a].Mod(tr.pwS[a], tb)
	}
	tr.rN1 = new(big.Int).Add(tr.pwS[A], big.NewInt(1))
	tr.lhs = new(big.Int)
	x := new(big.Int)
	for a := range A {
		inner := new(big.Int)
		for k := range S {
			inner.Add(inner, x.Mul(x.SetUint64(m[a*S+k]), tr.pw[k]))
		}
		tr.lhs.Add(tr.lhs, inner.Mul(inner, tr.pwS[a]))
	}
	tr.rhs = new(big.Int)
	tr.w = make([]*big.Int, l.n)
	for i, r := range s.psi {
		d := new(big.Int).SetUint64(r)
		d.Sub(d, tr.rho).Mod(d, tb)
		tr.w[i] = new(big.Int).ModInverse(d, tb)
		tr.w[i].Mul(tr.w[i], x.SetUint64(r)).Mod(tr.w[i], tb)
		tr.rhs.Add(tr.rhs, x.Mul(x.SetInt64(v[i]), tr.w[i]))
	}
	return tr
}

// final returns (ρ^N+1)·RHS - N·LHS, which T divides iff the link holds.
func (tr *linkTrace) final() *big.Int {
	x := new(big.Int).Mul(tr.rN1, tr.rhs)
	return x.Sub(x, new(big.Int).Mul(tr.n, tr.lhs))
}

func hintID(f solver.Hint) solver.HintID { return solver.GetHintID(f) }

// notHintRefusal fails the test unless err is a constraint failure: the
// attack got past every hint, so only the range checks can have refused it.
func notHintRefusal(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("forged witness solved, want the range checks to refuse it")
	}
	if strings.Contains(err.Error(), ErrSlotMismatch.Error()) || strings.Contains(err.Error(), "slot root") {
		t.Fatalf("forged witness refused by a hint (%v), want the constraints to refuse it", err)
	}
}

// fieldQuotient is the attacker's reduction hint: where T must divide x
// (a final or batch check), it returns x/T computed in F_p, which satisfies
// the identity modulo p whether or not T divides x.
func fieldQuotient(field *big.Int) solver.Hint {
	return func(_ *big.Int, in, out []*big.Int) error {
		if in[2].Sign() != 0 { // a reduction with a remainder: honest
			return slotLinkModHint(field, in, out)
		}
		q := new(big.Int).ModInverse(in[0], field)
		q.Mul(q, in[5]).Add(q, in[4]).Mod(q, field) // x·T^-1 + offset in F_p
		tmp := append(append([]*big.Int(nil), out...), new(big.Int))
		limbsOf(q, int(in[1].Uint64()), field, tmp)
		return nil
	}
}

// TestAttackFinalQuotient: for one value changed, the attacker's hint
// returns the final quotient Q = X/T computed in F_p, which satisfies the
// final identity modulo p; Q's range check refuses it. The same override on
// the honest plaintext (where X/T is an integer) is accepted.
func TestAttackFinalQuotient(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	ccs := s.compileFixed(t, 1)
	field := ecc.BN254.ScalarField()
	override := solver.OverrideHint(hintID(slotLinkModHint), fieldQuotient(field))
	rho := randUint64(t, 1<<SlotLinkRhoBits)
	if err := solveFixed(t, ccs, s.fixed(s.m, s.v, rho), override); err != nil {
		t.Fatalf("honest plaintext with the override: %v", err)
	}
	notHintRefusal(t, solveFixed(t, ccs, s.fixed(s.m, changedValue(s.v, 11), rho), override))
	notHintRefusal(t, solveFixed(t, ccs, s.fixed(changedCoefficient(s.m, 11, s.link.t), s.v, rho), override))
}

// TestAttackForgedInverse: for one value changed, the attacker replaces
// w_j by the residue that makes the final congruence hold. The batch check
// of the inverses (Σ λ^j·e_j ≡ 0 mod T) then fails: the honest hint
// refuses to reduce it, and the attacker's field quotient is refused by its
// range check.
func TestAttackForgedInverse(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	ccs := s.compileFixed(t, 1)
	field := ecc.BN254.ScalarField()
	rho := randUint64(t, 1<<SlotLinkRhoBits)
	const j = 13
	v := changedValue(s.v, j)
	tr := traceLink(s, s.m, v, rho, 1)
	if new(big.Int).Mod(tr.final(), tr.t).Sign() == 0 {
		t.Fatal("the changed value still links: pick another ρ")
	}
	// w_j' = w_j + δ/v_j with δ = N·LHS/(ρ^N+1) - RHS mod T.
	delta := new(big.Int).ModInverse(tr.rN1, tr.t)
	delta.Mul(delta, new(big.Int).Mul(tr.n, tr.lhs)).Sub(delta, tr.rhs)
	delta.Mul(delta, new(big.Int).ModInverse(big.NewInt(v[j]), tr.t))
	wj := new(big.Int).Add(tr.w[j], delta)
	wj.Mod(wj, tr.t)
	forged := new(big.Int).Add(tr.rhs, new(big.Int).Mul(big.NewInt(v[j]), new(big.Int).Sub(wj, tr.w[j])))
	check := new(big.Int).Mul(tr.rN1, forged)
	if check.Sub(check, new(big.Int).Mul(tr.n, tr.lhs)).Mod(check, tr.t).Sign() != 0 {
		t.Fatal("forged inverse does not satisfy the final congruence")
	}
	r2 := tr.lay.round2
	forge := solver.OverrideHint(hintID(slotLinkInverseHint), func(_ *big.Int, in, out []*big.Int) error {
		if err := slotLinkInverseHint(field, in, out); err != nil {
			return err
		}
		limbsOf(wj, r2.limbBits, field, out[j*r2.remLimbs:(j+1)*r2.remLimbs])
		return nil
	})
	if err := solveFixed(t, ccs, s.fixed(s.m, v, rho), forge); !errors.Is(err, ErrSlotMismatch) {
		t.Errorf("forged inverse, honest reductions: %v, want ErrSlotMismatch from the batch check", err)
	}
	notHintRefusal(t, solveFixed(t, ccs, s.fixed(s.m, v, rho), forge,
		solver.OverrideHint(hintID(slotLinkModHint), fieldQuotient(field))))

	// Or the attacker zeroes every inner sum of the batch (remainder 0, in
	// range; quotient computed in F_p), so that the batch sum is 0: the
	// inner quotients' range checks refuse it.
	off := tr.lay.innerOffset
	zeroInner := solver.OverrideHint(hintID(slotLinkModHint), func(_ *big.Int, in, out []*big.Int) error {
		if in[2].Sign() == 0 || in[4].Cmp(off) != 0 {
			return slotLinkModHint(field, in, out)
		}
		kR := int(in[2].Uint64())
		limbsOf(new(big.Int), int(in[1].Uint64()), field, out[:kR])
		q := new(big.Int).ModInverse(in[0], field)
		q.Mul(q, in[5]).Add(q, off).Mod(q, field)
		tmp := append(append([]*big.Int(nil), out[kR:]...), new(big.Int))
		limbsOf(q, int(in[1].Uint64()), field, tmp)
		return nil
	})
	notHintRefusal(t, solveFixed(t, ccs, s.fixed(s.m, v, rho), forge, zeroInner))
	// Control: the honest plaintext solves with the honest hints.
	if err := solveFixed(t, ccs, s.fixed(s.m, s.v, rho)); err != nil {
		t.Fatalf("honest plaintext: %v", err)
	}
}

// TestAttackWrappedRemainder: for one value changed, the attacker picks the
// remainder of ρ^N as r' = r + k·T with k ∈ F_p chosen so that the final
// identity holds in F_p with Q = 0 (a remainder that is congruent to ρ^N
// only modulo p, i.e. wraps), and q' = q - k. Every hint succeeds and every
// identity holds in F_p; the range checks on r' and q' refuse it. The same
// override with k = 0 is accepted (honest plaintext).
func TestAttackWrappedRemainder(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	ccs := s.compileFixed(t, 1)
	field := ecc.BN254.ScalarField()
	rho := randUint64(t, 1<<SlotLinkRhoBits)
	// attack returns the override that makes the final quotient q.
	attack := func(v []int64, finalQ *big.Int) solver.Option {
		tr := traceLink(s, s.m, v, rho, 1)
		lay := tr.lay
		A := lay.blocks
		target := new(big.Int).Mul(tr.pwS[A-1], tr.pwS[1]) // x of the ρ^N reduction
		// (r + kT + 1)·RHS - N·LHS ≡ Q·T (mod p): k = (Q·T - X)/(T·RHS).
		k := new(big.Int).Mul(tr.t, tr.rhs)
		k.ModInverse(k.Mod(k, field), field)
		k.Mul(k, new(big.Int).Sub(new(big.Int).Mul(finalQ, tr.t), tr.final())).Mod(k, field)
		return solver.OverrideHint(hintID(slotLinkModHint), func(_ *big.Int, in, out []*big.Int) error {
			if in[2].Sign() == 0 || in[5].Cmp(target) != 0 {
				return slotLinkModHint(field, in, out)
			}
			q, r := new(big.Int).DivMod(in[5], tr.t, new(big.Int))
			r.Add(r, new(big.Int).Mul(k, tr.t)).Mod(r, field)
			q.Sub(q, k).Mod(q, field)
			kR := int(in[2].Uint64())
			limbsOf(r, lay.round2.limbBits, field, out[:kR])
			tmp := append(append([]*big.Int(nil), out[kR:]...), new(big.Int))
			limbsOf(q, lay.round2.limbBits, field, tmp)
			return nil
		})
	}
	honestQ := new(big.Int).Div(traceLink(s, s.m, s.v, rho, 1).final(), new(big.Int).SetUint64(s.link.t))
	if err := solveFixed(t, ccs, s.fixed(s.m, s.v, rho), attack(s.v, honestQ)); err != nil {
		t.Fatalf("honest plaintext with the override (k = 0): %v", err)
	}
	v := changedValue(s.v, 17)
	notHintRefusal(t, solveFixed(t, ccs, s.fixed(s.m, v, rho), attack(v, new(big.Int))))
}

// slotLinkCost is the constraint count of one Assert of n slots, by where
// it goes; it omits each commitment's own few constraints.
type slotLinkCost struct {
	inverseProducts, inverseLookups int // w_i·d_i; limbs of w_i
	accumulation                    int // m_k·p_b, P_a·inner, v_i·w_i, final product
	powers                          int // ρ's limbs, its power chain and the final quotient
	batchProducts                   int // l_b·e_j, L_a·r_a and the λ power chains' products
	batchLookups                    int // round 3's limbs
	tables                          int // one constraint per table entry, plus the sum checks
}

func (lay slotLinkLayout) cost(n int) slotLinkCost {
	S, A := lay.split, lay.blocks
	r2 := lay.round2
	red := chainReductions(S, A)
	r := lay.reps
	S3, A3 := lay.batchSplit, lay.batchBlocks
	return slotLinkCost{
		inverseProducts: r * n,
		inverseLookups:  r * n * r2.remLimbs,
		accumulation:    r * (A*(S-1) + (A - 1) + n + 1),
		powers: r * (exactQueries(lay.rhoLimbs, r2.limbBits, SlotLinkRhoBits) +
			red*(1+r2.remLimbs+r2.powQuoLimbs) + lay.finQuoLimbs),
		// Per λ: every term but the A' with l_0 = 1, A'-1 outer products, the chain.
		batchProducts: 2 * (lay.terms - A3 + A3 - 1 + chainReductions(S3, A3)),
		batchLookups:  lay.round3Queries(),
		tables:        1<<r2.limbBits + 1 + 1<<lay.round3.limbBits + 1,
	}
}

func (c slotLinkCost) total() int {
	return c.inverseProducts + c.inverseLookups + c.accumulation + c.powers + c.batchProducts + c.batchLookups + c.tables
}

// TestSlotLinkCostModel: the cost breakdown reported for N = 16384 (see
// BenchmarkSlotLinkCompile) matches the compiled circuit up to the
// commitment's few constraints.
func TestSlotLinkCostModel(t *testing.T) {
	for _, n := range []int{64, 256} {
		s := newSlotLinkInstance(t, n)
		for _, reps := range []int{1, 2} {
			got := s.compileFixed(t, reps).GetNbConstraints()
			want := s.link.layout(reps).cost(n).total()
			if got < want || got > want+8 {
				t.Errorf("N=%d, %d repetitions: %d constraints, model %d", n, reps, got, want)
			}
		}
	}
}

// BenchmarkSlotLinkCompile compiles the link at N = 16384 with DXP's
// plaintext modulus and reports constraints per slot and repetition, with
// the breakdown. Run once: go test -run X -bench SlotLinkCompile -benchtime 1x.
func BenchmarkSlotLinkCompile(b *testing.B) {
	const n, dxpT = 1 << 14, 1125899908022273
	link, err := NewSlotLink(dxpT, slotRoots(b, dxpT, n))
	if err != nil {
		b.Fatal(err)
	}
	s := &slotLinkInstance{link: link}
	for _, reps := range []int{1, 2} {
		b.Run(map[int]string{1: "reps=1", 2: "reps=2"}[reps], func(b *testing.B) {
			var got int
			for range b.N {
				c := &slotLinkFixedCircuit{M: make([]frontend.Variable, n), V: make([]frontend.Variable, n), Rho: make([]frontend.Variable, reps), link: s.link}
				ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
				if err != nil {
					b.Fatal(err)
				}
				got = ccs.GetNbConstraints()
			}
			lay := link.layout(reps)
			c := lay.cost(n)
			per := func(x int) float64 { return float64(x) / float64(n*reps) }
			b.ReportMetric(per(got), "constraints/slot/rep")
			b.ReportMetric(per(c.inverseProducts), "inverse-products/slot/rep")
			b.ReportMetric(per(c.inverseLookups), "inverse-lookups/slot/rep")
			b.ReportMetric(per(c.accumulation), "accumulation/slot/rep")
			b.ReportMetric(per(c.powers), "powers/slot/rep")
			b.ReportMetric(per(c.batchProducts), "batch-products/slot/rep")
			b.ReportMetric(per(c.batchLookups), "batch-lookups/slot/rep")
			b.ReportMetric(per(c.tables), "tables/slot/rep")
			b.Logf("N=%d reps=%d: %d constraints (model %d), limbs of %d and %d bits", n, reps, got, c.total(), lay.round2.limbBits, lay.round3.limbBits)
		})
	}
}

// TestSlotLinkBounds: the parameter check refuses a field too small for
// the identities to lift to the integers, and Assert refuses bad shapes.
func TestSlotLinkBounds(t *testing.T) {
	s := newSlotLinkInstance(t, 64)
	lay := s.link.layout(2)
	if err := lay.checkBounds(ecc.BN254.ScalarField()); err != nil {
		t.Errorf("checkBounds(BN254) = %v, want nil", err)
	}
	if err := lay.checkBounds(new(big.Int).Lsh(big.NewInt(1), 160)); err == nil {
		t.Error("checkBounds(2^160) = nil, want an error: the final identity exceeds 2^180")
	}
	n := s.link.n
	for name, c := range map[string]*slotLinkFixedCircuit{
		"short m":   {M: make([]frontend.Variable, n-1), V: make([]frontend.Variable, n), Rho: make([]frontend.Variable, 1), link: s.link},
		"short v":   {M: make([]frontend.Variable, n), V: make([]frontend.Variable, n+1), Rho: make([]frontend.Variable, 1), link: s.link},
		"no points": {M: make([]frontend.Variable, n), V: make([]frontend.Variable, n), link: s.link},
	} {
		if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c); err == nil {
			t.Errorf("Compile(%s) = nil error, want one", name)
		}
	}
}
