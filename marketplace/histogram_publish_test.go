package marketplace_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/dxplabs/dxp/circuits"
	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// tableWidth is the width of the devnet's frequency-table circuit.
const tableWidth = 32

// columnAlpha is the α the chain draws for column col of ds (rights.Verifier.HistogramChallenge).
func columnAlpha(t *testing.T, ds *rights.Dataset, col *rights.Column) []byte {
	t.Helper()
	var commitments [][]byte
	for _, ch := range col.Chunks {
		commitments = append(commitments, ch.Commitment)
	}
	f := col.Frequencies
	if f == nil {
		t.Fatalf("column %s has no frequency table", col.Name)
	}
	alpha, err := Verifier{}.HistogramChallenge(rights.HistogramContext(ds.Holder, col.Name), commitments, f.Commitment, f.Min, f.Bin)
	if err != nil {
		t.Fatal(err)
	}
	return alpha
}

// columnHistogramClaim is the histogram part of chunk j's claim, as the contract states it.
func columnHistogramClaim(t *testing.T, ds *rights.Dataset, col *rights.Column, j int) *rights.HistogramClaim {
	t.Helper()
	return &rights.HistogramClaim{Side: rights.HistogramColumn, Alpha: columnAlpha(t, ds, col), Min: col.Frequencies.Min,
		Bin: col.Frequencies.Bin, Sum: col.Chunks[j].HistogramSum}
}

// tableClaim is the claim the frequency table of col is verified against, as the contract states it.
func tableClaim(t *testing.T, ds *rights.Dataset, col *rights.Column, key rights.Digest) *rights.InputClaim {
	t.Helper()
	f := col.Frequencies
	return &rights.InputClaim{Slots: col.ChunkSize, Width: f.Width, Commitment: f.Commitment, Min: 0, Max: int64(ds.Rows),
		Rows: col.ChunkSize, Key: key, Holder: ds.Holder, Ciphertext: f.Table, Evaluations: f.Evaluations,
		Histogram: &rights.HistogramClaim{Side: rights.HistogramTable, Alpha: columnAlpha(t, ds, col), Sum: f.Sum}}
}

