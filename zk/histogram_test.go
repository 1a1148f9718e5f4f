package zk

import (
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"

	"github.com/dxplabs/dxp/circuits"
)

// The histogram tests use the input tests' shape (N = 64, 16-bit column)
// with a column in [0, 60000] counted in K = 50 buckets of width 1201 from
// 0 (50 is not a power of two, so the bucket's upper bound is checked
// through its complement), and a table whose 64 slots hold the counts
// (slots 50 to 63 zero) within [0, total rows].
const (
	testHistMin, testHistMax = 0, 60000
	testHistBins             = 50
	testHistBin              = 1201
)

var testHistContext = []byte("dataset 7, column 2")

type histFixture struct {
	in             *inputFixture
	colLay, tabLay circuits.InputLayout
	col, tab       *InputProver
	colVK, tabVK   []byte
}

var histFixtureOnce struct {
	sync.Once
	f   *histFixture
	err error
}

func histSetup(t testing.TB) *histFixture {
	t.Helper()
	in := inputSetup(t)
	histFixtureOnce.Do(func() {
		f, err := newHistFixture(in)
		histFixtureOnce.f, histFixtureOnce.err = f, err
	})
	if histFixtureOnce.err != nil {
		t.Fatal(histFixtureOnce.err)
	}
	return histFixtureOnce.f
}

func newHistFixture(in *inputFixture) (*histFixture, error) {
	f := &histFixture{in: in}
	var err error
	if f.colLay, err = in.lay.WithHistogramColumn(testHistBins); err != nil {
		return nil, err
	}
	if f.tabLay, err = in.lay.WithHistogramTable(); err != nil {
		return nil, err
	}
	for _, side := range []struct {
		lay    circuits.InputLayout
		prover **InputProver
		vk     *[]byte
	}{{f.colLay, &f.col, &f.colVK}, {f.tabLay, &f.tab, &f.tabVK}} {
		pk, vk, err := SetupInputInsecure(side.lay)
		if err != nil {
			return nil, err
		}
		if *side.prover, err = NewInputProver(side.lay, pk); err != nil {
			return nil, err
		}
		*side.vk = vk
	}
	return f, nil
}

// histColumn is a column of chunks and its frequency table, every one
// committed and encrypted, and α drawn from the commitments.
type histColumn struct {
	chunks      []inputCase
	salts       []fr.Element
	commitments []fr.Element
	counts      []int64 // the table's slots
	table       inputCase
	tableSalt   fr.Element
	tableCommit fr.Element
	alpha       fr.Element
}

// histogram counts the rows of chunks in testHistBins buckets, in N slots.
func histogram(t testing.TB, chunks [][]int64) []int64 {
	t.Helper()
	counts := make([]int64, testEncN)
	for _, c := range chunks {
		for _, v := range c {
			b, err := circuits.Bucket(v, testHistMin, testHistBin, testHistBins)
			if err != nil {
				t.Fatal(err)
			}
			counts[b]++
		}
	}
	return counts
}

// newColumn commits and encrypts the chunks and the table of counts (the
// owner's claim, honest or not) and draws α.
func (f *histFixture) newColumn(t testing.TB, chunks [][]int64, counts []int64) *histColumn {
	t.Helper()
	hc := &histColumn{counts: counts}
	for _, values := range chunks {
		commitment, salt, err := CommitInput(f.colLay, values, testHistMin)
		if err != nil {
			t.Fatal(err)
		}
		hc.chunks = append(hc.chunks, f.in.honestCase(t, values, testHistMin, testHistMax))
		hc.salts = append(hc.salts, salt)
		hc.commitments = append(hc.commitments, commitment)
	}
	hc.table = f.in.honestCase(t, counts, 0, total(counts))
	var err error
	if hc.tableCommit, hc.tableSalt, err = CommitInput(f.tabLay, counts, 0); err != nil {
		t.Fatal(err)
	}
	hc.alpha = HistogramChallenge(testHistContext, hc.commitments, hc.tableCommit, testHistMin, testHistBin)
	return hc
}

