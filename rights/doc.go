// Package rights is the DXP chain: the three separated data rights (a dataset's holding right, a
// grant's usage right, and a product's operating right), with the policies, privacy budgets,
// computations, payments and regulatory holds that hang on them, as a deterministic ledger run by
// CometBFT through an ABCI 2.0 adapter over an IAVL tree.
//
// The pieces, from the inside out:
//
//   - types.go: the data model (Party, Dataset with its Policy, Grant, Computation, Product,
//     Payment, Hold, Proposal, Committee, Genesis) and the messages a Tx carries.
//   - EncodeTx, DecodeTx, SignBytes, Sign: canonical CBOR (Core Deterministic) and ed25519.
//   - Ledger: the state machine. InitChain, then for every block DeliverTx (or Deliver, from
//     bytes) per tx and EndBlock. Reads and writes go through a Store (MemStore in tests, the
//     IAVL tree in production). Refusals are *TxError with a stable code from codes.go.
//   - App: the ABCI application (Info, InitChain, CheckTx, FinalizeBlock, Commit, Query).
//   - InitNode, StartNode: a single-validator CometBFT node run in-process; InitValidators
//     sets up the homes of a multi-validator chain, whose nodes StartNode runs with their
//     P2PListen and Peers.
//   - Client: sign and submit txs, read state, over the node's local client or HTTP;
//     QueryProven and Object read state with an ICS23 proof checked against a signed header.
//   - BenchLedger: the ledger bench behind `dxp bench ledger` (bench*.go).
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
// on the collective keys (KeysStep). Owners list datasets whose chunk proofs the chain verifies,
// then update them (description, tags, price), set their Policy, retire them, or transfer the
// holding to another owner. Buyers request grants naming ops, columns, uses, a purpose, an
// epsilon budget and an expiry; the holder of each dataset approves (or its policy's offer does,
// at once, for a request within its terms), fixing that dataset's price for the grant. The
// grantee requests computations: the chain checks the grant, every dataset's policy (ops,
// columns, purposes, minimum rows, expiry, differential privacy), the budgets and the plaintext
// modulus (spec's overflow rule), escrows the prices and charges the epsilon. A count without
// noise is answered at once from the registered row counts. Any other computation runs in two
// phases: members post output digests (SubmitOutput) until Threshold agree, which fixes the
// participants (the first Threshold to post it) and records who disagreed; the participants
// then post key-switch shares (SubmitShare), and with the last one it completes: the escrow goes
// to the datasets' holders of that moment and the buyer gets a Product with its lineage. A
// computation that passes its deadline in either phase expires and is refunded; one whose grant
// is revoked, expires or is frozen, or whose dataset or requester is frozen or retired, is
// aborted and refunded, checked again at completion. Products can be transferred and licensed,
// and are frozen with their source datasets. Regulators (named in genesis, changed by a strict
// majority vote of the current ones) freeze and unfreeze parties, datasets, grants and products;
// every hold stays on record.
//
// Setup ceremonies (tx_zkceremony.go): a regulator opens a Groth16 setup ceremony for a chunk
// circuit and an ordered list of participants; each posts the digest of its contribution in
// turn, phase 1 then phase 2; the hash of the block after a phase's last contribution, recorded
// by EndBlock, is that phase's beacon; the coordinator or a participant then finishes it with the keys, and the chain
// checks the transcript digest and registers the keys for the circuit (registerZKCircuit).
// Re-deriving the keys is left to `dxp zk ceremony verify`: too heavy for a block.
//
// # Queries
//
// App.Query serves every object by id (/party, /dataset, /grant, /computation, /product, /hold,
// /proposal) and lists: all of a kind, /datasets/holder/ADDR, /grants/grantee/ADDR,
// /grants/dataset/ID, /computations/grant/ID (every use of a grant), /computations/underway,
// /products/holder/ADDR, /holds, /frozen/KIND/ID (the holds freezing an object), /regulators,
// /proposals, /zkceremony/ID, /zkceremonies, /zkcircuit/N/W. Filtered lists read index keys kept in the IAVL tree, never a full scan.
//
// # Proofs
//
// A query with Prove set, for one object, answers with the bytes stored under its key in the
// state after block H and an ICS23 proof (ProofOps type "ics23:iavl") of them, or of the key's
// absence, against that state's IAVL root. CometBFT carries the root as the AppHash in the header
// of block H+1. Client.QueryProven fetches that header and its commit, checks the commit against
// the validator set of H+1 (pinned to genesis's with ProofCheck.Validators, as `dxp query
// --prove` does when its home holds the genesis), and the proof against the AppHash:
//
//	p, err := c.QueryProven(ctx, "/dataset/"+id, kind.Key(id), 0, rights.ProofCheck{Validators: genesisVals})
//
// # Throughput
//
// A node verifies each tx's signature once: CheckTx verifies it before taking its lock and
// records it, ProcessProposal verifies the unseen txs of a block in parallel, and the ledger's
// VerifySig finds them recorded (sigcache.go). CheckTx runs beside FinalizeBlock under a lock of
// its own, on the last committed state; it admits a tx (signature, sender, nonce, a listing's
// proofs) and leaves the kind's rules to FinalizeBlock. The txs it admitted survive a Commit when
// the block holds exactly the oldest of them (checkstate.go), so rechecks cost nothing. Commit
// returns before the block's version is written: the save runs while CometBFT agrees on the next
// block, and the next FinalizeBlock waits for it (App). Objects are numbered in the order they
// are created (ds-0000000000000001, ...; exec.newID), so the keys a block adds sit together at
// the end of their ranges, where the tree's node cache already holds the path an insert rewrites.
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
// (dxp.sender='…'), "every computation under grant Z" (dxp.grant='gr-…'). Action-specific
// attributes that name an object or a category (op, column, product, hold, kind, target,
// proposal, purpose, role, ...) are indexed too; free text, digests, amounts and counters
// (reason, output, share, amount, price, epsilon, ...; unindexedAttrs) are in the event but not
// indexed. Expiries of grants and computations happen at the end of a
// block and are block events (block_search).
package rights
