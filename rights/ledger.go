package rights

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Verifier checks a chunk proof; the chain is handed one (zk.Verifier in production), it does
// not build one. VerifyChunk returns nil when proof shows that the values committed to by
// commitment all lie within [min, max] under the verifying key vk of a registered Circuit.
type Verifier interface {
	VerifyChunk(vk, proof, commitment []byte, min, max int64) error
	// VerifyInput returns nil when proof shows, under the verifying key vk of a registered
	// CircuitInput circuit, the claim c: the chunk committed to by c.Commitment has c.Rows real
	// rows within [c.Min, c.Max], and the ciphertext c.Ciphertext is a fresh encryption of
	// exactly them under the public key c.Key, given the listed evaluations at the proof's
	// challenge (which committee members check against the stored objects).
	VerifyInput(vk []byte, c *InputClaim, proof []byte) error
	// HistogramChallenge returns α (32 bytes, a BN254 field element) for a column's histogram
	// check, drawn from everything the check is about (zk.HistogramChallenge): context (the
	// column's identity on chain; see HistogramContext), the commitments of the column's chunks
	// in row order, the frequency table's commitment, and its Min and Bin.
	HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error)
	// CheckHistogram returns nil if the chunks' sums S_c add up to the table's S_T in the proof
	// field (zk.VerifyHistogram): with every proof verified at the same α, the table's counts
	// are the histogram of the column's committed values.
	CheckHistogram(chunkSums [][]byte, tableSum []byte) error
}

// HistogramContext is the context a column's histogram challenge is drawn with: the listing
// party and the column's name, so that α, and the proofs made for it, belong to one column of
// one lister.
func HistogramContext(lister Address, column string) []byte {
	const tag = "dxp/rights/histogram-context/v1"
	b := binary.BigEndian.AppendUint32(nil, uint32(len(tag)))
	b = append(b, tag...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(lister)))
	b = append(b, lister...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(column)))
	return append(b, column...)
}

// HistogramSide says which half of a column's histogram check an input proof carries.
type HistogramSide uint8

const (
	HistogramColumn HistogramSide = iota + 1 // a column chunk (CircuitInputHistogram): exposes S_c
	HistogramTable                           // the frequency table (CircuitFrequencyTable): exposes S_T
)

// HistogramClaim is the histogram part of an InputClaim.
type HistogramClaim struct {
	Side  HistogramSide
	Alpha []byte // the column's α (HistogramChallenge), 32 bytes
	// Min and Bin (column side only) are the frequency table's bins: bin k is
	// [Min + k·Bin, Min + (k+1)·Bin), k < Slots.
	Min, Bin int64
	Sum      []byte // S_c or S_T as listed, 32 bytes
}

// InputClaim is what an input proof is checked against: everything but the proof, from the
// listing and the chain's state.
type InputClaim struct {
	Slots      uint64 // the ring degree N (SlotsPerCiphertext): rows per ciphertext
	Width      uint32 // the circuit's width
	Commitment []byte // the chunk's commitment (32 bytes)
	Min, Max   int64  // the column's bounds
	Rows       uint64 // real rows in this chunk, 1 to Slots; the rest are padding
	Key        Digest // the committee's collective public key (Committee.Keys[0])
	// Holder is the party listing the column: the proof is bound to it, so a listed proof cannot
	// be relisted verbatim by another party as its own dataset.
	Holder      Address
	Ciphertext  Digest // the chunk's ciphertext (Column.Ciphertexts[j])
	Evaluations []byte // Chunk.Evaluations
	// Histogram is set for a CircuitInputHistogram chunk or a CircuitFrequencyTable table; nil
	// for a plain CircuitInput chunk.
	Histogram *HistogramClaim
}

// Block is what the ledger knows of the block a tx runs in. The ledger reads nothing else from
// the outside world: no clock, randomness, network or disk.
type Block struct {
	Height int64
	Time   time.Time
	// Hash is the block's hash (set by FinalizeBlock; empty in CheckTx). Only EndBlock reads it,
	// as the beacon of setup ceremonies that wait for this block.
	Hash []byte
}

