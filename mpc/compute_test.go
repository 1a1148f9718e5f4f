package mpc

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/spec"
)

// opCase is one computation and its plaintext answer.
type opCase struct {
	name  string
	task  Task
	query spec.Query // for the overflow rule
	want  []*big.Int
}

func bigs(xs ...int64) []*big.Int {
	out := make([]*big.Int, len(xs))
	for i, x := range xs {
		out[i] = big.NewInt(x)
	}
	return out
}

func dot(a, b []int64) *big.Int {
	s := new(big.Int)
	for i := range a {
		s.Add(s, new(big.Int).Mul(big.NewInt(a[i]), big.NewInt(b[i])))
	}
	return s
}

// opCases builds every op over two datasets (20,000 and 15,000 rows: three ciphertexts per
// column), encrypting the inputs under f's key.
func opCases(tb testing.TB, f *fixture) []opCase {
	tb.Helper()
	ctx := context.Background()
	const n1, n2 = 20000, 15000
	// concat encrypts a column dataset by dataset, as owners do, and concatenates the digests.
	concat := func(a, b []int64) ([]int64, [][32]byte) {
		return append(slices.Clone(a), b...), append(encryptAndPut(tb, f, a), encryptAndPut(tb, f, b)...)
	}
	x, xcol := concat(smallValues(n1, 1, -100000, 100000), smallValues(n2, 2, -100000, 100000))
	wide := append(testValues(n1, 3), testValues(n2, 4)...)
	wide[0], wide[1] = 5, -7 // the plaintext extremes would overflow a sum of 35,000
	widecol := slices.Concat(encryptAndPut(tb, f, wide[:n1]), encryptAndPut(tb, f, wide[n1:]))
	var z [][]int64
	var zcols [][][32]byte
	for c := range 3 {
		v, d := concat(smallValues(n1, uint64(10+c), -1000, 1000), smallValues(n2, uint64(20+c), -1000, 1000))
		z, zcols = append(z, v), append(zcols, d)
	}
	w1, w2 := smallValues(n1, 5, -1000, 1000), smallValues(n2, 6, -1000, 1000)
	w := append(slices.Clone(w1), w2...)
	wobj, wcommit := sealWeights(tb, f, w)

	// Histogram: values in [-100, 400), bins of 5, one frequency table per dataset.
	h1, h2 := smallValues(n1, 7, -100, 399), smallValues(n2, 8, -100, 399)
	var tables [][32]byte
	for _, h := range [][]int64{h1, h2} {
		ct, err := EncryptFrequencies(f.params, f.pk, h, -100, 5)
		if err != nil {
			tb.Fatal(err)
		}
		d, err := f.objs.Put(ctx, ct)
		if err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, d)
	}
	edges := []int64{-200, -50, 0, 20, 25, 395, 100000}
	counts := make([]int64, len(edges)-1)
	for _, v := range append(slices.Clone(h1), h2...) {
		for b := range counts {
			if v >= edges[b] && v < edges[b+1] {
				counts[b]++
			}
		}
	}
	var one int64
	for _, v := range append(slices.Clone(h1), h2...) {
		if v >= 0 && v < 100 {
			one++
		}
	}

	var sx2 int64
	for _, v := range x {
		sx2 += v * v
	}
	reg := []*big.Int{}
	for a := range z {
		reg = append(reg, sum(z[a]))
	}
	for a := range z {
		for b := a; b < len(z); b++ {
			reg = append(reg, dot(z[a], z[b]))
		}
	}
	col := func(c [][32]byte) [][][32]byte { return [][][32]byte{c} }
	xb := []spec.Bound{{Min: -100000, Max: 100000}}
	hb := []spec.Bound{{Min: -100, Max: 220}} // the histogram's column, read through its tables
	rows := uint64(n1 + n2)
	return []opCase{
		{"sum", Task{Op: spec.OpSum, Columns: col(widecol)}, spec.Query{Op: spec.OpSum, Rows: rows, Columns: []spec.Bound{{Min: -1e10, Max: 1e10}}}, []*big.Int{sum(wide)}},
		{"mean", Task{Op: spec.OpMean, Columns: col(xcol)}, spec.Query{Op: spec.OpMean, Rows: rows, Columns: xb}, []*big.Int{sum(x)}},
		{"variance", Task{Op: spec.OpVariance, Columns: col(xcol)}, spec.Query{Op: spec.OpVariance, Rows: rows, Columns: xb}, bigs(sum(x).Int64(), sx2)},
		{"stddev", Task{Op: spec.OpStddev, Columns: col(xcol)}, spec.Query{Op: spec.OpStddev, Rows: rows, Columns: xb}, bigs(sum(x).Int64(), sx2)},
		{"regression", Task{Op: spec.OpRegression, Columns: zcols}, spec.Query{Op: spec.OpRegression, Rows: rows, Columns: []spec.Bound{{Min: -1000, Max: 1000}, {Min: -1000, Max: 1000}, {Min: -1000, Max: 1000}}}, reg},
		{"dot", Task{Op: spec.OpDot, Columns: col(xcol), WeightsObject: wobj, WeightsCommitment: wcommit, WeightBound: 1000, Rows: []uint64{n1, n2}}, spec.Query{Op: spec.OpDot, Rows: rows, Columns: xb, WeightBound: 1000}, []*big.Int{dot(x, w)}},
		{"histogram", Task{Op: spec.OpHistogram, Histogram: &HistogramInput{Tables: tables, Min: -100, Bin: 5, Edges: edges}}, spec.Query{Op: spec.OpHistogram, Rows: rows, Columns: hb, Buckets: len(counts)}, bigs(counts...)},
		{"histogram of one bucket", Task{Op: spec.OpHistogram, Histogram: &HistogramInput{Tables: tables, Min: -100, Bin: 5, Edges: []int64{0, 100}}}, spec.Query{Op: spec.OpHistogram, Rows: rows, Columns: hb, Buckets: 1}, bigs(one)},
		{"count", Task{Op: spec.OpCount, Histogram: &HistogramInput{Tables: tables, Min: -100, Bin: 5}}, spec.Query{Op: spec.OpCount, Rows: rows, Columns: hb, Epsilon: 1}, bigs(int64(rows))},
	}
}

