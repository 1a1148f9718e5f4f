package rights

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Signature checks: every tx's ed25519 signature is verified by the node that receives it, once.
//
// A tx is checked by CheckTx when it enters the mempool, again on every recheck while it waits,
// and again in FinalizeBlock. The App (rights/app) verifies its signature once, with its Cache's
// Preverify: in CheckTx before it takes its lock (so the verification overlaps a block being
// finalized) or, for a tx first seen in a proposal, in ProcessProposal with the block's
// signatures verified in parallel. Preverify records the signature in the Cache's set of verified signatures and marks
// the Cache's shared decoding of the tx; the ledger's signature check, given that Cache, finds
// either before verifying. Only Preverify adds entries, and only after a verification succeeded,
// so the ledger accepts exactly the signatures it would verify itself; the cache spares the work.
//
// Verification uses curve25519-voi with the options that reproduce crypto/ed25519's rules
// (cofactorless, canonical S; TestVerifyEd25519MatchesStdlib), about 1.8 times faster than the
// standard library. CometBFT's batch verifier is not used: batching needs the cofactored
// equation (ZIP-215), which accepts signatures the standard library refuses.

var voiStdLib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// verifyEd25519 reports whether sig is pub's signature of msg, under crypto/ed25519's rules; a
// signature c recorded as verified is not verified again.
func (c *Cache) verifyEd25519(pub, msg, sig []byte) bool {
	if len(pub) != voi.PublicKeySize {
		return false
	}
	if c != nil && c.sigs.has(sigKey(pub, msg, sig)) {
		return true
	}
	return voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, voiStdLib)
}

// sigKey names a (public key, message, signature) triple.
func sigKey(pub, msg, sig []byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, b := range [][]byte{pub, sig, msg} {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// sigSet remembers verified signatures, in two generations: when the current one is full it
// becomes the previous one, so the most recent entries survive. It is safe for concurrent use.
type sigSet struct {
	mu        sync.Mutex
	cur, prev map[[32]byte]struct{}
	max       int
}

const sigSetMax = 1 << 17 // per generation: 4 MiB of keys, about half a minute of txs at 5,000 tx/s

func (s *sigSet) has(k [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.cur[k]
	if !ok {
		_, ok = s.prev[k]
	}
	return ok
}

func (s *sigSet) add(k [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cur) >= s.max {
		s.prev, s.cur = s.cur, make(map[[32]byte]struct{}, s.max)
	}
	s.cur[k] = struct{}{}
}
