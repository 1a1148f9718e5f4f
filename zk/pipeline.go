package zk

import (
	"context"
	"runtime"
	"sync"
)

// ChunkJob is one chunk for [ChunkProver.ProveChunks].
type ChunkJob struct {
	Seq      int     // the caller's sequence number, copied to the result
	Values   []int64 // 1 to n values; read, never modified
	Min, Max int64
}

// ChunkResult is the outcome of one ChunkJob: a proof or an error.
type ChunkResult struct {
	Seq   int
	Proof ChunkProof
	Err   error
}

// ProofWorkers returns how many chunks to prove at once by default: one per
// four cores, at least one. A gnark Groth16 proof already spreads its MSMs
// and FFTs over every core: on 2 cores one 16,384-value proof keeps 1.9 of
// them busy, and a second proof in flight measured 5,066 to 5,473 values/s
// against 5,178 to 5,283 for one, within noise, for 300 MB more memory.
// Several proofs in flight only pay where one proof cannot fill the cores
// (its solver and bookkeeping are partly sequential), which is a guess for
// machines larger than the 2-core ones measured (BenchmarkProveChunks16K).
func ProofWorkers() int {
	return max(1, runtime.GOMAXPROCS(0)/4)
}

// ProveChunks proves the jobs it receives on workers goroutines (workers <=
// 0 means ProofWorkers()) and sends one result per job on the returned
// channel, in completion order (use Seq to put them back in order). The
// channel is closed once jobs is closed and every job taken has its result,
// or once ctx is done: then no further job is taken, a proof under way is
// finished and dropped, and jobs still in the channel are left there. The
// caller must keep receiving until the channel is closed or cancel ctx.
//
// A failed job does not stop the others; cancel ctx to stop early.
func (p *ChunkProver) ProveChunks(ctx context.Context, jobs <-chan ChunkJob, workers int) <-chan ChunkResult {
	if workers <= 0 {
		workers = ProofWorkers()
	}
	results := make(chan ChunkResult)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				var job ChunkJob
				var ok bool
				select {
				case <-ctx.Done():
					return
				case job, ok = <-jobs:
					if !ok {
						return
					}
				}
				if ctx.Err() != nil {
					return
				}
				cp, err := p.Prove(job.Values, job.Min, job.Max)
				select {
				case results <- ChunkResult{Seq: job.Seq, Proof: cp, Err: err}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return results
}
