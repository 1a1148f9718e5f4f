package mpc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"

	"golang.org/x/crypto/nacl/box"

	"github.com/dxplabs/dxp/spec"
)

// dotTask is a dot product over one dataset of rows values with the given weights object.
func dotTask(tb testing.TB, f *fixture, id string, rows int, obj, commitment [32]byte, bound uint64) Task {
	tb.Helper()
	x := smallValues(rows, 99, 0, 1000)
	return Task{ID: id, Op: spec.OpDot, Columns: [][][32]byte{encryptAndPut(tb, f, x)}, WeightsObject: obj,
		WeightsCommitment: commitment, WeightBound: bound, Rows: []uint64{uint64(rows)}, BuyerKey: f.buyerKey}
}

// stepAll steps every member once, failing on any error.
func stepAll(tb testing.TB, f *fixture) {
	tb.Helper()
	for _, m := range f.members {
		if _, err := m.Step(context.Background()); err != nil {
			tb.Fatalf("Step() error: %v", err)
		}
	}
}

// TestAttackDotWeightBeyondDeclaredBound is attack 3 as a buyer runs it: it declares a weight
// bound of 1 (so the chain sizes overflow and DP noise for weights of magnitude 1) and seals a
// one-hot weight of 10^9 that would read the row out of the DP release. Before the fix the
// weights were ciphertexts nobody could check, and the members evaluated them (this test failed:
// outputs were posted and nothing was refused). Now every member opens the weights, finds the
// weight above the bound, and refuses before evaluating: no output, Threshold refusals.
func TestAttackDotWeightBeyondDeclaredBound(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	const rows = 100
	w := make([]int64, rows)
	w[17] = 1_000_000_000
	obj, c := sealWeights(t, f, w)
	task := dotTask(t, f, "one-hot-1e9-declared-1", rows, obj, c, 1)
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	stepAll(t, f)
	st := f.chain.state(task.ID)
	if len(st.outputs) != 0 {
		t.Fatalf("%d members evaluated weights above their declared bound", len(st.outputs))
	}
	if st.phase != "refused" || len(st.refused) < 2 {
		t.Fatalf("phase %q, %d refusals; want refused by the threshold, 2", st.phase, len(st.refused))
	}
	for m, why := range st.refused {
		if !strings.Contains(why, "above the declared bound 1 ") || strings.Contains(why, "1000000000") {
			t.Errorf("%s refused with %q; want the bound named and the weight not revealed", m, why)
		}
	}
}

