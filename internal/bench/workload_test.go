package bench

import (
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestLevelStore runs the Store checks on the workload's goleveldb store.
func TestLevelStore(t *testing.T) {
	db, err := leveldb.OpenFile(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rightstest.CheckStore(t, levelStore{db})
}
