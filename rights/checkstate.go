package rights

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
)

// CheckTx's state across a Commit.
//
// CheckTx runs every new tx through the ledger against the committed state plus the writes of the
// txs it accepted before (so a sender can queue txs, and a grant requested a moment ago can be
// approved before it is committed). When a block commits, CometBFT rechecks every tx left in the
// mempool; run through the ledger again, that recheck costs as much as the first check, and it
// runs inside the commit, while consensus waits.
//
// Usually the block is exactly the oldest txs CheckTx accepted, in the order it accepted them (the
// proposer reaps its mempool in order), and each of them succeeded in the block. Then the writes
// of the txs left over are still the right staging on top of the new committed state: the App
// keeps each accepted tx's writes, lays the left-over ones on the new state at Commit, and answers
// their rechecks at once. In any other case (a block with txs this node did not check, in another
// order, or refused; or a tx this node accepted that the mempool then dropped) it starts over
// empty and the rechecks run the ledger as before.
//
// The carried-over writes were computed for the block after the previous one, so fields that
// record a height (when a grant was requested, say) may be one block early in CheckTx's view.
// CheckTx only admits txs to the mempool; FinalizeBlock decides.

// checkEntry is a tx CheckTx accepted since the last rebuild, and what it wrote.
type checkEntry struct {
	hash   [32]byte
	writes map[string][]byte // nil value: deleted
}

// checkState is the App's record of CheckTx's staging; checkMu guards it.
type checkState struct {
	entries []checkEntry
	carried map[[32]byte]bool // entries carried over the last Commit, awaiting their recheck
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
		if codes(i) != CodeOK {
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

// accepted records that CheckTx accepted tx, which staged writes.
func (s *checkState) accepted(tx []byte, writes map[string][]byte) {
	s.entries = append(s.entries, checkEntry{hash: sha256.Sum256(tx), writes: writes})
}

// rebase moves the staging to a new committed state after block b: it returns the writes to
// stage, in order, or ok false when the staging must start empty.
func (s *checkState) rebase(b *finalized) (carry []checkEntry, ok bool) {
	defer func() {
		if !ok {
			s.entries, s.carried = nil, nil
		}
	}()
	// Entries carried at the last Commit and never rechecked since are not in the mempool.
	if len(s.carried) > 0 || !b.set || !b.allOK || len(b.hashes) > len(s.entries) {
		return nil, false
	}
	for i, h := range b.hashes {
		if s.entries[i].hash != h {
			return nil, false
		}
	}
	rest := s.entries[len(b.hashes):]
	s.entries = append([]checkEntry(nil), rest...)
	s.carried = make(map[[32]byte]bool, len(rest))
	for _, e := range rest {
		s.carried[e.hash] = true
	}
	return s.entries, true
}

// stageWrites applies an entry's writes to the staging store c.
func stageWrites(c *cacheStore, writes map[string][]byte) {
	for _, k := range sortedKeys(writes) {
		c.stage(k, writes[k])
	}
}

func sortedKeys(m map[string][]byte) []string {
	return slices.Sorted(maps.Keys(m))
}

// restage lays the writes of the txs left in the mempool after the last block on the fresh
// staging, when the block allows it (see rebase). The caller holds both locks.
func (app *App) restage() {
	if carry, ok := app.checks.rebase(&app.block); ok {
		for _, e := range carry {
			stageWrites(app.check, e.writes)
		}
	}
	app.block = finalized{}
}

// checkStaged runs raw through the ledger on CheckTx's staging and, if it is accepted, stages its
// writes and records them. The caller holds checkMu.
func (app *App) checkStaged(raw []byte) (*Result, error) {
	txc := newCache(app.check)
	res, err := app.deliver(&Ledger{Store: txc, Verifier: app.verifier}, raw, app.checkBlock)
	if err != nil {
		return nil, err
	}
	writes := txc.writes
	if err := txc.write(); err != nil {
		return nil, fmt.Errorf("rights: stage a checked tx: %w", err)
	}
	app.checks.accepted(raw, writes)
	return res, nil
}