// Ledger is the chain's deterministic state machine over a Store. The same Store contents, tx
// bytes and Block give the same writes, result and events on every node.
type Ledger struct {
	Store    Store
	Verifier Verifier
	// Cache, if set, spares decoding and signature checks a node has already done (cache.go);
	// nil caches nothing. It never changes a result.
	Cache *Cache
	// Queued, in CheckTx only, tells Admit of a sender's listings already admitted to the
	// mempool and not yet in a block: how many, and the fees they will pay. nil: none.
	Queued func(Address) (listings int, fees uint64)
}

// MaxQueuedListings is how many listings of one party a node's mempool admits at a time (Admit,
// with Ledger.Queued): each makes the node verify its proofs before any block charges its fee.
const MaxQueuedListings = 2

// Result is what an accepted tx did.
type Result struct {
	ID     string  // id of the dataset, grant or computation the tx created, if any
	Events []Event // one per state change, in the order they happened
}

// Event is a state change, for the audit trail. The ABCI adapter turns each into an indexed
// CometBFT event of type "dxp".
type Event struct {
	Action      string
	Sender      Address   // who signed the tx; empty for end-of-block events
	Parties     []Address // every party the change touches
	Datasets    []string
	Grant       string
	Computation string
	Attrs       []Attr // action-specific details (step, op, kind, amount, ...)
}

// Attr is an extra key-value detail of an Event.
type Attr struct{ Key, Value string }

// Deliver decodes raw and runs it. A refusal is a *TxError and changes nothing; any other error
// is a storage failure or a bug.
func (l *Ledger) Deliver(raw []byte, b Block) (*Result, error) {
	tx, sigOK, err := l.Cache.decodeTx(raw)
	if err != nil {
		return nil, refuse(CodeDecode, "transaction is not a canonical DXP transaction: %v", err)
	}
	return l.deliverTx(tx, sigOK, b)
}

// DeliverTx runs a decoded tx: the common checks (chain id, signature, registration, nonce),
// then its kind's rules. Writes are staged and reach the Store only if the tx is accepted.
func (l *Ledger) DeliverTx(tx *Tx, b Block) (*Result, error) { return l.deliverTx(tx, nil, b) }

// deliverTx is DeliverTx for a tx the Cache shares, with the flag of its verified signature.
func (l *Ledger) deliverTx(tx *Tx, sigOK *atomic.Bool, b Block) (*Result, error) {
	if err := tx.Msg.validate(); err != nil {
		return nil, refuse(CodeDecode, "transaction is malformed: %v", err)
	}
	cache := newCache(l.Store)
	x := &exec{s: cache, v: l.Verifier, c: l.Cache, b: b, tx: tx, sigOK: sigOK}
	res, err := x.run()
	if err != nil {
		return nil, err
	}
	if err := cache.write(); err != nil {
		return nil, fmt.Errorf("rights: apply %s: %w", tx.Msg.Kind(), err)
	}
	return res, nil
}

// EndBlock runs the end-of-block rules at b.Height after its txs: every grant whose expiry has
// passed by the next block expires (its computations under way are aborted and refunded), so do
// the computations under way over a dataset whose policy's expiry has, then every computation
// whose deadline has passed expires and is refunded, then every completed computation whose
// dispute window ends at this height is settled, then b.Hash becomes the
// beacon of every setup ceremony phase waiting for this block.
func (l *Ledger) EndBlock(b Block) ([]Event, error) {
	cache := newCache(l.Store)
	x := &exec{s: cache, v: l.Verifier, c: l.Cache, b: b}
	if err := x.expireGrants(); err != nil {
		return nil, fmt.Errorf("rights: end block %d: %w", b.Height, err)
	}
	if err := x.expirePolicies(); err != nil { // tx_dataset.go
		return nil, fmt.Errorf("rights: end block %d: %w", b.Height, err)
	}
	if err := x.expire(); err != nil {
		return nil, fmt.Errorf("rights: end block %d: %w", b.Height, err)
	}
	if err := x.settle(); err != nil { // tx_dispute.go
		return nil, fmt.Errorf("rights: end block %d: %w", b.Height, err)
	}
	if err := x.sealZKCeremonies(); err != nil { // tx_zkceremony.go
		return nil, fmt.Errorf("rights: end block %d: %w", b.Height, err)
	}
	if err := cache.write(); err != nil {
		return nil, fmt.Errorf("rights: end block %d: %w", b.Height, err)
	}
	return x.events, nil
}

