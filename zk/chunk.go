package zk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/dxplabs/dxp/circuits"
)

// ErrWidth is returned when a column's bounds do not fit the width of a
// chunk circuit: Max-Min needs more than w bits.
var ErrWidth = errors.New("zk: bounds wider than the circuit")

// Width returns the declared width of a column with bounds [min, max], the
// smallest w whose chunk circuit accepts them: the bit length of max-min, at
// least 1 (0 if min > max). A circuit of width w accepts any narrower
// bounds too, so a chain may register keys for a few widths (8, 16, 32, 64)
// and prove each column with the narrowest that fits.
func Width(min, max int64) int { return circuits.Width(min, max) }

// CompileChunk compiles the chunk circuit for chunks of n values of width w
// (R1CS, BN254).
func CompileChunk(n, w int) (ccs constraint.ConstraintSystem, err error) {
	if n < 1 || n > MaxChunkSize {
		return nil, fmt.Errorf("zk: compile chunk: chunk size %d not in [1, %d]", n, MaxChunkSize)
	}
	if w < 1 || w > circuits.MaxChunkWidth {
		return nil, fmt.Errorf("zk: compile chunk: width %d not in [1, %d]", w, circuits.MaxChunkWidth)
	}
	defer recoverTo(&err, "zk: compile chunk")
	ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewChunk(n, w))
	if err != nil {
		return nil, fmt.Errorf("zk: compile chunk: %w", err)
	}
	return ccs, nil
}

// SetupChunkInsecure runs a single-party Groth16 setup for the (n, w) chunk
// circuit and returns the serialised proving key (gnark WriteRawTo) and
// verifying key (gnark WriteTo).
//
// INSECURE: the toxic waste is sampled in this process, so ANYONE WHO RAN IT
// CAN FORGE PROOFS. Use it on a devnet or in tests only; a real network uses
// keys from a ceremony ([ContributePhase1] and the functions after it).
func SetupChunkInsecure(n, w int) (pk, vk []byte, err error) {
	ccs, err := CompileChunk(n, w)
	if err != nil {
		return nil, nil, err
	}
	defer recoverTo(&err, "zk: setup chunk")
	gpk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup chunk: %w", err)
	}
	return writeKeys(gpk, gvk)
}

// writeKeys serialises a proving key (raw) and a verifying key (compressed).
func writeKeys(pk groth16.ProvingKey, vk groth16.VerifyingKey) ([]byte, []byte, error) {
	var pkBuf, vkBuf bytes.Buffer
	if _, err := pk.WriteRawTo(&pkBuf); err != nil {
		return nil, nil, fmt.Errorf("zk: write proving key: %w", err)
	}
	if _, err := vk.WriteTo(&vkBuf); err != nil {
		return nil, nil, fmt.Errorf("zk: write verifying key: %w", err)
	}
	return pkBuf.Bytes(), vkBuf.Bytes(), nil
}

// ChunkProver proves chunks for one (n, w) chunk circuit. It holds the
// compiled circuit and the proving key and is safe for concurrent use:
// Prove only reads them. See [ChunkProver.ProveChunks] for how many chunks
// to prove at once.
type ChunkProver struct {
	lay circuits.ChunkLayout
	ccs *csbn254.R1CS
	pk  *groth16bn254.ProvingKey
}

// NewChunkProver compiles the chunk circuit for (n, w) and loads pk, a
// proving key from SetupChunkInsecure or a ceremony for the same circuit. It
// refuses a key that is malformed or does not match the circuit, but trusts
// the key's points: it is the caller's own input, a bad point only yields
// proofs the verifier rejects, and checking every point would make loading
// tens of times slower.
func NewChunkProver(n, w int, pk []byte) (*ChunkProver, error) {
	ccs, err := CompileChunk(n, w)
	if err != nil {
		return nil, err
	}
	lay, err := circuits.NewChunkLayout(n, w)
	if err != nil {
		return nil, fmt.Errorf("zk: new chunk prover: %w", err)
	}
	key, r1cs, err := loadProvingKey(ccs, pk)
	if err != nil {
		return nil, fmt.Errorf("%w (chunk circuit n = %d, w = %d)", err, n, w)
	}
	return &ChunkProver{lay: lay, ccs: r1cs, pk: key}, nil
}

// loadProvingKey reads pk (gnark raw or compressed encoding) after checking
// its framing and sizes against ccs.
func loadProvingKey(ccs constraint.ConstraintSystem, pk []byte) (key *groth16bn254.ProvingKey, r1cs *csbn254.R1CS, err error) {
	r1cs, ok := ccs.(*csbn254.R1CS)
	if !ok {
		return nil, nil, fmt.Errorf("zk: unexpected constraint system %T", ccs)
	}
	cardinality, nbWires := keySizes(r1cs)
	if key, err = decodeProvingKey(pk, cardinality, nbWires, true); err != nil {
		return nil, nil, err
	}
	if err := checkProvingKey(r1cs, key); err != nil {
		return nil, nil, fmt.Errorf("%w: proving key does not match the circuit: %w", ErrInvalidKey, err)
	}
	return key, r1cs, nil
}

