package zk

import (
	"context"
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"

	"github.com/dxplabs/dxp/circuits"
)

// rawProveChunks is the plain-gnark baseline of the benchmarks beside
// ProveChunks (internal/bench has `dxp bench publish`'s own): it proves each chunk with nothing but what a gnark user
// would write — circuits.NewChunkAssignment, frontend.NewWitness and
// groth16.Prove on the prover's compiled circuit and key — workers chunks at
// a time (workers <= 0 means ProofWorkers()), and discards the proofs. It
// pads short chunks with min like Prove, but draws no fresh salt (it uses
// salt 1), checks no bounds beyond what the assignment builder needs, and
// serialises nothing. It returns the first error.
func (p *ChunkProver) rawProveChunks(ctx context.Context, chunks [][]int64, min, max int64, workers int) error {
	if workers <= 0 {
		workers = ProofWorkers()
	}
	n, w := p.lay.N, p.lay.W
	salt := fieldInt64(1)
	next := make(chan []int64)
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for values := range next {
				if err := rawProve(p, n, w, values, min, max, salt); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, values := range chunks {
		if ctx.Err() != nil {
			break
		}
		if len(values) < n {
			padded := make([]int64, n)
			copy(padded, values)
			for i := len(values); i < n; i++ {
				padded[i] = min
			}
			values = padded
		}
		select {
		case next <- values:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func rawProve(p *ChunkProver, n, w int, values []int64, min, max int64, salt fr.Element) (err error) {
	defer recoverTo(&err, "zk: raw prove")
	assignment, err := circuits.NewChunkAssignment(n, w, values, min, max, salt)
	if err != nil {
		return fmt.Errorf("zk: raw prove: %w", err)
	}
	witness, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return fmt.Errorf("zk: raw prove: %w", err)
	}
	if _, err := groth16.Prove(p.ccs, p.pk, witness); err != nil {
		return fmt.Errorf("zk: raw prove: %w", err)
	}
	return nil
}
