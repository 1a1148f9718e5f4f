package zk

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/dxplabs/dxp/circuits"
)

// The encryption tests use N = 64, DXP's T and lattigo's noise bound, and
// random group moduli of DXP's sizes (220 bits for q0..q3, 55 for q4).
const (
	testEncN          = 64
	testEncT          = 1125899908022273
	testEncNoiseBound = 19
)

type encFixture struct {
	lay    circuits.EncryptionLayout
	qLevel *big.Int // product of the group moduli
	vk     []byte
	prover *EncryptionProver
}

var encFixtures = struct {
	sync.Mutex
	m map[string]*encFixture
}{m: map[string]*encFixture{}}

// recordingEncryption is the encryption circuit that records the γ it sees.
type recordingEncryption struct{ circuits.Encryption }

func (c *recordingEncryption) Define(api frontend.API) error {
	return c.Encryption.DefineWith(api, func(api frontend.API, gamma frontend.Variable) error {
		_, err := api.Compiler().NewHint(recordGammaHint, 1, gamma)
		return err
	})
}

var recordedGamma = struct {
	sync.Mutex
	last *big.Int
}{}

func recordGammaHint(_ *big.Int, in, out []*big.Int) error {
	recordedGamma.Lock()
	defer recordedGamma.Unlock()
	recordedGamma.last = new(big.Int).Set(in[0])
	out[0].Set(in[0])
	return nil
}

func init() { solver.RegisterHint(recordGammaHint) }

// encSetup returns a cached insecure setup of a test encryption layout:
// groups gives the bit sizes of the moduli; recording compiles the circuit
// that records γ instead of the plain one.
func encSetup(t testing.TB, name string, groups []int, message, recording bool) *encFixture {
	t.Helper()
	encFixtures.Lock()
	defer encFixtures.Unlock()
	if f, ok := encFixtures.m[name]; ok {
		return f
	}
	moduli := make([]*big.Int, len(groups))
	qLevel := big.NewInt(1)
	for g, b := range groups {
		moduli[g] = testEncModulus(t, b)
		qLevel.Mul(qLevel, moduli[g])
	}
	lay, err := circuits.NewEncryptionLayout(testEncN, moduli, testEncT, testEncNoiseBound, message)
	if err != nil {
		t.Fatalf("NewEncryptionLayout: %v", err)
	}
	f := &encFixture{lay: lay, qLevel: qLevel}
	if !recording {
		pk, vk, err := SetupEncryptionInsecure(lay)
		if err != nil {
			t.Fatalf("SetupEncryptionInsecure: %v", err)
		}
		if f.prover, err = NewEncryptionProver(lay, pk); err != nil {
			t.Fatalf("NewEncryptionProver: %v", err)
		}
		f.vk = vk
	} else {
		circuit := &recordingEncryption{Encryption: *lay.NewCircuit()}
		ccs, err := compileEncryption(circuit)
		if err != nil {
			t.Fatal(err)
		}
		gpk, gvk, err := groth16.Setup(ccs)
		if err != nil {
			t.Fatal(err)
		}
		pk, vk, err := writeKeys(gpk, gvk)
		if err != nil {
			t.Fatal(err)
		}
		if f.prover, err = newEncryptionProver(lay, circuit, pk); err != nil {
			t.Fatal(err)
		}
		f.prover.wrap = func(a *circuits.Encryption) frontend.Circuit { return &recordingEncryption{Encryption: *a} }
		f.vk = vk
	}
	encFixtures.m[name] = f
	return f
}

