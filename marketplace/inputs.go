package marketplace

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/zk"
)

// Input proofs join three packages: mpc's ring and provable encryption, circuits' Input circuit
// and zk's prover and verifier. This file is where they meet: the layout of the input circuit
// for the chain's ring and a column width, and the chain's proof verifier.

// inputLayoutKey identifies an input layout: the ring degree and the column width.
type inputLayoutKey struct {
	slots uint64
	width uint32
}

// inputLayouts caches InputLayout per (slots, width): building the slot link costs a few
// hundred milliseconds at N = 16,384, and a layout is read-only.
var inputLayouts sync.Map // inputLayoutKey -> circuits.InputLayout

// InputLayout returns the layout of the input circuit for DXP's parameters at slots per
// ciphertext (mpc.NewParamsFor) and column width w: the encryption relation at mpc.InputLevel
// with its CRT groups, T and the proven noise bound, and the slot link of the encoder's roots.
func InputLayout(slots uint64, w uint32) (circuits.InputLayout, error) {
	k := inputLayoutKey{slots, w}
	if v, ok := inputLayouts.Load(k); ok {
		return v.(circuits.InputLayout), nil
	}
	params, err := mpc.NewParamsFor(slots)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	lay, err := inputLayoutOf(params, int(w))
	if err != nil {
		return circuits.InputLayout{}, err
	}
	inputLayouts.Store(k, lay)
	return lay, nil
}

func inputLayoutOf(params heint.Parameters, w int) (circuits.InputLayout, error) {
	groups, err := mpc.CRTGroups(params, mpc.InputLevel)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	moduli := make([]*big.Int, len(groups))
	for g, grp := range groups {
		moduli[g] = grp.Modulus
	}
	bound, err := mpc.ErrorBound(params)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	enc, err := circuits.NewEncryptionLayout(params.N(), moduli, params.PlaintextModulus(), uint64(bound), true)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	roots, err := mpc.SlotRoots(params)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	link, err := circuits.NewSlotLink(params.PlaintextModulus(), roots)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	return circuits.NewInputLayout(w, enc, link)
}

// evaluationBytes is the size of one CRT group's evaluations in Chunk.Evaluations: C0, C1, P0,
// P1 at γ, 32 bytes each.
const evaluationBytes = 4 * fr.Bytes

// EncodeEvaluations is Chunk.Evaluations for ev.
func EncodeEvaluations(ev []circuits.EncryptionEvaluation) []byte {
	out := make([]byte, 0, len(ev)*evaluationBytes)
	for _, e := range ev {
		for _, x := range []fr.Element{e.C0Gamma, e.C1Gamma, e.P0Gamma, e.P1Gamma} {
			b := x.Bytes()
			out = append(out, b[:]...)
		}
	}
	return out
}

// DecodeEvaluations parses Chunk.Evaluations for a layout of groups CRT groups, refusing any
// length but groups·128 bytes and any element that is not canonical (below the field modulus).
func DecodeEvaluations(b []byte, groups int) ([]circuits.EncryptionEvaluation, error) {
	if len(b) != groups*evaluationBytes {
		return nil, fmt.Errorf("evaluations are %d bytes, want %d (%d CRT groups)", len(b), groups*evaluationBytes, groups)
	}
	out := make([]circuits.EncryptionEvaluation, groups)
	for g := range out {
		xs := []*fr.Element{&out[g].C0Gamma, &out[g].C1Gamma, &out[g].P0Gamma, &out[g].P1Gamma}
		for i, x := range xs {
			off := g*evaluationBytes + i*fr.Bytes
			if err := x.SetBytesCanonical(b[off : off+fr.Bytes]); err != nil {
				return nil, fmt.Errorf("evaluation %d of group %d is not a canonical field element", i, g)
			}
		}
	}
	return out, nil
}