// compileAndLoad compiles a circuit (compile) and reads pk, a proving key of
// it, at once: both are single-threaded, independent and, for an input
// circuit, tens of seconds together. The key's framing is checked against
// its own sizes before it is read (checkProvingKeyFraming), and its sizes
// against the circuit's once both are done (checkProvingKey), so a key that
// does not fit the circuit is refused as by loadProvingKey.
func compileAndLoad(compile func() (constraint.ConstraintSystem, error), pk []byte) (*groth16bn254.ProvingKey, *csbn254.R1CS, error) {
	return compileAndDecode(compile, func() (*groth16bn254.ProvingKey, error) { return decodeProvingKey(pk, 0, -1, false) })
}

// KeySource opens a proving key's bytes from the start. A prover built from
// one ([NewInputProverFrom]) reads them twice, as streams: once to check
// their framing, once to decode them, so that a key of hundreds of
// megabytes is never held as bytes beside its decoded form. Each call must
// give the same bytes; a source that checks them against a digest (as
// storage's verifying reader does) makes any other bytes an error of the
// read.
type KeySource func() (io.ReadCloser, error)

// compileAndLoadFrom is compileAndLoad for a key read from src.
func compileAndLoadFrom(compile func() (constraint.ConstraintSystem, error), src KeySource) (*groth16bn254.ProvingKey, *csbn254.R1CS, error) {
	return compileAndDecode(compile, func() (*groth16bn254.ProvingKey, error) { return decodeProvingKeyFrom(src) })
}

// compileAndDecode runs compile beside decode and checks that the key fits.
func compileAndDecode(compile func() (constraint.ConstraintSystem, error), decode func() (*groth16bn254.ProvingKey, error)) (*groth16bn254.ProvingKey, *csbn254.R1CS, error) {
	var ccs constraint.ConstraintSystem
	var compileErr error
	compiled := make(chan struct{})
	go func() {
		defer close(compiled)
		ccs, compileErr = compile() // recovers gnark's panics itself
	}()
	key, keyErr := decode()
	<-compiled
	if compileErr != nil {
		return nil, nil, compileErr
	}
	if keyErr != nil {
		return nil, nil, keyErr
	}
	r1cs, ok := ccs.(*csbn254.R1CS)
	if !ok {
		return nil, nil, fmt.Errorf("zk: unexpected constraint system %T", ccs)
	}
	if err := checkProvingKey(r1cs, key); err != nil {
		return nil, nil, fmt.Errorf("%w: proving key does not match the circuit: %w", ErrInvalidKey, err)
	}
	return key, r1cs, nil
}

// domainPrecomputeOffset is where a proving key's encoding holds its FFT
// domain's precompute flag: after the cardinality and five field elements
// (fft.Domain.WriteTo).
const domainPrecomputeOffset = 8 + 5*fr.Bytes

// decodeProvingKey reads pk after checking its framing
// (checkProvingKeyFraming: against cardinality and nbWires, or with 0 and
// -1 against its own sizes). Without precompute the key's FFT domain keeps
// no tables: gnark's FFTs then build the few they need on each call. At a
// 2^21 domain the tables are 256 MB held for the key's life, against about
// 64 MB made and dropped per coset FFT, a few of the prover's seconds'
// worth of multiplications fewer than the FFTs themselves.
func decodeProvingKey(pk []byte, cardinality uint64, nbWires int, precompute bool) (key *groth16bn254.ProvingKey, err error) {
	if err := checkProvingKeyFraming(pk, cardinality, nbWires); err != nil {
		return nil, fmt.Errorf("%w: proving key: %w", ErrInvalidKey, err)
	}
	defer recoverTo(&err, "zk: load proving key")
	var r io.Reader = bytes.NewReader(pk)
	if !precompute && pk[domainPrecomputeOffset] != 0 { // the framing check read past it
		head := bytes.Clone(pk[:domainPrecomputeOffset+1]) // the caller's bytes stay as they are
		head[domainPrecomputeOffset] = 0
		r = io.MultiReader(bytes.NewReader(head), bytes.NewReader(pk[domainPrecomputeOffset+1:]))
	}
	key = new(groth16bn254.ProvingKey)
	read, err := key.UnsafeReadFrom(r)
	if err != nil {
		return nil, fmt.Errorf("%w: proving key: %w", ErrInvalidKey, err)
	}
	if read != int64(len(pk)) {
		return nil, fmt.Errorf("%w: proving key: %d trailing bytes", ErrInvalidKey, int64(len(pk))-read)
	}
	return key, nil
}