func randBig(t testing.TB, q *big.Int) *big.Int {
	v, err := rand.Int(rand.Reader, q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func randSigned(t testing.TB, b int64) int64 { return randBig(t, big.NewInt(2*b+1)).Int64() - b }

func testEncModulus(t testing.TB, bits int) *big.Int {
	for {
		q := randBig(t, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
		q.SetBit(q, bits-1, 1).SetBit(q, 0, 1)
		if new(big.Int).Mod(q, big.NewInt(testEncT)).Sign() != 0 {
			return q
		}
	}
}

// encCase is one ciphertext at the level: level polynomials (mod qLevel)
// and the secret.
type encCase struct {
	c0, c1, p0, p1 []*big.Int
	u, e0, e1      []int64
	m              []uint64
}

func (f *encFixture) randomKey(t testing.TB) (p0, p1 []*big.Int) {
	p0, p1 = make([]*big.Int, testEncN), make([]*big.Int, testEncN)
	for i := range testEncN {
		p0[i], p1[i] = randBig(t, f.qLevel), randBig(t, f.qLevel)
	}
	return p0, p1
}

// honest returns a fresh encryption of random values under a random key.
func (f *encFixture) honest(t testing.TB) encCase {
	p0, p1 := f.randomKey(t)
	return f.encryptUnder(t, p0, p1)
}

func (f *encFixture) encryptUnder(t testing.TB, p0, p1 []*big.Int) encCase {
	n := testEncN
	ec := encCase{p0: p0, p1: p1, u: make([]int64, n), e0: make([]int64, n), e1: make([]int64, n)}
	if f.lay.Message {
		ec.m = make([]uint64, n)
	}
	for i := range n {
		ec.u[i] = randSigned(t, 1)
		ec.e0[i], ec.e1[i] = randSigned(t, testEncNoiseBound), randSigned(t, testEncNoiseBound)
		if ec.m != nil {
			ec.m[i] = randBig(t, big.NewInt(testEncT)).Uint64()
		}
	}
	ec.c0, ec.c1 = f.encrypt(ec)
	return ec
}

// encrypt computes c0 = p0·u + e0 + [T^-1·m]_Q, c1 = p1·u + e1 mod (Q, X^N+1)
// for any (even out-of-bounds) u, e.
func (f *encFixture) encrypt(ec encCase) (c0, c1 []*big.Int) {
	q := f.qLevel
	tInv := new(big.Int).ModInverse(big.NewInt(testEncT), q)
	c0, c1 = schoolbookMod(ec.p0, ec.u, q), schoolbookMod(ec.p1, ec.u, q)
	for i := range c0 {
		c0[i].Add(c0[i], big.NewInt(ec.e0[i]))
		if ec.m != nil {
			c0[i].Add(c0[i], new(big.Int).Mul(tInv, new(big.Int).SetUint64(ec.m[i])))
		}
		c0[i].Mod(c0[i], q)
		c1[i].Add(c1[i], big.NewInt(ec.e1[i])).Mod(c1[i], q)
	}
	return c0, c1
}

// schoolbookMod returns a·u modulo (q, X^N+1).
func schoolbookMod(a []*big.Int, u []int64, q *big.Int) []*big.Int {
	full := fullProduct(a, u)
	n := len(a)
	out := make([]*big.Int, n)
	for i := range n {
		out[i] = new(big.Int).Set(full[i])
		if i < n-1 {
			out[i].Sub(out[i], full[n+i])
		}
		out[i].Mod(out[i], q)
	}
	return out
}

// fullProduct returns a·u over Z (2N-1 coefficients).
func fullProduct(a []*big.Int, u []int64) []*big.Int {
	n := len(a)
	full := make([]*big.Int, 2*n-1)
	for i := range full {
		full[i] = new(big.Int)
	}
	t := new(big.Int)
	for i := range n {
		for j := range n {
			full[i+j].Add(full[i+j], t.Mul(a[i], big.NewInt(u[j])))
		}
	}
	return full
}

// polys returns the T-scaled group polynomials of ec.
func (f *encFixture) polys(t testing.TB, ec encCase) []circuits.GroupPolys {
	out := make([]circuits.GroupPolys, f.lay.Groups())
	for g, q := range f.lay.Moduli {
		scale := func(x []*big.Int) []*big.Int {
			r := make([]*big.Int, len(x))
			for i, v := range x {
				r[i] = new(big.Int).Mod(v, q)
			}
			s, err := f.lay.ScaleByT(g, r)
			if err != nil {
				t.Fatalf("ScaleByT: %v", err)
			}
			return s
		}
		out[g] = circuits.GroupPolys{C0: scale(ec.c0), C1: scale(ec.c1), P0: scale(ec.p0), P1: scale(ec.p1)}
	}
	return out
}

func (ec encCase) witness() circuits.EncryptionWitness {
	return circuits.EncryptionWitness{U: ec.u, E0: ec.e0, E1: ec.e1, M: ec.m}
}

func ciphertextBytes(ec encCase) []byte {
	var b bytes.Buffer
	for _, x := range [][]*big.Int{ec.c0, ec.c1} {
		for _, v := range x {
			var buf [48]byte
			b.Write(v.FillBytes(buf[:]))
		}
	}
	return b.Bytes()
}

func keyDigest(ec encCase) []byte {
	var b bytes.Buffer
	for _, x := range [][]*big.Int{ec.p0, ec.p1} {
		for _, v := range x {
			var buf [48]byte
			b.Write(v.FillBytes(buf[:]))
		}
	}
	return b.Bytes()
}

func bindingOf(ec encCase) fr.Element {
	return Binding(keyDigest(ec), 3, sha256.Sum256(ciphertextBytes(ec)), nil)
}

// forced builds the assignment an attacker would for polys and any secret
// (u, e0, e1 as big integers, m as limbs), skipping every bound check: r2 is
// the high half of p'·u (p' centred, as the relation uses it), and r1 the exact quotient by Q_g when it exists,
// otherwise the field quotient (which makes each identity hold over F_p,
// leaving only r1's range check to catch it).
func (f *encFixture) forced(polys []circuits.GroupPolys, u, e0, e1 []*big.Int, m []uint64, binding fr.Element) *circuits.Encryption {
	lay, n := f.lay, testEncN
	a := lay.NewCircuit()
	a.Binding = binding
	for i := range n {
		a.U[i], a.E0[i], a.E1[i] = u[i], e0[i], e1[i]
	}
	limbs := len(lay.MessageLimbs)
	for i := 0; m != nil && i < n; i++ {
		v := m[i]
		for j, w := range lay.MessageLimbs {
			a.MessageLimbs[i*limbs+j] = v & (1<<w - 1)
			v >>= w
		}
	}
	for g := range a.Evaluations {
		a.Evaluations[g] = circuits.EncryptionEvaluations{C0Gamma: 0, C1Gamma: 0, P0Gamma: 0, P1Gamma: 0}
	}
	t := big.NewInt(testEncT)
	for g, p := range polys {
		q := lay.Moduli[g]
		qInv := new(big.Int).ModInverse(q, fr.Modulus())
		cs := [2][]*big.Int{centre(p.C0, q), centre(p.C1, q)}
		ps := [2][]*big.Int{centre(p.P0, q), centre(p.P1, q)}
		es := [2][]*big.Int{e0, e1}
		for k := range 2 {
			full := bigFullProduct(ps[k], u)
			for i := range n {
				num := new(big.Int).Set(full[i])
				if i < n-1 {
					num.Sub(num, full[n+i])
				}
				num.Add(num, new(big.Int).Mul(t, es[k][i]))
				if k == 0 && m != nil {
					num.Add(num, new(big.Int).SetUint64(m[i]))
				}
				num.Sub(num, cs[k][i])
				r1, rem := new(big.Int).QuoRem(num, q, new(big.Int))
				if rem.Sign() != 0 {
					r1.Mul(num, qInv).Mod(r1, fr.Modulus())
				}
				a.Quotients[g].R1[k][i] = r1
			}
			for i := range n - 1 {
				a.Quotients[g].R2[k][i] = full[n+i]
			}
		}
	}
	return a
}

// centre maps x ∈ [0, q) to (-q/2, q/2], as the relation does.
func centre(x []*big.Int, q *big.Int) []*big.Int {
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

func bigFullProduct(a, u []*big.Int) []*big.Int {
	n := len(a)
	full := make([]*big.Int, 2*n-1)
	for i := range full {
		full[i] = new(big.Int)
	}
	for i := range n {
		for j := range n {
			full[i+j].Add(full[i+j], new(big.Int).Mul(a[i], u[j]))
		}
	}
	return full
}

func bigs(x []int64) []*big.Int {
	out := make([]*big.Int, len(x))
	for i, v := range x {
		out[i] = big.NewInt(v)
	}
	return out
}

// TestForcedHonestAssignmentProves is the control of the attack tests: the
// attacker's assignment builder, given an honest secret, builds an
// assignment that proves and verifies, so their failures come from the
// attacks, not from the builder.
func TestForcedHonestAssignmentProves(t *testing.T) {
	f := encSetup(t, "one group with message", []int{220}, true, false)
	ec := f.honest(t)
	polys, binding := f.polys(t, ec), bindingOf(ec)
	a := f.forced(polys, bigs(ec.u), bigs(ec.e0), bigs(ec.e1), ec.m, binding)
	ep, err := f.prover.proveAssignment(a, polys)
	if err != nil {
		t.Fatalf("proveAssignment(forced honest) = %v", err)
	}
	if err := VerifyEncryption(f.vk, f.lay, polys, binding, ep.Proof); err != nil {
		t.Fatalf("VerifyEncryption(forced honest) = %v", err)
	}
}

func TestEncryptionProveVerify(t *testing.T) {
	for _, tc := range []struct {
		name    string
		groups  []int
		message bool
	}{{"one group with message", []int{220}, true}, {"two groups without message", []int{220, 55}, false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := encSetup(t, tc.name, tc.groups, tc.message, false)
			ec := f.honest(t)
			polys, binding := f.polys(t, ec), bindingOf(ec)
			ep, err := f.prover.Prove(polys, ec.witness(), binding)
			if err != nil {
				t.Fatalf("Prove: %v", err)
			}
			if err := VerifyEncryption(f.vk, f.lay, polys, binding, ep.Proof); err != nil {
				t.Fatalf("VerifyEncryption(honest) = %v", err)
			}
			gamma, err := EncryptionChallenge(ep.Proof, binding)
			if err != nil {
				t.Fatal(err)
			}
			if !gamma.Equal(&ep.Challenge) {
				t.Errorf("EncryptionChallenge = %s, the prover's γ = %s", gamma.String(), ep.Challenge.String())
			}
		})
	}
}

// TestEncryptionChallengeIsCircuitGamma checks that the γ the verifier
// recomputes natively is the γ the circuit used.
func TestEncryptionChallengeIsCircuitGamma(t *testing.T) {
	f := encSetup(t, "recording", []int{220}, true, true)
	ec := f.honest(t)
	polys, binding := f.polys(t, ec), bindingOf(ec)
	ep, err := f.prover.Prove(polys, ec.witness(), binding)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	recordedGamma.Lock()
	inCircuit := recordedGamma.last
	recordedGamma.Unlock()
	if inCircuit == nil {
		t.Fatal("the circuit did not record γ")
	}
	native, err := EncryptionChallenge(ep.Proof, binding)
	if err != nil {
		t.Fatal(err)
	}
	if got := native.BigInt(new(big.Int)); got.Cmp(inCircuit) != 0 {
		t.Fatalf("native γ = %v, in-circuit γ = %v", got, inCircuit)
	}
	if err := VerifyEncryption(f.vk, f.lay, polys, binding, ep.Proof); err != nil {
		t.Fatalf("VerifyEncryption = %v", err)
	}
}

func TestAttackChangedCiphertextCoefficient(t *testing.T) {
	f := encSetup(t, "one group with message", []int{220}, true, false)
	ec := f.honest(t)
	polys, binding := f.polys(t, ec), bindingOf(ec)
	ep, err := f.prover.Prove(polys, ec.witness(), binding)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}

	// The attacker adds 1 to one coefficient of c1 (level domain).
	bad := ec
	bad.c1 = append([]*big.Int(nil), ec.c1...)
	bad.c1[5] = new(big.Int).Add(ec.c1[5], big.NewInt(1))
	bad.c1[5].Mod(bad.c1[5], f.qLevel)
	badPolys := f.polys(t, bad)
	for _, b := range []struct {
		name    string
		binding fr.Element
	}{{"old binding", binding}, {"new binding", bindingOf(bad)}} {
		if err := VerifyEncryption(f.vk, f.lay, badPolys, b.binding, ep.Proof); !errors.Is(err, ErrInvalidEncryptionProof) {
			t.Errorf("VerifyEncryption(changed c1, %s) = %v, want ErrInvalidEncryptionProof", b.name, err)
		}
	}
	if _, err := f.prover.Prove(badPolys, ec.witness(), bindingOf(bad)); err == nil {
		t.Error("Prove(changed c1) succeeded, want the builder to refuse")
	}
	// Forced: the honest secret with the attacker's best quotients.
	a := f.forced(badPolys, bigs(ec.u), bigs(ec.e0), bigs(ec.e1), ec.m, bindingOf(bad))
	if _, err := f.prover.proveAssignment(a, badPolys); err == nil {
		t.Error("proving a forced assignment for the changed c1 succeeded")
	}
}

// TestAttackCraftedCiphertext is the key-extraction ciphertext of issue 15,
// (0, K·X^-j) with K = 2^180: no bounded witness exists, and each of the
// attacker's best attempts fails to prove.
func TestAttackCraftedCiphertext(t *testing.T) {
	f := encSetup(t, "one group with message", []int{220}, true, false)
	p0, p1 := f.randomKey(t)
	const j = 7
	k := new(big.Int).Lsh(big.NewInt(1), 180)
	n := testEncN
	crafted := encCase{p0: p0, p1: p1, c0: make([]*big.Int, n), c1: make([]*big.Int, n)}
	for i := range n {
		crafted.c0[i], crafted.c1[i] = new(big.Int), new(big.Int)
	}
	// X^-j = -X^(N-j) modulo X^N+1.
	crafted.c1[n-j].Sub(f.qLevel, k)
	polys, binding := f.polys(t, crafted), bindingOf(crafted)

	zeros := make([]int64, n)
	zerosM := make([]uint64, n)
	if _, err := f.prover.Prove(polys, circuits.EncryptionWitness{U: zeros, E0: zeros, E1: zeros, M: zerosM}, binding); err == nil {
		t.Fatal("Prove(crafted, zero secret) succeeded")
	}

	// Attempt 1: u = 0, e = 0; the quotient r1 is the field quotient, so
	// every identity holds over F_p and only r1's range check stands.
	// Attempt 2: u = 0, e1 = the whole (huge) difference: exact integer
	// quotients, only e1's range check stands.
	// Attempt 3: u = 0, e = 0, r1 rounded to an in-range integer: the
	// identity fails.
	e1Huge := bigs(zeros)
	e1Huge[n-j] = new(big.Int).Neg(k) // c1 = -K·X^(N-j) + (Q·1): the centred error
	attempt3 := f.forced(polys, bigs(zeros), bigs(zeros), bigs(zeros), zerosM, binding)
	for i := range n {
		attempt3.Quotients[0].R1[1][i] = 0
	}
	attempts := map[string]*circuits.Encryption{
		"field quotient":   f.forced(polys, bigs(zeros), bigs(zeros), bigs(zeros), zerosM, binding),
		"huge e1":          f.forced(polys, bigs(zeros), bigs(zeros), e1Huge, zerosM, binding),
		"rounded quotient": attempt3,
	}
	for name, a := range attempts {
		if _, err := f.prover.proveAssignment(a, polys); err == nil {
			t.Errorf("attempt %q proved the crafted ciphertext", name)
		}
	}

	// An honest proof replayed on the crafted ciphertext fails too.
	ec := f.encryptUnder(t, p0, p1)
	ep, err := f.prover.Prove(f.polys(t, ec), ec.witness(), bindingOf(ec))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []fr.Element{binding, bindingOf(ec)} {
		if err := VerifyEncryption(f.vk, f.lay, polys, b, ep.Proof); !errors.Is(err, ErrInvalidEncryptionProof) {
			t.Errorf("VerifyEncryption(crafted, honest proof) = %v, want ErrInvalidEncryptionProof", err)
		}
	}
}

func TestAttackReplayedProof(t *testing.T) {
	f := encSetup(t, "two groups without message", []int{220, 55}, false, false)
	ec := f.honest(t)
	polys, binding := f.polys(t, ec), bindingOf(ec)
	ep, err := f.prover.Prove(polys, ec.witness(), binding)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	if err := VerifyEncryption(f.vk, f.lay, polys, binding, ep.Proof); err != nil {
		t.Fatalf("VerifyEncryption(honest) = %v", err)
	}

	otherBinding := Binding(keyDigest(ec), 4, sha256.Sum256(ciphertextBytes(ec)), nil) // another level
	otherKey := ec
	otherKey.p0, otherKey.p1 = f.randomKey(t)
	otherCt := f.encryptUnder(t, ec.p0, ec.p1) // same key, another ciphertext
	cases := []struct {
		name    string
		polys   []circuits.GroupPolys
		binding fr.Element
	}{
		{"another binding", polys, otherBinding},
		{"another pk", f.polys(t, otherKey), binding},
		{"another pk and its binding", f.polys(t, otherKey), bindingOf(otherKey)},
		{"another ciphertext under the same pk", f.polys(t, otherCt), bindingOf(otherCt)},
	}
	for _, tc := range cases {
		if err := VerifyEncryption(f.vk, f.lay, tc.polys, tc.binding, ep.Proof); !errors.Is(err, ErrInvalidEncryptionProof) {
			t.Errorf("VerifyEncryption(%s) = %v, want ErrInvalidEncryptionProof", tc.name, err)
		}
	}

	// The groups' evaluations swapped, and one group's evaluations in both
	// places: the statement binds each evaluation to its group.
	key, err := parseVerifyingKeyOf(f.vk, 1+4*f.lay.Groups(), "encryption")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseEncryptionProof(ep.Proof)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyEvaluations(key, p, binding, ep.Evaluations); err != nil {
		t.Fatalf("verifyEvaluations(honest) = %v", err)
	}
	swapped := []circuits.EncryptionEvaluation{ep.Evaluations[1], ep.Evaluations[0]}
	doubled := []circuits.EncryptionEvaluation{ep.Evaluations[0], ep.Evaluations[0]}
	for name, ev := range map[string][]circuits.EncryptionEvaluation{"swapped": swapped, "doubled": doubled} {
		if err := verifyEvaluations(key, p, binding, ev); err == nil {
			t.Errorf("verifyEvaluations(%s groups) succeeded", name)
		}
	}
}

// TestAttackOutOfBoundsWitness encrypts with u or e outside their bounds
// (so that the relation itself holds exactly) and tries to prove it.
func TestAttackOutOfBoundsWitness(t *testing.T) {
	f := encSetup(t, "one group with message", []int{220}, true, false)
	for _, tc := range []struct {
		name   string
		modify func(*encCase)
	}{
		{"u = 2", func(ec *encCase) { ec.u[3] = 2 }},
		{"u = -2", func(ec *encCase) { ec.u[0] = -2 }},
		{"e0 = B_e+1", func(ec *encCase) { ec.e0[9] = testEncNoiseBound + 1 }},
		{"e1 = -B_e-1", func(ec *encCase) { ec.e1[63] = -testEncNoiseBound - 1 }},
		{"e1 = 2^40", func(ec *encCase) { ec.e1[1] = 1 << 40 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ec := f.honest(t)
			tc.modify(&ec)
			ec.c0, ec.c1 = f.encrypt(ec)
			polys, binding := f.polys(t, ec), bindingOf(ec)
			if _, err := f.prover.Prove(polys, ec.witness(), binding); err == nil {
				t.Fatal("Prove succeeded, want the builder to refuse")
			}
			a := f.forced(polys, bigs(ec.u), bigs(ec.e0), bigs(ec.e1), ec.m, binding)
			_, err := f.prover.proveAssignment(a, polys)
			if err == nil {
				t.Fatal("proving the forced assignment succeeded")
			}
			if !strings.Contains(err.Error(), "is not satisfied") || strings.ContainsAny(strings.TrimPrefix(err.Error(), "zk: prove encryption: constraint #"), "⋅=") {
				t.Errorf("proveAssignment error %q, want the unsatisfied constraint's number and no wire values", err)
			}
		})
	}
}

func TestVerifyEncryptionMalformed(t *testing.T) {
	f := encSetup(t, "one group with message", []int{220}, true, false)
	ec := f.honest(t)
	polys, binding := f.polys(t, ec), bindingOf(ec)
	ep, err := f.prover.Prove(polys, ec.witness(), binding)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyEncryption(f.vk, f.lay, polys, binding, ep.Proof[:len(ep.Proof)-1]); !errors.Is(err, ErrInvalidEncryptionProof) {
		t.Errorf("VerifyEncryption(truncated proof) = %v, want ErrInvalidEncryptionProof", err)
	}
	if err := VerifyEncryption(f.vk, f.lay, polys[:0], binding, ep.Proof); !errors.Is(err, ErrInvalidEncryptionProof) {
		t.Errorf("VerifyEncryption(no groups) = %v, want ErrInvalidEncryptionProof", err)
	}
	chunk := chunkSetup(t, "a")
	if err := VerifyEncryption(chunk.vk, f.lay, polys, binding, ep.Proof); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("VerifyEncryption(chunk key) = %v, want ErrInvalidKey", err)
	}
}

func TestBindingSeparatesInputs(t *testing.T) {
	digest := func(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }
	base := Binding([]byte("ab"), 3, digest("c"), nil)
	if again := Binding([]byte("ab"), 3, digest("c"), nil); !again.Equal(&base) {
		t.Fatal("Binding is not deterministic")
	}
	for name, other := range map[string]fr.Element{
		"bytes moved from key to digest": Binding([]byte("a"), 3, [sha256.Size]byte{'b'}, nil),
		"another level":                  Binding([]byte("ab"), 4, digest("c"), nil),
		"another key":                    Binding([]byte("ax"), 3, digest("c"), nil),
		"another ciphertext digest":      Binding([]byte("ab"), 3, digest("d"), nil),
		"another holder":                 Binding([]byte("ab"), 3, digest("c"), []byte("h")),
	} {
		if other.Equal(&base) {
			t.Errorf("Binding with %s equals the original", name)
		}
	}
}