// InputClaim is the claim the chain verifies chunk j of input column col of a dataset of rows
// rows against, under the committee's key digest key (Committee.Keys[0] of the dataset's
// epoch): ChunkSize = SlotsPerCiphertext slots, the chunk's real rows min(N, rows − j·N), its
// ciphertext Ciphertexts[j] and its listed evaluations, listed by holder.
func InputClaim(rows uint64, col *rights.Column, j int, key rights.Digest, holder rights.Address) *rights.InputClaim {
	n := col.ChunkSize
	c := &rights.InputClaim{Slots: n, Width: col.Width, Min: col.Min, Max: col.Max, Key: key, Holder: holder}
	if first := uint64(j) * n; j >= 0 && first < rows {
		c.Rows = min(n, rows-first)
	}
	if j < len(col.Chunks) {
		c.Commitment, c.Evaluations = col.Chunks[j].Commitment, col.Chunks[j].Evaluations
	}
	if j < len(col.Ciphertexts) {
		c.Ciphertext = col.Ciphertexts[j]
	}
	return c
}

// InputStatement is the statement of the input proof c claims.
func InputStatement(c *rights.InputClaim) (circuits.InputStatement, error) {
	var st circuits.InputStatement
	if err := st.Commitment.SetBytesCanonical(c.Commitment); err != nil {
		return st, fmt.Errorf("the chunk commitment is not a canonical 32-byte field element")
	}
	if c.Rows < 1 || c.Rows > c.Slots {
		return st, fmt.Errorf("%d rows in a chunk of %d", c.Rows, c.Slots)
	}
	st.Min, st.Max, st.Rows = c.Min, c.Max, int(c.Rows)
	st.Binding = zk.Binding(c.Key[:], mpc.InputLevel, c.Ciphertext, []byte(c.Holder))
	return st, nil
}

// Verifier is the chain's proof verifier (rights.Verifier): chunk proofs through zk.VerifyChunk,
// input proofs through zk.VerifyInput on the layout of the claim's ring and width.
type Verifier struct{}

// VerifyChunk calls zk.VerifyChunk.
func (Verifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	return zk.VerifyChunk(vk, proof, commitment, min, max)
}

// VerifyInput checks an input proof against its claim (see rights.Verifier): a plain input
// proof, or one with the histogram part c.Histogram names.
func (Verifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	lay, err := ClaimLayout(c)
	if err != nil {
		return err
	}
	st, err := InputStatement(c)
	if err != nil {
		return err
	}
	ev, err := DecodeEvaluations(c.Evaluations, lay.Encryption.Groups())
	if err != nil {
		return err
	}
	if c.Histogram == nil {
		return zk.VerifyInput(vk, lay, st, ev, proof)
	}
	h, err := HistogramStatement(c.Histogram)
	if err != nil {
		return err
	}
	return zk.VerifyInputHistogram(vk, lay, st, ev, h, proof)
}

// ClaimLayout is the layout of the circuit an input claim is proven with: the input circuit of
// its ring and width, with the column side of the histogram check over N = Slots bins
// (rights.CircuitInputHistogram) or its table side (rights.CircuitFrequencyTable) when the
// claim has a histogram part.
func ClaimLayout(c *rights.InputClaim) (circuits.InputLayout, error) {
	lay, err := InputLayout(c.Slots, c.Width)
	if err != nil || c.Histogram == nil {
		return lay, err
	}
	switch c.Histogram.Side {
	case rights.HistogramColumn:
		return lay.WithHistogramColumn(int(c.Slots))
	case rights.HistogramTable:
		return lay.WithHistogramTable()
	}
	return circuits.InputLayout{}, fmt.Errorf("unknown histogram side %d", c.Histogram.Side)
}

// KindLayout is the layout of the registered input circuit of kind for a ring of slots values
// per ciphertext and width w: InputLayout for rights.CircuitInput, with the histogram column side
// over N = slots bins for rights.CircuitInputHistogram, with the table side for
// rights.CircuitFrequencyTable. It is the layout ClaimLayout gives the claims such a circuit
// verifies.
func KindLayout(kind rights.CircuitKind, slots uint64, w uint32) (circuits.InputLayout, error) {
	lay, err := InputLayout(slots, w)
	if err != nil {
		return lay, err
	}
	switch kind {
	case rights.CircuitInput:
		return lay, nil
	case rights.CircuitInputHistogram:
		return lay.WithHistogramColumn(int(slots))
	case rights.CircuitFrequencyTable:
		return lay.WithHistogramTable()
	}
	return circuits.InputLayout{}, fmt.Errorf("circuit kind %q is not an input circuit", kind)
}

