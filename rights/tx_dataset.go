package rights

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxDatasetName = 128 // characters
	maxDescription = 4096
	maxColumns     = 64
	maxColumnName  = 64 // characters
	maxScale       = 18
	commitmentSize = 32
	maxReasonBytes = 512
	maxGrantUses   = 1_000_000
	maxTags        = 16
	maxTag         = 32 // characters
	maxPurposes    = 16
	maxPurpose     = 64 // characters
	// maxEvaluationsBytes bounds an input proof's listed evaluations (Chunk.Evaluations): 4
	// field elements of 32 bytes (C0, C1, P0, P1 at γ) per CRT group, and at most 8 groups, so
	// 1024 bytes. mpc.CRTGroups has ⌈(level+1)/4⌉ groups, 2 at mpc.InputLevel = 4; the bound
	// leaves room for a higher input level, and the verifier refuses any length but its layout's.
	evaluationsPerGroup = 4 * 32
	maxEvaluationsBytes = 8 * evaluationsPerGroup
)

// ceilDiv is ceil(a/b) for b > 0, without overflow.
func ceilDiv(a, b uint64) uint64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// DatasetCommitment is the commitment that binds every chunk commitment of a dataset: SHA-256
// over a version tag ("dxp-dataset-commitment/4") and, for each column in order, its name,
// bounds, circuit (chunk size, width and kind), every chunk commitment and its frequency table
// (whether it has one; its ciphertext digest, Min, Bin, circuit width, commitment and sum), each
// length-prefixed so that no two datasets encode alike. The chain computes it at registration;
// anyone holding the columns recomputes it. Version 3 added the circuit's kind: a column proven
// with the chunk circuit and one proven with an input circuit never share a commitment. Version
// 4 added the frequency table, so the commitment also fixes the counts a proven table committed
// to (FrequencyTable.Commitment) and the sum its histogram check was made with.
func DatasetCommitment(cols []Column) Digest {
	h := sha256.New()
	var num [8]byte
	put := func(v uint64) {
		binary.BigEndian.PutUint64(num[:], v)
		h.Write(num[:])
	}
	bytes := func(b []byte) {
		put(uint64(len(b)))
		h.Write(b)
	}
	bytes([]byte("dxp-dataset-commitment/4"))
	put(uint64(len(cols)))
	for _, c := range cols {
		bytes([]byte(c.Name))
		put(uint64(c.Min))
		put(uint64(c.Max))
		put(c.ChunkSize)
		put(uint64(c.Width))
		bytes([]byte(c.Kind))
		put(uint64(len(c.Chunks)))
		for _, ch := range c.Chunks {
			bytes(ch.Commitment)
		}
		f := c.Frequencies
		if f == nil {
			put(0)
			continue
		}
		put(1)
		bytes(f.Table[:])
		put(uint64(f.Min))
		put(uint64(f.Bin))
		put(uint64(f.Width))
		bytes(f.Commitment)
		bytes(f.Sum)
	}
	var d Digest
	copy(d[:], h.Sum(nil))
	return d
}

// listingFee is what listing m costs at params' ProofFee: one fee per proof it carries, chunk or
// input proof alike (one per chunk), and a frequency table's proof (FrequencyTable.Proof) is one
// more. It counts what the listing carries, before its shape is checked, so that every proof a
// validator could be made to verify is paid for.
func listingFee(m *RegisterDataset, params *Params) (fee, proofs uint64, err error) {
	for _, col := range m.Columns {
		proofs += uint64(len(col.Chunks))
		if f := col.Frequencies; f != nil && len(f.Proof) > 0 {
			proofs++
		}
	}
	hi, fee := bits.Mul64(proofs, params.ProofFee)
	if hi != 0 {
		return 0, proofs, refuse(CodeFeeUnpaid, "a listing of %d proofs at %d credits each costs more credits than exist", proofs, params.ProofFee)
	}
	return fee, proofs, nil
}

// proofFee returns the listing fee of m, or refuses m if p (the sender) cannot pay it on top of
// reserved, the fees of its listings already waiting in the mempool (0 in a block).
func (x *exec) proofFee(p *Party, m *RegisterDataset, reserved uint64) (fee, proofs uint64, err error) {
	params, err := x.params()
	if err != nil {
		return 0, 0, err
	}
	fee, proofs, err = listingFee(m, params)
	if err != nil {
		return 0, 0, err
	}
	if p.Balance < fee || p.Balance-fee < reserved {
		if reserved > 0 {
			return 0, 0, refuse(CodeFeeUnpaid, "a listing of %d proofs costs %d credits (%d per proof) and %s holds %d, of which its listings waiting in the mempool will pay %d",
				proofs, fee, params.ProofFee, x.sender, p.Balance, reserved)
		}
		return 0, 0, refuse(CodeFeeUnpaid, "a listing of %d proofs costs %d credits (%d per proof) and %s holds %d", proofs, fee, params.ProofFee, x.sender, p.Balance)
	}
	return fee, proofs, nil
}