// exec is one tx (or end of block) in flight: its staged store and the events it emitted.
type exec struct {
	s      Store
	v      Verifier
	c      *Cache // the Ledger's; nil caches nothing
	b      Block
	tx     *Tx
	sigOK  *atomic.Bool // tx's verified flag in c, if c shares tx
	sender Address
	gen    *Genesis
	events []Event
	// pending, in CheckTx, is the next nonce of a sender with txs already in the mempool.
	pending func(Address) (uint64, bool)
}

// Admit runs the checks every tx passes before its kind's rules, which is what CheckTx asks of a
// tx before it enters the mempool: canonical encoding, a well-formed message, chain id,
// signature, a registered sender not frozen, and its next nonce. pending gives the sender's next
// nonce counting the txs of it already admitted (ok false: none are). A kind whose refusal in a
// block would cost the block real work (a listing's chunk proofs) also runs its rules, over a
// copy of the state that is then dropped, but only after checking, before any proof is
// verified, that its sender is an owner with fewer than MaxQueuedListings listings queued
// (Ledger.Queued) and a balance that pays its fee on top of theirs. Nothing is written.
func (l *Ledger) Admit(raw []byte, b Block, pending func(Address) (uint64, bool)) (*Tx, error) {
	tx, sigOK, err := l.Cache.decodeTx(raw)
	if err != nil {
		return nil, refuse(CodeDecode, "transaction is not a canonical DXP transaction: %v", err)
	}
	if err := tx.Msg.validate(); err != nil {
		return nil, refuse(CodeDecode, "transaction is malformed: %v", err)
	}
	x := &exec{s: newCache(l.Store), v: l.Verifier, c: l.Cache, b: b, tx: tx, sigOK: sigOK, pending: pending}
	party, err := x.admit()
	if err != nil {
		return nil, err
	}
	if tx.Msg.RegisterDataset != nil {
		if party == nil {
			return nil, refuse(CodeUnregistered, "sender %s is not a registered party yet; a listing is admitted once its registration is committed", x.sender)
		}
		// Before any proof is verified: the sender must be an owner able to pay the listing's
		// fee (registerDataset charges it before it verifies, so this is its first check too).
		if !party.hasRole(RoleOwner) {
			return nil, refuse(CodeUnauthorized, "%s does not hold the owner role, so it cannot list datasets", x.sender)
		}
		var queued int
		var reserved uint64
		if l.Queued != nil {
			queued, reserved = l.Queued(x.sender)
		}
		if queued >= MaxQueuedListings {
			return nil, refuse(CodeTooManyHeavyTxs, "%s already has %d listings waiting in this node's mempool, the most a party may have", x.sender, queued)
		}
		if _, _, err := x.proofFee(party, tx.Msg.RegisterDataset, reserved); err != nil {
			return nil, err
		}
		if _, err := x.rules(); err != nil { // on x's copy of the state, dropped
			return nil, err
		}
	}
	return tx, nil
}

