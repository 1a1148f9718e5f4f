// Package client signs and submits transactions to a DXP chain and reads its state, over a
// node's RPC (HTTP and websocket, Dial) or in-process (rights/node's Node.Client).
//
// Arrows: client imports rights (and CometBFT's RPC client and types, and ics23); rights/node,
// marketplace and cmd/dxp import it. It does not import rights/app or rights/node.
//
// Reads go through the core's table of object kinds, so there is one reader per shape, not one
// per kind:
//
//	c, err := client.Dial("tcp://127.0.0.1:26657")
//	defer c.Close()
//	r, err := c.Submit(ctx, key, rights.Msg{RequestGrant: &req}) // waits for the block; a refusal is a *rights.TxError
//	g, err := client.Get[rights.Grant](ctx, c, r.ID)             // /grant/ID; rights.ErrNotFound if absent
//	com, err := client.Get[rights.Committee](ctx, c, "")         // a chain-wide object
//	all, err := client.List[rights.Dataset](ctx, c)              // /datasets
//	mine, err := client.ListBy[rights.Dataset](ctx, c, "holder", string(addr))
//	blocks, err := c.NewBlocks(ctx)                              // a signal after each block
//
// # Proofs
//
// QueryProven and Object (with prove) read one object with an ICS23 proof and check it: the
// answer is for the object's key (rights.ObjectKind.Key); the proof of the value, or of the key's
// absence, leads to the AppHash in the header of the next block; that header's commit is signed
// by more than two thirds of its validator set, pinned with ProofCheck.Validators to the genesis
// validators (GenesisValidators) when the caller has them, as `dxp query --prove` does:
//
//	p, err := c.QueryProven(ctx, kind.Path(id), kind.Key(id), 0, client.ProofCheck{Validators: genesisVals})
//
// Without a pinned validator set a proven read trusts the node for the validator set and the
// chain id; everything else is checked. A failed check wraps ErrProof.
package client
