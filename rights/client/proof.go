package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	cmttypes "github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/dxplabs/dxp/rights"
)

// ErrProof is wrapped by every error of a proven read whose answer, proof, header or commit does
// not check out; the message names what failed.
var ErrProof = errors.New("rights: proof does not verify")

// Proven is a value read from the chain with its proof checked: the ICS23 proof ties Value (or,
// when Value is nil, the key's absence) to AppHash, which is in the header of block Height+1,
// whose commit Signers of the Validators signed.
type Proven struct {
	Key        []byte
	Value      []byte // the stored bytes; nil when the proof shows the key is absent
	Height     int64  // the state after this block
	AppHash    []byte // from the header of block Height+1
	BlockHash  []byte // of block Height+1
	Signers    int    // validators whose signature of block Height+1 verified
	Validators int    // size of the validator set of block Height+1
	// Pinned is true when the validator set was checked against ProofCheck.Validators rather than
	// taken from the node.
	Pinned bool
}

// ProofCheck says what a proven read trusts. The zero value trusts the chain id and validator set
// that the node reports, and checks everything else.
type ProofCheck struct {
	// ChainID, if set, is the chain the header must belong to.
	ChainID string
	// Validators, if set, is the validator set that must have signed the header (DXP never
	// changes its validators, so the genesis validators will do).
	Validators *cmttypes.ValidatorSet
	// Wait bounds how long to wait for block Height+1 to be committed; zero means 30 s.
	Wait time.Duration
}

// QueryProven reads the object at path in the state after block height (0: the last committed
// block) with a proof, and checks it: the answer is for key; the proof of the value (or of the
// key's absence) leads to the AppHash in the header of block height+1; that header's commit is
// signed by more than two thirds of the voting power of its validator set. It fails with an error
// wrapping ErrProof naming what did not check out.
func (c *Client) QueryProven(ctx context.Context, path string, key []byte, height int64, check ProofCheck) (*Proven, error) {
	fail := func(err error) (*Proven, error) { return nil, fmt.Errorf("rights: proven query %s: %w", path, err) }
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, nil, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
	if err != nil {
		return fail(err)
	}
	r := res.Response
	if r.Code != rights.CodeOK && r.Code != rights.CodeNotFound {
		return fail(&rights.TxError{Code: r.Code, Log: r.Log})
	}
	if r.Height < 1 {
		return fail(fmt.Errorf("%w: the answer names height %d", ErrProof, r.Height))
	}
	chainID := check.ChainID
	if chainID == "" {
		if chainID, err = c.chain(ctx); err != nil {
			return fail(err)
		}
	}
	h1 := r.Height + 1
	if err := c.waitHeight(ctx, h1, check.Wait); err != nil {
		return fail(err)
	}
	com, err := c.rpc.Commit(ctx, &h1)
	if err != nil {
		return fail(fmt.Errorf("signed header of block %d: %w", h1, err))
	}
	vals, err := c.validators(ctx, h1)
	if err != nil {
		return fail(fmt.Errorf("validators of block %d: %w", h1, err))
	}
	p, err := verifyProven(&r, key, &com.SignedHeader, vals, chainID, check.Validators)
	if err != nil {
		return fail(err)
	}
	return p, nil
}