// ListingFee is what listing m costs on this chain (Params.ProofFee per chunk, input or
// frequency table proof).
func (l *Ledger) ListingFee(m *RegisterDataset) (uint64, error) {
	p, err := l.Params()
	if err != nil {
		return 0, err
	}
	fee, _, err := listingFee(m, p)
	return fee, err
}

// chargeProofFee burns the listing fee of m from p (the sender), or refuses m if p cannot pay.
func (x *exec) chargeProofFee(p *Party, m *RegisterDataset) error {
	fee, proofs, err := x.proofFee(p, m, 0)
	if err != nil || fee == 0 {
		return err
	}
	p.Balance -= fee
	p.FeesPaid += fee
	if err := x.putParty(p); err != nil {
		return err
	}
	x.emit(Event{Action: "fee", Parties: []Address{x.sender}, Attrs: []Attr{
		{"kind", "listing"}, {"proofs", strconv.FormatUint(proofs, 10)}, {"amount", strconv.FormatUint(fee, 10)}}})
	return nil
}

// registerDataset lists a dataset held by the sender after checking its schema, the circuit
// each column names and every chunk proof.
//
// An input column (Kind CircuitInput) has one chunk per ciphertext (ChunkSize =
// SlotsPerCiphertext = N), and chunk j's proof is verified against the claim: the chunk committed
// to by its commitment holds min(N, Rows − jN) real rows within [Min, Max] (the rest padding),
// and Ciphertexts[j] is a fresh encryption of exactly them, one per slot, under the committee's
// collective public key Keys[0] (of the epoch the listing names, checked), at the input level,
// given the listed evaluations at the proof's challenge. The chain cannot read the ciphertext or
// the key: the proof binds their digests (zk.Binding), and Threshold committee members check the
// evaluations against the stored objects (AttestInputs) before the dataset is listed. On a chain
// whose genesis sets InputProofs every column must be an input column (CodeInputProofRequired).
//
// Why this covers every value the committee will compute on: the column has exactly
// ceil(Rows/N) ciphertexts (checked above) and exactly as many chunks, and claim j names
// Ciphertexts[j] by digest and rows jN.. of the column, so each stored ciphertext is covered by
// exactly one proof, for its own rows; a proof moved to another chunk or reused over another
// ciphertext faces a claim with another digest (and rows count), which it does not satisfy. The
// claim's Key is the key of the epoch the listing names, so a ciphertext under a key of the
// owner's choosing fails, and its Width and VK come from the registered circuit, not the listing.
//
// A histogram column (Kind CircuitInputHistogram) is an input column whose frequency table is
// proven too: each chunk carries its S_c (Chunk.HistogramSum) and the table its own input proof
// (FrequencyTable.Proof, under a registered CircuitFrequencyTable circuit) and S_T. The chain
// draws α = HistogramChallenge(HistogramContext(sender, column), the chunk commitments in row
// order, the table's commitment, the table's Min and Bin), from the listing's bytes only (so
// every validator draws the same α), verifies every chunk's proof with its claim extended by
// (α, Min, Bin, S_c) and the table's with tableClaim, and accepts the table only if the S_c add
// up to S_T (CheckHistogram; CodeBadHistogram otherwise). Why that makes the counts the
// histogram of the committed values: α is drawn after, and from, the commitments that fix the
// values and the counts, so the owner chose both before knowing it; the proofs show S_c =
// Σ 1/(α − bin(v)) over the chunk's real rows and S_T = Σ_k h_k/(α − k) for the counts in the
// table's ciphertext, and two different multisets of bins give different rational functions of
// α, equal at a random α with probability at most N/p (circuits.Input, "Histogram"). The
// context keeps a proof made for one column's α (another lister's, or another column's) from
// verifying here: its α differs. Without Params.InputProofs a column may list an unproven table
// (the owner's claim); with it, a table must be proven (CodeInputProofRequired), while an input
// column without a table stays allowed and offers no histogram or noisy count.
func (x *exec) registerDataset(m *RegisterDataset) (string, error) {
	p, err := x.party(x.sender)
	if err != nil {
		return "", err
	}
	if !p.hasRole(RoleOwner) {
		return "", refuse(CodeUnauthorized, "%s does not hold the owner role, so it cannot list datasets", x.sender)
	}
	// The fee first: no proof is verified for a sender that cannot pay for them.
	if err := x.chargeProofFee(p, m); err != nil {
		return "", err
	}
	c, err := x.committee()
	if err != nil {
		return "", err
	}
	if !c.Ready {
		return "", refuse(CodeCommitteeNotReady, "the committee has not agreed its keys yet, so no dataset can be listed")
	}
	if m.KeyEpoch != c.Epoch {
		return "", refuse(CodeBadEpoch, "dataset is encrypted under key epoch %d, the committee is at epoch %d", m.KeyEpoch, c.Epoch)
	}
	params, err := x.params()
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(m.Name); n < 1 || n > maxDatasetName {
		return "", refuse(CodeBadDataset, "dataset name must be 1 to %d characters, got %d", maxDatasetName, n)
	}
	if len(m.Description) > maxDescription {
		return "", refuse(CodeBadText, "dataset description is %d bytes, at most %d allowed", len(m.Description), maxDescription)
	}
	if m.Rows < 1 {
		return "", refuse(CodeBadDataset, "dataset %q has no rows", m.Name)
	}
	if m.Manifest.IsZero() {
		return "", refuse(CodeBadDigests, "dataset %q manifest digest is zero", m.Name)
	}
	if len(m.Columns) < 1 || len(m.Columns) > maxColumns {
		return "", refuse(CodeBadDataset, "dataset must have 1 to %d columns, got %d", maxColumns, len(m.Columns))
	}
	wantCts := ceilDiv(m.Rows, params.SlotsPerCiphertext)
	names := map[string]bool{}
	circuits := make([]*Circuit, len(m.Columns))
	tableCircuits := make([]*Circuit, len(m.Columns)) // a histogram column's CircuitFrequencyTable
	for i, col := range m.Columns {
		if n := utf8.RuneCountInString(col.Name); n < 1 || n > maxColumnName {
			return "", refuse(CodeBadDataset, "column %d name must be 1 to %d characters, got %d", i, maxColumnName, n)
		}
		if names[col.Name] {
			return "", refuse(CodeBadDataset, "column %q is declared twice", col.Name)
		}
		names[col.Name] = true
		switch col.Type {
		case TypeInteger:
			if col.Scale != 0 {
				return "", refuse(CodeBadDataset, "column %q is an integer column with scale %d; integers have scale 0", col.Name, col.Scale)
			}
		case TypeDecimal:
			if col.Scale < 1 || col.Scale > maxScale {
				return "", refuse(CodeBadDataset, "column %q is a decimal column with scale %d; decimals have scale 1 to %d", col.Name, col.Scale, maxScale)
			}
		default:
			return "", refuse(CodeBadDataset, "column %q has unknown type %q (want integer or decimal)", col.Name, col.Type)
		}
		if col.Min > col.Max {
			return "", refuse(CodeBadDataset, "column %q has min %d above max %d", col.Name, col.Min, col.Max)
		}
		if uint64(len(col.Ciphertexts)) != wantCts {
			return "", refuse(CodeBadDataset, "column %q has %d ciphertexts, %d rows need %d (%d values each)",
				col.Name, len(col.Ciphertexts), m.Rows, wantCts, params.SlotsPerCiphertext)
		}
		for j, d := range col.Ciphertexts {
			if d.IsZero() {
				return "", refuse(CodeBadDigests, "column %q ciphertext %d digest is zero", col.Name, j)
			}
		}
		if err := checkFrequencyTable(&col, params.SlotsPerCiphertext); err != nil {
			return "", err
		}
		switch {
		case col.Kind == CircuitFrequencyTable:
			return "", refuse(CodeUnknownCircuit, "column %q names circuit kind %q, which proves a frequency table, not a column (want %q, %q or %q)",
				col.Name, col.Kind, CircuitChunk, CircuitInput, CircuitInputHistogram)
		case col.Kind != CircuitChunk && !col.Kind.input():
			return "", refuse(CodeUnknownCircuit, "column %q names circuit kind %q, which is unknown (want %q, %q or %q)",
				col.Name, col.Kind, CircuitChunk, CircuitInput, CircuitInputHistogram)
		case params.InputProofs && !col.Kind.input():
			return "", refuse(CodeInputProofRequired, "column %q is proven with circuit %s, but this chain requires an input circuit for every column (to tie its ciphertexts to its values)",
				col.Name, KindCircuitID(col.Kind, col.ChunkSize, col.Width))
		case params.InputProofs && col.Frequencies != nil && col.Kind != CircuitInputHistogram:
			return "", refuse(CodeInputProofRequired, "column %q lists a frequency table without its proof, but this chain requires a column's frequency table to be proven (a column of circuit kind %q)",
				col.Name, CircuitInputHistogram)
		case col.Kind.input() && col.ChunkSize != params.SlotsPerCiphertext:
			return "", refuse(CodeBadDataset, "column %q is proven with input chunks of %d values, but an input proof covers one ciphertext of %d values",
				col.Name, col.ChunkSize, params.SlotsPerCiphertext)
		}
		circuit, err := x.circuit(col.Kind, col.ChunkSize, col.Width)
		if err != nil {
			return "", err
		}
		if need := ColumnWidth(col.Min, col.Max); col.Width < need {
			return "", refuse(CodeUnknownCircuit, "column %q bounds [%d, %d] need width %d, but it names circuit %s of width %d",
				col.Name, col.Min, col.Max, need, circuit.ID(), col.Width)
		}
		circuits[i] = circuit
		if col.Kind.input() && len(col.Chunks) != len(col.Ciphertexts) {
			return "", refuse(CodeBadDataset, "column %q has %d input proof chunks for %d ciphertexts, want one per ciphertext",
				col.Name, len(col.Chunks), len(col.Ciphertexts))
		}
		if want := ceilDiv(m.Rows, col.ChunkSize); uint64(len(col.Chunks)) != want {
			return "", refuse(CodeBadDataset, "column %q has %d proof chunks, %d rows need %d (%d values each)",
				col.Name, len(col.Chunks), m.Rows, want, col.ChunkSize)
		}
		for j, ch := range col.Chunks {
			if len(ch.Commitment) != commitmentSize {
				return "", refuse(CodeBadDataset, "column %q chunk %d commitment is %d bytes, want %d", col.Name, j, len(ch.Commitment), commitmentSize)
			}
			if len(ch.Proof) == 0 {
				return "", refuse(CodeBadProof, "column %q chunk %d has no proof", col.Name, j)
			}
			if err := checkEvaluations(&col, j); err != nil {
				return "", err
			}
			if err := checkHistogramSum(&col, j); err != nil {
				return "", err
			}
		}
		if tableCircuits[i], err = x.tableCircuit(&col, m.Rows, params.SlotsPerCiphertext); err != nil {
			return "", err
		}
	}
	if len(c.Keys) == 0 {
		return "", refuse(CodeInternal, "the committee is ready but has no keys")
	}
	// Proofs last: they are the expensive check.
	if x.v == nil {
		return "", refuse(CodeInternal, "this node has no proof verifier")
	}
	for i, col := range m.Columns {
		var alpha []byte // the column's histogram challenge, for a histogram column
		if col.Kind == CircuitInputHistogram {
			if alpha, err = x.histogramChallenge(&col); err != nil {
				return "", err
			}
		}
		for j, ch := range col.Chunks {
			var err error
			if col.Kind.input() {
				claim := inputClaim(m, &col, j, params.SlotsPerCiphertext, c.Keys[0], x.sender)
				if alpha != nil {
					f := col.Frequencies
					claim.Histogram = &HistogramClaim{Side: HistogramColumn, Alpha: alpha, Min: f.Min, Bin: f.Bin, Sum: ch.HistogramSum}
				}
				err = x.v.VerifyInput(circuits[i].VK, claim, ch.Proof)
			} else {
				err = x.v.VerifyChunk(circuits[i].VK, ch.Proof, ch.Commitment, col.Min, col.Max)
			}
			if err != nil {
				return "", refuse(CodeBadProof, "column %q chunk %d: the proof does not verify under circuit %s: %v", col.Name, j, circuits[i].ID(), err)
			}
		}
		if alpha == nil {
			continue
		}
		f := col.Frequencies
		if err := x.v.VerifyInput(tableCircuits[i].VK, tableClaim(m, &col, alpha, params.SlotsPerCiphertext, c.Keys[0], x.sender), f.Proof); err != nil {
			return "", refuse(CodeBadProof, "column %q frequency table: the proof does not verify under circuit %s: %v", col.Name, tableCircuits[i].ID(), err)
		}
		sums := make([][]byte, len(col.Chunks))
		for j := range col.Chunks {
			sums[j] = col.Chunks[j].HistogramSum
		}
		if err := x.v.CheckHistogram(sums, f.Sum); err != nil {
			return "", refuse(CodeBadHistogram, "column %q: the frequency table is not the histogram of the column's values: %v", col.Name, err)
		}
	}
	commitment := DatasetCommitment(m.Columns)

	id, err := x.newID("ds")
	if err != nil {
		return "", err
	}
	if old, err := x.s.Get(key(prefixDataset, id)); err != nil {
		return "", err
	} else if old != nil {
		return "", refuse(CodeInternal, "dataset id %s is already taken", id)
	}
	d := &Dataset{
		ID:          id,
		Holder:      x.sender,
		Lister:      x.sender,
		Name:        m.Name,
		Description: m.Description,
		Columns:     m.Columns,
		Rows:        m.Rows,
		Price:       m.Price,
		Manifest:    m.Manifest,
		Commitment:  commitment,
		KeyEpoch:    m.KeyEpoch,
		Status:      DatasetPending, // until Threshold members have checked its stored inputs
		Registered:  x.b.Height,
		Policy:      Policy{Approval: ApprovalRequired},
		Updated:     x.b.Height,
	}
	if err := save(x.s, key(prefixDataset, id), d); err != nil {
		return "", err
	}
	if err := x.setIndex(prefixDatasetByHolder, string(x.sender), id); err != nil {
		return "", err
	}
	if err := x.setIndex(prefixDatasetByStatus, string(DatasetPending), id); err != nil {
		return "", err
	}
	x.emit(Event{Action: "register_dataset", Parties: []Address{x.sender}, Datasets: []string{id}})
	return id, nil
}

