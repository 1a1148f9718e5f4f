package zk

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/hash_to_field"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/dxplabs/dxp/circuits"
)

// inputCommitments is how many BSB22 commitments an input proof carries:
// the root one (γ) and the slot link's two range rounds.
const inputCommitments = 3

// inputHashed is how many public inputs γ hashes: Commitment, Min, Max,
// Rows and Binding, public inputs 1 to 5 (circuits.InputStatement.PublicPrefix).
const inputHashed = 5

// ErrInvalidInputProof is returned when an input proof, its statement or
// its key is malformed, or the proof does not verify.
var ErrInvalidInputProof = errors.New("zk: invalid input proof")

// CompileInput compiles the input circuit of lay (R1CS, BN254).
func CompileInput(lay circuits.InputLayout) (ccs constraint.ConstraintSystem, err error) {
	defer recoverTo(&err, "zk: compile input")
	return compileEncryption(lay.NewCircuit())
}

// SetupInputInsecure runs a single-party Groth16 setup of the input
// circuit of lay and returns the serialised proving key (gnark WriteRawTo)
// and verifying key (gnark WriteTo).
//
// INSECURE: the toxic waste is sampled in this process, so ANYONE WHO RAN IT
// CAN FORGE PROOFS. Devnets and tests only.
func SetupInputInsecure(lay circuits.InputLayout) (pk, vk []byte, err error) {
	ccs, err := CompileInput(lay)
	if err != nil {
		return nil, nil, err
	}
	defer recoverTo(&err, "zk: setup input")
	gpk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup input: %w", err)
	}
	return writeKeys(gpk, gvk)
}

// InputProver proves input circuits (a chunk and its ciphertext, one
// witness) for one layout. It holds the compiled circuit and the proving
// key and is safe for concurrent use.
type InputProver struct {
	lay circuits.InputLayout
	tp  twoPass
}

// NewInputProver compiles the input circuit of lay and loads pk, a proving
// key of that circuit (see NewChunkProver for what is checked).
func NewInputProver(lay circuits.InputLayout, pk []byte) (*InputProver, error) {
	key, r1, err := compileAndLoad(func() (constraint.ConstraintSystem, error) { return CompileInput(lay) }, pk)
	return newInputProver(lay, key, r1, err)
}

// NewInputProverFrom is NewInputProver for a proving key read from src as a
// stream (see KeySource): at the secure ring it spares the key's bytes,
// most of a gigabyte, beside the decoded key and the circuit being
// compiled.
func NewInputProverFrom(lay circuits.InputLayout, src KeySource) (*InputProver, error) {
	key, r1, err := compileAndLoadFrom(func() (constraint.ConstraintSystem, error) { return CompileInput(lay) }, src)
	return newInputProver(lay, key, r1, err)
}

func newInputProver(lay circuits.InputLayout, key *groth16bn254.ProvingKey, r1 *csbn254.R1CS, err error) (*InputProver, error) {
	if err != nil {
		return nil, fmt.Errorf("%w (input circuit)", err)
	}
	if info := r1.CommitmentInfo.(constraint.Groth16Commitments); len(info) != inputCommitments {
		return nil, fmt.Errorf("zk: new input prover: the circuit has %d commitments, want %d", len(info), inputCommitments)
	}
	return &InputProver{lay: lay, tp: twoPass{ccs: r1, pk: key, context: "zk: prove input"}}, nil
}

// Layout returns the circuit's layout.
func (p *InputProver) Layout() circuits.InputLayout { return p.lay }

// Constraints returns the number of R1CS constraints of the circuit.
func (p *InputProver) Constraints() int { return p.tp.ccs.GetNbConstraints() }

// InputProof is the result of proving one chunk and its ciphertext.
type InputProof struct {
	Proof      []byte     // gnark compressed Groth16 proof, public
	Commitment fr.Element // the chunk commitment, public
	// Salt opens Commitment together with the values: secret, the owner's.
	Salt fr.Element
	// Challenge is γ; Evaluations are the public polynomials at γ, which a
	// listing carries so that the chain can verify without the ciphertext.
	Challenge   fr.Element
	Evaluations []circuits.EncryptionEvaluation
	// HistogramSum is the histogram part's sum (S_c or S_T), public; zero
	// for a layout without one.
	HistogramSum fr.Element
}

