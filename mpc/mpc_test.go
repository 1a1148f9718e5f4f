package mpc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// The ceremony is the expensive part of these tests (GKG and aggregation of ~90 MB of keys per
// member), so one committee is built per test binary and shared; tests that need their own
// ceremony say so.

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	fixRoot string // removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixRoot != "" {
		if err := os.RemoveAll(fixRoot); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

type fixture struct {
	params  heint.Parameters
	chain   *memChain
	objs    *memObjects
	members []*Member
	dirs    []string
	pk      *rlwe.PublicKey

	buyerSK, buyerPK []byte
	buyerKey         [32]byte
}

var testMembers = []string{"member-a", "member-b", "member-c"}

func sharedFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture() })
	if fixErr != nil {
		tb.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return nil
}

func newFixture() (*fixture, error) {
	ctx := context.Background()
	params, err := NewParams()
	if err != nil {
		return nil, err
	}
	if fixRoot, err = os.MkdirTemp("", "mpc-test-"); err != nil {
		return nil, err
	}
	f := &fixture{params: params, chain: newMemChain(testMembers, "shared fixture seed"), objs: newMemObjects()}
	for _, a := range testMembers {
		dir := filepath.Join(fixRoot, a)
		m, err := NewMember(MemberConfig{Address: a, Dir: dir, Params: params, Board: f.chain.board(a), Objects: f.objs, Logger: testLogger()})
		if err != nil {
			return nil, err
		}
		f.members = append(f.members, m)
		f.dirs = append(f.dirs, dir)
	}
	start := time.Now()
	if _, err := runCeremony(ctx, f.chain, func(i int) *Member { return f.members[i] }); err != nil {
		return nil, err
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "fixture ceremony, 3 members in one process: %s\n", time.Since(start).Round(time.Millisecond))
	}
	if f.pk, err = LoadPublicKey(ctx, f.objs, params, f.chain.view().Keys); err != nil {
		return nil, err
	}
	if f.buyerSK, f.buyerPK, err = NewBuyerKey(params); err != nil {
		return nil, err
	}
	if f.buyerKey, err = f.objs.Put(ctx, f.buyerPK); err != nil {
		return nil, err
	}
	return f, nil
}

// runCeremony steps every member (member(i) may return a fresh Member each time) until the chain
// is ready, and returns the number of passes.
func runCeremony(ctx context.Context, c *memChain, member func(i int) *Member) (int, error) {
	for pass := 1; pass <= 8; pass++ {
		for i := range c.members {
			if _, err := member(i).Step(ctx); err != nil {
				return pass, fmt.Errorf("pass %d: %w", pass, err)
			}
		}
		if c.view().Ready {
			return pass, nil
		}
	}
	return 0, errors.New("ceremony did not finish in 8 passes")
}

// compute posts a task, steps every member once and returns each member's output and share.
func compute(tb testing.TB, c *memChain, objs *memObjects, members []*Member, task Task) (outputs [][32]byte, output []byte, shares [][]byte) {
	tb.Helper()
	ctx := context.Background()
	c.addTask(task)
	for _, m := range members {
		progressed, err := m.Step(ctx)
		if err != nil {
			tb.Fatalf("Step() error: %v", err)
		}
		if !progressed {
			tb.Fatalf("Step() made no progress on task %s", task.ID)
		}
	}
	for _, a := range c.members {
		r, ok := c.result(task.ID, a)
		if !ok {
			tb.Fatalf("%s posted no result for %s", a, task.ID)
		}
		outputs = append(outputs, r[0])
		s, err := objs.Get(ctx, r[1])
		if err != nil {
			tb.Fatal(err)
		}
		shares = append(shares, s)
	}
	output, err := objs.Get(ctx, outputs[0])
	if err != nil {
		tb.Fatal(err)
	}
	return outputs, output, shares
}

