package mpc

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

// ceremonyRun is a 2-of-3 committee of its own (chain, storage, private directories) for tests that
// corrupt its ceremony.
type ceremonyRun struct {
	params heint.Parameters
	chain  *memChain
	objs   Objects
	root   string
	names  []string
	// objects, if set, gives member i's object store instead of objs.
	objects func(i int) Objects
}

func newCeremonyRun(tb testing.TB, seed string) *ceremonyRun {
	tb.Helper()
	params, err := NewParams()
	if err != nil {
		tb.Fatal(err)
	}
	names := memberNames(3)
	return &ceremonyRun{params: params, chain: newMemChain(names, 2, seed), objs: newMemObjects(), root: tb.TempDir(), names: names}
}

func (r *ceremonyRun) dir(i int) string { return filepath.Join(r.root, r.names[i]) }

// member returns a fresh Member for member i on its directory.
func (r *ceremonyRun) member(tb testing.TB, i int) *Member {
	tb.Helper()
	objs := r.objs
	if r.objects != nil {
		objs = r.objects(i)
	}
	m, err := NewMember(MemberConfig{Address: r.names[i], Dir: r.dir(i), Params: r.params, Board: r.chain.board(r.names[i]), Objects: objs, InputChecker: noInputProofs{}, Logger: testLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// plant writes a file into member i's private directory for epoch 1, as the member's own code
// would: a rogue member runs the real member code on secrets and shares it made itself.
func (r *ceremonyRun) plant(tb testing.TB, i int, name string, data []byte) {
	tb.Helper()
	st, err := openState(r.dir(i))
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.create(1, name, data); err != nil {
		tb.Fatal(err)
	}
}

// run steps every member (a fresh Member per pass, as after restarts) for passes passes or until
// the committee is ready, and returns each member's last Step error.
func (r *ceremonyRun) run(tb testing.TB, passes int) map[string]error {
	tb.Helper()
	errs := make(map[string]error)
	for pass := 0; pass < passes && !r.chain.view().Ready; pass++ {
		for i, a := range r.names {
			_, errs[a] = r.member(tb, i).Step(context.Background())
		}
	}
	return errs
}

// publicKeyOf aggregates the revealed ckg shares on the board: the collective public key.
func (r *ceremonyRun) publicKeyOf(tb testing.TB) *rlwe.PublicKey {
	tb.Helper()
	v := r.chain.view()
	c := newCodec(r.params)
	var shares []*mhe.PublicKeyGenShare
	for _, a := range v.Members {
		b, err := r.objs.Get(context.Background(), v.Shares[stepCKG][a][0])
		if err != nil {
			tb.Fatalf("ckg share of %s: %v", a, err)
		}
		s, err := c.ckgShare(b)
		if err != nil {
			tb.Fatal(err)
		}
		shares = append(shares, s)
	}
	pk, err := newCeremony(r.params, v.Seed, v.Epoch).publicKey(shares)
	if err != nil {
		tb.Fatal(err)
	}
	return pk
}

// TestAttackRogueCollectiveKey: the last member to post its ckg share waits for the others', reads
// them in storage and commits target − Σ others, so that the collective public key would be
// target's, whose secret it alone holds. Its other shares and its Shamir dealing come from a key
// share of its own, and otherwise it runs the real member code.
//
// With commit then reveal the honest shares are not in storage when the rogue must commit (on the
// code before, they were put before their digests were posted, and the read succeeded), so its
// share is target's alone: the collective key is then neither the rogue's (target does not open
// it) nor the one the members' threshold shares open, the known-answer check fails for every
// member set, the honest members do not vote, and the committee is not ready. (A rogue whose
// shares all come from target is just an honest member with key share target.)
func TestAttackRogueCollectiveKey(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a ceremony")
	}
	ctx := context.Background()
	r := newCeremonyRun(t, "rogue ckg seed")
	const rogue = 2
	for i := 0; i < rogue; i++ {
		if _, err := r.member(t, i).Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	v := r.chain.view()
	cer := newCeremony(r.params, v.Seed, v.Epoch)
	target := cer.newSecret()
	share, err := cer.ckgShare(target) // −target·a + e: alone, a public key for target
	if err != nil {
		t.Fatal(err)
	}
	c := newCodec(r.params)
	for _, a := range r.names[:rogue] {
		if len(v.Shares[stepCKG][a]) != 1 {
			t.Fatalf("%s has not posted its ckg share", a)
		}
		b, err := r.objs.Get(ctx, v.Shares[stepCKG][a][0])
		if err != nil {
			continue // committed, not revealed: nothing to subtract
		}
		t.Errorf("the rogue read %s's ckg share before committing its own", a)
		s, err := c.ckgShare(b)
		if err != nil {
			t.Fatal(err)
		}
		r.params.RingQP().Sub(share.Value, s.Value, share.Value)
	}
	sb, err := share.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	kb, err := cer.newSecret().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r.plant(t, rogue, fileSecretKey, kb)
	commit, _ := encodeCommit([][]byte{sb})
	r.plant(t, rogue, commitFile(stepCKG), commit)

	errs := r.run(t, 8)
	v = r.chain.view()
	if v.Ready {
		t.Fatal("the committee is ready under a public key the rogue chose")
	}
	if got := v.Shares[stepCKG][r.names[rogue]]; len(got) != 1 {
		t.Fatalf("the rogue's ckg share was not posted: %v", got)
	}
	for _, a := range r.names[:rogue] {
		if _, voted := v.Shares[stepKeys][a]; voted {
			t.Errorf("honest %s voted for the keys", a)
		}
		if err := errs[a]; err == nil || !strings.Contains(err.Error(), "known-answer check failed for every member set") {
			t.Errorf("%s: Step() error = %v, want the known-answer check to fail for every member set", a, err)
		}
	}
	// The collective key is not the rogue's: its target secret does not open it.
	cts, err := EncryptColumn(r.params, r.publicKeyOf(t), []int64{7})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.ciphertext(cts[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int64, Slots(r.params))
	if err := heint.NewEncoder(r.params).Decode(rlwe.NewDecryptor(r.params, target).DecryptNew(ct), got); err != nil {
		t.Fatal(err)
	}
	if got[0] == 7 {
		t.Error("the rogue's target secret decrypts under the collective public key")
	}
}

// TestAttackCorruptedGaloisKeyShare: a rogue member commits the Galois-key share of one element
// (the row rotation, the last key) made with a secret other than its key share; every other share
// of its is honest. The collective Galois key for that element is then wrong. On the code before,
// nothing checked the keys: the committee became ready and every computation using that rotation
// would decrypt to garbage. Now the known-answer check rotates by every element, fails for every
// member set, and the committee is not ready.
func TestAttackCorruptedGaloisKeyShare(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a ceremony")
	}
	r := newCeremonyRun(t, "rogue gkg seed")
	const rogue = 1
	v := r.chain.view()
	cer := newCeremony(r.params, v.Seed, v.Epoch)
	sk, other := cer.newSecret(), cer.newSecret()
	var objs [][]byte
	for i, el := range cer.galEls {
		key := sk
		if i == len(cer.galEls)-1 {
			key = other
		}
		s, err := cer.gkgShare(key, el)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, b)
	}
	kb, err := sk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r.plant(t, rogue, fileSecretKey, kb)
	commit, _ := encodeCommit(objs)
	r.plant(t, rogue, commitFile(stepGKG), commit)

	errs := r.run(t, 8)
	v = r.chain.view()
	if v.Ready {
		t.Fatal("the committee is ready with a corrupted Galois key")
	}
	for i, a := range r.names {
		if i == rogue {
			continue
		}
		if _, voted := v.Shares[stepKeys][a]; voted {
			t.Errorf("honest %s voted for the keys", a)
		}
		if err := errs[a]; err == nil || !strings.Contains(err.Error(), "known-answer check failed for every member set") {
			t.Errorf("%s: Step() error = %v, want the known-answer check to fail for every member set", a, err)
		}
	}
}

// withholding is a rogue member's object store: it never puts its committed ckg share.
type withholding struct {
	Objects
	chain  *memChain
	member string
}

func (w withholding) Put(ctx context.Context, data []byte) ([32]byte, error) {
	d := sha256.Sum256(data)
	if ds := w.chain.view().Shares[stepCKG][w.member]; len(ds) == 1 && ds[0] == d {
		return d, nil // reported stored, never stored
	}
	return w.Objects.Put(ctx, data)
}

// TestWithheldRevealNamesTheMember: a member that commits its ckg share and never reveals it stalls
// the ceremony; the others wait quietly for revealWait, then every pass's error names it.
func TestWithheldRevealNamesTheMember(t *testing.T) {
	if testing.Short() {
		t.Skip("runs part of a ceremony")
	}
	r := newCeremonyRun(t, "withheld reveal seed")
	const rogue = 2
	r.objects = func(i int) Objects {
		if i == rogue {
			return withholding{Objects: r.objs, chain: r.chain, member: r.names[i]}
		}
		return r.objs
	}
	clock := time.Unix(0, 0)
	members := make([]*Member, len(r.names))
	for i := range members {
		members[i] = r.member(t, i)
		members[i].now = func() time.Time { return clock }
	}
	ctx := context.Background()
	var errs []error // member-a's, one per pass
	for pass := 0; pass < 10; pass++ {
		for i, m := range members {
			_, err := m.Step(ctx)
			if i == 0 {
				errs = append(errs, err)
			}
		}
		clock = clock.Add(revealWait / 3)
	}
	if r.chain.view().Ready {
		t.Fatal("the committee is ready without member-c's ckg share")
	}
	quiet := 0
	for quiet < len(errs) && errs[quiet] == nil {
		quiet++
	}
	if quiet == len(errs) {
		t.Fatal("member-a never reported member-c's missing ckg share")
	}
	if quiet < 3 {
		t.Errorf("member-a reported after %d quiet passes (%s of the fake clock), want it to wait %s first", quiet, time.Duration(quiet)*revealWait/3, revealWait)
	}
	for _, err := range errs[quiet:] {
		if err == nil || !strings.Contains(err.Error(), "member member-c committed its ckg share but has not revealed it") {
			t.Errorf("member-a: Step() error = %v, want it to name member-c's missing ckg share", err)
		}
	}
}

// TestAttackBadShamirDealing: a rogue member deals member-a a Shamir share of its key share from
// another polynomial than the one member-b's and its own come from, so member-a's threshold share
// is wrong and every computation member-a takes part in would decrypt to garbage. On the code
// before, nothing checked the dealing: the committee became ready. Now the known-answer check,
// run for every window of Threshold consecutive members, fails for the windows with member-a and
// passes for {member-b, member-c}; the honest members' errors say so, and the committee is not
// ready.
func TestAttackBadShamirDealing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a ceremony")
	}
	ctx := context.Background()
	r := newCeremonyRun(t, "rogue shamir seed")
	const rogue, victim = 2, 0
	for i := range r.names {
		if _, err := r.member(t, i).Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The rogue's dealing, made by hand with its own secrets and the posted box keys.
	m := r.member(t, rogue)
	v := r.chain.view()
	m.ep = &epoch{n: v.Epoch, cer: newCeremony(r.params, v.Seed, v.Epoch)}
	sk, err := m.secretKey(false)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := m.boxKey(false)
	if err != nil {
		t.Fatal(err)
	}
	shares, err := m.ep.cer.shamirShares(sk, v.Threshold, len(v.Members))
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.ep.cer.shamirShares(m.ep.cer.newSecret(), v.Threshold, len(v.Members))
	if err != nil {
		t.Fatal(err)
	}
	shares[victim] = other[victim]
	var record []byte
	for j := range shares {
		peer, err := m.peerBoxKey(ctx, v, v.Members[j])
		if err != nil {
			t.Fatal(err)
		}
		b, err := shares[j].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := m.ep.cer.seal(b, rogue, j, peer, &bk.priv)
		if err != nil {
			t.Fatal(err)
		}
		d, err := r.objs.Put(ctx, sealed)
		if err != nil {
			t.Fatal(err)
		}
		record = append(record, d[:]...)
	}
	r.plant(t, rogue, fileShamirPosted, record)

	errs := r.run(t, 8)
	v = r.chain.view()
	if v.Ready {
		t.Fatal("the committee is ready although member-a's threshold share is wrong")
	}
	if err := errs[r.names[1]]; err == nil || !strings.Contains(err.Error(), "while {member-b,member-c} passed: the threshold share or decryption shares of member-a are wrong") {
		t.Errorf("member-b: Step() error = %v, want the windows with member-a to fail, {member-b,member-c} to pass, and member-a named", err)
	}
}
