package zk

import (
	"crypto/rand"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// saltBytes is the number of random bytes in a salt: 248 bits, always below
// the BN254 scalar field modulus, so no reduction (and no bias) occurs.
const saltBytes = 31

// ChunkProof is the result of proving one chunk.
type ChunkProof struct {
	Commitment []byte // 32-byte big-endian field element, public
	Proof      []byte // gnark compressed Groth16 proof, public
	Salt       []byte // 32-byte big-endian field element; secret, kept by the owner
}

// checkProvingKey checks that the sizes in key are those groth16.Setup
// derives from r1cs, so that proving cannot index out of range (which would
// panic inside gnark's worker goroutines, beyond any recover).
func checkProvingKey(r1cs *csbn254.R1CS, key *groth16bn254.ProvingKey) error {
	info, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok {
		return fmt.Errorf("unexpected commitment info %T", r1cs.CommitmentInfo)
	}
	nbPublic := r1cs.GetNbPublicVariables()
	cardinality, nbWires := keySizes(r1cs)
	nbPrivateCommitted := 0
	for _, c := range info.GetPrivateCommitted() {
		nbPrivateCommitted += len(c)
	}
	nbPrivate := nbWires - nbPublic - nbPrivateCommitted - len(info)

	count := func(bs []bool) uint64 {
		var c uint64
		for _, b := range bs {
			if b {
				c++
			}
		}
		return c
	}
	switch {
	case key.Domain.Cardinality != cardinality:
		return fmt.Errorf("domain size %d, want %d", key.Domain.Cardinality, cardinality)
	case len(key.InfinityA) != nbWires || len(key.InfinityB) != nbWires:
		return fmt.Errorf("%d wires, want %d", len(key.InfinityA), nbWires)
	case count(key.InfinityA) != key.NbInfinityA || count(key.InfinityB) != key.NbInfinityB:
		return fmt.Errorf("inconsistent infinity counts")
	case uint64(len(key.G1.A)) != uint64(nbWires)-key.NbInfinityA,
		uint64(len(key.G1.B)) != uint64(nbWires)-key.NbInfinityB,
		uint64(len(key.G2.B)) != uint64(nbWires)-key.NbInfinityB:
		return fmt.Errorf("wrong number of A or B points")
	case len(key.G1.Z) != int(cardinality)-1:
		return fmt.Errorf("%d Z points, want %d", len(key.G1.Z), cardinality-1)
	case len(key.G1.K) != nbPrivate:
		return fmt.Errorf("%d K points, want %d", len(key.G1.K), nbPrivate)
	case len(key.CommitmentKeys) != len(info):
		return fmt.Errorf("%d commitment keys, want %d", len(key.CommitmentKeys), len(info))
	}
	return nil
}

// keySizes returns the FFT domain size and the number of wires that
// groth16.Setup derives from r1cs.
func keySizes(r1cs *csbn254.R1CS) (cardinality uint64, nbWires int) {
	nbWires = r1cs.GetNbInternalVariables() + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()
	return ecc.NextPowerOfTwo(uint64(r1cs.GetNbConstraints())), nbWires
}

// newSalt returns 31 bytes from crypto/rand as a field element.
func newSalt() (fr.Element, error) {
	var b [saltBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fr.Element{}, fmt.Errorf("salt: %w", err)
	}
	var s fr.Element
	s.SetBytes(b[:])
	return s, nil
}

// fieldInt64 maps v into the field; a negative v becomes p - |v|.
func fieldInt64(v int64) fr.Element {
	var e fr.Element
	e.SetInt64(v)
	return e
}
