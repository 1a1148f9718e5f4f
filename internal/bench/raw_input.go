package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/hash_to_field"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/zk"
)

// rawInputProver is the proving baseline of `dxp bench publish` for one input circuit (plain,
// histogram column side or frequency table side): the circuit compiled by gnark from its layout
// and its proving key read by gnark, with nothing of DXP around them.
type rawInputProver struct {
	lay         circuits.InputLayout
	ccs         constraint.ConstraintSystem
	pk          groth16.ProvingKey
	commitments int
	randomize   solver.HintID
}

// gnarkRandomizeHint is the hint gnark's R1CS builder calls for the mask of each BSB22
// commitment; the baseline fixes the masks so that both passes commit to the same vector.
const gnarkRandomizeHint = "github.com/consensys/gnark/internal/hints.Randomize"

// newRawInputProver compiles lay's circuit with gnark and reads pk, a proving key in gnark's raw
// encoding (what a devnet's setup stores), without checking its points: it is the bench's own.
func newRawInputProver(lay circuits.InputLayout, pk []byte) (*rawInputProver, error) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, lay.NewCircuit())
	if err != nil {
		return nil, fmt.Errorf("raw prove: compile: %w", err)
	}
	key := groth16.NewProvingKey(ecc.BN254)
	if _, err := key.UnsafeReadFrom(bytes.NewReader(pk)); err != nil {
		return nil, fmt.Errorf("raw prove: read the proving key: %w", err)
	}
	p := &rawInputProver{lay: lay, ccs: ccs, pk: key}
	if info, ok := ccs.GetCommitments().(constraint.Groth16Commitments); ok {
		p.commitments = len(info)
	}
	found := false
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == gnarkRandomizeHint {
			p.randomize, found = solver.GetHintID(h), true
		}
	}
	if !found {
		return nil, fmt.Errorf("raw prove: gnark hint %s is not registered", gnarkRandomizeHint)
	}
	return p, nil
}

// prove proves one assignment the way any gnark user must prove a circuit whose public inputs
// include values derived from its own commitment (the evaluations at γ): groth16.Prove once with
// placeholder evaluations to learn γ, the evaluations of polys at γ, groth16.Prove again with the
// same commitment masks. It returns the proof in gnark's compressed encoding and draws the masks
// from crypto/rand; nothing else (no bound checks, no journal, no storage).
func (p *rawInputProver) prove(a *circuits.Input, polys []circuits.GroupPolys) (proof []byte, ev []circuits.EncryptionEvaluation, err error) {
	defer func() { // gnark panics on some malformed inputs; a panic must not end the bench's caller
		if r := recover(); r != nil {
			err = fmt.Errorf("raw prove: %v", r)
		}
	}()
	masks := make([]*big.Int, p.commitments)
	for k := range masks {
		if masks[k], err = rand.Int(rand.Reader, fr.Modulus()); err != nil {
			return nil, nil, err
		}
	}
	var mu sync.Mutex
	calls := 0
	opts := []solver.Option{solver.OverrideHint(p.randomize, func(_ *big.Int, _, out []*big.Int) error {
		mu.Lock()
		defer mu.Unlock()
		if calls >= len(masks) {
			return fmt.Errorf("raw prove: %d commitment masks asked for, the circuit has %d", calls+1, len(masks))
		}
		out[0].Set(masks[calls])
		calls++
		return nil
	})}
	if p.commitments > 1 {
		opts = append(opts, solver.WithNbTasks(1)) // the masks must be asked for in the same order twice
	}
	pass := func() (groth16.Proof, fr.Element, bool, error) {
		calls = 0
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			return nil, fr.Element{}, false, err
		}
		h := &firstChallenge{Hash: hash_to_field.New([]byte(constraint.CommitmentDst))}
		proof, err := groth16.Prove(p.ccs, p.pk, w, backend.WithSolverOptions(opts...), backend.WithProverHashToFieldFunction(h))
		return proof, h.gamma, h.calls > 0, err
	}
	// The first pass fails at the placeholder evaluations, after γ is drawn: the solver stops
	// there, so it costs a solve, not a proof.
	_, gamma, drawn, err := pass()
	if !drawn {
		return nil, nil, fmt.Errorf("raw prove: first pass: no challenge drawn: %w", withoutWires(err))
	}
	if ev, err = p.lay.Encryption.Evaluate(polys, gamma); err != nil {
		return nil, nil, fmt.Errorf("raw prove: %w", err)
	}
	if err := a.SetEvaluations(ev); err != nil {
		return nil, nil, fmt.Errorf("raw prove: %w", err)
	}
	pr, gamma2, _, err := pass()
	if err != nil {
		return nil, nil, fmt.Errorf("raw prove: second pass: %w", withoutWires(err))
	}
	if !gamma2.Equal(&gamma) {
		return nil, nil, fmt.Errorf("raw prove: the challenge changed between the passes")
	}
	var buf bytes.Buffer
	if _, err := pr.WriteTo(&buf); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), ev, nil
}

