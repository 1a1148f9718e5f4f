// Package app is the DXP chain's ABCI 2.0 application: a thin adapter that feeds CometBFT's
// blocks to the rights core's Ledger over an IAVL tree (cosmos/iavl) in its own goleveldb
// database, stages each block in the tree's working version, saves it after Commit, and answers
// queries, with ICS23 proofs of stored keys when asked.
//
// Arrows: app imports rights (and CometBFT's abci types, IAVL, goleveldb); rights/node runs it
// in a node and internal/bench measures it. It does not import rights/node or rights/client.
//
// CometBFT drives it; a test drives it the same way, with no node:
//
//	a, err := app.New(dir, verifier) // opens or creates the state in dir
//	defer a.Close()
//	a.InitChain(ctx, &abci.RequestInitChain{ChainId: id, AppStateBytes: genesisJSON, ...})
//	a.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw})          // beside the blocks, under a lock of its own
//	a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs})
//	res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: h, Time: t, Txs: txs})
//	a.Commit(ctx, &abci.RequestCommit{})                   // res.AppHash is the IAVL root
//	q, err := a.Query(ctx, &abci.RequestQuery{Path: "/dataset/" + id, Prove: true})
//
// # Throughput
//
// The App owns one rights.Cache and hands it to every Ledger it builds (CheckTx, FinalizeBlock,
// Query), so a node verifies each tx's signature once: CheckTx verifies it before taking its
// lock, ProcessProposal verifies the unseen txs of a block in parallel, and FinalizeBlock finds
// them verified. CheckTx runs beside FinalizeBlock on the last committed state; it admits a tx
// (signature, sender, nonce, a listing's owner role and fee, at most rights.MaxQueuedListings
// listings per sender in the mempool, then its proofs: Ledger.Admit) and leaves the kind's rules to
// FinalizeBlock. The txs it admitted survive a Commit when the block holds exactly the oldest of
// them (checkstate.go), so rechecks cost nothing. A block's txs write to a rights.Batch that
// reaches the tree once, in key order. Commit returns before the block's version is written: the
// save runs while CometBFT agrees on the next block, and the next FinalizeBlock waits for it.
//
// # Proofs
//
// A query with Prove set, for one object, answers with the bytes stored under its key (the key
// rights.Ledger.Query names) in the state after block H and an ICS23 proof (a ProofOps op of type
// rights.ProofOpIAVL) of them, or of the key's absence, against that state's IAVL root. CometBFT
// carries the root as the AppHash in the header of block H+1, which rights/client checks.
//
// # Events
//
// Every rights.Event becomes a CometBFT event of type EventType ("dxp") with attributes action,
// sender, party (one per party touched), dataset (one per dataset), grant and computation, and
// per action the attributes that name an object or a category (role, epoch, op, column, kind,
// product, ...), all indexed, so tx_search answers "every flow touching dataset X"
// (dxp.dataset='ds-…'), "everything party Y did" (dxp.sender='…'), "every computation under
// grant Z" (dxp.grant='gr-…'). A member's protocol posts on a computation (submit_output,
// submit_share) are indexed by action, sender, party and computation only: their datasets and
// grant are in the event, unindexed, and they are found by dxp.computation='cp-…' (memberPosts);
// free text, digests, amounts and counters (unindexedAttrs) are in
// the event but not indexed. A tx with several events (a share that completes a computation,
// issues the product and pays) has them all unindexed, in order, and then one summary event
// (SummaryAttr) holding each of their indexed attributes once: the tx index writes a key per
// indexed attribute, and the summary spares it the repeats. A conjunction in tx_search
// therefore matches per tx, not per event. Expiries at the end of a block are block events
// (block_search), each indexed.
package app
