package rights

import (
	"bytes"
	"errors"
	"testing"
)

// TestObjectKindKeys checks that every kind read one at a time is proven under the key the query
// route serves it from, and that every list and filter of the table is served.
func TestObjectKindKeys(t *testing.T) {
	h := newHarness(t)
	l := &Ledger{Store: h.store}
	for _, k := range objectKinds {
		if k.get != nil {
			_, got, err := l.Query(k.Path("x-1"))
			if err != nil && !errors.Is(err, ErrNotFound) {
				t.Errorf("Query(%s) = %v", k.Path("x-1"), err)
			}
			if want := k.Key("x-1"); !bytes.Equal(got, want) {
				t.Errorf("kind %s: Query serves key %q, the proof would be for %q", k.Name, got, want)
			}
		}
		if k.list != nil {
			if b, got, err := l.Query(k.ListPath()); err != nil || len(b) == 0 || !bytes.Equal(got, k.listKey) {
				t.Errorf("Query(%s) = %d bytes, key %q, %v; want key %q", k.ListPath(), len(b), got, err, k.listKey)
			}
		}
		for by := range k.by {
			p, ok := k.ByPath(by, "x-1")
			if b, _, err := l.Query(p); !ok || err != nil || len(b) == 0 {
				t.Errorf("Query(%s) = %d bytes, %v", p, len(b), err)
			}
		}
	}
	if len(ObjectKinds()) != 12 {
		t.Errorf("dxp query offers %d kinds, want the 11 it always offered and admission", len(ObjectKinds()))
	}
}