// unsatisfied is the part of gnark's solver error that names the failing constraint; the rest
// shows wire values, which derive from the secret witness.
var unsatisfied = regexp.MustCompile(`constraint #[0-9]+ is not satisfied`)

// withoutWires is err without the wire values gnark puts in an unsatisfied constraint's error.
func withoutWires(err error) error {
	if err == nil {
		return errors.New("gnark drew no commitment")
	}
	if m := unsatisfied.FindString(err.Error()); m != "" {
		return errors.New(m)
	}
	return err
}

// firstChallenge is gnark's commitment hash-to-field with the first challenge it returns kept:
// the root commitment's, γ, as gnark's prover turns the digest into a field element.
type firstChallenge struct {
	hash.Hash
	gamma fr.Element
	calls int
}

func (h *firstChallenge) Sum(b []byte) []byte {
	out := h.Hash.Sum(b)
	if h.calls == 0 {
		digest := out[len(b):]
		h.gamma.SetBytes(digest[:min(fr.Bytes, h.Hash.Size())])
	}
	h.calls++
	return out
}

// rawColumn is one column as the baseline proves it: its values, bounds and input circuit, and
// its frequency table when the column's circuit has the histogram part.
type rawColumn struct {
	Values   []int64
	Min, Max int64
	Layout   circuits.InputLayout // the column's circuit (plain, or the histogram column side)
	PK       []byte               // its proving key (gnark raw encoding)
	Table    *rawTable            // nil for a plain input column
}

// rawTable is a column's frequency table: bins of Bin from Min, one slot each, and its circuit.
type rawTable struct {
	Min, Bin int64
	Layout   circuits.InputLayout // the table side
	PK       []byte
	Context  []byte // the histogram challenge's context (rights.HistogramContext)
}

// rawKey is what the baseline encrypts under and binds its proofs to.
type rawKey struct {
	Params    heint.Parameters
	PublicKey *rlwe.PublicKey
	Digest    [32]byte // SHA-256 of the public key's encoding
	Holder    []byte
}

// rawProof is one proof the baseline made, with what a verifier needs for it.
type rawProof struct {
	Proof       []byte
	Statement   circuits.InputStatement
	Evaluations []circuits.EncryptionEvaluation
	Histogram   circuits.HistogramStatement // Sum set; zero for a plain input proof
}

// rawTimes are the baseline's times: proving (commitments, assignments, both gnark passes,
// per proof, divided by the workers) and making the encryption witnesses (the provable
// encryption and the ciphertext's public polynomials), which the baseline needs but does not
// count: its encryption is timed apart, by plain lattigo encryption of the same values.
type rawTimes struct {
	Prove, Witness float64
}