// TestPublishHistogramColumn is the honest path of proven frequency tables on the shared devnet:
// every column was published with the input-histogram circuit (resumed after an interruption,
// without committing a chunk again), each carries a proven table whose claim verifies, the chunk
// sums add up to the table's, the dataset was listed once the members attested its inputs,
// a histogram over it decrypts to the exact counts, and the regulator's audit verifies it.
func TestPublishHistogramColumn(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	committee, err := client.Get[rights.Committee](ctx, n.s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	colCircuit, err := client.Get[rights.Circuit](ctx, n.s.Chain, rights.KindCircuitID(rights.CircuitInputHistogram, inputSlots, inputWidth))
	if err != nil {
		t.Fatal(err)
	}
	tabCircuit, err := client.Get[rights.Circuit](ctx, n.s.Chain, rights.KindCircuitID(rights.CircuitFrequencyTable, inputSlots, tableWidth))
	if err != nil {
		t.Fatal(err)
	}
	if n.ds.Status != rights.DatasetListed {
		t.Errorf("dataset %s is %v, want listed (the members attest its chunks and tables)", n.ds.ID, n.ds.Status)
	}
	for i, col := range n.ds.Columns {
		if col.Kind != rights.CircuitInputHistogram {
			t.Fatalf("column %s: kind %q, want %q", col.Name, col.Kind, rights.CircuitInputHistogram)
		}
		f := col.Frequencies
		if f == nil || f.Width != tableWidth || len(f.Commitment) != 32 || len(f.Proof) == 0 || len(f.Evaluations) == 0 || len(f.Sum) != 32 {
			t.Fatalf("column %s: frequency table %+v, want a proven one of width %d", col.Name, f, tableWidth)
		}
		// The interrupted run's commit pass is what was proven: the resumed run drew the same α.
		var listed []string
		var sums [][]byte
		for j, ch := range col.Chunks {
			listed = append(listed, hex.EncodeToString(ch.Commitment))
			sums = append(sums, ch.HistogramSum)
			claim := InputClaim(n.ds.Rows, &col, j, committee.Keys[0], n.ds.Holder)
			claim.Histogram = columnHistogramClaim(t, n.ds, &col, j)
			if err := (Verifier{}).VerifyInput(colCircuit.VK, claim, ch.Proof); err != nil {
				t.Errorf("column %s chunk %d: VerifyInput(histogram column side) = %v", col.Name, j, err)
			}
		}
		if got, want := strings.Join(listed, ","), strings.Join(n.committed[i], ","); got != want {
			t.Errorf("column %s: listed commitments %s, the interrupted run's commit pass %s; want the same", col.Name, got, want)
		}
		tc := tableClaim(t, n.ds, &col, committee.Keys[0])
		if err := (Verifier{}).VerifyInput(tabCircuit.VK, tc, f.Proof); err != nil {
			t.Errorf("column %s: VerifyInput(table) = %v", col.Name, err)
		}
		if err := (Verifier{}).CheckHistogram(sums, f.Sum); err != nil {
			t.Errorf("column %s: CheckHistogram = %v", col.Name, err)
		}
		ct, err := storage.GetBytes(ctx, n.s.Bucket, storage.Digest(f.Table))
		if err != nil || sha256.Sum256(ct) != f.Table {
			t.Errorf("column %s: the table's stored bytes are not those listed: %v", col.Name, err)
		}
	}

	mustKey(t, n.home, "histbuyer", rights.RoleBuyer)
	g, err := n.s.RequestGrant(ctx, GrantRequest{From: "histbuyer", Datasets: []string{n.ds.ID}, Ops: []rights.Op{rights.OpHistogram},
		Columns: []string{"delta"}, Uses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.s.ActOnGrant(ctx, "owner1", g.ID, Approve, ""); err != nil {
		t.Fatal(err)
	}
	edges := []int64{-5000, -2000, 0, 3000}
	var edgeText []string
	for _, e := range edges {
		edgeText = append(edgeText, fmt.Sprint(e))
	}
	res, err := n.s.Compute(ctx, ComputeRequest{From: "histbuyer", Grant: g.ID, Op: rights.OpHistogram, Columns: []string{"delta"}, Edges: edgeText})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, len(edges)-1)
	for _, v := range n.tab.Values[0] {
		for b := range want {
			if v >= edges[b] && v < edges[b+1] {
				want[b]++
			}
		}
	}
	if len(res.Buckets) != len(want) {
		t.Fatalf("histogram has %d buckets, want %d: %s", len(res.Buckets), len(want), res.Result)
	}
	for b, w := range want {
		if res.Buckets[b].Count != fmt.Sprint(w) {
			t.Errorf("histogram bucket %d = %+v, want %d", b, res.Buckets[b], w)
		}
	}

	audit, err := n.s.Audit(ctx, "regulator")
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, a := range audit.Datasets {
		if a.ID == n.ds.ID {
			audited = true
			if !a.ProofVerified {
				t.Errorf("audit of %s: proofs not verified; problems %v", a.ID, audit.Problems)
			}
		}
	}
	if !audited {
		t.Errorf("the audit does not list dataset %s", n.ds.ID)
	}
}

// histogramListing is a one-column listing an owner builds with the exported pieces alone
// (zk.CommitInput, Verifier.HistogramChallenge, mpc.EncryptProvable, the registered provers), as
// Publish would, except that forge may change the frequency table's counts after they are counted
// and before they are committed, encrypted and proven: every proof in it is valid.
type histogramListing struct {
	column   rights.Column
	rows     uint64
	sums     [][]byte
	tableSum []byte
}

func (a *attacker) histogramListing(t *testing.T, ctx context.Context, col ColumnSchema, values []int64, forge func(counts []int64)) *histogramListing {
	t.Helper()
	colLay, err := KindLayout(rights.CircuitInputHistogram, inputSlots, inputWidth)
	if err != nil {
		t.Fatal(err)
	}
	tabLay, err := KindLayout(rights.CircuitFrequencyTable, inputSlots, tableWidth)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := mpc.DefaultBin(col.Min, col.Max, inputSlots)
	if err != nil {
		t.Fatal(err)
	}
	var chunks [][]int64
	for off := 0; off < len(values); off += inputSlots {
		chunks = append(chunks, values[off:min(off+inputSlots, len(values))])
	}
	counts := make([]int64, inputSlots)
	for _, v := range values {
		b, err := circuits.Bucket(v, col.Min, bin, inputSlots)
		if err != nil {
			t.Fatal(err)
		}
		counts[b]++
	}
	if forge != nil {
		forge(counts)
	}
	var commitments [][]byte
	var salts []fr.Element
	for _, chunk := range chunks {
		c, s, err := zk.CommitInput(colLay, chunk, col.Min)
		if err != nil {
			t.Fatal(err)
		}
		cb := c.Bytes()
		commitments, salts = append(commitments, cb[:]), append(salts, s)
	}
	tc, ts, err := zk.CommitInput(tabLay, counts, 0)
	if err != nil {
		t.Fatal(err)
	}
	tcb := tc.Bytes()
	alphaBytes, err := Verifier{}.HistogramChallenge(rights.HistogramContext(a.key.Address(), col.Name), commitments, tcb[:], col.Min, bin)
	if err != nil {
		t.Fatal(err)
	}
	var alpha fr.Element
	if err := alpha.SetBytesCanonical(alphaBytes); err != nil {
		t.Fatal(err)
	}
	key, err := mpc.NewProofKey(a.params, a.pk, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	// encryptProven encrypts values as an input ciphertext, proves it with prove and uploads it.
	encryptProven := func(values []int64, prove func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error)) (rights.Digest, zk.InputProof) {
		cts, err := mpc.EncryptProvable(a.params, a.pk, values, mpc.InputLevel)
		if err != nil {
			t.Fatal(err)
		}
		polys, err := key.Polys(cts[0].Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		binding := zk.Binding(a.keyID[:], mpc.InputLevel, sha256.Sum256(cts[0].Ciphertext), []byte(a.key.Address()))
		p, err := prove(InputWitness(cts[0].Witness), InputGroupPolys(polys), binding)
		if err != nil {
			t.Fatal(err)
		}
		d, err := storage.PutBytes(ctx, a.n.s.Bucket, cts[0].Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		return rights.Digest(d), p
	}
	out := &histogramListing{rows: uint64(len(values)), column: rights.Column{Name: col.Name, Type: col.Type, Scale: col.Scale,
		Min: col.Min, Max: col.Max, ChunkSize: inputSlots, Width: inputWidth, Kind: rights.CircuitInputHistogram}}
	for k, chunk := range chunks {
		h := circuits.HistogramStatement{Alpha: alpha, Min: col.Min, Bin: bin}
		d, p := encryptProven(chunk, func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error) {
			return a.prover.ProveHistogram(chunk, col.Min, col.Max, salts[k], w, polys, binding, h)
		})
		sum := p.HistogramSum.Bytes()
		out.column.Ciphertexts = append(out.column.Ciphertexts, d)
		out.column.Chunks = append(out.column.Chunks, rights.Chunk{Commitment: commitments[k], Proof: p.Proof,
			Evaluations: EncodeEvaluations(p.Evaluations), HistogramSum: sum[:]})
		out.sums = append(out.sums, sum[:])
	}
	d, p := encryptProven(counts, func(w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error) {
		return a.table.ProveHistogram(counts, 0, int64(len(values)), ts, w, polys, binding, circuits.HistogramStatement{Alpha: alpha})
	})
	sum := p.HistogramSum.Bytes()
	out.tableSum = sum[:]
	out.column.Frequencies = &rights.FrequencyTable{Table: d, Min: col.Min, Bin: bin, Width: tableWidth, Commitment: tcb[:],
		Proof: p.Proof, Evaluations: EncodeEvaluations(p.Evaluations), Sum: sum[:]}
	return out
}

// submit lists l as the attacker's dataset, claiming rows rows.
func (a *attacker) submit(ctx context.Context, name string, l *histogramListing, rows uint64) error {
	man, err := storage.PutBytes(ctx, a.n.s.Bucket, []byte(`{"format":"dxp-dataset/2","name":"`+name+`"}`))
	if err != nil {
		return err
	}
	_, err = a.n.s.Chain.Submit(ctx, a.key.Private, rights.Msg{RegisterDataset: &rights.RegisterDataset{Name: name,
		Rows: rows, Price: 1, KeyEpoch: a.n.ds.KeyEpoch, Manifest: rights.Digest(man), Columns: []rights.Column{l.column}}})
	return err
}

// TestAttackForgedFrequencyTable: an owner lists a column whose chunks are honestly proven, with
// a frequency table that moves one value to the next bin (a histogram or a noisy count over it
// would then be wrong), committed, encrypted and proven as validly as an honest one. Every proof
// verifies on its own (so the refusal is not a broken proof), but the chunk sums do not add up to
// the table's: the chain refuses the listing with CodeBadHistogram naming the column, the owner
// pays nothing (a devnet's fee is 0) and holds no dataset.
func TestAttackForgedFrequencyTable(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a := newAttacker(t, ctx, n, "tableforger")
	before := a.party(t, ctx)
	committee, err := client.Get[rights.Committee](ctx, n.s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	col := n.tab.Schema.Columns[0]
	values := n.tab.Values[0][:300]
	l := a.histogramListing(t, ctx, col, values, func(counts []int64) {
		for k := range counts {
			if counts[k] > 0 && k+1 < len(counts) {
				counts[k]--
				counts[k+1]++
				return
			}
		}
	})

	ds := &rights.Dataset{Holder: a.key.Address(), Rows: l.rows, Columns: []rights.Column{l.column}}
	lc := &ds.Columns[0]
	colCircuit, err := client.Get[rights.Circuit](ctx, n.s.Chain, rights.KindCircuitID(rights.CircuitInputHistogram, inputSlots, inputWidth))
	if err != nil {
		t.Fatal(err)
	}
	tabCircuit, err := client.Get[rights.Circuit](ctx, n.s.Chain, rights.KindCircuitID(rights.CircuitFrequencyTable, inputSlots, tableWidth))
	if err != nil {
		t.Fatal(err)
	}
	claim := InputClaim(ds.Rows, lc, 0, committee.Keys[0], ds.Holder)
	claim.Histogram = columnHistogramClaim(t, ds, lc, 0)
	if err := (Verifier{}).VerifyInput(colCircuit.VK, claim, lc.Chunks[0].Proof); err != nil {
		t.Fatalf("the forger's chunk proof does not verify (%v): the attack below would fail for the wrong reason", err)
	}
	if err := (Verifier{}).VerifyInput(tabCircuit.VK, tableClaim(t, ds, lc, committee.Keys[0]), lc.Frequencies.Proof); err != nil {
		t.Fatalf("the forged table's proof does not verify (%v): the attack below would fail for the wrong reason", err)
	}
	if err := (Verifier{}).CheckHistogram(l.sums, l.tableSum); err == nil {
		t.Fatal("the sum check accepts a table with a count moved")
	}

	err = a.submit(ctx, "forged-table", l, l.rows)
	var te *rights.TxError
	if !errors.As(err, &te) || te.Code != rights.CodeBadHistogram || !strings.Contains(te.Log, fmt.Sprintf("%q", col.Name)) {
		t.Errorf("listing with a forged frequency table = %v, want refused with CodeBadHistogram (%d) naming column %q", err, rights.CodeBadHistogram, col.Name)
	}
	a.holdsNothing(t, ctx, "forged frequency table", before)
}

// holdsNothing checks that the attacker holds no dataset and paid nothing.
func (a *attacker) holdsNothing(t *testing.T, ctx context.Context, what string, before *rights.Party) {
	t.Helper()
	held, err := client.ListBy[rights.Dataset](ctx, a.n.s.Chain, "holder", string(a.key.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 0 {
		t.Errorf("%s: the attacker holds %d datasets, want none", what, len(held))
	}
	after := a.party(t, ctx)
	if after.Balance != before.Balance || after.FeesPaid != before.FeesPaid {
		t.Errorf("%s: the attacker's balance went %d -> %d and fees %d -> %d; a refused listing costs nothing on a devnet (fee 0)",
			what, before.Balance, after.Balance, before.FeesPaid, after.FeesPaid)
	}
}

// TestAttackWrongRowCount: an owner proves a two-chunk column (1,024 rows, then 200) with its
// histogram honestly, then lists it claiming one row fewer (the 200th row would be hidden from
// counts and means, yet sit in the ciphertext) or one row more (a padding slot counted as a row).
// The last chunk's proof shows exactly 200 real rows, so the chain refuses both listings at that
// chunk (CodeBadProof naming the column and chunk 1); the owner pays nothing and holds nothing.
// The same listing with its true row count is accepted.
func TestAttackWrongRowCount(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a := newAttacker(t, ctx, n, "rowliar")
	before := a.party(t, ctx)
	col := n.tab.Schema.Columns[0]
	values := n.tab.Values[0][:inputSlots+200]
	l := a.histogramListing(t, ctx, col, values, nil)
	for _, rows := range []uint64{l.rows - 1, l.rows + 1} {
		err := a.submit(ctx, fmt.Sprintf("rows-%d", rows), l, rows)
		var te *rights.TxError
		if !errors.As(err, &te) || te.Code != rights.CodeBadProof || !strings.Contains(te.Log, fmt.Sprintf("column %q chunk 1", col.Name)) {
			t.Errorf("listing of %d proven rows as %d = %v, want refused with CodeBadProof naming column %q chunk 1", l.rows, rows, err, col.Name)
		}
		a.holdsNothing(t, ctx, fmt.Sprintf("%d rows listed as %d", l.rows, rows), before)
	}
	// The control: the same listing with its true row count is accepted, so the refusals above
	// are for the row counts alone.
	if err := a.submit(ctx, "rows-true", l, l.rows); err != nil {
		t.Errorf("the listing with its true row count = %v, want accepted", err)
	}
}
