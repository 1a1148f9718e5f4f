package zk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"

	"github.com/dxplabs/dxp/circuits"
)

// The input tests use the encryption tests' shape (N = 64, DXP's T, two
// synthetic groups of 220 and 55 bits), a 16-bit column and the roots of
// X^N+1 mod T in a shuffled slot order.
const testInputWidth = 16

type inputFixture struct {
	enc    *encFixture // its lay and qLevel only: the ciphertext helpers
	lay    circuits.InputLayout
	psi    []uint64
	prover *InputProver
	pk, vk []byte
}

var inputFixtureOnce struct {
	sync.Once
	f   *inputFixture
	err error
}

func inputSetup(t testing.TB) *inputFixture {
	t.Helper()
	inputFixtureOnce.Do(func() {
		f, err := newInputFixture(t)
		inputFixtureOnce.f, inputFixtureOnce.err = f, err
	})
	if inputFixtureOnce.err != nil {
		t.Fatal(inputFixtureOnce.err)
	}
	return inputFixtureOnce.f
}

func newInputFixture(t testing.TB) (*inputFixture, error) {
	moduli := []*big.Int{testEncModulus(t, 220), testEncModulus(t, 55)}
	qLevel := new(big.Int).Mul(moduli[0], moduli[1])
	encLay, err := circuits.NewEncryptionLayout(testEncN, moduli, testEncT, testEncNoiseBound, true)
	if err != nil {
		return nil, err
	}
	psi := testSlotRoots(t, testEncT, testEncN)
	link, err := circuits.NewSlotLink(testEncT, psi)
	if err != nil {
		return nil, err
	}
	lay, err := circuits.NewInputLayout(testInputWidth, encLay, link)
	if err != nil {
		return nil, err
	}
	pk, vk, err := SetupInputInsecure(lay)
	if err != nil {
		return nil, err
	}
	prover, err := NewInputProver(lay, pk)
	if err != nil {
		return nil, err
	}
	return &inputFixture{enc: &encFixture{lay: encLay, qLevel: qLevel}, lay: lay, psi: psi, prover: prover, pk: pk, vk: vk}, nil
}

// TestNewInputProverRefuses: a proving key that is malformed or not the input circuit's is
// refused with ErrInvalidKey, although the key is decoded while the circuit compiles, before its
// sizes can be compared with the circuit's: a huge FFT domain is refused before anything is
// allocated by it (without that check the decoder panics making its tables).
func TestNewInputProverRefuses(t *testing.T) {
	f := inputSetup(t)
	for name, pk := range badInputKeys(t, f) {
		if _, err := NewInputProver(f.lay, pk); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: NewInputProver = %v, want ErrInvalidKey", name, err)
		}
	}
}

// badInputKeys are proving keys an input prover of f must refuse, by what is wrong with them.
func badInputKeys(t *testing.T, f *inputFixture) map[string][]byte {
	hugeDomain := bytes.Clone(f.pk)
	copy(hugeDomain, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	otherDomain := bytes.Clone(f.pk)
	binary.BigEndian.PutUint64(otherDomain, 2*binary.BigEndian.Uint64(f.pk))
	return map[string][]byte{
		"huge domain":         hugeDomain,
		"doubled domain":      otherDomain,
		"garbage":             bytes.Repeat([]byte{0xff}, 1<<12),
		"empty":               nil,
		"truncated":           f.pk[:len(f.pk)/2],
		"trailing bytes":      append(bytes.Clone(f.pk), 1, 2, 3),
		"verifying key":       f.vk,
		"chunk circuit's key": chunkSetup(t, "a").pk,
	}
}

// TestNewInputProverFrom loads the same key as a stream (twice read, never held as bytes): the
// prover it makes proves what the fixture's verifies; every key NewInputProver refuses is
// refused the same way; and a source whose second read gives other bytes than its first (a
// key swapped between the framing walk and the decoding) or whose read fails is refused.
func TestNewInputProverFrom(t *testing.T) {
	f := inputSetup(t)
	source := func(reads ...[]byte) KeySource {
		n := 0
		return func() (io.ReadCloser, error) {
			b := reads[min(n, len(reads)-1)]
			n++
			return io.NopCloser(bytes.NewReader(b)), nil
		}
	}
	p, err := NewInputProverFrom(f.lay, source(f.pk))
	if err != nil {
		t.Fatal(err)
	}
	ic := f.honestCase(t, randomValues(t, 37, -1000, 30000), -1000, 30000)
	ip, err := p.Prove(ic.values, ic.min, ic.max, ic.ec.witness(), ic.polys, ic.binding)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyInput(f.vk, f.lay, ic.statement(ip), ip.Evaluations, ip.Proof); err != nil {
		t.Fatalf("a proof of the streamed key's prover: %v", err)
	}

	bad := map[string]KeySource{
		"longer on the second read":    source(f.pk, append(bytes.Clone(f.pk), 1)),
		"truncated on the second read": source(f.pk, f.pk[:len(f.pk)-1]),
	}
	for name, pk := range badInputKeys(t, f) {
		bad[name] = source(pk)
	}
	for name, src := range bad {
		if _, err := NewInputProverFrom(f.lay, src); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: NewInputProverFrom = %v, want ErrInvalidKey", name, err)
		}
	}
	broken := errors.New("the storage went away")
	if _, err := NewInputProverFrom(f.lay, func() (io.ReadCloser, error) { return nil, broken }); !errors.Is(err, broken) {
		t.Errorf("a source that cannot be read: %v, want its error", err)
	}
}

