package zk

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark/logger"
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
	// ErrInvalidProof is returned when a chunk proof, its commitment or its
	// statement is malformed, or the proof does not verify.
	ErrInvalidProof = errors.New("zk: invalid chunk proof")
	// ErrInvalidKey is returned when a key is malformed or is not a key of the
	// chunk circuit it is loaded for.
	ErrInvalidKey = errors.New("zk: invalid chunk key")
	// ErrOutOfRange is returned by Prove for a value outside [min, max].
	ErrOutOfRange = errors.New("zk: value out of range")
)

// recoverTo turns a panic in gnark into an error. It must be deferred.
func recoverTo(err *error, context string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: internal panic: %v", context, r)
	}
}
