package circuits

import (
	"math"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	p2hash "github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/test"
)

const testN = 8

// bn254Groth16 restricts CheckCircuit to the one curve and backend DXP uses.
var bn254Groth16 = []test.TestingOption{
	test.WithCurves(ecc.BN254),
	test.WithBackends(backend.GROTH16),
	test.NoFuzzing(),
	test.NoSerializationChecks(),
	test.NoSolidityChecks(),
}

func testSalt() fr.Element {
	var s fr.Element
	s.SetString("1234567890123456789012345678901234567890")
	return s
}

// assignment returns a Listing assignment for values, salt and bounds whose
// Commitment is computed natively from values and salt.
func assignment(values []int64, salt fr.Element, min, max int64) *Listing {
	a := &Listing{Values: make([]frontend.Variable, len(values))}
	for i, v := range values {
		a.Values[i] = fieldInt64(v)
	}
	a.Salt = salt
	a.Commitment = ListingCommitment(values, salt)
	a.Min = fieldInt64(min)
	a.Max = fieldInt64(max)
	return a
}

func TestListing(t *testing.T) {
	salt := testSalt()
	const min, max = -500, 1_000_000
	values := []int64{-500, -1, 0, 1, 42, 999_999, 1_000_000, -500} // padded with min
	valid := assignment(values, salt, min, max)

	below := assignment(replace(values, 3, min-1), salt, min, max)
	above := assignment(replace(values, 7, max+1), salt, min, max)
	// A value far above Max, beyond 64 bits of offset.
	farAbove := assignment(replace(values, 0, math.MaxInt64), salt, min, max)

	wrongCommitment := assignment(values, salt, min, max)
	wrongCommitment.Commitment = ListingCommitment(replace(values, 4, 43), salt)

	wrongSalt := assignment(values, salt, min, max)
	var otherSalt fr.Element
	otherSalt.SetUint64(7)
	wrongSalt.Salt = otherSalt

	// Min > Max is unsatisfiable, even for values that are "between" them.
	swapped := assignment(values, salt, min, max)
	swapped.Min, swapped.Max = fieldInt64(max), fieldInt64(min)

	// A value that is not an int64 at all: the field element Min + 2^64.
	var huge fr.Element
	huge.SetBigInt(new(big.Int).Add(big.NewInt(min), new(big.Int).Lsh(big.NewInt(1), 64)))
	notInt64 := assignment(values, salt, min, max)
	notInt64.Values[2] = huge

	assert := test.NewAssert(t)
	opts := append([]test.TestingOption{
		test.WithValidAssignment(valid),
		test.WithInvalidAssignment(below),
		test.WithInvalidAssignment(above),
		test.WithInvalidAssignment(farAbove),
		test.WithInvalidAssignment(wrongCommitment),
		test.WithInvalidAssignment(wrongSalt),
		test.WithInvalidAssignment(swapped),
		test.WithInvalidAssignment(notInt64),
	}, bn254Groth16...)
	assert.CheckCircuit(NewListing(testN), opts...)
}

func TestListingExtremeBounds(t *testing.T) {
	salt := testSalt()
	values := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1, math.MinInt64 + 1, math.MaxInt64 - 1, math.MinInt64}
	full := assignment(values, salt, math.MinInt64, math.MaxInt64)

	// A single-point range: Min = Max.
	point := assignment([]int64{7, 7, 7, 7, 7, 7, 7, 7}, salt, 7, 7)
	offPoint := assignment([]int64{7, 7, 7, 8, 7, 7, 7, 7}, salt, 7, 7)

	assert := test.NewAssert(t)
	opts := append([]test.TestingOption{
		test.WithValidAssignment(full),
		test.WithValidAssignment(point),
		test.WithInvalidAssignment(offPoint),
	}, bn254Groth16...)
	assert.CheckCircuit(NewListing(testN), opts...)
}

