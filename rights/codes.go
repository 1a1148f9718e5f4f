package rights

import "fmt"

// Codes of refused transactions and failed queries, as returned in the ABCI Code and in
// TxError.Code. They are append-only: a code, once released, keeps its number and meaning.
const (
	CodeOK uint32 = 0

	CodeInternal           uint32 = 1  // a bug or a storage failure; the tx changed nothing
	CodeDecode             uint32 = 2  // not a canonical encoding of a Tx with exactly one Msg field
	CodeChainID            uint32 = 3  // signed for another chain
	CodeSignature          uint32 = 4  // bad public key or signature
	CodeUnregistered       uint32 = 5  // sender is not a registered party
	CodeReplay             uint32 = 6  // nonce already used
	CodeNonceGap           uint32 = 7  // nonce ahead of the sender's next nonce
	CodeAlreadyRegistered  uint32 = 8  // RegisterParty by a registered party
	CodeBadRoles           uint32 = 9  // roles empty, unknown or duplicated
	CodeRoleNotAllowed     uint32 = 10 // regulator or member role for an address genesis does not name
	CodeMissingRLWEKey     uint32 = 11 // a buyer without an RLWE public key
	CodeUnauthorized       uint32 = 12 // sender lacks the role, membership, holding or grant the tx needs
	CodeBadEpoch           uint32 = 13 // ceremony share or dataset for another committee key epoch
	CodeBadStep            uint32 = 14 // ceremony step name malformed
	CodeBadDigests         uint32 = 15 // digest list empty, too long, or with a zero digest
	CodeDuplicateShare     uint32 = 16 // member already posted this ceremony step
	CodeCommitteeReady     uint32 = 17 // ceremony post after the committee's keys were agreed
	CodeCommitteeNotReady  uint32 = 18 // the committee has no collective keys yet
	CodeBadDataset         uint32 = 19 // dataset listing malformed (name, columns, types, bounds, counts)
	CodeBadProof           uint32 = 20 // a listing chunk proof does not verify
	CodeUnknownDataset     uint32 = 21 // no such dataset
	CodeDatasetNotListed   uint32 = 22 // dataset exists but is not listed
	CodeBadGrantRequest    uint32 = 23 // grant request malformed (datasets, ops, columns, uses)
	CodeUnknownGrant       uint32 = 24 // no such grant
	CodeGrantState         uint32 = 25 // the grant is not in a state that allows the action
	CodeAlreadyApproved    uint32 = 26 // holder already approved the grant
	CodeOpNotGranted       uint32 = 27 // the grant does not allow the op
	CodeColumnNotGranted   uint32 = 28 // the grant does not cover the column
	CodeNoUsesLeft         uint32 = 29 // every use of the grant is spent
	CodeSchemaMismatch     uint32 = 30 // the column differs in type or scale across the datasets
	CodeOverflow           uint32 = 31 // the result could reach half the plaintext modulus
	CodeInsufficientFunds  uint32 = 32 // balance does not cover the escrow
	CodeUnknownComputation uint32 = 33 // no such computation
	CodeComputationState   uint32 = 34 // the computation is not pending
	CodeAlreadySubmitted   uint32 = 35 // member already posted a result for the computation
	CodeDeadlinePassed     uint32 = 36 // result posted after the computation's deadline
	CodeBadText            uint32 = 37 // a free-text field (reason, description) too long or not UTF-8
	CodeBadGenesis         uint32 = 38 // genesis invalid (InitChain only)
	CodeNotFound           uint32 = 39 // query: no object with that id
	CodeUnknownQuery       uint32 = 40 // query: unknown path
	CodeBadHeight          uint32 = 41 // query: no state at that height
	CodeBadPolicy          uint32 = 42 // a dataset policy malformed (ops, columns, budgets, purposes, offer)
	CodePolicyRefused      uint32 = 43 // a dataset's policy does not allow the request (op, column, purpose, rows, expiry)
	CodeFrozen             uint32 = 44 // the party, dataset, grant or product is frozen by a regulator
	CodeAlreadyFrozen      uint32 = 45 // freeze of an object already frozen
	CodeNotFrozen          uint32 = 46 // unfreeze of an object not frozen
	CodeEpsilon            uint32 = 47 // epsilon past the grant's or a dataset's budget or per-query limit
	CodeDPRequired         uint32 = 48 // a policy requires differential privacy and the request spends no epsilon
	CodeBadComputation     uint32 = 49 // computation request malformed (columns, edges, weights, delta)
	CodeUnknownProduct     uint32 = 50 // no such product
	CodeUnknownParty       uint32 = 51 // the named party is not registered
	CodeBadTransfer        uint32 = 52 // transfer or licence to oneself, or to a party without the needed role
	CodeUnknownProposal    uint32 = 53 // no such regulator proposal
	CodeProposalState      uint32 = 54 // the proposal has already passed
	CodeAlreadyVoted       uint32 = 55 // regulator already voted for the proposal
	CodeBadProposal        uint32 = 56 // the change is moot or would leave no regulator
	CodeBadExpiry          uint32 = 57 // an expiry already passed
	CodeBadTags            uint32 = 58 // dataset tags malformed
	CodeNotParticipant     uint32 = 59 // a key-switch share from a member that is not a participant
	CodeAlreadyLicensed    uint32 = 60 // the party already holds or is licensed to operate the product
	CodeBadHold            uint32 = 61 // freeze or unfreeze with an unknown kind or without a reason
	CodeBadCircuit         uint32 = 62 // a proving circuit malformed (chunk size, width, keys, setup)
	CodeCircuitExists      uint32 = 63 // a circuit with that chunk size and width is already registered
	CodeUnknownCircuit     uint32 = 64 // a column names a circuit that is not registered, or one too narrow

	// Setup ceremonies (tx_zkceremony.go): codes 70-79.
	CodeUnknownZKCeremony    uint32 = 70 // no such setup ceremony
	CodeBadZKCeremony        uint32 = 71 // ceremony opening malformed (chunk size, width, participants, names)
	CodeZKCeremonyState      uint32 = 72 // the ceremony is not in the phase the tx needs (awaiting a beacon, finished, not ready)
	CodeZKNotParticipant     uint32 = 73 // contribution from a party that is not a participant of the ceremony
	CodeZKOutOfTurn          uint32 = 74 // contribution before the participants ahead of the sender contributed
	CodeZKAlreadyContributed uint32 = 75 // participant already contributed to this phase
	CodeZKBadResult          uint32 = 76 // finish with another transcript digest, or a verifying key or proving key digest malformed
	CodeInsecureSetup        uint32 = 77 // the insecure devnet setup registered on a chain whose genesis is not a devnet
)

