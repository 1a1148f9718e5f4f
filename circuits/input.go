package circuits

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

func init() {
	solver.RegisterHint(inputRowsHint)
}

// inputLinkRepetitions is how many independent points ρ the slot link is
// checked at: each errs with probability below N/T (2^-36 at N = 2^14 with
// DXP's T), two below 2^-72.
const inputLinkRepetitions = 2

// InputLayout fixes the shape of an [Input] circuit: the chunk of N rows of
// a column of declared width W, the encryption relation of the ciphertext
// holding those rows (one slot per row, N slots) and the slot link between
// them. Build it with [NewInputLayout]; a layout is read-only afterwards.
type InputLayout struct {
	Chunk      ChunkLayout
	Encryption EncryptionLayout
	Link       *SlotLink
	// Histogram is the optional histogram part (zero: off; see
	// [InputLayout.WithHistogramColumn] and [InputLayout.WithHistogramTable]).
	Histogram HistogramLayout
}

// NewInputLayout returns the layout of the input circuit for a column of
// declared width w whose ciphertexts have the encryption layout enc (which
// must carry a message) and the slot link link (same N and T as enc).
func NewInputLayout(w int, enc EncryptionLayout, link *SlotLink) (InputLayout, error) {
	if link == nil {
		return InputLayout{}, errors.New("circuits: input: no slot link")
	}
	if enc.N == 0 || len(enc.Moduli) == 0 {
		return InputLayout{}, errors.New("circuits: input: the encryption layout is empty (use NewEncryptionLayout)")
	}
	if !enc.Message {
		return InputLayout{}, errors.New("circuits: input: the encryption layout carries no message")
	}
	if link.N() != enc.N {
		return InputLayout{}, fmt.Errorf("circuits: input: the slot link has %d slots, the encryption ring degree is %d", link.N(), enc.N)
	}
	if link.T() != enc.T {
		return InputLayout{}, fmt.Errorf("circuits: input: the slot link's plaintext modulus %d is not the encryption's %d", link.T(), enc.T)
	}
	chunk, err := NewChunkLayout(enc.N, w)
	if err != nil {
		return InputLayout{}, fmt.Errorf("circuits: input: %w", err)
	}
	return InputLayout{Chunk: chunk, Encryption: enc, Link: link}, nil
}