func encryptAndPut(tb testing.TB, f *fixture, values []int64) [][32]byte {
	tb.Helper()
	cts, err := EncryptColumn(f.params, f.pk, values)
	if err != nil {
		tb.Fatalf("EncryptColumn() error: %v", err)
	}
	var ds [][32]byte
	for _, ct := range cts {
		d, err := f.objs.Put(context.Background(), ct)
		if err != nil {
			tb.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

func sum(values ...[]int64) *big.Int {
	s := new(big.Int)
	for _, vs := range values {
		for _, v := range vs {
			s.Add(s, big.NewInt(v))
		}
	}
	return s
}

// testValues returns n values in ±1e10 (so that a sum of 40,000 stays below T/2 ≈ 5.6e14) with
// the extremes of the plaintext range at the front.
func testValues(n int, seed uint64) []int64 {
	r := rand.New(rand.NewPCG(seed, 0))
	half := int64(PlaintextModulus / 2)
	v := make([]int64, n)
	for i := range v {
		v[i] = r.Int64N(2e10+1) - 1e10
	}
	v[0], v[1], v[2] = half, -half, -1
	return v
}

func TestCeremonyAndSum(t *testing.T) {
	f := sharedFixture(t)
	v := f.chain.view()
	if !v.Ready {
		t.Fatal("committee is not ready after the ceremony")
	}
	if got, want := len(v.Keys), 2+len(galoisElements(f.params)); got != want {
		t.Errorf("len(Keys) = %d, want %d", got, want)
	}
	if len(f.chain.rejected) != 0 {
		t.Errorf("chain refused posts: %q", f.chain.rejected)
	}
	for _, step := range []string{stepCKG, stepRKG1, stepRKG2, stepGKG, stepKeys} {
		for _, a := range testMembers {
			if len(v.Shares[step][a]) == 0 {
				t.Errorf("%s posted nothing for %s", a, step)
			}
		}
	}
	for _, a := range testMembers {
		if !slices.Equal(v.Shares[stepKeys][a], v.Keys) {
			t.Errorf("%s posted keys %x..., want the agreed %x...", a, v.Shares[stepKeys][a][0][:4], v.Keys[0][:4])
		}
	}

	// 40,000 values over three ciphertexts, in two datasets.
	a, b := testValues(30000, 1), testValues(10000, 2)
	inputs := append(encryptAndPut(t, f, a), encryptAndPut(t, f, b)...)
	if len(inputs) != 3 {
		t.Fatalf("%d ciphertexts, want 3", len(inputs))
	}
	outputs, output, shares := compute(t, f.chain, f.objs, f.members, Task{ID: "sum-1", Op: "sum", Inputs: inputs, BuyerKey: f.buyerKey})
	for i, d := range outputs {
		if d != outputs[0] {
			t.Errorf("member %d output %x, member 0 output %x: evaluation is not deterministic", i, d[:6], outputs[0][:6])
		}
	}
	got, err := Open(f.params, f.buyerSK, output, shares)
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	if want := sum(a, b); got.Cmp(want) != 0 {
		t.Errorf("Open() = %s, want %s", got, want)
	}
	t.Logf("output %d bytes, share %d bytes", len(output), len(shares[0]))

	// Shares in any order.
	slices.Reverse(shares)
	if got2, err := Open(f.params, f.buyerSK, output, shares); err != nil || got2.Cmp(got) != 0 {
		t.Errorf("Open(reversed shares) = %v, %v; want %s", got2, err, got)
	}
}

func TestMeanEvaluatesTheTotal(t *testing.T) {
	f := sharedFixture(t)
	vals := []int64{-5, 7, 1 << 40, -(1 << 39)}
	_, output, shares := compute(t, f.chain, f.objs, f.members, Task{ID: "mean-1", Op: "mean", Inputs: encryptAndPut(t, f, vals), BuyerKey: f.buyerKey})
	got, err := Open(f.params, f.buyerSK, output, shares)
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	if want := sum(vals); got.Cmp(want) != 0 {
		t.Errorf("Open() = %s, want %s", got, want)
	}
}

// collectiveSecret adds the members' key shares: only a test can do this.
func collectiveSecret(tb testing.TB, f *fixture) *rlwe.SecretKey {
	tb.Helper()
	c := newCodec(f.params)
	sk := rlwe.NewSecretKey(f.params)
	for _, dir := range f.dirs {
		b, err := os.ReadFile(filepath.Join(dir, "epoch-1", fileSecretKey))
		if err != nil {
			tb.Fatal(err)
		}
		s, err := c.secretKey(b)
		if err != nil {
			tb.Fatal(err)
		}
		f.params.RingQP().Add(sk.Value, s.Value, sk.Value)
	}
	return sk
}

func TestInnerSumCoversAllSlots(t *testing.T) {
	f := sharedFixture(t)
	n := Slots(f.params)
	if n != 16384 {
		t.Fatalf("Slots() = %d, want 16384", n)
	}
	// Slot i holds i+1, so a sum that skipped any slot or row would come out short.
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = int64(i + 1)
	}
	cts, err := EncryptColumn(f.params, f.pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	m := f.members[0]
	keys, err := m.evalKeys(context.Background(), f.chain.view())
	if err != nil {
		t.Fatal(err)
	}
	ct, err := m.codec.ciphertext(cts[0], evalLevel)
	if err != nil {
		t.Fatal(err)
	}
	acc := heint.NewCiphertext(f.params, 1, evalLevel)
	if err := keys.eval.Add(acc, ct, acc); err != nil {
		t.Fatal(err)
	}
	out, err := innerSum(f.params, keys.eval, acc)
	if err != nil {
		t.Fatal(err)
	}
	sk := collectiveSecret(t, f)
	pt := rlwe.NewDecryptor(f.params, sk).DecryptNew(out)
	got := make([]uint64, n)
	if err := heint.NewEncoder(f.params).Decode(pt, got); err != nil {
		t.Fatal(err)
	}
	want := uint64(n) * uint64(n+1) / 2
	for i, g := range got {
		if g != want {
			t.Fatalf("slot %d = %d, want %d", i, g, want)
		}
	}
	// Noise left at evalLevel for the members' smudging: log2 of the largest |c0 + c1·s - m·T^-1|.
	t.Logf("inner-sum noise: %.0f bits (times T at decoding: +%d bits) of %d at level %d", noiseBits(t, f, out, sk, want), big.NewInt(0).SetUint64(PlaintextModulus).BitLen(), f.params.RingQ().AtLevel(evalLevel).Modulus().BitLen(), evalLevel)
}

// noiseBits returns log2 of the infinity norm of the noise of ct, which encrypts want in every slot.
func noiseBits(tb testing.TB, f *fixture, ct *rlwe.Ciphertext, sk *rlwe.SecretKey, want uint64) float64 {
	tb.Helper()
	pt := rlwe.NewDecryptor(f.params, sk).DecryptNew(ct)
	ref := heint.NewPlaintext(f.params, ct.Level())
	vals := make([]uint64, Slots(f.params))
	for i := range vals {
		vals[i] = want
	}
	if err := heint.NewEncoder(f.params).Encode(vals, ref); err != nil {
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
	maxBits := 0
	for _, c := range coeffs {
		maxBits = max(maxBits, c.BitLen())
	}
	return float64(maxBits)
}

func TestSecretFilesArePrivate(t *testing.T) {
	f := sharedFixture(t)
	for _, dir := range f.dirs {
		var files int
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			} else {
				files++
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("%s has mode %o, want %o", path, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "epoch-1", fileSecretKey)); err != nil {
			t.Errorf("secret key share: %v", err)
		}
		if files == 0 {
			t.Errorf("%s holds no files", dir)
		}
	}
	// Once the committee is ready and a member has stepped, its RKG ephemeral secret is gone.
	if _, err := f.members[0].Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.dirs[0], "epoch-1", fileRKGEphemeral)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ephemeral RKG secret still present after the ceremony: %v", err)
	}
}

// TestRestartMidCeremony runs its own ceremony in which every member is replaced by a fresh Member
// on the same directory before every pass, so member-a restarts right after posting ckg, rkg1 and
// gkg. It also injects the two dangerous post failures: a post that was recorded but reported an
// error, and a post that was lost after the ephemeral secret was saved.
func TestRestartMidCeremony(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second ceremony")
	}
	ctx := context.Background()
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	chain := newMemChain(testMembers, "restart seed")
	objs := newMemObjects()
	root := t.TempDir()
	var lost [][32]byte
	chain.hook = func(member, step string, digests [][32]byte) (bool, error) {
		switch {
		case member == "member-b" && step == stepRKG1 && lost == nil:
			lost = digests
			return false, errors.New("connection reset (post lost)")
		case member == "member-c" && step == stepGKG:
			chain.hook = nil // once
			return true, errors.New("timeout (post recorded)")
		}
		return true, nil
	}
	var first []*Member
	newMember := func(i int) *Member {
		m, err := NewMember(MemberConfig{Address: testMembers[i], Dir: filepath.Join(root, testMembers[i]), Params: params, Board: chain.board(testMembers[i]), Objects: objs, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if len(first) < len(testMembers) {
			first = append(first, m)
		}
		return m
	}

	// Pass 1 by hand, so the failures surface and the state after it can be checked.
	for i := range testMembers {
		_, err := newMember(i).Step(ctx)
		if i == 0 && err != nil {
			t.Fatalf("member-a Step() error: %v", err)
		}
		if i > 0 && err == nil {
			t.Errorf("%s Step() error = nil, want the injected post failure", testMembers[i])
		}
	}
	v := chain.view()
	for _, step := range []string{stepCKG, stepRKG1, stepGKG} {
		if len(v.Shares[step]["member-a"]) == 0 {
			t.Fatalf("member-a did not post %s in its first pass", step)
		}
	}
	if len(v.Shares[stepRKG2]) != 0 {
		t.Fatalf("rkg2 posted before every rkg1 was on the board")
	}

	// The rest with a fresh Member per member per pass.
	passes, err := runCeremony(ctx, chain, func(i int) *Member {
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		return newMember(i)
	})
	if err != nil {
		t.Fatalf("ceremony after restarts: %v", err)
	}
	t.Logf("ceremony finished %d passes after the first", passes)
	if len(chain.rejected) != 0 {
		t.Errorf("chain refused posts (a member posted twice?): %q", chain.rejected)
	}
	if got := chain.view().Shares[stepRKG1]["member-b"]; !slices.Equal(got, lost) {
		t.Errorf("member-b posted rkg1 %x after the lost post, want the share it kept the secret for %x", got[0][:6], lost[0][:6])
	}

	// The keys work: a fresh set of members evaluates a sum the buyer opens exactly.
	var members []*Member
	for i := range testMembers {
		members = append(members, newMember(i))
	}
	f := &fixture{params: params, chain: chain, objs: objs}
	if f.pk, err = LoadPublicKey(ctx, objs, params, chain.view().Keys); err != nil {
		t.Fatal(err)
	}
	if f.buyerSK, f.buyerPK, err = NewBuyerKey(params); err != nil {
		t.Fatal(err)
	}
	if f.buyerKey, err = objs.Put(ctx, f.buyerPK); err != nil {
		t.Fatal(err)
	}
	vals := testValues(1000, 3)
	_, output, shares := compute(t, chain, objs, members, Task{ID: "after-restart", Op: "sum", Inputs: encryptAndPut(t, f, vals), BuyerKey: f.buyerKey})
	got, err := Open(params, f.buyerSK, output, shares)
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	if want := sum(vals); got.Cmp(want) != 0 {
		t.Errorf("Open() = %s, want %s", got, want)
	}
}

func TestOpenRefusesBadInput(t *testing.T) {
	f := sharedFixture(t)
	vals := []int64{1, 2, 3, -4, 1 << 45}
	_, output, shares := compute(t, f.chain, f.objs, f.members, Task{ID: "open-bad", Op: "sum", Inputs: encryptAndPut(t, f, vals), BuyerKey: f.buyerKey})
	if got, err := Open(f.params, f.buyerSK, output, shares); err != nil || got.Cmp(sum(vals)) != 0 {
		t.Fatalf("Open() = %v, %v; want %s", got, err, sum(vals))
	}
	otherSK, _, err := NewBuyerKey(f.params)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, at int) []byte {
		c := slices.Clone(b)
		c[at] ^= 0x55
		return c
	}
	tests := []struct {
		name   string
		sk     []byte
		output []byte
		shares [][]byte
	}{
		{"no shares", f.buyerSK, output, nil},
		{"missing share", f.buyerSK, output, shares[:2]},
		{"duplicated share", f.buyerSK, output, [][]byte{shares[0], shares[1], shares[2], shares[1]}},
		{"share coefficient corrupted", f.buyerSK, output, [][]byte{shares[0], flip(shares[1], len(shares[1])/2), shares[2]}},
		{"share header corrupted", f.buyerSK, output, [][]byte{shares[0], flip(shares[1], 1), shares[2]}},
		{"share truncated", f.buyerSK, output, [][]byte{shares[0], shares[1][:len(shares[1])-8], shares[2]}},
		{"share empty", f.buyerSK, output, [][]byte{shares[0], {}, shares[2]}},
		{"output truncated", f.buyerSK, output[:len(output)-1], shares},
		{"output garbage", f.buyerSK, []byte("not a ciphertext"), shares},
		// The buyer reads only c0 of the output (PCKS replaces c1 with the shares' aggregate).
		{"output c0 coefficient corrupted", f.buyerSK, flip(output, len(output)/4), shares},
		{"output is a share", f.buyerSK, shares[0], shares},
		{"wrong buyer key", otherSK, output, shares},
		{"buyer key garbage", []byte{1, 2, 3}, output, shares},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Open(f.params, tt.sk, tt.output, tt.shares)
			if err == nil {
				t.Fatalf("Open() = %s, want an error", got)
			}
			t.Log(err)
		})
	}
}