// HistogramStatement is the histogram part of an input proof's statement, from its claim.
func HistogramStatement(h *rights.HistogramClaim) (circuits.HistogramStatement, error) {
	st := circuits.HistogramStatement{Min: h.Min, Bin: h.Bin}
	if err := st.Alpha.SetBytesCanonical(h.Alpha); err != nil {
		return st, errors.New("the histogram challenge is not a canonical 32-byte field element")
	}
	if err := st.Sum.SetBytesCanonical(h.Sum); err != nil {
		return st, errors.New("the histogram sum is not a canonical 32-byte field element")
	}
	return st, nil
}

// HistogramChallenge is zk.HistogramChallenge over the listing's bytes (see rights.Verifier).
func (Verifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	chunks := make([]fr.Element, len(chunkCommitments))
	for i, c := range chunkCommitments {
		if err := chunks[i].SetBytesCanonical(c); err != nil {
			return nil, fmt.Errorf("chunk %d commitment is not a canonical 32-byte field element", i)
		}
	}
	var table fr.Element
	if err := table.SetBytesCanonical(tableCommitment); err != nil {
		return nil, errors.New("the frequency table's commitment is not a canonical 32-byte field element")
	}
	alpha := zk.HistogramChallenge(context, chunks, table, min, bin)
	b := alpha.Bytes()
	return b[:], nil
}

// CheckHistogram is zk.VerifyHistogram over the listing's bytes (see rights.Verifier).
func (Verifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	sums := make([]fr.Element, len(chunkSums))
	for i, s := range chunkSums {
		if err := sums[i].SetBytesCanonical(s); err != nil {
			return fmt.Errorf("chunk %d histogram sum is not a canonical 32-byte field element", i)
		}
	}
	var table fr.Element
	if err := table.SetBytesCanonical(tableSum); err != nil {
		return errors.New("the frequency table's sum is not a canonical 32-byte field element")
	}
	return zk.VerifyHistogram(sums, table)
}

// InputChecker is a committee member's check of input proofs (mpc.InputChecker): the listed
// evaluations must be those of the stored ciphertext and the committee's key at the proof's
// challenge, on the layout the chain verified the claim with (ClaimLayout: the claim's ring,
// width and histogram side; zk.CheckInputEvaluations).
type InputChecker struct{}

// CheckInput checks one input proof's listed evaluations against polys, the T-scaled
// polynomials of the stored ciphertext and the committee's key (see mpc.InputChecker). Every
// error is the listing's fault.
func (InputChecker) CheckInput(c *mpc.InputClaim, proof []byte, polys []mpc.GroupPolys) error {
	claim, err := memberClaim(c)
	if err != nil {
		return err
	}
	lay, err := ClaimLayout(claim)
	if err != nil {
		return err
	}
	st, err := InputStatement(claim)
	if err != nil {
		return err
	}
	groups := lay.Encryption.Groups()
	ev, err := DecodeEvaluations(c.Evaluations, groups)
	if err != nil {
		return err
	}
	if len(polys) != groups {
		return fmt.Errorf("%d CRT groups of polynomials, want %d", len(polys), groups)
	}
	for g, p := range polys {
		if p.Group.Modulus.Cmp(lay.Encryption.Moduli[g]) != 0 {
			return fmt.Errorf("CRT group %d of the polynomials is not the layout's", g)
		}
	}
	return zk.CheckInputEvaluations(lay, st, ev, InputGroupPolys(polys), proof)
}

// memberClaim is the chain's claim for a member's: the same statement, and a histogram part of
// the member's side only. That is all ClaimLayout reads, and all the member's check needs: γ
// hashes the input statement alone, not α, the bins or the sum (circuits.HistogramLayout), which
// the chain checked.
func memberClaim(c *mpc.InputClaim) (*rights.InputClaim, error) {
	claim := &rights.InputClaim{Slots: c.Slots, Width: c.Width, Commitment: c.Commitment, Min: c.Min, Max: c.Max,
		Rows: c.Rows, Key: c.Key, Holder: rights.Address(c.Holder), Ciphertext: c.Ciphertext, Evaluations: c.Evaluations}
	switch c.Histogram {
	case 0:
	case mpc.HistogramColumn:
		claim.Histogram = &rights.HistogramClaim{Side: rights.HistogramColumn}
	case mpc.HistogramTable:
		claim.Histogram = &rights.HistogramClaim{Side: rights.HistogramTable}
	default:
		return nil, fmt.Errorf("unknown histogram side %d", c.Histogram)
	}
	return claim, nil
}

