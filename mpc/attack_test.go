package mpc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dxplabs/dxp/spec"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// offsetShares is what a dishonest participant does to its key-switch share object before posting
// it: it adds delta, encoded in every slot at the output's level and scale, to each PCKS share in
// it (c0 of a PCKS share is added to the output's c0, so the buyer decrypts the answer plus
// delta). A constant in every slot passes the layout check of a single-valued answer.
func offsetShares(tb testing.TB, params heint.Parameters, output, obj []byte, delta int64) []byte {
	tb.Helper()
	c := newCodec(params)
	ct, err := c.outputCiphertext(output, true)
	if err != nil {
		tb.Fatal(err)
	}
	pcks, err := mhe.NewPublicKeySwitchProtocol(params, ring.DiscreteGaussian{Sigma: 1, Bound: 6})
	if err != nil {
		tb.Fatal(err)
	}
	size := pcks.AllocateShare(ct.Level()).BinarySize()
	vals := make([]int64, Slots(params))
	for i := range vals {
		vals[i] = delta
	}
	pt := heint.NewPlaintext(params, ct.Level())
	pt.MetaData = ct.MetaData.CopyNew()
	if err := heint.NewEncoder(params).Encode(vals, pt); err != nil {
		tb.Fatal(err)
	}
	var out []byte
	for off := 0; off < len(obj); off += size {
		s, err := c.pcksShare(obj[off:off+size], ct.Level())
		if err != nil {
			tb.Fatal(err)
		}
		params.RingQ().AtLevel(ct.Level()).Add(s.Value[0], pt.Value, s.Value[0])
		b, err := s.MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// cheat makes member post, for task, its honest share object with delta added, as a dishonest
// member with its own copy of the code would.
func cheat(tb testing.TB, f *fixture, member, task string, delta int64) {
	f.chain.taskHook = func(m, kind, id string, d *[32]byte) (bool, error) {
		if kind != "share" || m != member || id != task {
			return true, nil
		}
		ctx := context.Background()
		obj, err := f.objs.Get(ctx, *d)
		if err != nil {
			return false, err
		}
		output, err := f.objs.Get(ctx, f.chain.task(id).output)
		if err != nil {
			return false, err
		}
		if *d, err = f.objs.Put(ctx, offsetShares(tb, f.params, output, obj, delta)); err != nil {
			return false, err
		}
		return true, nil
	}
}

// TestAttackOffsetKeySwitchShare: a participant adds an offset to its key-switch share, which the
// single subset of t shares the buyer combined before could not tell from the answer (a constant
// in every slot passes the layout check: the buyer read sum + delta). Now every participant of a
// computation without noise posts shares for every t-subset, the subsets disagree, the answer is
// refused, and the cheater is among the members named: exactly it when the participants allow
// (5 members, t = 3), one of a set including it on a 2-of-3 committee, where any single member's
// cheating looks like another's.
func TestAttackOffsetKeySwitchShare(t *testing.T) {
	for _, shape := range [][3]int{{3, 2, 1}, {5, 3, 3}} {
		n, th, liar := shape[0], shape[1], shape[2]
		t.Run(fmt.Sprintf("%d-of-%d", th, n), func(t *testing.T) {
			if testing.Short() && n == 5 {
				t.Skip("runs a 5-member ceremony")
			}
			f := sharedFixture(t, n, th)
			defer func() { f.chain.taskHook = nil }()
			vals := smallValues(3000, 21, -1000, 1000)
			task := Task{ID: fmt.Sprintf("offset-%d-of-%d", th, n), Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey}
			cheater := f.chain.members[liar]
			cheat(t, f, cheater, task.ID, 1_000_000)
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			r := compute(t, f, task, all, nil)
			pos := slices.Index(r.state.active, cheater)
			if len(r.state.active) != spec.Participants(n, th) || pos < 0 {
				t.Fatalf("active = %q, want %d participants including %s", r.state.active, spec.Participants(n, th), cheater)
			}
			got, err := Open(f.params, f.buyerSK, r.output, r.shares, th)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Open() = %v, %v; want a *VerifyError (the honest sum is %s)", got, err, sum(vals))
			}
			t.Log(err)
			if !slices.Contains(ve.Suspects, pos) {
				t.Errorf("suspects %v do not include the cheater at %d", ve.Suspects, pos)
			}
			if n == 5 && (!ve.Certain || !slices.Equal(ve.Suspects, []int{pos})) {
				t.Errorf("suspects %v (certain %t), want exactly [%d]", ve.Suspects, ve.Certain, pos)
			}
		})
	}
}

// TestHonestSubsetsAgree: with every participant honest all subsets decrypt to the exact answer.
func TestHonestSubsetsAgree(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	vals := smallValues(3000, 22, -1000, 1000)
	r := compute(t, f, Task{ID: "honest-subsets", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey}, []int{0, 1, 2}, nil)
	if len(r.shares) != 3 {
		t.Fatalf("%d share objects, want 3", len(r.shares))
	}
	got, err := Open(f.params, f.buyerSK, r.output, r.shares, 2)
	if err != nil || got.Cmp(sum(vals)) != 0 {
		t.Fatalf("Open() = %v, %v; want %s", got, err, sum(vals))
	}
}
