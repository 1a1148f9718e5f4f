package rights

import "github.com/google/btree"

// keySet is a sorted set of keys: the stores keep one beside their maps so that a prefix scan
// costs O(log n + k), not a pass over every key. The ledger scans its indexes (holds on an
// object, a grant's pending computations, deadlines) in every tx, while a block's staged
// writes number in the thousands.
type keySet struct {
	t *btree.BTreeG[string]
}

func newKeySet() keySet {
	return keySet{btree.NewG(32, func(a, b string) bool { return a < b })}
}

func (s keySet) add(k string)    { s.t.ReplaceOrInsert(k) }
func (s keySet) remove(k string) { s.t.Delete(k) }
func (s keySet) len() int        { return s.t.Len() }

// scan calls fn for every key starting with prefix, in ascending order, until fn returns false.
// fn must not change the set.
func (s keySet) scan(prefix []byte, fn func(k string) bool) {
	if end := PrefixEnd(prefix); end != nil {
		s.t.AscendRange(string(prefix), string(end), fn)
	} else {
		s.t.AscendGreaterOrEqual(string(prefix), fn)
	}
}

// all calls fn for every key in ascending order until fn returns false.
func (s keySet) all(fn func(k string) bool) { s.t.Ascend(fn) }
