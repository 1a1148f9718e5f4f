package devnet_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// externalDevnet starts a devnet whose n members (threshold t) run through RunMember, each
// stoppable on its own, as `dxp committee member start` runs them, and waits for the ceremony.
func externalDevnet(t *testing.T, n, threshold int, deadline int64) (home string, dn *devnet.Devnet, stop []func()) {
	t.Helper()
	home = t.TempDir()
	rpc := devnettest.RPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	// The shared setup cache: a fresh setup of a small ring's input-histogram and frequency-table
	// circuits takes minutes.
	dn, err = devnet.Start(ctx, devnet.Config{Home: home, RPC: rpc, Members: n, Threshold: threshold, ChunkSize: testChunk,
		ExternalMembers: true, ComputationDeadline: deadline, SetupCache: devnettest.SetupCache()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dn.Stop(); err != nil {
			t.Errorf("devnet stop: %v", err)
		}
	})
	if len(dn.Members()) != 0 {
		t.Fatalf("the devnet runs %d members in-process, want none with external members", len(dn.Members()))
	}
	for i := range n {
		dir := devnet.MemberDir(home, i)
		if !devnet.IsMemberHome(dir) {
			t.Fatalf("%s is not a member home", dir)
		}
		for _, f := range []string{marketplace.ConfigFile, devnet.MemberIdentityFile} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s/%s: %v, want a 0600 file", dir, f, err)
			}
		}
		mctx, mcancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- devnet.RunMember(mctx, devnet.MemberOptions{Home: dir, Log: slog.New(slog.DiscardHandler)})
		}()
		stopped := false
		stopMember := func() {
			if stopped {
				return
			}
			stopped = true
			mcancel()
			if err := <-done; err != nil {
				t.Errorf("member %d: %v", i+1, err)
			}
		}
		t.Cleanup(stopMember)
		stop = append(stop, stopMember)
	}
	if err := dn.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return home, dn, stop
}

// TestCommitteeOneDown runs a 2-of-3 committee of separate members. With all three up a sum
// completes exactly with all three as participants (without noise spec.Participants is
// min(3, 2·2−1) = 3, so the buyer can cross-check the three 2-subsets of shares). With one member
// down, its key used to post a wrong output digest, no output gathers the three votes it needs:
// the computation passes its deadline and the buyer gets the escrow back.
func TestCommitteeOneDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home, dn, stop := externalDevnet(t, 3, 2, 20)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tab := devnettest.Table(t, 150, 3)
	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "one-down", 3, rights.OpSum, "delta", 2)

	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := devnet.PlaintextAnswer(rights.OpSum, "delta", tab.Schema, []*marketplace.Table{tab}); res.Result != want {
		t.Errorf("sum = %s, want %s", res.Result, want)
	}
	members := committeeAddrs(t, ctx, s)
	if !slices.Equal(sorted(res.Participants), sorted(members)) {
		t.Errorf("participants %v, want all three members %v", res.Participants, members)
	}
	c, err := client.Get[rights.Computation](ctx, s.Chain, res.Computation)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Outputs) != 3 || len(c.Shares) != 3 {
		t.Errorf("chain recorded %d outputs and %d shares, want 3 and 3", len(c.Outputs), len(c.Shares))
	}

	// One member down, one lying: the computation passes its deadline and is refunded.
	stop[2]()
	liar, err := marketplace.LoadKeyFile(devnet.MemberIdentity(home, 2), "member-3")
	if err != nil {
		t.Fatal(err)
	}
	lied := make(chan error, 1)
	go func() { lied <- postWrongOutput(ctx, dn.Chain(), liar) }()
	buyer, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	before, err := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}})
	if err == nil || !strings.Contains(err.Error(), "refunded") {
		t.Fatalf("compute with a member down and one lying: %v, want it expired and refunded", err)
	}
	if err := <-lied; err != nil {
		t.Fatalf("member 3 could not post its wrong output: %v", err)
	}
	after, err := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if after.Balance != before.Balance {
		t.Errorf("buyer balance %d after the refund, want %d as before the request", after.Balance, before.Balance)
	}
	comps, err := client.ListBy[rights.Computation](ctx, s.Chain, "grant", g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 2 {
		t.Fatalf("%d computations under the grant, want 2", len(comps))
	}
	for _, c := range comps {
		if c.ID != res.Computation && (c.Status != rights.ComputationExpired || len(c.Shares) != 0) {
			t.Errorf("computation %s is %s with %d shares, want expired with none", c.ID, c.Status, len(c.Shares))
		}
	}
}

// TestCommitteeThreeOfFive runs a 3-of-5 committee: a mean without noise completes with all five
// as participants (spec.Participants = min(5, 2·3−1)) and the exact answer.
func TestCommitteeThreeOfFive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home, _, _ := externalDevnet(t, 5, 3, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tab := devnettest.Table(t, 100, 5)
	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "three-of-five", 1, rights.OpMean, "income", 1)
	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpMean, Columns: []string{"income"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := devnet.PlaintextAnswer(rights.OpMean, "income", tab.Schema, []*marketplace.Table{tab}); res.Result != want {
		t.Errorf("mean on a 3-of-5 committee = %s, want %s", res.Result, want)
	}
	if len(res.Participants) != 5 {
		t.Errorf("participants %v, want all five members", res.Participants)
	}
}

// TestRunMemberRefusesBadHome: a directory that is not a member home, or an identity that is not
// in the committee, is refused with a clear error.
func TestRunMemberRefusesBadHome(t *testing.T) {
	ctx := context.Background()
	err := devnet.RunMember(ctx, devnet.MemberOptions{Home: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not a committee member home") {
		t.Errorf("RunMember on an empty directory: %v, want it refused as not a member home", err)
	}
}

// postWrongOutput waits for a pending computation and posts a random output digest for it,
// signed by a committee member: a member whose evaluation went wrong, or a liar.
func postWrongOutput(ctx context.Context, chain *client.Client, member *marketplace.Key) error {
	for {
		comps, err := chain.ComputationsUnderWay(ctx)
		if err != nil {
			return err
		}
		for _, c := range comps {
			var d rights.Digest
			if _, err := rand.Read(d[:]); err != nil {
				return err
			}
			var noise rights.Digest // a computation with DP noise takes an output only with a noise dealing digest
			if c.Epsilon > 0 {
				if _, err := rand.Read(noise[:]); err != nil {
					return err
				}
			}
			_, err := chain.Submit(ctx, member.Private, rights.Msg{SubmitOutput: &rights.SubmitOutput{Computation: c.ID, Output: d, Noise: noise}})
			return err
		}
		select {
		case <-ctx.Done():
			return errors.New("no computation to lie about")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func committeeAddrs(t *testing.T, ctx context.Context, s *marketplace.Session) []rights.Address {
	t.Helper()
	c, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []rights.Address
	for _, m := range c.Members {
		out = append(out, m.Address)
	}
	return out
}

func sorted(a []rights.Address) []rights.Address {
	b := slices.Clone(a)
	slices.Sort(b)
	return b
}
