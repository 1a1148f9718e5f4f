package rights

import (
	"errors"
	"fmt"
	"math"
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

// Product returns the product id.
func (l *Ledger) Product(id string) (*Product, error) {
	return one[Product](l, key(prefixProduct, id), "product "+id)
}

// Hold returns the hold id.
func (l *Ledger) Hold(id string) (*Hold, error) {
	return one[Hold](l, key(prefixHold, id), "hold "+id)
}

// Proposal returns the regulator proposal id.
func (l *Ledger) Proposal(id string) (*Proposal, error) {
	return one[Proposal](l, key(prefixProposal, id), "proposal "+id)
}

// Products returns every product, in id order.
func (l *Ledger) Products() ([]Product, error) { return list[Product](l.Store, prefixProduct) }

// Holds returns every hold, in force or released, in id order.
func (l *Ledger) Holds() ([]Hold, error) { return list[Hold](l.Store, prefixHold) }

// Proposals returns every regulator proposal, in id order.
func (l *Ledger) Proposals() ([]Proposal, error) { return list[Proposal](l.Store, prefixProposal) }

// Regulators returns the current regulators.
func (l *Ledger) Regulators() ([]Address, error) {
	var regs []Address
	ok, err := load(l.Store, keyRegulators, &regs)
	if err != nil {
		return nil, err
	}
	if ok {
		return regs, nil
	}
	g, err := l.Genesis()
	if err != nil {
		return nil, err
	}
	return regulatorsOf(*g), nil
}

// DatasetsByHolder returns the datasets a currently holds, in id order.
func (l *Ledger) DatasetsByHolder(a Address) ([]Dataset, error) {
	return byIndex[Dataset](l, prefixDatasetByHolder, string(a), prefixDataset)
}

// DatasetsByStatus returns the datasets in status, in id order: only DatasetPending is indexed
// (the listings whose inputs the committee has to check); any other status lists none.
func (l *Ledger) DatasetsByStatus(status DatasetStatus) ([]Dataset, error) {
	return byIndex[Dataset](l, prefixDatasetByStatus, string(status), prefixDataset)
}

// GrantsByGrantee returns the grants a requested, in id order.
func (l *Ledger) GrantsByGrantee(a Address) ([]Grant, error) {
	return byIndex[Grant](l, prefixGrantByGrantee, string(a), prefixGrant)
}

// GrantsByDataset returns the grants over dataset id, in id order.
func (l *Ledger) GrantsByDataset(id string) ([]Grant, error) {
	return byIndex[Grant](l, prefixGrantByDataset, id, prefixGrant)
}

// ComputationsByGrant returns every use of grant id, in id order.
func (l *Ledger) ComputationsByGrant(id string) ([]Computation, error) {
	return byIndex[Computation](l, prefixCompByGrant, id, prefixComp)
}

// ProductsByHolder returns the products a currently holds, in id order.
func (l *Ledger) ProductsByHolder(a Address) ([]Product, error) {
	return byIndex[Product](l, prefixProductByHolder, string(a), prefixProduct)
}

// HoldsOn returns the holds in force that freeze an object: for a product, those on it and on
// its source datasets. An empty list means the object is not frozen.
func (l *Ledger) HoldsOn(kind HoldKind, id string) ([]Hold, error) {
	if !knownHoldKind(kind) {
		return nil, refuse(CodeBadHold, "hold kind %q is unknown (want party, dataset, grant or product)", kind)
	}
	if kind == HoldProduct {
		p, err := l.Product(id)
		if err != nil {
			return nil, err
		}
		holds, err := productHolds(l.Store, p)
		if holds == nil {
			holds = []Hold{}
		}
		return holds, err
	}
	h, err := holdOn(l.Store, kind, id)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return []Hold{}, nil
	}
	return []Hold{*h}, nil
}

// ComputationsUnderWay returns the computations pending or switching, in deadline order, from
// the deadline index.
func (l *Ledger) ComputationsUnderWay() ([]Computation, error) {
	entries, err := dueEntries(l.Store, prefixDeadline, math.MaxInt64, "deadline")
	if err != nil {
		return nil, err
	}
	out := []Computation{}
	for _, e := range entries {
		var c Computation
		ok, err := load(l.Store, key(prefixComp, e.id), &c)
		if err == nil && !ok {
			err = errors.New("no such computation")
		}
		if err != nil {
			return nil, fmt.Errorf("rights: deadline index names computation %s: %w", e.id, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// byIndex loads the objects an index lists under owner.
func byIndex[T any](l *Ledger, index []byte, owner string, objects []byte) ([]T, error) {
	ids, err := indexed(l.Store, index, owner)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		var t T
		ok, err := load(l.Store, key(objects, id), &t)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("rights: index %s%s/ names missing %s%s", index, owner, objects, id)
		}
		out = append(out, t)
	}
	return out, nil
}

// Admission returns the admission of a, waiting for its RegisterParty.
func (l *Ledger) Admission(a Address) (*Admission, error) {
	return one[Admission](l, key(prefixAdmission, string(a)), "admission "+string(a))
}

// Admissions returns every admission waiting for its party's registration, in address order.
func (l *Ledger) Admissions() ([]Admission, error) { return list[Admission](l.Store, prefixAdmission) }
