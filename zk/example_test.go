package zk_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"math/big"

	"github.com/dxplabs/dxp/circuits"
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

// ExampleEncryptionProver shows a devnet's setup of the encryption circuit
// for a toy ring (N = 8, one 100-bit group), an owner proving that a
// ciphertext is a fresh encryption under the committee's key, and a member
// verifying it. Real ciphertexts come from mpc at N = 16,384; their
// T-scaled coefficient-domain polynomials are what the proof speaks about.
func ExampleEncryptionProver() {
	const n, t, noiseBound = 8, 1125899908022273, 19
	q := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 100), big.NewInt(277)) // the group modulus
	lay, err := circuits.NewEncryptionLayout(n, []*big.Int{q}, t, noiseBound, true)
	if err != nil {
		log.Fatal(err)
	}
	pk, vk, err := zk.SetupEncryptionInsecure(lay) // once per devnet; INSECURE
	if err != nil {
		log.Fatal(err)
	}

	// The secret and the T-scaled key; c' = p'·u + T·e (+ m) mod (q, X^N+1)
	// is T times the encryption c = p·u + e (+ [T^-1·m]_q).
	w := circuits.EncryptionWitness{
		U:  []int64{1, 0, -1, 1, 1, 0, 0, -1},
		E0: []int64{3, -2, 0, 19, -7, 1, 0, 5},
		E1: []int64{-1, 4, 2, 0, -19, 6, 2, 0},
		M:  []uint64{42, 7, 0, 1 << 40, 5, 5, 5, 1},
	}
	p0, p1 := make([]*big.Int, n), make([]*big.Int, n)
	for i := range n {
		p0[i] = new(big.Int).Mod(new(big.Int).Exp(big.NewInt(3), big.NewInt(int64(90+i)), nil), q)
		p1[i] = new(big.Int).Mod(new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(60+i)), nil), q)
	}
	mul := func(p []*big.Int, e []int64, m []uint64) []*big.Int {
		c := make([]*big.Int, n)
		for k := range n {
			c[k] = new(big.Int).Mul(big.NewInt(t), big.NewInt(e[k]))
			if m != nil {
				c[k].Add(c[k], new(big.Int).SetUint64(m[k]))
			}
		}
		for i := range n {
			for j := range n {
				term := new(big.Int).Mul(p[i], big.NewInt(w.U[j]))
				if i+j < n {
					c[i+j].Add(c[i+j], term)
				} else {
					c[i+j-n].Sub(c[i+j-n], term) // X^N = -1
				}
			}
		}
		for k := range c {
			c[k].Mod(c[k], q)
		}
		return c
	}
	polys := []circuits.GroupPolys{{C0: mul(p0, w.E0, w.M), C1: mul(p1, w.E1, nil), P0: p0, P1: p1}}
	binding := zk.Binding([]byte("key digest"), 3, sha256.Sum256([]byte("ciphertext bytes")), []byte("owner address"))

	prover, err := zk.NewEncryptionProver(lay, pk)
	if err != nil {
		log.Fatal(err)
	}
	ep, err := prover.Prove(polys, w, binding)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", zk.VerifyEncryption(vk, lay, polys, binding, ep.Proof) == nil)

	polys[0].C1[3] = new(big.Int).Mod(new(big.Int).Add(polys[0].C1[3], big.NewInt(1)), q)
	fmt.Println("tampered ciphertext verified:", zk.VerifyEncryption(vk, lay, polys, binding, ep.Proof) == nil)
	// Output:
	// verified: true
	// tampered ciphertext verified: false
}