// inputClaim is what the input proof of chunk j of col, an input column of listing m, is checked
// against: chunk j covers rows jN to min((j+1)N, Rows) − 1, so it has min(N, Rows − jN) real rows
// (at least 1: the column has ceil(Rows/N) chunks), and its ciphertext is Ciphertexts[j],
// encrypted under key, the committee's collective public key, and listed by holder (the sender).
func inputClaim(m *RegisterDataset, col *Column, j int, slots uint64, key Digest, holder Address) *InputClaim {
	ch := &col.Chunks[j]
	return &InputClaim{
		Slots:       slots,
		Width:       col.Width,
		Commitment:  ch.Commitment,
		Min:         col.Min,
		Max:         col.Max,
		Rows:        min(slots, m.Rows-uint64(j)*slots),
		Key:         key,
		Holder:      holder,
		Ciphertext:  col.Ciphertexts[j],
		Evaluations: ch.Evaluations,
	}
}

// checkEvaluations refuses chunk j of col if its evaluations do not fit its kind: an input
// proof's are 1 to 8 CRT groups of 4 field elements (a positive multiple of 128 bytes, at most
// maxEvaluationsBytes); a chunk proof has none, so a listing cannot store unchecked bytes in them.
func checkEvaluations(col *Column, j int) error {
	n := len(col.Chunks[j].Evaluations)
	if !col.Kind.input() {
		if n != 0 {
			return refuse(CodeBadDataset, "column %q chunk %d carries %d bytes of evaluations, which only an input proof has", col.Name, j, n)
		}
		return nil
	}
	if !evaluationsFit(n) {
		return refuse(CodeBadDataset, "column %q chunk %d input proof evaluations are %d bytes, want a positive multiple of %d up to %d",
			col.Name, j, n, evaluationsPerGroup, maxEvaluationsBytes)
	}
	return nil
}

