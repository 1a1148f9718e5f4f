package devnet_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/rights"
)

// TestInputSetupCache checks the setup cache for input circuits: the file names the kind (here
// the input circuit with the histogram column side a small-ring devnet registers), the ring and
// the width; a second setup of the same circuit comes from the cache, byte for byte; and
// a key of another circuit under a cache file's name (here the input key where the n=64 chunk
// key belongs) is not used: the setup runs afresh and replaces it. The input setup (tens of
// seconds at 1,024 slots) is taken from the shared test cache when a test devnet made it.
func TestInputSetupCache(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up an input circuit")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	const slots, width = 1024, 32
	name := "input-histogram-v2-ring1024-w32.keys"
	if b, err := os.ReadFile(filepath.Join(devnettest.SetupCache(), name)); err == nil {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pk, vk, _, err := devnet.InsecureInputSetup(ctx, dir, rights.CircuitInputHistogram, slots, width, log)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("the input setup is not cached under %s: %v", name, err)
	}
	pk2, vk2, cached, err := devnet.InsecureInputSetup(ctx, dir, rights.CircuitInputHistogram, slots, width, log)
	if err != nil || !cached || !bytes.Equal(pk, pk2) || !bytes.Equal(vk, vk2) {
		t.Fatalf("second InsecureInputSetup: cached %v, same keys %v, %v; want the cached keys", cached, bytes.Equal(pk, pk2) && bytes.Equal(vk, vk2), err)
	}

	chunkName := "chunk-v2-n64-w32.keys"
	if err := os.WriteFile(filepath.Join(dir, chunkName), stored, 0o600); err != nil {
		t.Fatal(err)
	}
	cpk, _, cached, err := devnet.InsecureChunkSetup(ctx, dir, 64, width, log)
	if err != nil {
		t.Fatal(err)
	}
	if cached || bytes.Equal(cpk, pk) {
		t.Errorf("InsecureChunkSetup used the input circuit's key cached under the chunk circuit's name")
	}
	if _, _, cached, err := devnet.InsecureChunkSetup(ctx, dir, 64, width, log); err != nil || !cached {
		t.Errorf("the fresh chunk setup did not replace the wrong key in the cache: cached %v, %v", cached, err)
	}
}
