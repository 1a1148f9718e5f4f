package rights

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// testKindCircuit is a devnet circuit of kind k, chunk size n and width w, its verifying key
// naming all three.
func testKindCircuit(k CircuitKind, n uint64, w uint32) Circuit {
	return Circuit{Kind: k, ChunkSize: n, Width: w, VK: []byte(fmt.Sprintf("vk %s n%d w%d", k, n, w)),
		PK: digestOf(fmt.Sprintf("pk %s n%d w%d", k, n, w)), Setup: InsecureDevnetSetup}
}

// The frequency table circuits of histogramGenesis: tableWidth counts up to 255 rows;
// narrowTableWidth only up to 15.
const (
	tableWidth       = 8
	narrowTableWidth = 4
)

// histogramGenesis is inputGenesis(required) with a histogram column circuit of width 16 and
// frequency table circuits of widths tableWidth and narrowTableWidth, listings charged fee per
// proof.
func histogramGenesis(required bool, fee uint64) Genesis {
	g := inputGenesis(required)
	g.Params.ProofFee = fee
	g.Circuits = append(g.Circuits, testKindCircuit(CircuitInputHistogram, testSlots, 16),
		testKindCircuit(CircuitFrequencyTable, testSlots, tableWidth), testKindCircuit(CircuitFrequencyTable, testSlots, narrowTableWidth))
	return g
}

// histogramColumn is a well-formed histogram column (CircuitInputHistogram) of rows values in
// [min, max] listed by lister: an input column whose chunks carry their sums S_c, and a
// frequency table of bins of width bin from min with its commitment, evaluations, sum S_T (the
// chunk sums' total, as the test verifier adds them) and proof; every proof made for the
// column's α (proveHistogram).
func histogramColumn(lister Address, name string, min, max int64, rows uint64) Column {
	c := inputColumn(name, min, max, rows, testSlots)
	c.Kind = CircuitInputHistogram
	total := new(big.Int)
	for j := range c.Chunks {
		s := sha256.Sum256(fmt.Appendf(nil, "S_c %s %d", name, j))
		c.Chunks[j].HistogramSum = s[:]
		total.Add(total, new(big.Int).SetBytes(s[:]))
	}
	c.Frequencies = &FrequencyTable{
		Table: digestOf("table " + name), Min: min, Bin: (max - min + testSlots) / testSlots,
		Width: tableWidth, Commitment: commitment("table " + name), Proof: []byte("unproven"),
		Evaluations: testEvaluations("table "+name, 2), Sum: fieldBytes(total),
	}
	proveHistogram(&c, lister)
	return c
}

// fieldBytes is v modulo 2^256 as 32 big-endian bytes.
func fieldBytes(v *big.Int) []byte {
	return new(big.Int).Mod(v, new(big.Int).Lsh(big.NewInt(1), 256)).FillBytes(make([]byte, 32))
}

// histogramAlpha is the α the chain draws for column c listed by lister.
func histogramAlpha(c *Column, lister Address) []byte {
	var coms [][]byte
	for _, ch := range c.Chunks {
		coms = append(coms, ch.Commitment)
	}
	alpha, err := testVerifier{}.HistogramChallenge(HistogramContext(lister, c.Name), coms, c.Frequencies.Commitment, c.Frequencies.Min, c.Frequencies.Bin)
	if err != nil {
		panic(err)
	}
	return alpha
}

// proveHistogram (re)makes every proof of histogram column c, listed by lister, for the α of
// its commitments, sums and bins now: what an owner's prover does (the test verifier accepts a
// histogram proof only for the claim it was made for).
func proveHistogram(c *Column, lister Address) {
	alpha, f := histogramAlpha(c, lister), c.Frequencies
	for j := range c.Chunks {
		c.Chunks[j].Proof = histogramProof(&HistogramClaim{Side: HistogramColumn, Alpha: alpha, Min: f.Min, Bin: f.Bin, Sum: c.Chunks[j].HistogramSum})
	}
	f.Proof = histogramProof(&HistogramClaim{Side: HistogramTable, Alpha: alpha, Sum: f.Sum})
}

