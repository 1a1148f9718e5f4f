package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// TestLocalnet runs `dxp localnet start --validators 4` as a user does, as real processes on
// loopback: while transactions flow, validator 4 is killed; the other three keep committing;
// restarted with `dxp node start`, it catches up, and every validator's own state proves the same
// AppHash at the same height.
func TestLocalnet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-validator network")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := buildDXP(t)
	home := t.TempDir()
	logDir := t.TempDir()
	showLogs := func() {
		if !t.Failed() {
			return
		}
		for _, f := range []string{filepath.Join(logDir, "localnet.log"), filepath.Join(logDir, "validator-4.log"),
			filepath.Join(devnet.ValidatorHome(home, 4), "process.log")} {
			if b, err := os.ReadFile(f); err == nil {
				t.Logf("%s:\n%s", f, tail(b, 3000))
			}
		}
	}
	t.Cleanup(showLogs)

	net := startProcess(t, filepath.Join(logDir, "localnet.log"), bin, "localnet", "start", "--validators", "4",
		"--home", home, "--chunk-size", "16", "--timeout-commit", "100ms")
	clients := make([]*client.Client, 4)
	for k := 1; k <= 4; k++ {
		vh := devnet.ValidatorHome(home, k)
		conf := waitConfig(t, ctx, vh)
		c, err := client.Dial(conf.RPC)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients[k-1] = c
	}
	// Cleanup runs last-registered first: the validators' pids are read before the supervisor is
	// killed, then every one of them is killed, in case the test failed half-way.
	t.Cleanup(func() {
		for k := 1; k <= 4; k++ {
			if p, err := os.FindProcess(readPID(devnet.ValidatorHome(home, k))); err == nil && p.Pid > 0 {
				p.Kill()
			}
		}
	})
	for k, c := range clients {
		waitHeight(t, ctx, c, 2, fmt.Sprintf("validator %d", k+1))
	}
	t.Logf("4 validators making blocks after %v", time.Since(start).Round(time.Millisecond))

	// Transactions flow through validators 1 to 3 for the rest of the test.
	var committed atomic.Int64
	flowCtx, stopFlow := context.WithCancel(ctx)
	var flow sync.WaitGroup
	for i := range 3 {
		flow.Add(1)
		go func() {
			defer flow.Done()
			for flowCtx.Err() == nil {
				_, key, err := ed25519.GenerateKey(rand.Reader)
				if err != nil {
					t.Error(err)
					return
				}
				_, err = clients[i].Submit(flowCtx, key, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
				if err == nil {
					committed.Add(1)
				} else if flowCtx.Err() == nil {
					t.Logf("submit through validator %d: %v", i+1, err)
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
	}
	defer func() { stopFlow(); flow.Wait() }()
	waitCommitted(t, ctx, &committed, 3, "before the kill")

	// Kill validator 4 outright; the other three hold more than 2/3 of the power.
	pid := readPID(devnet.ValidatorHome(home, 4))
	if pid <= 0 {
		t.Fatal("the supervisor recorded no pid for validator 4")
	}
	if p, err := os.FindProcess(pid); err != nil || p.Kill() != nil {
		t.Fatalf("kill validator 4 (pid %d): %v", pid, err)
	}
	for {
		if _, err := clients[3].Height(ctx); err != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	killedAt := height(t, ctx, clients[0])
	before := committed.Load()
	for k := 0; k < 3; k++ {
		waitHeight(t, ctx, clients[k], killedAt+6, fmt.Sprintf("validator %d with validator 4 down", k+1))
	}
	waitCommitted(t, ctx, &committed, before+5, "with validator 4 down")
	if _, err := clients[3].Height(ctx); err == nil {
		t.Fatal("validator 4 answers again before the test restarted it: the supervisor restarted it unasked")
	}
	t.Logf("validators 1-3 went from height %d to %d and committed %d txs with validator 4 down",
		killedAt, height(t, ctx, clients[0]), committed.Load()-before)

	// Restart it as a user would; it catches up from its peers.
	v4 := startProcess(t, filepath.Join(logDir, "validator-4.log"), bin, "node", "start", "--home", devnet.ValidatorHome(home, 4),
		"--timeout-commit", "100ms")
	target := height(t, ctx, clients[0])
	waitHeight(t, ctx, clients[3], target, "validator 4 after its restart")
	t.Logf("validator 4 caught up to height %d after %v", target, time.Since(start).Round(time.Millisecond))
	waitCommitted(t, ctx, &committed, committed.Load()+3, "after the restart")
	stopFlow()
	flow.Wait()

	// Every validator proves, from its own state, the same AppHash at one height: the one in the
	// header all four signed. The lowest of their heights, since one may be a block behind.
	h := height(t, ctx, clients[3])
	for _, c := range clients[:3] {
		h = min(h, height(t, ctx, c))
	}
	var appHash string
	for k, c := range clients {
		p, err := c.QueryProven(ctx, "/committee", keyOfCommittee(), h, client.ProofCheck{})
		if err != nil {
			t.Fatalf("validator %d: proven read at height %d: %v", k+1, h, err)
		}
		got := fmt.Sprintf("%X", p.AppHash)
		if k == 0 {
			appHash = got
		} else if got != appHash {
			t.Errorf("validator %d: AppHash after block %d = %s, validator 1 has %s", k+1, h, got, appHash)
		}
	}
	out := mustRun(t, "query", "committee", "--prove", "--home", devnet.ValidatorHome(home, 2))
	if !strings.Contains(out, "of 4, the validator set of genesis") {
		t.Errorf("query --prove against validator 2 printed:\n%s", out)
	}
	st := decode[map[string]any](t, mustRun(t, "status", "--home", devnet.ValidatorHome(home, 3), "--output", "json"))
	if st["height"].(float64) < float64(h) {
		t.Errorf("status through validator 3 = %v, want height >= %d", st, h)
	}

	// Ctrl-C stops the supervisor's validators; validator 4 is the test's own.
	stopProcess(t, net)
	stopProcess(t, v4)
	for k := 1; k <= 4; k++ {
		if _, err := clients[k-1].Height(ctx); err == nil {
			t.Errorf("validator %d still answers after the localnet stopped", k)
		}
	}
	t.Logf("TestLocalnet took %v", time.Since(start).Round(time.Millisecond))
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildDXP builds the dxp binary once per test run.
func buildDXP(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dxp-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "dxp")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// startProcess runs bin with args, its output in logFile; the test kills it if it is still
// running at the end.
func startProcess(t *testing.T, logFile, bin string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		logf.Close()
	})
	return cmd
}

// stopProcess interrupts cmd as Ctrl-C does and expects a clean exit within a minute.
func stopProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGINT, want a clean exit", strings.Join(cmd.Args[1:3], " "), err)
		}
	case <-time.After(time.Minute):
		t.Errorf("%s did not stop within a minute of SIGINT", strings.Join(cmd.Args[1:3], " "))
	}
}

func readPID(home string) int {
	b, err := os.ReadFile(filepath.Join(home, "node.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func waitConfig(t *testing.T, ctx context.Context, home string) *marketplace.Config {
	t.Helper()
	for {
		if conf, err := marketplace.LoadConfig(home); err == nil {
			if _, err := os.Stat(filepath.Join(filepath.Dir(home), "localnet.json")); err == nil {
				return conf
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s was never set up", home)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func height(t *testing.T, ctx context.Context, c *client.Client) int64 {
	t.Helper()
	h, err := c.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func waitHeight(t *testing.T, ctx context.Context, c *client.Client, h int64, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		got, err := c.Height(ctx)
		if err == nil && got >= h {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: height %d (%v), want %d", what, got, err, h)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitCommitted(t *testing.T, ctx context.Context, n *atomic.Int64, want int64, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for n.Load() < want {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d txs committed, want %d", what, n.Load(), want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func keyOfCommittee() []byte {
	k, _ := rights.LookupKind("committee")
	return k.Key("")
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
