package mpc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dxplabs/dxp/spec"
)

// BenchmarkDot1M is a dot product of 10^6 values (4 datasets, 64 ciphertexts) with plaintext
// weights sealed to the members, through the member path of a 2-of-3 committee with one member
// down: evaluate-ms/member covers opening and checking the weights, the storage reads and the
// ct × plaintext evaluation; switch-ms/member the key switch.
func BenchmarkDot1M(b *testing.B) {
	f := sharedFixture(b, 3, 2)
	in := sum1MInput(b, f)
	w := smallValues(1_000_000, 7, -1000, 1000)
	obj, commitment := sealWeights(b, f, w)
	ctx := context.Background()
	live := []*Member{f.members[0], f.members[1]}
	var evalT, switchT time.Duration
	for b.Loop() {
		benchTasks++
		id := fmt.Sprintf("bench-dot-%d", benchTasks)
		f.chain.addTask(Task{ID: id, Op: spec.OpDot, Columns: [][][32]byte{in.inputs}, WeightsObject: obj, WeightsCommitment: commitment,
			WeightBound: 1000, Rows: []uint64{250_000, 250_000, 250_000, 250_000}, BuyerKey: f.buyerKey})
		t0 := time.Now()
		for _, m := range live {
			if _, err := m.Step(ctx); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for _, m := range live {
			if _, err := m.Step(ctx); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		if st := f.chain.state(id); st.phase != "done" {
			b.Fatalf("task in phase %s after two passes", st.phase)
		}
		f.chain.removeTask(id)
		evalT += t1.Sub(t0)
		switchT += t2.Sub(t1)
	}
	n := float64(b.N) * float64(len(live))
	b.ReportMetric(float64(evalT.Milliseconds())/n, "evaluate-ms/member")
	b.ReportMetric(float64(switchT.Milliseconds())/n, "switch-ms/member")
}