func total(counts []int64) int64 {
	var s int64
	for _, c := range counts {
		s += c
	}
	return s
}

func (hc *histColumn) columnStatement(alpha fr.Element) circuits.HistogramStatement {
	return circuits.HistogramStatement{Alpha: alpha, Min: testHistMin, Bin: testHistBin}
}

// proveChunk proves chunk c at α.
func (f *histFixture) proveChunk(t testing.TB, hc *histColumn, c int, alpha fr.Element) InputProof {
	t.Helper()
	ic := hc.chunks[c]
	ip, err := f.col.ProveHistogram(ic.values, ic.min, ic.max, hc.salts[c], ic.ec.witness(), ic.polys, ic.binding, hc.columnStatement(alpha))
	if err != nil {
		t.Fatalf("chunk %d: ProveHistogram: %v", c, err)
	}
	if !ip.Commitment.Equal(&hc.commitments[c]) {
		t.Fatalf("chunk %d: the proof's commitment is not CommitInput's", c)
	}
	return ip
}

// proveTable proves the table at α.
func (f *histFixture) proveTable(t testing.TB, hc *histColumn, alpha fr.Element) InputProof {
	t.Helper()
	ic := hc.table
	ip, err := f.tab.ProveHistogram(ic.values, ic.min, ic.max, hc.tableSalt, ic.ec.witness(), ic.polys, ic.binding, circuits.HistogramStatement{Alpha: alpha})
	if err != nil {
		t.Fatalf("table: ProveHistogram: %v", err)
	}
	return ip
}

// verifyChunk is the chain's check of chunk c's proof at α with its sum.
func (f *histFixture) verifyChunk(hc *histColumn, c int, ip InputProof, alpha fr.Element) error {
	h := hc.columnStatement(alpha)
	h.Sum = ip.HistogramSum
	return VerifyInputHistogram(f.colVK, f.colLay, hc.chunks[c].statement(ip), ip.Evaluations, h, ip.Proof)
}

func (f *histFixture) verifyTable(hc *histColumn, ip InputProof, alpha fr.Element) error {
	return VerifyInputHistogram(f.tabVK, f.tabLay, hc.table.statement(ip), ip.Evaluations, circuits.HistogramStatement{Alpha: alpha, Sum: ip.HistogramSum}, ip.Proof)
}

// honestChunks returns a full chunk and a short one (37 rows), with values
// on bucket edges and at the bounds.
func honestChunks(t testing.TB) [][]int64 {
	a := randomValues(t, testEncN, testHistMin, testHistMax)
	b := randomValues(t, 37, testHistMin, testHistMax)
	a[0], a[1], a[2], a[3] = testHistMin, testHistMax, testHistBin-1, testHistBin
	b[0], b[1] = 49*testHistBin, 49*testHistBin-1
	return [][]int64{a, b}
}

