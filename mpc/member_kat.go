package mpc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// The known-answer check.
//
// Before a member votes for the collective keys it checks that they work together with the
// members' threshold shares: a ciphertext of a known plaintext under the new public key,
// multiplied by itself and relinearized with the new relinearization key, then rotated by every
// new Galois key, must threshold-decrypt to the expected slots for every window of Threshold
// consecutive members (member i to i+Threshold−1, cyclically: N windows, or one when
// Threshold == N, so every member takes part in Threshold of them and, when Threshold < N, is
// missing from some). A rogue CKG, RKG or GKG share (the collective key is then one the members'
// secrets do not open, or an evaluation key is wrong) fails every window; a Shamir share dealt
// off the dealer's polynomial fails the windows of the member it was dealt to, and a bad
// decryption share the windows of the member that made it.
//
// The ciphertext is deterministic, so every member checks the same one: the public key itself is an
// encryption of zero, (pk0 + m, pk1) one of m, where m encodes slots derived from the committee's
// seed and epoch (values below 2^16, so squares stay below T). Each member's decryption shares
// (step "kat": a key switch toward the zero key with smudging noise, at level 1 after rescales,
// one per window it is in, in window order) are committed before any is revealed, like the key
// shares: a member that knew a secret for a rogue key could otherwise fit its decryption share to
// the others' to fake the answer.
//
// A member whose check fails does not vote: it reports which windows failed. Since the chain marks
// the committee ready once Threshold members vote the same keys, and at most Threshold−1 members
// are malicious, at least one honest member's check stands behind every ready committee.

// katWindows returns the member windows of the known-answer check, each sorted.
func katWindows(n, t int) [][]int {
	count := n
	if t == n {
		count = 1
	}
	ws := make([][]int, count)
	for i := range ws {
		for k := 0; k < t; k++ {
			ws[i] = append(ws[i], (i+k)%n)
		}
		slices.Sort(ws[i])
	}
	return ws
}

// katPosition returns, for member j, the index of window wi among the windows j takes part in
// (the order of j's "kat" digests), or -1.
func katPosition(ws [][]int, j, wi int) int {
	pos := 0
	for i, w := range ws {
		if !slices.Contains(w, j) {
			continue
		}
		if i == wi {
			return pos
		}
		pos++
	}
	return -1
}

// katValues returns the known plaintext's slots, derived from the seed and epoch.
func (c *ceremony) katValues() ([]uint64, error) {
	prng, err := c.crs(stepKAT)
	if err != nil {
		return nil, err
	}
	slots := Slots(c.params)
	buf := make([]byte, 2*slots)
	if _, err := prng.Read(buf); err != nil {
		return nil, fmt.Errorf("known answer: %w", err)
	}
	vals := make([]uint64, slots)
	for i := range vals {
		vals[i] = uint64(buf[2*i])<<8 | uint64(buf[2*i+1])
	}
	return vals, nil
}

