package app

import "github.com/dxplabs/dxp/rights"
import "crypto/sha256"

// CheckTx's state across a Commit.
//
// CheckTx admits a tx to the mempool; FinalizeBlock decides it. Admission (Ledger.Admit) is the
// checks every tx passes before its kind's rules: encoding, chain id, signature, a registered
// sender not frozen, and the sender's next nonce, counting the txs of it already admitted so a
// sender can queue several. The kind's rules run in FinalizeBlock, as the Cosmos SDK runs its
// messages only there: running them in CheckTx too cost as much again per tx, on the node's
// other core, and bought only an earlier refusal (Client.Submit reports a refusal from either
// place the same way). The price: a tx that breaks its kind's rules takes a place in a block
// before it is refused, and since a refused tx changes nothing, not even its sender's nonce, the
// txs its sender queued behind it are refused too (Client.Submit never queues: it sends a key's
// next tx once the last one committed). A listing is the exception: its chunk proofs are checked
// at admission, so a bad proof never reaches a block and the block's check of them is a memo hit;
// so that this work is paid for, a sender may have at most rights.MaxQueuedListings listings
// admitted at a time, and its balance must pay all their fees (Ledger.Queued), checked before
// any proof is verified.
//
// When a block commits, CometBFT rechecks every tx left in the mempool. Usually the block is
// exactly the oldest txs CheckTx admitted, in the order it admitted them (the proposer reaps its
// mempool in order), and each of them succeeded in the block. Then the txs left over are still
// admitted, nonces included: the App keeps them and answers their rechecks at once. In any other
// case (a block with txs this node did not admit, in another order, or refused; or a tx this node
// admitted that the mempool then dropped) it starts over and the rechecks run admission again.

// checkEntry is a tx CheckTx admitted since the last rebuild.
type checkEntry struct {
	hash    [32]byte
	sender  rights.Address
	nonce   uint64
	listing bool   // a RegisterDataset
	fee     uint64 // the listing's fee
}

// checkState is the App's record of the txs CheckTx admitted; checkMu guards it.
type checkState struct {
	entries  []checkEntry
	carried  map[[32]byte]bool         // entries carried over the last Commit, awaiting their recheck
	next     map[rights.Address]uint64 // the next nonce of each sender with admitted txs
	listings map[rights.Address]queued // the admitted listings of each sender that has some
}

// queued is a sender's admitted listings: how many, and the fees they will pay.
type queued struct {
	n    int
	fees uint64
}

// queuedListings is Ledger.Queued over the admitted txs.
func (s *checkState) queuedListings(a rights.Address) (int, uint64) {
	q := s.listings[a]
	return q.n, q.fees
}

// finalized is what the App remembers of the last block for Commit; mu guards it.
type finalized struct {
	hashes [][32]byte
	allOK  bool
	set    bool
}

func (f *finalized) note(txs [][]byte, codes func(int) uint32) {
	f.hashes = f.hashes[:0]
	f.allOK, f.set = true, true
	for i, tx := range txs {
		f.hashes = append(f.hashes, sha256.Sum256(tx))
		if codes(i) != rights.CodeOK {
			f.allOK = false
		}
	}
}

// recheckCarried reports whether tx is a recheck of a tx whose writes were carried over the last
// Commit, and counts it.
func (s *checkState) recheckCarried(tx []byte) bool {
	if len(s.carried) == 0 {
		return false
	}
	h := sha256.Sum256(tx)
	if !s.carried[h] {
		return false
	}
	delete(s.carried, h)
	return true
}

// accepted records that CheckTx admitted tx, a listing paying fee if listing.
func (s *checkState) accepted(raw []byte, tx *rights.Tx, listing bool, fee uint64) {
	e := checkEntry{hash: sha256.Sum256(raw), sender: tx.Sender(), nonce: tx.Nonce, listing: listing, fee: fee}
	s.entries = append(s.entries, e)
	s.note(e)
}

func (s *checkState) note(e checkEntry) {
	if s.next == nil {
		s.next = map[rights.Address]uint64{}
	}
	s.next[e.sender] = e.nonce + 1
	if e.listing {
		if s.listings == nil {
			s.listings = map[rights.Address]queued{}
		}
		q := s.listings[e.sender]
		s.listings[e.sender] = queued{n: q.n + 1, fees: q.fees + e.fee}
	}
}

// pending is the next nonce of a sender with admitted txs.
func (s *checkState) pending(a rights.Address) (uint64, bool) {
	n, ok := s.next[a]
	return n, ok
}

// rebase moves the admitted txs to a new committed state after block b: it keeps those the block
// left in the mempool when b allows it (see above) and otherwise starts over.
func (s *checkState) rebase(b *finalized) {
	ok := false
	defer func() {
		if !ok {
			s.entries, s.carried, s.next, s.listings = nil, nil, nil, nil
		}
	}()
	// Entries carried at the last Commit and never rechecked since are not in the mempool.
	if len(s.carried) > 0 || !b.set || !b.allOK || len(b.hashes) > len(s.entries) {
		return
	}
	for i, h := range b.hashes {
		if s.entries[i].hash != h {
			return
		}
	}
	rest := s.entries[len(b.hashes):]
	s.entries = append([]checkEntry(nil), rest...)
	s.carried = make(map[[32]byte]bool, len(rest))
	s.next, s.listings = nil, nil
	for _, e := range rest {
		s.carried[e.hash] = true
		s.note(e)
	}
	ok = true
}

// restage carries the admitted txs over the Commit of the last block (see rebase). The caller
// holds both locks.
func (app *App) restage() {
	app.checks.rebase(&app.block)
	app.block = finalized{}
}

// admit runs raw through admission on the committed state and, if it is admitted, records it.
// The caller holds checkMu.
func (app *App) admit(raw []byte) (err error) {
	defer app.refuseOnPanic(&err, "checking", app.checkBlock.Height)
	l := &rights.Ledger{Store: app.check, Verifier: app.verifier, Cache: app.cache, Queued: app.checks.queuedListings}
	tx, err := l.Admit(raw, app.checkBlock, app.checks.pending)
	if err != nil {
		return err
	}
	var fee uint64
	listing := tx.Msg.RegisterDataset != nil
	if listing {
		if fee, err = l.ListingFee(tx.Msg.RegisterDataset); err != nil {
			return err
		}
	}
	app.checks.accepted(raw, tx, listing, fee)
	return nil
}
