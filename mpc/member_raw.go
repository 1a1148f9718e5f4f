package mpc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"

	"github.com/dxplabs/dxp/spec"
)

// RawSum is the lattigo work of a committee sum with nothing of DXP around it, for a benchmark
// beside the real path: on the input ciphertexts (fetched and decoded first, untimed) it times the
// additions, the rescale, the inner sum and the rescale to the output level, each active member's
// key-switch share toward the buyer's key (additive key shares derived first, untimed), their
// aggregation, the key switch and the buyer's decryption. No board, no saved files, no posts.
// active are the members that switch, in the committee's order of the chain's participants; they
// must run in this process and be past the ceremony. It returns the decrypted sum (slot 0) and
// the time the timed work took.
func RawSum(ctx context.Context, active []*Member, inputs [][32]byte, buyerPublic, buyerSecret []byte) (int64, time.Duration, error) {
	if len(active) == 0 || len(inputs) == 0 {
		return 0, 0, errors.New("mpc: raw sum: no active members or no inputs")
	}
	lead := active[0]
	lead.mu.Lock()
	defer lead.mu.Unlock()
	params, c := lead.cfg.Params, lead.codec
	v, err := lead.cfg.Board.Committee(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	if lead.ep == nil || lead.ep.n != v.Epoch || !v.Ready {
		return 0, 0, errors.New("mpc: raw sum: the lead member has not finished the ceremony of the current epoch")
	}
	keys, err := lead.evalKeys(ctx, v)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	cts := make([]*rlwe.Ciphertext, len(inputs))
	for i, d := range inputs {
		if cts[i], err = lead.load(ctx, d, singleBuildLevel); err != nil {
			return 0, 0, fmt.Errorf("mpc: raw sum: input %d: %w", i, err)
		}
	}
	var addrs []string
	for _, m := range active {
		addrs = append(addrs, m.cfg.Address)
	}
	idx, err := activeIndices(v, addrs)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	sks := make([]*rlwe.SecretKey, len(active))
	for i, m := range active {
		if m != lead {
			m.mu.Lock()
		}
		sks[i], err = m.rawShareKey(ctx, v, idx)
		if m != lead {
			m.mu.Unlock()
		}
		if err != nil {
			return 0, 0, fmt.Errorf("mpc: raw sum: member %s: %w", m.cfg.Address, err)
		}
	}
	defer func() {
		for _, sk := range sks {
			zeroQP(sk.Value)
		}
	}()
	p, err := newPlan(&Task{Op: spec.OpSum, Columns: [][][32]byte{inputs}}, Slots(params))
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	vOut, err := p.noise(newNoiseModel(params, len(v.Members)))
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	smudge, err := smudgingFor(params, vOut, len(active))
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	pcks, err := mhe.NewPublicKeySwitchProtocol(params, smudge)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	bpk, err := c.publicKey(buyerPublic)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: buyer key: %w", err)
	}
	bsk, err := c.secretKey(buyerSecret)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: buyer key: %w", err)
	}
	ev := keys.ev
	dec := rlwe.NewDecryptor(params, bsk)
	got := make([]int64, Slots(params))

	start := time.Now()
	acc := heint.NewCiphertext(params, 1, singleBuildLevel)
	for _, ct := range cts {
		if err := ev.eval.Add(acc, ct, acc); err != nil {
			return 0, 0, fmt.Errorf("mpc: raw sum: add: %w", err)
		}
	}
	out, err := ev.reduce(acc)
	if err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	if out, err = ev.rescale(out); err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: %w", err)
	}
	agg := pcks.AllocateShare(out.Level())
	for _, sk := range sks {
		s := pcks.AllocateShare(out.Level())
		pcks.GenShare(sk, bpk, out, &s)
		if err := pcks.AggregateShares(s, agg, &agg); err != nil {
			return 0, 0, fmt.Errorf("mpc: raw sum: aggregate: %w", err)
		}
	}
	res := heint.NewCiphertext(params, 1, out.Level())
	pcks.KeySwitch(out, agg, res)
	if err := ev.ecd.Decode(dec.DecryptNew(res), got); err != nil {
		return 0, 0, fmt.Errorf("mpc: raw sum: decode: %w", err)
	}
	return got[0], time.Since(start), nil
}

// rawShareKey is this member's additive share of the collective key for the active set idx.
// The caller holds m.mu.
func (m *Member) rawShareKey(ctx context.Context, v *CommitteeView, idx []int) (*rlwe.SecretKey, error) {
	if m.ep == nil || m.ep.n != v.Epoch {
		return nil, errors.New("not past the ceremony of the current epoch")
	}
	me := m.index(v)
	if !slices.Contains(idx, me) {
		return nil, errors.New("not one of the active members")
	}
	tsk, err := m.thresholdKey(ctx, v)
	if err != nil {
		return nil, err
	}
	return additiveShare(m.cfg.Params, me, len(v.Members), v.Threshold, idx, *tsk)
}