// evaluationsFit says whether n bytes can be an input proof's evaluations.
func evaluationsFit(n int) bool {
	return n > 0 && n <= maxEvaluationsBytes && n%evaluationsPerGroup == 0
}

// checkHistogramSum refuses chunk j of col if its HistogramSum does not fit its kind: a field
// element (32 bytes) for a histogram column's chunk, nothing for any other, so a listing cannot
// store unchecked bytes in it.
func checkHistogramSum(col *Column, j int) error {
	n := len(col.Chunks[j].HistogramSum)
	if col.Kind != CircuitInputHistogram {
		if n != 0 {
			return refuse(CodeBadDataset, "column %q chunk %d carries %d bytes of histogram sum, which only a chunk of a %q column has", col.Name, j, n, CircuitInputHistogram)
		}
		return nil
	}
	if n != commitmentSize {
		return refuse(CodeBadDataset, "column %q chunk %d histogram sum is %d bytes, want %d", col.Name, j, n, commitmentSize)
	}
	return nil
}

// tableCircuit checks the proof fields of col's frequency table and returns the registered
// CircuitFrequencyTable circuit they name, for a histogram column (Kind CircuitInputHistogram),
// which must carry a table: a commitment and a sum of 32 bytes, a proof, evaluations as an input
// proof's, a bin the column's chunk circuit can prove (Bin ≤ 2^Width, as
// circuits.HistogramStatement requires) and a circuit width that holds a count of up to rows
// (ColumnWidth(0, rows)). Any other column's table (if it has one) must carry none of them, and
// it returns nil. checkFrequencyTable has checked the table's digest, Min and Bin.
func (x *exec) tableCircuit(col *Column, rows, slots uint64) (*Circuit, error) {
	f := col.Frequencies
	if col.Kind != CircuitInputHistogram {
		if f != nil && (f.Width != 0 || len(f.Commitment) != 0 || len(f.Proof) != 0 || len(f.Evaluations) != 0 || len(f.Sum) != 0) {
			return nil, refuse(CodeBadFrequencies, "column %q frequency table carries proof fields (width, commitment, proof, evaluations or sum), which only the table of a %q column has",
				col.Name, CircuitInputHistogram)
		}
		return nil, nil
	}
	switch {
	case f == nil:
		return nil, refuse(CodeBadFrequencies, "column %q is proven with circuit kind %q but lists no frequency table", col.Name, CircuitInputHistogram)
	case len(f.Commitment) != commitmentSize:
		return nil, refuse(CodeBadFrequencies, "column %q frequency table commitment is %d bytes, want %d", col.Name, len(f.Commitment), commitmentSize)
	case len(f.Proof) == 0:
		return nil, refuse(CodeBadProof, "column %q frequency table has no proof", col.Name)
	case !evaluationsFit(len(f.Evaluations)):
		return nil, refuse(CodeBadFrequencies, "column %q frequency table evaluations are %d bytes, want a positive multiple of %d up to %d",
			col.Name, len(f.Evaluations), evaluationsPerGroup, maxEvaluationsBytes)
	case len(f.Sum) != commitmentSize:
		return nil, refuse(CodeBadFrequencies, "column %q frequency table sum is %d bytes, want %d", col.Name, len(f.Sum), commitmentSize)
	case uint64(f.Bin-1)>>col.Width != 0: // f.Bin >= 1 (checkFrequencyTable); a shift by 64 is 0
		return nil, refuse(CodeBadFrequencies, "column %q frequency table bin width %d is above 2^%d, the widest bin a column of width %d can prove", col.Name, f.Bin, col.Width, col.Width)
	case rows > math.MaxInt64:
		return nil, refuse(CodeBadDataset, "column %q frequency table would count %d rows, more than a table's bound can hold", col.Name, rows)
	}
	circuit, err := x.circuit(CircuitFrequencyTable, slots, f.Width)
	if err != nil {
		return nil, err
	}
	if need := ColumnWidth(0, int64(rows)); f.Width < need {
		return nil, refuse(CodeUnknownCircuit, "column %q frequency table counts up to %d rows, which need width %d, but it names circuit %s of width %d",
			col.Name, rows, need, circuit.ID(), f.Width)
	}
	return circuit, nil
}