func TestTaskWithBadInputIsRefused(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	junk, err := f.objs.Put(ctx, []byte("not a ciphertext"))
	if err != nil {
		t.Fatal(err)
	}
	good := encryptAndPut(t, f, []int64{42})
	f.chain.addTask(Task{ID: "bad-input", Op: "sum", Inputs: append(slices.Clone(good), junk), BuyerKey: f.buyerKey})
	f.chain.addTask(Task{ID: "bad-op", Op: "median", Inputs: good, BuyerKey: f.buyerKey})
	f.chain.addTask(Task{ID: "bad-buyer-key", Op: "sum", Inputs: good, BuyerKey: junk})
	f.chain.addTask(Task{ID: "no-inputs", Op: "sum", BuyerKey: f.buyerKey})
	f.chain.addTask(Task{ID: "fine", Op: "sum", Inputs: good, BuyerKey: f.buyerKey})
	m := f.members[0]
	stopped := time.Now()
	m.now = func() time.Time { return stopped }
	defer func() { m.now = time.Now }()
	progressed, err := m.Step(ctx)
	if err == nil {
		t.Fatal("Step() error = nil, want the bad tasks' errors")
	}
	t.Log(err)
	if !progressed {
		t.Error("Step() did not process the good task next to the bad ones")
	}
	for _, id := range []string{"bad-input", "bad-op", "bad-buyer-key", "no-inputs"} {
		if _, ok := f.chain.result(id, m.cfg.Address); ok {
			t.Errorf("result posted for %s", id)
		}
	}
	if _, ok := f.chain.result("fine", m.cfg.Address); !ok {
		t.Error("no result for the good task")
	}
	// The bad tasks wait before a retry rather than being re-evaluated on every poll.
	if progressed, err := m.Step(ctx); err != nil || progressed {
		t.Errorf("second Step() = %v, %v; want false, nil while the failed tasks back off", progressed, err)
	}
	// After the pause they are tried again.
	stopped = stopped.Add(time.Hour)
	if _, err := m.Step(ctx); err == nil {
		t.Error("Step() after the back-off error = nil, want the bad tasks' errors again")
	}
	// The chain would expire them; drop them so later tests see a clean board.
	for _, id := range []string{"bad-input", "bad-op", "bad-buyer-key", "no-inputs", "fine"} {
		f.chain.removeTask(id)
	}
}

