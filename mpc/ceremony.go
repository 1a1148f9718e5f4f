package mpc

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring/ringqp"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
	"golang.org/x/crypto/nacl/box"
)

// Ceremony steps as posted on the board. The chain interprets only stepKeys.
const (
	stepBox    = "box"
	stepCKG    = "ckg"
	stepRKG1   = "rkg1"
	stepRKG2   = "rkg2"
	stepGKG    = "gkg"
	stepShamir = "shamir"
	stepKAT    = "kat"
	stepKeys   = "keys" // rights.KeysStep
)

// ceremony holds the protocol instances of one key epoch and implements the ceremony's local steps:
// share generation and deterministic aggregation. Moving shares between members is the Member's
// business. Not safe for concurrent use (the protocols hold buffers and samplers).
type ceremony struct {
	params heint.Parameters
	seed   []byte
	epoch  uint64
	galEls []uint64

	ckg mhe.PublicKeyGenProtocol
	rkg mhe.RelinearizationKeyGenProtocol
	gkg mhe.GaloisKeyGenProtocol

	// gkgCRPs caches the Galois CRPs (3 MB each) between the gkg and keys steps: expanding them
	// from the CRS is the ceremony's largest cost. release drops them.
	gkgCRPs map[uint64]mhe.GaloisKeyGenCRP
}

func newCeremony(params heint.Parameters, seed []byte, epoch uint64) *ceremony {
	return &ceremony{
		params: params,
		seed:   seed,
		epoch:  epoch,
		galEls: galoisElements(params),
		ckg:    mhe.NewPublicKeyGenProtocol(params),
		rkg:    mhe.NewRelinearizationKeyGenProtocol(params),
		gkg:    mhe.NewGaloisKeyGenProtocol(params),

		gkgCRPs: make(map[uint64]mhe.GaloisKeyGenCRP),
	}
}

// release drops cached CRPs once the keys are made.
func (c *ceremony) release() { clear(c.gkgCRPs) }

