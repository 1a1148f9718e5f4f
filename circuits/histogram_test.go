package circuits

import (
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
)

// TestInputHistogramPublicInputs compiles the input circuit without and
// with each histogram side: without, the public inputs are those of the
// plain circuit; each side appends its own.
func TestInputHistogramPublicInputs(t *testing.T) {
	inst := newInputInstance(t, 16, 16, 0, 1000)
	col, err := inst.lay.WithHistogramColumn(10)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := inst.lay.WithHistogramTable()
	if err != nil {
		t.Fatal(err)
	}
	var plain int
	for _, tc := range []struct {
		name  string
		lay   InputLayout
		extra int
	}{{"off", inst.lay, 0}, {"column", col, 4}, {"table", tab, 2}} {
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, tc.lay.NewCircuit())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got, want := ccs.GetNbPublicVariables(), 1+5+4+tc.extra; got != want {
			t.Errorf("%s: %d public variables, want %d", tc.name, got, want)
		}
		if tc.extra == 0 {
			plain = ccs.GetNbConstraints()
		} else if ccs.GetNbConstraints() <= plain {
			t.Errorf("%s: %d constraints, no more than the plain circuit's %d", tc.name, ccs.GetNbConstraints(), plain)
		}
	}
}

func TestWithHistogramRefuses(t *testing.T) {
	inst := newInputInstance(t, 16, 16, 0, 1000)
	for _, bins := range []int{0, -1, 17} {
		if _, err := inst.lay.WithHistogramColumn(bins); err == nil {
			t.Errorf("WithHistogramColumn(%d) accepted", bins)
		}
	}
	if _, err := (InputLayout{}).WithHistogramColumn(4); err == nil {
		t.Error("WithHistogramColumn on an empty layout accepted")
	}
	if _, err := (InputLayout{}).WithHistogramTable(); err == nil {
		t.Error("WithHistogramTable on an empty layout accepted")
	}
	for bins, complement := range map[int]bool{1: true, 2: false, 10: true, 16: false} {
		lay, err := inst.lay.WithHistogramColumn(bins)
		if err != nil {
			t.Fatal(err)
		}
		if got := lay.Histogram.complement(); got != complement || bins > 1<<lay.Histogram.BucketBits {
			t.Errorf("K = %d: bucket bits %d, complement %v", bins, lay.Histogram.BucketBits, got)
		}
	}
}

func TestBucket(t *testing.T) {
	for _, tc := range []struct {
		v, min, bin int64
		bins, want  int
		ok          bool
	}{
		{-5, -5, 3, 4, 0, true}, {-3, -5, 3, 4, 0, true}, {-2, -5, 3, 4, 1, true}, {6, -5, 3, 4, 3, true},
		{7, -5, 3, 4, 0, false}, {-6, -5, 3, 4, 0, false}, {0, 0, 0, 4, 0, false},
		{1<<62 + 5, -1 << 62, 1 << 62, 3, 2, true},
	} {
		got, err := Bucket(tc.v, tc.min, tc.bin, tc.bins)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("Bucket(%d, %d, %d, %d) = %d, %v; want %d, ok %v", tc.v, tc.min, tc.bin, tc.bins, got, err, tc.want, tc.ok)
		}
	}
}

// TestHistogramSums checks the native sums: the rows' sum equals the
// table's exactly when the table is their histogram.
func TestHistogramSums(t *testing.T) {
	const min, bin, bins = -100, 7, 30
	values := make([]int64, 200)
	counts := make([]int64, 32)
	for i := range values {
		values[i] = min + randBelow(t, big.NewInt(bin*bins)).Int64()
		counts[(values[i]-min)/bin]++
	}
	alpha := fr.NewElement(0)
	alpha.SetRandom()
	rows, err := HistogramColumnSum(values, min, bin, bins, alpha)
	if err != nil {
		t.Fatal(err)
	}
	table, err := HistogramTableSum(counts, alpha)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Equal(&table) {
		t.Fatal("the rows' sum is not their histogram's")
	}
	moved := append([]int64(nil), counts...)
	k := 0
	for moved[k] == 0 {
		k++
	}
	moved[k]--
	moved[31]++ // a slot beyond the bins: the table has N slots
	if other, _ := HistogramTableSum(moved, alpha); other.Equal(&rows) {
		t.Error("a table with a count moved has the rows' sum")
	}
	if _, err := HistogramColumnSum(values, min, bin, bins, fr.NewElement(bins-1)); err == nil {
		t.Error("HistogramColumnSum(α a bucket) accepted")
	}
	if _, err := HistogramTableSum(counts, fr.NewElement(31)); err == nil {
		t.Error("HistogramTableSum(α a slot) accepted")
	}
	if _, err := HistogramColumnSum([]int64{min - 1}, min, bin, bins, alpha); err == nil {
		t.Error("HistogramColumnSum(a value below min) accepted")
	}
}

