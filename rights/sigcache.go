package rights

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Signature checks: every tx's ed25519 signature is verified by the node that receives it, once.
//
// A tx is checked by CheckTx when it enters the mempool, again on every recheck while it waits,
// and again in FinalizeBlock. The App verifies its signature once, in CheckTx before it takes its
// lock (so the verification overlaps a block being finalized) or, for a tx first seen in a
// proposal, in ProcessProposal with the block's signatures verified in parallel; it then records
// the fact in verifiedSigs. VerifySig consults verifiedSigs before verifying. Only the App adds
// entries, and only after a verification succeeded, so the ledger accepts exactly the signatures
// it would verify itself; the cache just spares the work.
//
// Verification uses curve25519-voi with the options that reproduce crypto/ed25519's rules
// (cofactorless, canonical S; TestVerifyEd25519MatchesStdlib), about 1.8 times faster than the
// standard library. CometBFT's batch verifier is not used: batching needs the cofactored
// equation (ZIP-215), which accepts signatures the standard library refuses.

var voiStdLib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// verifyEd25519 reports whether sig is pub's signature of msg, under crypto/ed25519's rules.
func verifyEd25519(pub, msg, sig []byte) bool {
	if len(pub) != voi.PublicKeySize {
		return false
	}
	k := sigKey(pub, msg, sig)
	if verifiedSigs.has(k) {
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

var verifiedSigs = &sigSet{cur: map[[32]byte]struct{}{}, max: sigSetMax}

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

// preverify verifies the signature of the tx raw, if it decodes, and records it in verifiedSigs.
// Whatever fails is left for the ledger to refuse, with its own code and message.
func preverify(raw []byte) {
	tx, err := decodeTx(raw)
	if err != nil || len(tx.PubKey) != voi.PublicKeySize || len(tx.Sig) != voi.SignatureSize || tx.sigOK.Load() {
		return
	}
	msg, err := SignBytes(tx)
	if err != nil {
		return
	}
	k := sigKey(tx.PubKey, msg, tx.Sig)
	if verifiedSigs.has(k) {
		tx.sigOK.Store(true)
		return
	}
	if voi.VerifyWithOptions(voi.PublicKey(tx.PubKey), msg, tx.Sig, voiStdLib) {
		verifiedSigs.add(k)
		tx.sigOK.Store(true)
	}
}

// preverifyAll verifies the signatures of txs on every core.
func preverifyAll(txs [][]byte) {
	workers := min(runtime.GOMAXPROCS(0), len(txs))
	if workers <= 1 {
		for _, tx := range txs {
			preverify(tx)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan []byte, len(txs))
	for _, tx := range txs {
		next <- tx
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tx := range next {
				preverify(tx)
			}
		}()
	}
	wg.Wait()
}

// ProcessProposal accepts every proposal (a refused tx in a block is refused by FinalizeBlock,
// with a code) and meanwhile verifies the signatures of its txs that this node has not seen, on
// every core, so that FinalizeBlock finds them verified.
func (app *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	preverifyAll(req.Txs)
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}
