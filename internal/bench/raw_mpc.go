package bench

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"

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
// beside the real path: the same parameters (the chain's, Session.Params), ciphertexts of the same values in
// the same number made as owners make them (mpc.EncryptColumn), and the work the committee's
// participants do for a sum, as many participants as the chain fixes (spec.Participants, 2t−1
// of a committee of at least that many), all at once on the process's cores as a devnet's
// members share them:
//
//   - each participant evaluates the sum (additions at the build level, a rescale, the inner sum
//     over the 2 x N/2 slot matrix, a rescale to the output level): every participant evaluates,
//     because each must post the output's digest before the chain moves on;
//   - each makes its PCKS share toward the buyer's key, with smudging noise of the size mpc
//     uses, for every t-subset of the participants it is in, from its additive share of the
//     collective key for that subset (mhe.Combiner on its threshold share), so the buyer can
//     cross-check the subsets.
//
// That much is timed: it is what ComputeOp.Compute measures of the members. Then, untimed, the
// buyer's part: every subset's shares aggregated, key-switched and decrypted; they must agree.
// No chain, storage, board, saved files or posts.
//
// The key material is the bench's own, made here with lattigo: the committee's secret keys are
// not anyone else's to read, so the baseline cannot switch the devnet's ciphertexts. Each member
// has a key share, Shamir-shared to every member (mhe.Thresholdizer) as the ceremony does; the
// collective key is their sum, and the public key, the Galois keys and the encryptions are made
// under it. None of that is timed, nor is decoding the ciphertexts, nor making each
// participant's evaluator and PCKS protocol (a member makes those once, not per computation).
type rawSum struct {
	params    heint.Parameters
	ecd       *heint.Encoder
	threshold int
	points    []mhe.ShamirPublicPoint // every member's Shamir point
	parts     []*rawParticipant       // the first spec.Participants members
	inputs    []*rlwe.Ciphertext
	buyer     struct {
		sk *rlwe.SecretKey
		pk *rlwe.PublicKey
	}
}

// rawParticipant is one participant's own lattigo objects (they are not safe for concurrent use).
type rawParticipant struct {
	point mhe.ShamirPublicPoint
	tsk   mhe.ShamirSecretShare // its threshold share of the collective key
	eval  *heint.Evaluator
	cmb   mhe.Combiner
	pcks  mhe.PublicKeySwitchProtocol
	// What one run leaves: its output and its share for each subset it is in (by subset index).
	out    *rlwe.Ciphertext
	shares map[int]*mhe.PublicKeySwitchShare
}

// newRawSum makes the key material of a committee of members with this threshold and encrypts
// each owner's values as mpc.EncryptColumn does.
func newRawSum(params heint.Parameters, values [][]int64, members, threshold int) (*rawSum, error) {
	if threshold < 2 || threshold > members {
		return nil, fmt.Errorf("raw sum: threshold %d of %d members", threshold, members)
	}
	r := &rawSum{params: params, ecd: heint.NewEncoder(params), threshold: threshold}
	kgen := rlwe.NewKeyGenerator(params)
	thr := mhe.NewThresholdizer(params)
	collective := rlwe.NewSecretKey(params)
	tsks := make([]mhe.ShamirSecretShare, members)
	for j := range members {
		r.points = append(r.points, mhe.ShamirPublicPoint(j+1))
		tsks[j] = thr.AllocateThresholdSecretShare()
	}
	for range members {
		sk := kgen.GenSecretKeyNew()
		params.RingQP().Add(collective.Value, sk.Value, collective.Value)
		poly, err := thr.GenShamirPolynomial(threshold, sk)
		if err != nil {
			return nil, fmt.Errorf("raw sum: %w", err)
		}
		for j, pt := range r.points {
			sh := thr.AllocateThresholdSecretShare()
			thr.GenShamirSecretShare(pt, poly, &sh)
			if err := thr.AggregateShares(tsks[j], sh, &tsks[j]); err != nil {
				return nil, fmt.Errorf("raw sum: %w", err)
			}
		}
	}
	pk := kgen.GenPublicKeyNew(collective)
	galEls := append(params.GaloisElementsForInnerSum(1, params.N()/2), params.GaloisElementForRowRotation())
	evk := rlwe.NewMemEvaluationKeySet(nil, kgen.GenGaloisKeysNew(galEls, collective)...)
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
	// The smudging noise a participant adds to its share of this sum's output, from mpc itself.
	smudge, err := mpc.Smudging(params, &mpc.Task{Op: spec.OpSum, Columns: [][][32]byte{make([][32]byte, len(r.inputs))}}, members, threshold)
	if err != nil {
		return nil, fmt.Errorf("raw sum: %w", err)
	}
	for j := range spec.Participants(members, threshold) {
		pcks, err := mhe.NewPublicKeySwitchProtocol(params, smudge)
		if err != nil {
			return nil, fmt.Errorf("raw sum: %w", err)
		}
		r.parts = append(r.parts, &rawParticipant{point: r.points[j], tsk: tsks[j],
			eval: heint.NewEvaluator(params, evk), cmb: mhe.NewCombiner(*params.GetRLWEParameters(), r.points[j], r.points, threshold),
			pcks: pcks})
	}
	return r, nil
}