func TestHistogramStatementCheck(t *testing.T) {
	inst := newInputInstance(t, 16, 16, 0, 1000)
	col, err := inst.lay.WithHistogramColumn(10)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := inst.lay.WithHistogramTable()
	if err != nil {
		t.Fatal(err)
	}
	st := InputStatement{Min: 0, Max: 1000, Rows: 16}
	alpha := fr.NewElement(1 << 40)
	ok := HistogramStatement{Alpha: alpha, Min: -5, Bin: 101}
	if err := ok.Check(col, st); err != nil {
		t.Fatalf("Check(valid) = %v", err)
	}
	if err := (HistogramStatement{Alpha: alpha}).Check(tab, st); err != nil {
		t.Fatalf("Check(valid table) = %v", err)
	}
	for name, h := range map[string]HistogramStatement{
		"α below N":        {Alpha: fr.NewElement(15), Min: 0, Bin: 101},
		"bin 0":            {Alpha: alpha, Min: 0, Bin: 0},
		"bin above 2^W":    {Alpha: alpha, Min: 0, Bin: 1<<Width(0, 1000) + 1},
		"min above column": {Alpha: alpha, Min: 1, Bin: 101},
		"too few bins":     {Alpha: alpha, Min: 0, Bin: 100},
	} {
		if err := h.Check(col, st); err == nil {
			t.Errorf("Check(%s) accepted", name)
		}
	}
	if err := (HistogramStatement{Alpha: fr.NewElement(3)}).Check(tab, st); err == nil {
		t.Error("Check(table, α below N) accepted")
	}
	if err := ok.Check(inst.lay, st); err == nil {
		t.Error("Check(no histogram part) accepted")
	}
}

// TestHistogramAssignmentRefuses checks the builders' guards.
func TestHistogramAssignmentRefuses(t *testing.T) {
	inst := newInputInstance(t, 16, 16, 0, 1000)
	col, err := inst.lay.WithHistogramColumn(10)
	if err != nil {
		t.Fatal(err)
	}
	salt := fr.NewElement(9)
	_, err = col.NewAssignment(inst.values, 0, 1000, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1))
	if err == nil || !strings.Contains(err.Error(), "NewHistogramAssignment") {
		t.Errorf("NewAssignment(histogram layout) = %v, want a pointer to NewHistogramAssignment", err)
	}
	h := HistogramStatement{Alpha: fr.NewElement(1 << 40), Min: 0, Bin: 50}
	if _, err := col.NewHistogramAssignment(inst.values, 0, 1000, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1), h); err == nil {
		t.Error("NewHistogramAssignment(too few bins) accepted")
	}
	h.Bin = 101
	a, err := col.NewHistogramAssignment(inst.values, 0, 1000, salt, inst.enc.w, inst.enc.polys, fr.NewElement(1), h)
	if err != nil {
		t.Fatalf("NewHistogramAssignment(valid) = %v", err)
	}
	want, err := HistogramColumnSum(inst.values, 0, 101, 10, h.Alpha)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.HistogramSum(); !got.Equal(&want) || len(a.Histogram) != 4 {
		t.Errorf("assignment: %d histogram inputs, sum is not the values'", len(a.Histogram))
	}
}