// crs returns the common reference string of one protocol instance: a keyed PRNG whose key hashes
// the committee's public seed, the epoch and the instance label. Every instance has its own stream,
// so parties need not agree on an order of sampling across instances (lattigo gotcha 6).
func (c *ceremony) crs(label string) (*sampling.KeyedPRNG, error) {
	h := sha256.New()
	h.Write([]byte("dxp/mpc/crs/v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(c.seed))))
	h.Write(c.seed)
	h.Write(binary.BigEndian.AppendUint64(nil, c.epoch))
	h.Write([]byte(label))
	prng, err := sampling.NewKeyedPRNG(h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("crs %s: %w", label, err)
	}
	return prng, nil
}

func (c *ceremony) ckgCRP() (mhe.PublicKeyGenCRP, error) {
	crs, err := c.crs(stepCKG)
	if err != nil {
		return mhe.PublicKeyGenCRP{}, err
	}
	return c.ckg.SampleCRP(crs), nil
}

func (c *ceremony) rkgCRP() (mhe.RelinearizationKeyGenCRP, error) {
	crs, err := c.crs("rkg")
	if err != nil {
		return mhe.RelinearizationKeyGenCRP{}, err
	}
	return c.rkg.SampleCRP(crs), nil
}

func (c *ceremony) gkgCRP(galEl uint64) (mhe.GaloisKeyGenCRP, error) {
	if crp, ok := c.gkgCRPs[galEl]; ok {
		return crp, nil
	}
	crs, err := c.crs(fmt.Sprintf("gkg/%d", galEl))
	if err != nil {
		return mhe.GaloisKeyGenCRP{}, err
	}
	crp := c.gkg.SampleCRP(crs)
	c.gkgCRPs[galEl] = crp
	return crp, nil
}

// newSecret samples a fresh ternary secret (the member's key share or the RKG ephemeral key) from
// lattigo's crypto/rand-seeded sampler.
func (c *ceremony) newSecret() *rlwe.SecretKey {
	return rlwe.NewKeyGenerator(c.params).GenSecretKeyNew()
}

func (c *ceremony) ckgShare(sk *rlwe.SecretKey) (mhe.PublicKeyGenShare, error) {
	crp, err := c.ckgCRP()
	if err != nil {
		return mhe.PublicKeyGenShare{}, err
	}
	s := c.ckg.AllocateShare()
	c.ckg.GenShare(sk, crp, &s)
	return s, nil
}

// rkgRound1 is this member's first RKG share and the ephemeral secret it samples, which round 2
// needs: the caller persists eph (with the share's digest) before posting the share.
func (c *ceremony) rkgRound1(sk *rlwe.SecretKey) (eph *rlwe.SecretKey, share mhe.RelinearizationKeyGenShare, err error) {
	crp, err := c.rkgCRP()
	if err != nil {
		return nil, mhe.RelinearizationKeyGenShare{}, err
	}
	eph, share, _ = c.rkg.AllocateShare()
	c.rkg.GenShareRoundOne(sk, crp, eph, &share)
	return eph, share, nil
}

func (c *ceremony) rkgRound2(sk, eph *rlwe.SecretKey, round1 mhe.RelinearizationKeyGenShare) mhe.RelinearizationKeyGenShare {
	_, _, s := c.rkg.AllocateShare()
	c.rkg.GenShareRoundTwo(eph, sk, round1, &s)
	return s
}

func (c *ceremony) gkgShare(sk *rlwe.SecretKey, galEl uint64) (mhe.GaloisKeyGenShare, error) {
	crp, err := c.gkgCRP(galEl)
	if err != nil {
		return mhe.GaloisKeyGenShare{}, err
	}
	s := c.gkg.AllocateShare()
	if err := c.gkg.GenShare(sk, galEl, crp, &s); err != nil {
		return mhe.GaloisKeyGenShare{}, fmt.Errorf("gkg share %d: %w", galEl, err)
	}
	return s, nil
}

// The aggregation steps are deterministic: shares are summed modulo Q·P (order does not matter) and
// the keys are fixed functions of the sums and the CRPs, so every member computes identical keys.

func (c *ceremony) publicKey(shares []*mhe.PublicKeyGenShare) (*rlwe.PublicKey, error) {
	crp, err := c.ckgCRP()
	if err != nil {
		return nil, err
	}
	agg := c.ckg.AllocateShare()
	for _, s := range shares {
		c.ckg.AggregateShares(*s, agg, &agg)
	}
	pk := rlwe.NewPublicKey(c.params)
	c.ckg.GenPublicKey(agg, crp, pk)
	return pk, nil
}

func (c *ceremony) aggregateRKG(shares []*mhe.RelinearizationKeyGenShare) mhe.RelinearizationKeyGenShare {
	_, agg, _ := c.rkg.AllocateShare()
	for _, s := range shares {
		c.rkg.AggregateShares(*s, agg, &agg)
	}
	return agg
}

func (c *ceremony) relinearizationKey(round1, round2 mhe.RelinearizationKeyGenShare) *rlwe.RelinearizationKey {
	rlk := rlwe.NewRelinearizationKey(c.params)
	c.rkg.GenRelinearizationKey(round1, round2, rlk)
	return rlk
}

func (c *ceremony) galoisKey(galEl uint64, shares []*mhe.GaloisKeyGenShare) (*rlwe.GaloisKey, error) {
	crp, err := c.gkgCRP(galEl)
	if err != nil {
		return nil, err
	}
	agg := c.gkg.AllocateShare()
	agg.GaloisElement = galEl
	for _, s := range shares {
		if err := c.gkg.AggregateShares(*s, agg, &agg); err != nil {
			return nil, fmt.Errorf("aggregate gkg %d: %w", galEl, err)
		}
	}
	gk := rlwe.NewGaloisKey(c.params)
	if err := c.gkg.GenGaloisKey(agg, crp, gk); err != nil {
		return nil, fmt.Errorf("galois key %d: %w", galEl, err)
	}
	return gk, nil
}

// Thresholdizing the collective secret (t-of-N). Every member splits its key share with a random
// Shamir polynomial of degree t-1 and sends the evaluation at member j's point (j+1 in the
// committee's order) to member j, sealed with nacl/box to j's X25519 key; member j adds what it
// receives into its threshold share of the collective secret s = Σ key shares. Any t members
// then derive additive shares of s (mhe.Combiner) for the protocols they run together.

// shamirShares returns this member's share of sk for each of n members, in order.
func (c *ceremony) shamirShares(sk *rlwe.SecretKey, threshold, n int) ([]mhe.ShamirSecretShare, error) {
	thr := mhe.NewThresholdizer(c.params)
	poly, err := thr.GenShamirPolynomial(threshold, sk)
	if err != nil {
		return nil, fmt.Errorf("shamir polynomial: %w", err)
	}
	shares := make([]mhe.ShamirSecretShare, n)
	for j := range shares {
		shares[j] = thr.AllocateThresholdSecretShare()
		thr.GenShamirSecretShare(mhe.ShamirPublicPoint(j+1), poly, &shares[j])
	}
	for _, p := range poly.Value {
		zeroQP(p)
	}
	return shares, nil
}

// thresholdShare adds the shares a member received into its threshold secret share.
func (c *ceremony) thresholdShare(received []*mhe.ShamirSecretShare) (mhe.ShamirSecretShare, error) {
	thr := mhe.NewThresholdizer(c.params)
	agg := thr.AllocateThresholdSecretShare()
	for _, s := range received {
		if err := thr.AggregateShares(agg, *s, &agg); err != nil {
			return mhe.ShamirSecretShare{}, fmt.Errorf("aggregate shamir shares: %w", err)
		}
	}
	return agg, nil
}

// additiveShare returns this member's additive share of the collective secret for a protocol run
// by exactly the active members (each a 0-based index in the committee's order). The shares of
// the active members add up to the collective secret.
func additiveShare(params heint.Parameters, own int, members, threshold int, active []int, tsk mhe.ShamirSecretShare) (*rlwe.SecretKey, error) {
	if len(active) != threshold {
		return nil, fmt.Errorf("%d active members, want exactly the threshold %d", len(active), threshold)
	}
	points := make([]mhe.ShamirPublicPoint, members)
	for i := range points {
		points[i] = mhe.ShamirPublicPoint(i + 1)
	}
	act := make([]mhe.ShamirPublicPoint, len(active))
	for i, a := range active {
		act[i] = mhe.ShamirPublicPoint(a + 1)
	}
	cmb := mhe.NewCombiner(*params.GetRLWEParameters(), points[own], points, threshold)
	sk := rlwe.NewSecretKey(params)
	if err := cmb.GenAdditiveShare(act, points[own], tsk, sk); err != nil {
		return nil, fmt.Errorf("additive share: %w", err)
	}
	return sk, nil
}

func zeroQP(p ringqp.Poly) {
	for _, row := range p.Q.Coeffs {
		clear(row)
	}
	for _, row := range p.P.Coeffs {
		clear(row)
	}
}

// Sealed Shamir shares. The object member i posts for member j is
//
//	nonce (24 bytes) || box.Seal(header (32 bytes) || share, nonce, j's box key, i's box secret)
//
// where header = SHA-256("dxp/mpc/shamir/v1\x00" || len(seed) || seed || epoch || i || j), the
// lengths and numbers big-endian uint64. The box authenticates the sender; the header binds the
// share to the committee, the epoch and both members, so a share cannot be replayed elsewhere.

const boxKeySize = 32

func (c *ceremony) shamirHeader(from, to int) []byte {
	h := sha256.New()
	h.Write([]byte("dxp/mpc/shamir/v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(c.seed))))
	h.Write(c.seed)
	h.Write(binary.BigEndian.AppendUint64(nil, c.epoch))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(from)))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(to)))
	return h.Sum(nil)
}

