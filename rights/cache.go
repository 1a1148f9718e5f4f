package rights

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Cache holds what a node learns once and reads again and again: decoded state values, decoded
// txs and verified signatures. It only spares work: a Ledger with a Cache accepts, refuses and
// writes exactly what one without would. A node owns one and hands it to every Ledger it builds
// (CheckTx, FinalizeBlock, queries), so that what CheckTx decoded and verified FinalizeBlock
// finds done. It is safe for concurrent use. A nil *Cache caches nothing.
//
// Decoding a stored object costs more than anything else a tx does to state: a dataset carries
// a digest per ciphertext and a proof per chunk, and a busy chain reads the same few datasets,
// the committee and the genesis in nearly every tx while they rarely change; CheckTx reads the
// genesis and the sender's party again for every tx it admits. The decode memo keeps recently
// decoded values by their encoded bytes, so it is a pure function of the bytes: it is right for
// every store (check state, deliver state, a query view) and never changes a result.
//
// A tx is read several times on one node (CheckTx's signature check and its run,
// ProcessProposal, FinalizeBlock): the cache remembers the txs it decoded by their bytes, each
// with whether its signature verified, and the signatures Preverify verified (sigcache.go).
type Cache struct {
	memo decodeMemo
	txs  txMemo
	sigs sigSet
}

// NewCache returns an empty Cache.
func NewCache() *Cache {
	return &Cache{
		memo: decodeMemo{m: map[reflect.Type]map[string]any{}},
		txs:  txMemo{cur: map[[32]byte]*decodedTx{}, max: 1 << 15},
		sigs: sigSet{cur: map[[32]byte]struct{}{}, max: sigSetMax},
	}
}

// decodeMemo maps a type and encoded bytes to the value they decode to. It is keyed by type
// first so that a lookup converts the bytes to a map key without copying them.
type decodeMemo struct {
	mu sync.Mutex
	m  map[reflect.Type]map[string]any
	n  int
}

// memoMax bounds the memo; when it is full it starts again, which costs only decoding.
const memoMax = 8192

func (d *decodeMemo) get(t reflect.Type, raw []byte) (any, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[t][string(raw)]
	return v, ok
}

func (d *decodeMemo) put(t reflect.Type, raw []byte, v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n >= memoMax {
		d.m, d.n = map[reflect.Type]map[string]any{}, 0
	}
	byRaw := d.m[t]
	if byRaw == nil {
		byRaw = map[string]any{}
		d.m[t] = byRaw
	}
	if _, ok := byRaw[string(raw)]; !ok {
		d.n++
	}
	byRaw[string(raw)] = v
}

// loadMemo reads key k as a T, false if absent, through c's decode memo. It returns a shallow
// copy of the memoized value: the caller may set its fields and save it, but its slices are
// shared with the memo, so a caller must never change an element of one in place, and appends
// to a clipped copy (slices.Clip) so that the append cannot write into the shared array.
func loadMemo[T any](c *Cache, s Store, k []byte) (*T, bool, error) {
	raw, err := s.Get(k)
	if err != nil || raw == nil {
		return nil, false, err
	}
	t := reflect.TypeFor[T]()
	if c != nil {
		if v, ok := c.memo.get(t, raw); ok {
			cp := *v.(*T)
			return &cp, true, nil
		}
	}
	v := new(T)
	if err := decode(raw, v); err != nil {
		return nil, false, fmt.Errorf("rights: corrupt state at %q: %w", k, err)
	}
	if c == nil {
		return v, true, nil
	}
	c.memo.put(t, raw, v)
	cp := *v
	return &cp, true, nil
}

// decodedTx is a tx the cache decoded, shared by every reader of its bytes, which must not
// change it. sigOK is true once its signature verified: the bytes fix every field, so the
// verification holds for as long as the entry lives.
type decodedTx struct {
	tx    *Tx
	sigOK atomic.Bool
}

// decodeTx is DecodeTx through the cache: it returns the shared decoding of b and the flag of
// its verified signature (nil with a nil Cache).
func (c *Cache) decodeTx(b []byte) (*Tx, *atomic.Bool, error) {
	if c == nil {
		tx, err := decodeTxFresh(b)
		return tx, nil, err
	}
	k := sha256.Sum256(b)
	if d := c.txs.get(k); d != nil {
		return d.tx, &d.sigOK, nil
	}
	tx, err := decodeTxFresh(b)
	if err != nil {
		return nil, nil, err
	}
	d := &decodedTx{tx: tx}
	c.txs.put(k, d)
	return tx, &d.sigOK, nil
}

// txMemo holds recently decoded txs in two generations, like sigSet: when the current one is
// full it becomes the previous one. It is safe for concurrent use.
type txMemo struct {
	mu        sync.Mutex
	cur, prev map[[32]byte]*decodedTx
	max       int
}

func (m *txMemo) get(k [32]byte) *decodedTx {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.cur[k]; ok {
		return d
	}
	return m.prev[k]
}

func (m *txMemo) put(k [32]byte, d *decodedTx) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cur) >= m.max {
		m.prev, m.cur = m.cur, make(map[[32]byte]*decodedTx, m.max)
	}
	m.cur[k] = d
}

// VerifySig reports whether tx carries a valid signature by its PubKey, as the package's
// VerifySig does, but takes a signature Preverify recorded as verified.
func (c *Cache) VerifySig(tx *Tx) error { return c.verifySig(tx, nil) }

// verifySig is VerifySig for a tx decodeTx shared, whose flag ok (nil for another tx) it reads
// and sets.
func (c *Cache) verifySig(tx *Tx, ok *atomic.Bool) error {
	if len(tx.PubKey) != ed25519.PublicKeySize {
		return fmt.Errorf("public key is %d bytes, want %d", len(tx.PubKey), ed25519.PublicKeySize)
	}
	if len(tx.Sig) != ed25519.SignatureSize {
		return fmt.Errorf("signature is %d bytes, want %d", len(tx.Sig), ed25519.SignatureSize)
	}
	if ok != nil && ok.Load() {
		return nil
	}
	msg, err := SignBytes(tx)
	if err != nil {
		return err
	}
	if !c.verifyEd25519(tx.PubKey, msg, tx.Sig) {
		return errors.New("signature does not verify against the public key")
	}
	if ok != nil {
		ok.Store(true)
	}
	return nil
}

// Preverify verifies the signatures of the txs raw that decode, on every core, and records
// those that verify, for the ledger's signature check to find (sigcache.go). Whatever fails is
// left for the ledger to refuse, with its own code and message.
func (c *Cache) Preverify(raw ...[]byte) {
	if c == nil {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), len(raw))
	if workers <= 1 {
		for _, tx := range raw {
			c.preverify(tx)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan []byte, len(raw))
	for _, tx := range raw {
		next <- tx
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tx := range next {
				c.preverify(tx)
			}
		}()
	}
	wg.Wait()
}

// preverify verifies the signature of the tx raw, if it decodes, and records it.
func (c *Cache) preverify(raw []byte) {
	tx, ok, err := c.decodeTx(raw)
	if err != nil || len(tx.PubKey) != voi.PublicKeySize || len(tx.Sig) != voi.SignatureSize || ok.Load() {
		return
	}
	msg, err := SignBytes(tx)
	if err != nil {
		return
	}
	k := sigKey(tx.PubKey, msg, tx.Sig)
	if c.sigs.has(k) {
		ok.Store(true)
		return
	}
	if voi.VerifyWithOptions(voi.PublicKey(tx.PubKey), msg, tx.Sig, voiStdLib) {
		c.sigs.add(k)
		ok.Store(true)
	}
}
