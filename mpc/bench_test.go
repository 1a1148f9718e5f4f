package mpc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"

	"github.com/dxplabs/dxp/spec"
)

// sum1M is 10^6 values over 4 datasets (62 ciphertexts), encrypted once per test binary.
type sum1M struct {
	inputs [][32]byte
	want   int64
}

var (
	sum1MCache = map[*fixture]*sum1M{}
	benchTasks int
)

func sum1MInput(b *testing.B, f *fixture) *sum1M {
	b.Helper()
	if s := sum1MCache[f]; s != nil {
		return s
	}
	s := &sum1M{}
	for d := range 4 {
		vals := smallValues(250_000, uint64(100+d), -1e6, 1e6)
		for _, v := range vals {
			s.want += v
		}
		s.inputs = append(s.inputs, encryptAndPut(b, f, vals)...)
	}
	if len(s.inputs) != 64 {
		// 4 datasets of 250,000 rows: 16 ciphertexts each (the last one partly padding).
		b.Fatalf("%d ciphertexts, want 64", len(s.inputs))
	}
	sum1MCache[f] = s
	return s
}

// BenchmarkSum1M is a sum of 10^6 values (4 datasets, 64 ciphertexts) through the member path of
// a 2-of-3 committee, all three members up (without noise all three switch, spec.Participants):
// their evaluate phase (storage reads, decoding, evaluation, the output put and posted), their switch phase (smudging sized from
// the noise, the key-switch share saved, put and posted) and the buyer's OpenValues. The phases
// are reported per member as extra metrics; BenchmarkSum1MRaw is the same lattigo work with
// nothing around it.
func BenchmarkSum1M(b *testing.B) {
	f := sharedFixture(b, 3, 2)
	in := sum1MInput(b, f)
	ctx := context.Background()
	live := f.members
	var evalT, switchT, openT time.Duration
	for b.Loop() {
		benchTasks++ // task IDs are never reused: a member re-posts the share it saved for an ID
		id := fmt.Sprintf("bench-sum-%d", benchTasks)
		f.chain.addTask(Task{ID: id, Op: spec.OpSum, Columns: [][][32]byte{in.inputs}, BuyerKey: f.buyerKey})
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
		st := f.chain.state(id)
		if st.phase != "done" {
			b.Fatalf("task in phase %s after two passes", st.phase)
		}
		output, err := f.objs.Get(ctx, st.output)
		if err != nil {
			b.Fatal(err)
		}
		var shares [][]byte
		for _, a := range st.active {
			s, err := f.objs.Get(ctx, st.shares[a])
			if err != nil {
				b.Fatal(err)
			}
			shares = append(shares, s)
		}
		got, err := Open(f.params, f.buyerSK, output, shares, f.chain.threshold)
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		if got.Int64() != in.want {
			b.Fatalf("Open() = %s, want %d", got, in.want)
		}
		f.chain.removeTask(id)
		evalT += t1.Sub(t0)
		switchT += t2.Sub(t1)
		openT += t3.Sub(t2)
	}
	n := float64(b.N) * float64(len(live))
	b.ReportMetric(float64(evalT.Milliseconds())/n, "evaluate-ms/member")
	b.ReportMetric(float64(switchT.Milliseconds())/n, "switch-ms/member")
	b.ReportMetric(float64(openT.Milliseconds())/float64(b.N), "open-ms/op")
}

// BenchmarkSum1MRaw is BenchmarkSum1M's lattigo work alone, on the same ciphertexts decoded
// once: the additions at level 3, the rescale, the inner sum at level 2 and the rescale to level
// 1, both active members' key-switch shares (with their additive shares already derived),
// aggregation, key switch, decryption and decoding. No storage, codec, board, noise estimate or
// saved files.
func BenchmarkSum1MRaw(b *testing.B) {
	f := sharedFixture(b, 3, 2)
	in := sum1MInput(b, f)
	ctx := context.Background()
	c := newCodec(f.params)
	cts := make([]*rlwe.Ciphertext, len(in.inputs))
	for i, d := range in.inputs {
		blob, err := f.objs.Get(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		if cts[i], err = c.ciphertext(blob, singleBuildLevel); err != nil {
			b.Fatal(err)
		}
	}
	keys, err := f.members[0].evalKeys(ctx, f.chain.view())
	if err != nil {
		b.Fatal(err)
	}
	ev := keys.ev
	bpk, err := c.publicKey(f.buyerPK)
	if err != nil {
		b.Fatal(err)
	}
	bsk, err := c.secretKey(f.buyerSK)
	if err != nil {
		b.Fatal(err)
	}
	active := []int{0, 1}
	var sks []*rlwe.SecretKey
	for _, i := range active {
		tsk, err := f.members[i].thresholdKey(ctx, f.chain.view())
		if err != nil {
			b.Fatal(err)
		}
		sk, err := additiveShare(f.params, i, 3, 2, active, *tsk)
		if err != nil {
			b.Fatal(err)
		}
		sks = append(sks, sk)
	}
	smudge, err := smudgingFor(f.params, newNoiseModel(f.params, 3).fresh(), 2)
	if err != nil {
		b.Fatal(err)
	}
	pcks, err := mhe.NewPublicKeySwitchProtocol(f.params, smudge)
	if err != nil {
		b.Fatal(err)
	}
	dec := rlwe.NewDecryptor(f.params, bsk)
	got := make([]int64, Slots(f.params))
	for b.Loop() {
		acc := heint.NewCiphertext(f.params, 1, singleBuildLevel)
		for _, ct := range cts {
			if err := ev.eval.Add(acc, ct, acc); err != nil {
				b.Fatal(err)
			}
		}
		out, err := ev.reduce(acc)
		if err != nil {
			b.Fatal(err)
		}
		if out, err = ev.rescale(out); err != nil {
			b.Fatal(err)
		}
		agg := pcks.AllocateShare(out.Level())
		for _, sk := range sks {
			s := pcks.AllocateShare(out.Level())
			pcks.GenShare(sk, bpk, out, &s)
			if err := pcks.AggregateShares(s, agg, &agg); err != nil {
				b.Fatal(err)
			}
		}
		res := heint.NewCiphertext(f.params, 1, out.Level())
		pcks.KeySwitch(out, agg, res)
		if err := ev.ecd.Decode(dec.DecryptNew(res), got); err != nil {
			b.Fatal(err)
		}
		if got[0] != in.want {
			b.Fatalf("slot 0 = %d, want %d", got[0], in.want)
		}
	}
}
