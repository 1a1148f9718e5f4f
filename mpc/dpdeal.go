package mpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"strings"

	"github.com/dxplabs/dxp/spec"
	"golang.org/x/crypto/nacl/box"
)

// Shared DP noise. On a computation with noise every participant (spec.Participants of them, q)
// deals its noise share η_i (k values, one per output, drawn by dpNoise.share over q dealers)
// when it posts its output: a degree t−1 Shamir sharing over Z_T of each value, evaluated at
// every committee member's point (committee index + 1, as the collective key's sharing), each
// recipient's evaluations sealed to its ceremony box key. One object holds the sealed shares of
// every member in committee order; its digest goes on chain with the output digest
// (SubmitOutput.Noise). In the switch, participant j opens the dealings of all q participants
// addressed to it, sums them into σ_j, its share of the total noise Σ η_i, and adds λ_j^S·σ_j
// (Lagrange coefficient at 0 over Z_T) to its share for every t-subset S. Every subset then
// decrypts to the same exact answer plus the same Σ η_i, so the buyer's agreement check
// (OpenValues) covers DP answers too: an offset share, or a participant leaving its noise out,
// makes subsets disagree.
//
// The sealed share for member j from dealer i is
//
//	nonce (24 bytes) || box.Seal(header (32 bytes) || k big-endian uint64 values, nonce, j's box key, i's box secret)
//
// with header = SHA-256("dxp/mpc/dpnoise/v1\x00" || len(task) || task || i || j), binding the
// values to the computation and both members.

// noiseHeader binds a sealed noise share to its computation, dealer and recipient.
func noiseHeader(task string, from, to int) []byte {
	h := sha256.New()
	h.Write([]byte("dxp/mpc/dpnoise/v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(task))))
	h.Write([]byte(task))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(from)))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(to)))
	return h.Sum(nil)
}

// sealedNoiseSize is the size of one recipient's sealed noise share of k values.
func sealedNoiseSize(k int) int { return 24 + box.Overhead + sha256.Size + 8*k }

// randModT returns a uniform value in [0, T) from crypto/rand.
func randModT(T uint64) (uint64, error) {
	v, err := rand.Int(rand.Reader, new(big.Int).SetUint64(T))
	if err != nil {
		return 0, fmt.Errorf("noise dealing: %w", err)
	}
	return v.Uint64(), nil
}

// modT reduces a signed value into [0, T).
func modT(v int64, T uint64) uint64 {
	r := v % int64(T)
	if r < 0 {
		r += int64(T)
	}
	return uint64(r)
}

func mulMod(a, b, T uint64) uint64 {
	return new(big.Int).Mod(new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b)), new(big.Int).SetUint64(T)).Uint64()
}

// shamirNoise returns, for each of members committee members, its Shamir shares over Z_T of the
// values eta (degree threshold−1, constant term eta[v], point = member index + 1).
func shamirNoise(eta []int64, threshold, members int, T uint64) ([][]uint64, error) {
	if threshold < 1 || members < threshold || uint64(members) >= T {
		return nil, fmt.Errorf("noise dealing: threshold %d of %d members over Z_%d", threshold, members, T)
	}
	out := make([][]uint64, members)
	for j := range out {
		out[j] = make([]uint64, len(eta))
	}
	coef := make([]uint64, threshold)
	defer clear(coef)
	for v, e := range eta {
		coef[0] = modT(e, T)
		for c := 1; c < threshold; c++ {
			r, err := randModT(T)
			if err != nil {
				return nil, err
			}
			coef[c] = r
		}
		for j := range members {
			x := uint64(j + 1)
			acc := uint64(0)
			for c := threshold - 1; c >= 0; c-- { // Horner
				acc = (mulMod(acc, x, T) + coef[c]) % T
			}
			out[j][v] = acc
		}
	}
	return out, nil
}

// lagrangeAtZero returns λ_j^S mod T: the coefficient of member j's share (committee index) in
// the interpolation at 0 over the committee indices set (points index + 1). T is prime.
func lagrangeAtZero(set []int, j int, T uint64) (uint64, error) {
	mod := new(big.Int).SetUint64(T)
	num, den := big.NewInt(1), big.NewInt(1)
	xj := big.NewInt(int64(j + 1))
	for _, m := range set {
		if m == j {
			continue
		}
		xm := big.NewInt(int64(m + 1))
		num.Mul(num, xm).Mod(num, mod)
		d := new(big.Int).Sub(xm, xj)
		den.Mul(den, d).Mod(den, mod)
	}
	inv := new(big.Int).ModInverse(den, mod)
	if inv == nil {
		return 0, fmt.Errorf("lagrange coefficient: points not distinct modulo %d", T)
	}
	return num.Mul(num, inv).Mod(num, mod).Uint64(), nil
}

// dealNoise makes dealer's noise dealing object for a computation: its Shamir shares of eta for
// every committee member, each sealed to that member's box key (peers, in committee order).
func dealNoise(task string, dealer int, eta []int64, threshold int, T uint64, peers []*[boxKeySize]byte, priv *[boxKeySize]byte) ([]byte, error) {
	shares, err := shamirNoise(eta, threshold, len(peers), T)
	if err != nil {
		return nil, err
	}
	var obj []byte
	msg := make([]byte, 0, sha256.Size+8*len(eta))
	for j, s := range shares {
		msg = append(msg[:0], noiseHeader(task, dealer, j)...)
		for _, v := range s {
			msg = binary.BigEndian.AppendUint64(msg, v)
		}
		clear(s)
		var nonce [24]byte
		if _, err := rand.Read(nonce[:]); err != nil {
			return nil, fmt.Errorf("nonce: %w", err)
		}
		obj = append(obj, box.Seal(nonce[:], msg, &nonce, peers[j], priv)...)
	}
	clear(msg)
	return obj, nil
}