// TestOps runs every op on a 2-of-3 and a 3-of-5 committee with one member down and checks the
// buyer's result against the plaintext answer, the members' outputs for byte equality, and the
// output's noise against the estimate the smudging is sized from.
func TestOps(t *testing.T) {
	for _, shape := range [][2]int{{3, 2}, {5, 3}} {
		n, th := shape[0], shape[1]
		t.Run(fmt.Sprintf("%d-of-%d", th, n), func(t *testing.T) {
			if testing.Short() && n == 5 {
				t.Skip("runs a 5-member ceremony")
			}
			f := sharedFixture(t, n, th)
			live := make([]int, 0, n) // without noise all n switch (spec.Participants)
			for i := range n {
				live = append(live, i)
			}
			for _, tc := range opCases(t, f) {
				t.Run(tc.name, func(t *testing.T) {
					if n == 5 && (tc.name == "mean" || tc.name == "stddev") {
						t.Skip("same evaluation as sum and variance")
					}
					k, err := tc.query.Outputs()
					if err != nil {
						t.Fatal(err)
					}
					if err := CheckOverflow(tc.query); err != nil {
						t.Fatalf("test data is not admissible: %v", err)
					}
					task := tc.task
					task.ID, task.BuyerKey = fmt.Sprintf("%s-%d-of-%d", tc.name, th, n), f.buyerKey
					r := compute(t, f, task, live, nil)
					for _, a := range r.state.posted {
						if r.state.outputs[a] != r.state.output {
							t.Errorf("%s output %s, agreed %s: evaluation is not deterministic", a, short(r.state.outputs[a]), short(r.state.output))
						}
					}
					// The chain moves on once th members agree; later members need not evaluate.
					if len(r.state.posted) < th || len(r.state.disagreed) != 0 {
						t.Errorf("%d members posted, %v disagreed; want at least %d and none", len(r.state.posted), r.state.disagreed, th)
					}
					got, err := OpenValues(f.params, f.buyerSK, r.output, r.shares, th, k)
					if err != nil {
						t.Fatalf("OpenValues() error: %v", err)
					}
					for j := range tc.want {
						if got[j].Cmp(tc.want[j]) != 0 {
							t.Errorf("value %d = %s, want %s", j, got[j], tc.want[j])
						}
					}
					checkNoise(t, f, &task, r, live[:th], tc.want)
				})
			}
		})
	}
}

