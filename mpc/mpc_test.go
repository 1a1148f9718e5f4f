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
	"github.com/tuneinsight/lattigo/v5/mhe"

	"github.com/dxplabs/dxp/spec"
)

// The ceremony is the expensive part of these tests (GKG and aggregation of ~90 MB of keys per
// member), so one committee per shape is built per test binary and shared; tests that need their
// own ceremony say so.

var (
	fixMu    sync.Mutex
	fixtures = map[[2]int]*fixture{}
	fixRoot  string // removed by TestMain
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

func memberNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("member-%c", 'a'+i)
	}
	return names
}

// sharedFixture returns the shared committee of n members with threshold t, running its
// ceremony the first time.
func sharedFixture(tb testing.TB, n, t int) *fixture {
	tb.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	if f := fixtures[[2]int{n, t}]; f != nil {
		return f
	}
	if fixRoot == "" {
		var err error
		if fixRoot, err = os.MkdirTemp("", "mpc-test-"); err != nil {
			tb.Fatal(err)
		}
	}
	f, err := newFixture(filepath.Join(fixRoot, fmt.Sprintf("%d-of-%d", t, n)), n, t)
	if err != nil {
		tb.Fatalf("fixture %d-of-%d: %v", t, n, err)
	}
	fixtures[[2]int{n, t}] = f
	return f
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return nil
}

