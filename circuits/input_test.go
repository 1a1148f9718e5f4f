package circuits

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// inputInstance is a 16-slot input: an encryption instance whose message
// encodes values in the slot order of a random root permutation.
type inputInstance struct {
	lay    InputLayout
	enc    encInstance
	values []int64
	slot   *slotLinkInstance
}

func newInputInstance(t *testing.T, n, rows int, min, max int64) inputInstance {
	t.Helper()
	enc := newEncInstance(t, n, []int{220}, true)
	roots := slotRoots(t, testT, n)
	link, err := NewSlotLink(testT, roots)
	if err != nil {
		t.Fatal(err)
	}
	lay, err := NewInputLayout(Width(min, max), enc.lay, link)
	if err != nil {
		t.Fatal(err)
	}
	values := make([]int64, rows)
	slots := make([]int64, n)
	for i := range values {
		values[i] = min + randBelow(t, big.NewInt(max-min+1)).Int64()
		slots[i] = values[i]
	}
	s := &slotLinkInstance{link: link, psi: roots}
	// Encrypt the encoding of the slots (the rest of the witness is enc's).
	enc.w.M = s.coefficients(slots)
	q := enc.lay.Moduli[0]
	p0, p1 := make([]*big.Int, n), make([]*big.Int, n)
	for i := range n {
		p0[i], p1[i] = randBelow(t, q), randBelow(t, q)
	}
	c0, c1 := encrypt(enc.lay, q, p0, p1, enc.w)
	enc.polys = groupPolys(t, enc.lay, c0, c1, p0, p1)
	return inputInstance{lay: lay, enc: enc, values: values, slot: s}
}

func TestNewInputLayoutRefuses(t *testing.T) {
	enc := newEncInstance(t, 16, []int{220}, true)
	noMsg := newEncInstance(t, 16, []int{220}, false)
	link, err := NewSlotLink(testT, slotRoots(t, testT, 16))
	if err != nil {
		t.Fatal(err)
	}
	link32, err := NewSlotLink(testT, slotRoots(t, testT, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewInputLayout(32, enc.lay, link); err != nil {
		t.Fatalf("NewInputLayout(valid) = %v", err)
	}
	for name, tc := range map[string]struct {
		w    int
		enc  EncryptionLayout
		link *SlotLink
	}{
		"no link":           {32, enc.lay, nil},
		"no message":        {32, noMsg.lay, link},
		"other ring degree": {32, enc.lay, link32},
		"width 0":           {0, enc.lay, link},
		"width 65":          {65, enc.lay, link},
		"empty layout":      {32, EncryptionLayout{}, link},
	} {
		if _, err := NewInputLayout(tc.w, tc.enc, tc.link); err == nil {
			t.Errorf("NewInputLayout(%s) accepted", name)
		}
	}
}

func TestInputStatementCheck(t *testing.T) {
	inst := newInputInstance(t, 16, 16, 0, 1000)
	ok := InputStatement{Min: 0, Max: 1000, Rows: 16}
	if err := ok.Check(inst.lay); err != nil {
		t.Fatalf("Check(valid) = %v", err)
	}
	for name, st := range map[string]InputStatement{
		"0 rows":       {Min: 0, Max: 1000, Rows: 0},
		"17 rows":      {Min: 0, Max: 1000, Rows: 17},
		"min > max":    {Min: 5, Max: 4, Rows: 1},
		"too wide":     {Min: 0, Max: 1 << 20, Rows: 1},
		"min MinInt64": {Min: math.MinInt64, Max: math.MinInt64 + 1, Rows: 1},
	} {
		if err := st.Check(inst.lay); err == nil {
			t.Errorf("Check(%s) accepted", name)
		}
	}
}

// TestInputNewAssignment checks the native builder: it accepts the honest
// chunk (full and short) and refuses, without naming values, a plaintext
// of other values, a value out of bounds and a short chunk whose padding
// slot is not zero.
func TestInputNewAssignment(t *testing.T) {
	salt := fr.NewElement(99)
	for _, rows := range []int{16, 5} {
		inst := newInputInstance(t, 16, rows, -300, 700)
		a, err := inst.lay.NewAssignment(inst.values, -300, 700, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1))
		if err != nil {
			t.Fatalf("rows %d: NewAssignment(honest) = %v", rows, err)
		}
		if a.Rows != rows {
			t.Errorf("rows %d: assignment has Rows %v", rows, a.Rows)
		}
	}
	inst := newInputInstance(t, 16, 5, -300, 700)
	secret := inst.values[2] + 1
	other := append([]int64(nil), inst.values...)
	other[2] = secret
	_, err := inst.lay.NewAssignment(other, -300, 700, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1))
	if err == nil || !strings.Contains(err.Error(), "slot link") {
		t.Errorf("NewAssignment(other values) = %v, want the slot link refusal", err)
	}
	// A sixth real row of value 0 matches the plaintext's zero slot 5: the
	// builder checks slot values, and 0 lies in [min, max].
	six := append(append([]int64(nil), inst.values...), 0)
	if _, err := inst.lay.NewAssignment(six, -300, 700, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1)); err != nil {
		t.Errorf("NewAssignment(a real 0 row over a zero slot) = %v: a zero row is a valid value", err)
	}
	low := append([]int64(nil), inst.values...)
	low[0] = -301
	_, err = inst.lay.NewAssignment(low, -300, 700, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1))
	if err == nil || strings.Contains(err.Error(), "-301") {
		t.Errorf("NewAssignment(value below min) = %v, want a refusal without the value", err)
	}
}

// TestInputCompiles checks that the input circuit compiles with the public
// inputs in the documented order.
func TestInputCompiles(t *testing.T) {
	inst := newInputInstance(t, 16, 16, 0, 1000)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, inst.lay.NewCircuit())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ccs.GetNbPublicVariables(), 1+5+4; got != want { // ONE wire, statement, one group
		t.Errorf("%d public variables, want %d", got, want)
	}
}
