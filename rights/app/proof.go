package app

import (
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/cosmos/iavl"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/dxplabs/dxp/rights"
)

// prove answers a query for a single object with Prove set: the bytes stored under its key k in
// the state after block height, and an ICS23 proof of them against that state's IAVL root, which
// CometBFT puts in the header of block height+1 as its AppHash. An absent key gets a proof of
// absence and CodeNotFound. k and qerr are what route returned for the path.
//
// The value is the stored bytes, not route's re-encoding of the object: the proof commits to the
// stored bytes, and an object stored before a field was added re-encodes differently.
func (app *App) prove(path string, height int64, k []byte, qerr error) *abci.ResponseQuery {
	var te *rights.TxError
	switch {
	case k == nil && errors.As(qerr, &te):
		return &abci.ResponseQuery{Code: te.Code, Log: te.Log, Height: height}
	case k == nil:
		return &abci.ResponseQuery{Code: rights.CodeUnknownQuery, Height: height,
			Log: fmt.Sprintf("query %s is a list; proofs are served for single objects only", path)}
	case qerr != nil && !errors.Is(qerr, rights.ErrNotFound):
		code := rights.CodeInternal
		if errors.As(qerr, &te) {
			code = te.Code
		}
		return &abci.ResponseQuery{Code: code, Log: qerr.Error(), Height: height}
	case height < 1:
		return &abci.ResponseQuery{Code: rights.CodeBadHeight, Height: height,
			Log: "no block is committed yet, so there is no AppHash to prove against"}
	}
	imm, err := app.tree.GetImmutable(height)
	if err != nil {
		return &abci.ResponseQuery{Code: rights.CodeBadHeight, Height: height, Log: fmt.Sprintf("no state at height %d: %v", height, err)}
	}
	value, proof, err := proveKey(imm, k)
	if err != nil {
		app.logger.Error("prove failed", "path", path, "height", height, "err", err)
		return &abci.ResponseQuery{Code: rights.CodeInternal, Height: height, Log: fmt.Sprintf("prove %s at height %d: %v", path, height, err)}
	}
	res := &abci.ResponseQuery{Code: rights.CodeOK, Key: k, Value: value, Height: height, ProofOps: proof}
	if value == nil {
		res.Code = rights.CodeNotFound
		res.Log = fmt.Sprintf("%s: %s does not exist at height %d (the proof shows its absence)", rights.ErrNotFound, path, height)
	}
	return res
}

// proveKey returns the value stored under k in imm (nil if absent) and an ICS23 proof of it: of
// membership when present, of non-membership when absent.
func proveKey(imm *iavl.ImmutableTree, k []byte) ([]byte, *cmtcrypto.ProofOps, error) {
	value, err := imm.Get(k)
	if err != nil {
		return nil, nil, err
	}
	var cp *ics23.CommitmentProof
	if value != nil {
		cp, err = imm.GetMembershipProof(k)
	} else {
		cp, err = imm.GetNonMembershipProof(k)
	}
	if err != nil {
		return nil, nil, err
	}
	b, err := cp.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return value, &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: rights.ProofOpIAVL, Key: k, Data: b}}}, nil
}