// TestHistogramProveVerify proves an honest column (a full chunk and a
// short one) and its table: every proof verifies on its own, at the
// chain's α, and the sums agree. The short chunk's 27 padding rows (value
// Min, bucket 0) contribute nothing: its sum is that of its 37 real rows.
func TestHistogramProveVerify(t *testing.T) {
	f := histSetup(t)
	t.Logf("column side: %d constraints, table side: %d, plain input: %d (N = %d, w = %d, two groups, K = %d, limb bits %d)",
		f.col.Constraints(), f.tab.Constraints(), f.in.prover.Constraints(), testEncN, testInputWidth, testHistBins, f.colLay.Histogram.LimbBits)
	chunks := honestChunks(t)
	hc := f.newColumn(t, chunks, histogram(t, chunks))
	var sums []fr.Element
	for c := range hc.chunks {
		ip := f.proveChunk(t, hc, c, hc.alpha)
		if err := f.verifyChunk(hc, c, ip, hc.alpha); err != nil {
			t.Fatalf("chunk %d: VerifyInputHistogram(honest) = %v", c, err)
		}
		if err := CheckInputEvaluations(f.colLay, hc.chunks[c].statement(ip), ip.Evaluations, hc.chunks[c].polys, ip.Proof); err != nil {
			t.Fatalf("chunk %d: CheckInputEvaluations(honest) = %v", c, err)
		}
		want, err := circuits.HistogramColumnSum(chunks[c], testHistMin, testHistBin, testHistBins, hc.alpha)
		if err != nil || !want.Equal(&ip.HistogramSum) {
			t.Fatalf("chunk %d: the proof's sum is not the real rows' (err %v)", c, err)
		}
		sums = append(sums, ip.HistogramSum)
	}
	tp := f.proveTable(t, hc, hc.alpha)
	if err := f.verifyTable(hc, tp, hc.alpha); err != nil {
		t.Fatalf("table: VerifyInputHistogram(honest) = %v", err)
	}
	if err := VerifyHistogram(sums, tp.HistogramSum); err != nil {
		t.Fatalf("VerifyHistogram(honest) = %v", err)
	}
	// Padding counted as rows of value Min would not sum: the table counts
	// 101 rows, not 128.
	padded := append(append([]int64(nil), chunks[1]...), make([]int64, testEncN-len(chunks[1]))...)
	withPadding, err := circuits.HistogramColumnSum(padded, testHistMin, testHistBin, testHistBins, hc.alpha)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyHistogram([]fr.Element{sums[0], withPadding}, tp.HistogramSum); !errors.Is(err, ErrHistogramMismatch) {
		t.Fatalf("VerifyHistogram(padding counted) = %v, want ErrHistogramMismatch", err)
	}
	// ... and a proof cannot claim that sum for the short chunk.
	ic := hc.chunks[1]
	a, err := f.colLay.NewHistogramAssignment(ic.values, ic.min, ic.max, hc.salts[1], ic.ec.witness(), ic.polys, ic.binding, hc.columnStatement(hc.alpha))
	if err != nil {
		t.Fatal(err)
	}
	h := hc.columnStatement(hc.alpha)
	h.Sum = withPadding
	a.SetHistogram(h)
	if _, err := f.col.proveAssignment(a, ic.polys); err == nil || !strings.Contains(err.Error(), "is not satisfied") {
		t.Errorf("a short chunk claiming its padding rows: %v, want an unsatisfied constraint", err)
	}

	// Each proof is about its own side, α and buckets.
	ip := f.proveChunk(t, hc, 0, hc.alpha)
	st := hc.chunks[0].statement(ip)
	other := hc.alpha
	one := fr.One()
	other.Add(&other, &one)
	for name, h := range map[string]circuits.HistogramStatement{
		"another α":    {Alpha: other, Min: testHistMin, Bin: testHistBin, Sum: ip.HistogramSum},
		"another bin":  {Alpha: hc.alpha, Min: testHistMin, Bin: testHistBin + 1, Sum: ip.HistogramSum},
		"another min":  {Alpha: hc.alpha, Min: testHistMin - 1, Bin: testHistBin, Sum: ip.HistogramSum},
		"another sum":  {Alpha: hc.alpha, Min: testHistMin, Bin: testHistBin, Sum: sums[1]},
		"α a bucket":   {Alpha: fr.NewElement(3), Min: testHistMin, Bin: testHistBin, Sum: ip.HistogramSum},
		"min too high": {Alpha: hc.alpha, Min: testHistMin + 1, Bin: testHistBin, Sum: ip.HistogramSum},
		"bins too few": {Alpha: hc.alpha, Min: testHistMin, Bin: 1000, Sum: ip.HistogramSum},
	} {
		if err := VerifyInputHistogram(f.colVK, f.colLay, st, ip.Evaluations, h, ip.Proof); !errors.Is(err, ErrInvalidInputProof) {
			t.Errorf("%s: VerifyInputHistogram = %v, want ErrInvalidInputProof", name, err)
		}
	}
	if err := VerifyInput(f.colVK, f.colLay, st, ip.Evaluations, ip.Proof); !errors.Is(err, ErrInvalidInputProof) {
		t.Errorf("VerifyInput(a histogram layout) = %v, want ErrInvalidInputProof", err)
	}
	if err := VerifyInputHistogram(f.tabVK, f.tabLay, st, ip.Evaluations, circuits.HistogramStatement{Alpha: hc.alpha, Sum: ip.HistogramSum}, ip.Proof); err == nil {
		t.Error("a column proof verified as a table proof")
	}
}

