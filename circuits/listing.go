package circuits

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/frontend"
	p2hash "github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/rangecheck"
)

const (
	// ValueBits is the width of an encoded value and of the range-checked
	// offsets v-Min and Max-v.
	ValueBits = 64

	// ValuesPerElement is how many encoded values are packed into one field
	// element before hashing: 3×64 = 192 bits fit below the 254-bit modulus.
	ValuesPerElement = 3
)

// Listing proves a chunk of values lies within [Min, Max] and matches Commitment.
//
// The statement is: the prover knows n values v_i and a salt s such that
//
//	Min <= v_i <= Max (as signed 64-bit integers) for every i, and
//	Commitment = ListingCommitment(v, s).
//
// Min and Max are int64 mapped into the field (a negative v is p-|v|). The
// range check constrains d1 = v-Min and d2 = Max-v to 64 bits each; since
// d1+d2 = Max-Min and the field is ~2^254, this holds only if Min <= v <= Max
// as integers (and so is unsatisfiable when Min > Max).
type Listing struct {
	Values     []frontend.Variable // secret, len n
	Salt       frontend.Variable   // secret
	Commitment frontend.Variable   `gnark:",public"`
	Min        frontend.Variable   `gnark:",public"`
	Max        frontend.Variable   `gnark:",public"`
}

// NewListing returns a Listing with Values allocated for chunks of n values,
// ready to be compiled.
func NewListing(n int) *Listing {
	if n < 0 {
		n = 0
	}
	return &Listing{Values: make([]frontend.Variable, n)}
}

// valueBias maps an int64 v to the uint64 v + 2^63 (two's complement with the
// sign bit flipped), the encoding that is packed and hashed.
var valueBias = new(big.Int).Lsh(big.NewInt(1), ValueBits-1)

// Define emits the listing constraints.
func (c *Listing) Define(api frontend.API) error {
	if len(c.Values) == 0 {
		return errors.New("circuits: listing: no values")
	}
	rc := rangecheck.New(api)
	h, err := p2hash.New(api)
	if err != nil {
		return fmt.Errorf("circuits: listing: %w", err)
	}
	h.Write(c.Salt)

	var shifts [ValuesPerElement]*big.Int
	for k := range shifts {
		shifts[k] = new(big.Int).Lsh(big.NewInt(1), uint(k*ValueBits))
	}

	var packed frontend.Variable
	for i, v := range c.Values {
		rc.Check(api.Sub(v, c.Min), ValueBits)
		rc.Check(api.Sub(c.Max, v), ValueBits)

		// u = v + 2^63 lies in [Min+2^63, Max+2^63], a subset of [0, 2^64),
		// given the two checks above and int64 bounds, so the packing below is
		// injective. The multiplication by a constant is free in R1CS.
		u := api.Add(v, valueBias)
		k := i % ValuesPerElement
		if k == 0 {
			packed = u
		} else {
			packed = api.Add(packed, api.Mul(u, shifts[k]))
		}
		if k == ValuesPerElement-1 || i == len(c.Values)-1 {
			h.Write(packed)
		}
	}
	api.AssertIsEqual(h.Sum(), c.Commitment)
	return nil
}

// ListingCommitment is the native counterpart of the in-circuit commitment,
// used to build the witness. It returns
//
//	Poseidon2-MD(salt, e_0, e_1, ..., e_{m-1}),  m = ceil(len(values)/3)
//
// where Poseidon2-MD is gnark-crypto's BN254 Merkle-Damgård hasher
// (poseidon2.NewMerkleDamgardHasher: IV 0, width-2 Poseidon2 compression, one
// field element per block, no length padding) and
//
//	e_j = u_{3j} + u_{3j+1}·2^64 + u_{3j+2}·2^128,  u_i = uint64(values[i]) XOR 2^63 = values[i] + 2^63
//
// with missing terms of the last element taken as zero. The commitment does
// not depend on Min or Max. values must be the full chunk of n values, already
// padded; len(values) = 0 hashes the salt alone.
func ListingCommitment(values []int64, salt fr.Element) fr.Element {
	h := poseidon2.NewMerkleDamgardHasher()
	write := func(e *fr.Element) {
		b := e.Bytes()
		// Write rejects only non-canonical blocks; Bytes is always canonical.
		if _, err := h.Write(b[:]); err != nil {
			panic(fmt.Sprintf("circuits: poseidon2 rejected a canonical element: %v", err))
		}
	}
	write(&salt)

	for _, e := range PackValues(values) {
		write(&e)
	}
	var out fr.Element
	out.SetBytes(h.Sum(nil))
	return out
}

// PackValues returns the field elements e_j that ListingCommitment hashes
// after the salt (see there for the encoding).
func PackValues(values []int64) []fr.Element {
	out := make([]fr.Element, 0, (len(values)+ValuesPerElement-1)/ValuesPerElement)
	var limbs [4]uint64 // little-endian 64-bit limbs of a 256-bit integer
	for i, v := range values {
		k := i % ValuesPerElement
		if k == 0 {
			limbs = [4]uint64{}
		}
		limbs[k] = uint64(v) ^ (1 << 63)
		if k == ValuesPerElement-1 || i == len(values)-1 {
			var b [fr.Bytes]byte
			for l := range limbs {
				for j := range 8 {
					b[fr.Bytes-1-8*l-j] = byte(limbs[l] >> (8 * j))
				}
			}
			var e fr.Element
			e.SetBytes(b[:]) // < 2^192, so canonical
			out = append(out, e)
		}
	}
	return out
}
