package zk

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestProveChunks(t *testing.T) {
	f := chunkSetup(t, "a")
	jobs := make(chan ChunkJob)
	const count = 5
	go func() {
		defer close(jobs)
		for i := range count {
			values := []int64{int64(i), 10, 20}
			if i == 3 {
				values = []int64{-1} // out of range: an error result, the others go on
			}
			jobs <- ChunkJob{Seq: i, Values: values, Min: 0, Max: 100}
		}
	}()
	seen := map[int]bool{}
	for r := range f.prover.ProveChunks(context.Background(), jobs, 2) {
		if seen[r.Seq] {
			t.Errorf("result %d twice", r.Seq)
		}
		seen[r.Seq] = true
		if r.Seq == 3 {
			if !errors.Is(r.Err, ErrOutOfRange) {
				t.Errorf("result 3: %v, want ErrOutOfRange", r.Err)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("result %d: %v", r.Seq, r.Err)
			continue
		}
		if err := VerifyChunk(f.vk, r.Proof.Proof, r.Proof.Commitment, 0, 100); err != nil {
			t.Errorf("result %d does not verify: %v", r.Seq, err)
		}
	}
	if len(seen) != count {
		t.Errorf("%d results, want %d", len(seen), count)
	}
}

// TestProveChunksCancel checks that a cancelled pipeline closes its results
// without draining an endless job channel.
func TestProveChunksCancel(t *testing.T) {
	f := chunkSetup(t, "a")
	jobs := make(chan ChunkJob) // never closed
	go func() {
		for i := 0; ; i++ {
			select {
			case jobs <- ChunkJob{Seq: i, Values: []int64{1}, Min: 0, Max: 1}:
			case <-time.After(10 * time.Second):
				return
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	results := f.prover.ProveChunks(ctx, jobs, 0)
	<-results
	cancel()
	done := make(chan struct{})
	go func() {
		for range results {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("results not closed after cancel")
	}
}

func TestProofWorkers(t *testing.T) {
	if ProofWorkers() < 1 {
		t.Errorf("ProofWorkers() = %d", ProofWorkers())
	}
}