func TestStepRefusesBadCommittee(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(c *memChain)
	}{
		{"not a member", func(c *memChain) { c.members = []string{"x", "y", "z"} }},
		{"threshold below N", func(c *memChain) { c.threshold = 2 }},
		{"duplicate member", func(c *memChain) { c.members = []string{"member-a", "member-a", "member-b"} }},
		{"no seed", func(c *memChain) { c.seed = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMemChain(testMembers, "s")
			tt.mutate(c)
			m, err := NewMember(MemberConfig{Address: "member-a", Dir: t.TempDir(), Params: params, Board: c.board("member-a"), Objects: newMemObjects()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Step(context.Background()); err == nil {
				t.Error("Step() error = nil, want an error")
			} else {
				t.Log(err)
			}
			if len(c.shares) != 0 {
				t.Errorf("posted %v", c.shares)
			}
		})
	}
}

func TestNewMemberValidatesConfig(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	c := newMemChain(testMembers, "s")
	ok := MemberConfig{Address: "member-a", Dir: t.TempDir(), Params: params, Board: c.board("member-a"), Objects: newMemObjects()}
	tests := []struct {
		name   string
		mutate func(*MemberConfig)
	}{
		{"no address", func(c *MemberConfig) { c.Address = "" }},
		{"no dir", func(c *MemberConfig) { c.Dir = "" }},
		{"no board", func(c *MemberConfig) { c.Board = nil }},
		{"no objects", func(c *MemberConfig) { c.Objects = nil }},
		{"no params", func(c *MemberConfig) { c.Params = heint.Parameters{} }},
		{"negative poll", func(c *MemberConfig) { c.Poll = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			if _, err := NewMember(cfg); err == nil {
				t.Error("NewMember() error = nil, want an error")
			}
		})
	}
	m, err := NewMember(ok)
	if err != nil {
		t.Fatalf("NewMember() error: %v", err)
	}
	if m.cfg.Poll != defaultPoll {
		t.Errorf("Poll = %s, want the default %s", m.cfg.Poll, defaultPoll)
	}
	info, err := os.Stat(ok.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o700 {
		t.Errorf("Dir mode %o, want 700", got)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	f := sharedFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := f.members[1].Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run() = %v, want %v", err, context.DeadlineExceeded)
	}
}

func TestEncryptColumnRefusesBadInput(t *testing.T) {
	f := sharedFixture(t)
	half := int64(PlaintextModulus / 2)
	if _, err := EncryptColumn(f.params, f.pk, []int64{half + 1}); err == nil {
		t.Error("EncryptColumn(T/2+1) error = nil, want out of range")
	}
	if _, err := EncryptColumn(f.params, f.pk, []int64{-half - 1}); err == nil {
		t.Error("EncryptColumn(-T/2-1) error = nil, want out of range")
	}
	if _, err := EncryptColumn(f.params, f.pk, nil); err == nil {
		t.Error("EncryptColumn(nil) error = nil, want an error")
	}
	if _, err := EncryptColumn(f.params, nil, []int64{1}); err == nil {
		t.Error("EncryptColumn(nil key) error = nil, want an error")
	}
	if _, err := EncryptColumn(f.params, &rlwe.PublicKey{}, []int64{1}); err == nil {
		t.Error("EncryptColumn(empty key) error = nil, want an error")
	}
	cts, err := EncryptColumn(f.params, f.pk, make([]int64, 2*Slots(f.params)+1))
	if err != nil {
		t.Fatal(err)
	}
	if len(cts) != 3 {
		t.Errorf("%d ciphertexts for 2·slots+1 values, want 3", len(cts))
	}
}

func TestLoadPublicKeyRefusesBadInput(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	keys := f.chain.view().Keys
	if _, err := LoadPublicKey(ctx, f.objs, f.params, nil); err == nil {
		t.Error("LoadPublicKey(no keys) error = nil")
	}
	if _, err := LoadPublicKey(ctx, f.objs, f.params, keys[1:]); err == nil {
		t.Error("LoadPublicKey(relinearization key first) error = nil")
	}
	if _, err := LoadPublicKey(ctx, f.objs, f.params, [][32]byte{{1}}); err == nil {
		t.Error("LoadPublicKey(unknown digest) error = nil")
	}
}
