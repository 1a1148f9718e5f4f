package zk_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dxplabs/dxp/zk"
)

// ExampleChunkProver shows a devnet's setup for 8-value chunks of a
// 16-bit column, an owner proving a chunk, and the chain verifying it.
func ExampleChunkProver() {
	const n = 8 // values per chunk, fixed per chain; 16,384 in practice
	const min, max = -1000, 50_000
	w := zk.Width(min, max) // 16 bits; a chain keeps keys for a few widths

	// Once per devnet. INSECURE: whoever runs the setup can forge proofs.
	pk, vk, err := zk.SetupChunkInsecure(n, w)
	if err != nil {
		log.Fatal(err)
	}

	// Owner: load the key once, then prove chunks.
	prover, err := zk.NewChunkProver(n, w, pk)
	if err != nil {
		log.Fatal(err)
	}
	chunk, err := prover.Prove([]int64{-250, 0, 13, 49_999}, min, max) // padded with min
	if err != nil {
		log.Fatal(err)
	}
	// Publish chunk.Commitment and chunk.Proof; keep chunk.Salt secret.

	// Chain: verify against the registered verifying key.
	fmt.Println("width:", w)
	fmt.Println("verified:", zk.VerifyChunk(vk, chunk.Proof, chunk.Commitment, min, max) == nil)
	// Output:
	// width: 16
	// verified: true
}

// ExampleChunkProver_ProveChunks proves chunks two at a time and puts the
// results back in order.
func ExampleChunkProver_ProveChunks() {
	const n, w = 8, 8
	pk, vk, err := zk.SetupChunkInsecure(n, w)
	if err != nil {
		log.Fatal(err)
	}
	prover, err := zk.NewChunkProver(n, w, pk)
	if err != nil {
		log.Fatal(err)
	}
	column := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	jobs := make(chan zk.ChunkJob)
	go func() {
		defer close(jobs)
		for seq, start := 0, 0; start < len(column); seq, start = seq+1, start+n {
			jobs <- zk.ChunkJob{Seq: seq, Values: column[start:min(start+n, len(column))], Min: 0, Max: 255}
		}
	}()
	proofs := make([]zk.ChunkProof, (len(column)+n-1)/n)
	for r := range prover.ProveChunks(context.Background(), jobs, 2) {
		if r.Err != nil {
			log.Fatal(r.Err)
		}
		proofs[r.Seq] = r.Proof
	}
	for i, p := range proofs {
		fmt.Println("chunk", i, "verified:", zk.VerifyChunk(vk, p.Proof, p.Commitment, 0, 255) == nil)
	}
	// Output:
	// chunk 0 verified: true
	// chunk 1 verified: true
	// chunk 2 verified: true
}

// ExampleVerifyTranscript shows a setup ceremony among three participants
// for a chunk circuit, and anyone checking the keys it produced. (It is
// not run as a test: phase 2 takes a while.)
func ExampleVerifyTranscript() {
	ccs, err := zk.CompileChunk(16384, 32)
	if err != nil {
		log.Fatal(err)
	}
	domain := zk.CeremonyDomain(ccs)
	var t zk.Transcript

	// Phase 1: each participant downloads the latest contribution, adds its
	// own and uploads it; the chain records its digest.
	c, err := zk.StartPhase1(domain)
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		if c, err = zk.ContributePhase1(domain, c); err != nil {
			log.Fatal(err)
		}
		t.Phase1 = append(t.Phase1, c)
	}
	t.Phase1Beacon = []byte("hash of a block after the last phase-1 contribution")
	srs, err := zk.VerifyPhase1(domain, t.Phase1, t.Phase1Beacon)
	if err != nil {
		log.Fatal(err)
	}

	// Phase 2, for this circuit.
	if c, err = zk.StartPhase2(ccs, srs); err != nil {
		log.Fatal(err)
	}
	for range 3 {
		if c, err = zk.ContributePhase2(ccs, c); err != nil {
			log.Fatal(err)
		}
		t.Phase2 = append(t.Phase2, c)
	}
	t.Phase2Beacon = []byte("hash of a block after the last phase-2 contribution")

	// Anyone: recompute the keys from the transcript and compare the
	// verifying key with the one registered on chain.
	keys, err := zk.VerifyTranscript(ccs, &t)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("transcript %x, verifying key %d bytes\n", keys.Digest, len(keys.VK))
}