// testSlotRoots returns the N roots ψ^(2i+1) of X^N+1 mod T (ψ a primitive
// 2N-th root) in a random order: any order is a slot order.
func testSlotRoots(t testing.TB, T uint64, n int) []uint64 {
	tb := new(big.Int).SetUint64(T)
	var psi *big.Int
	for g := int64(2); ; g++ {
		psi = new(big.Int).Exp(big.NewInt(g), new(big.Int).SetUint64((T-1)/uint64(2*n)), tb)
		if new(big.Int).Exp(psi, big.NewInt(int64(n)), tb).Uint64() == T-1 {
			break
		}
	}
	step := new(big.Int).Mul(psi, psi)
	roots := make([]uint64, n)
	x := new(big.Int).Set(psi)
	for i := range roots {
		roots[i] = x.Uint64()
		x.Mul(x, step).Mod(x, tb)
	}
	for i := n - 1; i > 0; i-- {
		j := int(randBig(t, big.NewInt(int64(i+1))).Int64())
		roots[i], roots[j] = roots[j], roots[i]
	}
	return roots
}

// encode returns the plaintext coefficients whose slot i holds slots[i]:
// m_k = N^-1·Σ_i v_i·ψ_i^-k mod T (the inverse transform).
func (f *inputFixture) encode(slots []int64) []uint64 {
	n := len(slots)
	tb := big.NewInt(testEncT)
	nInv := new(big.Int).ModInverse(big.NewInt(int64(n)), tb)
	acc := make([]*big.Int, n)
	for k := range acc {
		acc[k] = new(big.Int)
	}
	p := new(big.Int)
	for i, r := range f.psi {
		inv := new(big.Int).ModInverse(new(big.Int).SetUint64(r), tb)
		p.Mod(big.NewInt(slots[i]), tb)
		for k := range acc {
			acc[k].Add(acc[k], p)
			p.Mul(p, inv).Mod(p, tb)
		}
	}
	m := make([]uint64, n)
	for k := range m {
		m[k] = acc[k].Mul(acc[k], nInv).Mod(acc[k], tb).Uint64()
	}
	return m
}

// inputCase is one chunk and its ciphertext.
type inputCase struct {
	values   []int64 // the chunk's real rows
	min, max int64
	ec       encCase
	polys    []circuits.GroupPolys
	binding  fr.Element
}

// honestCase encrypts values (padded with zero slots) under a random key.
func (f *inputFixture) honestCase(t testing.TB, values []int64, min, max int64) inputCase {
	slots := make([]int64, testEncN)
	copy(slots, values)
	return f.caseWithPlaintext(t, values, min, max, f.encode(slots))
}