// subsets returns every threshold-sized subset of the participants (indices into r.parts) in
// lexicographic order.
func (r *rawSum) subsets() [][]int {
	var out [][]int
	var rec func(cur []int, from int)
	rec = func(cur []int, from int) {
		if len(cur) == r.threshold {
			out = append(out, slices.Clone(cur))
			return
		}
		for p := from; p < len(r.parts); p++ {
			rec(append(cur, p), p+1)
		}
	}
	rec(nil, 0)
	return out
}

// rawTiming is how long the participants took, in wall time and in the process's CPU time
// (zero where that is not measured).
type rawTiming struct{ wall, cpu time.Duration }

// run does the timed work once, every participant at once, and returns the decrypted sum
// (slot 0, the same in every subset) and how long the participants took.
func (r *rawSum) run() (int64, rawTiming, error) {
	var took rawTiming
	if len(r.inputs) == 0 {
		return 0, took, errors.New("raw sum: no inputs")
	}
	subs := r.subsets()
	errs := make([]error, len(r.parts))
	var wg sync.WaitGroup
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for j, p := range r.parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[j] = r.participate(j, p, subs)
		}()
	}
	wg.Wait()
	took.wall = time.Since(start)
	if cpu1, _ := processCPU(); cpuOK {
		took.cpu = cpu1 - cpu0
	}
	if err := errors.Join(errs...); err != nil {
		return 0, took, err
	}

	// The buyer's part, untimed: every subset must decrypt to the same sum.
	dec := rlwe.NewDecryptor(r.params, r.buyer.sk)
	got := make([]int64, r.params.MaxSlots())
	out := r.parts[0].out
	var sum int64
	for i, s := range subs {
		pcks := r.parts[0].pcks
		agg := pcks.AllocateShare(out.Level())
		for _, j := range s {
			if err := pcks.AggregateShares(*r.parts[j].shares[i], agg, &agg); err != nil {
				return 0, took, fmt.Errorf("raw sum: aggregate: %w", err)
			}
		}
		res := heint.NewCiphertext(r.params, 1, out.Level())
		pcks.KeySwitch(out, agg, res)
		if err := r.ecd.Decode(dec.DecryptNew(res), got); err != nil {
			return 0, took, fmt.Errorf("raw sum: decode: %w", err)
		}
		if i > 0 && got[0] != sum {
			return 0, took, fmt.Errorf("raw sum: subset %v decrypts to %d, subset %v to %d", subs[0], sum, s, got[0])
		}
		sum = got[0]
	}
	return sum, took, nil
}

// participate is participant j's work: it evaluates the sum and makes its PCKS share for every
// subset it is in.
func (r *rawSum) participate(j int, p *rawParticipant, subs [][]int) error {
	params, eval := r.params, p.eval
	acc := heint.NewCiphertext(params, 1, rawBuildLevel)
	for _, ct := range r.inputs {
		if err := eval.Add(acc, ct, acc); err != nil {
			return fmt.Errorf("raw sum: add: %w", err)
		}
	}
	term := heint.NewCiphertext(params, 1, rawBuildLevel-1)
	if err := eval.Rescale(acc, term); err != nil {
		return fmt.Errorf("raw sum: rescale: %w", err)
	}
	rows := heint.NewCiphertext(params, 1, term.Level())
	if err := eval.InnerSum(term, 1, params.N()/2, rows); err != nil {
		return fmt.Errorf("raw sum: inner sum: %w", err)
	}
	swapped := heint.NewCiphertext(params, 1, rows.Level())
	if err := eval.RotateRows(rows, swapped); err != nil {
		return fmt.Errorf("raw sum: row rotation: %w", err)
	}
	if err := eval.Add(rows, swapped, rows); err != nil {
		return fmt.Errorf("raw sum: add rows: %w", err)
	}
	out := heint.NewCiphertext(params, 1, rawOutputLevel)
	if err := eval.Rescale(rows, out); err != nil {
		return fmt.Errorf("raw sum: rescale: %w", err)
	}
	p.out, p.shares = out, map[int]*mhe.PublicKeySwitchShare{}
	sk := rlwe.NewSecretKey(params)
	for i, s := range subs {
		if !slices.Contains(s, j) {
			continue
		}
		active := make([]mhe.ShamirPublicPoint, len(s))
		for k, m := range s {
			active[k] = r.parts[m].point
		}
		if err := p.cmb.GenAdditiveShare(active, p.point, p.tsk, sk); err != nil {
			return fmt.Errorf("raw sum: additive share: %w", err)
		}
		share := p.pcks.AllocateShare(out.Level())
		p.pcks.GenShare(sk, r.buyer.pk, out, &share)
		p.shares[i] = &share
	}
	return nil
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
