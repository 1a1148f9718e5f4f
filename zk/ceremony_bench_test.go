package zk

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// BenchmarkVerifyTranscript measures what `dxp zk ceremony verify` costs: verifying a
// three-participant transcript of the chunk circuit and deriving its keys, for chunks of 64 and
// 1024 values of 32 bits (and DXP_BENCH_CHUNK values, if set). Running the ceremony first takes
// longer than the verification, so it runs only when asked for:
//
//	go test -run '^$' -bench VerifyTranscript -benchtime 1x ./zk
func BenchmarkVerifyTranscript(b *testing.B) {
	sizes := []int{64, 1024}
	if s := os.Getenv("DXP_BENCH_CHUNK"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("DXP_BENCH_CHUNK=%q is not a number", s)
		}
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d,w=32", n), func(b *testing.B) {
			ccs, err := CompileChunk(n, 32)
			if err != nil {
				b.Fatal(err)
			}
			r, err := newCeremony(ccs, 3)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := VerifyTranscript(ccs, &r.transcript); err != nil {
					b.Fatal(err)
				}
			}
			// After the loop: ResetTimer, which b.Loop calls, drops metrics reported before it.
			b.ReportMetric(float64(CeremonyDomain(ccs)), "domain")
			b.ReportMetric(float64(len(r.transcript.Phase1[0])+len(r.transcript.Phase2[0]))/1e6, "MB/participant")
		})
	}
}
