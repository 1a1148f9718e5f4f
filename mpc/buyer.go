package mpc

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

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
func Open(params heint.Parameters, buyerSK []byte, output []byte, shares [][]byte) (*big.Int, error) {
	v, err := OpenValues(params, buyerSK, output, shares, 1)
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// OpenValues aggregates the active members' key-switch shares of an output ciphertext (exactly
// Threshold of them, in any order), switches it to the buyer's key, decrypts it and returns its
// first k slots as signed integers (centered modulo PlaintextModulus). k is the query's number of
// output values (spec.Outputs). It checks the layout: for k = 1 every slot must hold the same
// value, for k ≥ 2 every slot from k on must be zero. That catches a missing, extra, duplicated or
// corrupted share and a wrong buyer key (the decryption is then uniformly random), but not a
// committee that evaluates a different query consistently.
func OpenValues(params heint.Parameters, buyerSK []byte, output []byte, shares [][]byte, k int) ([]*big.Int, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: open: %w", err)
	}
	if k < 1 || k > Slots(params) {
		return nil, fmt.Errorf("mpc: open: %d values, want 1 to %d", k, Slots(params))
	}
	if len(shares) == 0 {
		return nil, errors.New("mpc: open: no key-switch shares")
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
	var slots []uint64
	err = protect(func() error {
		// Aggregation and KeySwitch use no noise; the distribution only sizes buffers.
		pcks, err := mhe.NewPublicKeySwitchProtocol(params, ring.DiscreteGaussian{Sigma: 1, Bound: 6})
		if err != nil {
			return err
		}
		agg := pcks.AllocateShare(ct.Level())
		for i, b := range shares {
			s, err := c.pcksShare(b, ct.Level())
			if err != nil {
				return fmt.Errorf("share %d: %w", i, err)
			}
			if err := pcks.AggregateShares(*s, agg, &agg); err != nil {
				return fmt.Errorf("share %d: %w", i, err)
			}
		}
		out := heint.NewCiphertext(params, 1, ct.Level())
		pcks.KeySwitch(ct, agg, out)
		pt := heint.NewPlaintext(params, out.Level())
		rlwe.NewDecryptor(params, sk).Decrypt(out, pt)
		slots = make([]uint64, Slots(params))
		return heint.NewEncoder(params).Decode(pt, slots)
	})
	if err != nil {
		return nil, fmt.Errorf("mpc: open: %w", err)
	}
	const bad = "a key-switch share is missing, extra or corrupted, the buyer key is not the one the shares were made for, or k is not the query's"
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