// katCiphertext returns the known-answer ciphertext under pk evaluated with ev: (pk + m)², rescaled
// once, rotated by every Galois element, rescaled down to outputLevel.
func (c *ceremony) katCiphertext(pk *rlwe.PublicKey, ev *evaluator) (*rlwe.Ciphertext, error) {
	vals, err := c.katValues()
	if err != nil {
		return nil, err
	}
	level := c.params.MaxLevel()
	pt := heint.NewPlaintext(c.params, level)
	if err := ev.ecd.Encode(vals, pt); err != nil {
		return nil, fmt.Errorf("known answer: encode: %w", err)
	}
	ct := rlwe.NewCiphertext(c.params, 1, level)
	*ct.MetaData = *pt.MetaData
	ringQ := c.params.RingQ().AtLevel(level)
	ringQ.Add(pk.Value[0].Q, pt.Value, ct.Value[0])
	ct.Value[1].CopyLvl(level, pk.Value[1].Q)
	err = protect(func() error {
		sq, err := ev.eval.MulRelinNew(ct, ct)
		if err != nil {
			return err
		}
		if err := ev.eval.Rescale(sq, sq); err != nil {
			return err
		}
		for _, el := range c.galEls {
			if err := ev.eval.Automorphism(sq, el, sq); err != nil {
				return fmt.Errorf("galois element %d: %w", el, err)
			}
		}
		for sq.Level() > outputLevel {
			if err := ev.eval.Rescale(sq, sq); err != nil {
				return err
			}
		}
		ct = sq
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("known answer: evaluate: %w", err)
	}
	return ct, nil
}

// katExpected returns the slots the known-answer ciphertext must decrypt to: the squares of the
// known values, permuted by every Galois element (applied to the encoded plaintext, so no slot
// arithmetic of lattigo's is restated here).
func (c *ceremony) katExpected() ([]uint64, error) {
	vals, err := c.katValues()
	if err != nil {
		return nil, err
	}
	t := c.params.PlaintextModulus()
	for i, v := range vals {
		vals[i] = v * v % t
	}
	level := c.params.MaxLevel()
	ecd := heint.NewEncoder(c.params)
	pt := heint.NewPlaintext(c.params, level)
	if err := ecd.Encode(vals, pt); err != nil {
		return nil, fmt.Errorf("known answer: encode: %w", err)
	}
	ringQ := c.params.RingQ().AtLevel(level)
	tmp := ringQ.NewPoly()
	for _, el := range c.galEls {
		if pt.IsNTT {
			ringQ.AutomorphismNTT(pt.Value, el, tmp)
		} else {
			ringQ.Automorphism(pt.Value, el, tmp)
		}
		pt.Value.CopyLvl(level, tmp)
	}
	out := make([]uint64, len(vals))
	if err := ecd.Decode(pt, out); err != nil {
		return nil, fmt.Errorf("known answer: decode: %w", err)
	}
	return out, nil
}

// katSmudging is the smudging noise of a member's decryption share of the known-answer ciphertext,
// sized, like a computation's, from the noise model of its evaluation.
func katSmudging(params heint.Parameters, members, active int) (ring.DiscreteGaussian, error) {
	nm := newNoiseModel(params, members)
	top := params.MaxLevel()
	v := nm.fresh()
	v = nm.relinearize(nm.mulCt(v, v), top)
	if err := nm.check(v, top, "the known-answer product"); err != nil {
		return ring.DiscreteGaussian{}, err
	}
	v = nm.rescale(v, top, 1)
	for range galoisElements(params) {
		v += nm.keySwitch(top-1, nm.vGal)
	}
	if err := nm.check(v, top-1, "the known-answer rotations"); err != nil {
		return ring.DiscreteGaussian{}, err
	}
	for l := top - 1; l > outputLevel; l-- {
		v = nm.rescale(v, l, 1)
	}
	return smudgingFor(params, v, active)
}

// katCiphertext returns the known-answer ciphertext under the collective keys, evaluated once.
func (m *Member) katCiphertext(keys *evalKeys) (*rlwe.Ciphertext, error) {
	if m.ep.katCt == nil {
		ct, err := m.ep.cer.katCiphertext(m.ep.pk, keys.ev)
		if err != nil {
			return nil, err
		}
		m.ep.katCt = ct
	}
	return m.ep.katCt, nil
}

// makeKAT saves the member's threshold share, aggregates the collective keys and makes its
// decryption shares of the known-answer ciphertext, one per window it is in.
func (m *Member) makeKAT(ctx context.Context, v *CommitteeView) ([][]byte, error) {
	tsk, err := m.thresholdKey(ctx, v)
	if err != nil {
		return nil, err
	}
	keys, err := m.collectiveKeys(ctx, v)
	if err != nil {
		return nil, err
	}
	ct, err := m.katCiphertext(keys)
	if err != nil {
		return nil, err
	}
	n, t, me := len(v.Members), v.Threshold, m.index(v)
	smudge, err := katSmudging(m.cfg.Params, n, t)
	if err != nil {
		return nil, err
	}
	cks, err := mhe.NewKeySwitchProtocol(m.cfg.Params, smudge)
	if err != nil {
		return nil, fmt.Errorf("known answer: %w", err)
	}
	zero := rlwe.NewSecretKey(m.cfg.Params)
	var objs [][]byte
	for _, w := range katWindows(n, t) {
		if !slices.Contains(w, me) {
			continue
		}
		sk, err := additiveShare(m.cfg.Params, me, n, t, w, *tsk)
		if err != nil {
			return nil, err
		}
		share := cks.AllocateShare(ct.Level())
		cks.GenShare(sk, zero, ct, &share)
		zeroQP(sk.Value)
		b, err := share.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode decryption share: %w", err)
		}
		objs = append(objs, b)
	}
	return objs, nil
}

