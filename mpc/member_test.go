package mpc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxplabs/dxp/spec"
)

// passBoard signals each pass a member starts (its read of the committee).
type passBoard struct {
	Board
	passes chan struct{}
}

func (b passBoard) Committee(ctx context.Context) (*CommitteeView, error) {
	select {
	case b.passes <- struct{}{}:
	default:
	}
	return b.Board.Committee(ctx)
}

// TestRunWakes: with an hour between polls, a member posts its output for a new task only
// because a Wake signal made it look.
func TestRunWakes(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	name := f.chain.members[0]
	passes := make(chan struct{}, 1)
	wake := make(chan struct{}, 1)
	m, err := NewMember(MemberConfig{Address: name, Dir: f.dirs[0], Params: f.params, Board: passBoard{f.chain.board(name), passes},
		Objects: f.objs, InputChecker: noInputProofs{}, Wake: wake, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.Run(ctx)
	}()
	defer func() { cancel(); wg.Wait() }()
	<-passes // the first pass has read the board: the task below is new to it

	task := Task{ID: "wake", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, smallValues(100, 5, -10, 10))}, BuyerKey: f.buyerKey}
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	wake <- struct{}{}
	deadline := time.After(2 * time.Minute) // a bound for a stuck test, not a timing assertion
	for {
		if _, ok := f.chain.state(task.ID).outputs[name]; ok {
			return
		}
		select {
		case <-deadline:
			t.Fatal("the member did not evaluate the task after a wake signal")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestSavedOutputReposted: a member whose output post was lost restarts and posts the output
// digest it saved, without evaluating again.
func TestSavedOutputReposted(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	name := f.chain.members[1]
	ctx := context.Background()
	task := Task{ID: "saved-output", Op: spec.OpSum, Columns: [][][32]byte{encryptAndPut(t, f, smallValues(100, 6, -10, 10))}, BuyerKey: f.buyerKey}
	var lost [32]byte
	f.chain.taskHook = func(member, kind, id string, d *[32]byte) (bool, error) {
		if member == name && kind == "output" && lost == [32]byte{} {
			lost = *d
			return false, fmt.Errorf("connection reset (post lost)")
		}
		return true, nil
	}
	defer func() { f.chain.taskHook = nil }()
	f.chain.addTask(task)
	defer f.chain.removeTask(task.ID)
	fresh := func(log *bytes.Buffer) *Member {
		m, err := NewMember(MemberConfig{Address: name, Dir: f.dirs[1], Params: f.params, Board: f.chain.board(name), Objects: f.objs, InputChecker: noInputProofs{},
			Logger: slog.New(slog.NewTextHandler(log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	var first, second bytes.Buffer
	if _, err := fresh(&first).Step(ctx); err == nil {
		t.Fatal("the lost post was not reported")
	}
	if lost == [32]byte{} {
		t.Fatal("the member posted no output")
	}
	if _, err := fresh(&second).Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.chain.state(task.ID).outputs[name]; got != lost {
		t.Errorf("the restarted member posted output %s, want the saved %s", short(got), short(lost))
	}
	if log := second.String(); !strings.Contains(log, "mpc: posted saved output") || strings.Contains(log, "mpc: posted output") {
		t.Errorf("the restarted member did not repost the saved output without evaluating:\n%s", log)
	}
}