// TestAttackTableNotHistogram moves one count between two bins of an
// honest table. Every proof can be made (each shows what it is about),
// but the sum check fails; and no proof can claim the sum that would pass.
func TestAttackTableNotHistogram(t *testing.T) {
	f := histSetup(t)
	chunks := honestChunks(t)
	counts := histogram(t, chunks)
	from := 0
	for counts[from] == 0 {
		from++
	}
	to := (from + 1) % testHistBins
	counts[from]--
	counts[to]++
	hc := f.newColumn(t, chunks, counts)
	var sums []fr.Element
	var total fr.Element
	for c := range hc.chunks {
		ip := f.proveChunk(t, hc, c, hc.alpha)
		if err := f.verifyChunk(hc, c, ip, hc.alpha); err != nil {
			t.Fatalf("chunk %d: VerifyInputHistogram = %v", c, err)
		}
		sums = append(sums, ip.HistogramSum)
		total.Add(&total, &ip.HistogramSum)
	}
	tp := f.proveTable(t, hc, hc.alpha)
	if err := f.verifyTable(hc, tp, hc.alpha); err != nil {
		t.Fatalf("table: VerifyInputHistogram = %v (a table proof shows its own counts)", err)
	}
	if err := VerifyHistogram(sums, tp.HistogramSum); !errors.Is(err, ErrHistogramMismatch) {
		t.Fatalf("VerifyHistogram(a count moved) = %v, want ErrHistogramMismatch", err)
	}

	// The table proof cannot claim Σ S_c, the sum that would pass.
	ic := hc.table
	a, err := f.tabLay.NewHistogramAssignment(ic.values, ic.min, ic.max, hc.tableSalt, ic.ec.witness(), ic.polys, ic.binding, circuits.HistogramStatement{Alpha: hc.alpha})
	if err != nil {
		t.Fatal(err)
	}
	a.SetHistogram(circuits.HistogramStatement{Alpha: hc.alpha, Sum: total})
	if _, err := f.tab.proveAssignment(a, ic.polys); err == nil || !strings.Contains(err.Error(), "is not satisfied") {
		t.Errorf("table claiming the column's sum: %v, want an unsatisfied constraint", err)
	}
	// Nor can a chunk claim S_T minus the other chunk's sum.
	var need fr.Element
	need.Sub(&tp.HistogramSum, &sums[1])
	ic = hc.chunks[0]
	b, err := f.colLay.NewHistogramAssignment(ic.values, ic.min, ic.max, hc.salts[0], ic.ec.witness(), ic.polys, ic.binding, hc.columnStatement(hc.alpha))
	if err != nil {
		t.Fatal(err)
	}
	h := hc.columnStatement(hc.alpha)
	h.Sum = need
	b.SetHistogram(h)
	if _, err := f.col.proveAssignment(b, ic.polys); err == nil || !strings.Contains(err.Error(), "is not satisfied") {
		t.Errorf("chunk claiming the table's sum: %v, want an unsatisfied constraint", err)
	}
}