// Prove proves that the chunk's rows values (1 to N; the rest of the chunk
// is padding) lie within [min, max], commits to them under a fresh salt,
// and that the ciphertext whose public polynomials are polys (T-scaled,
// see circuits.GroupPolys) encrypts exactly them (the plaintext's first
// len(values) slots; the others 0) with the witness w, bound to binding
// (see Binding). Anything the circuit would refuse is refused before any
// proving work (circuits.InputLayout.NewAssignment says what).
//
// It proves twice (see twoPass). In the rare case (probability below
// 2N/T) that a point ρ read from γ is a slot root, the link has no witness
// and Prove fails; proving again draws a new γ.
func (p *InputProver) Prove(values []int64, min, max int64, w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (InputProof, error) {
	salt, err := newSalt()
	if err != nil {
		return InputProof{}, fmt.Errorf("zk: prove input: %w", err)
	}
	a, err := p.lay.NewAssignment(values, min, max, salt, w, polys, binding)
	if err != nil {
		return InputProof{}, fmt.Errorf("zk: prove input: %w", err)
	}
	return p.proveAssignment(a, polys)
}

// proveAssignment runs the two passes on an assignment built by the caller
// (tests force assignments the native builder refuses through it).
func (p *InputProver) proveAssignment(a *circuits.Input, polys []circuits.GroupPolys) (InputProof, error) {
	return p.proveAssignmentWith(a, polys)
}

// proveAssignmentWith is proveAssignment with extra solver options (tests
// override hints the way an attacker would).
func (p *InputProver) proveAssignmentWith(a *circuits.Input, polys []circuits.GroupPolys, opts ...solver.Option) (InputProof, error) {
	var ev []circuits.EncryptionEvaluation
	tp := p.tp
	tp.extra = opts
	proof, gamma, err := tp.prove(func() frontend.Circuit { return a }, func(gamma fr.Element) error {
		var err error
		if ev, err = p.lay.Encryption.Evaluate(polys, gamma); err != nil {
			return err
		}
		return a.SetEvaluations(ev)
	})
	if err != nil {
		return InputProof{}, err
	}
	commitment, _ := a.Chunk.Commitment.(fr.Element)
	salt, _ := a.Chunk.Salt.(fr.Element)
	return InputProof{Proof: proof, Commitment: commitment, Salt: salt, Challenge: gamma, Evaluations: ev, HistogramSum: a.HistogramSum()}, nil
}

// InputChallenge recomputes γ, the challenge at which an input proof's
// evaluations are taken, exactly as gnark's verifier does: hash-to-field
// (DST constraint.CommitmentDst) over the proof's first commitment
// (uncompressed) and the public inputs it commits to, Commitment, Min, Max,
// Rows and Binding, as 32 big-endian bytes each. A committee member calls
// it with the listing's statement, evaluates the stored ciphertext and the
// registered key at γ (circuits.EncryptionLayout.Evaluate, or
// CheckInputEvaluations) and compares with the listing's evaluations.
func InputChallenge(proof []byte, st circuits.InputStatement) (fr.Element, error) {
	p, err := parseInputProof(proof)
	if err != nil {
		return fr.Element{}, err
	}
	return inputChallenge(p, st), nil
}

func inputChallenge(p *groth16bn254.Proof, st circuits.InputStatement) fr.Element {
	prefix := st.PublicPrefix()
	hashed := make([]*big.Int, len(prefix))
	for i := range prefix {
		hashed[i] = prefix[i].BigInt(new(big.Int))
	}
	h := hash_to_field.New([]byte(constraint.CommitmentDst))
	h.Write(constraint.SerializeCommitment(p.Commitments[0].Marshal(), hashed, fr.Bytes))
	return challengeFromDigest(h.Sum(nil), h.Size())
}

func parseInputProof(proof []byte) (p *groth16bn254.Proof, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: internal panic: %v", ErrInvalidInputProof, r)
		}
	}()
	p, err = parseProof(proof, inputCommitments)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInputProof, err)
	}
	return p, nil
}

