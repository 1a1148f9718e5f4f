package mpc

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// NewBuyerKey generates a buyer's RLWE key pair and returns them serialized. The secret key never
// leaves the buyer; the public key goes to storage and its digest on chain, and the committee
// re-encrypts results to it.
func NewBuyerKey(params heint.Parameters) (sk, pk []byte, err error) {
	if err := checkParams(params); err != nil {
		return nil, nil, fmt.Errorf("mpc: new buyer key: %w", err)
	}
	err = protect(func() error {
		s, p := rlwe.NewKeyGenerator(params).GenKeyPairNew()
		var err error
		if sk, err = s.MarshalBinary(); err != nil {
			return err
		}
		pk, err = p.MarshalBinary()
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("mpc: new buyer key: %w", err)
	}
	return sk, pk, nil
}

// Open returns the result of a single-valued computation (sum, mean, dot, a one-bucket
// histogram): OpenValues with k = 1.
func Open(params heint.Parameters, buyerSK []byte, output []byte, shares [][]byte, threshold int) (*big.Int, error) {
	v, err := OpenValues(params, buyerSK, output, shares, threshold, 1)
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// OpenValues opens an output ciphertext with the participants' key-switch share objects, given in
// the chain's participant order (spec.Participants of them; threshold is the committee's t). Each
// object holds its member's PCKS share for every t-subset of the participants it is in (see
// subsets.go). OpenValues combines every subset, switches the output to the buyer's key, decrypts
// it, and accepts only when every subset decrypts to the same slots: a share that moves the answer
// makes subsets disagree, and OpenValues returns a *VerifyError naming the suspects instead of an
// answer. With exactly t participants (a computation with noise) there is one subset and nothing
// to cross-check. It returns the first k slots as signed integers (centered modulo
// PlaintextModulus); k is the query's number of output values (spec.Outputs). It also checks the
// layout: for k = 1 every slot must hold the same value, for k ≥ 2 every slot from k on must be
// zero, which catches a wrong buyer key (the decryption is then uniformly random) or a wrong k.
// It does not catch a committee that evaluates a different query consistently (the chain's output
// vote does).
func OpenValues(params heint.Parameters, buyerSK []byte, output []byte, shares [][]byte, threshold, k int) ([]*big.Int, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: open: %w", err)
	}
	if k < 1 || k > Slots(params) {
		return nil, fmt.Errorf("mpc: open: %d values, want 1 to %d", k, Slots(params))
	}
	if len(shares) == 0 {
		return nil, errors.New("mpc: open: no key-switch shares")
	}
	q := len(shares)
	if threshold < 1 || threshold > q || q > maxParticipants {
		return nil, fmt.Errorf("mpc: open: %d share objects for threshold %d, want 1 ≤ threshold ≤ participants ≤ %d", q, threshold, maxParticipants)
	}
	seen := make(map[[32]byte]int, len(shares))
	for i, s := range shares {
		h := sha256.Sum256(s)
		if j, dup := seen[h]; dup {
			return nil, fmt.Errorf("mpc: open: key-switch shares %d and %d are identical", j, i)
		}
		seen[h] = i
	}
	c := newCodec(params)
	sk, err := c.secretKey(buyerSK)
	if err != nil {
		return nil, fmt.Errorf("mpc: open: buyer key: %w", err)
	}
	ct, err := c.outputCiphertext(output, k == 1)
	if err != nil {
		return nil, fmt.Errorf("mpc: open: output: %w", err)
	}
	subs := subsets(q, threshold)
	per := len(subsetsWith(q, threshold, 0))
	var results [][]uint64
	err = protect(func() error {
		// Aggregation and KeySwitch use no noise; the distribution only sizes buffers.
		pcks, err := mhe.NewPublicKeySwitchProtocol(params, ring.DiscreteGaussian{Sigma: 1, Bound: 6})
		if err != nil {
			return err
		}
		size := pcks.AllocateShare(ct.Level()).BinarySize()
		parts := make([][]*mhe.PublicKeySwitchShare, q)
		for i, b := range shares {
			if len(b) != per*size {
				return fmt.Errorf("share object %d: %d bytes, want %d (%d key-switch shares of %d bytes)", i, len(b), per*size, per, size)
			}
			for j := range per {
				s, err := c.pcksShare(b[j*size:(j+1)*size], ct.Level())
				if err != nil {
					return fmt.Errorf("share object %d, share %d: %w", i, j, err)
				}
				parts[i] = append(parts[i], s)
			}
		}
		next := make([]int, q) // the next unused part of each participant, in subset order
		dec := rlwe.NewDecryptor(params, sk)
		enc := heint.NewEncoder(params)
		for _, sub := range subs {
			agg := pcks.AllocateShare(ct.Level())
			for _, p := range sub {
				if err := pcks.AggregateShares(*parts[p][next[p]], agg, &agg); err != nil {
					return fmt.Errorf("share object %d: %w", p, err)
				}
				next[p]++
			}
			out := heint.NewCiphertext(params, 1, ct.Level())
			pcks.KeySwitch(ct, agg, out)
			pt := heint.NewPlaintext(params, out.Level())
			dec.Decrypt(out, pt)
			slots := make([]uint64, Slots(params))
			if err := enc.Decode(pt, slots); err != nil {
				return err
			}
			results = append(results, slots)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mpc: open: %w", err)
	}
	class := make([]int, len(results))
	distinct := 0
	for i, r := range results {
		class[i] = -1
		for j := range i {
			if slices.Equal(results[j], r) {
				class[i] = class[j]
				break
			}
		}
		if class[i] < 0 {
			class[i] = distinct
			distinct++
		}
	}
	if distinct > 1 {
		suspects, certain := attribute(q, subs, class)
		return nil, &VerifyError{Subsets: len(subs), Distinct: distinct, Suspects: suspects, Certain: certain}
	}
	slots := results[0]
	const bad = "the buyer key is not the one the shares were made for, or k is not the query's"
	if k == 1 {
		for i, v := range slots {
			if v != slots[0] {
				return nil, fmt.Errorf("mpc: open: decrypted slots disagree (slot %d): %s", i, bad)
			}
		}
	} else {
		for i, v := range slots[k:] {
			if v != 0 {
				return nil, fmt.Errorf("mpc: open: decrypted slot %d is not zero: %s", k+i, bad)
			}
		}
	}
	out := make([]*big.Int, k)
	for i := range out {
		out[i] = centered(slots[i], params.PlaintextModulus())
	}
	return out, nil
}

// centered maps v in [0, t) to (-t/2, t/2].
func centered(v, t uint64) *big.Int {
	r := new(big.Int).SetUint64(v)
	if v > t/2 {
		r.Sub(r, new(big.Int).SetUint64(t))
	}
	return r
}
