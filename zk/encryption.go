package zk

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"regexp"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/hash_to_field"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/dxplabs/dxp/circuits"
)

// bindingTag separates the encryption binding from every other SHA-256 use.
const bindingTag = "dxp/zk/encryption-binding/v3"

// randomizeHintName is the gnark hint that draws the mask of a BSB22
// commitment (frontend/cs/r1cs Commit). The encryption prover overrides it
// so that its two proving passes commit to the same masked vector.
const randomizeHintName = "github.com/consensys/gnark/internal/hints.Randomize"

// ErrInvalidEncryptionProof is returned when an encryption proof, its
// statement or its key is malformed, or the proof does not verify.
var ErrInvalidEncryptionProof = errors.New("zk: invalid encryption proof")

// Binding returns the public input that ties an encryption proof's
// challenge to the ciphertext and the key it is about, and to the party
// that proved it: SHA-256 over a domain tag, the collective public key's
// digest, the ciphertext's level, the SHA-256 digest of the ciphertext's
// bytes (the storage digest a listing records) and holder, the identity of
// the party listing it (its chain address), each length-prefixed, reduced
// modulo the BN254 scalar
// field (collisions modulo p cost about 2^126). Taking the digest rather
// than the bytes lets the chain, which holds only digests, compute it. The
// verifier must derive the polynomials it checks (VerifyEncryption, or a
// member's evaluation check) from ciphertext bytes that hash to ctDigest and
// from this key. The holder is there because a proof is public once listed:
// without it another party could relist the same ciphertexts, proofs and
// evaluations verbatim as its own dataset and sell computations on the
// victim's data under its own policy; with it, a copied proof verifies
// only for the holder it was made for.
func Binding(keyDigest []byte, level int, ctDigest [sha256.Size]byte, holder []byte) fr.Element {
	h := sha256.New()
	var buf [8]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	put([]byte(bindingTag))
	put(keyDigest)
	binary.BigEndian.PutUint64(buf[:], uint64(level))
	h.Write(buf[:])
	put(ctDigest[:])
	put(holder)
	var e fr.Element
	e.SetBytes(h.Sum(nil)) // reduces modulo p
	return e
}

// CompileEncryption compiles the encryption circuit of lay (R1CS, BN254).
func CompileEncryption(lay circuits.EncryptionLayout) (ccs constraint.ConstraintSystem, err error) {
	return compileEncryption(lay.NewCircuit())
}

// compileEncryption compiles c, the encryption circuit or a circuit that
// embeds it.
func compileEncryption(c frontend.Circuit) (ccs constraint.ConstraintSystem, err error) {
	defer recoverTo(&err, "zk: compile encryption")
	ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return nil, fmt.Errorf("zk: compile encryption: %w", err)
	}
	return ccs, nil
}

// SetupEncryptionInsecure runs a single-party Groth16 setup of the
// encryption circuit of lay and returns the serialised proving key (gnark
// WriteRawTo) and verifying key (gnark WriteTo).
//
// INSECURE: the toxic waste is sampled in this process, so ANYONE WHO RAN IT
// CAN FORGE PROOFS. Devnets and tests only.
func SetupEncryptionInsecure(lay circuits.EncryptionLayout) (pk, vk []byte, err error) {
	ccs, err := CompileEncryption(lay)
	if err != nil {
		return nil, nil, err
	}
	defer recoverTo(&err, "zk: setup encryption")
	gpk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup encryption: %w", err)
	}
	return writeKeys(gpk, gvk)
}

// EncryptionProver proves encryptions for one layout. It holds the compiled
// circuit and the proving key and is safe for concurrent use.
type EncryptionProver struct {
	lay circuits.EncryptionLayout
	ccs *csbn254.R1CS
	pk  *groth16bn254.ProvingKey
	// wrap turns an encryption assignment into the compiled circuit's
	// assignment (the identity, except for test circuits that embed it).
	wrap func(*circuits.Encryption) frontend.Circuit
}

