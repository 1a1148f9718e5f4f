package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/internal/bench"
)

// TestBenchPublish runs the dxp binary's `bench publish` on an INSECURE ring of 1,024 slots: its
// devnet is moved into a `dxp devnet start` child, 1,500 rows in two ciphertexts are proven,
// published, registered, checked by the child's committee, verified and re-proven by the
// baseline, the child is stopped, and the report's figures agree with each other.
func TestBenchPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	bin := buildDXP(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "bench", "publish", "--rows", "1500", "--slots", "1024", "--output", "json", "--dir", dir)
	cmd.Env = append(os.Environ(), "DXP_SETUP_CACHE="+devnettest.SetupCache())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dxp bench publish: %v\n%s", err, stderr.Bytes())
	}
	rep := decode[bench.PublishReport](t, string(out))
	if rep.Rows != 1500 || rep.Chunks != 2 || rep.Ciphertexts != 2 || rep.Dataset == "" || !rep.InsecureRing {
		t.Errorf("report = %+v, want 1500 rows in 2 proven ciphertexts, registered, on an insecure ring", rep)
	}
	if !rep.DevnetProcess || rep.DevnetPeakRSSMB <= 0 {
		t.Errorf("report = %+v, want the devnet in its own process, with its peak RSS", rep)
	}
	// The child checked the listing's inputs and stopped on the interrupt, not killed.
	log, err := os.ReadFile(filepath.Join(dir, "devnet", "process.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte("checked a listing's inputs")) || !bytes.Contains(log, []byte("shutting down")) {
		t.Errorf("the devnet process's log does not show it checking the inputs and shutting down:\n%s", log)
	}
	if rep.DXPSeconds <= 0 || rep.RawSeconds <= 0 || rep.RawProveSeconds <= 0 || rep.RawEncryptSecs <= 0 ||
		rep.ProofSeconds <= 0 || rep.ProofSeconds > rep.DXPSeconds || rep.VerifySeconds <= 0 {
		t.Errorf("report = %+v, want every timing measured, proving within the publish", rep)
	}
	if got := rep.DXPSeconds / rep.RawSeconds; got != rep.Ratio {
		t.Errorf("ratio = %v, want dxp_s/raw_s = %v", rep.Ratio, got)
	}
	if len(rep.Circuits) == 0 || rep.PeakRSSMB <= 0 {
		t.Errorf("report = %+v, want the circuits used and a peak RSS", rep)
	}
	// The relations add up to the whole proof's constraints per row.
	sum := 0.0
	seen := map[string]bool{}
	for _, r := range rep.Relations {
		sum += r.PerRow
		seen[r.Relation] = true
	}
	if d := sum - rep.ConstraintsPerRow; d > 1e-6 || d < -1e-6 || rep.ConstraintsPerRow < 10 {
		t.Errorf("relations add up to %v per row, constraints_per_row = %v", sum, rep.ConstraintsPerRow)
	}
	for _, r := range []string{bench.RelationChunk, bench.RelationEncryption, bench.RelationSlotLink, bench.RelationPadding} {
		if !seen[r] {
			t.Errorf("relations = %+v, want %s among them", rep.Relations, r)
		}
	}
}

// TestBenchPublishInProcessDevnet runs `dxp bench publish --in-process-devnet`: the devnet stays
// in the bench's process (no child is started; the test binary could not be one) and the
// report says so.
func TestBenchPublishInProcessDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	t.Setenv("DXP_SETUP_CACHE", devnettest.SetupCache())
	dir := t.TempDir()
	out := mustRun(t, "bench", "publish", "--rows", "100", "--slots", "1024", "--in-process-devnet", "--output", "json", "--dir", dir)
	rep := decode[bench.PublishReport](t, out)
	if rep.Rows != 100 || rep.Chunks != 1 || rep.Ratio <= 0 || rep.VerifySeconds <= 0 {
		t.Errorf("report = %+v, want 100 rows in one proven ciphertext, measured", rep)
	}
	if rep.DevnetProcess || rep.DevnetPeakRSSMB != 0 || rep.DevnetRSSMB <= 0 {
		t.Errorf("report = %+v, want the devnet in the publisher's process, counted in its RSS", rep)
	}
	if _, err := os.Stat(filepath.Join(dir, "devnet", "process.log")); !os.IsNotExist(err) {
		t.Errorf("a devnet process log exists (%v): a child was started", err)
	}
}
