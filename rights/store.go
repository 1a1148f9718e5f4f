package rights

import (
	"bytes"
	"errors"
	"fmt"
)

// Store is the key-value state the ledger reads and writes. Get returns nil (and no error) for an
// absent key. Iterate calls fn for every key starting with prefix, in ascending key order, until
// fn returns false; fn must not write to the store. Values passed to fn and returned by Get must
// not be modified, and the key and value passed to fn are valid only until fn returns (a store
// over goleveldb reuses their memory for the next key): fn copies what it keeps.
type Store interface {
	Get(key []byte) ([]byte, error)
	Set(key, value []byte) error
	Delete(key []byte) error
	Iterate(prefix []byte, fn func(key, value []byte) bool) error
}

// MemStore is an in-memory Store, for tests and tools.
type MemStore struct {
	m    map[string][]byte
	keys keySet
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}, keys: newKeySet()} }

func (s *MemStore) Get(key []byte) ([]byte, error) { return s.m[string(key)], nil }

func (s *MemStore) Set(key, value []byte) error {
	if value == nil {
		return fmt.Errorf("rights: set %q: nil value", key)
	}
	if _, ok := s.m[string(key)]; !ok {
		s.keys.add(string(key))
	}
	s.m[string(key)] = bytes.Clone(value)
	return nil
}

func (s *MemStore) Delete(key []byte) error {
	if _, ok := s.m[string(key)]; ok {
		delete(s.m, string(key))
		s.keys.remove(string(key))
	}
	return nil
}

func (s *MemStore) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	s.keys.scan(prefix, func(k string) bool { return fn([]byte(k), s.m[k]) })
	return nil
}

// Snapshot returns every key and value, for comparing states in tests.
func (s *MemStore) Snapshot() map[string][]byte {
	out := make(map[string][]byte, len(s.m))
	for k, v := range s.m {
		out[k] = bytes.Clone(v)
	}
	return out
}

// cacheStore stages writes over a parent; write applies them in key order (the IAVL root depends
// on insertion order, so the order must be deterministic), discard just drops them.
type cacheStore struct {
	parent Store
	writes map[string][]byte // nil value: deleted
	keys   keySet            // the keys of writes, sorted
	reads  map[string][]byte // with newReadCache: what Get found in parent (nil: absent)
}

func newCache(parent Store) *cacheStore {
	return &cacheStore{parent: parent, writes: map[string][]byte{}, keys: newKeySet()}
}

// newReadCache is a cacheStore that also remembers what it read from parent, absent keys
// included, for a parent that does not change under it (a block's view of the tree). The txs of
// a block read the same few objects again and again (a member's party, the computation it
// serves, the holds on each object they touch, which are mostly absent); each is read from the
// tree once per block.
func newReadCache(parent Store) *cacheStore {
	c := newCache(parent)
	c.reads = map[string][]byte{}
	return c
}

func (c *cacheStore) stage(key string, value []byte) {
	if _, ok := c.writes[key]; !ok {
		c.keys.add(key)
	}
	c.writes[key] = value
}

func (c *cacheStore) Get(key []byte) ([]byte, error) {
	if v, ok := c.writes[string(key)]; ok {
		return v, nil
	}
	if c.reads == nil {
		return c.parent.Get(key)
	}
	if v, ok := c.reads[string(key)]; ok {
		return v, nil
	}
	v, err := c.parent.Get(key)
	if err != nil {
		return nil, err
	}
	c.reads[string(key)] = v
	return v, nil
}

func (c *cacheStore) Set(key, value []byte) error {
	if value == nil {
		return fmt.Errorf("rights: set %q: nil value", key)
	}
	c.stage(string(key), bytes.Clone(value))
	return nil
}

// ownedSetter is a Store that can keep a value's bytes without copying them, for a caller that
// made them and will not touch them again.
type ownedSetter interface {
	setOwned(key, value []byte) error
}

func (c *cacheStore) setOwned(key, value []byte) error {
	if value == nil {
		return fmt.Errorf("rights: set %q: nil value", key)
	}
	c.stage(string(key), value)
	return nil
}

func (c *cacheStore) Delete(key []byte) error {
	c.stage(string(key), nil)
	return nil
}

