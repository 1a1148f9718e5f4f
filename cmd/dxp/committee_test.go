package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// TestCommitteeMemberProcess runs a 2-of-3 committee as separate `dxp committee member start`
// processes beside `dxp devnet start --external-members`. Member 2 is killed (SIGKILL) right
// after posting its output for a computation, before its key-switch share (without noise all
// three members are participants, spec.Participants, so the computation waits for it);
// restarted, it catches up from the chain and its home, posts its share once, and the buyer gets
// the exact sum.
func TestCommitteeMemberProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildDXP(t)
	home := t.TempDir()
	logs := t.TempDir()
	rpc := freeRPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	devnetProc := startProcess(t, filepath.Join(logs, "devnet.log"), bin, "devnet", "start", "--home", home, "--rpc", rpc,
		"--members", "3", "--threshold", "2", "--chunk-size", "16", "--external-members")
	memberHome := func(i int) string { return filepath.Join(home, "committee", fmt.Sprintf("member-%d", i)) }
	for i := 1; i <= 3; i++ {
		for !devnet.IsMemberHome(memberHome(i)) {
			select {
			case <-ctx.Done():
				t.Fatalf("devnet start --external-members wrote no member home at %s", memberHome(i))
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	procs := map[int]*processLog{}
	for i := 1; i <= 3; i++ {
		procs[i] = startMember(t, bin, memberHome(i), filepath.Join(logs, fmt.Sprintf("member-%d.log", i)))
	}
	chain, err := client.Dial(rpc)
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	waitHeight(t, ctx, chain, 1, "devnet start")
	readyCtx, readyCancel := context.WithTimeout(ctx, 4*time.Minute)
	err = devnet.WaitCommitteeReady(readyCtx, chain)
	readyCancel()
	if err != nil {
		t.Fatalf("%v\n%s", err, procs[1].read(t))
	}

	mustRun(t, "keys", "add", "owner1", "--role", "owner", "--home", home)
	mustRun(t, "keys", "add", "buyer1", "--role", "buyer", "--home", home)
	dir := t.TempDir()
	schema, data := filepath.Join(dir, "schema.json"), filepath.Join(dir, "data.csv")
	write(t, schema, `{"columns":[{"name":"x","type":"integer","min":0,"max":1000}]}`)
	var csv strings.Builder
	csv.WriteString("x\n")
	want := 0
	for v := 1; v <= 50; v++ {
		fmt.Fprintf(&csv, "%d\n", v*7)
		want += v * 7
	}
	write(t, data, csv.String())
	pub := decode[map[string]any](t, mustRun(t, "dataset", "publish", "--home", home, "--from", "owner1", "--file", data, "--schema", schema, "--price", "1", "--output", "json"))
	gr := decode[map[string]any](t, mustRun(t, "grant", "request", "--home", home, "--from", "buyer1", "--dataset", pub["dataset"].(string),
		"--ops", "sum", "--columns", "x", "--uses", "1", "--output", "json"))
	gid := gr["grant"].(string)
	mustRun(t, "grant", "approve", "--home", home, "--from", "owner1", "--grant", gid)

	type result struct {
		out string
		err error
	}
	computed := make(chan result, 1)
	go func() {
		out, err := run(t, "compute", "run", "--home", home, "--from", "buyer1", "--grant", gid, "--op", "sum", "--column", "x", "--output", "json")
		computed <- result{out, err}
	}()

	// Kill member 2 the moment it has posted its output.
	for !strings.Contains(procs[2].read(t), `msg="mpc: posted output"`) {
		select {
		case <-ctx.Done():
			t.Fatalf("member 2 never posted an output:\n%s", procs[2].read(t))
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := procs[2].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	procs[2].cmd.Wait()
	comps, err := client.List[rights.Computation](ctx, chain)
	if err != nil || len(comps) != 1 {
		t.Fatalf("computations = %v, %v; want the one just requested", comps, err)
	}
	c := comps[0]
	if c.Status == rights.ComputationCompleted || len(c.Shares) > 2 {
		t.Fatalf("computation %s was %s with %d shares when member 2 was killed: the kill came too late to test a restart", c.ID, c.Status, len(c.Shares))
	}
	firstLife := procs[2].read(t)

	procs[2] = startMember(t, bin, memberHome(2), filepath.Join(logs, "member-2-restarted.log"))
	var r result
	select {
	case r = <-computed:
	case <-ctx.Done():
		t.Fatalf("the computation did not complete after member 2 restarted:\n%s", procs[2].read(t))
	}
	if r.err != nil {
		t.Fatalf("compute: %v\nmember 2 after restart:\n%s", r.err, procs[2].read(t))
	}
	res := decode[map[string]any](t, r.out)
	if res["result"] != fmt.Sprint(want) {
		t.Errorf("sum = %v, want %d", res["result"], want)
	}
	done, err := client.Get[rights.Computation](ctx, chain, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != rights.ComputationCompleted || len(done.Outputs) != 3 || len(done.Shares) != 3 {
		t.Errorf("computation %s: %s with %d outputs and %d shares, want completed with 3 and 3", done.ID, done.Status, len(done.Outputs), len(done.Shares))
	}
	secondLife := procs[2].read(t)
	if n := strings.Count(firstLife+secondLife, `msg="mpc: posted share"`) + strings.Count(firstLife+secondLife, `msg="mpc: posted saved share"`); n != 1 {
		t.Errorf("member 2 posted %d key-switch shares over its two lives, want 1:\n%s\n--- restarted ---\n%s", n, firstLife, secondLife)
	}
	if strings.Contains(secondLife, `msg="mpc: posted output"`) {
		t.Errorf("restarted member 2 evaluated and posted its output again:\n%s", secondLife)
	}
	stopProcess(t, procs[1].cmd)
	stopProcess(t, procs[2].cmd)
	stopProcess(t, procs[3].cmd)
	stopProcess(t, devnetProc)
}

// processLog is a running process and the file its output goes to.
type processLog struct {
	cmd  *exec.Cmd
	path string
}

func startMember(t *testing.T, bin, home, log string) *processLog {
	t.Helper()
	return &processLog{cmd: startProcess(t, log, bin, "committee", "member", "start", "--home", home), path: log}
}

func (p *processLog) read(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