// Input is the one circuit an owner proves per ciphertext: for an N-row
// chunk of a column (N = the ring degree = slots per ciphertext), one
// witness proves both that the chunk's values lie within [Min, Max] and
// hash to Commitment (the [Chunk] statement) and that the ciphertext is a
// fresh public-key encryption of exactly those values (the [Encryption]
// statement, whose message is linked slot by slot to the values by
// [SlotLink]).
//
// Public inputs, in this order: Commitment, Min, Max (the chunk's), Rows,
// then Binding and the evaluations at γ (the encryption's).
//
// Rows and padding. Rows (1 to N) is how many of the chunk's N rows are
// real; the last chunk of a column is the only short one. A padding row i
// >= Rows holds 0 in the plaintext slot (mpc's encoder zero-fills a short
// ciphertext, and sums over slots rely on it) and offset 0, i.e. the value
// Min, in the commitment (as zk's chunk prover pads), so Commitment is
// ChunkCommitment of the real values padded with Min. The circuit witnesses
// a selector sel_i = [i < Rows] and checks
//
//	sel_i·(1 - sel_i) = 0,  Σ_i sel_i = Rows,  2·Σ_i i·sel_i = Rows·(Rows - 1),
//
// which admit only the first Rows indices: a set of Rows distinct indices
// in [0, N) has index sum at least 0+1+…+(Rows-1), with equality only for
// {0, …, Rows-1}. The sums are at most N² < p, so they hold over Z. Then
// (1 - sel_i)·offset_i = 0 zeroes the padding offsets and the slot value is
// v_i = sel_i·(Min + offset_i): Min + offset_i in [Min, Max] for a real row
// (Chunk's range check), 0 for padding.
//
// One commitment for everything. The encryption relation's callback is
// the first registered with std/multicommit, so its challenge γ is the
// root commitment, computed over every variable any WithCommitment call
// collected in this circuit: the encryption witness (u, e0, e1, message
// limbs, quotients) with Binding, the chunk's digits (so the values), and,
// through a third call that only commits, Salt, Commitment, Min, Max and
// Rows. The whole statement except the evaluations (which are derived from
// γ) and the whole witness are therefore fixed before γ. Inside the
// encryption callback two points ρ_1, ρ_2 < 2^50 are read from γ's
// canonical bits (bits 0–49 and 50–99; gnark's full-width ToBinary checks
// that the bits are below p, so they are unique) and the slot link checks
// m ≡ inverse transform of v (mod T) at both; ρ_1 and ρ_2 are independent
// and near-uniform below 2^50 since γ is a hash output reduced mod p (the
// bias is below 2^-150). By [SlotLink]'s argument, a message m that is not
// the encoding of v passes with probability below (N/T)² (2^-72 at
// N = 2^14), and the encryption relation is sound as in [Encryption]; the
// link's own range rounds add two commitments after γ, so a proof carries
// three.
//
// What the three parts need from each other: SlotLink requires m_k <
// 2^51 (Encryption's limb checks) and |v_i| < 2^63 (v_i is 0 or in [Min,
// Max], so the verifier must refuse Min = math.MinInt64), both committed
// before ρ (above).
//
// Histogram (optional, [HistogramLayout]): the column side also proves
// each real row's bucket and exposes S_c, the table side exposes S_T;
// their public inputs ([HistogramStatement]) come after the evaluations,
// and without the option the circuit and its public inputs are the plain
// ones.
//
// Cost per row: the chunk (about 11.7 at w = 32), the encryption relation
// (18.75 with one CRT group, 24.75 with two), the link (about 9.9 per
// repetition, two repetitions) and 4 for the padding selector.
type Input struct {
	Chunk      Chunk
	Rows       frontend.Variable `gnark:",public"`
	Encryption Encryption
	// Histogram holds the histogram part's public inputs, appended after
	// every other (see [HistogramStatement]); empty when the layout has no
	// histogram part.
	Histogram []frontend.Variable `gnark:",public"`

	lay InputLayout
}

// NewCircuit returns the input circuit of lay with every slice allocated,
// ready to be compiled or filled as an assignment.
func (lay InputLayout) NewCircuit() *Input {
	return &Input{
		Chunk:      *NewChunk(lay.Chunk.N, lay.Chunk.W),
		Encryption: *lay.Encryption.NewCircuit(),
		Histogram:  make([]frontend.Variable, lay.Histogram.publicCount()),
		lay:        lay,
	}
}

// Layout returns the circuit's layout.
func (c *Input) Layout() InputLayout { return c.lay }