// rawProveColumn proves col as the publish does, with bare gnark: chunks of N rows, each
// encrypted provably (untimed) and proven with its ciphertext in one proof; with a table, the
// counts are committed and proven first and every chunk commitment is drawn before α. keep
// receives every proof (nil discards them). It returns the first error.
func rawProveColumn(ctx context.Context, key rawKey, col rawColumn, workers int, keep func(rawProof)) (times rawTimes, err error) {
	if workers <= 0 {
		workers = 1
	}
	n := col.Layout.Chunk.N
	var chunks [][]int64
	for off := 0; off < len(col.Values); off += n {
		chunks = append(chunks, col.Values[off:min(off+n, len(col.Values))])
	}
	proofKey, err := mpc.NewProofKey(key.Params, key.PublicKey, mpc.InputLevel)
	if err != nil {
		return times, err
	}
	var mu sync.Mutex
	var proveTotal, witnessTotal time.Duration
	// witness encrypts values provably and returns the witness, the public polynomials and the binding.
	witness := func(values []int64) (circuits.EncryptionWitness, []circuits.GroupPolys, fr.Element, error) {
		start := time.Now()
		defer func() { mu.Lock(); witnessTotal += time.Since(start); mu.Unlock() }()
		cts, err := mpc.EncryptProvable(key.Params, key.PublicKey, values, mpc.InputLevel)
		if err != nil {
			return circuits.EncryptionWitness{}, nil, fr.Element{}, err
		}
		polys, err := proofKey.Polys(cts[0].Ciphertext)
		if err != nil {
			return circuits.EncryptionWitness{}, nil, fr.Element{}, err
		}
		binding := zk.Binding(key.Digest[:], mpc.InputLevel, sha256.Sum256(cts[0].Ciphertext), key.Holder)
		return marketplace.InputWitness(cts[0].Witness), marketplace.InputGroupPolys(polys), binding, nil
	}
	prove := func(p *rawInputProver, a *circuits.Input, polys []circuits.GroupPolys, st circuits.InputStatement, h circuits.HistogramStatement) error {
		start := time.Now()
		proof, ev, err := p.prove(a, polys)
		mu.Lock()
		proveTotal += time.Since(start)
		mu.Unlock()
		if err != nil {
			return err
		}
		if keep != nil {
			st.Commitment = a.Chunk.Commitment.(fr.Element)
			if p.lay.Histogram.Side != circuits.HistogramOff {
				h.Sum = a.HistogramSum()
			}
			mu.Lock()
			keep(rawProof{Proof: proof, Statement: st, Evaluations: ev, Histogram: h})
			mu.Unlock()
		}
		return nil
	}

	// Salts, and with a table every commitment and α, before any proof.
	start := time.Now()
	salts := make([]fr.Element, len(chunks))
	for i := range salts {
		if _, err := salts[i].SetRandom(); err != nil {
			return times, err
		}
	}
	var alpha fr.Element
	if t := col.Table; t != nil {
		counts := make([]int64, n)
		for _, v := range col.Values {
			b, err := circuits.Bucket(v, t.Min, t.Bin, n)
			if err != nil {
				return times, fmt.Errorf("raw prove: a value outside the table's bins: %w", err)
			}
			counts[b]++
		}
		commitments := make([]fr.Element, len(chunks))
		for i, c := range chunks {
			padded := append(append(make([]int64, 0, n), c...), slices.Repeat([]int64{col.Min}, n-len(c))...)
			if commitments[i], err = circuits.ChunkCommitment(n, col.Layout.Chunk.W, padded, col.Min, salts[i]); err != nil {
				return times, err
			}
		}
		var tableSalt fr.Element
		if _, err := tableSalt.SetRandom(); err != nil {
			return times, err
		}
		tableCommitment, err := circuits.ChunkCommitment(n, t.Layout.Chunk.W, counts, 0, tableSalt)
		if err != nil {
			return times, err
		}
		alpha = zk.HistogramChallenge(t.Context, commitments, tableCommitment, t.Min, t.Bin)
		proveTotal += time.Since(start)

		p, err := newRawInputProver(t.Layout, t.PK)
		if err != nil {
			return times, err
		}
		w, polys, binding, err := witness(counts)
		if err != nil {
			return times, err
		}
		start = time.Now()
		h := circuits.HistogramStatement{Alpha: alpha}
		a, err := t.Layout.NewHistogramAssignment(counts, 0, int64(len(col.Values)), tableSalt, w, polys, binding, h)
		proveTotal += time.Since(start)
		if err != nil {
			return times, fmt.Errorf("raw prove: table: %w", err)
		}
		st := circuits.InputStatement{Min: 0, Max: int64(len(col.Values)), Rows: n, Binding: binding}
		if err := prove(p, a, polys, st, h); err != nil {
			return times, fmt.Errorf("table: %w", err)
		}
	} else {
		proveTotal += time.Since(start)
	}

	p, err := newRawInputProver(col.Layout, col.PK)
	if err != nil {
		return times, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				w, polys, binding, err := witness(chunks[i])
				if err == nil {
					start := time.Now()
					var a *circuits.Input
					h := circuits.HistogramStatement{}
					if col.Table != nil {
						h = circuits.HistogramStatement{Alpha: alpha, Min: col.Table.Min, Bin: col.Table.Bin}
						a, err = col.Layout.NewHistogramAssignment(chunks[i], col.Min, col.Max, salts[i], w, polys, binding, h)
					} else {
						a, err = col.Layout.NewAssignment(chunks[i], col.Min, col.Max, salts[i], w, polys, binding)
					}
					mu.Lock()
					proveTotal += time.Since(start)
					mu.Unlock()
					if err == nil {
						st := circuits.InputStatement{Min: col.Min, Max: col.Max, Rows: len(chunks[i]), Binding: binding}
						err = prove(p, a, polys, st, h)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("chunk %d: %w", i+1, err)
					cancel()
					return
				}
			}
		})
	}
feed:
	for i := range chunks {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return times, err
	}
	if err := ctx.Err(); err != nil {
		return times, err
	}
	times.Prove = proveTotal.Seconds() / float64(workers)
	times.Witness = witnessTotal.Seconds() / float64(workers)
	return times, nil
}