// admit runs the checks common to every tx and returns the sender's party (nil for a sender
// registering).
func (x *exec) admit() (*Party, error) {
	gen, err := x.genesis()
	if err != nil {
		return nil, err
	}
	tx := x.tx
	if tx.ChainID != gen.ChainID {
		return nil, refuse(CodeChainID, "transaction is for chain %q, this chain is %q", tx.ChainID, gen.ChainID)
	}
	if err := x.c.verifySig(tx, x.sigOK); err != nil {
		return nil, refuse(CodeSignature, "transaction signature is invalid: %v", err)
	}
	x.sender = tx.Sender()
	party, err := x.party(x.sender)
	if err != nil {
		return nil, err
	}
	var next uint64
	queued := false
	if x.pending != nil {
		next, queued = x.pending(x.sender)
	}
	switch {
	case queued: // behind txs of its own in the mempool (a registration, if party is nil)
	case party != nil:
		next = party.Nonce
	case tx.Msg.RegisterParty == nil:
		return nil, refuse(CodeUnregistered, "sender %s is not a registered party; it must send RegisterParty first", x.sender)
	}
	if tx.Nonce < next {
		return nil, refuse(CodeReplay, "nonce %d of %s was already used (replayed transaction); the next nonce is %d", tx.Nonce, x.sender, next)
	}
	if tx.Nonce > next {
		return nil, refuse(CodeNonceGap, "nonce %d of %s is ahead of its next nonce %d", tx.Nonce, x.sender, next)
	}

	if party != nil {
		if h, err := x.holdOn(HoldParty, string(x.sender)); err != nil {
			return nil, err
		} else if h != nil {
			return nil, refuse(CodeFrozen, "party %s is frozen by regulator hold %s (%s), so it cannot send transactions", x.sender, h.ID, h.Reason)
		}
	}
	return party, nil
}

func (x *exec) run() (*Result, error) {
	if _, err := x.admit(); err != nil {
		return nil, err
	}
	return x.rules()
}

// rules runs an admitted tx's kind's rules and uses its nonce.
func (x *exec) rules() (*Result, error) {
	var id string
	var err error
	m := x.tx.Msg
	switch {
	case m.RegisterParty != nil:
		err = x.registerParty(m.RegisterParty)
	case m.PostCeremonyShare != nil:
		err = x.postCeremonyShare(m.PostCeremonyShare)
	case m.RegisterDataset != nil:
		id, err = x.registerDataset(m.RegisterDataset)
	case m.RequestGrant != nil:
		id, err = x.requestGrant(m.RequestGrant)
	case m.ApproveGrant != nil:
		err = x.approveGrant(m.ApproveGrant)
	case m.RejectGrant != nil:
		err = x.rejectGrant(m.RejectGrant)
	case m.RevokeGrant != nil:
		err = x.revokeGrant(m.RevokeGrant)
	case m.RequestComputation != nil:
		id, err = x.requestComputation(m.RequestComputation)
	case m.SubmitOutput != nil:
		err = x.submitOutput(m.SubmitOutput)
	case m.SubmitShare != nil:
		err = x.submitShare(m.SubmitShare)
	case m.UpdateDataset != nil:
		err = x.updateDataset(m.UpdateDataset)
	case m.SetPolicy != nil:
		err = x.setPolicy(m.SetPolicy)
	case m.RetireDataset != nil:
		err = x.retireDataset(m.RetireDataset)
	case m.TransferHolding != nil:
		err = x.transferHolding(m.TransferHolding)
	case m.TransferProduct != nil:
		err = x.transferProduct(m.TransferProduct)
	case m.LicenseProduct != nil:
		err = x.licenseProduct(m.LicenseProduct)
	case m.Freeze != nil:
		id, err = x.freeze(m.Freeze)
	case m.Unfreeze != nil:
		err = x.unfreeze(m.Unfreeze)
	case m.ProposeRegulatorChange != nil:
		id, err = x.proposeRegulatorChange(m.ProposeRegulatorChange)
	case m.VoteRegulatorChange != nil:
		err = x.voteRegulatorChange(m.VoteRegulatorChange)
	case m.AdmitParty != nil:
		err = x.admitParty(m.AdmitParty)
	case m.RefuseComputation != nil:
		err = x.refuseComputation(m.RefuseComputation)
	case m.AttestInputs != nil:
		err = x.attestInputs(m.AttestInputs)
	case m.DisputeComputation != nil:
		err = x.disputeComputation(m.DisputeComputation)
	case m.ResolveDispute != nil:
		err = x.resolveDispute(m.ResolveDispute)
	// Setup ceremonies (tx_zkceremony.go).
	case m.OpenZKCeremony != nil:
		id, err = x.openZKCeremony(m.OpenZKCeremony)
	case m.ContributeZKCeremony != nil:
		err = x.contributeZKCeremony(m.ContributeZKCeremony)
	case m.FinishZKCeremony != nil:
		err = x.finishZKCeremony(m.FinishZKCeremony)
	}
	if err != nil {
		return nil, err
	}

	// Reload: the kind's rules may have created the party or moved its credits.
	party, err := x.party(x.sender)
	if err != nil {
		return nil, err
	}
	if party == nil {
		return nil, fmt.Errorf("rights: %s: sender %s vanished", m.Kind(), x.sender)
	}
	party.Nonce++
	if err := x.putParty(party); err != nil {
		return nil, err
	}
	return &Result{ID: id, Events: x.events}, nil
}