// NewEncryptionProver compiles the encryption circuit of lay and loads pk, a
// proving key of that circuit (see NewChunkProver for what is checked).
func NewEncryptionProver(lay circuits.EncryptionLayout, pk []byte) (*EncryptionProver, error) {
	return newEncryptionProver(lay, lay.NewCircuit(), pk)
}

// newEncryptionProver loads pk for c, the encryption circuit of lay or a
// circuit that embeds it (with the same public inputs).
func newEncryptionProver(lay circuits.EncryptionLayout, c frontend.Circuit, pk []byte) (*EncryptionProver, error) {
	ccs, err := compileEncryption(c)
	if err != nil {
		return nil, err
	}
	key, r1, err := loadProvingKey(ccs, pk)
	if err != nil {
		return nil, fmt.Errorf("%w (encryption circuit)", err)
	}
	if info := r1.CommitmentInfo.(constraint.Groth16Commitments); len(info) != 1 {
		return nil, fmt.Errorf("zk: new encryption prover: the circuit has %d commitments, want 1", len(info))
	}
	return &EncryptionProver{lay: lay, ccs: r1, pk: key, wrap: func(a *circuits.Encryption) frontend.Circuit { return a }}, nil
}

// Layout returns the circuit's layout.
func (p *EncryptionProver) Layout() circuits.EncryptionLayout { return p.lay }

// Constraints returns the number of R1CS constraints of the circuit.
func (p *EncryptionProver) Constraints() int { return p.ccs.GetNbConstraints() }

// EncryptionProof is the result of proving one encryption.
type EncryptionProof struct {
	Proof []byte // gnark compressed Groth16 proof, public
	// Challenge is γ, and Evaluations the public polynomials evaluated at γ
	// (the verifier recomputes both; they are returned for the caller's
	// own checks and for gadgets that derive randomness from γ).
	Challenge   fr.Element
	Evaluations []circuits.EncryptionEvaluation
}

// Prove proves that polys (one group each, T-scaled: see
// circuits.GroupPolys) are an encryption of w under the key they hold,
// bound to binding (see Binding). A witness that does not satisfy the
// relation, or exceeds its bounds, is refused before any proving work.
//
// gnark learns γ only while proving (it hashes the commitment to the
// witness, which it masks with a random value), and the public inputs are
// evaluations at γ. So Prove proves twice with one mask drawn from
// crypto/rand: the first pass, with placeholder evaluations, fails after the
// commitment and reveals γ through the hash it is computed with; the second,
// with the true evaluations, commits to the same masked vector, gets the
// same γ, and succeeds.
func (p *EncryptionProver) Prove(polys []circuits.GroupPolys, w circuits.EncryptionWitness, binding fr.Element) (EncryptionProof, error) {
	a, err := p.lay.NewAssignment(polys, w, binding)
	if err != nil {
		return EncryptionProof{}, fmt.Errorf("zk: prove encryption: %w", err)
	}
	return p.proveAssignment(a, polys)
}

// proveAssignment runs the two passes on an assignment built by the caller
// (tests force assignments the native builder refuses through it).
func (p *EncryptionProver) proveAssignment(a *circuits.Encryption, polys []circuits.GroupPolys) (EncryptionProof, error) {
	var ev []circuits.EncryptionEvaluation
	tp := twoPass{ccs: p.ccs, pk: p.pk, context: "zk: prove encryption"}
	proof, gamma, err := tp.prove(func() frontend.Circuit { return p.wrap(a) }, func(gamma fr.Element) error {
		var err error
		if ev, err = p.lay.Evaluate(polys, gamma); err != nil {
			return err
		}
		return a.SetEvaluations(ev)
	})
	if err != nil {
		return EncryptionProof{}, err
	}
	return EncryptionProof{Proof: proof, Challenge: gamma, Evaluations: ev}, nil
}

