package mpc

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/spec"
)

// TestAttackShareAfterGrantExpired is the committee's side of attack 4 of issue 14: the output is
// agreed, then the buyer's grant expires (its time passes) before the members key-switch. A
// member that made and stored its share anyway would hand the buyer a share of a computation the
// chain refunds: with the others, a free answer. Each active member must ask the chain first, and
// put nothing in storage and post nothing for a computation that is not live.
func TestAttackShareAfterGrantExpired(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	task := Task{ID: "expired-grant", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, smallValues(100, 7, 0, 100))}, BuyerKey: f.buyerKey}
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	for i := range f.members { // a checked answer needs every member of 2-of-3 (spec.Participants)
		if _, err := f.members[i].Step(ctx); err != nil {
			t.Fatalf("Step() error: %v", err)
		}
	}
	st := f.chain.state(task.ID)
	if st.phase != PhaseSwitch {
		t.Fatalf("task in phase %s after every output, want %s", st.phase, PhaseSwitch)
	}
	f.chain.kill(task.ID, "grant gr-1 expired at unix time 1700000000")
	f.objs.mu.Lock()
	before := len(f.objs.objs)
	f.objs.mu.Unlock()
	for _, a := range st.active {
		i := slices.Index(f.chain.members, a)
		_, err := f.members[i].Step(ctx)
		if err == nil || !strings.Contains(err.Error(), "is not live") {
			t.Errorf("%s Step() = %v, want an error saying the computation is not live", a, err)
		}
	}
	f.objs.mu.Lock()
	after := len(f.objs.objs)
	f.objs.mu.Unlock()
	if after != before {
		t.Errorf("members put %d objects in storage for a computation that is not live (its shares)", after-before)
	}
	if st := f.chain.state(task.ID); len(st.shares) != 0 {
		t.Errorf("shares posted for a computation that is not live: %v", st.shares)
	}
}
