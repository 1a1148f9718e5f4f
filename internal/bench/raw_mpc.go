package bench

import (
	"errors"
	"fmt"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/spec"
)

// Levels of a single-valued evaluation, as mpc's level plan has them (mpc/params.go): the term
// is built at level 3, rescaled to 2 for the inner sum, and rescaled to 1, the output level the
// key switch runs at.
const (
	rawBuildLevel  = 3
	rawOutputLevel = 1
)

// rawSum is the lattigo work of a committee sum with nothing of DXP around it, the baseline
// beside the real path: the same parameters (mpc.NewParams), ciphertexts of the same values in
// the same number made as owners make them (mpc.EncryptColumn), the same evaluation (additions
// at the build level, a rescale, the inner sum over the 2 x N/2 slot matrix, a rescale to the
// output level) and the same threshold key switch (each active member's PCKS share toward the
// buyer's key with smudging noise of the size mpc uses, their aggregation, the key switch and
// the buyer's decryption). No chain, storage, board, saved files or posts.
//
// The key material is the bench's own, made here with lattigo: the committee's secret keys are
// not anyone else's to read, so the baseline cannot switch the devnet's ciphertexts. active
// secret keys stand for the active members' additive shares (what mhe.Combiner derives from
// their threshold shares), their sum is the collective key, and the public key, the Galois keys
// and the encryptions are made under it. None of that is timed, nor is decoding the ciphertexts.
type rawSum struct {
	params heint.Parameters
	eval   *heint.Evaluator
	ecd    *heint.Encoder
	shares []*rlwe.SecretKey // the active members' additive shares of the collective key
	inputs []*rlwe.Ciphertext
	buyer  struct {
		sk *rlwe.SecretKey
		pk *rlwe.PublicKey
	}
	smudge ring.DiscreteGaussian
}

// newRawSum makes the key material for a committee of members of which active switch, and
// encrypts each owner's values as mpc.EncryptColumn does.
func newRawSum(params heint.Parameters, values [][]int64, members, active int) (*rawSum, error) {
	if active < 1 || active > members {
		return nil, fmt.Errorf("raw sum: %d active members of %d", active, members)
	}
	r := &rawSum{params: params, ecd: heint.NewEncoder(params)}
	kgen := rlwe.NewKeyGenerator(params)
	collective := rlwe.NewSecretKey(params)
	for range active {
		sk := kgen.GenSecretKeyNew()
		params.RingQP().Add(collective.Value, sk.Value, collective.Value)
		r.shares = append(r.shares, sk)
	}
	pk := kgen.GenPublicKeyNew(collective)
	galEls := append(params.GaloisElementsForInnerSum(1, params.N()/2), params.GaloisElementForRowRotation())
	r.eval = heint.NewEvaluator(params, rlwe.NewMemEvaluationKeySet(nil, kgen.GenGaloisKeysNew(galEls, collective)...))
	r.buyer.sk, r.buyer.pk = kgen.GenKeyPairNew()
	for i, v := range values {
		cts, err := mpc.EncryptColumn(params, pk, v)
		if err != nil {
			return nil, fmt.Errorf("raw sum: owner %d: %w", i+1, err)
		}
		for _, b := range cts {
			ct := new(rlwe.Ciphertext)
			if err := ct.UnmarshalBinary(b); err != nil {
				return nil, fmt.Errorf("raw sum: owner %d: %w", i+1, err)
			}
			r.inputs = append(r.inputs, ct)
		}
	}
	// The smudging noise a member adds to its share of this sum's output, from mpc itself.
	smudge, err := mpc.Smudging(params, &mpc.Task{Op: spec.OpSum, Columns: [][][32]byte{make([][32]byte, len(r.inputs))}}, members, active)
	if err != nil {
		return nil, fmt.Errorf("raw sum: %w", err)
	}
	r.smudge = smudge
	return r, nil
}

// run does the timed work once and returns the decrypted sum (slot 0) and how long it took.
func (r *rawSum) run() (int64, time.Duration, error) {
	if len(r.inputs) == 0 {
		return 0, 0, errors.New("raw sum: no inputs")
	}
	params, eval := r.params, r.eval
	pcks, err := mhe.NewPublicKeySwitchProtocol(params, r.smudge)
	if err != nil {
		return 0, 0, fmt.Errorf("raw sum: %w", err)
	}
	dec := rlwe.NewDecryptor(params, r.buyer.sk)
	got := make([]int64, params.MaxSlots())

	start := time.Now()
	acc := heint.NewCiphertext(params, 1, rawBuildLevel)
	for _, ct := range r.inputs {
		if err := eval.Add(acc, ct, acc); err != nil {
			return 0, 0, fmt.Errorf("raw sum: add: %w", err)
		}
	}
	term := heint.NewCiphertext(params, 1, rawBuildLevel-1)
	if err := eval.Rescale(acc, term); err != nil {
		return 0, 0, fmt.Errorf("raw sum: rescale: %w", err)
	}
	rows := heint.NewCiphertext(params, 1, term.Level())
	if err := eval.InnerSum(term, 1, params.N()/2, rows); err != nil {
		return 0, 0, fmt.Errorf("raw sum: inner sum: %w", err)
	}
	swapped := heint.NewCiphertext(params, 1, rows.Level())
	if err := eval.RotateRows(rows, swapped); err != nil {
		return 0, 0, fmt.Errorf("raw sum: row rotation: %w", err)
	}
	if err := eval.Add(rows, swapped, rows); err != nil {
		return 0, 0, fmt.Errorf("raw sum: add rows: %w", err)
	}
	out := heint.NewCiphertext(params, 1, rawOutputLevel)
	if err := eval.Rescale(rows, out); err != nil {
		return 0, 0, fmt.Errorf("raw sum: rescale: %w", err)
	}
	agg := pcks.AllocateShare(out.Level())
	for _, sk := range r.shares {
		s := pcks.AllocateShare(out.Level())
		pcks.GenShare(sk, r.buyer.pk, out, &s)
		if err := pcks.AggregateShares(s, agg, &agg); err != nil {
			return 0, 0, fmt.Errorf("raw sum: aggregate: %w", err)
		}
	}
	res := heint.NewCiphertext(params, 1, out.Level())
	pcks.KeySwitch(out, agg, res)
	if err := r.ecd.Decode(dec.DecryptNew(res), got); err != nil {
		return 0, 0, fmt.Errorf("raw sum: decode: %w", err)
	}
	return got[0], time.Since(start), nil
}

// rawEncrypt is the encryption baseline: Lattigo's encoder and encryptor over the values,
// Slots at a time, at the level owners encrypt at, each ciphertext serialised (a ciphertext
// that is not written anywhere is of no use to anyone) and dropped.
func rawEncrypt(params heint.Parameters, pk *rlwe.PublicKey, values []int64) error {
	enc := rlwe.NewEncryptor(params, pk)
	ecd := heint.NewEncoder(params)
	pt := heint.NewPlaintext(params, mpc.InputLevel)
	ct := heint.NewCiphertext(params, 1, mpc.InputLevel)
	slots := params.MaxSlots()
	for off := 0; off < len(values); off += slots {
		if err := ecd.Encode(values[off:min(off+slots, len(values))], pt); err != nil {
			return err
		}
		if err := enc.Encrypt(pt, ct); err != nil {
			return err
		}
		if _, err := ct.MarshalBinary(); err != nil {
			return err
		}
	}
	return nil
}
