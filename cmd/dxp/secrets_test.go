package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/storage/s3"
	"github.com/dxplabs/dxp/storage/s3/miniotest"
)

// runDXP runs the built binary with args and extra environment, and returns its combined
// stdout and stderr and whether it exited with a failure.
func runDXP(t *testing.T, bin string, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run dxp %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), err != nil
}

// TestAttackSecretOnStderr runs the dxp binary as a user would, with a storage URL that fails
// to parse and has its secret somewhere in it: the command fails, and nothing it prints (errors
// on stderr, log lines) shows the secret. It also runs it with a credentials file that others
// may read (refused in one line naming the file) and a 0600 one (read).
func TestAttackSecretOnStderr(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the dxp binary")
	}
	bin := buildDXP(t)
	for _, u := range miniotest.MalformedURLs() {
		home := t.TempDir()
		out, failed := runDXP(t, bin, nil, "devnet", "start", "--home", home, "--storage", u)
		if !failed {
			t.Errorf("dxp devnet start --storage %q succeeded, want a failure; output:\n%s", u, out)
		}
		if miniotest.ShowsSecret(out) {
			t.Errorf("dxp devnet start --storage %q printed the secret:\n%s", u, out)
		}
	}

	// The URL carries no secret; the credentials file does, and group and others can read it.
	dir := t.TempDir()
	creds := filepath.Join(dir, "s3.env")
	body := s3.EnvAccessKey + "=AK\n" + s3.EnvSecretKey + "=" + miniotest.URLSecret + "\n"
	if err := os.WriteFile(creds, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(creds, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{s3.EnvCredentialsFile + "=" + creds}
	out, failed := runDXP(t, bin, env, "devnet", "start", "--home", t.TempDir(), "--storage", "s3://127.0.0.1:1/dxp")
	if !failed || !strings.Contains(out, "chmod 600") || !strings.Contains(out, creds) || miniotest.ShowsSecret(out) {
		t.Errorf("dxp devnet start with a 0644 credentials file: failed %v, output:\n%s\nwant a refusal naming the file, without the secret", failed, out)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Errorf("the refusal spans %d lines, want one:\n%s", n+1, out)
	}
}
