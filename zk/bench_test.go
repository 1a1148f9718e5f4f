package zk

import (
	"testing"
)

// BenchmarkProveListing proves one full chunk of n = 1024 values. Its setup
// alone takes tens of seconds, so it runs only when asked for:
//
//	go test -run '^$' -bench ProveListing -benchtime 5x ./zk
func BenchmarkProveListing(b *testing.B) {
	const n = 1024
	pk, _, err := SetupListingInsecure(n)
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewListingProver(n, pk)
	if err != nil {
		b.Fatal(err)
	}
	values := make([]int64, n)
	for i := range values {
		values[i] = int64(i*7919) - 1<<20
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Prove(values, -1<<40, 1<<40); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyListing verifies one proof; verification does not depend
// on n. The verifying key is parsed once and then served from the cache.
func BenchmarkVerifyListing(b *testing.B) {
	f := setup(b, "a")
	p := validProof(b)
	b.ResetTimer()
	for b.Loop() {
		if err := VerifyListing(f.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max); err != nil {
			b.Fatal(err)
		}
	}
}
