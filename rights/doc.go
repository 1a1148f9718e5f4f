// Package rights is the DXP chain's deterministic core: the three separated data rights (a
// dataset's holding right, a grant's usage right, and a product's operating right), with the
// policies, privacy budgets, computations, payments and regulatory holds that hang on them, as a
// ledger that is a pure function of (state, tx, block height, block time).
//
// Arrows: of DXP's packages rights imports only spec (what a computation may be) and storage's
// root package (for its Digest type, a leaf of the standard library), and it imports no
// CometBFT, IAVL, disk or network package (imports_test.go checks both); rights/app,
// rights/client, rights/rightstest, marketplace, devnet, internal/bench and cmd/dxp import it.
// Beside it:
//
//	rights/app     the ABCI 2.0 application over an IAVL tree, with proofs of stored keys
//	rights/client  sign, submit and read, proven or not, over a node's RPC
//	rights/node    the in-process CometBFT node and multi-validator homes (imports app, client)
//
// The pieces, from the inside out:
//
//   - types.go: the data model (Party, Dataset with its Policy, Grant, Computation, Product,
//     Payment, Hold, Proposal, Committee, Genesis) and the messages a Tx carries.
//   - EncodeTx, DecodeTx, SignBytes, Sign, VerifySig: canonical CBOR (Core Deterministic) and
//     ed25519.
//   - Ledger: the state machine. InitChain, then for every block Deliver (from bytes) or
//     DeliverTx per tx and EndBlock; Admit is what a mempool asks of a tx. Reads and writes go
//     through a Store (MemStore in tests and tools; rights/app's IAVL tree in production), a
//     block's through a Batch. Refusals are *TxError with a stable code from codes.go.
//   - Cache: what a node decodes and verifies once and reuses across Ledgers (cache.go).
//   - ObjectKind and Ledger.Query: the one table of the kinds of object the chain keeps, and
//     the query paths served from it (kinds.go).
//
// A block, run by hand:
//
//	l := &rights.Ledger{Store: rights.NewMemStore(), Verifier: v, Cache: rights.NewCache()}
//	err := l.InitChain(gen, rights.Block{Height: 1, Time: t0})
//	res, err := l.Deliver(raw, rights.Block{Height: 2, Time: t1}) // each tx, in order
//	events, err := l.EndBlock(rights.Block{Height: 2, Time: t1, Hash: blockHash})
//	answer, key, err := l.Query("/dataset/" + res.ID)             // canonical CBOR, and its store key
//
// # Flow
//
// Parties (tx_party.go) come in by the genesis admission rule (Genesis.AdmissionRule). On a
// devnet it is open: anyone registers itself as owner or buyer and is credited the opening
// credit. Otherwise a regulator first admits each owner and buyer (AdmitParty, naming its roles,
// credits and a buyer's RLWE key digest; `dxp party admit` checks that key object in storage
// first), and RegisterParty completes only what was admitted (CodeNotAdmitted, CodeBadAdmission);
// regulators and members register as genesis or a vote names them, credited nothing without an
// admission. Committee members (named in genesis) post ceremony share digests until Threshold of
// them agree on the collective keys (KeysStep). A share digest is a commitment (members reveal the
// objects only once every member committed the step, see mpc's doc): the chain refuses a digest
// another member already posted in the epoch (CodeCopiedShare), except the identical KeysStep
// votes. Owners list datasets whose chunk proofs the chain
// verifies, paying Params.ProofFee per proof, burned, before any proof is verified (a node's
// Admit checks the owner role and the fee first, counting the sender's listings already in its
// mempool, at most MaxQueuedListings of them; CodeFeeUnpaid, CodeTooManyHeavyTxs). Each column
// names the registered Circuit its chunks were proven with (circuit.go), of one of two sorts: a
// chunk circuit's proof shows only that the chunk's committed values lie within the column's
// bounds; an input circuit's (CircuitInput or CircuitInputHistogram, one chunk per ciphertext of
// SlotsPerCiphertext values)
// also shows that the column's ciphertext is a fresh encryption of exactly those values under the
// committee's public key (Keys[0]), and the chain verifies it against an InputClaim naming the
// ciphertext's and key's digests, the chunk's real rows and the evaluations the listing carries.
// A genesis that sets Params.InputProofs refuses every other column (CodeInputProofRequired); a
// chain that is not a devnet must set it and run the secure ring (SlotsPerCiphertext =
// SecureSlots, 16384), while a devnet may list chunk-proven columns on a small ring, insecurely.
// A column's frequency table (the encrypted per-bin counts histograms and noisy counts are
// computed from) is proven when the column is a histogram column (CircuitInputHistogram: an
// input column whose chunks also carry S_c, Chunk.HistogramSum): the table is a fresh encryption
// of N committed counts with its own input proof under a CircuitFrequencyTable circuit
// (FrequencyTable.Width, Commitment, Proof, Evaluations, Sum), and the chain draws the column's
// α (Verifier.HistogramChallenge over HistogramContext(lister, column), the chunk commitments,
// the table's commitment, Min and Bin), verifies every chunk's and the table's proof at that α
// (InputClaim.Histogram) and accepts the table only if the chunks' sums add up to the table's
// (Verifier.CheckHistogram; CodeBadHistogram): the counts are then those of the committed
// values. The table's proof is charged like any other, and with Params.InputProofs an unproven
// table is refused (CodeInputProofRequired); a column without a table offers no histogram or
// noisy count. The argument is at registerDataset. A listing is
// pending until Threshold committee members have checked the objects it names in storage, which
// the chain cannot read (AttestInputs, tx_attest.go; for an input column this includes checking
// the listed evaluations against the stored ciphertext and key): Threshold valid verdicts list it,
// Threshold invalid ones refuse it for good, naming its holder. Holders then update listed
// datasets (description, tags, price), set their Policy, retire them, or transfer the
// holding to another owner. Buyers request grants naming ops, columns, uses, a purpose, an
// epsilon budget and an expiry; the holder of each dataset approves (or its policy's offer does,
// at once, for a request within its terms), fixing that dataset's price for the grant. The
// grantee requests computations: the chain checks the grant, every dataset's policy (ops,
// columns, purposes, minimum rows, expiry, differential privacy, pooling), the budgets and the
// plaintext modulus (spec's overflow rule), escrows the prices and charges the epsilon. Pooling
// several datasets in one grant or computation follows each one's policy, so that a requester
// cannot pad or difference a dataset with rows it chose: MinRows counts the dataset's own rows,
// never the pooled total; Pooling "others" (the default) refuses pooling with a dataset the
// requester holds, "never" any pooling, "any" allows both (CodePoolingRefused); DPWhenPooled
// makes every pooled computation spend epsilon, charged to the dataset's budget, so that {A,B}
// minus {A} is a noisy, budgeted answer. Pooling with another party's datasets is only as safe
// as parties are distinct: admission of parties is what stops one posing as two. A count without
// noise is answered at once from the registered row counts. Any other computation runs in two
// phases: members post output digests (SubmitOutput) until spec.Participants agree
// (min(members, 2·Threshold − 1); on a computation with DP noise each post must carry the
// digest of the member's noise dealing, which the chain keeps on the post, and on one without
// noise must not: CodeNoNoise, CodeUnexpectedNoise), which fixes the
// participants (the first to post it) and records who disagreed; the participants then post
// key-switch share objects (SubmitShare; each holds a share for every Threshold-subset of the
// participants it is in, which the buyer's client cross-checks), and with the last one it
// completes: the buyer gets a Product with its lineage and the escrow is held for the dispute
// window (Params.DisputeWindow), at whose end EndBlock releases it to the datasets' holders of
// that moment. Within the window the requester may dispute the computation
// (DisputeComputation, naming the participants its client found posting a wrong share): the
// escrow is then withheld until a regulator resolves it (ResolveDispute: refund or release). A
// computation that Threshold members refuse for its requester's fault (RefuseComputation: a dot
// product's weights missing, unopenable, off their commitment or above the declared bound, or the
// requester's key object missing or unparsable) fails charged: its escrow goes to the holders and
// its use and epsilon stay spent. A computation that passes its deadline in either phase expires and is refunded; one whose grant
// is revoked, expires or is frozen, or whose dataset or requester is frozen or retired, or whose
// dataset's policy expires, is aborted and refunded by that action (a grant's or a policy's expiry by EndBlock, at the end of
// the first block in which it has passed, so expiries end at block boundaries). A computation takes
// outputs and shares only while it is live (grant active and not expired, nothing frozen,
// datasets listed with policies not expired, judged on the block: a time expiry has passed once
// the block's time reaches it); a post for one that is not is refused (CodeNotLive). So the block
// that accepts the last share, after which the buyer can combine the shares, always charges:
// no computation is refunded once its shares are all out. An abort by the requester's own tx
// (revoking its grant or retiring its dataset as a holder) after the output was agreed, when
// members may have stored shares the chain then refuses, is charged, not refunded. Products can be transferred and licensed,
// and are frozen with their source datasets. Regulators (named in genesis, changed by a strict
// majority vote of the current ones) freeze and unfreeze parties, datasets, grants and products;
// every hold stays on record.
//
// Setup ceremonies (tx_zkceremony.go): a regulator opens a Groth16 setup ceremony for a chunk
// circuit (input circuits, of all three input kinds, are registered in genesis) and an ordered list of participants; each posts the digest of its contribution in
// turn, phase 1 then phase 2; the hash of the block after a phase's last contribution, recorded
// by EndBlock, is that phase's beacon; the coordinator or a participant then finishes it with the keys, and the chain
// checks the transcript digest and registers the keys for the circuit (registerZKCircuit).
// Re-deriving the keys is left to `dxp zk ceremony verify`: too heavy for a block.
//
// # Queries
//
// Ledger.Query serves every object by id (/party, /dataset, /grant, /computation, /product,
// /hold, /proposal, /circuit, /zkceremony), the chain-wide ones (/committee, /genesis, /params),
// every list of a kind (/datasets, /regulators, ...), filtered lists (/datasets/holder/ADDR,
// /datasets/status/pending, /grants/grantee/ADDR, /grants/dataset/ID, /computations/grant/ID, /products/holder/ADDR),
// /computations/underway, /frozen/KIND/ID (the holds freezing an object), /zkcircuit/N/W and
// /live/ID/HEIGHT/UNIX (whether a computation would take a member's post in such a block);
// the kinds, their lists and filters come from the table objectKinds. Filtered lists read index keys kept in the state, never a full
// scan. For a single object it also returns the store key, which rights/app proves with an ICS23
// proof (ProofOpIAVL) against the AppHash and rights/client checks against a signed header.
//
// # Throughput
//
// A node verifies each tx's signature once: its App verifies it in CheckTx before taking its lock
// or, for a tx first seen in a proposal, in ProcessProposal, with Cache.Preverify; a Ledger
// handed that Cache finds it recorded (sigcache.go) and reuses the shared decoding of the tx.
// The Cache also keeps decoded state values by their bytes (loadMemo), since a busy chain reads
// the same genesis, committee, parties and datasets in nearly every tx. A nil Cache changes no
// result, only the work. Objects are numbered in the order they are created
// (ds-0000000000000001, ...; exec.newID), so the keys a block adds sit together at the end of
// their ranges, where the tree's node cache already holds the path an insert rewrites.
//
// # Determinism
//
// The Ledger is a pure function of (store contents, tx, block height, block time) and the
// Verifier it is handed, which must itself be deterministic. It reads no clock, randomness,
// network, disk or environment, iterates maps only after sorting their keys, and writes a tx's
// changes in key order, and only if the tx is accepted: a refused tx changes nothing.
// Everything it needs to decide is in the Store (the IAVL tree on a node), so AppHash commits to
// all state and queries can be proven.
//
// # Events
//
// Every state change is an Event, a ledger value naming the action, the sender and every party,
// dataset, grant and computation it touches, with action-specific Attrs; end-of-block
// expiries are EndBlock's events. rights/app turns them into indexed CometBFT events (one
// summary event per tx indexes a tx's several).
package rights
