package devnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// devnetWidths are the chunk circuit widths a development network registers by default: 32
// bits holds every column whose Max-Min is below 2^32 (ages, counts, money in cents up to 42
// million), 64 bits every int64 column. A column is proven with the narrowest that fits.
var devnetWidths = []int{32, 64}

// setupCacheVersion is part of every cache file name; bump it when the chunk circuit or the
// key encoding changes, so that no stale key is reused.
const setupCacheVersion = 1

// InsecureChunkSetup returns the proving and verifying keys of an insecure, devnet-only setup
// of the (n, w) chunk circuit. With a cache directory it reuses the keys an earlier devnet set
// up for the same circuit, after checking the proving key still fits the compiled circuit, and
// keeps new ones there: the setup is most of a devnet's first start. cached says whether they
// came from the cache.
//
// INSECURE: whoever ran the setup, or can read the cache, can forge proofs. Development only.
func InsecureChunkSetup(ctx context.Context, cacheDir string, n, w int, log *slog.Logger) (pk, vk []byte, cached bool, err error) {
	path := ""
	if cacheDir != "" {
		path = filepath.Join(cacheDir, fmt.Sprintf("chunk-v%d-n%d-w%d.keys", setupCacheVersion, n, w))
		if pk, vk, err := readSetupCache(path); err == nil {
			if _, err := zk.NewChunkProver(n, w, pk); err == nil {
				return pk, vk, true, nil
			}
			log.Warn("ignoring a cached setup that does not fit the circuit", "file", path)
		} else if !errors.Is(err, os.ErrNotExist) {
			log.Warn("ignoring an unreadable cached setup", "file", path, "err", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, false, err
	}
	log.Info("setting up the chunk circuit (insecure, development networks only)", "chunk", n, "width", w)
	start := time.Now()
	pk, vk, err = zk.SetupChunkInsecure(n, w)
	if err != nil {
		return nil, nil, false, fmt.Errorf("chunk circuit n=%d w=%d setup: %w", n, w, err)
	}
	log.Info("chunk circuit ready", "chunk", n, "width", w, "took", time.Since(start).Round(time.Millisecond), "pk_bytes", len(pk))
	if path != "" {
		if err := writeSetupCache(path, pk, vk); err != nil {
			log.Warn("could not cache the setup", "file", path, "err", err)
		}
	}
	return pk, vk, false, nil
}

// A cache file is the verifying key's length (8 bytes, big-endian), the verifying key and the
// proving key, written atomically so that a pair is never torn.
func readSetupCache(path string) (pk, vk []byte, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(b) < 8 {
		return nil, nil, errors.New("truncated")
	}
	n := binary.BigEndian.Uint64(b)
	if n == 0 || n > uint64(len(b)-8) {
		return nil, nil, errors.New("truncated")
	}
	return b[8+n:], b[8 : 8+n], nil
}

func writeSetupCache(path string, pk, vk []byte) error {
	b := make([]byte, 0, 8+len(vk)+len(pk))
	b = binary.BigEndian.AppendUint64(b, uint64(len(vk)))
	b = append(append(b, vk...), pk...)
	return atomicfile.Write(path, b, 0o600)
}

// devnetCircuits sets up (or takes from the cache) the chunk circuit of size n for each width,
// uploads each proving key and returns the registry entries for genesis.
func devnetCircuits(ctx context.Context, bucket storage.Bucket, cacheDir string, n int, widths []int, log *slog.Logger) ([]rights.Circuit, error) {
	var out []rights.Circuit
	for _, w := range widths {
		pk, vk, _, err := InsecureChunkSetup(ctx, cacheDir, n, w, log)
		if err != nil {
			return nil, err
		}
		d, err := storage.PutBytes(ctx, bucket, pk)
		if err != nil {
			return nil, fmt.Errorf("upload the proving key of circuit %s: %w", rights.CircuitID(uint64(n), uint32(w)), err)
		}
		out = append(out, rights.Circuit{ChunkSize: uint64(n), Width: uint32(w), VK: vk, PK: rights.Digest(d), Setup: rights.InsecureDevnetSetup})
	}
	return out, nil
}