// emit records an event; its Sender is the tx's sender, empty at the end of a block.
func (x *exec) emit(e Event) {
	e.Sender = x.sender
	x.events = append(x.events, e)
}

// newID names the object a tx creates: its kind and the next number of that kind on this chain,
// as 16 hex digits (ds-0000000000000001, ...), so ids sort in the order their objects were made.
//
// The numbering is for the tree's sake as much as the reader's. Objects and the index entries
// that name them are keyed by id, and an IAVL insert rewrites the path to its key and loads the
// sibling of every node on it. Ids in creation order put each kind's new keys next to each other
// at the end of its range, on a path the last insert left in the node cache. Ids derived from a
// hash (as they were) scattered every insert across the tree: once the state outgrew the node
// cache each insert read about a dozen nodes from disk, and `dxp bench ledger`'s cost per tx
// rose from ~170 us of CPU on a fresh node to over 300 us after ~200,000 txs.
func (x *exec) newID(kind string) (string, error) {
	n, err := x.nextSeq([]byte("seq/" + kind))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%016x", kind, n), nil
}

// nextSeq increments the counter at k and returns its new value; the first is 1.
func (x *exec) nextSeq(k []byte) (uint64, error) {
	var n uint64
	if _, err := load(x.s, k, &n); err != nil {
		return 0, err
	}
	n++
	return n, save(x.s, k, n)
}

// Keys of the state. Every object lives in the IAVL tree under one of these.
var (
	keyGenesis      = []byte("genesis")
	keyParams       = []byte("params")
	keyCommittee    = []byte("committee")
	keyPaymentSeq   = []byte("seq/payment")
	prefixParty     = []byte("party/")
	prefixDataset   = []byte("dataset/")
	prefixGrant     = []byte("grant/")
	prefixComp      = []byte("computation/")
	prefixPayment   = []byte("payment/")
	prefixDeadline  = []byte("index/deadline/") // + 8-byte big-endian deadline + "/" + computation id
	prefixPendingBy = []byte("index/pending/")  // + grant id + "/" + computation id
	prefixSettle    = []byte("index/settle/")   // + 8-byte big-endian SettleAt + "/" + computation id
	indexValue      = []byte{1}

	keyRegulators  = []byte("regulators") // the current regulators; genesis names the first
	prefixProduct  = []byte("product/")
	prefixHold     = []byte("hold/")
	prefixProposal = []byte("proposal/")
	prefixCircuit  = []byte("circuit/") // + Circuit.ID()
	// prefixAdmission + address: an AdmitParty waiting for the party's RegisterParty.
	prefixAdmission = []byte("admission/")
	// Indexes for the list queries: each is prefix + owner + "/" + object id, value indexValue.
	prefixDatasetByHolder  = []byte("index/dataset-holder/")
	prefixDatasetByStatus  = []byte("index/dataset-status/") // pending datasets only: what the committee has to check
	prefixGrantByGrantee   = []byte("index/grant-grantee/")
	prefixGrantByDataset   = []byte("index/grant-dataset/")
	prefixCompByGrant      = []byte("index/computation-grant/") // every use of a grant
	prefixProductByHolder  = []byte("index/product-holder/")
	prefixHoldOn           = []byte("index/hold-on/")             // + kind + "/" + target: the id of the hold in force
	prefixGrantExpiryBlock = []byte("index/grant-expiry-height/") // + 8-byte height + "/" + grant id
	prefixGrantExpiryTime  = []byte("index/grant-expiry-time/")   // + 8-byte unix time + "/" + grant id
	// The expiry of each dataset's policy in force: + 8-byte height or unix time + "/" + dataset id.
	prefixPolicyExpiryBlock = []byte("index/policy-expiry-height/")
	prefixPolicyExpiryTime  = []byte("index/policy-expiry-time/")
)

