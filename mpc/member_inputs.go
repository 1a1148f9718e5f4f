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

// ProofKindInputHistogram is InputColumn.Kind for a column proven with input proofs that also
// carry the column side of the histogram check (rights.CircuitInputHistogram), and whose
// frequency table carries an input proof of its own (InputColumn.Table, rights.CircuitFrequencyTable).
// A member checks every chunk as for ProofKindInput and the table the same way. Why the table
// needs the members: the chain's sum check (Σ S_c = S_T at α) shows that the counts committed in
// the table's commitment are the histogram of the column's committed values, and the table's
// proof that the ciphertext its binding names is a fresh encryption of exactly those counts, but
// only given its listed evaluations: as for a column ciphertext (InputChecker), an owner may prove
// the counts' encryption for another ciphertext and store a table of skewed counts under the
// bound digest. Only the members' check that the listed evaluations are the stored table's ties
// the histogram to the ciphertext the committee adds up.
const ProofKindInputHistogram = "input-histogram"

// InputColumn is what a member needs to check one column's input proofs (a PhaseInputs task).
type InputColumn struct {
	Kind     string // "" (chunk proofs: nothing to check beyond the ciphertexts), ProofKindInput or ProofKindInputHistogram
	Width    uint32 // the input circuit's width
	Min, Max int64  // the column's bounds
	// Chunks hold one proof per ciphertext of the column, in the order of Task.Columns.
	Chunks []InputChunk
	// Table (ProofKindInputHistogram only; required then) is the input proof of the column's
	// frequency table, whose ciphertext is the task's Tables entry for the column.
	Table *InputTable
}

// InputChunk is the listing's input proof of one ciphertext.
type InputChunk struct {
	Commitment  []byte // the chunk's commitment (32 bytes)
	Proof       []byte
	Evaluations []byte // Chunk.Evaluations: C0, C1, P0, P1 at γ per CRT group
	Rows        uint64 // real rows in the chunk: min(N, dataset rows − j·N)
}

// InputTable is the listing's input proof of a column's frequency table (the proof fields of
// rights.FrequencyTable). The chain verified it against the claim tableClaim builds: the table's
// N slots are all real rows, each count in [0, Max].
type InputTable struct {
	Width       uint32 // the frequency-table circuit's width
	Max         int64  // the counts' upper bound: the dataset's rows
	Commitment  []byte // the counts' commitment (32 bytes)
	Proof       []byte
	Evaluations []byte // as InputChunk.Evaluations, of the table's ciphertext
}

// HistogramSide says which half of a column's histogram check an input proof carries (the
// mirror of rights.HistogramSide); zero for a plain input proof.
type HistogramSide uint8

const (
	HistogramColumn HistogramSide = iota + 1 // a chunk of a ProofKindInputHistogram column
	HistogramTable                           // the column's frequency table
)

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
	// Histogram names the circuit's histogram part (0: none): with N bins over the column
	// (HistogramColumn) or the table's side (HistogramTable). The check needs the side alone, to
	// use the very layout the chain verified with: γ hashes the input statement only (Commitment,
	// Min, Max, Rows, binding), not α, the bins or the sum (circuits.HistogramLayout), so the
	// member needs nothing of the column's histogram challenge.
	Histogram HistogramSide
}

// tableClaim is the claim of the frequency table of column in (a ProofKindInputHistogram column
// whose Table is set) of a listing under the committee key keyID by holder, the table's
// ciphertext stored under table, on a ring of slots slots: Min 0, Max the dataset's rows, and
// every one of the N slots a real row (counts past the last bin are 0).
func tableClaim(in *InputColumn, slots uint64, keyID [32]byte, holder string, table [32]byte) *InputClaim {
	tb := in.Table
	return &InputClaim{Slots: slots, Width: tb.Width, Commitment: tb.Commitment, Min: 0, Max: tb.Max, Rows: slots,
		Key: keyID, Holder: holder, Ciphertext: table, Evaluations: tb.Evaluations, Histogram: HistogramTable}
}

