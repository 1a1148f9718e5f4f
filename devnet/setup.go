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
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// devnetWidths are the chunk circuit widths a development network registers by default: 32
// bits holds every column whose Max-Min is below 2^32 (ages, counts, money in cents up to 42
// million), 64 bits every int64 column. A column is proven with the narrowest that fits.
var devnetWidths = []int{32, 64}

// setupCacheVersion is part of every cache file name; bump it when a circuit, the parameters an
// input circuit is laid out for (mpc.NewParamsFor, mpc.InputLevel) or the key encoding change,
// so that no stale key is reused. 2: input circuits (file names carry the kind and the ring).
const setupCacheVersion = 2

// InsecureChunkSetup returns the proving and verifying keys of an insecure, devnet-only setup
// of the (n, w) chunk circuit. With a cache directory it reuses the keys an earlier devnet set
// up for the same circuit, after checking the proving key still fits the compiled circuit, and
// keeps new ones there: the setup is most of a devnet's first start. cached says whether they
// came from the cache.
//
// INSECURE: whoever ran the setup, or can read the cache, can forge proofs. Development only.
func InsecureChunkSetup(ctx context.Context, cacheDir string, n, w int, log *slog.Logger) (pk, vk []byte, cached bool, err error) {
	return insecureSetup(ctx, cacheDir, fmt.Sprintf("chunk-v%d-n%d-w%d.keys", setupCacheVersion, n, w),
		"chunk circuit", fmt.Sprintf("n=%d w=%d", n, w), []any{"chunk", n, "width", w},
		func(pk []byte) error { _, err := zk.NewChunkProver(n, w, pk); return err },
		func() ([]byte, []byte, error) { return zk.SetupChunkInsecure(n, w) }, log)
}

// InsecureInputSetup returns the keys of an insecure, devnet-only setup of the input circuit of
// kind (rights.CircuitInput, CircuitInputHistogram or CircuitFrequencyTable) for a ring of slots
// values per ciphertext (mpc.NewParamsFor) and width w (marketplace.InputLayout, with the
// histogram part the kind names: marketplace.KindLayout), through the cache as
// InsecureChunkSetup does. The cache file names the kind, the ring and the width; a cached key is
// used only if it fits the circuit compiled now.
//
// INSECURE: whoever ran the setup, or can read the cache, can forge proofs. Development only.
func InsecureInputSetup(ctx context.Context, cacheDir string, kind rights.CircuitKind, slots, w int, log *slog.Logger) (pk, vk []byte, cached bool, err error) {
	lay, err := marketplace.KindLayout(kind, uint64(slots), uint32(w))
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s circuit slots=%d w=%d: %w", kind, slots, w, err)
	}
	return insecureSetup(ctx, cacheDir, fmt.Sprintf("%s-v%d-ring%d-w%d.keys", kind, setupCacheVersion, slots, w),
		string(kind)+" circuit", fmt.Sprintf("slots=%d w=%d", slots, w), []any{"slots", slots, "width", w},
		func(pk []byte) error { _, err := zk.NewInputProver(lay, pk); return err },
		func() ([]byte, []byte, error) { return zk.SetupInputInsecure(lay) }, log)
}

// insecureSetup runs setup, or takes its keys from cacheDir/file if they fit.
func insecureSetup(ctx context.Context, cacheDir, file, what, label string, attrs []any, fits func(pk []byte) error,
	setup func() (pk, vk []byte, err error), log *slog.Logger) (pk, vk []byte, cached bool, err error) {
	path := ""
	if cacheDir != "" {
		path = filepath.Join(cacheDir, file)
		if pk, vk, err := readSetupCache(path); err == nil {
			if err := fits(pk); err == nil {
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
	log.Info("setting up the "+what+" (insecure, development networks only)", attrs...)
	start := time.Now()
	pk, vk, err = setup()
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s %s setup: %w", what, label, err)
	}
	log.Info(what+" ready", append(attrs, "took", time.Since(start).Round(time.Millisecond), "pk_bytes", len(pk))...)
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

// tableWidth is the width of the frequency-table circuit a small-ring devnet registers: its
// counts go up to 2^32 − 1 rows (rights.ColumnWidth(0, Rows)), more than any devnet holds.
const tableWidth = 32

// devnetCircuits sets up (or takes from the cache) the chunk circuit of size n for each width
// and, when withInputs is set, the input circuit with the histogram column side
// (rights.CircuitInputHistogram) of the ring (slots values per ciphertext) for each width and one
// frequency-table circuit (rights.CircuitFrequencyTable) of tableWidth, uploads each proving key
// and returns the registry entries for genesis. Publish proves a column with the input-histogram
// circuit where one fits, and its frequency table with the table circuit. The caller sets
// withInputs on every ring below mpc.SecureSlots; at the secure ring only when asked
// (Config.SecureInputs: `dxp bench publish`): there an input setup takes minutes and gigabytes
// per circuit, which the compute bench's devnet, measuring computation, not publishing, does
// without.
func devnetCircuits(ctx context.Context, bucket storage.Bucket, cacheDir string, n, slots int, widths []int, withInputs bool, log *slog.Logger) ([]rights.Circuit, error) {
	var out []rights.Circuit
	register := func(kind rights.CircuitKind, size, w int, pk, vk []byte) error {
		c := rights.Circuit{ChunkSize: uint64(size), Width: uint32(w), Kind: kind, VK: vk, Setup: rights.InsecureDevnetSetup}
		d, err := storage.PutBytes(ctx, bucket, pk)
		if err != nil {
			return fmt.Errorf("upload the proving key of circuit %s: %w", c.ID(), err)
		}
		c.PK = rights.Digest(d)
		out = append(out, c)
		return nil
	}
	for _, w := range widths {
		pk, vk, _, err := InsecureChunkSetup(ctx, cacheDir, n, w, log)
		if err != nil {
			return nil, err
		}
		if err := register(rights.CircuitChunk, n, w, pk, vk); err != nil {
			return nil, err
		}
	}
	if !withInputs {
		return out, nil
	}
	type inputCircuit struct {
		kind rights.CircuitKind
		w    int
	}
	var inputs []inputCircuit
	for _, w := range widths {
		inputs = append(inputs, inputCircuit{rights.CircuitInputHistogram, w})
	}
	inputs = append(inputs, inputCircuit{rights.CircuitFrequencyTable, tableWidth})
	for _, in := range inputs {
		pk, vk, _, err := InsecureInputSetup(ctx, cacheDir, in.kind, slots, in.w, log)
		if err != nil {
			return nil, err
		}
		if err := register(in.kind, slots, in.w, pk, vk); err != nil {
			return nil, err
		}
	}
	return out, nil
}