// checkNoise measures the output's noise with the collective secret and compares it with the
// plan's estimate: the standard deviation within a factor 2 and every coefficient below the bound
// B the smudging is sized from.
func checkNoise(t *testing.T, f *fixture, task *Task, r result, active []int, want []*big.Int) {
	t.Helper()
	p, err := newPlan(task, Slots(f.params))
	if err != nil {
		t.Fatal(err)
	}
	est, err := p.noise(newNoiseModel(f.params, len(f.members)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := newCodec(f.params).outputCiphertext(r.output, p.single())
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]*big.Int, Slots(f.params))
	for i := range vals {
		switch {
		case len(want) == 1:
			vals[i] = want[0]
		case i < len(want):
			vals[i] = want[i]
		default:
			vals[i] = new(big.Int)
		}
	}
	std, maxAbs := noiseOf(t, f, ct, collectiveSecret(t, f, active), vals)
	b := noiseTail * math.Sqrt(est)
	t.Logf("output noise: std 2^%.2f (estimate 2^%.2f), max 2^%.2f (bound B 2^%.2f)", math.Log2(std), math.Log2(math.Sqrt(est)), math.Log2(maxAbs), math.Log2(b))
	if std > 2*math.Sqrt(est) || std < math.Sqrt(est)/2 {
		t.Errorf("noise std 2^%.2f is not within a factor 2 of the estimate 2^%.2f", math.Log2(std), math.Log2(math.Sqrt(est)))
	}
	if maxAbs > b {
		t.Errorf("noise coefficient 2^%.2f above the bound 2^%.2f", math.Log2(maxAbs), math.Log2(b))
	}
}

// noiseOf returns the standard deviation and largest magnitude of the noise coefficients of ct,
// which encrypts vals, in raw units (c0 + c1·s − T⁻¹·m).
func noiseOf(tb testing.TB, f *fixture, ct *rlwe.Ciphertext, sk *rlwe.SecretKey, vals []*big.Int) (std, maxAbs float64) {
	tb.Helper()
	pt := rlwe.NewDecryptor(f.params, sk).DecryptNew(ct)
	ref := heint.NewPlaintext(f.params, ct.Level())
	ref.MetaData = ct.MetaData.CopyNew()
	T := new(big.Int).SetUint64(f.params.PlaintextModulus())
	u := make([]uint64, len(vals))
	for i, v := range vals {
		u[i] = new(big.Int).Mod(v, T).Uint64()
	}
	if err := heint.NewEncoder(f.params).Encode(u, ref); err != nil {
		tb.Fatal(err)
	}
	ringQ := f.params.RingQ().AtLevel(ct.Level())
	ringQ.Sub(pt.Value, ref.Value, pt.Value)
	ringQ.INTT(pt.Value, pt.Value)
	coeffs := make([]*big.Int, f.params.N())
	for i := range coeffs {
		coeffs[i] = new(big.Int)
	}
	ringQ.PolyToBigintCentered(pt.Value, 1, coeffs)
	var s2 float64
	for _, c := range coeffs {
		x, _ := new(big.Float).SetInt(c).Float64()
		s2 += x * x
		maxAbs = math.Max(maxAbs, math.Abs(x))
	}
	return math.Sqrt(s2 / float64(len(coeffs))), maxAbs
}