// wrongBucketHint overrides the bucket hint the way an attacker would: row
// j's bucket b is witnessed as b+delta, with the remainder r kept or moved
// by −delta·Bin so that d = b·Bin + r still holds over the integers (and
// s = Bin−1−r, c = K−1−b); a number that has no digits (negative, or too
// wide) is witnessed as one field element in its first digit, so every
// identity holds and only a range check can refuse it. Every other row is
// honest.
func wrongBucketHint(t testing.TB, lay circuits.InputLayout, j, delta int, keepRemainder bool) solver.Option {
	t.Helper()
	const name = "github.com/dxplabs/dxp/circuits.histogramBucketHint"
	var honest solver.Hint
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == name {
			honest = h
		}
	}
	if honest == nil {
		t.Fatalf("hint %s is not registered", name)
	}
	hl := lay.Histogram
	B, lb, lr := hl.LimbBits, (hl.BucketBits+hl.LimbBits-1)/hl.LimbBits, (lay.Chunk.W+hl.LimbBits-1)/hl.LimbBits
	perRow := lb + 2*lr
	if hl.Bins != 1<<hl.BucketBits {
		perRow += lb
	}
	field := fr.Modulus()
	return solver.OverrideHint(solver.GetHintID(honest), func(_ *big.Int, in, out []*big.Int) error {
		if err := honest(field, in, out); err != nil {
			return err
		}
		d, bin := in[5+j], in[4]
		b, r := new(big.Int).QuoRem(d, bin, new(big.Int))
		b.Add(b, big.NewInt(int64(delta)))
		if !keepRemainder {
			r.Sub(r, new(big.Int).Mul(big.NewInt(int64(delta)), bin))
		}
		s := new(big.Int).Sub(bin, r)
		s.Sub(s, big.NewInt(1))
		c := new(big.Int).Sub(big.NewInt(int64(hl.Bins-1)), b)
		o := out[j*perRow : (j+1)*perRow]
		mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(B)), big.NewInt(1))
		put := func(x *big.Int, dst []*big.Int) {
			if x.Sign() < 0 || x.BitLen() > B*len(dst) {
				// No digits exist: the whole of x mod p as the first
				// "digit", so that the composition is x in the field and
				// only the range checks stand in the way.
				dst[0].Mod(x, field)
				for k := 1; k < len(dst); k++ {
					dst[k].SetUint64(0)
				}
				return
			}
			x = new(big.Int).Set(x)
			for k := range dst {
				dst[k].And(x, mask)
				x.Rsh(x, uint(B))
			}
		}
		put(b, o[:lb])
		put(r, o[lb:lb+lr])
		put(s, o[lb+lr:lb+2*lr])
		if len(o) > lb+2*lr {
			put(c, o[lb+2*lr:])
		}
		return nil
	})
}

// TestAttackValueInWrongBucket witnesses one row's bucket off by one
// (either way, remainder kept or shifted to keep d = b·Bin + r) and claims
// the sum that bucket gives: unprovable. The honest hint through the same
// override path (delta 0) proves, so the override is live.
func TestAttackValueInWrongBucket(t *testing.T) {
	f := histSetup(t)
	values := randomValues(t, 40, testHistBin, 48*testHistBin)
	const j = 5
	values[j] = 10*testHistBin + 600 // bucket 10, mid-bucket
	hc := f.newColumn(t, [][]int64{values}, histogram(t, [][]int64{values}))
	ic := hc.chunks[0]
	for _, tc := range []struct {
		delta int
		keep  bool
		ok    bool
	}{{0, true, true}, {1, true, false}, {1, false, false}, {-1, true, false}, {-1, false, false}} {
		moved := append([]int64(nil), values...)
		moved[j] += int64(tc.delta) * testHistBin // the sum of the wrong bucket
		claim, err := circuits.HistogramColumnSum(moved, testHistMin, testHistBin, testHistBins, hc.alpha)
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.colLay.NewHistogramAssignment(ic.values, ic.min, ic.max, hc.salts[0], ic.ec.witness(), ic.polys, ic.binding, hc.columnStatement(hc.alpha))
		if err != nil {
			t.Fatal(err)
		}
		h := hc.columnStatement(hc.alpha)
		h.Sum = claim
		a.SetHistogram(h)
		_, err = f.col.proveAssignmentWith(a, ic.polys, wrongBucketHint(t, f.colLay, j, tc.delta, tc.keep))
		switch {
		case tc.ok && err != nil:
			t.Errorf("honest bucket through the override: %v", err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "is not satisfied")):
			t.Errorf("bucket off by %d (remainder kept %v): %v, want an unsatisfied constraint", tc.delta, tc.keep, err)
		}
	}
}