// VerifyInput checks that proof proves the input statement of lay: the
// chunk committed to by st.Commitment has st.Rows real rows within [st.Min,
// st.Max], and the ciphertext and key that st.Binding names encrypt exactly
// them, given that their T-scaled polynomials evaluate at γ to ev. This is
// the chain's check: it needs no ciphertext, only the evaluations a
// listing carries; whether the stored ciphertext and the registered key do
// evaluate to ev at γ is the committee members' check
// (CheckInputEvaluations). It returns nil only for a valid proof; malformed
// input yields an error wrapping ErrInvalidInputProof (or ErrInvalidKey for
// vk), never a panic. vk must be the registered key of lay's circuit.
func VerifyInput(vk []byte, lay circuits.InputLayout, st circuits.InputStatement, ev []circuits.EncryptionEvaluation, proof []byte) error {
	if lay.Histogram.Side != circuits.HistogramOff {
		return fmt.Errorf("%w: the layout has a histogram part (use VerifyInputHistogram)", ErrInvalidInputProof)
	}
	return verifyInput(vk, lay, st, ev, nil, proof)
}

// verifyInput verifies an input proof whose public inputs end with extra
// (the histogram part's, if any).
func verifyInput(vk []byte, lay circuits.InputLayout, st circuits.InputStatement, ev []circuits.EncryptionEvaluation, extra []fr.Element, proof []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: internal panic: %v", ErrInvalidInputProof, r)
		}
	}()
	if err := st.Check(lay); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInputProof, err)
	}
	groups := lay.Encryption.Groups()
	if len(ev) != groups {
		return fmt.Errorf("%w: %d groups of evaluations, want %d", ErrInvalidInputProof, len(ev), groups)
	}
	key, err := parseVerifyingKeyOf(vk, inputHashed+4*groups+len(extra), "input")
	if err != nil {
		return err
	}
	// γ hashes public inputs 1..5 and nothing else public: the evaluations
	// are derived from γ, so they must not be hashed into it.
	if err := checkInputKeyCommitments(key); err != nil {
		return err
	}
	p, err := parseInputProof(proof)
	if err != nil {
		return err
	}
	public := make(fr.Vector, 0, inputHashed+4*groups+len(extra))
	public = append(public, st.PublicPrefix()...)
	for _, e := range ev {
		public = append(public, e.C0Gamma, e.C1Gamma, e.P0Gamma, e.P1Gamma)
	}
	public = append(public, extra...)
	if err := groth16bn254.Verify(p, key, public); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInputProof, err)
	}
	return nil
}

// checkInputKeyCommitments checks that the key's root commitment hashes
// exactly public inputs 1..5 and the slot link's commitments none.
func checkInputKeyCommitments(key *groth16bn254.VerifyingKey) error {
	committed := key.PublicAndCommitmentCommitted
	if len(committed) != inputCommitments || len(committed[0]) != inputHashed {
		return fmt.Errorf("%w: verifying key: its commitments do not hash the input statement", ErrInvalidKey)
	}
	for j, idx := range committed[0] {
		if idx != j+1 {
			return fmt.Errorf("%w: verifying key: its root commitment does not hash the input statement", ErrInvalidKey)
		}
	}
	return nil
}

// CheckInputEvaluations is a committee member's check of one listed input
// proof: it recomputes γ from the proof and the statement and checks that
// polys, the T-scaled polynomials of the stored ciphertext (whose SHA-256
// digest, with the key and level, gives st.Binding) under the registered
// key, evaluate at γ to ev, the evaluations the listing carries and the
// chain verified the proof with. Together with VerifyInput it is
// VerifyEncryption's check, split between the chain and the members.
func CheckInputEvaluations(lay circuits.InputLayout, st circuits.InputStatement, ev []circuits.EncryptionEvaluation, polys []circuits.GroupPolys, proof []byte) error {
	gamma, err := InputChallenge(proof, st)
	if err != nil {
		return err
	}
	want, err := lay.Encryption.Evaluate(polys, gamma)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInputProof, err)
	}
	if len(ev) != len(want) {
		return fmt.Errorf("%w: %d groups of evaluations, want %d", ErrInvalidInputProof, len(ev), len(want))
	}
	for g := range want {
		if ev[g] != want[g] {
			return fmt.Errorf("%w: group %d: the ciphertext and key do not evaluate to the listed values at γ", ErrInvalidInputProof, g)
		}
	}
	return nil
}
