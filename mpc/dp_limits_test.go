package mpc

import (
	"fmt"
	"testing"

	"github.com/dxplabs/dxp/spec"
)

// TestEveryAdmittedDPQueryIsSampled closes "a Gaussian sigma the chain accepts and the committee
// refuses" (issue 14, attack 6): over the limits of every input spec's overflow rule takes (the
// chain's admission rule, spec.Query.CheckOverflow with this T), every query the chain admits
// gets a DP the members can size and sample, Gaussian and Laplace, for 2-of-3 and 3-of-5.
func TestEveryAdmittedDPQueryIsSampled(t *testing.T) {
	u := newUniform()
	admitted, refused := 0, 0
	for _, members := range []uint64{2, 3} {
		for _, op := range []spec.Op{spec.OpSum, spec.OpVariance, spec.OpDot, spec.OpHistogram, spec.OpCount} {
			for _, rows := range []uint64{1, 1000, 1 << 20, 1 << 30} {
				for _, mag := range []int64{1, 1 << 10, 1 << 20, 1 << 31} {
					for _, eps := range []uint64{1, 100, 10_000, 100_000, 1_000_000, 100_000_000} {
						for _, delta := range []uint64{0, 1, 1000, 100_000, 999_999} {
							q := spec.Query{Op: op, Rows: rows, Columns: []spec.Bound{{Min: -mag, Max: mag}},
								Epsilon: eps, Delta: delta, Members: members}
							switch op {
							case spec.OpDot:
								q.WeightBound = uint64(mag)
							case spec.OpHistogram:
								q.Buckets = 64
							}
							name := fmt.Sprintf("%s rows=%d mag=%d eps=%d delta=%d t=%d", op, rows, mag, eps, delta, members)
							if err := CheckOverflow(q); err != nil {
								refused++
								continue
							}
							admitted++
							dp, err := NewDP(q)
							if err != nil {
								t.Fatalf("%s: admitted by the chain, NewDP: %v", name, err)
							}
							k, err := q.Outputs()
							if err != nil {
								t.Fatal(err)
							}
							dn, err := dp.noise(k, op.Disjoint(), int(members))
							if err != nil {
								t.Fatalf("%s: admitted by the chain, refused by the committee: %v", name, err)
							}
							if _, err := dn.share(u, int(members)); err != nil {
								t.Fatalf("%s: admitted by the chain, not sampled: %v", name, err)
							}
						}
					}
				}
			}
		}
	}
	if admitted == 0 || refused == 0 {
		t.Fatalf("%d admitted, %d refused: the table does not reach both sides of the limits", admitted, refused)
	}
	t.Logf("%d admitted queries sampled, %d refused by the overflow rule", admitted, refused)
}