// twoPass proves a circuit whose public inputs include evaluations at γ, the
// challenge of its first (root) commitment.
//
// gnark learns γ only while proving (it hashes the commitment to the
// witness, which it masks with a random value), so the prover proves twice
// with the same masks, drawn from crypto/rand once per proof: the first
// pass, with placeholder public values, reveals γ through the hash it is
// computed with and stops there (on one task, where the rest of its solve
// is skipped; otherwise it fails at the placeholder values, a whole solve
// later); setGamma then sets the true public values (and nothing secret:
// the second pass reuses the first's witness with only its public values
// refreshed, passWitness), and the second pass commits to the same masked
// vector, gets the same γ and succeeds.
//
// A circuit with several commitments (the input circuit's slot link adds
// two after γ) has one mask hint per commitment; the hints take no input,
// so the override tells them apart only by the order of the calls. gnark's
// solver runs the hints of one level in instruction order when it runs on
// one task, and in parallel otherwise, so twoPass solves on one task when
// there is more than one commitment: the k-th call, in both passes, is the
// k-th commitment's mask, every mask fresh. (If a future gnark reordered
// them, γ would differ between the passes and prove would fail, never
// yield a bad proof.)
type twoPass struct {
	ccs     *csbn254.R1CS
	pk      *groth16bn254.ProvingKey
	context string          // error prefix
	extra   []solver.Option // more solver options (tests: an attacker's hints)
}

func (tp twoPass) prove(assignment func() frontend.Circuit, setGamma func(gamma fr.Element) error) (out []byte, gamma fr.Element, err error) {
	defer recoverTo(&err, tp.context)
	randomizeID, err := randomizeHint()
	if err != nil {
		return nil, fr.Element{}, err
	}
	commitments := len(tp.ccs.CommitmentInfo.(constraint.Groth16Commitments))
	masks := make([]*big.Int, commitments)
	for k := range masks {
		if masks[k], err = rand.Int(rand.Reader, fr.Modulus()); err != nil {
			return nil, fr.Element{}, fmt.Errorf("%s: mask: %w", tp.context, err)
		}
	}
	var mu sync.Mutex
	calls := 0
	fixedMasks := solver.OverrideHint(randomizeID, func(_ *big.Int, in, out []*big.Int) error {
		mu.Lock()
		defer mu.Unlock()
		if len(in) != 0 || len(out) != 1 || calls >= len(masks) {
			return fmt.Errorf("%s: unexpected commitment mask request", tp.context)
		}
		out[0].Set(masks[calls])
		calls++
		return nil
	})
	solverOpts := append([]solver.Option{fixedMasks}, tp.extra...)
	// On one task gnark's solver runs every hint on the caller's goroutine, so the first pass can
	// stop as soon as γ is drawn (capturingHash.stop): the rest of its solve is wasted work.
	oneTask := commitments > 1
	if oneTask {
		solverOpts = append(solverOpts, solver.WithNbTasks(1))
	}

	var wit witness.Witness
	pass := func(first bool) (proof *groth16bn254.Proof, gamma fr.Element, drawn bool, err error) {
		mu.Lock()
		calls = 0
		mu.Unlock()
		if wit, err = passWitness(wit, assignment()); err != nil {
			return nil, fr.Element{}, false, fmt.Errorf("%s: witness: %w", tp.context, err)
		}
		h := &capturingHash{Hash: hash_to_field.New([]byte(constraint.CommitmentDst)), stop: first && oneTask}
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(gammaDrawn); !ok {
					panic(r) // gnark's own: recoverTo below turns it into an error
				}
				proof, gamma, drawn, err = nil, h.challenge, true, nil
			}
		}()
		proof, err = groth16bn254.Prove(tp.ccs, tp.pk, wit,
			backend.WithSolverOptions(solverOpts...), backend.WithProverHashToFieldFunction(h))
		return proof, h.challenge, h.calls >= 1, err
	}

	// Pass 1: placeholder public values.
	_, gamma, ok, firstErr := pass(true)
	if !ok {
		if firstErr == nil {
			firstErr = errors.New("no commitment was hashed")
		}
		return nil, fr.Element{}, fmt.Errorf("%s: no challenge: %w", tp.context, scrubSolverError(firstErr))
	}
	if err := setGamma(gamma); err != nil {
		return nil, fr.Element{}, fmt.Errorf("%s: %w", tp.context, err)
	}

	// Pass 2: the same witness and masks, the true public values.
	proof, gamma2, ok, err := pass(false)
	if err != nil {
		return nil, fr.Element{}, fmt.Errorf("%s: %w", tp.context, scrubSolverError(err))
	}
	if !ok || !gamma2.Equal(&gamma) {
		return nil, fr.Element{}, fmt.Errorf("%s: the challenge changed between the two passes", tp.context)
	}
	var buf bytes.Buffer
	if _, err := proof.WriteTo(&buf); err != nil {
		return nil, fr.Element{}, fmt.Errorf("%s: write proof: %w", tp.context, err)
	}
	return buf.Bytes(), gamma, nil
}