// newHistogramHarness is newInputHarness over histogramGenesis(required, fee), with owner1 and
// mallory registered as owners (open admission, each credited testCredit).
func newHistogramHarness(t *testing.T, required bool, fee uint64, v Verifier) *harness {
	t.Helper()
	h := newInputHarness(t, histogramGenesis(required, fee), v)
	h.ok("mallory", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	h.next()
	return h
}

// TestHistogramColumnClaims: a valid histogram column registers, and the chain verifies exactly
// the contract's claims: each chunk's input claim plus (α, the table's Min and Bin, S_c) on the
// column side, then the table's claim (its ciphertext and commitment, Min 0, Max the dataset's
// rows, Rows N, the table circuit's width, S_T) on the table side under the frequency table
// circuit, all at the α of the lister and column, and the chunks' sums checked against the
// table's. The stored dataset keeps the table's proof fields and its commitment fixes them.
func TestHistogramColumnClaims(t *testing.T) {
	v := &recordingVerifier{}
	h := newHistogramHarness(t, true, 2, v)
	const rows = 20 // three ciphertexts of 8 slots
	owner := addr("owner1")
	good := func() *RegisterDataset {
		return listing("hist", rows, 5, histogramColumn(owner, "a", -5, 5, rows), inputColumn("b", 0, 1000, rows, testSlots))
	}
	before := h.party("owner1").Balance
	// Admission counts the table's proof: 7 proofs at 2 credits, so 13 credits free are short.
	h.l.Queued = func(Address) (int, uint64) { return 1, before - 13 }
	if _, err := h.l.Admit(h.raw("owner1", Msg{RegisterDataset: good()}), h.block(), nil); refusalCode(err) != CodeFeeUnpaid {
		t.Errorf("Admit(listing of 7 proofs with 13 credits free) = %v, want code %d", err, CodeFeeUnpaid)
	}
	h.l.Queued = func(Address) (int, uint64) { return 1, before - 14 }
	if _, err := h.l.Admit(h.raw("owner1", Msg{RegisterDataset: good()}), h.block(), nil); err != nil {
		t.Errorf("Admit(listing of 7 proofs with 14 credits free) = %v", err)
	}
	h.l.Queued = nil
	v.reset()
	id := h.ok("owner1", Msg{RegisterDataset: good()})
	want := good().Columns[0]
	f := want.Frequencies
	alpha := histogramAlpha(&want, owner)

	if len(v.claims) != 7 || v.chunks != 0 {
		t.Fatalf("the verifier saw %d input claims and %d chunk proofs, want 7 (3 chunks and the table of a, 3 chunks of b) and 0", len(v.claims), v.chunks)
	}
	if len(v.contexts) != 1 || !bytes.Equal(v.contexts[0], HistogramContext(owner, "a")) {
		t.Errorf("histogram challenges drawn with contexts %q, want one, HistogramContext(owner1, a)", v.contexts)
	}
	for j := range 3 {
		c := v.claims[j]
		hc := c.Histogram
		if hc == nil {
			t.Fatalf("chunk %d claim has no histogram part", j)
		}
		if hc.Side != HistogramColumn || !bytes.Equal(hc.Alpha, alpha) || hc.Min != f.Min || hc.Bin != f.Bin || !bytes.Equal(hc.Sum, want.Chunks[j].HistogramSum) {
			t.Errorf("chunk %d histogram claim = side %d α %x min %d bin %d sum %x; want column side, α %x, min %d, bin %d, the chunk's sum",
				j, hc.Side, hc.Alpha, hc.Min, hc.Bin, hc.Sum, alpha, f.Min, f.Bin)
		}
		if c.Ciphertext != want.Ciphertexts[j] || c.Min != -5 || c.Max != 5 || c.Width != 16 || c.Slots != testSlots || c.Key != testKeys[0] || c.Holder != owner {
			t.Errorf("chunk %d claim = %+v, want the column's input claim", j, c)
		}
		if string(v.inputVKs[j]) != "vk input-histogram n8 w16" {
			t.Errorf("chunk %d verified under %q, want the histogram column circuit's key", j, v.inputVKs[j])
		}
	}
	tc := v.claims[3]
	wantTable := InputClaim{Slots: testSlots, Width: tableWidth, Commitment: f.Commitment, Min: 0, Max: rows, Rows: testSlots,
		Key: testKeys[0], Holder: owner, Ciphertext: f.Table, Evaluations: f.Evaluations}
	gotTable := tc
	gotTable.Histogram = nil
	if fmt.Sprint(gotTable) != fmt.Sprint(wantTable) {
		t.Errorf("table claim = %+v, want %+v", gotTable, wantTable)
	}
	if hc := tc.Histogram; hc == nil || hc.Side != HistogramTable || !bytes.Equal(hc.Alpha, alpha) || hc.Min != 0 || hc.Bin != 0 || !bytes.Equal(hc.Sum, f.Sum) {
		t.Errorf("table histogram claim = %+v, want table side, α %x, no bins, the table's sum", hc, alpha)
	}
	if string(v.inputVKs[3]) != fmt.Sprintf("vk frequency-table n8 w%d", tableWidth) {
		t.Errorf("the table was verified under %q, want the frequency table circuit's key", v.inputVKs[3])
	}
	for j := 4; j < 7; j++ {
		if v.claims[j].Histogram != nil {
			t.Errorf("claim %d (plain input column b) has a histogram part", j)
		}
	}
	if len(v.tableSums) != 1 || !bytes.Equal(v.tableSums[0], f.Sum) || len(v.chunkSums[0]) != 3 {
		t.Fatalf("histogram checks: %d, want one of the 3 chunk sums against the table's", len(v.tableSums))
	}
	for j, s := range v.chunkSums[0] {
		if !bytes.Equal(s, want.Chunks[j].HistogramSum) {
			t.Errorf("histogram check: chunk sum %d is not chunk %d's", j, j)
		}
	}
	// 7 proofs at 2 credits: 3 chunks and the table of a, 3 chunks of b.
	if got := h.party("owner1").Balance; got != before-14 {
		t.Errorf("owner1 paid %d credits for the listing, want 14 (7 proofs, the table's counted)", before-got)
	}
	d, err := h.l.Dataset(id)
	if err != nil {
		t.Fatal(err)
	}
	if g := d.Columns[0].Frequencies; g == nil || g.Width != tableWidth || !bytes.Equal(g.Commitment, f.Commitment) || !bytes.Equal(g.Proof, f.Proof) ||
		!bytes.Equal(g.Evaluations, f.Evaluations) || !bytes.Equal(g.Sum, f.Sum) || !bytes.Equal(d.Columns[0].Chunks[1].HistogramSum, want.Chunks[1].HistogramSum) {
		t.Errorf("the stored column lost its table's proof fields or its chunks' sums: %+v", g)
	}
	if d.Commitment != DatasetCommitment(good().Columns) {
		t.Errorf("dataset commitment = %s, want DatasetCommitment of its columns", d.Commitment)
	}
	for _, change := range []func(f *FrequencyTable){
		func(f *FrequencyTable) { f.Sum = commitment("other sum") },
		func(f *FrequencyTable) { f.Commitment = commitment("other counts") },
		func(f *FrequencyTable) { f.Table = digestOf("other table") },
	} {
		cols := good().Columns
		change(cols[0].Frequencies)
		if DatasetCommitment(cols) == d.Commitment {
			t.Errorf("the dataset commitment does not fix the frequency table's %+v", cols[0].Frequencies)
		}
	}
}

// TestHistogramColumnRules: every malformed histogram column, and every stray histogram field on
// another column, is refused for its shape, with its code, before any proof is verified and
// changing nothing; genesis accepts the two kinds only as input circuits.
func TestHistogramColumnRules(t *testing.T) {
	v := &recordingVerifier{}
	h := newHistogramHarness(t, false, 0, v)
	const rows = 20
	owner := addr("owner1")
	good := func() *RegisterDataset {
		return listing("hist", rows, 5, histogramColumn(owner, "a", -5, 5, rows), inputColumn("b", 0, 1000, rows, testSlots),
			column("c", TypeInteger, 0, 0, 7, rows))
	}
	for _, tc := range []struct {
		name   string
		change func(m *RegisterDataset)
		code   uint32
		want   string
	}{
		{"no table", func(m *RegisterDataset) { m.Columns[0].Frequencies = nil },
			CodeBadFrequencies, `column "a" is proven with circuit kind "input-histogram" but lists no frequency table`},
		{"table commitment short", func(m *RegisterDataset) { f := m.Columns[0].Frequencies; f.Commitment = f.Commitment[:31] },
			CodeBadFrequencies, `column "a" frequency table commitment is 31 bytes, want 32`},
		{"no table proof", func(m *RegisterDataset) { m.Columns[0].Frequencies.Proof = nil },
			CodeBadProof, `column "a" frequency table has no proof`},
		{"no table evaluations", func(m *RegisterDataset) { m.Columns[0].Frequencies.Evaluations = nil },
			CodeBadFrequencies, `column "a" frequency table evaluations are 0 bytes`},
		{"table evaluations too long", func(m *RegisterDataset) { m.Columns[0].Frequencies.Evaluations = testEvaluations("big", 9) },
			CodeBadFrequencies, "frequency table evaluations are 1152 bytes, want a positive multiple of 128 up to 1024"},
		{"table sum short", func(m *RegisterDataset) { m.Columns[0].Frequencies.Sum = make([]byte, 31) },
			CodeBadFrequencies, `column "a" frequency table sum is 31 bytes, want 32`},
		{"table sum missing", func(m *RegisterDataset) { m.Columns[0].Frequencies.Sum = nil },
			CodeBadFrequencies, "frequency table sum is 0 bytes"},
		{"bin wider than the column proves", func(m *RegisterDataset) {
			m.Columns[0].Frequencies.Min, m.Columns[0].Frequencies.Bin = -5, 1<<16+1
		}, CodeBadFrequencies, "bin width 65537 is above 2^16"},
		{"table circuit not registered", func(m *RegisterDataset) { m.Columns[0].Frequencies.Width = 16 },
			CodeUnknownCircuit, "no circuit frequency-table-n8-w16 (chunk size 8, width 16) is registered"},
		{"table width 0", func(m *RegisterDataset) { m.Columns[0].Frequencies.Width = 0 },
			CodeUnknownCircuit, "no circuit frequency-table-n8-w0"},
		{"table circuit too narrow for the rows", func(m *RegisterDataset) { m.Columns[0].Frequencies.Width = narrowTableWidth },
			CodeUnknownCircuit, `column "a" frequency table counts up to 20 rows, which need width 5, but it names circuit frequency-table-n8-w4 of width 4`},
		{"chunk sum missing", func(m *RegisterDataset) { m.Columns[0].Chunks[2].HistogramSum = nil },
			CodeBadDataset, `column "a" chunk 2 histogram sum is 0 bytes, want 32`},
		{"chunk sum long", func(m *RegisterDataset) { m.Columns[0].Chunks[0].HistogramSum = make([]byte, 33) },
			CodeBadDataset, `column "a" chunk 0 histogram sum is 33 bytes`},
		{"chunk sum on a plain input column", func(m *RegisterDataset) { m.Columns[1].Chunks[1].HistogramSum = commitment("x") },
			CodeBadDataset, `column "b" chunk 1 carries 32 bytes of histogram sum, which only a chunk of a "input-histogram" column has`},
		{"chunk sum on a chunk column", func(m *RegisterDataset) { m.Columns[2].Chunks[0].HistogramSum = commitment("x") },
			CodeBadDataset, `column "c" chunk 0 carries 32 bytes of histogram sum`},
		{"table proof fields on a plain input column", func(m *RegisterDataset) {
			m.Columns[1].Frequencies = &FrequencyTable{Table: digestOf("t"), Min: 0, Bin: 200, Proof: []byte("proof")}
		}, CodeBadFrequencies, `column "b" frequency table carries proof fields`},
		{"table sum on a chunk column", func(m *RegisterDataset) {
			m.Columns[2].Frequencies = &FrequencyTable{Table: digestOf("t"), Min: 0, Bin: 1, Sum: commitment("s")}
		}, CodeBadFrequencies, `column "c" frequency table carries proof fields`},
		{"table width on a plain input column", func(m *RegisterDataset) {
			m.Columns[1].Frequencies = &FrequencyTable{Table: digestOf("t"), Min: 0, Bin: 200, Width: tableWidth}
		}, CodeBadFrequencies, `column "b" frequency table carries proof fields`},
		{"histogram column on a chunk circuit's chunks", func(m *RegisterDataset) {
			m.Columns[0].ChunkSize, m.Columns[0].Chunks = testChunk, append(m.Columns[0].Chunks, m.Columns[0].Chunks...)
		}, CodeBadDataset, "an input proof covers one ciphertext of 8 values"},
		{"a histogram chunk short", func(m *RegisterDataset) { m.Columns[0].Chunks = m.Columns[0].Chunks[:2] },
			CodeBadDataset, `column "a" has 2 input proof chunks for 3 ciphertexts`},
		{"histogram column circuit not registered", func(m *RegisterDataset) { m.Columns[0].Width = 64 },
			CodeUnknownCircuit, "no circuit input-histogram-n8-w64"},
		{"a column proven with the table's circuit", func(m *RegisterDataset) { m.Columns[0].Kind = CircuitFrequencyTable },
			CodeUnknownCircuit, `column "a" names circuit kind "frequency-table", which proves a frequency table, not a column`},
		{"table misshaped as before", func(m *RegisterDataset) { m.Columns[0].Frequencies.Bin = 0 },
			CodeBadFrequencies, "bin width 0; it must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			m := good()
			tc.change(m)
			v.reset()
			h.refused("owner1", Msg{RegisterDataset: m}, tc.code, tc.want)
			if len(v.claims) != 0 || v.chunks != 0 || len(v.contexts) != 0 || len(v.tableSums) != 0 {
				t.Errorf("a listing refused for its shape had %d input and %d chunk proofs verified, %d challenges drawn and %d sums checked, want none",
					len(v.claims), v.chunks, len(v.contexts), len(v.tableSums))
			}
		})
	}
	h.t = t

	// A failed proof is CodeBadProof, naming the column and the chunk or the table.
	bad := good()
	bad.Columns[0].Chunks[1].Proof = markedBadProof
	h.refused("owner1", Msg{RegisterDataset: bad}, CodeBadProof, `column "a" chunk 1: the proof does not verify under circuit input-histogram-n8-w16`)
	bad = good()
	bad.Columns[0].Frequencies.Proof = markedBadProof
	h.refused("owner1", Msg{RegisterDataset: bad}, CodeBadProof, `column "a" frequency table: the proof does not verify under circuit frequency-table-n8-w8`)
	// Without InputProofs a plain column may still list an unproven table, and the good listing lists.
	plain := good()
	plain.Columns[1].Frequencies = &FrequencyTable{Table: digestOf("t"), Min: 0, Bin: 200}
	h.ok("owner1", Msg{RegisterDataset: plain})

	// Genesis: the two kinds are input circuits (chunk size = slots); a histogram column circuit
	// alone satisfies InputProofs, a table circuit alone does not.
	for _, tc := range []struct {
		name   string
		mutate func(g *Genesis)
		want   string
	}{
		{"histogram column circuit of the wrong chunk size", func(g *Genesis) {
			g.Circuits = append(g.Circuits, testKindCircuit(CircuitInputHistogram, testChunk, 16))
		}, "input circuit input-histogram-n4-w16 has chunk size 4, but an input proof covers one ciphertext, which holds 8 values"},
		{"table circuit of the wrong chunk size", func(g *Genesis) {
			g.Circuits = append(g.Circuits, testKindCircuit(CircuitFrequencyTable, 2*testSlots, 8))
		}, "input circuit frequency-table-n16-w8 has chunk size 16"},
		{"input proofs with only a table circuit", func(g *Genesis) {
			g.Circuits = []Circuit{testCircuit(testChunk, 16), testKindCircuit(CircuitFrequencyTable, testSlots, 8)}
		}, "no input circuit is registered"},
	} {
		g := histogramGenesis(true, 0)
		tc.mutate(&g)
		if err := g.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	g := histogramGenesis(true, 0)
	g.Circuits = []Circuit{testKindCircuit(CircuitInputHistogram, testSlots, 16), testKindCircuit(CircuitFrequencyTable, testSlots, 8)}
	if err := g.Validate(); err != nil {
		t.Errorf("Validate(input proofs with histogram circuits only) = %v", err)
	}
}

// TestAttackTableNotHistogram: an owner lists a frequency table whose counts are not the
// histogram of its column's values (a bin inflated, to skew every histogram and noisy count
// over the column). It commits the counts it likes, draws α from its commitments as the chain
// will, and makes every proof honestly for that α: each chunk's S_c and the table's S_T are true
// of what they commit. Only the sum differs: Σ_c S_c ≠ S_T. The chain refuses the listing
// (CodeBadHistogram) after verifying every proof; nothing is stored and, as for a bad proof, a
// refused listing charges nothing.
// Fails with the sum check (CheckHistogram) removed from registerDataset: the listing registers.
func TestAttackTableNotHistogram(t *testing.T) {
	v := &recordingVerifier{}
	h := newHistogramHarness(t, true, 2, v)
	const rows = 20
	mallory := addr("mallory")
	skewed := histogramColumn(mallory, "income", 0, 63, rows)
	f := skewed.Frequencies
	f.Commitment = commitment("counts with bin 0 inflated by 5")
	f.Sum = fieldBytes(new(big.Int).Add(new(big.Int).SetBytes(f.Sum), big.NewInt(5)))
	proveHistogram(&skewed, mallory)

	before := h.party("mallory")
	h.refused("mallory", Msg{RegisterDataset: listing("skewed", rows, 1, skewed)}, CodeBadHistogram,
		`column "income": the frequency table is not the histogram of the column's values`)
	if len(v.claims) != 4 || len(v.tableSums) != 1 {
		t.Errorf("the chain verified %d proofs and %d sums, want all 4 (3 chunks and the table) and the sum: each proof alone is valid", len(v.claims), len(v.tableSums))
	}
	if after := h.party("mallory"); after.Balance != before.Balance || after.FeesPaid != before.FeesPaid {
		t.Errorf("the refused listing changed mallory's balance %d → %d, fees %d → %d", before.Balance, after.Balance, before.FeesPaid, after.FeesPaid)
	}
	if ds, err := h.l.Datasets(); err != nil || len(ds) != 0 {
		t.Errorf("Datasets() = %d datasets, %v; want none stored", len(ds), err)
	}

	// The same column with its true table lists.
	v.reset()
	h.ok("mallory", Msg{RegisterDataset: listing("honest", rows, 1, histogramColumn(mallory, "income", 0, 63, rows))})
}

// TestAttackUnprovenTableOnProvenChain: on a chain that requires input proofs, an owner lists
// input-proven columns (each ciphertext proven) with a frequency table whose counts nothing
// proves, as before issue 15's tables, to skew the histograms and noisy counts computed from
// it. The chain refuses the table however it is dressed, naming the column, before verifying a
// proof and charging nothing; the columns without a table, or with a proven one, list.
// Fails with the InputProofs table rule removed from registerDataset: the unproven table lists.
func TestAttackUnprovenTableOnProvenChain(t *testing.T) {
	v := &recordingVerifier{}
	h := newHistogramHarness(t, true, 2, v)
	const rows = 20
	mallory := addr("mallory")
	withTable := func() Column {
		c := inputColumn("income", 0, 63, rows, testSlots)
		c.Frequencies = &FrequencyTable{Table: digestOf("counts mallory likes"), Min: 0, Bin: 8}
		return c
	}
	proven := histogramColumn(mallory, "income", 0, 63, rows)
	for _, tc := range []struct {
		name string
		cols []Column
		code uint32
		want string
	}{
		{"an unproven table on an input column", []Column{withTable()}, CodeInputProofRequired,
			`column "income" lists a frequency table without its proof, but this chain requires a column's frequency table to be proven`},
		{"beside a proven histogram column", []Column{histogramColumn(mallory, "age", 0, 63, rows), withTable()}, CodeInputProofRequired, `column "income"`},
		{"with a proof, sums and commitment copied from a proven table", func() []Column {
			c := withTable()
			pf := proven.Frequencies
			c.Frequencies.Width, c.Frequencies.Commitment, c.Frequencies.Proof, c.Frequencies.Evaluations, c.Frequencies.Sum =
				pf.Width, pf.Commitment, pf.Proof, pf.Evaluations, pf.Sum
			return []Column{c}
		}(), CodeInputProofRequired, `column "income" lists a frequency table without its proof`},
		{"labelled a histogram column, without the table's proof", func() []Column {
			c := proven
			f := *c.Frequencies
			f.Proof = nil
			c.Frequencies = &f
			return []Column{c}
		}(), CodeBadProof, `column "income" frequency table has no proof`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			v.reset()
			before := h.party("mallory")
			h.refused("mallory", Msg{RegisterDataset: listing("skewed", rows, 1, tc.cols...)}, tc.code, tc.want)
			if len(v.claims) != 0 || v.chunks != 0 || len(v.contexts) != 0 {
				t.Errorf("the chain verified %d input and %d chunk proofs of a listing it refuses, want none", len(v.claims), v.chunks)
			}
			if after := h.party("mallory"); after.Balance != before.Balance {
				t.Errorf("the refused listing charged mallory %d credits", before.Balance-after.Balance)
			}
		})
	}
	h.t = t

	// No table: allowed (the column offers no histogram or noisy count); a proven table lists.
	noTable := withTable()
	noTable.Frequencies = nil
	h.ok("mallory", Msg{RegisterDataset: listing("plain", rows, 1, noTable)})
	h.ok("mallory", Msg{RegisterDataset: listing("proven", rows, 1, proven)})
}