// Define emits the input constraints.
func (c *Input) Define(api frontend.API) error {
	lay := c.lay
	if lay.Link == nil || lay.Chunk.N == 0 || lay.Chunk.N != lay.Encryption.N {
		return errors.New("circuits: input: circuit has no layout (use InputLayout.NewCircuit)")
	}
	n, L, b := lay.Chunk.N, lay.Chunk.Limbs, lay.Chunk.LimbBits
	if len(c.Chunk.Digits) != n*L {
		return fmt.Errorf("circuits: input: %d digits, want %d", len(c.Chunk.Digits), n*L)
	}

	// The padding selector and the slot values (see the type's doc).
	sel, err := api.Compiler().NewHint(inputRowsHint, n, c.Rows)
	if err != nil {
		return fmt.Errorf("circuits: input: rows hint: %w", err)
	}
	values := make([]frontend.Variable, n)
	offsets := make([]frontend.Variable, n)
	indexTerms := make([]frontend.Variable, 0, n)
	limb := make([]frontend.Variable, L)
	for i := range n {
		api.AssertIsBoolean(sel[i])
		if i > 0 {
			indexTerms = append(indexTerms, api.Mul(sel[i], i))
		}
		for k := range L {
			limb[k] = api.Mul(c.Chunk.Digits[i*L+k], pow2(b*k))
		}
		offset := sum(api, limb)
		offsets[i] = offset
		api.AssertIsEqual(api.Mul(api.Sub(1, sel[i]), offset), 0)
		values[i] = api.Mul(sel[i], api.Add(c.Chunk.Min, offset))
	}
	api.AssertIsEqual(sum(api, sel), c.Rows)
	api.AssertIsEqual(api.Mul(sum(api, indexTerms), 2), api.Mul(c.Rows, api.Sub(c.Rows, 1)))

	// The encryption relation first: its callback receives the root
	// commitment γ and runs the slot link at two points read from it.
	enc := &c.Encryption
	err = enc.DefineWith(api, func(api frontend.API, gamma frontend.Variable) error {
		bits := api.ToBinary(gamma)
		rhos := make([]frontend.Variable, inputLinkRepetitions)
		for r := range rhos {
			rhos[r] = api.FromBinary(bits[r*SlotLinkRhoBits : (r+1)*SlotLinkRhoBits]...)
		}
		return lay.Link.Assert(api, enc.Message(api), values, rhos...)
	})
	if err != nil {
		return fmt.Errorf("circuits: input: %w", err)
	}
	c.Chunk.n, c.Chunk.w = lay.Chunk.N, lay.Chunk.W
	if err := c.Chunk.Define(api); err != nil {
		return fmt.Errorf("circuits: input: %w", err)
	}
	// Commit to the rest of the statement and the salt: the callback has
	// nothing to check, the call only adds these variables to the root
	// commitment.
	multicommit.WithCommitment(api, func(frontend.API, frontend.Variable) error { return nil },
		c.Chunk.Salt, c.Chunk.Commitment, c.Chunk.Min, c.Chunk.Max, c.Rows)
	if lay.Histogram.Side == HistogramOff {
		return nil
	}
	return c.defineHistogram(api, sel, offsets, values)
}

// inputRowsHint takes (Rows) and returns sel_i = [i < Rows] for i < N =
// len(out). The constraints, not the hint, reject a Rows outside [0, N].
func inputRowsHint(_ *big.Int, in, out []*big.Int) error {
	if len(in) != 1 {
		return errors.New("circuits: input rows hint: malformed input")
	}
	for i := range out {
		out[i].SetUint64(0)
		if in[0].Cmp(big.NewInt(int64(i))) > 0 {
			out[i].SetUint64(1)
		}
	}
	return nil
}

// SetEvaluations sets the public evaluations of an assignment (see
// [Encryption.SetEvaluations]).
func (c *Input) SetEvaluations(ev []EncryptionEvaluation) error {
	return c.Encryption.SetEvaluations(ev)
}

// InputStatement is the public statement of an [Input] proof except the
// evaluations: what the chain holds for one ciphertext of a listing.
type InputStatement struct {
	Commitment fr.Element // the chunk's commitment
	Min, Max   int64      // the column's bounds
	Rows       int        // real rows in the chunk, 1 to N
	Binding    fr.Element // zk.Binding of the key, level and ciphertext digest
}

// Check refuses a statement no proof of lay can be about: Rows outside [1,
// N], Min > Max, bounds wider than the chunk's width, or Min =
// math.MinInt64 (the slot link needs |v| < 2^63).
func (st InputStatement) Check(lay InputLayout) error {
	if st.Rows < 1 || st.Rows > lay.Chunk.N {
		return fmt.Errorf("circuits: input: %d rows, want 1 to %d", st.Rows, lay.Chunk.N)
	}
	if st.Min > st.Max {
		return fmt.Errorf("circuits: input: min %d > max %d", st.Min, st.Max)
	}
	if st.Min == math.MinInt64 {
		return errors.New("circuits: input: min is math.MinInt64; the slot link needs values above it")
	}
	if w := Width(st.Min, st.Max); w > lay.Chunk.W {
		return fmt.Errorf("circuits: input: bounds [%d, %d] need %d bits, the circuit has %d", st.Min, st.Max, w, lay.Chunk.W)
	}
	return nil
}

