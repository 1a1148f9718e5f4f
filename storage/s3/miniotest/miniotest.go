package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/storage/s3"
)

// installHint is what to run when the binary is missing.
const installHint = "go install github.com/minio/minio@latest"

// readyTimeout bounds how long a server may take to report itself ready. It usually
// takes under a second; a loaded CI machine can be far slower.
const readyTimeout = 30 * time.Second

// Start runs a MinIO server on loopback for the rest of the test and returns a Config for it,
// with random root credentials and Bucket set to "dxp-test" (Open creates it; tests that want
// several buckets change the name). The server stores its data under t.TempDir and is killed
// when the test ends.
//
// Without a minio binary on PATH or in GOBIN, $GOPATH/bin or ~/go/bin the test is skipped, or
// fails if the environment variable CI is set, so CI cannot pass without the real server.
func Start(t testing.TB) s3.Config {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		msg := fmt.Sprintf("miniotest: %v; run `%s` to build it", err, installHint)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	user, password := randomHex(t, 10), randomHex(t, 20)
	// Ports are picked by binding :0 and releasing, so another process can take one before
	// minio binds it; a server that fails that way is retried on fresh ports.
	var errs []error
	for attempt := range 3 {
		srv, err := start(bin, dir, attempt, user, password)
		if err == nil {
			t.Cleanup(func() {
				if err := srv.stop(); err != nil {
					t.Errorf("miniotest: stop: %v", err)
				}
				if t.Failed() {
					t.Logf("miniotest: end of the minio log %s:\n%s", srv.logPath, tail(srv.logPath))
				}
			})
			return s3.Config{Endpoint: srv.addr, AccessKey: user, SecretKey: password, Bucket: "dxp-test"}
		}
		errs = append(errs, err)
		if !errors.Is(err, errAddrInUse) {
			break
		}
	}
	t.Fatalf("miniotest: start %s: %v", bin, errors.Join(errs...))
	return s3.Config{}
}

func findBinary() (string, error) {
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, p := range filepath.SplitList(build.Default.GOPATH) { // $GOPATH, or ~/go when unset
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "minio")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("no minio binary on PATH or in %s", strings.Join(dirs, ", "))
}

type server struct {
	cmd     *exec.Cmd
	done    chan error // receives cmd.Wait's result
	log     *os.File
	logPath string
	addr    string
}

var errAddrInUse = errors.New("address already in use")

func start(bin, dir string, attempt int, user, password string) (*server, error) {
	addr, err := freeport.Loopback()
	if err != nil {
		return nil, err
	}
	console, err := freeport.Loopback()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("minio-%d.log", attempt))
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", addr, "--console-address", console)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+user,
		"MINIO_ROOT_PASSWORD="+password,
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1") // minio's own flag for ephemeral test deployments
	cmd.Stdout, cmd.Stderr = log, log
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(err, log.Close())
	}
	s := &server{cmd: cmd, done: make(chan error, 1), log: log, logPath: logPath, addr: addr}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	return s, nil
}

// waitReady polls the cluster health endpoint until it answers 200, the process exits, or the
// timeout passes. /minio/health/live is not enough: it answers 200 while IAM and bucket
// metadata are still loading, and S3 requests then fail with "Server not initialized yet".
// /minio/health/cluster waits for both.
func (s *server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	url := "http://" + s.addr + "/minio/health/cluster"
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			status := resp.StatusCode
			if err := resp.Body.Close(); err != nil {
				return err
			}
			if status == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err // stop waits on it again
			out := tail(s.logPath)
			if strings.Contains(out, "address already in use") {
				return fmt.Errorf("%w: minio exited (%v); its log ends:\n%s", errAddrInUse, err, out)
			}
			return fmt.Errorf("minio exited before it was ready (%v); its log %s ends:\n%s", err, s.logPath, out)
		case <-ctx.Done():
			return fmt.Errorf("minio at %s not ready after %v; its log %s ends:\n%s", s.addr, readyTimeout, s.logPath, tail(s.logPath))
		case <-tick.C:
		}
	}
}

// stop kills the server and waits for it to exit.
func (s *server) stop() error {
	err := s.cmd.Process.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		err = nil
	}
	werr := <-s.done
	var exit *exec.ExitError
	if errors.As(werr, &exit) {
		werr = nil // killed, or exited on its own: either way it is gone
	}
	return errors.Join(err, werr, s.log.Close())
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("miniotest: credentials: %v", err)
	}
	return hex.EncodeToString(b)
}

// tail returns the last few KiB of the log, or why it could not be read.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read the log: %v)", err)
	}
	const max = 4 << 10
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	if len(b) == 0 {
		return "(empty)"
	}
	return string(b)
}
