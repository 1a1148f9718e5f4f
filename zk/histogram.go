package zk

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/dxplabs/dxp/circuits"
)

// histogramTag separates the histogram challenge from every other SHA-256
// use.
const histogramTag = "dxp/zk/histogram-alpha/v1"

// ErrHistogramMismatch is returned when a column's chunk sums do not add
// up to its frequency table's sum: the table is not the histogram of the
// column's committed values.
var ErrHistogramMismatch = errors.New("zk: the frequency table is not the histogram of the column's values")

// HistogramChallenge returns α, the point at which a column's histogram
// check is made, from everything the check is about, as the chain sees
// it: context (the chain-visible identity of the column, e.g. the dataset
// and column it belongs to; the caller fixes its encoding), the commitment
// of every chunk of the column in row order, the frequency table's
// commitment, and the table's bucket edges min and bin. It is SHA-256 over
// a domain tag and these, each length-prefixed or of fixed size, computed
// twice with a one-byte counter (0, 1) in front; the 512-bit concatenation
// is reduced modulo the BN254 scalar field p, so α is within statistical
// distance p/2^512 < 2^-258 of uniform if SHA-256 is a random oracle.
//
// Why everything is hashed. The proofs show Σ_c S_c(α) = S_T(α) for one
// α; the argument that this forces the table to be the histogram
// (circuits.Input, "Histogram") needs every value and every count fixed
// before α is known. The chunk commitments fix the values and the table's
// commitment fixes the counts (salted Poseidon2, binding). Without the
// table's commitment in α, an owner who knows α could choose the counts
// afterwards: Σ_k h_k/(α − k) = Σ_c S_c is then one linear equation in K
// unknown small integers h_k, a knapsack that lattice reduction may solve.
// Min and Bin fix the buckets, and context keeps α (and so the proofs)
// from being reused for another column.
//
// A proof needs α >= N (circuits.HistogramStatement.Check); an α below
// 2^24 occurs with probability below 2^-229, and then the owner commits
// again with new salts.
func HistogramChallenge(context []byte, chunkCommitments []fr.Element, tableCommitment fr.Element, min, bin int64) fr.Element {
	var msg []byte
	var buf [8]byte
	putLen := func(n int) {
		binary.BigEndian.PutUint64(buf[:], uint64(n))
		msg = append(msg, buf[:]...)
	}
	putLen(len(histogramTag))
	msg = append(msg, histogramTag...)
	putLen(len(context))
	msg = append(msg, context...)
	putLen(len(chunkCommitments))
	for _, c := range chunkCommitments {
		b := c.Bytes()
		msg = append(msg, b[:]...)
	}
	b := tableCommitment.Bytes()
	msg = append(msg, b[:]...)
	binary.BigEndian.PutUint64(buf[:], uint64(min))
	msg = append(msg, buf[:]...)
	binary.BigEndian.PutUint64(buf[:], uint64(bin))
	msg = append(msg, buf[:]...)

	wide := make([]byte, 0, 2*sha256.Size)
	for counter := range byte(2) {
		h := sha256.New()
		h.Write([]byte{counter})
		h.Write(msg)
		wide = h.Sum(wide)
	}
	var alpha fr.Element
	alpha.SetBytes(wide) // reduces modulo p
	return alpha
}

// CommitInput draws a fresh salt from crypto/rand and returns the
// commitment an input proof of the chunk's rows values (1 to N, padded
// with min) will carry, for lay. The histogram check needs every
// commitment before α (HistogramChallenge), hence before proving: commit
// every chunk and the table first, then prove each with its salt
// (ProveHistogram).
func CommitInput(lay circuits.InputLayout, values []int64, min int64) (commitment, salt fr.Element, err error) {
	n := lay.Chunk.N
	if len(values) < 1 || len(values) > n {
		return fr.Element{}, fr.Element{}, fmt.Errorf("zk: commit input: %d rows, want 1 to %d", len(values), n)
	}
	if salt, err = newSalt(); err != nil {
		return fr.Element{}, fr.Element{}, fmt.Errorf("zk: commit input: %w", err)
	}
	padded := make([]int64, n)
	copy(padded, values)
	for i := len(values); i < n; i++ {
		padded[i] = min
	}
	commitment, err = circuits.ChunkCommitment(n, lay.Chunk.W, padded, min, salt)
	if err != nil {
		return fr.Element{}, fr.Element{}, errors.New("zk: commit input: the chunk's values do not fit its width above min")
	}
	return commitment, salt, nil
}

// ProveHistogram is Prove for a layout with a histogram part, with the
// salt of the chunk's commitment given (CommitInput) rather than drawn:
// the proof also shows the histogram sum for h.Alpha (and, on the column
// side, the buckets h.Min, h.Bin); h.Sum is ignored and the proof's
// HistogramSum is the sum the values give. It refuses what Prove refuses
// and a histogram statement circuits.HistogramStatement.Check refuses.
func (p *InputProver) ProveHistogram(values []int64, min, max int64, salt fr.Element, w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element, h circuits.HistogramStatement) (InputProof, error) {
	a, err := p.lay.NewHistogramAssignment(values, min, max, salt, w, polys, binding, h)
	if err != nil {
		return InputProof{}, fmt.Errorf("zk: prove input: %w", err)
	}
	return p.proveAssignment(a, polys)
}

// VerifyInputHistogram is VerifyInput for a layout with a histogram part:
// it also checks that the proof is about h (α, and on the column side the
// buckets h.Min, h.Bin) and that the chunk's (or table's) sum is h.Sum.
// h.Alpha must be the chain's own HistogramChallenge of the column; h.Sum
// comes from the listing and is worth something only once summed
// (VerifyHistogram).
func VerifyInputHistogram(vk []byte, lay circuits.InputLayout, st circuits.InputStatement, ev []circuits.EncryptionEvaluation, h circuits.HistogramStatement, proof []byte) error {
	if lay.Histogram.Side == circuits.HistogramOff {
		return fmt.Errorf("%w: the layout has no histogram part (use VerifyInput)", ErrInvalidInputProof)
	}
	if err := h.Check(lay, st); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInputProof, err)
	}
	return verifyInput(vk, lay, st, ev, h.Public(lay), proof)
}

// VerifyHistogram is the sum check of a column's histogram: given the
// sums S_c of every chunk of the column and S_T of its frequency table,
// each from a proof verified with VerifyInputHistogram at the same α
// (drawn from exactly these chunks' commitments and the table's: a chunk
// left out of the sum, or summed twice, is a column the table does not
// describe), it
// returns nil only if Σ_c S_c = S_T in F_p, and ErrHistogramMismatch
// otherwise. By the argument in circuits.Input ("Histogram"), a table that
// is not the histogram of the committed values passes with probability at
// most N/p < 2^-239 for one α (N = 2^14 slots; (N_rows + K)/p < 2^-213
// without the bucket range checks, for up to 2^40 rows), and at most Q·N/p
// for an owner who tries Q sets of commitments.
func VerifyHistogram(chunkSums []fr.Element, tableSum fr.Element) error {
	if len(chunkSums) == 0 {
		return errors.New("zk: verify histogram: no chunk sums")
	}
	var total fr.Element
	for i := range chunkSums {
		total.Add(&total, &chunkSums[i])
	}
	if !total.Equal(&tableSum) {
		return ErrHistogramMismatch
	}
	return nil
}
