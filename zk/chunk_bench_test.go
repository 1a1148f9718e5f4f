package zk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The chunk benchmarks prove full chunks of a 32-bit column. Their insecure
// setup takes about a minute at n = 16,384, so keys are cached under
// $TMPDIR/dxp-zk-bench and rebuilt when the circuit changes. Run them one
// at a time, so that peak_rss_MB is that benchmark's own:
//
//	go test -run '^$' -bench 'ProveChunk16K$' -benchtime 3x ./zk
//	go test -run '^$' -bench 'ProveChunk16KRaw' -benchtime 3x ./zk
//	go test -run '^$' -bench 'ProveChunks16K' -benchtime 6x ./zk
//	go test -run '^$' -bench 'ProveChunk4K' -benchtime 5x ./zk
//	go test -run '^$' -bench 'ProveChunk22K' -benchtime 3x ./zk

// benchChunkProver returns a prover for (n, w), from cached keys if they
// still match the circuit.
func benchChunkProver(b *testing.B, n, w int) *ChunkProver {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "dxp-zk-bench")
	pkPath := filepath.Join(dir, fmt.Sprintf("chunk-%d-%d.pk", n, w))
	if pk, err := os.ReadFile(pkPath); err == nil {
		start := time.Now()
		p, err := NewChunkProver(n, w, pk)
		if err == nil {
			b.Logf("n = %d, w = %d: cached proving key %.1f MB, compile and load %v", n, w, float64(len(pk))/1e6, time.Since(start).Round(time.Millisecond))
			return p
		}
		if !errors.Is(err, ErrInvalidKey) {
			b.Fatal(err)
		}
	}
	start := time.Now()
	pk, vk, err := SetupChunkInsecure(n, w)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("n = %d, w = %d: insecure setup (with compile) %v, pk %.1f MB, vk %d B",
		n, w, time.Since(start).Round(time.Millisecond), float64(len(pk))/1e6, len(vk))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(pkPath, pk, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(strings.TrimSuffix(pkPath, ".pk")+".vk", vk, 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := NewChunkProver(n, w, pk)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchValues returns a chunk of n values spread over [0, 2^32).
func benchValues(n, seed int) []int64 {
	values := make([]int64, n)
	for i := range values {
		values[i] = int64((uint64(i+seed*n) * 2654435761) % (1 << 32))
	}
	return values
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportChunks reports values/s, CPU seconds per chunk since cpuStart (on a
// shared machine, wall time depends on the neighbours; CPU time much less),
// constraints per value and the process's peak RSS so far.
func reportChunks(b *testing.B, p *ChunkProver, chunks int, cpuStart time.Duration) {
	b.Helper()
	n := p.ChunkSize()
	b.ReportMetric(float64(chunks*n)/b.Elapsed().Seconds(), "values/s")
	b.ReportMetric((cpuTime()-cpuStart).Seconds()/float64(chunks), "cpu_s/chunk")
	b.ReportMetric(float64(p.Constraints())/float64(n), "constraints/value")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MB")
	}
}

// peakRSS returns the process's peak resident set size in bytes (Linux), or 0.
func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func benchProveChunk(b *testing.B, n int) {
	p := benchChunkProver(b, n, 32)
	values := benchValues(n, 0)
	b.ResetTimer()
	cpu := cpuTime()
	chunks := 0
	for b.Loop() {
		if _, err := p.Prove(values, 0, 1<<32-1); err != nil {
			b.Fatal(err)
		}
		chunks++
	}
	reportChunks(b, p, chunks, cpu)
}

// BenchmarkProveChunk16K proves one 16,384-value chunk of a 32-bit column
// at a time through DXP's path (checks, salt, commitment, witness, proof,
// serialisation).
func BenchmarkProveChunk16K(b *testing.B) { benchProveChunk(b, 1<<14) }

// BenchmarkProveChunk4K is BenchmarkProveChunk16K at n = 4,096.
func BenchmarkProveChunk4K(b *testing.B) { benchProveChunk(b, 1<<12) }

// BenchmarkProveChunk22K is BenchmarkProveChunk16K at n = 22,000, which
// fills the 2^18-point FFT domain that n = 16,384 uses to 73%.
func BenchmarkProveChunk22K(b *testing.B) { benchProveChunk(b, 22000) }

// BenchmarkProveChunk16KRaw is the plain-gnark baseline of
// BenchmarkProveChunk16K: rawProveChunks, one chunk at a time.
func BenchmarkProveChunk16KRaw(b *testing.B) {
	p := benchChunkProver(b, 1<<14, 32)
	values := [][]int64{benchValues(1<<14, 0)}
	b.ResetTimer()
	cpu := cpuTime()
	chunks := 0
	for b.Loop() {
		if err := p.rawProveChunks(context.Background(), values, 0, 1<<32-1, 1); err != nil {
			b.Fatal(err)
		}
		chunks++
	}
	reportChunks(b, p, chunks, cpu)
}

// BenchmarkProveChunks16K runs ProveChunks with 1, 2 and 3 proofs in
// flight, b.N chunks per run, to find the best worker count; and rawProveChunks
// with the same counts beside it.
func BenchmarkProveChunks16K(b *testing.B) {
	p := benchChunkProver(b, 1<<14, 32)
	for _, workers := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			jobs := make(chan ChunkJob)
			go func() {
				defer close(jobs)
				for i := range b.N {
					jobs <- ChunkJob{Seq: i, Values: benchValues(1<<14, i), Min: 0, Max: 1<<32 - 1}
				}
			}()
			b.ResetTimer()
			cpu := cpuTime()
			for r := range p.ProveChunks(context.Background(), jobs, workers) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			reportChunks(b, p, b.N, cpu)
		})
		b.Run(fmt.Sprintf("raw/workers=%d", workers), func(b *testing.B) {
			chunks := make([][]int64, b.N)
			for i := range chunks {
				chunks[i] = benchValues(1<<14, i)
			}
			b.ResetTimer()
			cpu := cpuTime()
			if err := p.rawProveChunks(context.Background(), chunks, 0, 1<<32-1, workers); err != nil {
				b.Fatal(err)
			}
			reportChunks(b, p, b.N, cpu)
		})
	}
}

// BenchmarkVerifyChunk verifies one chunk proof; verification does not
// depend on n or w. The verifying key is parsed once, then cached.
func BenchmarkVerifyChunk(b *testing.B) {
	f := chunkSetup(b, "a")
	cp, err := f.prover.Prove([]int64{1, 2, 3}, 0, 100)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := VerifyChunk(f.vk, cp.Proof, cp.Commitment, 0, 100); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cp.Proof)), "proof_B")
	b.ReportMetric(float64(len(f.vk)), "vk_B")
}
