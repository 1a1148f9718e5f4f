package circuits

import (
	"crypto/rand"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// DXP's BGV plaintext modulus and lattigo's default noise bound (6σ, σ = 3.2).
const (
	testT          = 1125899908022273
	testNoiseBound = 19
)

// encInstance is an honest encryption built with math/big: random pk and
// secret, c = p·u + e (+ [T^-1·m]_Q) modulo (Q, X^N+1), Q the product of the
// group moduli.
type encInstance struct {
	lay   EncryptionLayout
	polys []GroupPolys
	w     EncryptionWitness
}

func randBelow(t testing.TB, q *big.Int) *big.Int {
	v, err := rand.Int(rand.Reader, q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func randSmall(t testing.TB, b int64) int64 {
	return randBelow(t, big.NewInt(2*b+1)).Int64() - b
}

// testModulus returns a random odd modulus of the given bit length coprime to T.
func testModulus(t testing.TB, bits int) *big.Int {
	for {
		q := randBelow(t, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
		q.SetBit(q, bits-1, 1).SetBit(q, 0, 1)
		if new(big.Int).Mod(q, big.NewInt(testT)).Sign() != 0 {
			return q
		}
	}
}

// negacyclicMul returns a·b modulo (q, X^N+1), schoolbook.
func negacyclicMul(a []*big.Int, b []int64, q *big.Int) []*big.Int {
	n := len(a)
	out := make([]*big.Int, n)
	for i := range out {
		out[i] = new(big.Int)
	}
	t := new(big.Int)
	for i := range n {
		for j := range n {
			t.Mul(a[i], big.NewInt(b[j]))
			if k := i + j; k < n {
				out[k].Add(out[k], t)
			} else {
				out[k-n].Sub(out[k-n], t)
			}
		}
	}
	for i := range out {
		out[i].Mod(out[i], q)
	}
	return out
}

func newEncInstance(t testing.TB, n int, bits []int, message bool) encInstance {
	t.Helper()
	moduli := make([]*big.Int, len(bits))
	qLevel := big.NewInt(1)
	for g, b := range bits {
		moduli[g] = testModulus(t, b)
		qLevel.Mul(qLevel, moduli[g])
	}
	lay, err := NewEncryptionLayout(n, moduli, testT, testNoiseBound, message)
	if err != nil {
		t.Fatalf("NewEncryptionLayout: %v", err)
	}
	w := EncryptionWitness{U: make([]int64, n), E0: make([]int64, n), E1: make([]int64, n)}
	if message {
		w.M = make([]uint64, n)
	}
	p0, p1 := make([]*big.Int, n), make([]*big.Int, n)
	for i := range n {
		w.U[i] = randSmall(t, 1)
		w.E0[i], w.E1[i] = randSmall(t, testNoiseBound), randSmall(t, testNoiseBound)
		if message {
			w.M[i] = randBelow(t, big.NewInt(testT)).Uint64()
		}
		p0[i], p1[i] = randBelow(t, qLevel), randBelow(t, qLevel)
	}
	c0, c1 := encrypt(lay, qLevel, p0, p1, w)
	return encInstance{lay: lay, polys: groupPolys(t, lay, c0, c1, p0, p1), w: w}
}

// encrypt computes c0 = p0·u + e0 + [T^-1·m]_Q, c1 = p1·u + e1 mod (Q, X^N+1).
func encrypt(lay EncryptionLayout, q *big.Int, p0, p1 []*big.Int, w EncryptionWitness) (c0, c1 []*big.Int) {
	tInv := new(big.Int).ModInverse(new(big.Int).SetUint64(lay.T), q)
	c0, c1 = negacyclicMul(p0, w.U, q), negacyclicMul(p1, w.U, q)
	for i := range c0 {
		c0[i].Add(c0[i], big.NewInt(w.E0[i]))
		if w.M != nil {
			c0[i].Add(c0[i], new(big.Int).Mul(tInv, new(big.Int).SetUint64(w.M[i])))
		}
		c0[i].Mod(c0[i], q)
		c1[i].Add(c1[i], big.NewInt(w.E1[i])).Mod(c1[i], q)
	}
	return c0, c1
}

// groupPolys reduces level polynomials into each group and scales them by T.
func groupPolys(t testing.TB, lay EncryptionLayout, c0, c1, p0, p1 []*big.Int) []GroupPolys {
	out := make([]GroupPolys, lay.Groups())
	for g, q := range lay.Moduli {
		scale := func(x []*big.Int) []*big.Int {
			r := make([]*big.Int, len(x))
			for i, v := range x {
				r[i] = new(big.Int).Mod(v, q)
			}
			s, err := lay.ScaleByT(g, r)
			if err != nil {
				t.Fatalf("ScaleByT: %v", err)
			}
			return s
		}
		out[g] = GroupPolys{C0: scale(c0), C1: scale(c1), P0: scale(p0), P1: scale(p1)}
	}
	return out
}

func TestNegacyclicProductMatchesSchoolbook(t *testing.T) {
	const n = 32
	q := testModulus(t, 230)
	u := make([]int64, n)
	p := make([]*big.Int, n)
	for i := range n {
		u[i], p[i] = randSmall(t, 1), randBelow(t, q)
	}
	low, high := newNegacyclicProduct(n, u).times(p)
	// Full product over Z, schoolbook.
	full := make([]*big.Int, 2*n-1)
	for i := range full {
		full[i] = new(big.Int)
	}
	for i := range n {
		for j := range n {
			full[i+j].Add(full[i+j], new(big.Int).Mul(p[i], big.NewInt(u[j])))
		}
	}
	for i := range n {
		if low[i].Cmp(full[i]) != 0 {
			t.Fatalf("low[%d] = %v, want %v", i, low[i], full[i])
		}
	}
	for i := range n - 1 {
		if high[i].Cmp(full[n+i]) != 0 {
			t.Fatalf("high[%d] = %v, want %v", i, high[i], full[n+i])
		}
	}
}

func TestNewEncryptionLayout(t *testing.T) {
	q := testModulus(t, 220)
	lay, err := NewEncryptionLayout(16384, []*big.Int{q, testModulus(t, 55)}, testT, testNoiseBound, true)
	if err != nil {
		t.Fatalf("NewEncryptionLayout(DXP's shape) = %v", err)
	}
	total := 0
	for _, w := range lay.MessageLimbs {
		total += w
	}
	if total != MessageBits {
		t.Errorf("message limbs %v sum to %d, want %d", lay.MessageLimbs, total, MessageBits)
	}
	if lay.QuotientBound != 8194 {
		t.Errorf("QuotientBound = %d, want 8194", lay.QuotientBound)
	}

	tooBig := new(big.Int).Lsh(big.NewInt(1), MaxModulusBits) // 2^236 itself
	tooBig.Add(tooBig, big.NewInt(1))
	tests := []struct {
		name    string
		n       int
		moduli  []*big.Int
		t       uint64
		message bool
		want    string
	}{
		{"n not a power of two", 48, []*big.Int{q}, testT, true, "power of two"},
		{"no groups", 64, nil, testT, true, "no CRT group"},
		{"modulus of 237 bits", 64, []*big.Int{tooBig}, testT, true, "must be in [2, 2^236)"},
		{"modulus sharing a factor with T", 64, []*big.Int{new(big.Int).Mul(q, big.NewInt(testT))}, testT, true, "must be in"},
		{"modulus a multiple of T", 64, []*big.Int{big.NewInt(3 * testT)}, testT, true, "not coprime"},
		{"T above the message bound", 64, []*big.Int{q}, 1<<52 + 1, true, "above 2^51"},
		{"modulus below T·(B_e+1)/2", 64, []*big.Int{big.NewInt(1<<53 + 1)}, testT, true, "honest quotients"},
		{"bound fails at large N", 1 << 17, []*big.Int{testModulus(t, 236)}, testT, true, "4·Fmax >= p"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEncryptionLayout(tc.n, tc.moduli, tc.t, testNoiseBound, tc.message)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewEncryptionLayout() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewAssignmentRefuses(t *testing.T) {
	inst := newEncInstance(t, 16, []int{200}, true)
	binding := fr.NewElement(7)
	if _, err := inst.lay.NewAssignment(inst.polys, inst.w, binding); err != nil {
		t.Fatalf("NewAssignment(honest) = %v", err)
	}
	clone := func() (EncryptionWitness, []GroupPolys) {
		w := EncryptionWitness{U: append([]int64(nil), inst.w.U...), E0: append([]int64(nil), inst.w.E0...),
			E1: append([]int64(nil), inst.w.E1...), M: append([]uint64(nil), inst.w.M...)}
		polys := make([]GroupPolys, len(inst.polys))
		for g, p := range inst.polys {
			cp := func(x []*big.Int) []*big.Int {
				r := make([]*big.Int, len(x))
				for i, v := range x {
					r[i] = new(big.Int).Set(v)
				}
				return r
			}
			polys[g] = GroupPolys{C0: cp(p.C0), C1: cp(p.C1), P0: cp(p.P0), P1: cp(p.P1)}
		}
		return w, polys
	}
	tests := []struct {
		name   string
		modify func(*EncryptionWitness, []GroupPolys)
		want   string
	}{
		{"u = 2", func(w *EncryptionWitness, _ []GroupPolys) { w.U[3] = 2 }, "u[3] is not in"},
		{"e0 above B_e", func(w *EncryptionWitness, _ []GroupPolys) { w.E0[5] = testNoiseBound + 1 }, "e0[5] is outside"},
		{"e1 below -B_e", func(w *EncryptionWitness, _ []GroupPolys) { w.E1[0] = -testNoiseBound - 1 }, "e1[0] is outside"},
		{"m of 51 bits", func(w *EncryptionWitness, _ []GroupPolys) { w.M[1] = 1 << MessageBits }, "m[1] is not below"},
		{"c1 changed", func(_ *EncryptionWitness, p []GroupPolys) {
			p[0].C1[4].Add(p[0].C1[4], big.NewInt(1)).Mod(p[0].C1[4], inst.lay.Moduli[0])
		}, "component 1 is not an encryption"},
		{"c0 changed", func(_ *EncryptionWitness, p []GroupPolys) {
			p[0].C0[0].Add(p[0].C0[0], big.NewInt(testT)).Mod(p[0].C0[0], inst.lay.Moduli[0])
		}, "component 0 is not an encryption"},
		{"other message", func(w *EncryptionWitness, _ []GroupPolys) { w.M[2] ^= 1 }, "component 0 is not an encryption"},
		{"no message", func(w *EncryptionWitness, _ []GroupPolys) { w.M = nil }, "witness has none"},
		{"coefficient not reduced", func(_ *EncryptionWitness, p []GroupPolys) { p[0].P0[0].Add(p[0].P0[0], inst.lay.Moduli[0]) }, "not in [0, Q_g)"},
		{"short u", func(w *EncryptionWitness, _ []GroupPolys) { w.U = w.U[1:] }, "need 16 coefficients"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, polys := clone()
			tc.modify(&w, polys)
			_, err := inst.lay.NewAssignment(polys, w, binding)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewAssignment() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// gammaRecorder records the γ the circuit sees, through a hint.
var gammaRecorder = struct {
	sync.Mutex
	last *big.Int
}{}

func recordGammaHint(_ *big.Int, in, out []*big.Int) error {
	gammaRecorder.Lock()
	defer gammaRecorder.Unlock()
	gammaRecorder.last = new(big.Int).Set(in[0])
	out[0].Set(in[0])
	return nil
}

func init() { solver.RegisterHint(recordGammaHint) }

// recordingEncryption is the encryption circuit with γ recorded.
type recordingEncryption struct{ Encryption }

func (c *recordingEncryption) Define(api frontend.API) error {
	return c.Encryption.DefineWith(api, recordGamma)
}

func recordGamma(api frontend.API, gamma frontend.Variable) error {
	_, err := api.Compiler().NewHint(recordGammaHint, 1, gamma)
	return err
}

// solveTwice runs gnark's test engine on an assignment the way the prover
// does: a first pass with zero evaluations reveals γ (the engine's
// commitment is a hash of the committed values, no mask), the second uses
// the true evaluations at γ.
func solveTwice(t *testing.T, lay EncryptionLayout, a *Encryption, polys []GroupPolys) error {
	t.Helper()
	circuit := &recordingEncryption{Encryption: *lay.NewCircuit()}
	assignment := &recordingEncryption{Encryption: *a}
	gammaRecorder.Lock()
	gammaRecorder.last = nil
	gammaRecorder.Unlock()
	_ = test.IsSolved(circuit, assignment, ecc.BN254.ScalarField()) // fails: placeholder evaluations
	gammaRecorder.Lock()
	last := gammaRecorder.last
	gammaRecorder.Unlock()
	if last == nil {
		t.Fatal("the first pass did not reach the commitment")
	}
	var gamma fr.Element
	gamma.SetBigInt(last)
	ev, err := lay.Evaluate(polys, gamma)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if err := assignment.SetEvaluations(ev); err != nil {
		t.Fatal(err)
	}
	return test.IsSolved(circuit, assignment, ecc.BN254.ScalarField())
}

func TestEncryptionSolves(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bits    []int
		message bool
	}{{"one group with message", []int{220}, true}, {"two groups without message", []int{200, 55}, false}} {
		t.Run(tc.name, func(t *testing.T) {
			inst := newEncInstance(t, 16, tc.bits, tc.message)
			a, err := inst.lay.NewAssignment(inst.polys, inst.w, fr.NewElement(42))
			if err != nil {
				t.Fatalf("NewAssignment: %v", err)
			}
			if err := solveTwice(t, inst.lay, a, inst.polys); err != nil {
				t.Fatalf("honest assignment not solved: %v", err)
			}
		})
	}
}

// TestEncryptionRejects forces assignments the native builder refuses and
// checks that the constraints reject them too.
func TestEncryptionRejects(t *testing.T) {
	inst := newEncInstance(t, 16, []int{220}, true)
	q := inst.lay.Moduli[0]
	tests := []struct {
		name   string
		modify func(a *Encryption, polys []GroupPolys)
	}{
		{"changed c1 coefficient", func(_ *Encryption, p []GroupPolys) {
			p[0].C1[2] = new(big.Int).Mod(new(big.Int).Add(p[0].C1[2], big.NewInt(1)), q)
		}},
		{"r1 off by one", func(a *Encryption, _ []GroupPolys) {
			a.Quotients[0].R1[0][1] = new(big.Int).Add(a.Quotients[0].R1[0][1].(*big.Int), big.NewInt(1))
		}},
		{"r2 off by one", func(a *Encryption, _ []GroupPolys) {
			a.Quotients[0].R2[1][0] = new(big.Int).Add(a.Quotients[0].R2[1][0].(*big.Int), big.NewInt(1))
		}},
		{"u = 2", func(a *Encryption, _ []GroupPolys) { a.U[0] = 2 }},
		{"message limb out of range", func(a *Encryption, _ []GroupPolys) {
			a.MessageLimbs[0] = uint64(1) << inst.lay.MessageLimbs[0]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			polys := make([]GroupPolys, 1)
			polys[0] = inst.polys[0]
			polys[0].C1 = append([]*big.Int(nil), inst.polys[0].C1...)
			a, err := inst.lay.NewAssignment(inst.polys, inst.w, fr.NewElement(42))
			if err != nil {
				t.Fatal(err)
			}
			tc.modify(a, polys)
			if err := solveTwice(t, inst.lay, a, polys); err == nil {
				t.Fatal("forced assignment solved, want a failure")
			}
		})
	}
}

// TestNewAssignmentExtremeQuotients builds the honest witnesses with the
// largest quotients r1 (every centred p' coefficient ±(Q-1)/2, u all 1 or
// all -1, e and m at their bounds) at DXP's smallest group, q4 (54 bits),
// and at the smallest modulus the layout accepts, T·(B_e+1)/2 + 1, where
// |r1| reaches N/2+2: the builder must accept them, so the bound R = N/2+2
// is complete.
func TestNewAssignmentExtremeQuotients(t *testing.T) {
	q4, _ := new(big.Int).SetString("18014398510661633", 10)
	smallest := new(big.Int).SetUint64(testT*(testNoiseBound+1)/2 + 1) // 10·T + 1: odd, coprime to T
	for _, q := range []*big.Int{q4, smallest} {
		t.Run(q.String(), func(t *testing.T) { extremeQuotients(t, q) })
	}
}

func extremeQuotients(t *testing.T, q4 *big.Int) {
	const n = 16
	lay, err := NewEncryptionLayout(n, []*big.Int{q4}, testT, testNoiseBound, true)
	if err != nil {
		t.Fatal(err)
	}
	maxR1 := int64(0)
	defer func() {
		if maxR1 > int64(lay.QuotientBound) {
			t.Errorf("max |r1| = %d, above the bound %d", maxR1, lay.QuotientBound)
		}
		t.Logf("max |r1| = %d (bound %d)", maxR1, lay.QuotientBound)
	}()
	half := new(big.Int).Rsh(new(big.Int).Sub(q4, big.NewInt(1)), 1)
	for _, tc := range []struct {
		name string
		p    *big.Int // every coefficient of p0', p1'
		u, e int64
		m    uint64
	}{
		{"+half, u = 1, e = +B", half, 1, testNoiseBound, testT - 1},
		{"-half, u = 1, e = -B", new(big.Int).Add(half, big.NewInt(1)), 1, -testNoiseBound, 0},
		{"+half, u = -1, e = -B", half, -1, -testNoiseBound, 0},
		{"-half, u = -1, e = +B", new(big.Int).Add(half, big.NewInt(1)), -1, testNoiseBound, testT - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := EncryptionWitness{U: make([]int64, n), E0: make([]int64, n), E1: make([]int64, n), M: make([]uint64, n)}
			p := make([]*big.Int, n)
			for i := range n {
				w.U[i], w.E0[i], w.E1[i], w.M[i] = tc.u, tc.e, tc.e, tc.m
				p[i] = tc.p
			}
			c0, c1 := negacyclicMul(p, w.U, q4), negacyclicMul(p, w.U, q4)
			for i := range n {
				c0[i].Add(c0[i], big.NewInt(testT*tc.e)).Add(c0[i], new(big.Int).SetUint64(tc.m)).Mod(c0[i], q4)
				c1[i].Add(c1[i], big.NewInt(testT*tc.e)).Mod(c1[i], q4)
			}
			polys := []GroupPolys{{C0: c0, C1: c1, P0: p, P1: p}}
			a, err := lay.NewAssignment(polys, w, fr.NewElement(1))
			if err != nil {
				t.Fatalf("NewAssignment = %v", err)
			}
			for _, r1 := range a.Quotients[0].R1 {
				for _, v := range r1 {
					if x := new(big.Int).Abs(v.(*big.Int)); x.Int64() > maxR1 {
						maxR1 = x.Int64()
					}
				}
			}
			if err := solveTwice(t, lay, a, polys); err != nil {
				t.Fatalf("extreme honest assignment not solved: %v", err)
			}
		})
	}
}

func TestEvaluateCentred(t *testing.T) {
	q := testModulus(t, 220)
	x := make([]*big.Int, 64)
	for i := range x {
		x[i] = randBelow(t, q)
	}
	var gamma fr.Element
	if _, err := gamma.SetRandom(); err != nil {
		t.Fatal(err)
	}
	got := evaluateCentred(x, q, gamma)
	// Σ x̃_i·γ^i with math/big.
	g := gamma.BigInt(new(big.Int))
	want, pow := new(big.Int), big.NewInt(1)
	half := new(big.Int).Rsh(new(big.Int).Sub(q, big.NewInt(1)), 1)
	for _, v := range x {
		c := new(big.Int).Set(v)
		if c.Cmp(half) > 0 {
			c.Sub(c, q)
		}
		want.Add(want, new(big.Int).Mul(c, pow))
		pow.Mul(pow, g).Mod(pow, fr.Modulus())
	}
	want.Mod(want, fr.Modulus())
	if gotBig := got.BigInt(new(big.Int)); gotBig.Cmp(want) != 0 {
		t.Fatalf("evaluateCentred = %v, want %v", gotBig, want)
	}
}
