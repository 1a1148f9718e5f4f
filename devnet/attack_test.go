package devnet_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

// offsetBoard is a dishonest member's board: it runs the real member code, but before posting its
// key-switch share object it adds delta (in every slot, at the output's level and scale) to each
// PCKS share in it and stores the altered object instead.
type offsetBoard struct {
	mpc.Board
	objs    mpc.Objects
	params  heint.Parameters
	delta   int64
	mu      sync.Mutex
	outputs map[string][32]byte
}

func (b *offsetBoard) Tasks(ctx context.Context) ([]mpc.Task, error) {
	ts, err := b.Board.Tasks(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range ts {
		if t.Phase == mpc.PhaseSwitch {
			b.outputs[t.ID] = t.Output
		}
	}
	return ts, err
}

func (b *offsetBoard) PostShare(ctx context.Context, task string, share [32]byte) error {
	b.mu.Lock()
	od := b.outputs[task]
	b.mu.Unlock()
	ob, err := b.objs.Get(ctx, od)
	if err != nil {
		return err
	}
	var out rlwe.Ciphertext
	if err := out.UnmarshalBinary(ob); err != nil {
		return err
	}
	obj, err := b.objs.Get(ctx, share)
	if err != nil {
		return err
	}
	vals := make([]int64, b.params.MaxSlots())
	for i := range vals {
		vals[i] = b.delta
	}
	pt := heint.NewPlaintext(b.params, out.Level())
	pt.MetaData = out.MetaData.CopyNew()
	if err := heint.NewEncoder(b.params).Encode(vals, pt); err != nil {
		return err
	}
	const parts = 2 // a 2-of-3 committee: each participant is in two of the three 2-subsets
	size := len(obj) / parts
	var forged []byte
	for i := range parts {
		var s mhe.PublicKeySwitchShare
		if err := s.UnmarshalBinary(obj[i*size : (i+1)*size]); err != nil {
			return err
		}
		b.params.RingQ().AtLevel(out.Level()).Add(s.Value[0], pt.Value, s.Value[0])
		p, err := s.MarshalBinary()
		if err != nil {
			return err
		}
		forged = append(forged, p...)
	}
	d, err := b.objs.Put(ctx, forged)
	if err != nil {
		return err
	}
	return b.Board.PostShare(ctx, task, d)
}

// TestAttackOffsetKeySwitchShareEndToEnd: member 3 of a 2-of-3 devnet runs the real member code
// but adds an offset to its key-switch share object before posting it. Before redundant subsets
// the buyer combined one t-subset and printed sum + offset (a constant in every slot passes the
// layout check) while the holders were paid. Now the buyer's Compute refuses the answer, names the
// suspects (member 3 among them), disputes the computation on chain, and the escrow stays withheld
// past the dispute window: the holders are not paid, the buyer is not refunded, and the accused
// are recorded on the computation.
func TestAttackOffsetKeySwitchShareEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home, _, stop := externalDevnet(t, 3, 2, 40)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tab := devnettest.Table(t, 120, 7)
	g := devnettest.ApprovedGrant(t, ctx, s, home, tab, "offset", 3, rights.OpSum, "delta", 1)

	// Member 3 is replaced by its dishonest twin, on the same home and secrets.
	stop[2]()
	dir := devnet.MemberDir(home, 2)
	conf, err := marketplace.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := marketplace.LoadKeyFile(filepath.Join(dir, devnet.MemberIdentityFile), "member-3")
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := marketplace.OpenBucket(ctx, conf.Storage)
	if err != nil {
		t.Fatal(err)
	}
	params, err := s.Params() // the chain's ring, as the member it replaces
	if err != nil {
		t.Fatal(err)
	}
	objs := marketplace.BucketObjects(bucket)
	board := &offsetBoard{Board: marketplace.MemberBoard(s.Chain, key), objs: objs, params: params, delta: 1_000_000, outputs: map[string][32]byte{}}
	cheater, err := mpc.NewMember(mpc.MemberConfig{Address: string(key.Address()), Dir: filepath.Join(dir, "secret"), Params: params, Board: board, Objects: objs, InputChecker: marketplace.InputChecker{}})
	if err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cheater.Run(mctx) }()
	defer func() {
		mcancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("cheating member: %v", err)
		}
	}()

	members := committeeAddrs(t, ctx, s)
	holder, buyer := balances(t, ctx, s, "owner1"), balances(t, ctx, s, "buyer1")
	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}})
	var sd *marketplace.ShareDispute
	if !errors.As(err, &sd) {
		t.Fatalf("Compute with an offset key-switch share = %+v, %v; want a *ShareDispute (the honest sum is %s)", res, err,
			devnet.PlaintextAnswer(rights.OpSum, "delta", tab.Schema, []*marketplace.Table{tab}))
	}
	t.Log(err)
	if !slices.Contains(sd.Suspects, members[2]) || !sd.Disputed {
		t.Errorf("suspects %v (disputed %t), want member 3 %s among them and a dispute posted", sd.Suspects, sd.Disputed, members[2])
	}
	c, err := client.Get[rights.Computation](ctx, s.Chain, sd.Computation)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dispute == nil || !slices.Equal(c.Dispute.Accused, sd.Suspects) {
		t.Fatalf("computation %s dispute = %+v, want the suspects %v accused", c.ID, c.Dispute, sd.Suspects)
	}
	for h, _ := s.Chain.Height(ctx); h <= c.SettleAt+1; h, _ = s.Chain.Height(ctx) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := balances(t, ctx, s, "owner1"); got != holder {
		t.Errorf("holder balance %d → %d: paid for a disputed answer", holder, got)
	}
	if got := balances(t, ctx, s, "buyer1"); got != buyer-c.Escrow {
		t.Errorf("buyer balance %d → %d, want the escrow %d withheld", buyer, got, c.Escrow)
	}
	audit, err := s.Audit(ctx, "regulator")
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(audit.Computations, func(a marketplace.AuditComputation) bool { return a.ID == c.ID }); i < 0 ||
		audit.Computations[i].Dispute != "open" || !slices.Equal(audit.Computations[i].Accused, sd.Suspects) || !audit.Supply.Conserved {
		t.Errorf("the audit does not show the open dispute of %s naming %v: %+v", c.ID, sd.Suspects, audit.Computations)
	}
	// The regulator resolves it: the buyer gets its escrow back.
	if _, err := s.ResolveDispute(ctx, "buyer1", c.ID, true, "mine"); err == nil {
		t.Error("the buyer resolved its own dispute")
	}
	resolved, err := s.ResolveDispute(ctx, "regulator", c.ID, true, "member 3's share objects disagree with the others'")
	if err != nil {
		t.Fatal(err)
	}
	if resolved.Dispute.Outcome != rights.DisputeRefund || balances(t, ctx, s, "buyer1") != buyer || balances(t, ctx, s, "owner1") != holder {
		t.Errorf("after a refund: outcome %s, buyer %d (want %d), holder %d (want %d)", resolved.Dispute.Outcome, balances(t, ctx, s, "buyer1"), buyer, balances(t, ctx, s, "owner1"), holder)
	}
}

func balances(t *testing.T, ctx context.Context, s *marketplace.Session, who string) uint64 {
	t.Helper()
	k, err := s.Key(who)
	if err != nil {
		t.Fatal(err)
	}
	p, err := client.Get[rights.Party](ctx, s.Chain, string(k.Address()))
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", who, err))
	}
	return p.Balance
}
