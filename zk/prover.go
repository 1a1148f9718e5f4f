package zk

import (
	"bytes"
	"crypto/rand"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"

	"github.com/dxplabs/dxp/circuits"
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

// ListingProver proves chunks for one chunk size. It holds the compiled
// circuit and the proving key, and is safe for concurrent use by multiple
// goroutines: Prove only reads them. Each Prove already uses every core, so
// running several at once mainly trades latency for memory.
type ListingProver struct {
	n   int
	ccs *csbn254.R1CS
	pk  *groth16bn254.ProvingKey
}

// NewListingProver compiles the listing circuit for chunks of n values and
// loads pk, a proving key from SetupListingInsecure (or a ceremony) for the
// same n. It refuses a key that is malformed or does not match the circuit,
// but it trusts the key's points, as NewChunkProver does.
func NewListingProver(n int, pk []byte) (*ListingProver, error) {
	ccs, err := CompileListing(n)
	if err != nil {
		return nil, err
	}
	key, r1cs, err := loadProvingKey(ccs, pk)
	if err != nil {
		return nil, fmt.Errorf("%w (listing circuit n = %d)", err, n)
	}
	return &ListingProver{n: n, ccs: r1cs, pk: key}, nil
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

// ChunkSize returns n, the number of values a proof covers.
func (p *ListingProver) ChunkSize() int { return p.n }

// Prove proves that values lie within [min, max] and commits to them under a
// fresh random salt. len(values) must be in [1, n]; a shorter chunk is padded
// with min. A value outside [min, max] is refused with ErrOutOfRange before
// any proving work.
func (p *ListingProver) Prove(values []int64, min, max int64) (cp ChunkProof, err error) {
	if len(values) < 1 || len(values) > p.n {
		return ChunkProof{}, fmt.Errorf("zk: prove listing: %d values, want 1 to %d", len(values), p.n)
	}
	if min > max {
		return ChunkProof{}, fmt.Errorf("zk: prove listing: min %d > max %d", min, max)
	}
	for i, v := range values {
		if v < min || v > max {
			return ChunkProof{}, fmt.Errorf("%w: values[%d] = %d is outside [%d, %d]", ErrOutOfRange, i, v, min, max)
		}
	}
	padded := make([]int64, p.n)
	copy(padded, values)
	for i := len(values); i < p.n; i++ {
		padded[i] = min
	}

	salt, err := newSalt()
	if err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove listing: %w", err)
	}
	commitment := circuits.ListingCommitment(padded, salt)

	assignment := &circuits.Listing{
		Values:     make([]frontend.Variable, p.n),
		Salt:       salt,
		Commitment: commitment,
		Min:        fieldInt64(min),
		Max:        fieldInt64(max),
	}
	for i, v := range padded {
		assignment.Values[i] = fieldInt64(v)
	}

	defer recoverTo(&err, "zk: prove listing")
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove listing: witness: %w", err)
	}
	proof, err := groth16bn254.Prove(p.ccs, p.pk, w)
	if err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove listing: %w", err)
	}
	var buf bytes.Buffer
	if _, err := proof.WriteTo(&buf); err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove listing: write proof: %w", err)
	}
	c, s := commitment.Bytes(), salt.Bytes()
	return ChunkProof{Commitment: c[:], Proof: buf.Bytes(), Salt: s[:]}, nil
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
