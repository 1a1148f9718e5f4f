package mpc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/spec"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
	"golang.org/x/crypto/nacl/box"
)

// dpSumTask is a noisy sum of vals (Laplace, ε = 0.5, sensitivity 1000).
func dpSumTask(t *testing.T, f *fixture, id string, vals []int64) Task {
	return Task{ID: id, Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey,
		DP: &DP{Mechanism: DPLaplace, Epsilon: 0.5, Sensitivity: []uint64{1000}}}
}

// TestAttackOffsetKeySwitchShareWithNoise: on a computation with DP noise a participant adds an
// offset to its key-switch share. Before shared noise, a DP computation had exactly t
// participants and one subset, so the buyer read sum + noise + delta and could not tell (this
// test then failed: Open returned no error). Now the q = min(n, 2t−1) participants all add the
// same total noise through their Shamir shares of it, every subset is combined, the offset
// makes them disagree, the answer is refused and the cheater is among the named.
func TestAttackOffsetKeySwitchShareWithNoise(t *testing.T) {
	for _, shape := range [][3]int{{3, 2, 1}, {5, 3, 3}} {
		n, th, liar := shape[0], shape[1], shape[2]
		t.Run(fmt.Sprintf("%d-of-%d", th, n), func(t *testing.T) {
			if testing.Short() && n == 5 {
				t.Skip("runs a 5-member ceremony")
			}
			f := sharedFixture(t, n, th)
			defer func() { f.chain.taskHook = nil }()
			vals := smallValues(3000, 31, -1000, 1000)
			task := dpSumTask(t, f, fmt.Sprintf("dp-offset-%d-of-%d", th, n), vals)
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
				t.Fatalf("Open() = %v, %v; want a *VerifyError (the exact sum is %s, the offset 1000000)", got, err, sum(vals))
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

// stripNoise is what a participant that leaves its noise out does to its share object: it
// subtracts, from its PCKS share for each subset S it is in (in subsetsWith order), the
// λ_me^S·σ_me it added, encoded in every slot (a single-valued answer). It knows σ_me: it opened
// the dealings addressed to it.
func stripNoise(tb testing.TB, params heint.Parameters, output, obj []byte, active []int, me, threshold int, sigma []uint64) []byte {
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
	T := params.PlaintextModulus()
	subs := subsetsWith(len(active), threshold, slices.Index(active, me))
	if len(obj) != len(subs)*size {
		tb.Fatalf("share object %d bytes, want %d subsets of %d", len(obj), len(subs), size)
	}
	var out []byte
	for i, sub := range subs {
		set := make([]int, len(sub))
		for k, p := range sub {
			set[k] = active[p]
		}
		l, err := lagrangeAtZero(set, me, T)
		if err != nil {
			tb.Fatal(err)
		}
		vals := make([]uint64, Slots(params))
		for k := range vals {
			vals[k] = (T - mulMod(l, sigma[0], T)) % T
		}
		pt := heint.NewPlaintext(params, ct.Level())
		pt.MetaData = ct.MetaData.CopyNew()
		if err := heint.NewEncoder(params).Encode(vals, pt); err != nil {
			tb.Fatal(err)
		}
		s, err := c.pcksShare(obj[i*size:(i+1)*size], ct.Level())
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

// TestAttackNoiseShareLeftOut: a participant of a DP computation posts its key-switch shares
// without its part of the shared noise (it wants the buyer, its accomplice, to get a less noisy
// answer, or just to skip the work). Before shared noise its one share was unchecked and the
// buyer read the answer with less noise; now the subsets it is in carry less noise than the
// others, they disagree, and the answer is refused with the cheater among the named.
func TestAttackNoiseShareLeftOut(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	defer func() { f.chain.taskHook = nil }()
	vals := smallValues(3000, 32, -1000, 1000)
	task := dpSumTask(t, f, "dp-noise-left-out", vals)
	liar := 2
	cheater := f.chain.members[liar]
	v := f.chain.view()
	f.chain.taskHook = func(m, kind, id string, d *[32]byte) (bool, error) {
		if kind != "share" || m != cheater || id != task.ID {
			return true, nil
		}
		ctx := context.Background()
		st := f.chain.task(id)
		active, err := activeIndices(v, st.active, true)
		if err != nil {
			return false, err
		}
		tt := task
		for _, a := range st.active {
			tt.Noise = append(tt.Noise, st.noise[a])
		}
		sigma, err := f.members[liar].noiseShare(ctx, v, &tt, active, 1)
		if err != nil {
			return false, err
		}
		obj, err := f.objs.Get(ctx, *d)
		if err != nil {
			return false, err
		}
		output, err := f.objs.Get(ctx, st.output)
		if err != nil {
			return false, err
		}
		if *d, err = f.objs.Put(ctx, stripNoise(t, f.params, output, obj, active, liar, v.Threshold, sigma)); err != nil {
			return false, err
		}
		return true, nil
	}
	r := compute(t, f, task, []int{0, 1, 2}, nil)
	got, err := Open(f.params, f.buyerSK, r.output, r.shares, 2)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Open() = %v, %v; want a *VerifyError (the exact sum is %s)", got, err, sum(vals))
	}
	t.Log(err)
	if pos := slices.Index(r.state.active, cheater); !slices.Contains(ve.Suspects, pos) {
		t.Errorf("suspects %v do not include the cheater at %d", ve.Suspects, pos)
	}
}

// TestHonestDPSubsetsAgree: with every participant honest, all subsets of a DP computation
// decrypt to the same answer, the exact one plus noise within its 2^-64 tail.
func TestHonestDPSubsetsAgree(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	vals := smallValues(3000, 33, -1000, 1000)
	r := compute(t, f, dpSumTask(t, f, "dp-honest-subsets", vals), []int{0, 1, 2}, nil)
	if len(r.shares) != 3 {
		t.Fatalf("%d share objects, want 3", len(r.shares))
	}
	got, err := Open(f.params, f.buyerSK, r.output, r.shares, 2)
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	diff := new(big.Int).Sub(got, sum(vals))
	if tail := big.NewInt(int64(spec.LaplaceTail * 1000 / 0.5)); diff.CmpAbs(tail) > 0 {
		t.Errorf("noise %s beyond its 2^-64 tail %s", diff, tail)
	}
	t.Logf("exact %s, noisy %s", sum(vals), got)
}

// TestAttackNoiseDealingForAnotherComputation: a dealer (or anyone replaying a stored object)
// posts, as its noise dealing for one computation, a dealing made for another, a truncated one, or
// one sealed to someone else: each recipient refuses to open it (header bound to the computation,
// dealer and recipient; exact size; nacl/box authenticity). An honest dealing opens, and every t
// recipients' shares interpolate to the dealt noise.
func TestAttackNoiseDealingForAnotherComputation(t *testing.T) {
	const n, th, k = 3, 2, 2
	const T = uint64(65537)
	pubs := make([]*[boxKeySize]byte, n)
	privs := make([]*[boxKeySize]byte, n)
	for i := range pubs {
		pub, priv, err := box.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pubs[i], privs[i] = pub, priv
	}
	eta := []int64{-5, 1234}
	obj, err := dealNoise("task-a", 0, eta, th, T, pubs, privs[0])
	if err != nil {
		t.Fatal(err)
	}
	shares := make([][]uint64, n)
	for j := range n {
		if shares[j], err = openNoise(obj, "task-a", 0, j, n, k, T, pubs[0], privs[j]); err != nil {
			t.Fatalf("recipient %d: honest dealing refused: %v", j, err)
		}
	}
	for _, set := range [][]int{{0, 1}, {0, 2}, {1, 2}} {
		for v := range k {
			var acc uint64
			for _, j := range set {
				l, err := lagrangeAtZero(set, j, T)
				if err != nil {
					t.Fatal(err)
				}
				acc = (acc + mulMod(l, shares[j][v], T)) % T
			}
			if acc != modT(eta[v], T) {
				t.Errorf("subset %v reconstructs %d for value %d, want %d", set, acc, v, modT(eta[v], T))
			}
		}
	}
	for _, tc := range []struct {
		name  string
		obj   []byte
		task  string
		from  int
		peer  *[boxKeySize]byte
		wants string
	}{
		{"replayed for another computation", obj, "task-b", 0, pubs[0], "not for this computation"},
		{"claimed by another dealer", obj, "task-a", 1, pubs[1], "does not open"},
		{"truncated", obj[:len(obj)-1], "task-a", 0, pubs[0], "bytes, want"},
	} {
		if _, err := openNoise(tc.obj, tc.task, tc.from, 1, n, k, T, tc.peer, privs[1]); err == nil || !strings.Contains(err.Error(), tc.wants) {
			t.Errorf("%s: openNoise() = %v, want an error containing %q", tc.name, err, tc.wants)
		}
	}
}

// TestAttackUnopenableNoiseDealing: a participant posts, as its noise dealing, an object that
// does not open for the others (garbage of the right size). A recipient cannot make a share that
// agrees with the other subsets, so it posts none and its error names the dealer: the
// computation then waits for a share that never comes, and expires, refunded.
func TestAttackUnopenableNoiseDealing(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	task := dpSumTask(t, f, "dp-unopenable-dealing", smallValues(3000, 34, -1000, 1000))
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	for i := range f.members { // every member evaluates and deals: the task moves to the switch
		if _, err := f.members[i].Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	dealer := f.chain.members[0]
	garbage := make([]byte, 3*sealedNoiseSize(1))
	if _, err := rand.Read(garbage); err != nil {
		t.Fatal(err)
	}
	d, err := f.objs.Put(ctx, garbage)
	if err != nil {
		t.Fatal(err)
	}
	f.chain.mu.Lock()
	st := f.chain.task(task.ID)
	if st.phase != PhaseSwitch {
		f.chain.mu.Unlock()
		t.Fatalf("task in phase %s after every member evaluated, want %s", st.phase, PhaseSwitch)
	}
	st.noise[dealer] = d
	f.chain.mu.Unlock()
	_, err = f.members[1].Step(ctx)
	if err == nil || !strings.Contains(err.Error(), "noise dealing of participant "+dealer) {
		t.Fatalf("Step() = %v, want an error naming the dealer %s", err, dealer)
	}
	if _, posted := f.chain.state(task.ID).shares[f.chain.members[1]]; posted {
		t.Errorf("the recipient posted a share without the dealer's noise")
	}
}