// histogramChallenge draws α for col, a histogram column listed by the sender: from the
// column's identity on chain (HistogramContext), its chunk commitments in row order, its
// table's commitment, Min and Bin, all bytes of the listing, so every validator draws the same.
func (x *exec) histogramChallenge(col *Column) ([]byte, error) {
	commitments := make([][]byte, len(col.Chunks))
	for j := range col.Chunks {
		commitments[j] = col.Chunks[j].Commitment
	}
	f := col.Frequencies
	alpha, err := x.v.HistogramChallenge(HistogramContext(x.sender, col.Name), commitments, f.Commitment, f.Min, f.Bin)
	if err != nil {
		return nil, refuse(CodeBadProof, "column %q: no histogram challenge can be drawn from its commitments: %v", col.Name, err)
	}
	return alpha, nil
}

// tableClaim is what the proof of col's frequency table is checked against: the table's
// ciphertext (Frequencies.Table) is a fresh encryption under key of the N = slots counts
// committed to by its commitment, every slot a real row (Rows = N; the counts past the last bin
// are 0), each count within [0, m.Rows] (no bin holds more values than the column has), listed by
// holder, with S_T at the column's α.
func tableClaim(m *RegisterDataset, col *Column, alpha []byte, slots uint64, key Digest, holder Address) *InputClaim {
	f := col.Frequencies
	return &InputClaim{
		Slots:       slots,
		Width:       f.Width,
		Commitment:  f.Commitment,
		Min:         0,
		Max:         int64(m.Rows), // at most math.MaxInt64: tableCircuit
		Rows:        slots,
		Key:         key,
		Holder:      holder,
		Ciphertext:  f.Table,
		Evaluations: f.Evaluations,
		Histogram:   &HistogramClaim{Side: HistogramTable, Alpha: alpha, Sum: f.Sum},
	}
}

