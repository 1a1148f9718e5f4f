package rights

import (
	"fmt"
	"slices"
	"testing"
)

func collect(t *testing.T, s Store, prefix string, limit int) []string {
	t.Helper()
	var out []string
	if err := s.Iterate([]byte(prefix), func(k, v []byte) bool {
		out = append(out, string(k)+"="+string(v))
		return len(out) < limit
	}); err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	return out
}

// TestStores runs the same writes on every Store and expects the same reads, in order.
func TestStores(t *testing.T) {
	// The stores outside the core run the same checks (rightstest.CheckStore).
	stores := map[string]Store{
		"mem":        NewMemStore(),
		"cache(mem)": newCache(NewMemStore()),
		"batch(mem)": NewBatch(NewMemStore()),
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"a/1", "a/3", "a/5", "b/1", "a/"} {
				if err := s.Set([]byte(k), []byte("v"+k)); err != nil {
					t.Fatal(err)
				}
			}
			if got := collect(t, s, "a/", 100); !slices.Equal(got, []string{"a/=va/", "a/1=va/1", "a/3=va/3", "a/5=va/5"}) {
				t.Errorf("Iterate(a/) = %v", got)
			}
			if v, err := s.Get([]byte("zz")); err != nil || v != nil {
				t.Errorf("Get(absent) = %q, %v", v, err)
			}
			if err := s.Set([]byte("k"), nil); err == nil {
				t.Errorf("Set(nil value) accepted")
			}
		})
	}

	// A cache over a parent: overwrites, deletes and new keys merge in order, early stop works,
	// and nothing reaches the parent until write.
	parent := NewMemStore()
	for i := 0; i < 6; i++ {
		if err := parent.Set([]byte(fmt.Sprintf("p/%d", i)), []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	c := newCache(parent)
	for _, err := range []error{
		c.Set([]byte("p/0"), []byte("new")),
		c.Delete([]byte("p/2")),
		c.Set([]byte("p/25"), []byte("add")),
		c.Set([]byte("p/9"), []byte("add")),
		c.Delete([]byte("p/absent")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"p/0=new", "p/1=old", "p/25=add", "p/3=old", "p/4=old", "p/5=old", "p/9=add"}
	if got := collect(t, c, "p/", 100); !slices.Equal(got, want) {
		t.Errorf("cache Iterate = %v, want %v", got, want)
	}
	if got := collect(t, c, "p/", 3); !slices.Equal(got, want[:3]) {
		t.Errorf("cache Iterate stopping at 3 = %v", got)
	}
	if got := collect(t, parent, "p/", 100); len(got) != 6 || got[0] != "p/0=old" {
		t.Errorf("parent changed before write: %v", got)
	}
	if err := c.write(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, parent, "p/", 100); !slices.Equal(got, want) {
		t.Errorf("parent after write = %v, want %v", got, want)
	}
	if end := PrefixEnd([]byte{'a', 0xff}); string(end) != "b" {
		t.Errorf("PrefixEnd(a\\xff) = %q, want b", end)
	}
	if end := PrefixEnd([]byte{0xff}); end != nil {
		t.Errorf("PrefixEnd(\\xff) = %q, want nil", end)
	}
}