func (c *ceremony) seal(share []byte, from, to int, peer, priv *[boxKeySize]byte) ([]byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	msg := append(c.shamirHeader(from, to), share...)
	out := box.Seal(nonce[:], msg, &nonce, peer, priv)
	clear(msg)
	return out, nil
}

// sealedSize is the size of a sealed share of shareSize bytes.
func sealedSize(shareSize int) int { return 24 + box.Overhead + sha256.Size + shareSize }

// open returns the share member from sealed for member to, checking size, authenticity and header.
func (c *ceremony) open(sealed []byte, shareSize, from, to int, peer, priv *[boxKeySize]byte) ([]byte, error) {
	if len(sealed) != sealedSize(shareSize) {
		return nil, fmt.Errorf("sealed share is %d bytes, want %d", len(sealed), sealedSize(shareSize))
	}
	var nonce [24]byte
	copy(nonce[:], sealed)
	msg, ok := box.Open(nil, sealed[24:], &nonce, peer, priv)
	if !ok {
		return nil, errors.New("sealed share does not open with the sender's and this member's box keys")
	}
	if !bytes.Equal(msg[:sha256.Size], c.shamirHeader(from, to)) {
		clear(msg)
		return nil, errors.New("sealed share is not for this committee, epoch and pair of members")
	}
	return msg[sha256.Size:], nil
}