// holderDataset loads a listed, unfrozen dataset the sender holds, for one of the holder's actions.
func (x *exec) holderDataset(id, action string) (*Dataset, error) {
	d, err := x.dataset(id)
	if err != nil {
		return nil, err
	}
	if d.Holder != x.sender {
		return nil, refuse(CodeUnauthorized, "%s does not hold dataset %s, so it cannot %s it", x.sender, id, action)
	}
	if d.Status != DatasetListed {
		return nil, refuse(CodeDatasetNotListed, "dataset %s is %s, so it cannot be changed", id, d.Status)
	}
	if err := x.notFrozen(HoldDataset, id, "dataset "+id); err != nil {
		return nil, err
	}
	return d, nil
}

func (x *exec) datasetEvent(action string, d *Dataset, parties []Address, attrs ...Attr) {
	x.emit(Event{Action: action, Parties: uniqueAddrs(append([]Address{x.sender}, parties...)), Datasets: []string{d.ID}, Attrs: attrs})
}

// checkLabel refuses a tag or purpose that is empty, too long, or not printable text.
func checkLabel(what, s string, max int) error {
	if n := utf8.RuneCountInString(s); n < 1 || n > max {
		return fmt.Errorf("%s %q must be 1 to %d characters", what, s, max)
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, ',') || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("%s %q must be printable text without commas", what, s)
	}
	return nil
}

func checkLabels(what string, list []string, maxN, maxLen int) error {
	if len(list) > maxN {
		return fmt.Errorf("at most %d %ss allowed, got %d", maxN, what, len(list))
	}
	for i, s := range list {
		if err := checkLabel(what, s, maxLen); err != nil {
			return err
		}
		if slices.Contains(list[:i], s) {
			return fmt.Errorf("%s %q is named twice", what, s)
		}
	}
	return nil
}

// updateDataset changes a dataset's description, tags or price.
func (x *exec) updateDataset(m *UpdateDataset) error {
	d, err := x.holderDataset(m.Dataset, "update")
	if err != nil {
		return err
	}
	if m.Description == nil && m.Tags == nil && m.Price == nil {
		return refuse(CodeBadDataset, "update of dataset %s changes nothing (no description, tags or price)", d.ID)
	}
	var attrs []Attr
	if m.Description != nil {
		if len(*m.Description) > maxDescription || !utf8.ValidString(*m.Description) {
			return refuse(CodeBadText, "dataset description must be UTF-8 of at most %d bytes, got %d bytes", maxDescription, len(*m.Description))
		}
		d.Description = *m.Description
		attrs = append(attrs, Attr{"field", "description"})
	}
	if m.Tags != nil {
		if err := checkLabels("tag", *m.Tags, maxTags, maxTag); err != nil {
			return refuse(CodeBadTags, "dataset %s: %v", d.ID, err)
		}
		d.Tags = slices.Clone(*m.Tags)
		attrs = append(attrs, Attr{"field", "tags"})
		for _, t := range d.Tags {
			attrs = append(attrs, Attr{"tag", t})
		}
	}
	if m.Price != nil {
		d.Price = *m.Price
		attrs = append(attrs, Attr{"field", "price"}, Attr{"price", strconv.FormatUint(d.Price, 10)})
	}
	d.Updated = x.b.Height
	x.datasetEvent("update_dataset", d, nil, attrs...)
	return save(x.s, key(prefixDataset, d.ID), d)
}