// TestListingSizes checks chunk sizes that do not fill the last packed
// element, where the native and in-circuit packing are easiest to get wrong.
func TestListingSizes(t *testing.T) {
	salt := testSalt()
	for _, n := range []int{1, 2, 3, 4, 5} {
		values := make([]int64, n)
		for i := range values {
			values[i] = int64(i*1000 - 1)
		}
		bad := assignment(values, salt, -1, 10_000)
		bad.Commitment = ListingCommitment(values[:n-1], salt)
		assert := test.NewAssert(t)
		opts := append([]test.TestingOption{
			test.WithValidAssignment(assignment(values, salt, -1, 10_000)),
			test.WithInvalidAssignment(bad),
		}, bn254Groth16...)
		assert.CheckCircuit(NewListing(n), opts...)
	}
}

func TestListingNoValues(t *testing.T) {
	if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewListing(0)); err == nil {
		t.Fatal("Compile(NewListing(0)) succeeded, want an error")
	}
}

// hashCircuit exposes gnark's in-circuit Poseidon2 Merkle-Damgård hash.
type hashCircuit struct {
	In  []frontend.Variable
	Out frontend.Variable `gnark:",public"`
}

func (c *hashCircuit) Define(api frontend.API) error {
	h, err := p2hash.New(api)
	if err != nil {
		return err
	}
	h.Write(c.In...)
	api.AssertIsEqual(h.Sum(), c.Out)
	return nil
}

// TestPoseidon2Agreement checks that gnark's std/hash/poseidon2 and
// gnark-crypto's native BN254 Poseidon2 hasher compute the same function.
func TestPoseidon2Agreement(t *testing.T) {
	in := make([]fr.Element, 4)
	in[0].SetUint64(1)
	in[1].SetInt64(-1)
	in[2].SetString("21888242871839275222246405745257275088548364400416034343698204186575808495616") // p-1
	in[3].SetRandom()

	h := poseidon2.NewMerkleDamgardHasher()
	assignment := &hashCircuit{In: make([]frontend.Variable, len(in))}
	for i := range in {
		b := in[i].Bytes()
		if _, err := h.Write(b[:]); err != nil {
			t.Fatal(err)
		}
		assignment.In[i] = in[i]
	}
	var out fr.Element
	out.SetBytes(h.Sum(nil))
	assignment.Out = out

	wrong := &hashCircuit{In: assignment.In[: len(in)-1 : len(in)-1]}
	wrong.In = append(wrong.In, fr.NewElement(5))
	wrong.Out = out

	assert := test.NewAssert(t)
	opts := append([]test.TestingOption{
		test.WithValidAssignment(assignment),
		test.WithInvalidAssignment(wrong),
	}, bn254Groth16...)
	assert.CheckCircuit(&hashCircuit{In: make([]frontend.Variable, len(in))}, opts...)
}

func TestPackValues(t *testing.T) {
	got := PackValues([]int64{math.MinInt64, -1, 0, 1})
	if len(got) != 2 {
		t.Fatalf("len(PackValues) = %d, want 2", len(got))
	}
	// u = [0, 2^63-1, 2^63], then [2^63+1].
	want0 := new(big.Int).Lsh(new(big.Int).SetUint64(1<<63-1), 64)
	want0.Add(want0, new(big.Int).Lsh(new(big.Int).SetUint64(1<<63), 128))
	want1 := new(big.Int).SetUint64(1<<63 + 1)
	for i, want := range []*big.Int{want0, want1} {
		var g big.Int
		got[i].BigInt(&g)
		if g.Cmp(want) != 0 {
			t.Errorf("PackValues()[%d] = %s, want %s", i, g.String(), want.String())
		}
	}
}

func TestListingCommitmentBinds(t *testing.T) {
	salt := testSalt()
	values := []int64{1, 2, 3, 4}
	c := ListingCommitment(values, salt)
	var otherSalt fr.Element
	otherSalt.SetUint64(1)
	for name, other := range map[string]fr.Element{
		"value changed":  ListingCommitment([]int64{1, 2, 3, 5}, salt),
		"value dropped":  ListingCommitment([]int64{1, 2, 3}, salt),
		"values swapped": ListingCommitment([]int64{2, 1, 3, 4}, salt),
		"salt changed":   ListingCommitment(values, otherSalt),
	} {
		if other.Equal(&c) {
			t.Errorf("%s: commitment unchanged", name)
		}
	}
}

func replace(values []int64, i int, v int64) []int64 {
	out := append([]int64(nil), values...)
	out[i] = v
	return out
}
