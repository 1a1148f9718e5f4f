package mpc

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// Dot-product weights.
//
// A buyer's weights are plaintext integers that the committee members check before they use them:
// the bound that sizes the chain's overflow rule and the DP noise (WeightBound) is enforced, not
// declared. The buyer seals them to the members' box keys (the X25519 keys each member posted in
// the key ceremony) in one object:
//
//	"dxp-weights-v1" || members (uint32) || per member: box.SealAnonymous(K) (80 bytes)
//	|| nonce (24) || secretbox.Seal(salt (32) || WeightsEncoding(w), nonce, K)
//
// with K a fresh 32-byte key, one sealed copy of it per member in the committee's order. The
// request carries the object's digest and the commitment SHA-256("dxp-weights-commit-v1" || salt
// || WeightsEncoding(w)); each member opens its copy, checks the commitment (so every member that
// evaluates uses the same weights, whatever key copy the buyer gave it), that there is one weight
// per row and that every |w| ≤ WeightBound, and only then multiplies the column by them. Weights
// stay hidden from owners and outsiders; the committee members see them.

const (
	weightsMagic      = "dxp-weights-v1"
	weightsCommitTag  = "dxp-weights-commit-v1"
	weightsSaltSize   = 32
	sealedWeightsKey  = 32 + box.AnonymousOverhead
	maxWeightsMembers = 1 << 10
)

// WeightsEncoding is the canonical encoding of a weight vector: its length as a big-endian
// uint64, then every weight as a big-endian two's-complement int64.
func WeightsEncoding(w []int64) []byte {
	b := make([]byte, 8+8*len(w))
	binary.BigEndian.PutUint64(b, uint64(len(w)))
	for i, v := range w {
		binary.BigEndian.PutUint64(b[8+8*i:], uint64(v))
	}
	return b
}

func decodeWeights(b []byte) ([]int64, error) {
	if len(b) < 8 {
		return nil, errors.New("the weights encoding is shorter than its length")
	}
	n := binary.BigEndian.Uint64(b)
	if n > uint64(len(b)-8)/8 || uint64(len(b)-8) != 8*n {
		return nil, fmt.Errorf("the weights encoding holds %d bytes for %d weights", len(b)-8, n)
	}
	w := make([]int64, n)
	for i := range w {
		w[i] = int64(binary.BigEndian.Uint64(b[8+8*i:]))
	}
	return w, nil
}

// WeightsCommitment is the binding commitment a dot-product request carries.
func WeightsCommitment(salt, encoding []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(weightsCommitTag))
	h.Write(salt)
	h.Write(encoding)
	return [32]byte(h.Sum(nil))
}

// SealWeights seals weights to the members' box public keys (in the committee's order) and
// returns the object to upload and the commitment to put in the request.
func SealWeights(members []*[32]byte, weights []int64) (object []byte, commitment [32]byte, err error) {
	if len(members) == 0 || len(members) > maxWeightsMembers {
		return nil, commitment, fmt.Errorf("mpc: seal weights: %d members", len(members))
	}
	var k [32]byte
	if _, err := io.ReadFull(rand.Reader, k[:]); err != nil {
		return nil, commitment, fmt.Errorf("mpc: seal weights: %w", err)
	}
	defer clear(k[:])
	salt := make([]byte, weightsSaltSize)
	if _, err := io.ReadFull(rand.Reader, salt); err != nil {
		return nil, commitment, fmt.Errorf("mpc: seal weights: %w", err)
	}
	enc := WeightsEncoding(weights)
	commitment = WeightsCommitment(salt, enc)
	object = append([]byte(weightsMagic), 0, 0, 0, 0)
	binary.BigEndian.PutUint32(object[len(weightsMagic):], uint32(len(members)))
	for i, pk := range members {
		if object, err = box.SealAnonymous(object, k[:], pk, rand.Reader); err != nil {
			return nil, commitment, fmt.Errorf("mpc: seal weights to member %d: %w", i, err)
		}
	}
	var nonce [24]byte
	if _, err := io.ReadFull(rand.Reader, nonce[:]); err != nil {
		return nil, commitment, fmt.Errorf("mpc: seal weights: %w", err)
	}
	object = append(object, nonce[:]...)
	object = secretbox.Seal(object, append(salt, enc...), &nonce, &k)
	return object, commitment, nil
}

// openWeights opens member me's copy of sealed weights with its box keys and checks them against
// the commitment. Every error is the requester's fault.
func openWeights(object []byte, me int, pub, priv *[32]byte, commitment [32]byte) ([]int64, error) {
	head := len(weightsMagic) + 4
	if len(object) < head || string(object[:len(weightsMagic)]) != weightsMagic {
		return nil, errors.New("the weights object is not sealed weights")
	}
	n := int(binary.BigEndian.Uint32(object[len(weightsMagic):]))
	if me >= n || n > maxWeightsMembers {
		return nil, fmt.Errorf("the weights are sealed to %d members, not to member %d", n, me)
	}
	body := head + n*sealedWeightsKey + 24
	if len(object) < body+secretbox.Overhead {
		return nil, errors.New("the weights object is truncated")
	}
	off := head + me*sealedWeightsKey
	kb, ok := box.OpenAnonymous(nil, object[off:off+sealedWeightsKey], pub, priv)
	if !ok || len(kb) != 32 {
		return nil, errors.New("the weights key sealed to this member does not open")
	}
	k := [32]byte(kb)
	defer clear(k[:])
	defer clear(kb)
	nonce := [24]byte(object[body-24 : body])
	msg, ok := secretbox.Open(nil, object[body:], &nonce, &k)
	if !ok {
		return nil, errors.New("the weights do not open with the key sealed to this member")
	}
	if len(msg) < weightsSaltSize {
		return nil, errors.New("the sealed weights are shorter than their salt")
	}
	got := WeightsCommitment(msg[:weightsSaltSize], msg[weightsSaltSize:])
	if subtle.ConstantTimeCompare(got[:], commitment[:]) != 1 {
		return nil, errors.New("the weights sealed to this member do not match the request's commitment")
	}
	return decodeWeights(msg[weightsSaltSize:])
}

// checkWeights refuses weights whose count is not the rows' or one of which exceeds bound in
// magnitude (the bound the chain's overflow rule and the DP noise were sized with).
func checkWeights(w []int64, rows []uint64, bound uint64) error {
	var total uint64
	for _, r := range rows {
		total += r
	}
	if uint64(len(w)) != total {
		return fmt.Errorf("the weights hold %d values, the datasets %d rows", len(w), total)
	}
	for _, v := range w {
		a := uint64(v)
		if v < 0 {
			a = -a // two's complement: right for MinInt64 too
		}
		if a > bound {
			// The reason goes on chain: it names the bound, never a weight or its position.
			return fmt.Errorf("a weight is above the declared bound %d in magnitude", bound)
		}
	}
	return nil
}

// StepBox is the ceremony step in which each member posts its box public key (a 32-byte object):
// the key buyers seal dot-product weights to.
const StepBox = stepBox