// openNoise returns the k values dealer's dealing obj holds for member me, checking the object's
// size, that the share opens with the dealer's and this member's box keys, its header and that
// every value is below T.
func openNoise(obj []byte, task string, dealer, me, members, k int, T uint64, peer, priv *[boxKeySize]byte) ([]uint64, error) {
	size := sealedNoiseSize(k)
	if len(obj) != members*size {
		return nil, fmt.Errorf("noise dealing is %d bytes, want %d", len(obj), members*size)
	}
	sealed := obj[me*size : (me+1)*size]
	var nonce [24]byte
	copy(nonce[:], sealed)
	msg, ok := box.Open(nil, sealed[24:], &nonce, peer, priv)
	if !ok {
		return nil, errors.New("noise dealing does not open with the dealer's and this member's box keys")
	}
	defer clear(msg)
	if !bytes.Equal(msg[:sha256.Size], noiseHeader(task, dealer, me)) {
		return nil, errors.New("noise dealing is not for this computation and pair of members")
	}
	out := make([]uint64, k)
	for v := range out {
		out[v] = binary.BigEndian.Uint64(msg[sha256.Size+8*v:])
		if out[v] >= T {
			return nil, fmt.Errorf("noise dealing value %d is not below the plaintext modulus", v)
		}
	}
	return out, nil
}

// noiseName names the saved copy of this member's noise dealing for a task (as outputName).
func noiseName(task string) string { return "noise-" + strings.TrimPrefix(outputName(task), "output-") }

// noiseDealing returns the digest of this member's noise dealing for a task with DP (zero
// without), dealing it the first time: the object is saved before it is stored or posted, so a
// member that restarts posts the same dealing, never a second draw. p may be nil.
func (m *Member) noiseDealing(ctx context.Context, v *CommitteeView, t *Task, p *plan) ([32]byte, error) {
	if t.DP == nil {
		return [32]byte{}, nil
	}
	name := noiseName(t.ID)
	obj, ok, err := m.state.read(m.ep.n, name)
	if err != nil {
		return [32]byte{}, err
	}
	if !ok {
		if p == nil {
			if p, err = newPlan(t, Slots(m.cfg.Params)); err != nil {
				return [32]byte{}, err
			}
		}
		if obj, err = m.dealNoise(ctx, v, t, len(p.terms)); err != nil {
			return [32]byte{}, err
		}
		if err := m.state.create(m.ep.n, name, obj); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return m.noiseDealing(ctx, v, t, p) // another process dealt first: post that one
			}
			return [32]byte{}, err
		}
	}
	d, err := m.putBytes(ctx, obj)
	if err != nil {
		return [32]byte{}, fmt.Errorf("noise dealing: %w", err)
	}
	return d, nil
}

// dealNoise draws this member's noise share of a task's k output values (one of
// spec.Participants dealers) and deals it to the committee.
func (m *Member) dealNoise(ctx context.Context, v *CommitteeView, t *Task, k int) ([]byte, error) {
	q := spec.Participants(len(v.Members), v.Threshold)
	dn, err := t.DP.noise(k, t.Op.Disjoint(), q)
	if err != nil {
		return nil, err
	}
	eta, err := dn.share(m.rand, q)
	if err != nil {
		return nil, err
	}
	defer clear(eta)
	peers := make([]*[boxKeySize]byte, len(v.Members))
	for j, a := range v.Members {
		if peers[j], err = m.peerBoxKey(ctx, v, a); err != nil {
			return nil, err
		}
	}
	bk, err := m.boxKey(false)
	if err != nil {
		return nil, fmt.Errorf("noise dealing: %w", err)
	}
	return dealNoise(t.ID, m.index(v), eta, v.Threshold, m.cfg.Params.PlaintextModulus(), peers, &bk.priv)
}

// noiseShare opens the noise dealings of every participant (active, committee indices) addressed
// to this member and returns their sum mod T: its Shamir share of the total noise. A dealing
// that is missing or does not open is an error naming its dealer: this member then posts no
// key-switch share (it cannot make one that agrees with the other subsets), and the
// computation expires, refunded, naming who did not post.
func (m *Member) noiseShare(ctx context.Context, v *CommitteeView, t *Task, active []int, k int) ([]uint64, error) {
	if len(t.Noise) != len(active) {
		return nil, fmt.Errorf("%d noise dealings for %d participants", len(t.Noise), len(active))
	}
	bk, err := m.boxKey(false)
	if err != nil {
		return nil, fmt.Errorf("noise dealings: %w", err)
	}
	me, T := m.index(v), m.cfg.Params.PlaintextModulus()
	sum := make([]uint64, k)
	for p, dealer := range active {
		who := v.Members[dealer]
		obj, err := m.get(ctx, t.Noise[p])
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("noise dealing of %s: %w", who, err)
		}
		var vals []uint64
		if err == nil {
			var peer *[boxKeySize]byte
			if peer, err = m.peerBoxKey(ctx, v, who); err != nil {
				return nil, err
			}
			vals, err = openNoise(obj, t.ID, dealer, me, len(v.Members), k, T, peer, &bk.priv)
		}
		if err != nil {
			m.log.Warn("mpc: a participant's noise dealing is unusable: this member posts no key-switch share", "task", t.ID, "dealer", who, "reason", err.Error())
			return nil, fmt.Errorf("the noise dealing of participant %s is unusable, so this member posts no key-switch share: %w", who, err)
		}
		for j, x := range vals {
			sum[j] = (sum[j] + x) % T
		}
		clear(vals)
	}
	return sum, nil
}
