package mpc

import (
	"context"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// BenchmarkSum1M is the query work for 10^6 values (62 ciphertexts) without storage or board: the
// adds, the inner sum, the three members' key-switch shares, and Open (share aggregation, key switch,
// decryption, from serialized output and shares). The parts are reported as extra metrics.
func BenchmarkSum1M(b *testing.B) {
	f := sharedFixture(b)
	ctx := context.Background()
	const rows = 1_000_000
	vals := testValues(rows, 4)
	vals[0], vals[1] = 5, -7 // testValues' extremes would make this sum overflow T/2
	want := sum(vals)
	blobs, err := EncryptColumn(f.params, f.pk, vals)
	if err != nil {
		b.Fatal(err)
	}
	if len(blobs) != 62 {
		b.Fatalf("%d ciphertexts, want 62", len(blobs))
	}
	c := newCodec(f.params)
	cts := make([]*rlwe.Ciphertext, len(blobs))
	for i, blob := range blobs {
		if cts[i], err = c.ciphertext(blob, evalLevel); err != nil {
			b.Fatal(err)
		}
	}
	m := f.members[0]
	keys, err := m.evalKeys(ctx, f.chain.view())
	if err != nil {
		b.Fatal(err)
	}
	bpk, err := c.publicKey(f.buyerPK)
	if err != nil {
		b.Fatal(err)
	}
	var evalT, shareT, openT time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		acc := heint.NewCiphertext(f.params, 1, evalLevel)
		for _, ct := range cts {
			if err := keys.eval.Add(acc, ct, acc); err != nil {
				b.Fatal(err)
			}
		}
		out, err := innerSum(f.params, keys.eval, acc)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		shares := make([][]byte, len(f.members))
		for i, mem := range f.members {
			sk, err := mem.shareKey()
			if err != nil {
				b.Fatal(err)
			}
			s := mem.pcks.AllocateShare(out.Level())
			mem.pcks.GenShare(sk, bpk, out, &s)
			if shares[i], err = s.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
		output, err := out.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		got, err := Open(f.params, f.buyerSK, output, shares)
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		evalT += t1.Sub(t0)
		shareT += t2.Sub(t1)
		openT += t3.Sub(t2)
		if got.Cmp(want) != 0 {
			b.Fatalf("Open() = %s, want %s", got, want)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(evalT.Milliseconds())/n, "eval-ms/op")
	b.ReportMetric(float64(shareT.Milliseconds())/n/float64(len(f.members)), "share-ms/member")
	b.ReportMetric(float64(openT.Milliseconds())/n, "open-ms/op")
}

// BenchmarkSum1MTopLevel is the same query in raw lattigo at the top level (no level drop, no
// serialization), for comparison with BenchmarkSum1M and the choice of evalLevel.
func BenchmarkSum1MTopLevel(b *testing.B) {
	f := sharedFixture(b)
	vals := testValues(1_000_000, 4)
	vals[0], vals[1] = 5, -7
	want := sum(vals)
	blobs, err := EncryptColumn(f.params, f.pk, vals)
	if err != nil {
		b.Fatal(err)
	}
	c := newCodec(f.params)
	cts := make([]*rlwe.Ciphertext, len(blobs))
	for i, blob := range blobs {
		if cts[i], err = c.ciphertext(blob, 0); err != nil {
			b.Fatal(err)
		}
	}
	keys, err := f.members[0].evalKeys(context.Background(), f.chain.view())
	if err != nil {
		b.Fatal(err)
	}
	bpk, err := c.publicKey(f.buyerPK)
	if err != nil {
		b.Fatal(err)
	}
	bsk, err := c.secretKey(f.buyerSK)
	if err != nil {
		b.Fatal(err)
	}
	top := f.params.MaxLevel()
	ecd := heint.NewEncoder(f.params)
	dec := rlwe.NewDecryptor(f.params, bsk)
	for b.Loop() {
		acc := heint.NewCiphertext(f.params, 1, top)
		for _, ct := range cts {
			if err := keys.eval.Add(acc, ct, acc); err != nil {
				b.Fatal(err)
			}
		}
		out, err := innerSum(f.params, keys.eval, acc)
		if err != nil {
			b.Fatal(err)
		}
		pcks := f.members[0].pcks
		agg := pcks.AllocateShare(top)
		for _, mem := range f.members {
			sk, err := mem.shareKey()
			if err != nil {
				b.Fatal(err)
			}
			s := mem.pcks.AllocateShare(top)
			mem.pcks.GenShare(sk, bpk, out, &s)
			if err := pcks.AggregateShares(s, agg, &agg); err != nil {
				b.Fatal(err)
			}
		}
		res := heint.NewCiphertext(f.params, 1, top)
		pcks.KeySwitch(out, agg, res)
		got := make([]int64, Slots(f.params))
		if err := ecd.Decode(dec.DecryptNew(res), got); err != nil {
			b.Fatal(err)
		}
		if got[0] != want.Int64() {
			b.Fatalf("slot 0 = %d, want %s", got[0], want)
		}
	}
}