// Iterate merges the parent's keys with the staged writes in one ordered pass, so a caller
// that stops early (the deadline index) reads only what it needs.
func (c *cacheStore) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	var staged []string
	c.keys.scan(prefix, func(k string) bool {
		staged = append(staged, k)
		return true
	})
	i, stopped := 0, false
	// flush yields the staged keys below limit (all of them if !bounded); false if fn stopped.
	flush := func(limit string, bounded bool) bool {
		for i < len(staged) && (!bounded || staged[i] < limit) {
			k := staged[i]
			i++
			if v := c.writes[k]; v != nil && !fn([]byte(k), v) {
				return false
			}
		}
		return true
	}
	err := c.parent.Iterate(prefix, func(k, v []byte) bool {
		ks := string(k)
		if !flush(ks, true) {
			stopped = true
			return false
		}
		if i < len(staged) && staged[i] == ks { // overwritten or deleted here
			i++
			if v = c.writes[ks]; v == nil {
				return true
			}
		}
		if !fn(k, v) {
			stopped = true
			return false
		}
		return true
	})
	if err != nil || stopped {
		return err
	}
	flush("", false)
	return nil
}

// write applies the staged writes to the parent in ascending key order.
func (c *cacheStore) write() error {
	var err error
	c.keys.all(func(k string) bool {
		if v := c.writes[k]; v == nil {
			err = c.parent.Delete([]byte(k))
		} else {
			err = c.parent.Set([]byte(k), v)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	c.writes = map[string][]byte{}
	c.keys = newKeySet()
	if c.reads != nil {
		c.reads = map[string][]byte{} // the parent has changed
	}
	return nil
}

// ErrReadOnly is returned by writes to a read-only Store (a query view, ReadOnly).
var ErrReadOnly = errors.New("rights: store is read-only")

// ReadOnly returns s with its writes refused (ErrReadOnly).
func ReadOnly(s Store) Store { return readOnly{s} }

// readOnly hides the writes of a Store.
type readOnly struct{ s Store }

func (r readOnly) Get(key []byte) ([]byte, error) { return r.s.Get(key) }
func (r readOnly) Set(key, value []byte) error    { return ErrReadOnly }
func (r readOnly) Delete(key []byte) error        { return ErrReadOnly }
func (r readOnly) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	return r.s.Iterate(prefix, fn)
}

// Batch stages writes over a parent Store that does not change under it (a block's view of the
// state) and applies them, in key order, with Write. It also remembers what it read from the
// parent, absent keys included (newReadCache): the txs of a block read the same few objects
// again and again, and each is read from the parent once per block.
type Batch struct{ *cacheStore }

// NewBatch returns an empty Batch over parent.
func NewBatch(parent Store) *Batch { return &Batch{newReadCache(parent)} }

// Writes are the writes a Batch applied (a nil value: a deletion), to lay over a view of the
// state before them.
type Writes struct {
	writes map[string][]byte
	keys   keySet
}

// Write applies the staged writes to the parent in ascending key order and returns them; the
// Batch is then empty, and forgets what it read (the parent has changed).
func (b *Batch) Write() (Writes, error) {
	w := Writes{writes: b.writes, keys: b.keys} // write replaces the maps, leaving these as they are
	if err := b.write(); err != nil {
		return Writes{}, err
	}
	return w, nil
}

// Over returns w laid over parent, as a read-only Store.
func (w Writes) Over(parent Store) Store {
	return readOnly{&cacheStore{parent: parent, writes: w.writes, keys: w.keys}}
}

// Reads is how many keys b remembers reading from its parent.
func (b *Batch) Reads() int { return len(b.reads) }

// KeepReads gives b what from read of its parent, except at the keys w wrote: for a b whose
// parent is from's parent with w applied, where every other key holds the same value. from must
// not be used afterwards.
func (b *Batch) KeepReads(from *Batch, w Writes) {
	reads := from.reads
	for k := range w.writes {
		delete(reads, k)
	}
	b.reads = reads
	from.reads = nil
}

// PrefixEnd returns the smallest key greater than every key starting with prefix, or nil when
// there is none (prefix is empty or all 0xff).
func PrefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