// InputGroupPolys converts mpc's proof polynomials of a ciphertext to the circuit's.
func InputGroupPolys(gp []mpc.GroupPolys) []circuits.GroupPolys {
	out := make([]circuits.GroupPolys, len(gp))
	for g, p := range gp {
		out[g] = circuits.GroupPolys{C0: p.C0, C1: p.C1, P0: p.P0, P1: p.P1}
	}
	return out
}

// InputWitness converts mpc's encryption witness to the circuit's (the same slices, not copies).
func InputWitness(w mpc.EncryptionWitness) circuits.EncryptionWitness {
	return circuits.EncryptionWitness{U: w.U, E0: w.E0, E1: w.E1, M: w.M}
}

// inputEncrypter is an owner's side of input proofs for one publish: the committee's public key
// and its proof polynomials at mpc.InputLevel (one mpc.ProofKey, made once), and the key's digest
// as the chain names it (Committee.Keys[0]), which every binding carries.
type inputEncrypter struct {
	params    heint.Parameters
	pk        *rlwe.PublicKey
	key       *mpc.ProofKey
	keyDigest rights.Digest
	holder    rights.Address // the publishing owner: every proof is bound to it
}

func newInputEncrypter(params heint.Parameters, pk *rlwe.PublicKey, keyDigest rights.Digest, holder rights.Address) (*inputEncrypter, error) {
	b, err := pk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode the committee's public key: %w", err)
	}
	// The chain builds every claim with Committee.Keys[0]: a proof bound to another key's digest
	// would be refused after minutes of proving.
	if sha256.Sum256(b) != keyDigest {
		return nil, errors.New("the committee's public key does not match its digest on chain")
	}
	key, err := mpc.NewProofKey(params, pk, mpc.InputLevel)
	if err != nil {
		return nil, err
	}
	return &inputEncrypter{params: params, pk: pk, key: key, keyDigest: keyDigest, holder: holder}, nil
}

// provenCiphertext is one ciphertext of an input column and the proof that it encrypts exactly
// its chunk's committed values.
type provenCiphertext struct {
	Ciphertext []byte // exactly the bytes proven: their SHA-256 is in the binding
	Proof      zk.InputProof
}

// encryptAndProve encrypts one chunk's values (1 to N) at mpc.InputLevel with mpc.EncryptProvable
// and proves it with prove (an InputProver's Prove or ProveHistogram over the same values), binding
// the proof to the committee's key, the level, the ciphertext's SHA-256 (the storage digest the
// listing names) and the holder. The witness lives only for the length of this call: memory holds
// one witness per caller.
func (e *inputEncrypter) encryptAndProve(values []int64, prove func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error)) (provenCiphertext, error) {
	if n := mpc.Slots(e.params); len(values) < 1 || len(values) > n {
		return provenCiphertext{}, fmt.Errorf("an input chunk holds 1 to %d values, not %d", n, len(values))
	}
	cts, err := mpc.EncryptProvable(e.params, e.pk, values, mpc.InputLevel)
	if err != nil {
		return provenCiphertext{}, err
	}
	if len(cts) != 1 {
		return provenCiphertext{}, fmt.Errorf("%d ciphertexts for one chunk of %d values", len(cts), len(values))
	}
	ct := cts[0]
	polys, err := e.key.Polys(ct.Ciphertext)
	if err != nil {
		return provenCiphertext{}, err
	}
	binding := zk.Binding(e.keyDigest[:], mpc.InputLevel, sha256.Sum256(ct.Ciphertext), []byte(e.holder))
	ip, err := prove(InputWitness(ct.Witness), InputGroupPolys(polys), binding)
	if err != nil {
		return provenCiphertext{}, err
	}
	return provenCiphertext{Ciphertext: ct.Ciphertext, Proof: ip}, nil
}