// passWitness returns the witness of a proving pass: the assignment's
// whole witness for the first (prev nil), and for the second prev with its
// public values refreshed from the assignment. Between the passes setGamma
// changes public values only, and the secret part, hundreds of thousands of
// values walked by reflection, is the same.
func passWitness(prev witness.Witness, a frontend.Circuit) (witness.Witness, error) {
	if prev == nil {
		return frontend.NewWitness(a, ecc.BN254.ScalarField())
	}
	pub, err := frontend.NewWitness(a, ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		return nil, err
	}
	all, ok := prev.Vector().(fr.Vector)
	values, ok2 := pub.Vector().(fr.Vector)
	if !ok || !ok2 || len(values) > len(all) {
		return nil, errors.New("unexpected witness layout")
	}
	copy(all, values) // gnark's witness vector: the public values first, then the secret ones
	return prev, nil
}

// unsatisfied matches the part of a gnark solver error that names the
// failing constraint; the rest of the message shows wire values.
var unsatisfied = regexp.MustCompile(`constraint #[0-9]+ is not satisfied`)

// scrubSolverError drops the wire values (derived from the secret) that
// gnark puts in the error of an unsatisfied constraint.
func scrubSolverError(err error) error {
	if m := unsatisfied.FindString(err.Error()); m != "" {
		return errors.New(m)
	}
	return err
}

// capturingHash is gnark's hash-to-field with the first challenge it
// returns recorded: γ, the field element gnark derives from the digest of
// the root commitment. With stop set it then panics with gammaDrawn, which
// ends the proving pass it is in: only for a solve on one task, whose hints
// run on the prover's goroutine, where twoPass recovers it.
type capturingHash struct {
	hash.Hash
	challenge fr.Element
	calls     int
	stop      bool
}

// gammaDrawn is the panic that ends a first pass once γ is known.
type gammaDrawn struct{}

func (h *capturingHash) Sum(b []byte) []byte {
	out := h.Hash.Sum(b)
	if h.calls == 0 { // the root commitment's: gnark hashes the commitments in order
		h.challenge = challengeFromDigest(out[len(b):], h.Hash.Size())
	}
	h.calls++
	if h.stop {
		panic(gammaDrawn{})
	}
	return out
}

// challengeFromDigest is how gnark's Groth16 prover and verifier turn the
// hash-to-field digest into the commitment wire's value.
func challengeFromDigest(digest []byte, size int) fr.Element {
	n := fr.Bytes
	if size < n {
		n = size
	}
	var e fr.Element
	e.SetBytes(digest[:n])
	return e
}

var randomizeOnce struct {
	sync.Once
	id  solver.HintID
	err error
}

// randomizeHint finds gnark's commitment-mask hint in the solver registry.
func randomizeHint() (solver.HintID, error) {
	randomizeOnce.Do(func() {
		for _, h := range solver.GetRegisteredHints() {
			if solver.GetHintName(h) == randomizeHintName {
				randomizeOnce.id = solver.GetHintID(h)
				return
			}
		}
		randomizeOnce.err = fmt.Errorf("zk: gnark hint %s is not registered (gnark version changed?)", randomizeHintName)
	})
	return randomizeOnce.id, randomizeOnce.err
}

