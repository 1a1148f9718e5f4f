package rights

import (
	"fmt"
	"reflect"
	"sync"
)

// Decoding a stored object costs more than anything else a tx does to state: a dataset carries
// a digest per ciphertext and a proof per chunk, and a busy chain reads the same few datasets,
// the committee and the genesis in nearly every tx while they rarely change. And every tx is run
// twice on this node, by CheckTx and by FinalizeBlock, each time reading the same bytes. loadMemo
// keeps recently decoded values by their encoded bytes, so the memo is a pure function of the
// bytes: it is right for every store (check state, deliver state, a query view) and never changes
// a result, only spares the decoding.

// decodeMemo maps (type, encoded bytes) to the value they decode to.
type decodeMemo struct {
	mu sync.Mutex
	m  map[memoKey]any
}

type memoKey struct {
	t   reflect.Type
	raw string
}

// memoMax bounds the memo; when it is full it starts again, which costs only decoding.
const memoMax = 8192

var memo = &decodeMemo{m: map[memoKey]any{}}

func (d *decodeMemo) get(k memoKey) (any, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[k]
	return v, ok
}

func (d *decodeMemo) put(k memoKey, v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= memoMax {
		d.m = map[memoKey]any{}
	}
	d.m[k] = v
}

// loadMemo reads key k as a T, false if absent. It returns a shallow copy of the memoized value:
// the caller may set its fields and save it, but its slices are shared with the memo, so a
// caller must never change an element of one in place, and appends to a clipped copy
// (slices.Clip) so that the append cannot write into the shared array.
func loadMemo[T any](s Store, k []byte) (*T, bool, error) {
	raw, err := s.Get(k)
	if err != nil || raw == nil {
		return nil, false, err
	}
	mk := memoKey{reflect.TypeFor[T](), string(raw)}
	if v, ok := memo.get(mk); ok {
		cp := *v.(*T)
		return &cp, true, nil
	}
	v := new(T)
	if err := decode(raw, v); err != nil {
		return nil, false, fmt.Errorf("rights: corrupt state at %q: %w", k, err)
	}
	memo.put(mk, v)
	cp := *v
	return &cp, true, nil
}