// waitHeight waits until block h is committed, or at most wait (30 s if zero).
func (c *Client) waitHeight(ctx context.Context, h int64, wait time.Duration) error {
	if wait <= 0 {
		wait = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		cur, err := c.Height(ctx)
		if err == nil && cur >= h {
			return nil
		}
		if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "connection refused") {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("block %d, which carries the AppHash of the state asked for, was not committed in time: %w", h, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// validators returns the whole validator set of block h, page by page.
func (c *Client) validators(ctx context.Context, h int64) (*cmttypes.ValidatorSet, error) {
	var all []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := c.rpc.Validators(ctx, &h, &page, &perPage)
		if err != nil {
			return nil, err
		}
		all = append(all, res.Validators...)
		if len(all) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	if len(all) == 0 {
		return nil, errors.New("the node reports no validators")
	}
	return cmttypes.ValidatorSetFromExistingValidators(all)
}

// verifyProven checks a proven query answer r for key against the signed header sh of the block
// after the answer's height, signed by vals (which, if trusted is set, must be trusted).
func verifyProven(r *abci.ResponseQuery, key []byte, sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet, chainID string, trusted *cmttypes.ValidatorSet) (*Proven, error) {
	h1 := r.Height + 1
	if !bytes.Equal(r.Key, key) {
		return nil, fmt.Errorf("%w: the answer is for key %q, not %q", ErrProof, r.Key, key)
	}
	if r.ProofOps == nil || len(r.ProofOps.Ops) != 1 || r.ProofOps.Ops[0].Type != rights.ProofOpIAVL {
		return nil, fmt.Errorf("%w: the answer carries no single %s proof", ErrProof, rights.ProofOpIAVL)
	}
	op := r.ProofOps.Ops[0]
	if !bytes.Equal(op.Key, key) {
		return nil, fmt.Errorf("%w: the proof is for key %q, not %q", ErrProof, op.Key, key)
	}
	var cp ics23.CommitmentProof
	if err := cp.Unmarshal(op.Data); err != nil {
		return nil, fmt.Errorf("%w: the proof does not decode: %v", ErrProof, err)
	}

	if sh == nil || sh.Header == nil || sh.Commit == nil {
		return nil, fmt.Errorf("%w: the node returned no signed header for block %d", ErrProof, h1)
	}
	if sh.Height != h1 {
		return nil, fmt.Errorf("%w: the node returned the header of block %d, not %d", ErrProof, sh.Height, h1)
	}
	if err := sh.ValidateBasic(chainID); err != nil {
		return nil, fmt.Errorf("%w: the signed header of block %d is malformed: %v", ErrProof, h1, err)
	}
	if !bytes.Equal(vals.Hash(), sh.ValidatorsHash) {
		return nil, fmt.Errorf("%w: the validator set the node reports for block %d is not the one its header names", ErrProof, h1)
	}
	pinned := trusted != nil
	if pinned && !bytes.Equal(trusted.Hash(), sh.ValidatorsHash) {
		return nil, fmt.Errorf("%w: block %d is signed by a validator set other than the trusted one", ErrProof, h1)
	}
	if err := vals.VerifyCommitLightAllSignatures(chainID, sh.Commit.BlockID, h1, sh.Commit); err != nil {
		return nil, fmt.Errorf("%w: the commit of block %d does not verify against its validators: %v", ErrProof, h1, err)
	}
	signers := 0
	for _, s := range sh.Commit.Signatures {
		if s.BlockIDFlag == cmttypes.BlockIDFlagCommit {
			signers++
		}
	}

	root := []byte(sh.AppHash)
	if r.Code == rights.CodeOK {
		if r.Value == nil {
			return nil, fmt.Errorf("%w: the answer says the key exists but carries no value", ErrProof)
		}
		if cp.GetExist() == nil || !ics23.VerifyMembership(ics23.IavlSpec, root, &cp, key, r.Value) {
			return nil, fmt.Errorf("%w: the value of %q and its proof do not lead to AppHash %X of block %d", ErrProof, key, root, h1)
		}
	} else {
		if r.Value != nil {
			return nil, fmt.Errorf("%w: the answer says the key is absent but carries a value", ErrProof)
		}
		if cp.GetNonexist() == nil || !ics23.VerifyNonMembership(ics23.IavlSpec, root, &cp, key) {
			return nil, fmt.Errorf("%w: the proof that %q is absent does not lead to AppHash %X of block %d", ErrProof, key, root, h1)
		}
	}
	return &Proven{Key: bytes.Clone(key), Value: r.Value, Height: r.Height, AppHash: root, BlockHash: sh.Commit.BlockID.Hash,
		Signers: signers, Validators: vals.Size(), Pinned: pinned}, nil
}

// ObjectRead is one object read from the chain, proven or not.
type ObjectRead struct {
	Kind   string
	ID     string
	Found  bool
	Height int64
	Value  any     // a pointer to the decoded object; nil when not found
	Proof  *Proven // set by a proven read
}

// Object reads the object id of kind at height (0: the last committed block). With prove it
// checks the answer with QueryProven; an absent object is then Found false with a proof of its
// absence, and a nil error. Without prove an absent object is ErrNotFound.
func (c *Client) Object(ctx context.Context, kind, id string, height int64, prove bool, check ProofCheck) (*ObjectRead, error) {
	k, ok := rights.LookupKind(kind)
	if !ok {
		var names []string
		for _, k := range rights.ObjectKinds() {
			names = append(names, k.Name)
		}
		return nil, fmt.Errorf("rights: unknown kind of object %q (want one of %s)", kind, strings.Join(names, ", "))
	}
	if k.Singular {
		id = ""
	} else if id == "" {
		return nil, fmt.Errorf("rights: a %s is read by its id", kind)
	}
	out := &ObjectRead{Kind: kind, ID: id}
	if !prove {
		v := k.New()
		h, err := c.Query(ctx, k.Path(id), height, v)
		if err != nil {
			return nil, err
		}
		out.Found, out.Height, out.Value = true, h, v
		return out, nil
	}
	p, err := c.QueryProven(ctx, k.Path(id), k.Key(id), height, check)
	if err != nil {
		return nil, err
	}
	out.Proof, out.Height = p, p.Height
	if p.Value == nil {
		return out, nil
	}
	v := k.New()
	if err := rights.Unmarshal(p.Value, v); err != nil {
		return nil, fmt.Errorf("rights: %s %s: decode the proven value: %w", kind, id, err)
	}
	out.Found, out.Value = true, v
	return out, nil
}

// GenesisValidators returns the validator set named in a CometBFT genesis file (node.Init writes
// it to HOME/config/genesis.json), for ProofCheck.Validators.
func GenesisValidators(genesisFile string) (*cmttypes.ValidatorSet, error) {
	doc, err := cmttypes.GenesisDocFromFile(genesisFile)
	if err != nil {
		return nil, fmt.Errorf("rights: genesis validators: %w", err)
	}
	vals := make([]*cmttypes.Validator, len(doc.Validators))
	for i, v := range doc.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	vs, err := cmttypes.ValidatorSetFromExistingValidators(vals)
	if err != nil {
		return nil, fmt.Errorf("rights: genesis validators in %s: %w", genesisFile, err)
	}
	return vs, nil
}
