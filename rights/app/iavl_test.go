package app

import (
	"testing"

	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestIAVLStore runs the Store checks on the tree's working version, alone and under a Batch.
func TestIAVLStore(t *testing.T) {
	newTree := func() *iavl.MutableTree { return iavl.NewMutableTree(idb.NewMemDB(), 100, false, iavl.NewNopLogger()) }
	for name, s := range map[string]rights.Store{
		"iavl":        iavlStore{newTree()},
		"batch(iavl)": rights.NewBatch(iavlStore{newTree()}),
	} {
		t.Run(name, func(t *testing.T) { rightstest.CheckStore(t, s) })
	}
}
