package mpc

import (
	"context"
	"math"
	"math/big"
	"testing"

	"github.com/dxplabs/dxp/spec"
)

// boundTasks returns a task of every op over r ciphertexts per column (digests are placeholders:
// a plan depends only on the task's shape).
func boundTasks(r int) map[string]*Task {
	col := func(c byte) [][32]byte {
		out := make([][32]byte, r)
		for i := range out {
			out[i] = [32]byte{c, byte(i), byte(i >> 8)}
		}
		return out
	}
	hist := func(edges []int64) *HistogramInput {
		return &HistogramInput{Tables: col(9), Min: 0, Bin: 1, Edges: edges}
	}
	return map[string]*Task{
		"sum":        {Op: spec.OpSum, Columns: [][][32]byte{col(1)}},
		"dot":        {Op: spec.OpDot, Columns: [][][32]byte{col(1)}, WeightsObject: [32]byte{7}, WeightBound: 1000},
		"variance":   {Op: spec.OpVariance, Columns: [][][32]byte{col(1)}},
		"regression": {Op: spec.OpRegression, Columns: [][][32]byte{col(1), col(2), col(3)}},
		"histogram":  {Op: spec.OpHistogram, Histogram: hist([]int64{0, 10, 20, 30})},
		"one bucket": {Op: spec.OpHistogram, Histogram: hist([]int64{0, 10})},
		"count":      {Op: spec.OpCount, Histogram: hist(nil)},
	}
}

// TestProvenNoiseBound checks the smudging sized from the proven noise bound: for linear ops the
// owners' worst case all but vanishes in the rescales (the bound is the heuristic one to 2^-10 and
// the margin stays 40 bits); for products it is larger, grows with the rows, and is met by a lowered margin of at
// least minSmudgingMargin up to a million rows (62 ciphertexts per column) for 3 and 5 members.
func TestProvenNoiseBound(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	for _, members := range []int{3, 5} {
		nm := newNoiseModel(params, members)
		if want := 19 * (1 + 2*float64(params.N()*members)); nm.freshBound() != want {
			t.Errorf("fresh bound %v, want 19·(1 + 2·N·%d) = %v", nm.freshBound(), members, want)
		}
		t.Logf("%d members: proven fresh bound 2^%.2f (lattigo's encryption: σ 2^%.2f)", members, math.Log2(nm.freshBound()), math.Log2(math.Sqrt(nm.fresh())))
		for _, r := range []int{1, 3, 62} {
			for name, task := range boundTasks(r) {
				p, err := newPlan(task, Slots(params))
				if err != nil {
					t.Fatal(err)
				}
				v, err := p.noise(nm)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				proven, err := p.noiseBound(nm)
				if err != nil {
					t.Fatal(err)
				}
				heuristic := noiseTail * math.Sqrt(v)
				d, err := Smudging(params, task, members, members)
				if err != nil {
					t.Errorf("%s r=%d members=%d: Smudging: %v", name, r, members, err)
					continue
				}
				b := max(heuristic, proven)
				lambda := math.Log2(d.Sigma / b)
				t.Logf("%-10s r=%2d: heuristic B 2^%.2f, proven 2^%.2f, margin λ = %.2f", name, r, math.Log2(heuristic), math.Log2(proven), lambda)
				if lambda < minSmudgingMargin-1e-9 || lambda > smudgingMargin+1e-9 {
					t.Errorf("%s: margin %.2f outside [%d, %d]", name, lambda, minSmudgingMargin, smudgingMargin)
				}
				switch task.Op {
				case spec.OpVariance, spec.OpRegression:
					if proven <= heuristic {
						t.Errorf("%s: proven bound 2^%.2f not above the heuristic 2^%.2f: the owners' worst case is missing", name, math.Log2(proven), math.Log2(heuristic))
					}
				default:
					// A ciphertext-times-plaintext term keeps a worst case of at most 2^-3 (dot,
					// buckets at a million rows) against B ≈ 2^9.
					if proven > heuristic*(1+1.0/1024) || lambda < smudgingMargin-1e-9 {
						t.Errorf("%s: proven bound 2^%.4f, heuristic 2^%.4f, margin %.2f: want equal bounds and the full margin", name, math.Log2(proven), math.Log2(heuristic), lambda)
					}
				}
			}
		}
	}
	// The bound grows with the rows: far beyond a million rows a variance is refused, not smudged
	// with a margin below the floor.
	big := boundTasks(1 << 14)["variance"]
	if _, err := Smudging(params, big, 3, 3); err == nil {
		t.Error("Smudging accepted a variance over 2^14 ciphertexts per column (proven bound ≈ 2^20.7)")
	} else {
		t.Logf("2^14 ciphertexts: %v", err)
	}
}