// Codes 85-89: histograms, noisy counts and weights (issue 4, computations).
const (
	CodeBadFrequencies uint32 = 85 // a column's frequency table is malformed: zero digest, bin not positive, or values without a slot
	CodeNoFrequencies  uint32 = 86 // a histogram or noisy count over a column without a frequency table, or over datasets whose tables differ in min or bin
	CodeBadEdges       uint32 = 87 // histogram edges off the frequency table's bin boundaries or outside the bins that hold the column's values
)

// Codes 110-119: admission of parties and fees for heavy txs (issue 14, attack 6).
const (
	CodeNotAdmitted     uint32 = 110 // RegisterParty asking for owner or buyer on a chain whose admission rule needs a regulator's AdmitParty first
	CodeBadAdmission    uint32 = 111 // AdmitParty malformed, or a RegisterParty asking for roles or an RLWE key its admission did not name
	CodeFeeUnpaid       uint32 = 112 // the sender's balance does not cover the fee of a heavy tx (a listing's per-proof fee)
	CodeTooManyHeavyTxs uint32 = 113 // the sender already has as many heavy txs in the mempool as a node admits per party
)

// Codes 100-104: dot-product weights and members' refusals of a requester's fault (issue 14,
// attacks 3 and 6).
const (
	CodeBadRefusal     uint32 = 100 // a refusal without a reason, or with one longer than MaxRefusalReason bytes
	CodeAlreadyRefused uint32 = 101 // the member already refused the computation
	CodeBadWeights     uint32 = 102 // a dot product's weights object or commitment missing or malformed
)

// Codes 105-109: liveness of computations under way and pooling of datasets (issue 14, attacks 4
// and 5).
const (
	CodeNotLive        uint32 = 105 // an output or key-switch share for a computation that stopped being live (grant ended or expired, requester, grant or a dataset frozen, a dataset retired or its policy expired)
	CodePoolingRefused uint32 = 106 // a dataset's policy does not allow pooling it with the requester's own datasets, or with any other dataset
)

// Codes 90-94: the committee key ceremony held against a rogue member (issue 14, attack 1).
const (
	CodeCopiedShare uint32 = 90 // a ceremony digest another member already posted in this epoch (a copied commitment)
)

// Codes 95-99: key-switch disputes (issue 14, attack 2).
const (
	CodeNotDisputable uint32 = 95 // a dispute of a computation that is not completed, past its dispute window, settled or already disputed
	CodeBadAccusation uint32 = 96 // a dispute that names no one, someone twice, a non-participant, or a zero evidence digest
	CodeNoDispute     uint32 = 97 // a resolution of a computation without an open dispute
)

// Codes 98-99: shared DP noise in the key switch (issue 14, attack 2 with noise).
const (
	CodeNoNoise         uint32 = 98 // an output post of a computation with DP noise without its noise dealing digest
	CodeUnexpectedNoise uint32 = 99 // an output post of a computation without DP noise that carries a noise dealing digest
)

// TxError is a refused transaction: a stable Code and a one-sentence Log naming what is wrong.
// The ledger returns it for every refusal, and the client (rights/client) returns it when
// CheckTx or FinalizeBlock refused the tx.
type TxError struct {
	Code uint32
	Log  string
}

func (e *TxError) Error() string { return e.Log }

func refuse(code uint32, format string, args ...any) *TxError {
	return &TxError{Code: code, Log: fmt.Sprintf(format, args...)}
}

// Codes 120-124: committee members' checks of a listing's stored inputs (issue 15).
const (
	CodeBadAttestation     uint32 = 120 // an input verdict that is invalid without a reason, valid with one, or with a reason longer than MaxRefusalReason bytes
	CodeAlreadyAttested    uint32 = 121 // the member already gave its verdict on the dataset's inputs
	CodeInputsNotPending   uint32 = 122 // an input verdict on a dataset that is not pending (already listed, refused or retired)
	CodeInputProofRequired uint32 = 123 // a column proven with a circuit other than an input circuit, or a frequency table without its proof, on a chain whose genesis requires input proofs (Params.InputProofs)
	CodeBadHistogram       uint32 = 124 // the frequency table is not the histogram of the column's values: the chunks' histogram sums do not add up to the table's (Verifier.CheckHistogram)
)

// CodeProductNoise: a query whose ciphertext products sum more ciphertexts than the committee can
// smudge the noise of (Params.ProductNoiseBudget, spec.CheckProductNoise).
const CodeProductNoise uint32 = 125
