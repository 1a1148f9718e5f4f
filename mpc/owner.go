package mpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// LoadPublicKey fetches the committee's collective public key. keys are the agreed key digests
// (CommitteeView.Keys, rights Committee.Keys): the public key is the first.
func LoadPublicKey(ctx context.Context, objs Objects, params heint.Parameters, keys [][32]byte) (*rlwe.PublicKey, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: load public key: %w", err)
	}
	if len(keys) == 0 {
		return nil, errors.New("mpc: load public key: the committee has no keys yet")
	}
	b, err := objs.Get(ctx, keys[0])
	if err != nil {
		return nil, fmt.Errorf("mpc: load public key %s: %w", short(keys[0]), err)
	}
	pk, err := newCodec(params).publicKey(b)
	if err != nil {
		return nil, fmt.Errorf("mpc: load public key %s: %w", short(keys[0]), err)
	}
	return pk, nil
}

// EncryptColumn encrypts values under the collective public key, Slots(params) values per
// ciphertext (the last one zero-padded), and returns the serialized ciphertexts in order. Values
// are integers modulo PlaintextModulus with negative values centered: |v| must be at most
// (PlaintextModulus-1)/2. Ciphertexts are at the top level, so that later, multiplicative queries
// have levels to spend.
func EncryptColumn(params heint.Parameters, pk *rlwe.PublicKey, values []int64) (cts [][]byte, err error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: encrypt column: %w", err)
	}
	if pk == nil {
		return nil, errors.New("mpc: encrypt column: no public key")
	}
	if len(values) == 0 {
		return nil, errors.New("mpc: encrypt column: no values")
	}
	half := int64(params.PlaintextModulus() / 2)
	for i, v := range values {
		if v > half || v < -half {
			return nil, fmt.Errorf("mpc: encrypt column: value %d at row %d is outside ±%d, the plaintext range", v, i, half)
		}
	}
	cts, err = encrypt(params, pk, values)
	if err != nil {
		return nil, fmt.Errorf("mpc: encrypt column: %w", err)
	}
	return cts, nil
}

// encrypt encrypts values, Slots(params) per ciphertext, at the top level.
func encrypt(params heint.Parameters, pk *rlwe.PublicKey, values []int64) (cts [][]byte, err error) {
	err = protect(func() error {
		// Check the key's shape by its encoding, as for any untrusted key.
		b, err := pk.MarshalBinary()
		if err != nil {
			return fmt.Errorf("encode public key: %w", err)
		}
		if _, err := newCodec(params).publicKey(b); err != nil {
			return err
		}
		enc := rlwe.NewEncryptor(params, pk)
		ecd := heint.NewEncoder(params)
		slots := Slots(params)
		pt := heint.NewPlaintext(params, params.MaxLevel())
		ct := heint.NewCiphertext(params, 1, params.MaxLevel())
		for start := 0; start < len(values); start += slots {
			chunk := values[start:min(start+slots, len(values))]
			if err := ecd.Encode(chunk, pt); err != nil { // Encode zero-fills past len(chunk)
				return fmt.Errorf("encode rows %d-: %w", start, err)
			}
			if err := enc.Encrypt(pt, ct); err != nil {
				return fmt.Errorf("encrypt rows %d-: %w", start, err)
			}
			b, err := ct.MarshalBinary()
			if err != nil {
				return fmt.Errorf("serialize rows %d-: %w", start, err)
			}
			cts = append(cts, b)
		}
		return nil
	})
	return cts, err
}

// EncryptFrequencies encrypts a column's frequency table for histograms under the collective
// public key: one ciphertext whose slot k holds the number of values in [minimum + k·bin,
// minimum + (k+1)·bin). Every value must lie in [minimum, minimum + Slots(params)·bin): choose
// minimum as the column's lower bound and bin so that (max − minimum)/bin < Slots(params).
// Datasets of one schema must use the same minimum and bin, since the committee adds their tables
// slot by slot; bucket edges are then minimum plus multiples of bin (HistogramInput).
func EncryptFrequencies(params heint.Parameters, pk *rlwe.PublicKey, values []int64, minimum, bin int64) ([]byte, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: encrypt frequencies: %w", err)
	}
	if pk == nil {
		return nil, errors.New("mpc: encrypt frequencies: no public key")
	}
	if bin <= 0 {
		return nil, fmt.Errorf("mpc: encrypt frequencies: bin width %d is not positive", bin)
	}
	if uint64(len(values)) >= params.PlaintextModulus()/2 {
		return nil, fmt.Errorf("mpc: encrypt frequencies: %d values would overflow a count", len(values))
	}
	slots := Slots(params)
	counts := make([]int64, slots)
	for i, v := range values {
		off, ok := sub64(v, minimum)
		if !ok || off < 0 || off/bin >= int64(slots) {
			return nil, fmt.Errorf("mpc: encrypt frequencies: value %d at row %d is outside [%d, %d + %d·%d)", v, i, minimum, minimum, slots, bin)
		}
		counts[off/bin]++
	}
	cts, err := encrypt(params, pk, counts)
	if err != nil {
		return nil, fmt.Errorf("mpc: encrypt frequencies: %w", err)
	}
	return cts[0], nil
}