// InputChecker checks one listed input proof against the stored objects: that polys, the T-scaled
// polynomials of the stored ciphertext and of the committee's public key (ProofKey.Polys, one
// GroupPolys per CRT group of InputLevel), evaluate at the proof's challenge γ (derived from the
// proof and the claim's statement, on the circuit layout of the claim's ring, width and histogram
// side) to the claim's listed Evaluations. mpc imports no proof system;
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
		switch t.Inputs[i].Kind {
		case ProofKindInput:
			proofs += len(t.Inputs[i].Chunks)
		case ProofKindInputHistogram:
			proofs += len(t.Inputs[i].Chunks) + 1 // and the frequency table's
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
// column of histogram input proofs (ProofKindInputHistogram) must also have a proven frequency
// table, and the table's listed evaluations must be those of the stored table and the key. A task
// the member cannot judge (malformed, an unknown proof kind, the key not in storage) is an error,
// never a verdict.
func (l *ListingChecker) Check(ctx context.Context, t *Task) (reason string, err error) {
	n := len(t.Columns)
	if len(t.ColumnNames) != n || len(t.Tables) != n || len(t.Inputs) != n {
		return "", fmt.Errorf("dataset %s: %d column names, %d tables and %d proof sets for %d columns", t.ID, len(t.ColumnNames), len(t.Tables), len(t.Inputs), n)
	}
	for i := range t.Inputs {
		switch t.Inputs[i].Kind {
		case "", ProofKindInput, ProofKindInputHistogram:
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
	slots := uint64(Slots(l.params))
	for i, col := range t.Columns {
		in := &t.Inputs[i]
		name := t.ColumnNames[i]
		var side HistogramSide
		if in.Kind == ProofKindInputHistogram {
			side = HistogramColumn
			if r := missingTable(in, t.Tables[i]); r != "" {
				return fmt.Sprintf("column %s frequency table: %s", name, r), nil
			}
		}
		var key *ProofKey
		if in.Kind != "" {
			if len(in.Chunks) != len(col) {
				return fmt.Sprintf("column %s has %d ciphertexts and %d input proofs, want one proof per ciphertext", name, len(col), len(in.Chunks)), nil
			}
			if key, err = l.proofKey(ctx, t.InputKey); err != nil {
				return "", fmt.Errorf("dataset %s: %w", t.ID, err)
			}
		}
		for j, d := range col {
			what := fmt.Sprintf("column %s ciphertext %d", name, j)
			b, r, err := get(what, d)
			if r != "" || err != nil {
				return r, err
			}
			if key != nil {
				ch := &in.Chunks[j]
				claim := &InputClaim{Slots: slots, Width: in.Width, Commitment: ch.Commitment, Min: in.Min, Max: in.Max,
					Rows: ch.Rows, Key: t.InputKey, Holder: t.InputHolder, Ciphertext: d, Evaluations: ch.Evaluations, Histogram: side}
				if r := l.checkInput(key, claim, ch.Proof, b); r != "" {
					return fmt.Sprintf("%s (%s): %s", what, short(d), r), nil
				}
			}
		}
		if t.Tables[i] == ([32]byte{}) {
			continue
		}
		what := fmt.Sprintf("column %s frequency table", name)
		b, r, err := get(what, t.Tables[i])
		if r != "" || err != nil {
			return r, err
		}
		if in.Kind == ProofKindInputHistogram {
			claim := tableClaim(in, slots, t.InputKey, t.InputHolder, t.Tables[i])
			if r := l.checkInput(key, claim, in.Table.Proof, b); r != "" {
				return fmt.Sprintf("%s (%s): %s", what, short(t.Tables[i]), r), nil
			}
		}
	}
	return "", nil
}

// missingTable returns why a column of histogram input proofs has no proven frequency table to
// check (table is its ciphertext's digest), or "". The chain refuses such a listing; a member
// refuses it too rather than let an unproven table through.
func missingTable(in *InputColumn, table [32]byte) string {
	tb := in.Table
	switch {
	case table == ([32]byte{}):
		return "missing, and a column of histogram input proofs needs one"
	case tb == nil:
		return "its input proof is missing, and a column of histogram input proofs needs one"
	case tb.Width == 0 || len(tb.Commitment) == 0 || len(tb.Proof) == 0 || len(tb.Evaluations) == 0:
		return "its input proof lacks its width, commitment, proof or evaluations"
	}
	return ""
}

// checkInput returns why the input proof of claim does not hold for the stored ciphertext ct
// (claim.Ciphertext is its digest) under the committee key key, or "".
func (l *ListingChecker) checkInput(key *ProofKey, claim *InputClaim, proof, ct []byte) string {
	polys, err := key.Polys(ct)
	if err != nil {
		return fmt.Sprintf("not a ciphertext at the input level %d: %v", InputLevel, err)
	}
	what := "ciphertext"
	if claim.Histogram == HistogramTable {
		what = "table"
	}
	if err := l.inputs.CheckInput(claim, proof, polys); err != nil {
		return fmt.Sprintf("its input proof's listed evaluations do not hold for the stored %s and the committee's key: %v", what, err)
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
