package mpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// ProofKindInput is InputColumn.Kind for a column proven with input proofs (rights.CircuitInput):
// one proof per ciphertext, each showing that the ciphertext is a fresh encryption under the
// committee's key of exactly the chunk's committed values, given listed evaluations that the
// members check (InputChecker). The zero Kind is a column proven with chunk proofs only, which
// say nothing of its ciphertexts.
const ProofKindInput = "input"

// InputColumn is what a member needs to check one column's input proofs (a PhaseInputs task).
type InputColumn struct {
	Kind     string // "" (chunk proofs: nothing to check beyond the ciphertexts) or ProofKindInput
	Width    uint32 // the input circuit's width
	Min, Max int64  // the column's bounds
	// Chunks hold one proof per ciphertext of the column, in the order of Task.Columns.
	Chunks []InputChunk
}

// InputChunk is the listing's input proof of one ciphertext.
type InputChunk struct {
	Commitment  []byte // the chunk's commitment (32 bytes)
	Proof       []byte
	Evaluations []byte // Chunk.Evaluations: C0, C1, P0, P1 at γ per CRT group
	Rows        uint64 // real rows in the chunk: min(N, dataset rows − j·N)
}

// InputClaim is one input proof's public statement, as the chain verified it (rights.InputClaim):
// what an InputChecker checks the stored objects' evaluations against.
type InputClaim struct {
	Slots       uint64 // the ring degree N: rows per ciphertext
	Width       uint32
	Commitment  []byte
	Min, Max    int64
	Rows        uint64
	Key         [32]byte // digest of the committee's public key object the proof is bound to
	Holder      string   // the listing's holder (its chain address), whom the proof is bound to
	Ciphertext  [32]byte // digest of the stored ciphertext the proof is bound to
	Evaluations []byte
}

// InputChecker checks one listed input proof against the stored objects: that polys, the T-scaled
// polynomials of the stored ciphertext and of the committee's public key (ProofKey.Polys, one
// GroupPolys per CRT group of InputLevel), evaluate at the proof's challenge γ (derived from the
// proof and the claim's statement) to the claim's listed Evaluations. mpc imports no proof system;
// marketplace implements it with zk.CheckInputEvaluations. Every error it returns is a fault of
// the listing (a malformed claim, proof or evaluations, or evaluations that are not the stored
// objects'): the member posts it as an invalid verdict. It must be safe for concurrent use.
//
// Why the members must check this: the chain verifies the proof with the listed evaluations and
// the Binding (key digest, level, ciphertext digest), but the circuit sees the ciphertext's and
// key's polynomials only through their evaluations at γ. An owner may prove the relation for
// polynomials of its own choosing (another key, another ciphertext), bind the proof to a stored
// ciphertext that encrypts something else, and list those polynomials' evaluations: the proof
// verifies and only the evaluations betray it. When the stored ciphertext's and key's polynomials
// (derived from the very bytes whose digests the Binding hashes, so fixed before γ) do evaluate to
// the listed values at γ, the encryption circuit's argument (circuits/encryption.go) holds for
// them: a false relation H ≠ 0 of degree ≤ 2N−2 vanishes at γ with probability at most
// (2N−2)/p per identity and CRT group, below 2^-238 at N = 2^14 on BN254 (p ≈ 2^254).
type InputChecker interface {
	CheckInput(c *InputClaim, proof []byte, polys []GroupPolys) error
}

// ListingChecker checks a pending dataset's stored inputs (a PhaseInputs task), what a member
// does before it posts its verdict. It keeps the proof key (ProofKey) of the last committee key
// it used. Safe for concurrent use.
type ListingChecker struct {
	params heint.Parameters
	objs   Objects
	inputs InputChecker
	codec  *codec

	mu    sync.Mutex
	keyID [32]byte
	key   *ProofKey
}

// NewListingChecker returns a checker of listings under params, reading objects from objs and
// checking input proofs with inputs.
func NewListingChecker(params heint.Parameters, objs Objects, inputs InputChecker) (*ListingChecker, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: listing checker: %w", err)
	}
	if objs == nil || inputs == nil {
		return nil, errors.New("mpc: listing checker: no object store or no input checker")
	}
	return &ListingChecker{params: params, objs: objs, inputs: inputs, codec: newCodec(params)}, nil
}

