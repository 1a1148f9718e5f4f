package rights

import (
	"reflect"
	"testing"
)

// checkMemo fails if a memoized value no longer equals what its bytes decode to: some caller
// changed a shared slice in place (see loadMemo).
func checkMemo(t *testing.T, c *Cache) {
	t.Helper()
	c.memo.mu.Lock()
	defer c.memo.mu.Unlock()
	for typ, byRaw := range c.memo.m {
		for raw, v := range byRaw {
			fresh := reflect.New(typ)
			if err := decode([]byte(raw), fresh.Interface()); err != nil {
				t.Fatalf("memoized %v bytes no longer decode: %v", typ, err)
			}
			if !reflect.DeepEqual(fresh.Interface(), v) {
				t.Fatalf("a memoized %v was changed in place:\n got  %+v\n want %+v", typ, v, fresh.Interface())
			}
		}
	}
}

func TestMemoReturnsCopies(t *testing.T) {
	s, c := NewMemStore(), NewCache()
	k := []byte("computation/c1")
	if err := save(s, k, &Computation{ID: "c1", Outputs: []Post{{Member: "a"}}}); err != nil {
		t.Fatal(err)
	}
	a, _, err := loadMemo[Computation](c, s, k)
	if err != nil {
		t.Fatal(err)
	}
	a.Status = ComputationCompleted
	a.Outputs = append(a.Outputs[:len(a.Outputs):len(a.Outputs)], Post{Member: "b"})
	b, ok, err := loadMemo[Computation](c, s, k)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if b.Status == ComputationCompleted || len(b.Outputs) != 1 {
		t.Errorf("a change to one loaded copy showed in the next: %+v", b)
	}
	checkMemo(t, c)
	if v, ok, err := loadMemo[Computation](c, s, []byte("computation/none")); v != nil || ok || err != nil {
		t.Errorf("loadMemo(absent) = %v, %v, %v; want nil, false, nil", v, ok, err)
	}
}