// checkKnownAnswer threshold-decrypts the known-answer ciphertext with every window's revealed
// decryption shares and compares each result with the expected slots. It returns an
// *unrevealedError while a share is missing, and an error naming the failed windows if any fails.
func (m *Member) checkKnownAnswer(ctx context.Context, v *CommitteeView) error {
	ct, err := m.katCiphertext(m.ep.keys)
	if err != nil {
		return err
	}
	want, err := m.ep.cer.katExpected()
	if err != nil {
		return err
	}
	n, t := len(v.Members), v.Threshold
	ws := katWindows(n, t)
	for j, a := range v.Members {
		need := 0
		for _, w := range ws {
			if slices.Contains(w, j) {
				need++
			}
		}
		if got := len(v.Shares[stepKAT][a]); got != need {
			return fmt.Errorf("known-answer check: %s posted %d decryption shares, want %d (one per window it is in)", a, got, need)
		}
	}
	cks, err := mhe.NewKeySwitchProtocol(m.cfg.Params, ring.DiscreteGaussian{Sigma: 1, Bound: 1})
	if err != nil {
		return fmt.Errorf("known answer: %w", err)
	}
	dec := rlwe.NewDecryptor(m.cfg.Params, rlwe.NewSecretKey(m.cfg.Params))
	var failed, passed []string
	inPassing := make([]bool, n)
	for wi, w := range ws {
		agg := cks.AllocateShare(ct.Level())
		for _, j := range w {
			b, err := m.peerObject(ctx, v, stepKAT, v.Members[j], katPosition(ws, j, wi))
			if err != nil {
				return err
			}
			s, err := m.codec.ksShare(b, ct.Level())
			if err != nil {
				return fmt.Errorf("known-answer check: decryption share of %s: %w", v.Members[j], err)
			}
			if err := cks.AggregateShares(agg, *s, &agg); err != nil {
				return fmt.Errorf("known-answer check: %w", err)
			}
		}
		out := rlwe.NewCiphertext(m.cfg.Params, 1, ct.Level())
		cks.KeySwitch(ct, agg, out)
		got := make([]uint64, len(want))
		if err := m.ep.keys.ev.ecd.Decode(dec.DecryptNew(out), got); err != nil {
			return fmt.Errorf("known-answer check: decode: %w", err)
		}
		names := make([]string, len(w))
		for i, j := range w {
			names[i] = v.Members[j]
		}
		set := "{" + strings.Join(names, ",") + "}"
		if i := firstDiff(got, want); i >= 0 {
			failed = append(failed, fmt.Sprintf("%s (slot %d: %d, want %d)", set, i, got[i], want[i]))
		} else {
			passed = append(passed, set)
			for _, j := range w {
				inPassing[j] = true
			}
		}
	}
	switch {
	case len(failed) == 0:
		m.log.Info("mpc: known-answer check passed", "epoch", v.Epoch, "windows", len(ws))
		return nil
	case len(passed) == 0:
		return fmt.Errorf("known-answer check failed for every member set %s: the collective keys do not work with the members' threshold shares (a rogue ckg, rkg or gkg share); not voting for them", strings.Join(failed, ", "))
	default:
		// A member in no passing set holds a wrong threshold share (a bad dealing to it) or made
		// wrong decryption shares.
		var suspects []string
		for j, ok := range inPassing {
			if !ok {
				suspects = append(suspects, v.Members[j])
			}
		}
		who := "a member of the failing sets"
		if len(suspects) > 0 {
			who = strings.Join(suspects, ", ")
		}
		return fmt.Errorf("known-answer check failed for member sets %s while %s passed: the threshold share or decryption shares of %s are wrong (a bad Shamir dealing to it or a bad share from it); not voting for the keys", strings.Join(failed, ", "), strings.Join(passed, ", "), who)
	}
}

func firstDiff(a, b []uint64) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