// TestHistogramBucketHint checks the hint's honest output: digits that
// compose to b = ⌊d/Bin⌋, r = d mod Bin, s = Bin−1−r and c = K−1−b.
func TestHistogramBucketHint(t *testing.T) {
	const B, kb, w, K, bin = 4, 4, 9, 10, 37
	ds := []int64{0, 36, 37, 369}
	in := []*big.Int{big.NewInt(B), big.NewInt(kb), big.NewInt(w), big.NewInt(K), big.NewInt(bin)}
	for _, d := range ds {
		in = append(in, big.NewInt(d))
	}
	lb, lr := 1, 3
	perRow := 2*lb + 2*lr
	out := make([]*big.Int, len(ds)*perRow)
	for i := range out {
		out[i] = new(big.Int)
	}
	if err := histogramBucketHint(fr.Modulus(), in, out); err != nil {
		t.Fatal(err)
	}
	compose := func(dg []*big.Int) int64 {
		var x int64
		for k := len(dg) - 1; k >= 0; k-- {
			if dg[k].Int64() >= 1<<B {
				t.Fatalf("digit %d out of range", dg[k].Int64())
			}
			x = x<<B + dg[k].Int64()
		}
		return x
	}
	for i, d := range ds {
		o := out[i*perRow : (i+1)*perRow]
		b, r, s, c := compose(o[:lb]), compose(o[lb:lb+lr]), compose(o[lb+lr:lb+2*lr]), compose(o[lb+2*lr:])
		if b != d/bin || r != d%bin || s != bin-1-d%bin || c != K-1-d/bin {
			t.Errorf("d = %d: b, r, s, c = %d, %d, %d, %d", d, b, r, s, c)
		}
	}
	if err := histogramBucketHint(fr.Modulus(), in[:4], out); err == nil {
		t.Error("hint accepted a malformed input")
	}
}

// zeroBatchCircuit asserts its terms zero through zeroBatch, with widths
// that force two constraints.
type zeroBatchCircuit struct {
	Terms  [4]frontend.Variable
	widths [4]int
}

func (c *zeroBatchCircuit) Define(api frontend.API) error {
	z := &zeroBatch{api: api}
	for i, t := range c.Terms {
		z.add(t, c.widths[i])
	}
	z.flush()
	return nil
}

// TestZeroBatch checks the batched zero assertion: all zeros pass; any one
// term at the edge of its width, or two that would cancel if their slots
// overlapped, fail.
func TestZeroBatch(t *testing.T) {
	widths := [4]int{100, 100, 53, 120} // the fourth starts a second constraint
	circuit := &zeroBatchCircuit{widths: widths}
	edge := func(w int, neg bool) *big.Int {
		x := new(big.Int).Sub(pow2(w-1), big.NewInt(1))
		if neg {
			x.Neg(x)
		}
		return x
	}
	ok := &zeroBatchCircuit{Terms: [4]frontend.Variable{0, 0, 0, 0}}
	if err := test.IsSolved(circuit, ok, ecc.BN254.ScalarField()); err != nil {
		t.Fatalf("all zero: %v", err)
	}
	for i := range 4 {
		for _, neg := range []bool{false, true} {
			bad := &zeroBatchCircuit{Terms: [4]frontend.Variable{0, 0, 0, 0}}
			bad.Terms[i] = edge(widths[i], neg)
			if err := test.IsSolved(circuit, bad, ecc.BN254.ScalarField()); err == nil {
				t.Errorf("term %d = %v passed", i, bad.Terms[i])
			}
		}
	}
	// 1 in slot 1 against −2^100 in slot 0 would cancel if term 0 could be
	// that wide: it is out of its bound, and the assertion is not sound
	// for it; within bounds (−2^99, 2^99) no such pair exists.
	cancel := &zeroBatchCircuit{Terms: [4]frontend.Variable{new(big.Int).Neg(pow2(100)), 1, 0, 0}}
	if err := test.IsSolved(circuit, cancel, ecc.BN254.ScalarField()); err != nil {
		t.Fatalf("out-of-bound cancelling pair: %v (the test's premise: the bound is the caller's)", err)
	}
}
