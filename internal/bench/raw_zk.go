package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/zk"
)

// rawProver is the proving baseline that `dxp bench publish` sets beside publishing: the chunk
// circuit as zk compiles it (zk.CompileChunk) and its proving key read by gnark, with nothing of
// DXP around them.
type rawProver struct {
	n, w int
	ccs  constraint.ConstraintSystem
	pk   groth16.ProvingKey
}

// newRawProver compiles the (n, w) chunk circuit and reads pk, a proving key in gnark's raw
// encoding (what a devnet's setup stores), without checking its points: it is the bench's own.
func newRawProver(n, w int, pk []byte) (*rawProver, error) {
	ccs, err := zk.CompileChunk(n, w)
	if err != nil {
		return nil, err
	}
	key := groth16.NewProvingKey(ecc.BN254)
	if _, err := key.UnsafeReadFrom(bytes.NewReader(pk)); err != nil {
		return nil, fmt.Errorf("raw prove: read the proving key: %w", err)
	}
	return &rawProver{n: n, w: w, ccs: ccs, pk: key}, nil
}

// prove proves each chunk with nothing but what a gnark user would write:
// circuits.NewChunkAssignment, frontend.NewWitness and groth16.Prove, workers chunks at a time
// (workers <= 0 means zk.ProofWorkers()), and discards the proofs. It pads short chunks with min
// as zk's prover does, but draws no fresh salt (it uses salt 1), checks no bounds beyond what the
// assignment builder needs, and serialises nothing. It returns the first error.
func (p *rawProver) prove(ctx context.Context, chunks [][]int64, min, max int64, workers int) error {
	if workers <= 0 {
		workers = zk.ProofWorkers()
	}
	var salt fr.Element
	salt.SetOne()
	next := make(chan []int64)
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for values := range next {
				if err := p.proveOne(values, min, max, salt); err != nil {
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
		if len(values) < p.n {
			padded := make([]int64, p.n)
			copy(padded, values)
			for i := len(values); i < p.n; i++ {
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

func (p *rawProver) proveOne(values []int64, min, max int64, salt fr.Element) (err error) {
	defer func() { // gnark panics on some malformed inputs; a panic must not end the bench's caller
		if r := recover(); r != nil {
			err = fmt.Errorf("raw prove: %v", r)
		}
	}()
	assignment, err := circuits.NewChunkAssignment(p.n, p.w, values, min, max, salt)
	if err != nil {
		return fmt.Errorf("raw prove: %w", err)
	}
	witness, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return fmt.Errorf("raw prove: %w", err)
	}
	if _, err := groth16.Prove(p.ccs, p.pk, witness); err != nil {
		return fmt.Errorf("raw prove: %w", err)
	}
	return nil
}