// caseWithPlaintext encrypts the plaintext m, whatever values it encodes.
func (f *inputFixture) caseWithPlaintext(t testing.TB, values []int64, min, max int64, m []uint64) inputCase {
	p0, p1 := f.enc.randomKey(t)
	ec := encCase{p0: p0, p1: p1, u: make([]int64, testEncN), e0: make([]int64, testEncN), e1: make([]int64, testEncN), m: m}
	for i := range testEncN {
		ec.u[i] = randSigned(t, 1)
		ec.e0[i], ec.e1[i] = randSigned(t, testEncNoiseBound), randSigned(t, testEncNoiseBound)
	}
	ec.c0, ec.c1 = f.enc.encrypt(ec)
	return inputCase{
		values: values, min: min, max: max, ec: ec, polys: f.enc.polys(t, ec),
		binding: Binding(keyDigest(ec), 4, sha256.Sum256(ciphertextBytes(ec)), nil),
	}
}

func (ic inputCase) statement(ip InputProof) circuits.InputStatement {
	return circuits.InputStatement{Commitment: ip.Commitment, Min: ic.min, Max: ic.max, Rows: len(ic.values), Binding: ic.binding}
}

func randomValues(t testing.TB, n int, min, max int64) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = min + randBig(t, big.NewInt(max-min+1)).Int64()
	}
	return v
}

// forced builds the assignment an attacker would: the chunk of values
// (padded with min, committed under salt) with bounds [min, max], and the
// encryption witness of ic, skipping every cross-check.
func (f *inputFixture) forced(t testing.TB, ic inputCase, values []int64, min, max int64, salt fr.Element) *circuits.Input {
	t.Helper()
	padded := make([]int64, testEncN)
	copy(padded, values)
	for i := len(values); i < testEncN; i++ {
		padded[i] = min
	}
	ca, err := circuits.NewChunkAssignment(testEncN, testInputWidth, padded, min, max, salt)
	if err != nil {
		t.Fatalf("NewChunkAssignment: %v", err)
	}
	ea, err := f.lay.Encryption.NewAssignment(ic.polys, ic.ec.witness(), ic.binding)
	if err != nil {
		t.Fatalf("encryption NewAssignment: %v", err)
	}
	a := f.lay.NewCircuit()
	a.Chunk, a.Encryption, a.Rows = *ca, *ea, len(values)
	return a
}

func TestInputProveVerify(t *testing.T) {
	f := inputSetup(t)
	t.Logf("input circuit: %d constraints at N = %d, w = %d, two groups", f.prover.Constraints(), testEncN, testInputWidth)
	for _, rows := range []int{testEncN, 37} {
		ic := f.honestCase(t, randomValues(t, rows, -1000, 30000), -1000, 30000)
		ip, err := f.prover.Prove(ic.values, ic.min, ic.max, ic.ec.witness(), ic.polys, ic.binding)
		if err != nil {
			t.Fatalf("rows %d: Prove: %v", rows, err)
		}
		st := ic.statement(ip)
		if err := VerifyInput(f.vk, f.lay, st, ip.Evaluations, ip.Proof); err != nil {
			t.Fatalf("rows %d: VerifyInput(honest) = %v", rows, err)
		}
		if err := CheckInputEvaluations(f.lay, st, ip.Evaluations, ic.polys, ip.Proof); err != nil {
			t.Fatalf("rows %d: CheckInputEvaluations(honest) = %v", rows, err)
		}
		// The commitment is the chunk prover's: the values padded with min.
		padded := make([]int64, testEncN)
		copy(padded, ic.values)
		for i := rows; i < testEncN; i++ {
			padded[i] = ic.min
		}
		want, err := circuits.ChunkCommitment(testEncN, testInputWidth, padded, ic.min, ip.Salt)
		if err != nil || !want.Equal(&ip.Commitment) {
			t.Errorf("rows %d: commitment is not ChunkCommitment of the values padded with min (err %v)", rows, err)
		}
		if gamma, err := InputChallenge(ip.Proof, st); err != nil || !gamma.Equal(&ip.Challenge) {
			t.Errorf("rows %d: InputChallenge = %v, %v; want the prover's γ", rows, err, gamma.Equal(&ip.Challenge))
		}
	}
}