// EncryptionChallenge recomputes γ from an encryption proof and its binding
// exactly as gnark's verifier does: hash-to-field (DST
// constraint.CommitmentDst) over the proof's commitment (uncompressed) and
// the committed public input, Binding, as 32 big-endian bytes. γ is the
// encryption gadget's challenge because its commitment callback is the
// first (multicommit's root commitment).
func EncryptionChallenge(proof []byte, binding fr.Element) (fr.Element, error) {
	p, err := parseEncryptionProof(proof)
	if err != nil {
		return fr.Element{}, err
	}
	return encryptionChallenge(p, binding), nil
}

func encryptionChallenge(p *groth16bn254.Proof, binding fr.Element) fr.Element {
	h := hash_to_field.New([]byte(constraint.CommitmentDst))
	h.Write(constraint.SerializeCommitment(p.Commitments[0].Marshal(), []*big.Int{binding.BigInt(new(big.Int))}, fr.Bytes))
	return challengeFromDigest(h.Sum(nil), h.Size())
}

func parseEncryptionProof(proof []byte) (p *groth16bn254.Proof, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: internal panic: %v", ErrInvalidEncryptionProof, r)
		}
	}()
	p, err = parseProof(proof, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEncryptionProof, err)
	}
	return p, nil
}

// VerifyEncryption checks that proof proves the encryption relation of lay
// for the public polynomials polys (one group each, T-scaled: see
// circuits.GroupPolys) bound to binding, under the verifying key vk. It
// recomputes γ from the proof's commitment and binding, evaluates polys at
// γ (4·N multiplications per group) and verifies the Groth16 proof with
// (binding, evaluations) as public inputs. It returns nil only for a valid
// proof; malformed input yields an error wrapping ErrInvalidEncryptionProof
// (or ErrInvalidKey for vk), never a panic.
//
// binding must be computed by the verifier (Binding) from the same
// ciphertext and key bytes that polys were derived from: γ is bound to the
// ciphertext only through it. vk must be the registered key of lay's
// circuit: the key fixes N, the moduli, T and B_e, and VerifyEncryption can
// only check its number of public inputs.
func VerifyEncryption(vk []byte, lay circuits.EncryptionLayout, polys []circuits.GroupPolys, binding fr.Element, proof []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: internal panic: %v", ErrInvalidEncryptionProof, r)
		}
	}()
	groups := lay.Groups()
	key, err := parseVerifyingKeyOf(vk, 1+4*groups, "encryption")
	if err != nil {
		return err
	}
	// γ hashes Binding (public input 1) and nothing else public: the
	// evaluations are derived from γ, so they must not be hashed into it.
	if len(key.PublicAndCommitmentCommitted) != 1 || len(key.PublicAndCommitmentCommitted[0]) != 1 || key.PublicAndCommitmentCommitted[0][0] != 1 {
		return fmt.Errorf("%w: verifying key: its commitment does not hash exactly the binding", ErrInvalidKey)
	}
	p, err := parseEncryptionProof(proof)
	if err != nil {
		return err
	}
	gamma := encryptionChallenge(p, binding)
	ev, err := lay.Evaluate(polys, gamma)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEncryptionProof, err)
	}
	return verifyEvaluations(key, p, binding, ev)
}

// verifyEvaluations verifies p with (binding, evaluations) as the public
// inputs, in the circuit's order.
func verifyEvaluations(key *groth16bn254.VerifyingKey, p *groth16bn254.Proof, binding fr.Element, ev []circuits.EncryptionEvaluation) error {
	public := make(fr.Vector, 0, 1+4*len(ev))
	public = append(public, binding)
	for _, e := range ev {
		public = append(public, e.C0Gamma, e.C1Gamma, e.P0Gamma, e.P1Gamma)
	}
	if err := groth16bn254.Verify(p, key, public); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEncryptionProof, err)
	}
	return nil
}