func newFixture(root string, n, t int) (*fixture, error) {
	ctx := context.Background()
	params, err := NewParams()
	if err != nil {
		return nil, err
	}
	names := memberNames(n)
	f := &fixture{params: params, chain: newMemChain(names, t, fmt.Sprintf("fixture seed %d-of-%d", t, n)), objs: newMemObjects()}
	for _, a := range names {
		dir := filepath.Join(root, a)
		m, err := NewMember(MemberConfig{Address: a, Dir: dir, Params: params, Board: f.chain.board(a), Objects: f.objs, InputChecker: noInputProofs{}, Logger: testLogger()})
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
		fmt.Fprintf(os.Stderr, "fixture ceremony, %d-of-%d in one process: %s\n", t, n, time.Since(start).Round(time.Millisecond))
	}
	if err := f.initBuyer(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fixture) initBuyer(ctx context.Context) error {
	var err error
	if f.pk, err = LoadPublicKey(ctx, f.objs, f.params, f.chain.view().Keys); err != nil {
		return err
	}
	if f.buyerSK, f.buyerPK, err = NewBuyerKey(f.params); err != nil {
		return err
	}
	f.buyerKey, err = f.objs.Put(ctx, f.buyerPK)
	return err
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

// result is a completed computation as the buyer fetches it.
type result struct {
	state  memTask
	output []byte
	shares [][]byte // of the active members, in their order
}

// compute posts a task and steps the live members (indices into f.members; member(i) may return
// a fresh Member) until it completes.
func compute(tb testing.TB, f *fixture, task Task, live []int, member func(i int) *Member) result {
	tb.Helper()
	ctx := context.Background()
	if member == nil {
		member = func(i int) *Member { return f.members[i] }
	}
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	for pass := 0; f.chain.state(task.ID).phase != "done"; pass++ {
		if pass == 4 {
			tb.Fatalf("task %s is still in phase %s after %d passes", task.ID, f.chain.state(task.ID).phase, pass)
		}
		for _, i := range live {
			if _, err := member(i).Step(ctx); err != nil {
				tb.Fatalf("Step() error: %v", err)
			}
		}
	}
	r := result{state: f.chain.state(task.ID)}
	var err error
	if r.output, err = f.objs.Get(ctx, r.state.output); err != nil {
		tb.Fatal(err)
	}
	for _, a := range r.state.active {
		s, err := f.objs.Get(ctx, r.state.shares[a])
		if err != nil {
			tb.Fatal(err)
		}
		r.shares = append(r.shares, s)
	}
	return r
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

// smallValues returns n values in [lo, hi].
func smallValues(n int, seed uint64, lo, hi int64) []int64 {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]int64, n)
	for i := range v {
		v[i] = lo + r.Int64N(hi-lo+1)
	}
	return v
}

func TestCeremony(t *testing.T) {
	f := sharedFixture(t, 3, 2)
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
	want := map[string]int{stepBox: 1, stepCKG: 1, stepRKG1: 1, stepRKG2: 1, stepGKG: 14, stepShamir: 3}
	for step, n := range want {
		for _, a := range v.Members {
			if got := len(v.Shares[step][a]); got != n {
				t.Errorf("%s posted %d digests for %s, want %d", a, got, step, n)
			}
		}
	}
	// The committee is ready once Threshold members agree on the keys; the others need not post.
	if got := len(v.Shares[stepKeys]); got < v.Threshold {
		t.Errorf("%d members posted keys, want at least the threshold %d", got, v.Threshold)
	}
	for a, keys := range v.Shares[stepKeys] {
		if !slices.Equal(keys, v.Keys) {
			t.Errorf("%s posted keys %x..., want the agreed %x...", a, keys[0][:4], v.Keys[0][:4])
		}
	}
	// Any t of the threshold shares give the collective secret: the public key decrypts.
	for _, active := range [][]int{{0, 1}, {1, 2}, {2, 0}} {
		sk := collectiveSecret(t, f, active)
		ct, err := EncryptColumn(f.params, f.pk, []int64{7, -9})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.members[0].codec.ciphertext(ct[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int64, Slots(f.params))
		if err := heint.NewEncoder(f.params).Decode(rlwe.NewDecryptor(f.params, sk).DecryptNew(c), got); err != nil {
			t.Fatal(err)
		}
		if got[0] != 7 || got[1] != -9 {
			t.Errorf("members %v: decrypted %v, want [7 -9 ...]", active, got[:2])
		}
	}
}

// collectiveSecret adds the active members' additive shares of their threshold keys: only a test
// can do this.
func collectiveSecret(tb testing.TB, f *fixture, active []int) *rlwe.SecretKey {
	tb.Helper()
	c := newCodec(f.params)
	sk := rlwe.NewSecretKey(f.params)
	for _, i := range active {
		b, err := os.ReadFile(filepath.Join(f.dirs[i], "epoch-1", fileThresholdKey))
		if err != nil {
			tb.Fatal(err)
		}
		tsk, err := c.shamirShare(b)
		if err != nil {
			tb.Fatal(err)
		}
		s, err := additiveShare(f.params, i, len(f.members), f.chain.threshold, active, *tsk)
		if err != nil {
			tb.Fatal(err)
		}
		f.params.RingQP().Add(sk.Value, s.Value, sk.Value)
	}
	return sk
}

func TestSecretFilesArePrivate(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	// Once the committee is ready and a member has stepped, the ceremony's secrets are gone.
	for _, m := range f.members {
		if _, err := m.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
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
		if _, err := os.Stat(filepath.Join(dir, "epoch-1", fileThresholdKey)); err != nil {
			t.Errorf("threshold key share: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "epoch-1", fileBoxKey)); err != nil {
			t.Errorf("box key (dot-product weights are sealed to it): %v", err)
		}
		for _, name := range []string{fileSecretKey, fileRKGEphemeral, fileShamirPosted} {
			if _, err := os.Stat(filepath.Join(dir, "epoch-1", name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still present after the ceremony: %v", name, err)
			}
		}
		if files == 0 {
			t.Errorf("%s holds no files", dir)
		}
	}
}

// TestRestartMidCeremony runs its own 2-of-3 ceremony in which every member is replaced by a fresh
// Member on the same directory before every pass, so member-a restarts right after posting box,
// ckg, rkg1 and gkg. It also injects the dangerous post failures: a post that was recorded but
// reported an error, and posts that were lost after their secrets were saved.
func TestRestartMidCeremony(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second ceremony")
	}
	ctx := context.Background()
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	names := memberNames(3)
	chain := newMemChain(names, 2, "restart seed")
	objs := newMemObjects()
	root := t.TempDir()
	var lostRKG1, lostShamir [][32]byte
	chain.hook = func(member, step string, digests [][32]byte) (bool, error) {
		switch {
		case member == "member-b" && step == stepRKG1 && lostRKG1 == nil:
			lostRKG1 = digests
			return false, errors.New("connection reset (post lost)")
		case member == "member-a" && step == stepShamir && lostShamir == nil:
			lostShamir = digests
			return false, errors.New("connection reset (post lost)")
		case member == "member-c" && step == stepGKG:
			return true, errors.New("timeout (post recorded)")
		}
		return true, nil
	}
	newMember := func(i int) *Member {
		m, err := NewMember(MemberConfig{Address: names[i], Dir: filepath.Join(root, names[i]), Params: params, Board: chain.board(names[i]), Objects: objs, InputChecker: noInputProofs{}, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	// Pass 1 by hand, so the failures surface and the state after it can be checked.
	for i := range names {
		_, err := newMember(i).Step(ctx)
		if i == 0 && err != nil {
			t.Fatalf("member-a Step() error: %v", err)
		}
		if i > 0 && err == nil {
			t.Errorf("%s Step() error = nil, want the injected post failure", names[i])
		}
	}
	v := chain.view()
	for _, step := range []string{stepBox, stepCKG, stepRKG1, stepGKG} {
		if len(v.Shares[step]["member-a"]) == 0 {
			t.Fatalf("member-a did not post %s in its first pass", step)
		}
	}
	if len(v.Shares[stepRKG2]) != 0 || len(v.Shares[stepShamir]) != 0 {
		t.Fatalf("rkg2 or shamir posted before every rkg1 and box key was on the board")
	}

	passes, err := runCeremony(ctx, chain, func(i int) *Member {
		if i == 2 {
			chain.hook = nil // member-c's gkg error was injected once, in pass 1
		}
		return newMember(i)
	})
	if err == nil {
		t.Logf("ceremony finished %d passes after the first", passes)
	} else {
		// member-a's lost shamir post surfaces as an error in the pass it happened; carry on.
		t.Logf("pass with an injected failure: %v", err)
		if _, err := runCeremony(ctx, chain, newMember); err != nil {
			t.Fatalf("ceremony after restarts: %v", err)
		}
	}
	if len(chain.rejected) != 0 {
		t.Errorf("chain refused posts (a member posted twice?): %q", chain.rejected)
	}
	if got := chain.view().Shares[stepRKG1]["member-b"]; !slices.Equal(got, lostRKG1) {
		t.Errorf("member-b posted rkg1 %x after the lost post, want the share it kept the secret for %x", got[0][:6], lostRKG1[0][:6])
	}
	if got := chain.view().Shares[stepShamir]["member-a"]; !slices.Equal(got, lostShamir) {
		t.Errorf("member-a posted other shamir shares after the lost post")
	}

	// The keys work: two fresh members evaluate a sum the buyer opens exactly.
	f := &fixture{params: params, chain: chain, objs: objs}
	for i := range names {
		f.members = append(f.members, newMember(i))
		f.dirs = append(f.dirs, filepath.Join(root, names[i]))
	}
	if err := f.initBuyer(ctx); err != nil {
		t.Fatal(err)
	}
	vals := testValues(1000, 3)
	r := compute(t, f, Task{ID: "after-restart", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey}, []int{0, 1, 2}, nil)
	got, err := Open(params, f.buyerSK, r.output, r.shares, f.chain.threshold)
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	if want := sum(vals); got.Cmp(want) != 0 {
		t.Errorf("Open() = %s, want %s", got, want)
	}
}

func TestOpenRefusesBadInput(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	vals := []int64{1, 2, 3, -4, 1 << 45}
	r := compute(t, f, Task{ID: "open-bad", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, vals)}, BuyerKey: f.buyerKey}, []int{0, 1, 2}, nil)
	output, shares := r.output, r.shares
	if got, err := Open(f.params, f.buyerSK, output, shares, f.chain.threshold); err != nil || got.Cmp(sum(vals)) != 0 {
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
		k      int
	}{
		{"no shares", f.buyerSK, output, nil, 1},
		{"missing share", f.buyerSK, output, shares[:2], 1},
		{"one share", f.buyerSK, output, shares[:1], 1},
		{"duplicated share", f.buyerSK, output, [][]byte{shares[0], shares[1], shares[1]}, 1},
		{"shares out of order", f.buyerSK, output, [][]byte{shares[1], shares[0], shares[2]}, 1},
		{"share coefficient corrupted", f.buyerSK, output, [][]byte{shares[0], flip(shares[1], len(shares[1])/2), shares[2]}, 1},
		{"share header corrupted", f.buyerSK, output, [][]byte{shares[0], flip(shares[1], 1), shares[2]}, 1},
		{"share truncated", f.buyerSK, output, [][]byte{shares[0], shares[1][:len(shares[1])-8], shares[2]}, 1},
		{"share empty", f.buyerSK, output, [][]byte{shares[0], {}, shares[2]}, 1},
		{"output truncated", f.buyerSK, output[:len(output)-1], shares, 1},
		{"output garbage", f.buyerSK, []byte("not a ciphertext"), shares, 1},
		// The buyer reads only c0 of the output (PCKS replaces c1 with the shares' aggregate).
		{"output c0 coefficient corrupted", f.buyerSK, flip(output, len(output)/4), shares, 1},
		{"output is a share", f.buyerSK, shares[0], shares, 1},
		{"wrong buyer key", otherSK, output, shares, 1},
		{"buyer key garbage", []byte{1, 2, 3}, output, shares, 1},
		{"k beyond the layout", f.buyerSK, output, shares, 2},
		{"k zero", f.buyerSK, output, shares, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenValues(f.params, tt.sk, tt.output, tt.shares, f.chain.threshold, tt.k)
			if err == nil {
				t.Fatalf("OpenValues() = %s, want an error", got)
			}
			t.Log(err)
		})
	}
}

func TestTaskWithBadInputIsRefused(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	junk, err := f.objs.Put(ctx, []byte("not a ciphertext"))
	if err != nil {
		t.Fatal(err)
	}
	good := encryptAndPut(t, f, []int64{42})
	col := func(ds ...[32]byte) [][][32]byte { return [][][32]byte{ds} }
	bad := []Task{
		{ID: "bad-input", Op: spec.OpSum, Columns: col(append(slices.Clone(good), junk)...)},
		{ID: "bad-op", Op: "median", Columns: col(good...)},
		{ID: "no-inputs", Op: spec.OpSum},
		{ID: "empty-column", Op: spec.OpSum, Columns: [][][32]byte{{}}},
		{ID: "two-columns-for-sum", Op: spec.OpSum, Columns: [][][32]byte{good, good}},
		{ID: "misaligned", Op: spec.OpRegression, Columns: [][][32]byte{good, append(slices.Clone(good), good...)}},
		{ID: "one-column-regression", Op: spec.OpRegression, Columns: col(good...)},
		{ID: "dot-without-weights", Op: spec.OpDot, Columns: col(good...)},
		{ID: "weights-for-sum", Op: spec.OpSum, Columns: col(good...), WeightsObject: good[0]},
		{ID: "histogram-without-tables", Op: spec.OpHistogram},
		{ID: "histogram-bad-edge", Op: spec.OpHistogram, Histogram: &HistogramInput{Tables: good, Min: 0, Bin: 10, Edges: []int64{0, 15}}},
		{ID: "histogram-decreasing", Op: spec.OpHistogram, Histogram: &HistogramInput{Tables: good, Min: 0, Bin: 10, Edges: []int64{20, 10}}},
		{ID: "histogram-zero-bin", Op: spec.OpHistogram, Histogram: &HistogramInput{Tables: good, Edges: []int64{0, 1}}},
	}
	for _, tt := range bad {
		tt.BuyerKey = f.buyerKey
		f.chain.addTask(tt)
	}
	f.chain.addTask(Task{ID: "fine", Op: spec.OpSum, Columns: col(good...), BuyerKey: f.buyerKey})
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
	for _, tt := range bad {
		if _, ok := f.chain.state(tt.ID).outputs[m.cfg.Address]; ok {
			t.Errorf("output posted for %s", tt.ID)
		}
	}
	if _, ok := f.chain.state("fine").outputs[m.cfg.Address]; !ok {
		t.Error("no output for the good task")
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
	for _, tt := range bad {
		f.chain.removeTask(tt.ID)
	}
	f.chain.removeTask("fine")
}

func TestSwitchRefusesBadTask(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	m := f.members[0]
	v := f.chain.view()
	col := [][][32]byte{encryptAndPut(t, f, []int64{1})}
	junk, err := f.objs.Put(ctx, []byte("junk"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		t    Task
	}{
		{"not active", Task{Active: []string{"member-b", "member-c"}}},
		{"too few active", Task{Active: []string{"member-a"}}},
		{"too many active", Task{Active: []string{"member-a", "member-b", "member-c"}}},
		{"stranger active", Task{Active: []string{"member-a", "member-x"}}},
		{"active twice", Task{Active: []string{"member-a", "member-a"}}},
		{"output missing", Task{Active: []string{"member-a", "member-b"}, Output: [32]byte{9}}},
		{"output junk", Task{Active: []string{"member-a", "member-b"}, Output: junk}},
		{"bad dp", Task{Active: []string{"member-a", "member-b"}, DP: &DP{Mechanism: "cauchy", Epsilon: 1, Sensitivity: []uint64{1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := tt.t
			task.ID, task.Op, task.Phase, task.Columns, task.BuyerKey = "switch-"+tt.name, spec.OpSum, PhaseSwitch, col, f.buyerKey
			err := m.switchTask(ctx, v, &task)
			if err == nil {
				t.Fatal("switchTask() error = nil, want an error")
			}
			t.Log(err)
		})
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
		{"threshold 0", func(c *memChain) { c.threshold = 0 }},
		{"threshold 1 of 3", func(c *memChain) { c.threshold = 1 }},
		{"threshold above N", func(c *memChain) { c.threshold = 4 }},
		{"duplicate member", func(c *memChain) { c.members = []string{"member-a", "member-a", "member-b"} }},
		{"no seed", func(c *memChain) { c.seed = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMemChain(memberNames(3), 2, "s")
			tt.mutate(c)
			m, err := NewMember(MemberConfig{Address: "member-a", Dir: t.TempDir(), Params: params, Board: c.board("member-a"), Objects: newMemObjects(), InputChecker: noInputProofs{}})
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
	c := newMemChain(memberNames(3), 2, "s")
	ok := MemberConfig{Address: "member-a", Dir: t.TempDir(), Params: params, Board: c.board("member-a"), Objects: newMemObjects(), InputChecker: noInputProofs{}}
	tests := []struct {
		name   string
		mutate func(*MemberConfig)
	}{
		{"no address", func(c *MemberConfig) { c.Address = "" }},
		{"no dir", func(c *MemberConfig) { c.Dir = "" }},
		{"no board", func(c *MemberConfig) { c.Board = nil }},
		{"no objects", func(c *MemberConfig) { c.Objects = nil }},
		{"no input checker", func(c *MemberConfig) { c.InputChecker = nil }},
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
	f := sharedFixture(t, 3, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := f.members[1].Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run() = %v, want %v", err, context.DeadlineExceeded)
	}
}

func TestEncryptColumnRefusesBadInput(t *testing.T) {
	f := sharedFixture(t, 3, 2)
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

func TestEncryptFrequenciesRefusesBadInput(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	n := int64(Slots(f.params))
	tests := []struct {
		name     string
		values   []int64
		min, bin int64
	}{
		{"below min", []int64{-1}, 0, 1},
		{"past the last bin", []int64{n * 10}, 0, 10},
		{"zero bin", []int64{1}, 0, 0},
		{"negative bin", []int64{1}, 0, -1},
		{"overflowing offset", []int64{1 << 62}, -(1 << 62), 1},
	}
	for _, tt := range tests {
		if _, err := EncryptFrequencies(f.params, f.pk, tt.values, tt.min, tt.bin); err == nil {
			t.Errorf("EncryptFrequencies(%s) error = nil, want an error", tt.name)
		}
	}
	if _, err := EncryptFrequencies(f.params, nil, []int64{1}, 0, 1); err == nil {
		t.Error("EncryptFrequencies(nil key) error = nil, want an error")
	}
	if _, err := EncryptFrequencies(f.params, f.pk, []int64{-5, -5 + n*10 - 1}, -5, 10); err != nil {
		t.Errorf("EncryptFrequencies(first and last bin) error: %v", err)
	}
}

func TestLoadPublicKeyRefusesBadInput(t *testing.T) {
	f := sharedFixture(t, 3, 2)
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

// additive shares from different active sets add up to the same secret (checked via decryption in
// TestCeremony); here the combiner refuses an active set of the wrong size.
func TestAdditiveShareNeedsExactlyThreshold(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	var tsk mhe.ShamirSecretShare
	if _, err := additiveShare(f.params, 0, 3, 2, []int{0}, tsk); err == nil {
		t.Error("additiveShare(1 active of threshold 2) error = nil")
	}
	if _, err := additiveShare(f.params, 0, 3, 2, []int{0, 1, 2}, tsk); err == nil {
		t.Error("additiveShare(3 active of threshold 2) error = nil")
	}
}

// memberBoxKeys returns the box public keys the members posted in the ceremony, in the
// committee's order: what a buyer seals its dot-product weights to.
func memberBoxKeys(tb testing.TB, f *fixture) []*[32]byte {
	tb.Helper()
	v := f.chain.view()
	var out []*[32]byte
	for _, a := range v.Members {
		b, err := f.objs.Get(context.Background(), v.Shares[stepBox][a][0])
		if err != nil || len(b) != 32 {
			tb.Fatalf("box key of %s: %d bytes, %v", a, len(b), err)
		}
		k := [32]byte(b)
		out = append(out, &k)
	}
	return out
}

// sealWeights seals weights to f's members and puts the object in storage, as a buyer does.
func sealWeights(tb testing.TB, f *fixture, weights []int64) (object, commitment [32]byte) {
	tb.Helper()
	obj, c, err := SealWeights(memberBoxKeys(tb, f), weights)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := f.objs.Put(context.Background(), obj)
	if err != nil {
		tb.Fatal(err)
	}
	return d, c
}