// PublicPrefix returns the statement's public inputs in the circuit's
// order (Commitment, Min, Max, Rows, Binding), which are also exactly the
// public inputs hashed into γ; the evaluations follow them.
func (st InputStatement) PublicPrefix() []fr.Element {
	return []fr.Element{st.Commitment, fieldInt64(st.Min), fieldInt64(st.Max), fieldInt64(int64(st.Rows)), st.Binding}
}

// NewAssignment returns the assignment of the input circuit for the chunk's
// real rows values (1 to N), the column's bounds, the commitment's salt,
// the encryption witness w of the ciphertext whose public polynomials are
// polys, and its binding; every evaluation is zero (the prover sets them
// once it knows γ). The commitment is ChunkCommitment of values padded with
// min; the plaintext must hold values in its first slots and 0 in the
// others. It refuses, with an error naming rows by index and never a
// value: bounds or values the chunk circuit refuses, a witness the
// encryption relation refuses, and a plaintext that is not the encoding of
// these values. The last check is the native slot link at two points drawn
// from crypto/rand, wrong with probability below (N/T)².
//
// A layout with a histogram part needs [InputLayout.NewHistogramAssignment].
func (lay InputLayout) NewAssignment(values []int64, min, max int64, salt fr.Element, w EncryptionWitness, polys []GroupPolys, binding fr.Element) (*Input, error) {
	if lay.Histogram.Side != HistogramOff {
		return nil, errors.New("circuits: input: the layout has a histogram part (use NewHistogramAssignment)")
	}
	return lay.newAssignment(values, min, max, salt, w, polys, binding)
}

func (lay InputLayout) newAssignment(values []int64, min, max int64, salt fr.Element, w EncryptionWitness, polys []GroupPolys, binding fr.Element) (*Input, error) {
	n := lay.Chunk.N
	st := InputStatement{Min: min, Max: max, Rows: len(values), Binding: binding}
	if err := st.Check(lay); err != nil {
		return nil, err
	}
	padded := make([]int64, n)
	slots := make([]int64, n)
	copy(padded, values)
	copy(slots, values)
	for i := len(values); i < n; i++ {
		padded[i] = min
	}
	for i, v := range values {
		if v < min || v > max {
			return nil, fmt.Errorf("circuits: input: row %d is outside [min, max]", i)
		}
	}
	chunk, err := NewChunkAssignment(n, lay.Chunk.W, padded, min, max, salt)
	if err != nil {
		return nil, errors.New("circuits: input: the chunk circuit refuses these values or bounds")
	}
	enc, err := lay.Encryption.NewAssignment(polys, w, binding)
	if err != nil {
		return nil, fmt.Errorf("circuits: input: %w", err)
	}
	if err := lay.checkLink(w.M, slots); err != nil {
		return nil, err
	}
	return &Input{Chunk: *chunk, Rows: len(values), Encryption: *enc, Histogram: make([]frontend.Variable, lay.Histogram.publicCount()), lay: lay}, nil
}

// checkLink checks natively that m encodes slots, at two random points.
func (lay InputLayout) checkLink(m []uint64, slots []int64) error {
	for range inputLinkRepetitions {
		r, err := rand.Int(rand.Reader, new(big.Int).SetUint64(lay.Link.T()))
		if err != nil {
			return fmt.Errorf("circuits: input: random point: %w", err)
		}
		err = lay.Link.Check(m, slots, r.Uint64())
		if errors.Is(err, ErrSlotMismatch) {
			return errors.New("circuits: input: the plaintext does not encode the chunk's values (slot link)")
		}
		if err != nil && !errors.Is(err, errSlotRoot) { // a slot root says nothing; the other point decides
			return fmt.Errorf("circuits: input: %w", err)
		}
	}
	return nil
}