// inputsTask checks the stored inputs of a pending dataset and posts this member's verdict. A
// fault of the listing (an object missing from storage, not a ciphertext the committee can
// compute on, or an input proof whose listed evaluations are not the stored objects') is an
// invalid verdict naming it; any other error (storage unreachable, an object that does not match
// its digest in transit, the committee's key missing) is retried, never judged.
func (m *Member) inputsTask(ctx context.Context, t *Task) error {
	start := time.Now()
	reason, err := m.listings.Check(ctx, t)
	if err != nil {
		return err
	}
	if err := m.cfg.Board.AttestInputs(ctx, t.ID, reason); err != nil {
		return fmt.Errorf("post the verdict on dataset %s: %w", t.ID, err)
	}
	if reason != "" {
		m.log.Warn("mpc: refused a listing's inputs", "dataset", t.ID, "reason", reason)
		return nil
	}
	objects, proofs := 0, 0
	for i := range t.Columns {
		objects += len(t.Columns[i])
		if t.Inputs[i].Kind == ProofKindInput {
			proofs += len(t.Inputs[i].Chunks)
		}
	}
	m.log.Info("mpc: checked a listing's inputs", "dataset", t.ID, "objects", objects, "input_proofs", proofs, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Check returns why the dataset's inputs are not what its listing claims ("" if they are): every
// column ciphertext and frequency table must be in storage and parse as a ciphertext under the
// committee's parameters at a level every op can start from (multiBuildLevel = InputLevel), and
// for a column of input proofs, each ciphertext j's listed evaluations must be those of the
// stored ciphertext and the committee's key t.InputKey at proof j's challenge (InputChecker). A
// task the member cannot judge (malformed, an unknown proof kind, the key not in storage) is an
// error, never a verdict.
func (l *ListingChecker) Check(ctx context.Context, t *Task) (reason string, err error) {
	n := len(t.Columns)
	if len(t.ColumnNames) != n || len(t.Tables) != n || len(t.Inputs) != n {
		return "", fmt.Errorf("dataset %s: %d column names, %d tables and %d proof sets for %d columns", t.ID, len(t.ColumnNames), len(t.Tables), len(t.Inputs), n)
	}
	for i := range t.Inputs {
		switch t.Inputs[i].Kind {
		case "", ProofKindInput:
		default:
			return "", fmt.Errorf("dataset %s: column %s has proofs of kind %q, which this member cannot check", t.ID, t.ColumnNames[i], t.Inputs[i].Kind)
		}
	}
	get := func(what string, d [32]byte) ([]byte, string, error) {
		b, err := l.objs.Get(ctx, d)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Sprintf("%s (%s) is not in storage", what, short(d)), nil
		}
		if err != nil {
			return nil, "", err
		}
		if _, err := l.codec.ciphertext(b, multiBuildLevel); err != nil {
			return nil, fmt.Sprintf("%s (%s) is not a ciphertext the committee can compute on: %v", what, short(d), err), nil
		}
		return b, "", nil
	}
	for i, col := range t.Columns {
		in := &t.Inputs[i]
		var key *ProofKey
		if in.Kind == ProofKindInput {
			if len(in.Chunks) != len(col) {
				return fmt.Sprintf("column %s has %d ciphertexts and %d input proofs, want one proof per ciphertext", t.ColumnNames[i], len(col), len(in.Chunks)), nil
			}
			if key, err = l.proofKey(ctx, t.InputKey); err != nil {
				return "", fmt.Errorf("dataset %s: %w", t.ID, err)
			}
		}
		for j, d := range col {
			what := fmt.Sprintf("column %s ciphertext %d", t.ColumnNames[i], j)
			b, r, err := get(what, d)
			if r != "" || err != nil {
				return r, err
			}
			if key != nil {
				if r := l.checkInput(key, t.InputKey, t.InputHolder, in, j, d, b); r != "" {
					return fmt.Sprintf("%s (%s): %s", what, short(d), r), nil
				}
			}
		}
		if t.Tables[i] != ([32]byte{}) {
			if _, r, err := get(fmt.Sprintf("column %s frequency table", t.ColumnNames[i]), t.Tables[i]); r != "" || err != nil {
				return r, err
			}
		}
	}
	return "", nil
}

// checkInput returns why chunk j's input proof does not hold for the stored ciphertext ct (digest
// d) under the committee key keyID, or "".
func (l *ListingChecker) checkInput(key *ProofKey, keyID [32]byte, holder string, in *InputColumn, j int, d [32]byte, ct []byte) string {
	polys, err := key.Polys(ct)
	if err != nil {
		return fmt.Sprintf("not a ciphertext at the input level %d: %v", InputLevel, err)
	}
	ch := &in.Chunks[j]
	claim := &InputClaim{Slots: uint64(Slots(l.params)), Width: in.Width, Commitment: ch.Commitment, Min: in.Min, Max: in.Max,
		Rows: ch.Rows, Key: keyID, Holder: holder, Ciphertext: d, Evaluations: ch.Evaluations}
	if err := l.inputs.CheckInput(claim, ch.Proof, polys); err != nil {
		return fmt.Sprintf("its input proof's listed evaluations do not hold for the stored ciphertext and the committee's key: %v", err)
	}
	return ""
}

// proofKey returns the proof key of the committee's public key object d, made once per key: its
// polynomials are the same for every ciphertext under it.
func (l *ListingChecker) proofKey(ctx context.Context, d [32]byte) (*ProofKey, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.key != nil && l.keyID == d {
		return l.key, nil
	}
	if d == ([32]byte{}) {
		return nil, errors.New("no committee key to check input proofs against")
	}
	b, err := l.objs.Get(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("load the committee's public key %s: %w", short(d), err)
	}
	pk, err := l.codec.publicKey(b)
	if err != nil {
		return nil, fmt.Errorf("the committee's public key %s: %w", short(d), err)
	}
	key, err := NewProofKey(l.params, pk, InputLevel)
	if err != nil {
		return nil, err
	}
	l.keyID, l.key = d, key
	return key, nil
}
