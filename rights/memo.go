package rights

import (
	"fmt"
	"reflect"
	"sync"
)

// Decoding a stored object costs more than anything else a tx does to state: a dataset carries
// a digest per ciphertext and a proof per chunk, and a busy chain reads the same few datasets,
// the committee and the genesis in nearly every tx while they rarely change; CheckTx reads the
// genesis and the sender's party again for every tx it admits. loadMemo
// keeps recently decoded values by their encoded bytes, so the memo is a pure function of the
// bytes: it is right for every store (check state, deliver state, a query view) and never changes
// a result, only spares the decoding.

// decodeMemo maps a type and encoded bytes to the value they decode to. It is keyed by type
// first so that a lookup converts the bytes to a map key without copying them.
type decodeMemo struct {
	mu sync.Mutex
	m  map[reflect.Type]map[string]any
	n  int
}

// memoMax bounds the memo; when it is full it starts again, which costs only decoding.
const memoMax = 8192

var memo = &decodeMemo{m: map[reflect.Type]map[string]any{}}

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

// loadMemo reads key k as a T, false if absent. It returns a shallow copy of the memoized value:
// the caller may set its fields and save it, but its slices are shared with the memo, so a
// caller must never change an element of one in place, and appends to a clipped copy
// (slices.Clip) so that the append cannot write into the shared array.
func loadMemo[T any](s Store, k []byte) (*T, bool, error) {
	raw, err := s.Get(k)
	if err != nil || raw == nil {
		return nil, false, err
	}
	t := reflect.TypeFor[T]()
	if v, ok := memo.get(t, raw); ok {
		cp := *v.(*T)
		return &cp, true, nil
	}
	v := new(T)
	if err := decode(raw, v); err != nil {
		return nil, false, fmt.Errorf("rights: corrupt state at %q: %w", k, err)
	}
	memo.put(t, raw, v)
	cp := *v
	return &cp, true, nil
}