// TestAttackReplayedInputProof replays an honest proof for another
// statement or other evaluations: every public input is checked.
func TestAttackReplayedInputProof(t *testing.T) {
	f := inputSetup(t)
	ic := f.honestCase(t, randomValues(t, 50, 0, 60000), 0, 60000)
	ip, err := f.prover.Prove(ic.values, ic.min, ic.max, ic.ec.witness(), ic.polys, ic.binding)
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	st := ic.statement(ip)
	other := f.honestCase(t, ic.values, ic.min, ic.max) // the same values, another ciphertext and key
	otherValues := make([]int64, testEncN)              // padded with min = 0
	copy(otherValues, ic.values)
	otherValues[0] ^= 1
	otherCommitment, err := circuits.ChunkCommitment(testEncN, testInputWidth, otherValues, 0, ip.Salt)
	if err != nil {
		t.Fatal(err)
	}
	bumped := append([]circuits.EncryptionEvaluation(nil), ip.Evaluations...)
	one := fr.One()
	bumped[1].C0Gamma.Add(&bumped[1].C0Gamma, &one)
	for name, tc := range map[string]struct {
		st circuits.InputStatement
		ev []circuits.EncryptionEvaluation
	}{
		"another commitment":  {func() circuits.InputStatement { s := st; s.Commitment = otherCommitment; return s }(), ip.Evaluations},
		"another binding":     {func() circuits.InputStatement { s := st; s.Binding = other.binding; return s }(), ip.Evaluations},
		"another row count":   {func() circuits.InputStatement { s := st; s.Rows = 51; return s }(), ip.Evaluations},
		"another min":         {func() circuits.InputStatement { s := st; s.Min = -1; return s }(), ip.Evaluations},
		"another max":         {func() circuits.InputStatement { s := st; s.Max = 60001; return s }(), ip.Evaluations},
		"another evaluation":  {st, bumped},
		"missing evaluations": {st, ip.Evaluations[:1]},
	} {
		if err := VerifyInput(f.vk, f.lay, tc.st, tc.ev, ip.Proof); !errors.Is(err, ErrInvalidInputProof) {
			t.Errorf("%s: VerifyInput = %v, want ErrInvalidInputProof", name, err)
		}
	}
	// The other ciphertext does not evaluate to the proof's values at γ:
	// the members' check fails even with the proof's binding.
	if err := CheckInputEvaluations(f.lay, st, ip.Evaluations, other.polys, ip.Proof); !errors.Is(err, ErrInvalidInputProof) {
		t.Errorf("CheckInputEvaluations(another ciphertext) = %v, want ErrInvalidInputProof", err)
	}
	if err := VerifyInput(f.vk, f.lay, circuits.InputStatement{Commitment: st.Commitment, Min: st.Min, Max: st.Max, Rows: 0, Binding: st.Binding}, ip.Evaluations, ip.Proof); !errors.Is(err, ErrInvalidInputProof) {
		t.Errorf("VerifyInput(0 rows) = %v, want ErrInvalidInputProof", err)
	}
	if err := VerifyInput(f.vk, f.lay, st, ip.Evaluations, ip.Proof[:len(ip.Proof)-1]); !errors.Is(err, ErrInvalidInputProof) {
		t.Errorf("VerifyInput(truncated proof) = %v, want ErrInvalidInputProof", err)
	}
}

