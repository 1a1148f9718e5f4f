package zk

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"github.com/dxplabs/dxp/circuits"
)

func init() {
	// gnark logs through zerolog to stdout by default.
	logger.Disable()
}

// MaxChunkSize is the largest chunk size n accepted; it keeps a mistaken n
// from exhausting memory at compile or setup time (n = 4096 already needs a
// proving key of tens of megabytes).
const MaxChunkSize = 1 << 16

var (
	// ErrInvalidProof is returned when a listing proof, its commitment or its
	// statement is malformed, or the proof does not verify.
	ErrInvalidProof = errors.New("zk: invalid listing proof")
	// ErrInvalidKey is returned when a key is malformed or is not a key of the
	// listing circuit.
	ErrInvalidKey = errors.New("zk: invalid listing key")
	// ErrOutOfRange is returned by Prove for a value outside [min, max].
	ErrOutOfRange = errors.New("zk: value out of range")
)

// CompileListing compiles the listing circuit for chunks of n values (R1CS, BN254).
func CompileListing(n int) (ccs constraint.ConstraintSystem, err error) {
	if n < 1 || n > MaxChunkSize {
		return nil, fmt.Errorf("zk: compile listing: chunk size %d not in [1, %d]", n, MaxChunkSize)
	}
	defer recoverTo(&err, "zk: compile listing")
	ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewListing(n))
	if err != nil {
		return nil, fmt.Errorf("zk: compile listing: %w", err)
	}
	return ccs, nil
}

// SetupListingInsecure runs a single-party Groth16 setup for chunks of n
// values and returns the serialised proving key (gnark WriteRawTo) and
// verifying key (gnark WriteTo).
//
// INSECURE: the toxic waste is sampled in this process, so ANYONE WHO RAN IT
// CAN FORGE PROOFS. Use it on a devnet or in tests only; a real network uses
// keys from a multi-party ceremony (see the package documentation).
func SetupListingInsecure(n int) (pk, vk []byte, err error) {
	ccs, err := CompileListing(n)
	if err != nil {
		return nil, nil, err
	}
	defer recoverTo(&err, "zk: setup listing")
	gpk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup listing: %w", err)
	}
	var pkBuf, vkBuf bytes.Buffer
	if _, err := gpk.WriteRawTo(&pkBuf); err != nil {
		return nil, nil, fmt.Errorf("zk: setup listing: write proving key: %w", err)
	}
	if _, err := gvk.WriteTo(&vkBuf); err != nil {
		return nil, nil, fmt.Errorf("zk: setup listing: write verifying key: %w", err)
	}
	return pkBuf.Bytes(), vkBuf.Bytes(), nil
}

// recoverTo turns a panic in gnark into an error. It must be deferred.
func recoverTo(err *error, context string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: internal panic: %v", context, r)
	}
}
