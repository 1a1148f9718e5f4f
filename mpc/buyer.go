package mpc

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
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

// Open aggregates the members' key-switch shares of an output ciphertext, switches it to the
// buyer's key and decrypts it. It needs the share of every member. A computation's output holds
// its result in every slot; Open returns slot 0 as a signed integer (centered modulo
// PlaintextModulus) after checking that every slot agrees, which catches a missing, extra,
// duplicated or corrupted share and the wrong buyer key.
func Open(params heint.Parameters, buyerSK []byte, output []byte, shares [][]byte) (*big.Int, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: open: %w", err)
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
	ct, err := c.ciphertext(output, 0)
	if err != nil {
		return nil, fmt.Errorf("mpc: open: output: %w", err)
	}
	var slots []uint64
	err = protect(func() error {
		pcks, err := mhe.NewPublicKeySwitchProtocol(params, smudging())
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
	for i, v := range slots {
		if v != slots[0] {
			return nil, fmt.Errorf("mpc: open: decrypted slots disagree (slot %d): a key-switch share is missing, extra or corrupted, or the buyer key is not the one the shares were made for", i)
		}
	}
	return centered(slots[0], params.PlaintextModulus()), nil
}

// centered maps v in [0, t) to (-t/2, t/2].
func centered(v, t uint64) *big.Int {
	r := new(big.Int).SetUint64(v)
	if v > t/2 {
		r.Sub(r, new(big.Int).SetUint64(t))
	}
	return r
}