// TestAttackCountsChosenAfterAlpha proves the chunks at α, then changes the
// table (one count moved) and commits it again: α changes with the table's
// commitment, so the chunk sums proven for the old α do not add up to the
// new table's sum, and the old chunk proofs do not verify at the new α.
func TestAttackCountsChosenAfterAlpha(t *testing.T) {
	f := histSetup(t)
	chunks := honestChunks(t)
	counts := histogram(t, chunks)
	hc := f.newColumn(t, chunks, counts)
	var proofs []InputProof
	var sums []fr.Element
	for c := range hc.chunks {
		ip := f.proveChunk(t, hc, c, hc.alpha)
		proofs = append(proofs, ip)
		sums = append(sums, ip.HistogramSum)
	}

	changed := append([]int64(nil), counts...)
	for k := range changed {
		if changed[k] > 0 {
			changed[k]--
			changed[(k+7)%testHistBins]++
			break
		}
	}
	moved := f.newColumn(t, nil, changed) // a new table, committed again
	newAlpha := HistogramChallenge(testHistContext, hc.commitments, moved.tableCommit, testHistMin, testHistBin)
	if newAlpha.Equal(&hc.alpha) {
		t.Fatal("α did not change with the table's commitment")
	}
	hc2 := *hc
	hc2.table, hc2.tableSalt, hc2.tableCommit, hc2.counts = moved.table, moved.tableSalt, moved.tableCommit, changed
	tp := f.proveTable(t, &hc2, newAlpha)
	if err := f.verifyTable(&hc2, tp, newAlpha); err != nil {
		t.Fatalf("new table at the new α: %v", err)
	}
	if err := VerifyHistogram(sums, tp.HistogramSum); !errors.Is(err, ErrHistogramMismatch) {
		t.Errorf("VerifyHistogram(old chunk sums, new table) = %v, want ErrHistogramMismatch", err)
	}
	for c, ip := range proofs {
		if err := f.verifyChunk(hc, c, ip, newAlpha); !errors.Is(err, ErrInvalidInputProof) {
			t.Errorf("chunk %d proven at the old α verified at the new one: %v", c, err)
		}
	}
	// And the new table proven at the old α does not verify at the α the
	// chain computes from its commitment.
	old := f.proveTable(t, &hc2, hc.alpha)
	if err := f.verifyTable(&hc2, old, newAlpha); !errors.Is(err, ErrInvalidInputProof) {
		t.Errorf("table proven at the old α verified at the new one: %v", err)
	}
}

// TestHistogramChallenge checks that α depends on every input.
func TestHistogramChallenge(t *testing.T) {
	c := []fr.Element{fr.NewElement(1), fr.NewElement(2)}
	base := HistogramChallenge([]byte("x"), c, fr.NewElement(3), 0, 10)
	again := HistogramChallenge([]byte("x"), []fr.Element{fr.NewElement(1), fr.NewElement(2)}, fr.NewElement(3), 0, 10)
	if !base.Equal(&again) {
		t.Fatal("HistogramChallenge is not deterministic")
	}
	for name, alpha := range map[string]fr.Element{
		"context":         HistogramChallenge([]byte("y"), c, fr.NewElement(3), 0, 10),
		"chunk":           HistogramChallenge([]byte("x"), []fr.Element{fr.NewElement(1), fr.NewElement(4)}, fr.NewElement(3), 0, 10),
		"chunk order":     HistogramChallenge([]byte("x"), []fr.Element{fr.NewElement(2), fr.NewElement(1)}, fr.NewElement(3), 0, 10),
		"chunk dropped":   HistogramChallenge([]byte("x"), c[:1], fr.NewElement(3), 0, 10),
		"table":           HistogramChallenge([]byte("x"), c, fr.NewElement(4), 0, 10),
		"min":             HistogramChallenge([]byte("x"), c, fr.NewElement(3), -1, 10),
		"bin":             HistogramChallenge([]byte("x"), c, fr.NewElement(3), 0, 11),
		"context vs data": HistogramChallenge([]byte("x\x00"), c, fr.NewElement(3), 0, 10),
	} {
		if alpha.Equal(&base) {
			t.Errorf("α does not depend on the %s", name)
		}
	}
	if err := VerifyHistogram(nil, fr.Element{}); err == nil {
		t.Error("VerifyHistogram(no chunks) accepted")
	}
}