// TestAttackHistogramProofOtherColumn: an owner reuses the histogram proofs of a column already
// listed, its own under another column's name or another lister's (copied from the chain), to
// list a column whose table it never proved. Every byte it lists verified once, but the chain
// draws α from the listing's lister and column name (HistogramContext) as well as the
// commitments, so the copied proofs face an α they were not made for and are refused. The
// claims the verifier was called with carry the copier's α, the table's bins and the right
// sides.
// Fails with HistogramContext's lister and column left out of α (a constant context): the copies list.
func TestAttackHistogramProofOtherColumn(t *testing.T) {
	v := &recordingVerifier{}
	h := newHistogramHarness(t, true, 2, v)
	const rows = 20
	alice, mallory := addr("owner1"), addr("mallory")
	original := histogramColumn(alice, "income", 0, 63, rows)
	h.ok("owner1", Msg{RegisterDataset: listing("original", rows, 1, original)})
	aliceAlpha := histogramAlpha(&original, alice)
	if !bytes.Equal(v.claims[0].Histogram.Alpha, aliceAlpha) {
		t.Fatalf("the original listing was verified at α %x, want %x", v.claims[0].Histogram.Alpha, aliceAlpha)
	}

	for _, tc := range []struct {
		name   string
		sender string
		lister Address
		col    func() Column
	}{
		{"another lister copies the column", "mallory", mallory, func() Column { return original }},
		{"the same lister, another column name", "owner1", alice, func() Column {
			c := original
			c.Name = "salary"
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			v.reset()
			c := tc.col()
			h.refused(tc.sender, Msg{RegisterDataset: listing("copy", rows, 1, c)}, CodeBadProof,
				fmt.Sprintf("column %q chunk 0: the proof does not verify under circuit input-histogram-n8-w16", c.Name))
			wantAlpha := histogramAlpha(&c, tc.lister)
			if bytes.Equal(wantAlpha, aliceAlpha) {
				t.Fatalf("the copy's α is the original's")
			}
			if len(v.contexts) != 1 || !bytes.Equal(v.contexts[0], HistogramContext(tc.lister, c.Name)) {
				t.Errorf("α drawn with contexts %q, want HistogramContext(%s, %q)", v.contexts, tc.lister, c.Name)
			}
			if len(v.claims) != 1 {
				t.Fatalf("the verifier saw %d claims, want 1 (the first chunk, refused)", len(v.claims))
			}
			f := c.Frequencies
			if hc := v.claims[0].Histogram; hc == nil || hc.Side != HistogramColumn || !bytes.Equal(hc.Alpha, wantAlpha) || hc.Min != f.Min || hc.Bin != f.Bin ||
				!bytes.Equal(hc.Sum, c.Chunks[0].HistogramSum) {
				t.Errorf("chunk 0 claim = %+v, want column side at the copier's α %x, bins (%d, %d), the chunk's sum", hc, wantAlpha, f.Min, f.Bin)
			}
			if v.claims[0].Holder != tc.lister {
				t.Errorf("chunk 0 claim holder = %s, want the copier %s", v.claims[0].Holder, tc.lister)
			}
		})
	}
	h.t = t

	// Proven for its own α (the copier's lister and column), the same values list; the table's
	// claim is on the table side at that α.
	v.reset()
	own := original
	own.Chunks = append([]Chunk(nil), original.Chunks...)
	of := *original.Frequencies
	own.Frequencies = &of
	proveHistogram(&own, mallory)
	h.ok("mallory", Msg{RegisterDataset: listing("own", rows, 1, own)})
	if len(v.claims) != 4 {
		t.Fatalf("the verifier saw %d claims, want 4", len(v.claims))
	}
	if hc := v.claims[3].Histogram; hc == nil || hc.Side != HistogramTable || !bytes.Equal(hc.Alpha, histogramAlpha(&own, mallory)) {
		t.Errorf("table claim = %+v, want the table side at mallory's α", hc)
	}
}
