package mpc

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// TestAttackListingWithForgedObjects: an owner lists datasets whose digests name objects that are
// not what a listing claims: an object that is not in storage, bytes that are not a ciphertext,
// the committee's own public key, and a ciphertext too low in the modulus chain for the ops. Each
// member that checks a listing posts an invalid verdict naming the object, and Threshold of them
// refuse the dataset before any computation can touch it; an honest listing next to them is
// listed.
func TestAttackListingWithForgedObjects(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	put := func(b []byte) [32]byte {
		d, err := f.objs.Put(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	honest := encryptAndPut(t, f, smallValues(100, 7, -10, 10))
	table, err := EncryptFrequencies(f.params, f.pk, smallValues(100, 7, -10, 10), -10, 1)
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, len(mustGet(t, f, honest[0])))
	rand.Read(noise)
	pk, err := f.pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	low := heint.NewCiphertext(f.params, 1, 1)
	lowBytes, err := low.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	listings := map[string]struct {
		columns [][][32]byte
		table   [32]byte
		want    string // "" listed, else the reason's start
	}{
		"honest":     {[][][32]byte{honest}, put(table), ""},
		"missing":    {[][][32]byte{{honest[0], {7}}}, [32]byte{}, "column a ciphertext 1 (070000000000) is not in storage"},
		"noise":      {[][][32]byte{{put(noise)}}, [32]byte{}, "column a ciphertext 0"},
		"public-key": {[][][32]byte{honest}, put(pk), "column a frequency table"},
		"low-level":  {[][][32]byte{{put(lowBytes)}}, [32]byte{}, "column a ciphertext 0"},
	}
	for id, l := range listings {
		f.chain.addListing(Task{ID: id, Columns: l.columns, ColumnNames: []string{"a"}, Tables: [][32]byte{l.table}})
	}
	for _, m := range f.members {
		if _, err := m.Step(ctx); err != nil {
			t.Fatalf("member step: %v", err)
		}
	}
	for id, l := range listings {
		got := f.chain.listing(id)
		switch {
		case l.want == "" && got.status != "listed":
			t.Errorf("%s: %s with verdicts %v, want listed", id, got.status, got.verdicts)
		case l.want != "" && got.status != "refused":
			t.Errorf("%s: %s with verdicts %v, want refused", id, got.status, got.verdicts)
		}
		for member, reason := range got.verdicts {
			if l.want != "" && !strings.HasPrefix(reason, l.want) {
				t.Errorf("%s: %s's reason %q, want it to start %q", id, member, reason, l.want)
			}
		}
	}
}

func mustGet(tb testing.TB, f *fixture, d [32]byte) []byte {
	tb.Helper()
	b, err := f.objs.Get(context.Background(), d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
