package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/app"
)

// The ledger bench's two reference apps, run on the same node settings as DXP's App
// (rights/app).

// storeOnlyApp accepts every tx without looking at it and keeps a count; CometBFT's block store
// keeps the txs. Its throughput is CometBFT's ceiling on this machine.
type storeOnlyApp struct {
	abci.BaseApplication

	mu     sync.Mutex
	height int64
	count  uint64
	hash   []byte
}

func newStoreOnlyApp(string) (abci.Application, func() error, error) {
	return &storeOnlyApp{}, func() error { return nil }, nil
}

func (a *storeOnlyApp) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abci.ResponseInfo{LastBlockHeight: a.height, LastBlockAppHash: a.hash}, nil
}

func (a *storeOnlyApp) CheckTx(context.Context, *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	return &abci.ResponseCheckTx{Code: rights.CodeOK, GasWanted: 1}, nil
}

func (a *storeOnlyApp) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i := range results {
		results[i] = &abci.ExecTxResult{Code: rights.CodeOK}
	}
	a.count += uint64(len(req.Txs))
	a.height = req.Height
	h := sha256.Sum256(binary.BigEndian.AppendUint64(a.hash, a.count))
	a.hash = h[:]
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: a.hash}, nil
}

// verifyStoreApp does only the work no ledger can avoid per tx: decode it, verify its signature
// once (in CheckTx, before its lock, as the App does), and write it to an IAVL tree, whose root
// is the AppHash.
type verifyStoreApp struct {
	abci.BaseApplication

	mu    sync.Mutex
	db    idb.DB
	tree  *iavl.MutableTree
	cache *rights.Cache
}

func newVerifyStoreApp(dir string) (abci.Application, func() error, error) {
	db, err := idb.NewGoLevelDBWithOpts("appstate", dir, app.LevelDBOptions())
	if err != nil {
		return nil, nil, err
	}
	tree := iavl.NewMutableTree(db, app.IAVLCacheSize, false, iavl.NewNopLogger())
	if _, err := tree.Load(); err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	a := &verifyStoreApp{db: db, tree: tree, cache: rights.NewCache()}
	return a, func() error { return errors.Join(a.tree.Close(), a.db.Close()) }, nil
}

func (a *verifyStoreApp) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &abci.ResponseInfo{}
	if v := a.tree.Version(); v > 0 {
		res.LastBlockHeight, res.LastBlockAppHash = v, a.tree.Hash()
	}
	return res, nil
}

func (a *verifyStoreApp) InitChain(context.Context, *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	return &abci.ResponseInitChain{AppHash: a.tree.WorkingHash()}, nil
}

// check decodes raw and checks its signature, which CheckTx has usually verified already.
func (a *verifyStoreApp) check(raw []byte) (*rights.Tx, error) {
	tx, err := rights.DecodeTx(raw)
	if err != nil {
		return nil, err
	}
	if err := a.cache.VerifySig(tx); err != nil {
		return nil, err
	}
	return tx, nil
}

func (a *verifyStoreApp) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if req.Type == abci.CheckTxType_New {
		a.cache.Preverify(req.Tx)
	}
	if _, err := a.check(req.Tx); err != nil {
		return &abci.ResponseCheckTx{Code: rights.CodeSignature, Log: err.Error()}, nil
	}
	return &abci.ResponseCheckTx{Code: rights.CodeOK, GasWanted: 1}, nil
}

func (a *verifyStoreApp) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	a.cache.Preverify(req.Txs...)
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

func (a *verifyStoreApp) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		tx, err := a.check(raw)
		if err != nil {
			results[i] = &abci.ExecTxResult{Code: rights.CodeSignature, Log: err.Error()}
			continue
		}
		k := binary.BigEndian.AppendUint64([]byte("tx/"+string(tx.Sender())+"/"), tx.Nonce)
		if _, err := a.tree.Set(k, raw); err != nil {
			return nil, fmt.Errorf("verify-store app: %w", err)
		}
		results[i] = &abci.ExecTxResult{Code: rights.CodeOK}
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: a.tree.WorkingHash()}, nil
}

func (a *verifyStoreApp) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, _, err := a.tree.SaveVersion(); err != nil {
		return nil, fmt.Errorf("verify-store app: %w", err)
	}
	return &abci.ResponseCommit{}, nil
}
