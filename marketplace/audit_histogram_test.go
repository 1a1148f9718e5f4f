package marketplace

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// claimVerifier is rightstest.Verifier (the chain's model verifier: α is SHA-256 of its inputs,
// the sum check adds big-endian integers) that records every input claim it is asked about, by
// verifying key.
type claimVerifier struct {
	rightstest.Verifier
	claims map[string][]rights.InputClaim
}

func (v *claimVerifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	v.claims[string(vk)] = append(v.claims[string(vk)], *c)
	return v.Verifier.VerifyInput(vk, c, proof)
}

// TestAuditHistogramColumn: the audit re-verifies a histogram input column as the chain lists it:
// each chunk's proof on its input claim with the column side at α recomputed from the listing
// (the lister, the column's name, the chunk and table commitments, the table's Min and Bin), the
// frequency table's proof under the registered frequency-table circuit on the table's claim (Min
// 0, Max the dataset's rows, every slot a real row), and the sum check. A table whose sum is not
// the chunks', whose proof does not verify, that is missing, or whose circuit is not registered is
// a problem naming the dataset, the column and its frequency table.
func TestAuditHistogramColumn(t *testing.T) {
	const slots, rows = 8, 10
	key := rights.Digest{3}
	sum := func(b byte) []byte { s := make([]byte, 32); s[31] = b; return s }
	commitment := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	honest := rights.Column{Name: "age", Type: rights.TypeInteger, Min: 0, Max: 100, Kind: rights.CircuitInputHistogram, ChunkSize: slots, Width: 7,
		Ciphertexts: []rights.Digest{{1}, {2}},
		Chunks: []rights.Chunk{
			{Commitment: commitment(1), Proof: []byte("p1"), Evaluations: []byte{1}, HistogramSum: sum(2)},
			{Commitment: commitment(2), Proof: []byte("p2"), Evaluations: []byte{2}, HistogramSum: sum(5)}},
		Frequencies: &rights.FrequencyTable{Table: rights.Digest{9}, Min: 0, Bin: 13, Width: rights.ColumnWidth(0, rows),
			Commitment: commitment(9), Proof: []byte("pt"), Evaluations: []byte{9}, Sum: sum(7)}}
	colVK, tabVK := []byte("column vk"), []byte("table vk")
	registered := map[string]rights.Circuit{
		rights.KindCircuitID(rights.CircuitInputHistogram, slots, 7):                           {Kind: rights.CircuitInputHistogram, ChunkSize: slots, Width: 7, VK: colVK},
		rights.KindCircuitID(rights.CircuitFrequencyTable, slots, rights.ColumnWidth(0, rows)): {Kind: rights.CircuitFrequencyTable, ChunkSize: slots, Width: rights.ColumnWidth(0, rows), VK: tabVK},
	}
	committee := &rights.Committee{Epoch: 1, Keys: []rights.Digest{key}}
	ds := &rights.Dataset{ID: "ds1", Lister: "lister", Holder: "holder", Rows: rows, KeyEpoch: 1}
	tables := 0
	audit := func(col rights.Column) (*claimVerifier, int, []string) {
		v := &claimVerifier{claims: map[string][]rights.InputClaim{}}
		chunks, t, problems := auditColumn(v, ds, &col, registered, committee, slots)
		tables = t
		return v, chunks, problems
	}

	v, chunks, problems := audit(honest)
	if len(problems) != 0 || chunks != 2 || tables != 1 {
		t.Fatalf("audit of the honest column: %d chunk and %d table proofs, problems %q; want 2, 1 and none", chunks, tables, problems)
	}
	alpha, err := rightstest.Verifier{}.HistogramChallenge(rights.HistogramContext("lister", "age"), [][]byte{commitment(1), commitment(2)}, commitment(9), 0, 13)
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range v.claims[string(colVK)] {
		want := InputClaim(rows, &honest, j, key, "lister")
		want.Histogram = &rights.HistogramClaim{Side: rights.HistogramColumn, Alpha: alpha, Min: 0, Bin: 13, Sum: honest.Chunks[j].HistogramSum}
		if !claimsEqual(&c, want) {
			t.Errorf("chunk %d: audited on claim %+v (histogram %+v), want %+v (histogram %+v)", j, c, c.Histogram, want, want.Histogram)
		}
	}
	f := honest.Frequencies
	wantTable := &rights.InputClaim{Slots: slots, Width: f.Width, Commitment: f.Commitment, Min: 0, Max: rows, Rows: slots, Key: key, Holder: "lister",
		Ciphertext: f.Table, Evaluations: f.Evaluations, Histogram: &rights.HistogramClaim{Side: rights.HistogramTable, Alpha: alpha, Sum: f.Sum}}
	if got := v.claims[string(tabVK)]; len(v.claims[string(colVK)]) != 2 || len(got) != 1 || !claimsEqual(&got[0], wantTable) {
		t.Errorf("audited %d chunk claims and table claims %+v, want 2 and %+v (histogram %+v)", len(v.claims[string(colVK)]), got, wantTable, wantTable.Histogram)
	}

	skewed := honest
	table := *honest.Frequencies
	table.Sum = sum(8)
	skewed.Frequencies = &table
	badProof := honest
	table2 := *honest.Frequencies
	table2.Proof = rightstest.BadProof
	badProof.Frequencies = &table2
	moved := honest // a chunk's sum no longer matches the table's
	moved.Chunks = slices.Clone(honest.Chunks)
	moved.Chunks[1].HistogramSum = sum(6)
	missing := honest
	missing.Frequencies = nil
	narrow := honest
	table3 := *honest.Frequencies
	table3.Width = 1
	narrow.Frequencies = &table3
	for name, tt := range map[string]struct {
		col  rights.Column
		want string
	}{
		"skewed sum":   {skewed, "dataset ds1 column age frequency table: it is not the histogram"},
		"moved chunk":  {moved, "dataset ds1 column age frequency table: it is not the histogram"},
		"bad proof":    {badProof, "dataset ds1 column age frequency table: its proof does not verify"},
		"missing":      {missing, "dataset ds1 column age frequency table: missing"},
		"narrow table": {narrow, "dataset ds1 column age frequency table: it names circuit frequency-table-n8-w1"},
	} {
		_, _, problems := audit(tt.col)
		if len(problems) != 1 || !strings.HasPrefix(problems[0], tt.want) {
			t.Errorf("%s: problems %q, want one starting %q", name, problems, tt.want)
		}
	}
}