// validatePolicy refuses a policy that is malformed for dataset d.
func validatePolicy(d *Dataset, p *Policy, b Block) error {
	bad := func(format string, args ...any) error {
		return refuse(CodeBadPolicy, "policy of dataset %s: %s", d.ID, fmt.Sprintf(format, args...))
	}
	for i, o := range p.AllowedOps {
		if !knownOp(o) {
			return bad("op %q is unknown (want %s)", o, joinOps(Ops))
		}
		if slices.Contains(p.AllowedOps[:i], o) {
			return bad("op %s is named twice", o)
		}
	}
	for i, c := range p.AllowedColumns {
		if d.column(c) == nil {
			return bad("column %q is not in the dataset", c)
		}
		if slices.Contains(p.AllowedColumns[:i], c) {
			return bad("column %q is named twice", c)
		}
	}
	if p.EpsilonTotal > 0 && p.EpsilonPerQuery > p.EpsilonTotal {
		return bad("epsilon per query %s is above the total %s", FormatMicro(p.EpsilonPerQuery), FormatMicro(p.EpsilonTotal))
	}
	switch p.Pooling {
	case "", PoolingOthers, PoolingNever, PoolingAny:
	default:
		return bad("pooling %q is unknown (want %q, %q or %q)", p.Pooling, PoolingOthers, PoolingNever, PoolingAny)
	}
	if p.DPWhenPooled && p.EpsilonTotal == 0 {
		return bad("differential privacy is required when pooled but there is no epsilon budget (EpsilonTotal is 0)")
	}
	if p.DPRequired && p.EpsilonTotal == 0 {
		return bad("differential privacy is required but there is no epsilon budget (EpsilonTotal is 0)")
	}
	if err := checkLabels("purpose", p.Purposes, maxPurposes, maxPurpose); err != nil {
		return bad("%v", err)
	}
	if p.Expiry.Height < 0 || p.Expiry.Time < 0 {
		return bad("expiry must not be negative")
	}
	if p.Expiry.Passed(b) {
		return refuse(CodeBadExpiry, "policy of dataset %s: its expiry has already passed at height %d", d.ID, b.Height)
	}
	switch p.Approval {
	case ApprovalRequired:
		if p.Offer != (OfferTerms{}) {
			return bad("offer terms are set but approval is %q; set approval to %q", ApprovalRequired, ApprovalOffer)
		}
	case ApprovalOffer:
		o := p.Offer
		if o.MaxUses < 1 || o.MaxUses > maxGrantUses {
			return bad("an offer must allow 1 to %d uses, got %d", maxGrantUses, o.MaxUses)
		}
		if o.MaxBlocks < 0 || o.MaxSeconds < 0 {
			return bad("offer expiry limits must not be negative")
		}
		if p.DPRequired && o.Epsilon == 0 {
			return bad("differential privacy is required but the offer grants no epsilon")
		}
		if p.EpsilonTotal > 0 && o.Epsilon > p.EpsilonTotal {
			return bad("the offer's epsilon %s is above the dataset's total %s", FormatMicro(o.Epsilon), FormatMicro(p.EpsilonTotal))
		}
	default:
		return bad("approval %q is unknown (want %q or %q)", p.Approval, ApprovalRequired, ApprovalOffer)
	}
	return nil
}

// setPolicy replaces a dataset's policy.
func (x *exec) setPolicy(m *SetPolicy) error {
	d, err := x.holderDataset(m.Dataset, "set the policy of")
	if err != nil {
		return err
	}
	if err := validatePolicy(d, &m.Policy, x.b); err != nil {
		return err
	}
	if err := x.indexPolicyExpiry(d.ID, d.Policy.Expiry, m.Policy.Expiry); err != nil {
		return err
	}
	d.Policy = m.Policy
	d.Updated = x.b.Height
	attrs := []Attr{{"approval", string(m.Policy.Approval)}, {"dp_required", strconv.FormatBool(m.Policy.DPRequired)}}
	for _, o := range m.Policy.AllowedOps {
		attrs = append(attrs, Attr{"op", string(o)})
	}
	x.datasetEvent("set_policy", d, nil, attrs...)
	return save(x.s, key(prefixDataset, d.ID), d)
}

