package app

import (
	"fmt"

	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/iavl"

	"github.com/dxplabs/dxp/rights"
)

// iavlStore is the production Store: the working (unsaved) version of an IAVL tree.
type iavlStore struct {
	tree *iavl.MutableTree
}

func (s iavlStore) Get(key []byte) ([]byte, error) {
	v, err := s.tree.Get(key)
	if err != nil {
		return nil, fmt.Errorf("rights: iavl get: %w", err)
	}
	return v, nil
}

func (s iavlStore) Set(key, value []byte) error {
	if _, err := s.tree.Set(key, value); err != nil {
		return fmt.Errorf("rights: iavl set: %w", err)
	}
	return nil
}

func (s iavlStore) Delete(key []byte) error {
	if _, _, err := s.tree.Remove(key); err != nil {
		return fmt.Errorf("rights: iavl remove: %w", err)
	}
	return nil
}

// Iterate walks the working tree's nodes. MutableTree.Iterator would merge the saved fast nodes
// with every unsaved write of the block, gathering and sorting all of those on each call, which
// made a block's cost grow with the square of its txs.
func (s iavlStore) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	if s.tree.IsEmpty() {
		return nil
	}
	return drain(iavl.NewIterator(prefix, rights.PrefixEnd(prefix), true, s.tree.ImmutableTree), fn)
}

// iavlView is a read-only Store over one saved version of the tree, for queries and CheckTx.
type iavlView struct {
	tree *iavl.ImmutableTree
}

func (v iavlView) Get(key []byte) ([]byte, error) {
	b, err := v.tree.Get(key)
	if err != nil {
		return nil, fmt.Errorf("rights: iavl get: %w", err)
	}
	return b, nil
}

func (v iavlView) Set(key, value []byte) error { return rights.ErrReadOnly }
func (v iavlView) Delete(key []byte) error     { return rights.ErrReadOnly }

func (v iavlView) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	if v.tree.Size() == 0 {
		return nil
	}
	it, err := v.tree.Iterator(prefix, rights.PrefixEnd(prefix), true)
	if err != nil {
		return fmt.Errorf("rights: iavl iterate: %w", err)
	}
	return drain(it, fn)
}

// afterSave is a read-only view of a saved version that waits, before each read, until saved is
// closed: IAVL cannot read one version while it writes the next (App).
type afterSave struct {
	saved <-chan struct{}
	view  rights.Store
}

func (a afterSave) Get(key []byte) ([]byte, error) {
	<-a.saved
	return a.view.Get(key)
}
func (a afterSave) Set(key, value []byte) error { return rights.ErrReadOnly }
func (a afterSave) Delete(key []byte) error     { return rights.ErrReadOnly }
func (a afterSave) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	<-a.saved
	return a.view.Iterate(prefix, fn)
}

func drain(it corestore.Iterator, fn func(key, value []byte) bool) (err error) {
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("rights: iavl iterator close: %w", cerr)
		}
	}()
	for ; it.Valid(); it.Next() {
		if !fn(it.Key(), it.Value()) {
			return nil
		}
	}
	if ierr := it.Error(); ierr != nil {
		return fmt.Errorf("rights: iavl iterate: %w", ierr)
	}
	return nil
}