func claimsEqual(a, b *rights.InputClaim) bool {
	ha, hb := a.Histogram, b.Histogram
	if (ha == nil) != (hb == nil) || ha != nil && (ha.Side != hb.Side || !bytes.Equal(ha.Alpha, hb.Alpha) || ha.Min != hb.Min || ha.Bin != hb.Bin || !bytes.Equal(ha.Sum, hb.Sum)) {
		return false
	}
	return a.Slots == b.Slots && a.Width == b.Width && bytes.Equal(a.Commitment, b.Commitment) && a.Min == b.Min && a.Max == b.Max &&
		a.Rows == b.Rows && a.Key == b.Key && a.Holder == b.Holder && a.Ciphertext == b.Ciphertext && bytes.Equal(a.Evaluations, b.Evaluations)
}

// TestAuditPlainColumns: the per-column audit still verifies a chunk-proof column with the chunk
// verifier and an input column on its claim without a histogram part, and reports a failed chunk,
// an unregistered circuit and a column of another key epoch, naming the dataset and column.
func TestAuditPlainColumns(t *testing.T) {
	const slots, rows = 8, 10
	key := rights.Digest{3}
	commitment := bytes.Repeat([]byte{1}, 32)
	input := rights.Column{Name: "age", Min: 0, Max: 100, Kind: rights.CircuitInput, ChunkSize: slots, Width: 7, Ciphertexts: []rights.Digest{{1}, {2}},
		Chunks: []rights.Chunk{{Commitment: commitment, Proof: []byte("p1"), Evaluations: []byte{1}}, {Commitment: commitment, Proof: rightstest.BadProof, Evaluations: []byte{2}}}}
	chunked := rights.Column{Name: "income", Min: 0, Max: 100, ChunkSize: 4, Width: 7, Chunks: []rights.Chunk{{Commitment: commitment, Proof: []byte("c1")}}}
	inputVK, chunkVK := []byte("input vk"), []byte("chunk vk")
	registered := map[string]rights.Circuit{
		rights.KindCircuitID(rights.CircuitInput, slots, 7): {Kind: rights.CircuitInput, ChunkSize: slots, Width: 7, VK: inputVK},
		rights.KindCircuitID(rights.CircuitChunk, 4, 7):     {ChunkSize: 4, Width: 7, VK: chunkVK},
	}
	ds := &rights.Dataset{ID: "ds1", Lister: "lister", Rows: rows, KeyEpoch: 1}
	v := &claimVerifier{claims: map[string][]rights.InputClaim{}}
	chunks, _, problems := auditColumn(v, ds, &input, registered, &rights.Committee{Epoch: 1, Keys: []rights.Digest{key}}, slots)
	if want := "dataset ds1 column age chunk 2: proof is marked bad"; chunks != 2 || len(problems) != 1 || problems[0] != want {
		t.Errorf("input column: %d chunks, problems %q; want 2 and [%q]", chunks, problems, want)
	}
	if got := v.claims[string(inputVK)]; len(got) != 2 || !claimsEqual(&got[0], InputClaim(rows, &input, 0, key, "lister")) || got[0].Histogram != nil {
		t.Errorf("input column claims %+v, want chunk 0's InputClaim first, without a histogram part", got)
	}
	if chunks, _, problems := auditColumn(v, ds, &chunked, registered, &rights.Committee{Epoch: 1, Keys: []rights.Digest{key}}, slots); chunks != 1 || len(problems) != 0 {
		t.Errorf("chunk column: %d chunks, problems %q; want 1 and none", chunks, problems)
	}
	for name, tt := range map[string]struct {
		col       rights.Column
		committee *rights.Committee
		want      string
	}{
		"epoch":        {input, &rights.Committee{Epoch: 2, Keys: []rights.Digest{key}}, "dataset ds1 column age: its input proofs are bound to the key of epoch 1"},
		"unregistered": {func() rights.Column { c := input; c.Width = 9; return c }(), &rights.Committee{Epoch: 1, Keys: []rights.Digest{key}}, "dataset ds1 column age names circuit input-n8-w9, which is not registered"},
	} {
		if chunks, _, problems := auditColumn(v, ds, &tt.col, registered, tt.committee, slots); chunks != 0 || len(problems) != 1 || !strings.HasPrefix(problems[0], tt.want) {
			t.Errorf("%s: %d chunks, problems %q; want 0 and one starting %q", name, chunks, problems, tt.want)
		}
	}
}