// TestAttackExtremeProvableNoise: an owner encrypts with randomness at the edge of what its proof
// allows (u = 1 and e0 = e1 = B_e in every coefficient), for a variance. Each ciphertext's noise
// stays below the proven fresh bound, the committee's answer is exact, and the output noise is
// below the proven bound the smudging is sized from.
func TestAttackExtremeProvableNoise(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	be, err := ErrorBound(f.params)
	if err != nil {
		t.Fatal(err)
	}
	n := f.params.N()
	w := EncryptionWitness{U: make([]int64, n), E0: make([]int64, n), E1: make([]int64, n)}
	for i := range n {
		w.U[i], w.E0[i], w.E1[i] = 1, be, be
	}
	enc, err := newProvableEncryptor(f.params, f.pk, InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	nm := newNoiseModel(f.params, len(f.members))
	sk := collectiveSecret(t, f, []int{0, 1})
	vals := smallValues(3*n, 46, -100000, 100000)
	var ds [][32]byte
	for c := range 3 {
		chunk := vals[c*n : (c+1)*n]
		pc, err := enc.seal(chunk, w)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := newCodec(f.params).ciphertext(pc.Ciphertext, InputLevel)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]*big.Int, n)
		for i := range want {
			want[i] = big.NewInt(chunk[i])
		}
		_, maxAbs := noiseOf(t, f, ct, sk, want)
		t.Logf("ciphertext %d: fresh noise 2^%.2f, proven bound 2^%.2f", c, math.Log2(maxAbs), math.Log2(nm.freshBound()))
		if maxAbs > nm.freshBound() {
			t.Fatalf("fresh noise 2^%.2f above the proven bound 2^%.2f", math.Log2(maxAbs), math.Log2(nm.freshBound()))
		}
		d, err := f.objs.Put(context.Background(), pc.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	var sx2 int64
	for _, v := range vals {
		sx2 += v * v
	}
	task := Task{ID: "extreme-provable-variance", Op: spec.OpVariance, Columns: [][][32]byte{ds}, BuyerKey: f.buyerKey}
	r := compute(t, f, task, []int{0, 1, 2}, nil)
	got, err := OpenValues(f.params, f.buyerSK, r.output, r.shares, 2, 2)
	if err != nil {
		t.Fatalf("OpenValues() error: %v", err)
	}
	if want := bigs(sum(vals).Int64(), sx2); got[0].Cmp(want[0]) != 0 || got[1].Cmp(want[1]) != 0 {
		t.Fatalf("variance inputs = %v, want %v", got, want)
	}
	p, err := newPlan(&task, Slots(f.params))
	if err != nil {
		t.Fatal(err)
	}
	proven, err := p.noiseBound(nm)
	if err != nil {
		t.Fatal(err)
	}
	out, err := newCodec(f.params).outputCiphertext(r.output, p.single())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]*big.Int, n)
	for i := range want {
		want[i] = new(big.Int)
	}
	want[0], want[1] = sum(vals), big.NewInt(sx2)
	_, maxAbs := noiseOf(t, f, out, sk, want)
	t.Logf("output noise 2^%.2f, proven bound 2^%.2f", math.Log2(maxAbs), math.Log2(proven))
	if maxAbs > proven {
		t.Errorf("output noise 2^%.2f above the proven bound 2^%.2f", math.Log2(maxAbs), math.Log2(proven))
	}
}
