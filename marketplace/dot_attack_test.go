package marketplace_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
)

// TestAttackDotOneHotDeclaredOne is attack 3 on a devnet (real node, storage, ceremony and
// committee), written as the buyer would: it bypasses the client, declares a weight bound of 1 at
// epsilon 0.1 (so the chain sizes overflow and DP noise for weights of magnitude 1) and seals a
// one-hot weight of 10^9 that would read one row out of the noisy release. Before the fix the
// weights were ciphertexts nobody could check and the committee released the row plus noise
// sized for weight 1 (the request shape here did not exist then: the weights were one ciphertext
// per column ciphertext). Now the members open the weights, refuse them before any evaluation,
// and the chain fails the computation as the buyer's fault: no output, no product, escrow to the
// holder, use and epsilon spent. The same holds for a weights object never uploaded (free work:
// before, it expired and was refunded).
func TestAttackDotOneHotDeclaredOne(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home := t.TempDir()
	dn := startDevnet(t, home)
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustKey(t, home, "owner1", rights.RoleOwner)
	mustKey(t, home, "buyer1", rights.RoleBuyer)
	tab := opsTable(t, 60, 3)
	pub, err := s.Publish(ctx, PublishRequest{From: "owner1", Name: "victim", Schema: tab.Schema, CSV: BytesSource("ops.csv", tab.CSV()), Price: 3})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.RequestGrant(ctx, GrantRequest{From: "buyer1", Datasets: []string{pub.Dataset}, Ops: []rights.Op{rights.OpDot},
		Columns: []string{"pay"}, Uses: 5, Epsilon: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActOnGrant(ctx, "owner1", g.ID, Approve, ""); err != nil {
		t.Fatal(err)
	}
	buyer, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	// The attacker seals its weights to the members exactly as the client does.
	boxes := map[rights.Address]rights.Digest{}
	for _, sh := range committee.Shares {
		if sh.Step == mpc.StepBox {
			boxes[sh.Member] = sh.Digests[0]
		}
	}
	var keys []*[32]byte
	for _, m := range committee.Members {
		b, err := storage.GetBytes(ctx, s.Bucket, boxes[m.Address])
		if err != nil || len(b) != 32 {
			t.Fatalf("box key of %s: %v", m.Address, err)
		}
		keys = append(keys, (*[32]byte)(b))
	}
	w := make([]int64, tab.Rows)
	w[17] = 1_000_000_000
	obj, commitment, err := mpc.SealWeights(keys, w)
	if err != nil {
		t.Fatal(err)
	}
	d, err := storage.PutBytes(ctx, s.Bucket, obj)
	if err != nil {
		t.Fatal(err)
	}
	var never [32]byte
	rand.Read(never[:])
	missing := rights.Digest(sha256.Sum256(never[:]))

	for _, tc := range []struct {
		name    string
		weights rights.Digest
		why     string
	}{
		{"one-hot 10^9 declared 1", rights.Digest(d), "above the declared bound 1"},
		{"weights never uploaded", missing, "weights object is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner, _ := client.Get[rights.Party](ctx, s.Chain, string(must(t, s, "owner1").Address()))
			before, _ := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address()))
			r, err := s.Chain.Submit(ctx, buyer.Private, rights.Msg{RequestComputation: &rights.RequestComputation{
				Grant: g.ID, Op: rights.OpDot, Columns: []string{"pay"}, Weights: []rights.Digest{tc.weights},
				WeightsCommitment: commitment, WeightBound: 1, Epsilon: 100_000}})
			if err != nil {
				t.Fatalf("the chain refused the request itself: %v", err)
			}
			var c *rights.Computation
			for {
				if c, err = client.Get[rights.Computation](ctx, s.Chain, r.ID); err != nil {
					t.Fatal(err)
				}
				if c.Status != rights.ComputationPending && c.Status != rights.ComputationSwitching {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("computation %s still %s", c.ID, c.Status)
				case <-time.After(200 * time.Millisecond):
				}
			}
			if c.Status != rights.ComputationRefused || len(c.Outputs) != 0 || c.Product != "" {
				t.Fatalf("computation %s: status %s, %d outputs, product %q; want refused before any evaluation, no product", c.ID, c.Status, len(c.Outputs), c.Product)
			}
			if len(c.Refusals) < int(committee.Threshold) || !strings.Contains(c.Refusals[0].Reason, tc.why) {
				t.Errorf("refusals %+v, want %d naming %q", c.Refusals, committee.Threshold, tc.why)
			}
			after, _ := client.Get[rights.Party](ctx, s.Chain, string(buyer.Address()))
			ownerAfter, _ := client.Get[rights.Party](ctx, s.Chain, string(owner.Address))
			if after.Balance != before.Balance-c.Escrow || c.Escrow != 3 || ownerAfter.Balance != owner.Balance+3 {
				t.Errorf("buyer %d -> %d, holder %d -> %d, escrow %d: want the buyer charged and the holder paid", before.Balance, after.Balance, owner.Balance, ownerAfter.Balance, c.Escrow)
			}
		})
	}
	gr, err := client.Get[rights.Grant](ctx, s.Chain, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gr.Used != 2 || gr.EpsilonSpent != 200_000 {
		t.Errorf("grant used %d, epsilon spent %d; want both refused computations charged (2, 200000)", gr.Used, gr.EpsilonSpent)
	}
}

func must(t *testing.T, s *Session, name string) *Key {
	t.Helper()
	k, err := s.Key(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