// liarBoard makes a member evaluate a different query: it drops the last input ciphertext.
type liarBoard struct{ Board }

func (b liarBoard) Tasks(ctx context.Context) ([]Task, error) {
	ts, err := b.Board.Tasks(ctx)
	for i := range ts {
		if ts[i].Phase == PhaseEvaluate && len(ts[i].Columns) > 0 {
			c := ts[i].Columns[0]
			ts[i].Columns = [][][32]byte{c[:len(c)-1]}
		}
	}
	return ts, err
}

// TestWrongOutputIsOutvoted: a member evaluating another query never makes its output the
// answer. Every participant of a 2-of-3 committee must agree (spec.Participants), with or without
// noise, so the liar holds the computation in its evaluate phase (the chain expires it at its
// deadline).
func TestWrongOutputIsOutvoted(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	liar, err := NewMember(MemberConfig{Address: "member-a", Dir: f.dirs[0], Params: f.params, Board: liarBoard{f.chain.board("member-a")}, Objects: f.objs, InputChecker: noInputProofs{}})
	if err != nil {
		t.Fatal(err)
	}
	members := []*Member{liar, f.members[1], f.members[2]}
	for _, dp := range []*DP{nil, {Mechanism: DPLaplace, Epsilon: 1, Sensitivity: []uint64{100}}} {
		vals := smallValues(20000, 9, -100, 100)
		held := Task{ID: fmt.Sprintf("held-back-%t", dp != nil), Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey, DP: dp}
		f.chain.addTask(held)
		for range 2 {
			for _, m := range members {
				if _, err := m.Step(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if st := f.chain.state(held.ID); st.phase != PhaseEvaluate || len(st.posted) != 3 || len(st.active) != 0 {
			t.Errorf("task (noise %t) with a dissenting member: phase %s, %d outputs, active %q; want evaluate, 3, none", dp != nil, st.phase, len(st.posted), st.active)
		}
		f.chain.removeTask(held.ID)
	}
}

// TestRestartMidComputation replaces the members by fresh ones on the same directories before
// every pass of a DP computation, and loses one member's share post and reports another's as
// failed although the chain recorded it. Each member must post exactly one share, the one it
// saved: a second share would carry fresh DP noise.
func TestRestartMidComputation(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	var lost [32]byte
	f.chain.taskHook = func(member, kind, task string, d *[32]byte) (bool, error) {
		switch {
		case kind == "share" && member == "member-b" && lost == [32]byte{}:
			lost = *d
			return false, fmt.Errorf("connection reset (post lost)")
		case kind == "share" && member == "member-a" && f.chain.task(task).shares["member-a"] == [32]byte{}:
			return true, fmt.Errorf("timeout (post recorded)")
		}
		return true, nil
	}
	defer func() { f.chain.taskHook = nil }()
	fresh := func(i int) *Member {
		m, err := NewMember(MemberConfig{Address: f.chain.members[i], Dir: f.dirs[i], Params: f.params, Board: f.chain.board(f.chain.members[i]), Objects: f.objs, InputChecker: noInputProofs{}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	vals := smallValues(5000, 11, -1000, 1000)
	task := Task{ID: "restart-dp", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey,
		DP: &DP{Mechanism: DPLaplace, Epsilon: 0.5, Sensitivity: []uint64{1000}}}
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	var errs int
	for pass := 0; f.chain.state(task.ID).phase != "done"; pass++ {
		if pass == 5 {
			t.Fatalf("task still in phase %s after %d passes", f.chain.state(task.ID).phase, pass)
		}
		for _, i := range []int{0, 1, 2} {
			if _, err := fresh(i).Step(ctx); err != nil {
				errs++
				t.Logf("pass %d: %v", pass, err)
			}
		}
	}
	if errs != 2 {
		t.Errorf("%d failed steps, want the 2 injected", errs)
	}
	if len(f.chain.rejected) != 0 {
		t.Errorf("chain refused posts (a second share?): %q", f.chain.rejected)
	}
	st := f.chain.state(task.ID)
	if st.shares["member-b"] != lost {
		t.Errorf("member-b posted share %s after the lost post, want the saved %s", short(st.shares["member-b"]), short(lost))
	}
	var shares [][]byte
	for _, a := range st.active {
		s, err := f.objs.Get(ctx, st.shares[a])
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	output, err := f.objs.Get(ctx, st.output)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(f.params, f.buyerSK, output, shares, f.chain.threshold)
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	diff := new(big.Int).Sub(got, sum(vals))
	if tail := spec.LaplaceTail * 1000 / 0.5; math.Abs(float64(diff.Int64())) > tail {
		t.Errorf("noise %s is beyond its 2^-64 tail %.0f", diff, tail)
	}
	t.Logf("exact %s, noisy %s", sum(vals), got)

	// Once the task no longer waits for them, the members keep only the share's digest.
	f.chain.removeTask(task.ID)
	for _, i := range []int{0, 1, 2} {
		if _, err := fresh(i).Step(ctx); err != nil {
			t.Fatal(err)
		}
		ep := filepath.Join(f.dirs[i], "epoch-1")
		switched := task
		switched.Output, switched.Active = st.output, st.active
		if _, ok, _ := (&state{dir: f.dirs[i]}).read(1, "share-"+shareName(&switched)); ok {
			t.Errorf("%s still holds the share of a finished task", ep)
		}
		if d, ok, _ := (&state{dir: f.dirs[i]}).read(1, "posted-"+shareName(&switched)); !ok || [32]byte(d) != st.shares[f.chain.members[i]] {
			t.Errorf("%s holds no record of the posted share", ep)
		}
	}
}

func TestDPResults(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	h := smallValues(3000, 12, 0, 99)
	ct, err := EncryptFrequencies(f.params, f.pk, h, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	table, err := f.objs.Put(context.Background(), ct)
	if err != nil {
		t.Fatal(err)
	}
	edges := []int64{0, 10, 20, 50, 90, 100}
	want := make([]int64, len(edges)-1)
	for _, v := range h {
		for b := range want {
			if v >= edges[b] && v < edges[b+1] {
				want[b]++
			}
		}
	}
	for _, mech := range []DP{
		{Mechanism: DPLaplace, Epsilon: 0.1, Sensitivity: []uint64{1, 1, 1, 1, 1}},
		{Mechanism: DPGaussian, Epsilon: 0.5, Delta: 1e-6, Sensitivity: []uint64{1, 1, 1, 1, 1}},
	} {
		t.Run(mech.Mechanism, func(t *testing.T) {
			task := Task{ID: "dp-" + mech.Mechanism, Op: spec.OpHistogram, Histogram: &HistogramInput{Tables: [][32]byte{table}, Min: 0, Bin: 1, Edges: edges}, BuyerKey: f.buyerKey, DP: &mech}
			r := compute(t, f, task, []int{0, 1, 2}, nil)
			if len(r.shares) != 3 {
				t.Fatalf("%d share objects, want 3: DP computations have spec.Participants participants too", len(r.shares))
			}
			got, err := OpenValues(f.params, f.buyerSK, r.output, r.shares, f.chain.threshold, len(want))
			if err != nil {
				t.Fatalf("OpenValues() error: %v", err)
			}
			micro := func(x float64) uint64 { return uint64(math.Round(x * spec.MicroUnit)) }
			tail := spec.NoiseTail(big.NewInt(1), len(want), true, micro(mech.Epsilon), micro(mech.Delta), 3)
			exact := true
			for b := range want {
				d := got[b].Int64() - want[b]
				if d != 0 {
					exact = false
				}
				if big.NewInt(d).CmpAbs(tail) > 0 {
					t.Errorf("bucket %d noise %d beyond its 2^-64 tail %s", b, d, tail)
				}
			}
			if exact {
				t.Error("no bucket got any noise")
			}
			t.Logf("exact %v, noisy %v", want, got)
		})
	}
}

// TestNoiseModel follows a product term of a multi-valued output (three rows of two columns,
// values spread over the whole plaintext range) through every stage of the evaluation and
// compares the measured noise with the model's bound at each: the largest coefficient must stay
// below noiseTail standard deviations of the bound, which is what the decryption checks assume.
// Where the noise is a sum of many terms, the bound must also not be more than 2^4 times too
// large, so that the checks mean something. (After the inner sum the noise is one sample, N·e_0
// in the constant coefficient, which may be small by chance; the model is loosest at the slot
// mask, which multiplies that coefficient by T at most where the model assumes a convolution,
// N·T².)
func TestNoiseModel(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	nm := newNoiseModel(f.params, len(f.members))
	keys, err := f.members[0].evalKeys(ctx, f.chain.view())
	if err != nil {
		t.Fatal(err)
	}
	e := keys.ev
	sk := collectiveSecret(t, f, []int{0, 1})
	T := new(big.Int).SetUint64(f.params.PlaintextModulus())
	n := Slots(f.params)
	const rows = 3
	lb := multiBuildLevel
	prods := make([]*big.Int, n)
	for i := range prods {
		prods[i] = new(big.Int)
	}
	acc := heint.NewCiphertext(f.params, 2, lb)
	prod := heint.NewCiphertext(f.params, 2, lb)
	for r := range rows {
		x := testValues(n, uint64(30+r))
		y := testValues(n, uint64(40+r))
		cx, cy := encryptAndPut(t, f, x), encryptAndPut(t, f, y)
		a, err := f.members[0].load(ctx, cx[0], lb, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.members[0].load(ctx, cy[0], lb, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.eval.DropLevel(a, a.Level()-lb)
		e.eval.DropLevel(b, b.Level()-lb)
		if err := e.eval.Mul(a, b, prod); err != nil {
			t.Fatal(err)
		}
		if err := e.eval.Add(acc, prod, acc); err != nil {
			t.Fatal(err)
		}
		for i := range prods {
			prods[i].Add(prods[i], new(big.Int).Mul(big.NewInt(x[i]), big.NewInt(y[i])))
			prods[i].Mod(prods[i], T)
		}
	}
	total := new(big.Int)
	for _, p := range prods {
		total.Add(total, p)
	}
	total.Mod(total, T)
	all := func(v *big.Int) []*big.Int {
		out := make([]*big.Int, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	masked := make([]*big.Int, n)
	for i := range masked {
		masked[i] = new(big.Int)
	}
	masked[1] = total

	compare := func(stage string, ct *rlwe.Ciphertext, vals []*big.Int, est float64, tight bool) {
		t.Helper()
		std, maxAbs := noiseOf(t, f, ct, sk, vals)
		t.Logf("%-14s level %d: noise std 2^%5.2f, max 2^%5.2f; model σ 2^%5.2f, bound 2^%5.2f", stage, ct.Level(), math.Log2(std), math.Log2(maxAbs), math.Log2(math.Sqrt(est)), math.Log2(noiseTail*math.Sqrt(est)))
		if maxAbs > noiseTail*math.Sqrt(est) {
			t.Errorf("%s: largest noise coefficient 2^%.2f above the model's bound 2^%.2f", stage, math.Log2(maxAbs), math.Log2(noiseTail*math.Sqrt(est)))
		}
		if tight && maxAbs < noiseTail*math.Sqrt(est)/16 {
			t.Errorf("%s: the model's bound 2^%.2f is over 2^4 times the largest coefficient 2^%.2f", stage, math.Log2(noiseTail*math.Sqrt(est)), math.Log2(maxAbs))
		}
	}
	v := rows * nm.mulCt(nm.fresh(), nm.fresh())
	compare("products", acc, prods, v, true)
	r := heint.NewCiphertext(f.params, 2, lb-1)
	if err := e.eval.Rescale(acc, r); err != nil {
		t.Fatal(err)
	}
	v = nm.rescale(v, lb, 2)
	compare("rescaled", r, prods, v, true)
	lin := heint.NewCiphertext(f.params, 1, lb-1)
	if err := e.eval.Relinearize(r, lin); err != nil {
		t.Fatal(err)
	}
	v = nm.relinearize(v, lb-1)
	compare("relinearized", lin, prods, v, true)
	s, err := innerSum(f.params, e.eval, lin)
	if err != nil {
		t.Fatal(err)
	}
	v = nm.innerSum(v, lb-1)
	compare("inner sum", s, all(total), v, false)
	mask, err := e.mask(s.Level(), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.eval.Mul(s, mask, s); err != nil {
		t.Fatal(err)
	}
	v = nm.mulPlain(v)
	compare("masked", s, masked, v, false)
	for s.Level() > outputLevel {
		if s, err = e.rescale(s); err != nil {
			t.Fatal(err)
		}
		v = nm.rescale(v, s.Level()+1, 1)
		compare("rescaled", s, masked, v, s.Level() == outputLevel)
	}
}

// TestEvaluationReusesInputMemory: an evaluator decodes the inputs of later evaluations into the
// input ciphertexts of earlier ones, and its outputs stay byte-identical to an evaluator that
// decodes every input into fresh memory, whether the inputs come at the build level or above it
// and whichever came first.
func TestEvaluationReusesInputMemory(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	keys, err := f.members[0].evalKeys(ctx, f.chain.view())
	if err != nil {
		t.Fatal(err)
	}
	reusing := &evaluator{params: f.params, eval: keys.ev.eval.ShallowCopy(), ecd: heint.NewEncoder(f.params)}
	n := Slots(f.params)
	top := encryptAndPut(t, f, testValues(3*n, 51)) // three ciphertexts at the top level
	var low [][32]byte                              // three at the build level
	for _, d := range encryptAndPut(t, f, testValues(3*n, 52)) {
		ct, err := f.members[0].load(ctx, d, singleBuildLevel, nil)
		if err != nil {
			t.Fatal(err)
		}
		reusing.eval.DropLevel(ct, ct.Level()-singleBuildLevel)
		b, err := ct.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if d, err = f.objs.Put(ctx, b); err != nil {
			t.Fatal(err)
		}
		low = append(low, d)
	}
	for i, inputs := range [][][32]byte{low, top, low, top} {
		p, err := newPlan(&Task{ID: "reuse", Op: spec.OpSum, Columns: [][][32]byte{inputs}}, n)
		if err != nil {
			t.Fatal(err)
		}
		spares := len(reusing.spare)
		got, err := reusing.run(ctx, p, f.members[0].load)
		if err != nil {
			t.Fatal(err)
		}
		fresh := &evaluator{params: f.params, eval: keys.ev.eval.ShallowCopy(), ecd: heint.NewEncoder(f.params)}
		want, err := fresh.run(ctx, p, f.members[0].load)
		if err != nil {
			t.Fatal(err)
		}
		gb, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		wb, err := want.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gb, wb) {
			t.Errorf("evaluation %d (%d spare inputs at its start): the output differs from one decoded into fresh memory", i, spares)
		}
		if len(reusing.spare) == 0 {
			t.Errorf("evaluation %d kept no spare inputs", i)
		}
		if i > 0 && spares == 0 {
			t.Errorf("evaluation %d started without spare inputs", i)
		}
	}
}