// decodeProvingKeyFrom is decodeProvingKey (its own sizes, no FFT tables)
// for a key read from src: a first read walks its framing and measures it,
// a second decodes exactly that many bytes and must then end.
func decodeProvingKeyFrom(src KeySource) (key *groth16bn254.ProvingKey, err error) {
	rc, err := src()
	if err != nil {
		return nil, fmt.Errorf("zk: read proving key: %w", err)
	}
	size, err := provingKeyFrame(rc, 0, -1)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%w: proving key: %w", ErrInvalidKey, err)
	}
	if rc, err = src(); err != nil {
		return nil, fmt.Errorf("zk: read proving key: %w", err)
	}
	defer rc.Close()
	defer recoverTo(&err, "zk: load proving key")
	br := bufio.NewReaderSize(rc, 1<<20)
	head := make([]byte, domainPrecomputeOffset+1)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("%w: proving key: %w", ErrInvalidKey, err)
	}
	head[domainPrecomputeOffset] = 0 // no FFT tables (see decodeProvingKey)
	key = new(groth16bn254.ProvingKey)
	read, err := key.UnsafeReadFrom(io.MultiReader(bytes.NewReader(head), io.LimitReader(br, size-int64(len(head)))))
	if err != nil {
		return nil, fmt.Errorf("%w: proving key: %w", ErrInvalidKey, err)
	}
	if read != size {
		return nil, fmt.Errorf("%w: proving key: read %d of its %d bytes", ErrInvalidKey, read, size)
	}
	// The rest must be empty, and reading to the end lets a verifying source check the bytes.
	if extra, err := io.Copy(io.Discard, br); err != nil {
		return nil, fmt.Errorf("zk: read proving key: %w", err)
	} else if extra != 0 {
		return nil, fmt.Errorf("%w: proving key: %d bytes more than its first read", ErrInvalidKey, extra)
	}
	return key, nil
}

// ChunkSize returns n, the number of values a proof covers.
func (p *ChunkProver) ChunkSize() int { return p.lay.N }

// Width returns w, the circuit's declared width.
func (p *ChunkProver) Width() int { return p.lay.W }

// Layout returns the circuit's shape.
func (p *ChunkProver) Layout() circuits.ChunkLayout { return p.lay }

// Constraints returns the number of R1CS constraints of the circuit.
func (p *ChunkProver) Constraints() int { return p.ccs.GetNbConstraints() }

// Prove proves that values lie within [min, max] and commits to them under a
// fresh random salt. len(values) must be in [1, n]; a shorter chunk is padded
// with min. A value outside [min, max] is refused with ErrOutOfRange, and
// bounds wider than the circuit with ErrWidth, before any proving work.
func (p *ChunkProver) Prove(values []int64, min, max int64) (cp ChunkProof, err error) {
	assignment, salt, err := p.assign(values, min, max)
	if err != nil {
		return ChunkProof{}, err
	}
	defer recoverTo(&err, "zk: prove chunk")
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove chunk: witness: %w", err)
	}
	proof, err := groth16bn254.Prove(p.ccs, p.pk, w)
	if err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove chunk: %w", err)
	}
	var buf bytes.Buffer
	if _, err := proof.WriteTo(&buf); err != nil {
		return ChunkProof{}, fmt.Errorf("zk: prove chunk: write proof: %w", err)
	}
	c := assignment.Commitment.(fr.Element)
	cb, sb := c.Bytes(), salt.Bytes()
	return ChunkProof{Commitment: cb[:], Proof: buf.Bytes(), Salt: sb[:]}, nil
}

// assign checks values and bounds, pads values with min and returns the
// circuit assignment under a fresh salt.
func (p *ChunkProver) assign(values []int64, min, max int64) (*circuits.Chunk, fr.Element, error) {
	n, w := p.lay.N, p.lay.W
	if len(values) < 1 || len(values) > n {
		return nil, fr.Element{}, fmt.Errorf("zk: prove chunk: %d values, want 1 to %d", len(values), n)
	}
	if min > max {
		return nil, fr.Element{}, fmt.Errorf("zk: prove chunk: min %d > max %d", min, max)
	}
	if got := Width(min, max); got > w {
		return nil, fr.Element{}, fmt.Errorf("%w: bounds [%d, %d] need %d bits, the circuit has %d", ErrWidth, min, max, got, w)
	}
	for i, v := range values {
		if v < min || v > max {
			return nil, fr.Element{}, fmt.Errorf("%w: values[%d] = %d is outside [%d, %d]", ErrOutOfRange, i, v, min, max)
		}
	}
	padded := values
	if len(values) < n {
		padded = make([]int64, n)
		copy(padded, values)
		for i := len(values); i < n; i++ {
			padded[i] = min
		}
	}
	salt, err := newSalt()
	if err != nil {
		return nil, fr.Element{}, fmt.Errorf("zk: prove chunk: %w", err)
	}
	a, err := circuits.NewChunkAssignment(n, w, padded, min, max, salt)
	if err != nil {
		return nil, fr.Element{}, fmt.Errorf("zk: prove chunk: %w", err)
	}
	return a, salt, nil
}
