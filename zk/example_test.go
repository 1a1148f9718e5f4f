package zk_test

import (
	"fmt"
	"log"

	"github.com/dxplabs/dxp/zk"
)

// ExampleListingProver shows a devnet's setup, an owner proving one chunk of
// a column declared to lie within [-1000, 1000], and the chain verifying it.
func ExampleListingProver() {
	const n = 8 // values per chunk, fixed per chain; 1024 in practice

	// Once per devnet. INSECURE: whoever runs the setup can forge proofs.
	pk, vk, err := zk.SetupListingInsecure(n)
	if err != nil {
		log.Fatal(err)
	}

	// Owner: once per process, then per chunk.
	prover, err := zk.NewListingProver(n, pk)
	if err != nil {
		log.Fatal(err)
	}
	chunk, err := prover.Prove([]int64{-250, 0, 13, 999}, -1000, 1000) // padded with -1000
	if err != nil {
		log.Fatal(err)
	}
	// Publish chunk.Commitment and chunk.Proof; keep chunk.Salt secret.

	// Chain: verify against the registered verifying key.
	var v zk.Verifier
	err = v.VerifyListing(vk, chunk.Proof, chunk.Commitment, -1000, 1000)
	fmt.Println("verified:", err == nil)

	// The same proof does not vouch for narrower bounds.
	err = v.VerifyListing(vk, chunk.Proof, chunk.Commitment, -1000, 999)
	fmt.Println("narrower bounds:", err)
	// Output:
	// verified: true
	// narrower bounds: zk: invalid listing proof: pairing doesn't match
}