// indexKey is prefix + owner + "/" + id.
func indexKey(prefix []byte, owner, id string) []byte { return key(prefix, owner+"/"+id) }

// setIndex and delIndex maintain one list index entry.
func (x *exec) setIndex(prefix []byte, owner, id string) error {
	return x.s.Set(indexKey(prefix, owner, id), indexValue)
}

func (x *exec) delIndex(prefix []byte, owner, id string) error {
	return x.s.Delete(indexKey(prefix, owner, id))
}

// indexed returns the ids listed under prefix + owner + "/", in id order.
func indexed(s Store, prefix []byte, owner string) ([]string, error) {
	p := key(prefix, owner+"/")
	var ids []string
	err := s.Iterate(p, func(k, _ []byte) bool {
		ids = append(ids, string(k[len(p):]))
		return true
	})
	return ids, err
}

func timeKey(prefix []byte, at int64, id string) []byte {
	k := append([]byte(nil), prefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(at))
	k = append(k, '/')
	return append(k, id...)
}

// indexEntry is one key of a time-ordered index (timeKey, deadlineKey): the stored key, its
// height or unix time, and the id it names.
type indexEntry struct {
	key []byte
	at  int64
	id  string
}

// dueEntries returns, in order, the entries of the time-ordered index under prefix whose height
// or time is at most limit; what names the index in the error for a malformed key.
func dueEntries(s Store, prefix []byte, limit int64, what string) ([]indexEntry, error) {
	var out []indexEntry
	var bad error
	err := s.Iterate(prefix, func(k, _ []byte) bool {
		rest := k[len(prefix):]
		if len(rest) < 9 || rest[8] != '/' {
			bad = fmt.Errorf("rights: malformed %s index key %q", what, k)
			return false
		}
		at := int64(binary.BigEndian.Uint64(rest[:8]))
		if at > limit {
			return false
		}
		out = append(out, indexEntry{key: append([]byte(nil), k...), at: at, id: string(rest[9:])})
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, bad
}

func key(prefix []byte, id string) []byte { return append(append([]byte(nil), prefix...), id...) }

func deadlineKey(deadline int64, id string) []byte {
	k := append([]byte(nil), prefixDeadline...)
	k = binary.BigEndian.AppendUint64(k, uint64(deadline))
	k = append(k, '/')
	return append(k, id...)
}

func pendingKey(grant, id string) []byte {
	return key(prefixPendingBy, grant+"/"+id)
}

func paymentKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefixPayment...), seq)
}

// load reads key into v; false if absent.
func load(s Store, k []byte, v any) (bool, error) {
	b, err := s.Get(k)
	if err != nil {
		return false, err
	}
	if b == nil {
		return false, nil
	}
	if err := decode(b, v); err != nil {
		return false, fmt.Errorf("rights: corrupt state at %q: %w", k, err)
	}
	return true, nil
}

func save(s Store, k []byte, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	if o, ok := s.(ownedSetter); ok {
		return o.setOwned(k, b) // b is ours alone: no need for Set's copy
	}
	return s.Set(k, b)
}

func (x *exec) genesis() (*Genesis, error) {
	if x.gen != nil {
		return x.gen, nil
	}
	g, ok, err := loadMemo[Genesis](x.c, x.s, keyGenesis)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("rights: the chain has no genesis (InitChain was not run)")
	}
	x.gen = g
	return x.gen, nil
}

func (x *exec) params() (*Params, error) {
	p, ok, err := loadMemo[Params](x.c, x.s, keyParams)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("rights: the chain has no params")
	}
	return p, nil
}

