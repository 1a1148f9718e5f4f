// Package rights is the DXP chain: the three separated data rights (a dataset's holding right, a
// grant's usage right, and the computations and payments under it) as a deterministic ledger, run
// by CometBFT through an ABCI 2.0 adapter over an IAVL tree.
//
// The pieces, from the inside out:
//
//   - types.go: the data model (Party, Dataset, Grant, Computation, Payment, Committee, Genesis)
//     and the messages a Tx carries.
//   - EncodeTx, DecodeTx, SignBytes, Sign: canonical CBOR (Core Deterministic) and ed25519.
//   - Ledger: the state machine. InitChain, then for every block DeliverTx (or Deliver, from
//     bytes) per tx and EndBlock. Reads and writes go through a Store (MemStore in tests, the
//     IAVL tree in production). Refusals are *TxError with a stable code from codes.go.
//   - App: the ABCI application (Info, InitChain, CheckTx, FinalizeBlock, Commit, Query).
//   - InitNode, StartNode: a single-validator CometBFT node run in-process.
//   - Client: sign and submit txs, read state, over the node's local client or HTTP.
//
// A typical run:
//
//	err := rights.InitNode(home, genesis)                    // once
//	node, err := rights.StartNode(ctx, rights.NodeConfig{Home: home, Verifier: v})
//	defer node.Stop()
//	c := node.Client()                                       // or rights.Dial("tcp://127.0.0.1:26657")
//	_, err = c.Submit(ctx, ownerKey, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
//	r, err := c.Submit(ctx, ownerKey, rights.Msg{RegisterDataset: &listing})
//	ds, err := c.Dataset(ctx, r.ID)
//
// # Flow
//
// Committee members (named in genesis) post ceremony share digests until Threshold of them agree
// on the collective keys (KeysStep). Owners list datasets whose chunk proofs the chain verifies.
// Buyers request grants; every holder approves; the grantee requests computations, whose price
// is escrowed. A count is answered at once from the registered row counts; a sum or mean
// completes when Threshold members post the same output digest, and the escrow is released to
// the holders. A computation with no agreed result by its deadline expires and is refunded;
// revoking a grant aborts and refunds its pending computations.
//
// # Determinism
//
// The Ledger is a pure function of (store contents, tx, block height, block time) and the
// Verifier it is handed, which must itself be deterministic. It reads no clock, randomness,
// network, disk or environment, iterates maps only after sorting their keys, and writes a tx's
// changes in key order, and only if the tx is accepted: a refused tx changes nothing.
// Everything it needs to decide is in the IAVL tree, so AppHash commits to all state and queries
// can be proven.
//
// # Events
//
// Every state change is a CometBFT event of type "dxp" with indexed attributes action, sender,
// party (one per party touched), dataset (one per dataset), grant and computation, so tx_search
// answers "every flow touching dataset X" (dxp.dataset='ds-…'), "everything party Y did"
// (dxp.sender='…'), "every computation under grant Z" (dxp.grant='gr-…'). Expiries happen at
// the end of a block and are block events (block_search).
package rights