// indexPolicyExpiry moves dataset id's entries in the policy expiry index from the old policy's
// expiry to the new one's, so that EndBlock (expirePolicies) finds the policy in force.
func (x *exec) indexPolicyExpiry(id string, old, new Expiry) error {
	if old.Height > 0 {
		if err := x.s.Delete(timeKey(prefixPolicyExpiryBlock, old.Height, id)); err != nil {
			return err
		}
	}
	if old.Time > 0 {
		if err := x.s.Delete(timeKey(prefixPolicyExpiryTime, old.Time, id)); err != nil {
			return err
		}
	}
	if new.Height > 0 {
		if err := x.s.Set(timeKey(prefixPolicyExpiryBlock, new.Height, id), indexValue); err != nil {
			return err
		}
	}
	if new.Time > 0 {
		if err := x.s.Set(timeKey(prefixPolicyExpiryTime, new.Time, id), indexValue); err != nil {
			return err
		}
	}
	return nil
}

// expirePolicies ends, at a block boundary as expireGrants does for grants, every dataset policy
// whose expiry has passed by the next block (height at most this block's, or time at most this
// block's time): the computations under way over the dataset are aborted and refunded. Their
// members' posts were refused from the first block in which the expiry had passed (liveness), so
// none of them had every share out.
func (x *exec) expirePolicies() error {
	due, err := dueEntries(x.s, prefixPolicyExpiryBlock, x.b.Height, "policy expiry")
	if err != nil {
		return err
	}
	byTime, err := dueEntries(x.s, prefixPolicyExpiryTime, x.b.Time.Unix(), "policy expiry")
	if err != nil {
		return err
	}
	var ids []string
	for _, e := range append(due, byTime...) {
		if err := x.s.Delete(e.key); err != nil {
			return err
		}
		if !slices.Contains(ids, e.id) {
			ids = append(ids, e.id)
		}
	}
	for _, id := range ids {
		d, err := x.dataset(id)
		if err != nil {
			return err
		}
		why := fmt.Sprintf("the policy of dataset %s expired %s", id, describeExpiry(d.Policy.Expiry))
		x.datasetEvent("expire_policy", d, []Address{d.Holder}, Attr{"reason", why})
		if err := x.abortPending(func(c *Computation) bool { return slices.Contains(c.Datasets, id) }, why); err != nil {
			return err
		}
	}
	return nil
}

// retireDataset ends a listing and aborts, with refunds, the computations under way over it.
func (x *exec) retireDataset(m *RetireDataset) error {
	d, err := x.holderDataset(m.Dataset, "retire")
	if err != nil {
		return err
	}
	if err := checkReason(m.Reason); err != nil {
		return err
	}
	d.Status = DatasetRetired
	d.Reason = m.Reason
	d.Updated = x.b.Height
	x.datasetEvent("retire_dataset", d, nil, Attr{"reason", m.Reason})
	if err := save(x.s, key(prefixDataset, d.ID), d); err != nil {
		return err
	}
	why := fmt.Sprintf("dataset %s was retired by its holder", d.ID)
	if m.Reason != "" {
		why += ": " + m.Reason
	}
	return x.abortPending(func(c *Computation) bool { return slices.Contains(c.Datasets, d.ID) }, why)
}

// recipient returns the registered, unfrozen party at a, to which the sender hands something.
func (x *exec) recipient(a Address, what string) (*Party, error) {
	if a == x.sender {
		return nil, refuse(CodeBadTransfer, "%s cannot be transferred or licensed to its own holder %s", what, a)
	}
	p, err := x.party(a)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, refuse(CodeUnknownParty, "party %s is not registered, so %s cannot go to it", a, what)
	}
	if err := x.notFrozen(HoldParty, string(a), "party "+string(a)); err != nil {
		return nil, err
	}
	return p, nil
}

// transferHolding hands a dataset to another owner.
func (x *exec) transferHolding(m *TransferHolding) error {
	d, err := x.holderDataset(m.Dataset, "transfer")
	if err != nil {
		return err
	}
	to, err := x.recipient(m.To, "dataset "+d.ID)
	if err != nil {
		return err
	}
	if !to.hasRole(RoleOwner) {
		return refuse(CodeBadTransfer, "party %s does not hold the owner role, so it cannot hold dataset %s", m.To, d.ID)
	}
	if err := x.delIndex(prefixDatasetByHolder, string(d.Holder), d.ID); err != nil {
		return err
	}
	if err := x.setIndex(prefixDatasetByHolder, string(m.To), d.ID); err != nil {
		return err
	}
	d.Transfers = append(slices.Clip(d.Transfers), Transfer{From: d.Holder, To: m.To, Height: x.b.Height})
	d.Holder = m.To
	d.Updated = x.b.Height
	x.datasetEvent("transfer_holding", d, []Address{m.To}, Attr{"from", string(x.sender)}, Attr{"to", string(m.To)})
	return save(x.s, key(prefixDataset, d.ID), d)
}

// FormatMicro writes a micro-unit amount (epsilon or delta) as a decimal: 500000 is "0.5".
func FormatMicro(v uint64) string {
	s := fmt.Sprintf("%d.%06d", v/1_000_000, v%1_000_000)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