// TestAttackPlaintextOfOtherValues encrypts other values than the
// committed ones (one slot changed, or a padding slot made nonzero) and
// tries to prove it against the honest commitment.
func TestAttackPlaintextOfOtherValues(t *testing.T) {
	f := inputSetup(t)
	values := randomValues(t, 40, 100, 40000)
	for name, change := range map[string]func(slots []int64){
		"one value changed":   func(s []int64) { s[7]++ },
		"padding slot filled": func(s []int64) { s[45] = 100 },
		"padding set to min":  func(s []int64) { s[40] = 100 }, // as if the plaintext were padded with min
	} {
		slots := make([]int64, testEncN)
		copy(slots, values)
		change(slots)
		ic := f.caseWithPlaintext(t, values, 100, 40000, f.encode(slots))
		// The builder refuses.
		_, err := f.prover.Prove(values, 100, 40000, ic.ec.witness(), ic.polys, ic.binding)
		if err == nil || !strings.Contains(err.Error(), "slot link") {
			t.Errorf("%s: Prove = %v, want the slot link refusal", name, err)
		}
		// A forced assignment does not prove: the honest hints refuse it,
		// and with the attacker's reduction hint (the final quotient taken
		// in F_p, so that the final identity holds mod p) the constraints
		// refuse it.
		salt := fr.NewElement(12345)
		if _, err := f.prover.proveAssignment(f.forced(t, ic, values, 100, 40000, salt), ic.polys); err == nil {
			t.Errorf("%s: a forced assignment proved", name)
		}
		_, err = f.prover.proveAssignmentWith(f.forced(t, ic, values, 100, 40000, salt), ic.polys, attackerQuotient(t))
		if err == nil || !strings.Contains(err.Error(), "is not satisfied") {
			t.Errorf("%s: forced assignment with the attacker's hint: %v, want an unsatisfied constraint", name, err)
		}
	}
	// The attacker's hint on an honest plaintext proves: it changes nothing
	// where T divides.
	slots := make([]int64, testEncN)
	copy(slots, values)
	ic := f.caseWithPlaintext(t, values, 100, 40000, f.encode(slots))
	if _, err := f.prover.proveAssignmentWith(f.forced(t, ic, values, 100, 40000, fr.NewElement(1)), ic.polys, attackerQuotient(t)); err != nil {
		t.Errorf("honest plaintext with the attacker's hint: %v", err)
	}
}

// attackerQuotient overrides the slot link's reduction hint: where T must
// divide x (kR = 0), it returns the limbs of x/T computed in F_p instead of
// refusing, which satisfies the identity modulo p whether or not T
// divides x; other reductions are honest.
func attackerQuotient(t testing.TB) solver.Option {
	t.Helper()
	const name = "github.com/dxplabs/dxp/circuits.slotLinkModHint"
	var honest solver.Hint
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == name {
			honest = h
		}
	}
	if honest == nil {
		t.Fatalf("hint %s is not registered", name)
	}
	field := fr.Modulus()
	return solver.OverrideHint(solver.GetHintID(honest), func(_ *big.Int, in, out []*big.Int) error {
		if in[2].Sign() != 0 {
			return honest(field, in, out)
		}
		q := new(big.Int).ModInverse(in[0], field)
		q.Mul(q, in[5]).Add(q, in[4]).Mod(q, field) // x·T^-1 + offset in F_p
		b := uint(in[1].Uint64())
		mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), b), big.NewInt(1))
		for j := range out { // the low limbs; the circuit derives the top one
			out[j].And(q, mask)
			q.Rsh(q, b)
		}
		return nil
	})
}

// TestAttackValueOutsideBounds proves a chunk whose plaintext and
// commitment agree but one value lies above Max.
func TestAttackValueOutsideBounds(t *testing.T) {
	f := inputSetup(t)
	values := randomValues(t, testEncN, 0, 1000)
	values[3] = 1001
	values[testEncN-1] = 5 // nonzero: the last row cannot pass as padding
	ic := f.honestCase(t, values, 0, 1001)
	if _, err := f.prover.Prove(values, 0, 1000, ic.ec.witness(), ic.polys, ic.binding); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("Prove(value above max) = %v, want a refusal", err)
	}
	// Forced: digits for bounds [0, 1001], public Max 1000.
	a := f.forced(t, ic, values, 0, 1001, fr.NewElement(7))
	a.Chunk.Max = fieldInt64(1000)
	if _, err := f.prover.proveAssignment(a, ic.polys); err == nil || !strings.Contains(err.Error(), "is not satisfied") {
		t.Errorf("a value above Max: %v, want an unsatisfied constraint", err)
	}
	// Forced: a padding row claimed real is still a value, and a real row
	// claimed padding must have offset 0 and slot 0.
	b := f.forced(t, ic, values, 0, 1001, fr.NewElement(7))
	b.Rows = testEncN - 1
	if _, err := f.prover.proveAssignment(b, ic.polys); err == nil || !strings.Contains(err.Error(), "is not satisfied") {
		t.Errorf("a real row passed as padding: %v, want an unsatisfied constraint", err)
	}
}