// TestAttackDotWeightsNotMatchingCommitment: a buyer tries to give one member other weights than
// the others (to make the members disagree, or to learn from a split). The key copy sealed to
// member 0 is replaced by another key, so member 0's weights do not open; a request whose
// commitment is not the sealed weights' is refused by every member.
func TestAttackDotWeightsNotMatchingCommitment(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	const rows = 50
	w := smallValues(rows, 3, -5, 5)
	keys := memberBoxKeys(t, f)
	obj, c, err := SealWeights(keys, w)
	if err != nil {
		t.Fatal(err)
	}
	var other [32]byte
	rand.Read(other[:])
	forged, err := box.SealAnonymous(nil, other[:], keys[0], rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	off := len(weightsMagic) + 4
	copy(obj[off:off+sealedWeightsKey], forged)
	d, _ := f.objs.Put(context.Background(), obj)
	split := dotTask(t, f, "split-weights", rows, d, c, 5)
	f.chain.addTask(split)
	defer f.chain.removeTask(split.ID)

	good, _ := sealWeights(t, f, w)
	_, otherCommit := sealWeights(t, f, w) // the same weights under another salt
	wrong := dotTask(t, f, "wrong-commitment", rows, good, otherCommit, 5)
	f.chain.addTask(wrong)
	defer f.chain.removeTask(wrong.ID)

	stepAll(t, f)
	st := f.chain.state(split.ID)
	if why, ok := st.refused[f.members[0].cfg.Address]; !ok || !strings.Contains(why, "do not open") {
		t.Errorf("member 0 refused %v (%q); want refused: its weights do not open", ok, why)
	}
	if _, ok := st.outputs[f.members[0].cfg.Address]; ok {
		t.Error("member 0 evaluated weights that were not the committed ones")
	}
	// The two others agree on the committed weights; a checked answer needs all three members of
	// 2-of-3 (spec.Participants), so this computation waits and expires refunded on the chain.
	var outs [][32]byte
	for _, o := range st.outputs {
		outs = append(outs, o)
	}
	if len(outs) != 2 || outs[0] != outs[1] || st.phase == PhaseSwitch {
		t.Errorf("%d outputs, phase %q; want the 2 other members to agree on the committed weights, no switch", len(outs), st.phase)
	}
	st = f.chain.state(wrong.ID)
	if len(st.outputs) != 0 || len(st.refused) < 2 {
		t.Errorf("wrong commitment: %d outputs, %d refusals; want 0 and the threshold, 2", len(st.outputs), len(st.refused))
	}
	for _, why := range st.refused {
		if !strings.Contains(why, "do not match the request's commitment") {
			t.Errorf("refused with %q, want the commitment named", why)
		}
	}
}

// TestAttackDotFreeWork: a requester loads the committee with computations that cannot run, a
// weights object that is not in storage or a buyer key object that does not parse. Before the fix
// the members retried them until the deadline refunded them at no cost (this test failed: no
// refusal, only errors). Now the members refuse them at once, which the chain charges to the
// requester.
func TestAttackDotFreeWork(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	const rows = 10
	w := make([]int64, rows)
	_, c := sealWeights(t, f, w)
	missing := dotTask(t, f, "missing-weights", rows, sha256.Sum256([]byte("never uploaded")), c, 1)
	obj, c2 := sealWeights(t, f, w)
	badKey := dotTask(t, f, "broken-buyer-key", rows, obj, c2, 1)
	badKey.BuyerKey, _ = f.objs.Put(context.Background(), []byte("not an RLWE public key"))
	noKey := Task{ID: "missing-buyer-key", Op: spec.OpSum, Columns: badKey.Columns, BuyerKey: sha256.Sum256([]byte("no key"))}
	for _, task := range []Task{missing, badKey, noKey} {
		f.chain.addTask(task)
		defer f.chain.removeTask(task.ID)
	}
	stepAll(t, f)
	for _, tc := range []struct{ id, why string }{
		{missing.ID, "weights object is missing"},
		{badKey.ID, "does not parse"},
		{noKey.ID, "key object is missing"},
	} {
		st := f.chain.state(tc.id)
		if len(st.outputs) != 0 || st.phase != "refused" {
			t.Errorf("%s: %d outputs, phase %q; want refused before any evaluation", tc.id, len(st.outputs), st.phase)
		}
		for _, why := range st.refused {
			if !strings.Contains(why, tc.why) {
				t.Errorf("%s refused with %q, want %q", tc.id, why, tc.why)
			}
		}
	}
}

// TestOpenWeightsRoundTrip: every member opens its copy, and only its own; weights at the bound
// pass and MinInt64 does not slip under a bound by its two's complement.
func TestOpenWeightsRoundTrip(t *testing.T) {
	var pubs []*[32]byte
	var privs []*[32]byte
	for range 3 {
		pub, priv, err := box.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pubs, privs = append(pubs, pub), append(privs, priv)
	}
	w := []int64{-7, 7, 0, -9223372036854775808}
	obj, c, err := SealWeights(pubs, w)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pubs {
		got, err := openWeights(obj, i, pubs[i], privs[i], c)
		if err != nil || len(got) != len(w) || got[3] != w[3] || got[0] != -7 {
			t.Fatalf("member %d: %v, %v", i, got, err)
		}
	}
	if err := checkWeights(w[:3], []uint64{3}, 7); err != nil {
		t.Errorf("weights at the bound refused: %v", err)
	}
	if err := checkWeights(w, []uint64{4}, 1<<62); err == nil {
		t.Error("MinInt64 accepted under a bound of 2^62")
	}
	if err := checkWeights(w[:3], []uint64{2}, 7); err == nil {
		t.Error("3 weights accepted for 2 rows")
	}
	if _, err := openWeights(obj, 1, pubs[0], privs[0], c); err == nil {
		t.Error("member 0's keys opened member 1's copy")
	}
	if _, err := openWeights(obj[:len(obj)-1], 0, pubs[0], privs[0], c); err == nil {
		t.Error("a truncated object opened")
	}
}