// committee returns the committee; its slices are shared (see loadMemo), so the ceremony, which
// appends to them, clones them first.
func (x *exec) committee() (*Committee, error) {
	c, ok, err := loadMemo[Committee](x.c, x.s, keyCommittee)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("rights: the chain has no committee")
	}
	return c, nil
}

// party returns nil, nil when a is not registered. A tx reads its sender several times (the
// nonce check, its kind's rules, the nonce update), so parties go through the memo too.
func (x *exec) party(a Address) (*Party, error) {
	p, ok, err := loadMemo[Party](x.c, x.s, key(prefixParty, string(a)))
	if err != nil || !ok {
		return nil, err
	}
	return p, nil
}

func (x *exec) putParty(p *Party) error { return save(x.s, key(prefixParty, string(p.Address)), p) }

// dataset returns the dataset id; its slices are shared (see loadMemo).
func (x *exec) dataset(id string) (*Dataset, error) {
	d, ok, err := loadMemo[Dataset](x.c, x.s, key(prefixDataset, id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(CodeUnknownDataset, "dataset %s does not exist", id)
	}
	return d, nil
}

func (x *exec) grant(id string) (*Grant, error) {
	var g Grant
	ok, err := load(x.s, key(prefixGrant, id), &g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(CodeUnknownGrant, "grant %s does not exist", id)
	}
	return &g, nil
}

func (x *exec) product(id string) (*Product, error) {
	var p Product
	ok, err := load(x.s, key(prefixProduct, id), &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(CodeUnknownProduct, "product %s does not exist", id)
	}
	return &p, nil
}

// computation returns the computation id; its slices are shared (see loadMemo).
func (x *exec) computation(id string) (*Computation, error) {
	c, ok, err := loadMemo[Computation](x.c, x.s, key(prefixComp, id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(CodeUnknownComputation, "computation %s does not exist", id)
	}
	return c, nil
}

// pay moves amount along kind and records the Payment with the next sequence number.
// escrow: from's balance to escrow; release: escrow to to; refund: escrow back to to.
func (x *exec) pay(kind PaymentKind, comp *Computation, from, to Address, amount uint64) error {
	switch kind {
	case PaymentEscrow:
		p, err := x.party(from)
		if err != nil {
			return err
		}
		if p == nil || p.Balance < amount {
			return fmt.Errorf("rights: escrow %d from %s: balance too low", amount, from)
		}
		p.Balance -= amount
		if err := x.putParty(p); err != nil {
			return err
		}
	case PaymentRelease, PaymentRefund:
		p, err := x.party(to)
		if err != nil {
			return err
		}
		if p == nil {
			return fmt.Errorf("rights: %s %d to %s: not a party", kind, amount, to)
		}
		if p.Balance+amount < p.Balance {
			return fmt.Errorf("rights: %s %d to %s: balance overflows", kind, amount, to)
		}
		p.Balance += amount
		if err := x.putParty(p); err != nil {
			return err
		}
	}
	seq, err := x.nextSeq(keyPaymentSeq)
	if err != nil {
		return err
	}
	pm := Payment{Seq: seq, Kind: kind, Computation: comp.ID, From: from, To: to, Amount: amount, Height: x.b.Height}
	if err := save(x.s, paymentKey(seq), &pm); err != nil {
		return err
	}
	parties := []Address{}
	for _, a := range []Address{from, to} {
		if a != "" {
			parties = append(parties, a)
		}
	}
	ev := Event{
		Action:      "payment",
		Parties:     parties,
		Datasets:    comp.Datasets,
		Grant:       comp.Grant,
		Computation: comp.ID,
		Attrs: []Attr{
			{"kind", string(kind)},
			{"amount", strconv.FormatUint(amount, 10)},
			{"seq", strconv.FormatUint(seq, 10)},
		},
	}
	x.emit(ev)
	return nil
}

func containsAddr(list []Address, a Address) bool {
	for _, v := range list {
		if v == a {
			return true
		}
	}
	return false
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
