package mpc

import (
	"context"
	"errors"
	"fmt"
	"math/big"

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
// (PlaintextModulus-1)/2. Ciphertexts are at InputLevel, the highest level any evaluation builds
// at, so that later, multiplicative queries have the levels they spend and no byte more.
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
			return nil, fmt.Errorf("mpc: encrypt column: the value at row %d is outside ±%d, the plaintext range", i, half)
		}
	}
	cts, err = encrypt(params, pk, values)
	if err != nil {
		return nil, fmt.Errorf("mpc: encrypt column: %w", err)
	}
	return cts, nil
}

// encrypt encrypts values, Slots(params) per ciphertext, at InputLevel.
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
		pt := heint.NewPlaintext(params, InputLevel)
		ct := heint.NewCiphertext(params, 1, InputLevel)
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
// minimum as the column's lower bound and bin so that (max − minimum)/bin < Slots(params)
// (DefaultBin). Datasets of one schema must use the same minimum and bin, since the committee adds
// their tables slot by slot; bucket edges are then minimum plus multiples of bin (HistogramInput).
// It is NewFrequencyTable, Add for every value, and Encrypt.
func EncryptFrequencies(params heint.Parameters, pk *rlwe.PublicKey, values []int64, minimum, bin int64) ([]byte, error) {
	t, err := NewFrequencyTable(minimum, bin, Slots(params))
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		if err := t.Add(v); err != nil {
			return nil, fmt.Errorf("%w (row %d)", err, i)
		}
	}
	return t.Encrypt(params, pk)
}

// FrequencyTable counts a column's values bin by bin as they stream past, for EncryptFrequencies'
// ciphertext: a publisher that reads rows in chunks adds each value once and encrypts at the end,
// without holding the column. Not safe for concurrent use.
type FrequencyTable struct {
	minimum, bin int64
	counts       []int64
	n            uint64
}

// NewFrequencyTable returns an empty table of slots bins of width bin from minimum.
func NewFrequencyTable(minimum, bin int64, slots int) (*FrequencyTable, error) {
	if bin <= 0 {
		return nil, fmt.Errorf("mpc: frequency table: bin width %d is not positive", bin)
	}
	if slots < 1 {
		return nil, fmt.Errorf("mpc: frequency table: %d slots", slots)
	}
	return &FrequencyTable{minimum: minimum, bin: bin, counts: make([]int64, slots)}, nil
}

// DefaultBin is the smallest bin width whose slots bins from minimum cover every value of
// [minimum, maximum].
func DefaultBin(minimum, maximum int64, slots int) (int64, error) {
	if minimum > maximum || slots < 1 {
		return 0, fmt.Errorf("mpc: default bin: empty range [%d, %d] or %d slots", minimum, maximum, slots)
	}
	span := new(big.Int).Sub(big.NewInt(maximum), big.NewInt(minimum))
	span.Add(span, big.NewInt(1))
	s := big.NewInt(int64(slots))
	bin := new(big.Int).Add(span, new(big.Int).Sub(s, big.NewInt(1)))
	bin.Quo(bin, s)
	if !bin.IsInt64() {
		return 0, fmt.Errorf("mpc: default bin: [%d, %d] in %d slots needs a bin wider than 2^63", minimum, maximum, slots)
	}
	return bin.Int64(), nil
}

// CheckBin refuses a bin width under which [minimum, maximum] needs more than slots bins.
func CheckBin(minimum, maximum, bin int64, slots int) error {
	if bin <= 0 {
		return fmt.Errorf("mpc: bin width %d is not positive", bin)
	}
	least, err := DefaultBin(minimum, maximum, slots)
	if err != nil {
		return err
	}
	if bin < least {
		return fmt.Errorf("mpc: bin width %d cuts [%d, %d] into more than %d bins, one per slot; the smallest width that fits is %d", bin, minimum, maximum, slots, least)
	}
	return nil
}

// Add counts v. It refuses a value outside the table's bins, and a count that could overflow.
func (t *FrequencyTable) Add(v int64) error {
	off, ok := sub64(v, t.minimum)
	if !ok || off < 0 || off/t.bin >= int64(len(t.counts)) {
		return fmt.Errorf("mpc: frequency table: a value is outside [%d, %d + %d·%d)", t.minimum, t.minimum, len(t.counts), t.bin)
	}
	if t.n >= PlaintextModulus/2 {
		return fmt.Errorf("mpc: frequency table: %d values would overflow a count", t.n+1)
	}
	t.counts[off/t.bin]++
	t.n++
	return nil
}

// Values returns how many values were added.
func (t *FrequencyTable) Values() uint64 { return t.n }

// Encrypt encrypts the counts under the collective public key: one ciphertext at InputLevel.
func (t *FrequencyTable) Encrypt(params heint.Parameters, pk *rlwe.PublicKey) ([]byte, error) {
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("mpc: encrypt frequencies: %w", err)
	}
	if pk == nil {
		return nil, errors.New("mpc: encrypt frequencies: no public key")
	}
	if len(t.counts) != Slots(params) {
		return nil, fmt.Errorf("mpc: encrypt frequencies: the table has %d bins, a ciphertext %d slots", len(t.counts), Slots(params))
	}
	cts, err := encrypt(params, pk, t.counts)
	if err != nil {
		return nil, fmt.Errorf("mpc: encrypt frequencies: %w", err)
	}
	return cts[0], nil
}
