package rights

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned for an id or address the chain does not know.
var ErrNotFound = errors.New("rights: not found")

// Reads of the ledger state, as the queries serve them. Each returns ErrNotFound (wrapped) for an
// unknown id.

func one[T any](l *Ledger, k []byte, what string) (*T, error) {
	var t T
	ok, err := load(l.Store, k, &t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return &t, nil
}

// Party returns the registered party at a.
func (l *Ledger) Party(a Address) (*Party, error) {
	return one[Party](l, key(prefixParty, string(a)), "party "+string(a))
}

// Dataset returns the dataset id.
func (l *Ledger) Dataset(id string) (*Dataset, error) {
	return one[Dataset](l, key(prefixDataset, id), "dataset "+id)
}

// Grant returns the grant id.
func (l *Ledger) Grant(id string) (*Grant, error) {
	return one[Grant](l, key(prefixGrant, id), "grant "+id)
}

// Computation returns the computation id.
func (l *Ledger) Computation(id string) (*Computation, error) {
	return one[Computation](l, key(prefixComp, id), "computation "+id)
}

// Committee returns the committee and the state of its key ceremony.
func (l *Ledger) Committee() (*Committee, error) {
	return one[Committee](l, keyCommittee, "committee")
}

// Genesis returns the genesis the chain started from.
func (l *Ledger) Genesis() (*Genesis, error) {
	return one[Genesis](l, keyGenesis, "genesis")
}

// Params returns the chain's parameters.
func (l *Ledger) Params() (*Params, error) {
	return one[Params](l, keyParams, "params")
}

// Parties returns every registered party, in address order.
func (l *Ledger) Parties() ([]Party, error) { return list[Party](l.Store, prefixParty) }

// Datasets returns every dataset, in id order.
func (l *Ledger) Datasets() ([]Dataset, error) { return list[Dataset](l.Store, prefixDataset) }

// Grants returns every grant, in id order.
func (l *Ledger) Grants() ([]Grant, error) { return list[Grant](l.Store, prefixGrant) }

// Computations returns every computation, in id order.
func (l *Ledger) Computations() ([]Computation, error) { return list[Computation](l.Store, prefixComp) }

// Payments returns every payment, in Seq order.
func (l *Ledger) Payments() ([]Payment, error) { return list[Payment](l.Store, prefixPayment) }

func list[T any](s Store, prefix []byte) ([]T, error) {
	out := []T{}
	var derr error
	err := s.Iterate(prefix, func(k, v []byte) bool {
		var t T
		if err := decode(v, &t); err != nil {
			derr = fmt.Errorf("rights: corrupt state at %q: %w", k, err)
			return false
		}
		out = append(out, t)
		return true
	})
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	return out, nil
}
