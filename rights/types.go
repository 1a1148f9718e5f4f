package rights

import (
	"github.com/dxplabs/dxp/spec"
	"github.com/dxplabs/dxp/storage"
)

// Address names a party: the lower-case hex of the first 20 bytes of the SHA-256 of its ed25519
// public key.
type Address string

// Digest is the SHA-256 of an object in storage: the chain holds digests, storage holds the
// bytes. It is storage's one Digest type (storage's root package is a leaf of the standard
// library), so a digest read from the chain addresses an object with no conversion.
type Digest = storage.Digest

// Role is what a party may do. A party may hold several.
type Role string

const (
	RoleOwner     Role = "owner"     // lists datasets (holding right)
	RoleBuyer     Role = "buyer"     // requests grants and computations (usage right)
	RoleRegulator Role = "regulator" // audits and holds; only addresses named in genesis
	RoleMember    Role = "member"    // committee member; only addresses named in genesis
)

// Party is a registered identity and its account.
type Party struct {
	Address Address
	PubKey  []byte // ed25519
	Roles   []Role
	// RLWEKey is the digest of the buyer's RLWE public key object; results are re-encrypted to it.
	RLWEKey    Digest
	Balance    uint64
	Nonce      uint64 // the nonce the party's next tx must carry
	Registered int64  // height

	// Admission and fees (tx_party.go, issue 14): Credited is what the chain credited the party
	// when it registered (the opening credit, or what its admission granted); FeesPaid is every
	// listing fee it paid, burned. Σ Credited = Σ Balance + escrow under way + Σ FeesPaid.
	Credited uint64 `cbor:",omitempty"`
	FeesPaid uint64 `cbor:",omitempty"`
}

// ColumnType is how a column's values are read from CSV.
type ColumnType string

const (
	TypeInteger ColumnType = "integer"
	TypeDecimal ColumnType = "decimal" // fixed point: values are stored as integers times 10^Scale
)

// Column is one column of a listed dataset: its declared schema, its ciphertexts under the
// committee's collective key, and the zk proofs that its values lie within [Min, Max].
type Column struct {
	Name  string
	Type  ColumnType
	Scale uint32 // decimal places; 0 for integers
	// Min and Max bound every value, in scaled integer units (value × 10^Scale).
	Min, Max    int64
	Ciphertexts []Digest // one per SlotsPerCiphertext rows, in row order
	// Kind, ChunkSize and Width name the registered Circuit the chunks were proven with (see
	// KindCircuitID); Width is at least ColumnWidth(Min, Max).
	ChunkSize uint64
	Width     uint32
	// Kind is the kind of the circuit the chunks were proven with. CircuitInput: one chunk per
	// ciphertext (ChunkSize = SlotsPerCiphertext), each proof also showing that Ciphertexts[j] is
	// a fresh encryption under the committee's public key of exactly the chunk's values.
	// CircuitInputHistogram: the same, plus each chunk's histogram sum, and the column carries a
	// proven frequency table. One of the two is required for every column when
	// Params.InputProofs is set.
	Kind   CircuitKind `cbor:",omitempty" json:",omitempty"`
	Chunks []Chunk     // one per ChunkSize rows, in row order
	// Frequencies is the column's frequency table (see FrequencyTable); nil if it has none.
	Frequencies *FrequencyTable `cbor:",omitempty" json:",omitempty"`
}

// --- Histograms and noisy counts: a column's frequency table. ---

// FrequencyTable is a column's values counted bin by bin and encrypted under the committee's
// collective key: one ciphertext (Table) whose slot k holds how many values lie in
// [Min + k·Bin, Min + (k+1)·Bin). The committee adds the tables of pooled datasets slot by slot,
// so those must share Min and Bin; a histogram's bucket edges are Min plus multiples of Bin. The
// chain checks the table's shape (every value of [Column.Min, Column.Max] has a slot). Of a
// CircuitInputHistogram column it also verifies the table's proof and the histogram check
// (registerDataset), so its counts are those of the column's committed values; of any other
// column the counts are the holder's unproven claim, which a chain with Params.InputProofs
// refuses.
type FrequencyTable struct {
	Table Digest
	Min   int64
	Bin   int64 // > 0
	// The table's proof, set when the column's Kind is CircuitInputHistogram (required then):
	// Width names the registered CircuitFrequencyTable circuit (ChunkSize = SlotsPerCiphertext)
	// and is at least ColumnWidth(0, Rows); Commitment (32 bytes) is the salted Poseidon2
	// commitment of the N counts, Proof the Groth16 proof, Evaluations the ciphertext's and key's
	// evaluations at the proof's challenge (as Chunk.Evaluations, checked by committee members),
	// and Sum (32 bytes) the table's S_T at the column's α.
	Width       uint32 `cbor:",omitempty" json:",omitempty"`
	Commitment  []byte `cbor:",omitempty" json:",omitempty"`
	Proof       []byte `cbor:",omitempty" json:",omitempty"`
	Evaluations []byte `cbor:",omitempty" json:",omitempty"`
	Sum         []byte `cbor:",omitempty" json:",omitempty"`
}

// --- End of frequency tables. ---

// Chunk is the proof for a run of ChunkSize values of one column.
type Chunk struct {
	Commitment []byte // 32-byte big-endian BN254 field element: salted Poseidon2 over the values
	Proof      []byte // Groth16 proof (gnark serialization)
	// Evaluations, for an input proof only: the T-scaled polynomials of the ciphertext and the
	// public key evaluated at the proof's challenge γ, for each CRT group C0, C1, P0, P1 as
	// 32-byte big-endian BN254 field elements. The chain verifies the proof with them; committee
	// members check them against the stored ciphertext and key before the listing is usable.
	Evaluations []byte `cbor:",omitempty" json:",omitempty"`
	// HistogramSum, for a CircuitInputHistogram proof only: the chunk's S_c at the column's α
	// (32 bytes, big-endian BN254 field element).
	HistogramSum []byte `cbor:",omitempty" json:",omitempty"`
}

// DatasetStatus is the lifecycle of a listing.
type DatasetStatus string

const (
	// DatasetPending: registered, its proofs verified by the chain, its stored inputs (the
	// ciphertexts and frequency tables the listing names) not yet checked by Threshold committee
	// members (AttestInputs). No grant or computation may use it, and its holder cannot change it.
	DatasetPending DatasetStatus = "pending"
	DatasetListed  DatasetStatus = "listed"
	DatasetRetired DatasetStatus = "retired" // by its holder: no new grants or computations
	// DatasetRefused: Threshold committee members found its stored inputs invalid (Reason says
	// what and who found it); it never becomes usable and its listing fee stays paid.
	DatasetRefused DatasetStatus = "refused"
)

// InputAttestation is a committee member's verdict on a pending dataset's stored inputs.
type InputAttestation struct {
	Member Address
	Valid  bool
	Reason string `cbor:",omitempty" json:",omitempty"` // why not, for an invalid verdict
	Height int64
}

// Expiry ends a right at a block height or a block time, whichever comes first; a zero field sets
// no limit. A right with Height H may be used in blocks up to and including H; one with Time T in
// blocks whose time is before T (unix seconds). The chain judges expiry from the block alone.
type Expiry struct {
	Height int64
	Time   int64 // unix seconds
}

// IsZero reports whether e sets no limit.
func (e Expiry) IsZero() bool { return e.Height == 0 && e.Time == 0 }

// Passed reports whether e has passed in block b.
func (e Expiry) Passed(b Block) bool {
	return e.Height > 0 && b.Height > e.Height || e.Time > 0 && b.Time.Unix() >= e.Time
}

// Approval says how a dataset's holder answers grant requests.
type Approval string

const (
	// ApprovalRequired: the holder approves or rejects every request itself.
	ApprovalRequired Approval = "required"
	// ApprovalOffer: a request within the policy's Offer is approved by the chain on the holder's
	// behalf at request time; any other request waits for the holder.
	ApprovalOffer Approval = "offer"
)

// OfferTerms are a dataset's standard terms. A request is within them when it asks for at most
// MaxUses uses and at most Epsilon of privacy budget, and, where MaxBlocks or MaxSeconds is set,
// names an expiry no later than that many blocks or seconds after the request.
type OfferTerms struct {
	MaxUses     uint64
	PricePerUse uint64 // credits per computation under a grant the offer approved
	Epsilon     uint64 // micro-epsilon
	MaxBlocks   int64
	MaxSeconds  int64
}

// Policy is what a dataset's holder allows. Empty lists allow everything; epsilon figures are in
// micro-epsilon (1e-6). EpsilonTotal 0 means the holder set no privacy budget: queries are
// accepted with or without noise and their epsilon is only recorded; DPRequired needs a budget.
type Policy struct {
	AllowedOps      []Op
	AllowedColumns  []string
	MinRows         uint64 // an aggregate must cover at least this many of this dataset's own rows
	EpsilonTotal    uint64 // over the dataset's lifetime, across all grants
	EpsilonPerQuery uint64 // 0: no per-query limit
	DPRequired      bool   // every computation must spend epsilon (the committee adds noise)
	Purposes        []string
	Expiry          Expiry // after it no grant or computation may use the dataset
	Approval        Approval
	Offer           OfferTerms // with Approval offer
	// Pooling says which datasets this one may be pooled with in a grant or computation: "" is
	// PoolingOthers, the default. Omitted when empty, so policies written before it keep their
	// encoding.
	Pooling Pooling `cbor:",omitempty"`
	// DPWhenPooled: every computation that pools this dataset with another must spend epsilon,
	// so that differencing two pooled answers ({A,B} minus {A}) costs this dataset's budget.
	DPWhenPooled bool `cbor:",omitempty"`
}

// Pooling is a policy's rule for pooling its dataset with others in one grant or computation.
type Pooling string

const (
	// PoolingOthers (the default, also spelt ""): with datasets of other holders, never with one
	// held by the requester, whose rows it chooses (padding with zeros, or differencing).
	PoolingOthers Pooling = "others"
	// PoolingNever: only on its own.
	PoolingNever Pooling = "never"
	// PoolingAny: with any dataset, the requester's own included.
	PoolingAny Pooling = "any"
)

// PoolingRule returns p's pooling rule, PoolingOthers when unset.
func (p *Policy) PoolingRule() Pooling {
	if p.Pooling == "" {
		return PoolingOthers
	}
	return p.Pooling
}

// Transfer is one change of holder, of a dataset or a product.
type Transfer struct {
	From, To Address
	Height   int64
}

// Dataset is a listing. Holder carries the data resource holding right.
type Dataset struct {
	ID     string
	Holder Address
	// Lister is the party that registered the dataset: its input proofs are bound to it, and it
	// stays when the holding right is transferred. Empty on a dataset listed before it existed.
	Lister      Address `cbor:",omitempty" json:",omitempty"`
	Name        string
	Description string
	Tags        []string
	Columns     []Column
	Rows        uint64
	Price       uint64 // credits per computation, for grants approved by the holder from now on
	Manifest    Digest // manifest object in storage
	// Commitment binds every chunk commitment of every column; computed by the chain.
	Commitment   Digest
	KeyEpoch     uint64 // the committee key epoch the ciphertexts are encrypted under
	Status       DatasetStatus
	Registered   int64 // height
	Policy       Policy
	EpsilonSpent uint64 // micro-epsilon charged by pending and completed computations
	Transfers    []Transfer
	Reason       string // why it was retired, or why its inputs were refused
	Updated      int64  // height of the last change by its holder
	// Attestations are the committee members' verdicts on its stored inputs, in the order
	// posted, while it was pending (AttestInputs).
	Attestations []InputAttestation `cbor:",omitempty" json:",omitempty"`
}

// Op is an aggregate a grant may allow: spec.Op, which encodes as the same CBOR text string.
// What each op takes and returns is spec's.
type Op = spec.Op

const (
	OpSum        = spec.OpSum
	OpMean       = spec.OpMean
	OpCount      = spec.OpCount
	OpVariance   = spec.OpVariance
	OpStddev     = spec.OpStddev
	OpHistogram  = spec.OpHistogram  // counts of a column's values between Edges
	OpRegression = spec.OpRegression // sufficient statistics (XᵀX, Xᵀy) over Columns, y last
	OpDot        = spec.OpDot        // a column times buyer-supplied encrypted Weights
)

// Ops are every op, in the order they are documented (spec.Ops).
var Ops = spec.Ops

// GrantState is the lifecycle of a usage right.
type GrantState string

const (
	GrantRequested GrantState = "requested"
	GrantActive    GrantState = "active"
	GrantRejected  GrantState = "rejected"
	GrantRevoked   GrantState = "revoked"
	GrantExpired   GrantState = "expired"   // passed its Expiry
	GrantExhausted GrantState = "exhausted" // every use completed
)

// Grant is the data processing and usage right: a grantee may run Ops over Columns of Datasets,
// Uses times, for Purpose, within Epsilon, until Expiry. Every use is a computation; the chain
// lists them by grant (query /computations/grant/ID).
type Grant struct {
	ID       string
	Grantee  Address
	Datasets []string
	Ops      []Op
	Columns  []string
	Purpose  string
	Uses     uint64 // maximum number of computations
	Used     uint64 // computations charged so far (pending ones included)
	Epsilon  uint64 // privacy budget in micro-epsilon; 0: no computation may spend epsilon
	// EpsilonSpent is charged by pending and completed computations.
	EpsilonSpent uint64
	DPRequired   bool // a dataset's policy required differential privacy when requested
	Expiry       Expiry
	State        GrantState
	Holders      []Address // distinct holders of Datasets when requested, sorted
	Approvals    []Address // holders that approved, sorted (those in Offered by the chain on their behalf)
	Offered      []Address // holders whose offer covered the request, sorted
	// Approved are the datasets whose holder approved, in Datasets order; the grant is active
	// when all are. Prices are each dataset's price per use, fixed when it was approved (its
	// listing price, or its offer's price); 0 until then.
	Approved  []bool
	Prices    []uint64
	Reason    string // why it was rejected, revoked or expired
	Requested int64  // height
	Updated   int64  // height of the last state change
}

// ComputationStatus is the lifecycle of a computation.
type ComputationStatus string

const (
	ComputationPending   ComputationStatus = "pending"   // waiting for Threshold members to agree on an output
	ComputationSwitching ComputationStatus = "switching" // output agreed; waiting for the participants' key-switch shares
	ComputationCompleted ComputationStatus = "completed"
	ComputationExpired   ComputationStatus = "expired" // passed its deadline; refunded
	ComputationAborted   ComputationStatus = "aborted" // its grant was revoked, expired or frozen, or a dataset or party frozen; refunded
	// ComputationRefused: Threshold members refused it for its requester's fault (RefuseComputation):
	// its escrow went to the datasets' holders, its use and epsilon stay charged, and no product.
	ComputationRefused ComputationStatus = "refused"
)

// Refusal is a committee member's refusal of a computation for its requester's fault.
type Refusal struct {
	Member Address
	Reason string
	Height int64
}

// Post is a committee member's post for a computation: an output ciphertext digest or a
// key-switch share digest.
type Post struct {
	Member Address
	Digest Digest
	Height int64
	// Noise is, on an output post of a computation with DP noise, the digest of the member's
	// noise dealing: its noise share Shamir-shared over Z_T and sealed to every committee member
	// (mpc), which the participants add in the key switch so every subset adds the same noise.
	Noise Digest `cbor:",omitzero" json:",omitzero"`
}

// Computation is one run of an op over columns of a grant's datasets.
type Computation struct {
	ID        string
	Requester Address
	Grant     string
	Op        Op
	Columns   []string
	// Edges (histogram), Weights, WeightBound and WeightsCommitment (dot) as requested.
	Edges             []int64
	Weights           []Digest
	WeightBound       uint64
	WeightsCommitment Digest `cbor:",omitzero" json:",omitzero"`
	Epsilon           uint64 // micro-epsilon charged to the grant and every dataset; 0: no noise
	Delta             uint64 // micro-delta
	Datasets          []string
	Rows              uint64 // rows over all Datasets: the count, and the divisor of a mean
	Status            ComputationStatus
	Escrow            uint64 // credits taken from the requester; held until completion, then released or refunded
	Deadline          int64  // last height at which outputs and shares are accepted
	Requested         int64
	Finished          int64 // height it completed, expired or was aborted
	// Outputs are the members' output digests and Shares the participants' key-switch shares, in
	// the order posted. Output is the digest spec.Participants members agreed on; Participants
	// are the first spec.Participants members that posted it (2·Threshold − 1 capped at the
	// committee's size without noise, Threshold with noise), in post order: they alone post
	// shares, each one object holding its share for every Threshold-subset of them it is in. Disagreed are
	// members that posted another output. Not set for a count without noise, which the chain
	// answers from the registered row counts.
	Outputs      []Post
	Shares       []Post
	Output       Digest
	Participants []Address
	Disagreed    []Address
	Reason       string // why it expired, was aborted or refused
	// Refusals are the members' refusals for the requester's fault, in the order posted; fewer
	// than Threshold of them are kept for the audit only.
	Refusals []Refusal `cbor:",omitempty" json:",omitempty"`
	// Prices are what each of Datasets costs under the grant (they sum to Escrow): what
	// settlement releases to each dataset's holder.
	Prices  []uint64
	Product string // the product completion issued
	// Settlement (tx_dispute.go): completion holds the escrow for Params.DisputeWindow blocks;
	// SettleAt is the height whose end releases it to the holders unless the requester disputed
	// the computation first. Settled is the height the escrow left (released, or refunded by a
	// resolved dispute); 0 while it is held.
	SettleAt int64
	Settled  int64
	Dispute  *Dispute // the requester's dispute, if it posted one
}

// Dispute is a requester's claim that a completed computation's key-switch shares are wrong
// (mpc.VerifyError): the escrow is withheld, neither released nor refunded, until a regulator
// resolves it. Accused are the participants the requester's client named; Evidence is a digest
// of what it saw (the share objects are in storage under the computation's Shares).
type Dispute struct {
	Accused  []Address
	Evidence Digest
	Height   int64
	Resolved int64  // height a regulator resolved it; 0 while open
	Outcome  string // DisputeRelease or DisputeRefund once resolved
	Reason   string // the regulator's
}

// Dispute outcomes.
const (
	DisputeRelease = "release" // the escrow goes to the holders, as settlement would have
	DisputeRefund  = "refund"  // the escrow goes back to the requester
)

// EscrowHeld reports whether c's escrow is still held: it is under way, or completed and neither
// settled nor refunded by a resolved dispute.
func (c *Computation) EscrowHeld() bool {
	switch c.Status {
	case ComputationPending, ComputationSwitching:
		return true
	case ComputationCompleted:
		return c.Settled == 0
	}
	return false
}

// Product is the data product operating right: a completed computation's result, held by the
// buyer that ran it or a transferee. Its lineage (datasets, grant, computation, output) never
// changes. A product is frozen while it or any of its source datasets is under a hold.
type Product struct {
	ID          string
	Holder      Address
	Computation string
	Grant       string
	Datasets    []string
	Op          Op
	Columns     []string
	Rows        uint64
	Output      Digest    // the agreed output ciphertext; zero for a count the chain answered
	Licensees   []Address // parties the holder licensed to operate it, in order licensed
	Transfers   []Transfer
	Issued      int64 // height
}

// HoldKind is what a regulator can freeze.
type HoldKind string

const (
	HoldParty   HoldKind = "party"
	HoldDataset HoldKind = "dataset"
	HoldGrant   HoldKind = "grant"
	HoldProduct HoldKind = "product"
)

// Hold is a regulator's freeze of one object, in force from Height until Released.
type Hold struct {
	ID            string
	Kind          HoldKind
	Target        string // the party's address or the object's id
	Reason        string
	By            Address
	Height        int64
	Released      int64 // height of the unfreeze; 0 while in force
	ReleasedBy    Address
	ReleaseReason string
}

// ProposalStatus is the lifecycle of a regulator change.
type ProposalStatus string

const (
	ProposalOpen   ProposalStatus = "open"
	ProposalPassed ProposalStatus = "passed"
)

// RegulatorChange is what a proposal does to the set of regulators.
type RegulatorChange string

const (
	RegulatorAdd    RegulatorChange = "add"
	RegulatorRemove RegulatorChange = "remove"
)

// Proposal is a proposed change to the regulators. It passes when a strict majority of the
// regulators at the time of a vote have voted for it (the proposer's vote counts).
type Proposal struct {
	ID       string
	Proposer Address
	Change   RegulatorChange
	Address  Address
	Reason   string
	Votes    []Address // in the order cast
	Status   ProposalStatus
	Proposed int64 // height
	Decided  int64 // height it passed
	// Regulators are the regulators after it passed.
	Regulators []Address
}

// PaymentKind says which way credits moved.
type PaymentKind string

const (
	PaymentEscrow  PaymentKind = "escrow"  // requester to escrow
	PaymentRelease PaymentKind = "release" // escrow to a holder
	PaymentRefund  PaymentKind = "refund"  // escrow back to the requester
)

// Payment is one movement of credits.
type Payment struct {
	Seq         uint64
	Kind        PaymentKind
	Computation string
	From, To    Address // From is empty for a release or refund out of escrow, To is empty for an escrow
	Amount      uint64
	Height      int64
}

// Member is a committee member named in genesis.
type Member struct {
	Address Address
	PubKey  []byte // ed25519
}

// CeremonyShare is a member's post for one step of the key ceremony: digests of the share objects
// it put in storage. The chain does not interpret steps except KeysStep.
type CeremonyShare struct {
	Member  Address
	Step    string
	Digests []Digest
	Height  int64
}

// KeysStep is the last ceremony step: each member posts the digests of the collective keys it
// aggregated. When Threshold members posted identical digests the committee is ready.
const KeysStep = "keys"

// Committee is the compute committee and the state of its key ceremony.
type Committee struct {
	Members   []Member
	Threshold uint32
	Epoch     uint64
	Seed      []byte // public seed of the common reference string for the ceremony
	Shares    []CeremonyShare
	Keys      []Digest // agreed collective key digests, in the order members posted them
	Ready     bool
}

// Params are the chain's fixed parameters, set in genesis.
type Params struct {
	OpeningCredit       uint64 // credited to every party when it registers
	ComputationDeadline int64  // blocks a computation may stay pending before it is refunded
	// DisputeWindow is how many blocks after completion the requester may dispute a computation
	// before its escrow is released to the holders; 0 means DefaultDisputeWindow.
	DisputeWindow      int64
	PlaintextModulus   uint64 // BGV T: a query whose result could reach T/2 is refused
	SlotsPerCiphertext uint64 // values per ciphertext
	MaxGrantDatasets   uint32
	// ProofFee is what a listing pays per proof it carries (chunk, input or frequency table
	// proof alike), from its sender's balance and burned, charged before any proof is verified.
	// At least 1 on a chain that is not a devnet (DefaultProofFee); 0 (free listings) only on a
	// devnet.
	ProofFee uint64 `cbor:",omitempty"`
	// InputProofs says every column must be proven with an input circuit (CircuitInput or
	// CircuitInputHistogram), whose proof shows that each of the column's ciphertexts encrypts
	// exactly the chunk's committed values, and every frequency table must be proven (its
	// column's kind CircuitInputHistogram); a column proven with the chunk circuit, or listing an
	// unproven table, is refused (CodeInputProofRequired).
	// Required on a chain that is not a devnet (with SlotsPerCiphertext = SecureSlots). A devnet
	// may leave it off, which is insecure: a chunk proof ties nothing to the ciphertexts, so an
	// owner can list values it proved in range and encrypt others.
	InputProofs bool `cbor:",omitempty" json:",omitempty"`
	// ProductNoiseBudget bounds the queries with ciphertext × ciphertext products (a variance, a
	// regression) the committee can answer: one with P product terms over r ciphertexts per column
	// in a committee of m members is refused unless r·P·m² ≤ ProductNoiseBudget
	// (spec.CheckProductNoise; CodeProductNoise). The committee could not hide the owners' proven
	// worst-case noise of a larger one behind its smudging, so it would refuse it after the work.
	// mpc.ProductNoiseBudget derives it from the ring's parameters (30,336 at the secure ring).
	// At least 1.
	ProductNoiseBudget uint64
}

// DefaultProofFee is the ProofFee a genesis that is not a devnet should start from.
const DefaultProofFee = 1

// Admission rules: who gives a party its owner or buyer role and its credits (Genesis.Admission).
const (
	// AdmissionOpen: anyone registers itself with any non-privileged role and is credited the
	// opening credit. Only a devnet may have it.
	AdmissionOpen = "open"
	// AdmissionRegulator: a regulator admits each owner and buyer first (AdmitParty), naming its
	// roles, credits and a buyer's RLWE key; RegisterParty then completes what was admitted.
	AdmissionRegulator = "regulator"
)

// Genesis is the application state the chain starts from.
type Genesis struct {
	ChainID string
	Devnet  bool
	// Admission is the admission rule, AdmissionOpen or AdmissionRegulator; "" is open on a
	// devnet and regulator otherwise (see AdmissionRule).
	Admission  string `cbor:",omitempty"`
	Regulators []Address
	Committee  Committee
	Params     Params
	// Circuits is the initial registry of proving circuits (see Circuit); at least one.
	Circuits []Circuit
}

// Msg is the body of a transaction: exactly one field is set. Field numbers are never reused
// (9, the single-phase SubmitResult, is retired).
type Msg struct {
	RegisterParty          *RegisterParty          `cbor:"1,keyasint,omitempty"`
	PostCeremonyShare      *PostCeremonyShare      `cbor:"2,keyasint,omitempty"`
	RegisterDataset        *RegisterDataset        `cbor:"3,keyasint,omitempty"`
	RequestGrant           *RequestGrant           `cbor:"4,keyasint,omitempty"`
	ApproveGrant           *ApproveGrant           `cbor:"5,keyasint,omitempty"`
	RejectGrant            *RejectGrant            `cbor:"6,keyasint,omitempty"`
	RevokeGrant            *RevokeGrant            `cbor:"7,keyasint,omitempty"`
	RequestComputation     *RequestComputation     `cbor:"8,keyasint,omitempty"`
	SubmitOutput           *SubmitOutput           `cbor:"10,keyasint,omitempty"`
	SubmitShare            *SubmitShare            `cbor:"11,keyasint,omitempty"`
	UpdateDataset          *UpdateDataset          `cbor:"12,keyasint,omitempty"`
	SetPolicy              *SetPolicy              `cbor:"13,keyasint,omitempty"`
	RetireDataset          *RetireDataset          `cbor:"14,keyasint,omitempty"`
	TransferHolding        *TransferHolding        `cbor:"15,keyasint,omitempty"`
	TransferProduct        *TransferProduct        `cbor:"16,keyasint,omitempty"`
	LicenseProduct         *LicenseProduct         `cbor:"17,keyasint,omitempty"`
	Freeze                 *Freeze                 `cbor:"18,keyasint,omitempty"`
	Unfreeze               *Unfreeze               `cbor:"19,keyasint,omitempty"`
	ProposeRegulatorChange *ProposeRegulatorChange `cbor:"20,keyasint,omitempty"`
	VoteRegulatorChange    *VoteRegulatorChange    `cbor:"21,keyasint,omitempty"`
	RefuseComputation      *RefuseComputation      `cbor:"24,keyasint,omitempty"`

	// Admission (tx_party.go, issue 14): 25-27.
	AdmitParty *AdmitParty `cbor:"25,keyasint,omitempty"`

	// Input checks (tx_attest.go, issue 15): 28-29.
	AttestInputs *AttestInputs `cbor:"28,keyasint,omitempty"`

	// Key-switch disputes (tx_dispute.go, issue 14 attack 2).
	DisputeComputation *DisputeComputation `cbor:"22,keyasint,omitempty"`
	ResolveDispute     *ResolveDispute     `cbor:"23,keyasint,omitempty"`

	// Setup ceremonies (tx_zkceremony.go); numbered as their codes, 70-79.
	OpenZKCeremony       *OpenZKCeremony       `cbor:"70,keyasint,omitempty"`
	ContributeZKCeremony *ContributeZKCeremony `cbor:"71,keyasint,omitempty"`
	FinishZKCeremony     *FinishZKCeremony     `cbor:"72,keyasint,omitempty"`
}

// RegisterParty registers the sender. Regulator and member roles are accepted only for addresses
// that are regulators or committee members. A buyer names its RLWE public key object.
type RegisterParty struct {
	Roles   []Role
	RLWEKey Digest
}

// AdmitParty, sent by a regulator, admits Address as a party with Roles (owner, buyer or both)
// and Credit credits, and for a buyer the digest of its RLWE public key object. Address then
// registers itself (RegisterParty) with those roles and that key, and is credited Credit. A
// second AdmitParty for an address not yet registered replaces the first.
type AdmitParty struct {
	Address Address
	Roles   []Role
	Credit  uint64
	RLWEKey Digest
}

// Admission is an AdmitParty waiting for its party's RegisterParty.
type Admission struct {
	Address   Address
	Roles     []Role
	Credit    uint64
	RLWEKey   Digest
	Regulator Address // who admitted it
	Height    int64
}

// PostCeremonyShare records the sender's (a committee member's) share digests for one step.
type PostCeremonyShare struct {
	Epoch   uint64
	Step    string
	Digests []Digest
}

// RegisterDataset lists a dataset held by the sender. The chain verifies every chunk proof. Its
// policy starts as ApprovalRequired with no other limit (SetPolicy changes it).
type RegisterDataset struct {
	Name        string
	Description string
	Columns     []Column
	Rows        uint64
	Price       uint64
	Manifest    Digest
	KeyEpoch    uint64
}

// UpdateDataset changes what its holder (the sender) says of a dataset; nil fields are kept.
// A new price applies to grants approved from then on.
type UpdateDataset struct {
	Dataset     string
	Description *string
	Tags        *[]string
	Price       *uint64
}

// SetPolicy replaces a dataset's policy. It applies to grant requests and computations from then on.
type SetPolicy struct {
	Dataset string
	Policy  Policy
}

// RetireDataset ends a listing: no new grants or computations, and computations under way are
// aborted and refunded.
type RetireDataset struct {
	Dataset string
	Reason  string
}

// TransferHolding hands a dataset's holding right to another registered owner. Grants and
// products over it keep their lineage; completions pay whoever holds it then.
type TransferHolding struct {
	Dataset string
	To      Address
}

// RequestGrant asks the holders of Datasets for the right to run Ops over Columns, Uses times,
// for Purpose, spending at most Epsilon (micro-epsilon), until Expiry. A holder whose policy
// offers terms that cover the request approves it at once.
type RequestGrant struct {
	Datasets []string
	Ops      []Op
	Columns  []string
	Uses     uint64
	Purpose  string
	Epsilon  uint64
	Expiry   Expiry
}

type ApproveGrant struct{ Grant string }

type RejectGrant struct {
	Grant  string
	Reason string
}

type RevokeGrant struct {
	Grant  string
	Reason string
}

// RequestComputation runs Op over Columns of every dataset in Grant; the grant's price of each
// dataset is escrowed from the sender and Epsilon is charged to the grant's and every dataset's
// budget. Ops take one column, except regression (x columns then y, at least two). Edges are a
// histogram's bucket edges in the column's scaled units, strictly increasing within its bounds
// [min, max+1]: bucket b counts the values in [Edges[b], Edges[b+1]), 1 to
// spec.MaxHistogramBuckets buckets. A dot product's Weights name one object, the buyer's weights
// sealed to the committee members (mpc.SealWeights), WeightsCommitment is the SHA-256 commitment
// to them (mpc.WeightsCommitment) and WeightBound their largest magnitude: the members check every
// weight against it before they evaluate, and refuse the computation otherwise
// (RefuseComputation). Epsilon and Delta are in micro units.
type RequestComputation struct {
	Grant             string
	Op                Op
	Columns           []string
	Edges             []int64
	Weights           []Digest
	WeightBound       uint64
	WeightsCommitment Digest `cbor:",omitzero"`
	Epsilon           uint64
	Delta             uint64
}

// RefuseComputation is a committee member's refusal of a computation under way for a fault of its
// requester (Reason, one sentence): dot-product weights missing, not opening, off their
// commitment or above the declared bound, or the requester's RLWE key object missing or not
// parsing. Once Threshold members refused, the computation fails as the requester's fault: its
// escrow goes to the datasets' holders, its use and epsilon stay charged, and no product is
// issued. Fewer refusals are recorded for the audit only.
type RefuseComputation struct {
	Computation string
	Reason      string
}

// AttestInputs is a committee member's verdict on the stored inputs of a pending dataset: Valid
// when every object the listing names (each column's ciphertexts and frequency table) is present,
// matches its digest and is what the listing claims, and, for an input column, each chunk's
// listed evaluations are those of its stored ciphertext and the committee's public key at the
// proof's challenge (the chain verified the proof with them); otherwise Reason, one sentence
// naming the first object that is not. Threshold valid verdicts list the dataset; Threshold invalid ones
// refuse it, naming its holder.
type AttestInputs struct {
	Dataset string
	Valid   bool
	Reason  string `cbor:",omitempty"`
}

// SubmitOutput is a committee member's output ciphertext digest for a pending computation.
// Noise is the digest of the member's noise dealing object: required when the computation has DP
// noise (Epsilon > 0), refused otherwise.
type SubmitOutput struct {
	Computation string
	Output      Digest
	Noise       Digest `cbor:",omitzero"`
}

// SubmitShare is a participant's key-switch share digest, toward the buyer's key, for a
// computation whose output the committee agreed.
type SubmitShare struct {
	Computation string
	Share       Digest
}

// TransferProduct hands a product to another registered party.
type TransferProduct struct {
	Product string
	To      Address
}

// LicenseProduct licenses another registered party to operate a product.
type LicenseProduct struct {
	Product string
	To      Address
}

// Freeze puts a regulator's hold on a party, dataset, grant or product.
type Freeze struct {
	Kind   HoldKind
	ID     string
	Reason string
}

// Unfreeze releases the hold in force on an object.
type Unfreeze struct {
	Kind   HoldKind
	ID     string
	Reason string
}

// ProposeRegulatorChange proposes adding or removing a regulator; the proposer votes for it.
type ProposeRegulatorChange struct {
	Change  RegulatorChange
	Address Address
	Reason  string
}

// VoteRegulatorChange is a regulator's vote for an open proposal.
type VoteRegulatorChange struct{ Proposal string }

// Tx is a signed transaction. Sig is the ed25519 signature by PubKey over the canonical encoding
// of the Tx with Sig empty. The sender is the address of PubKey.
type Tx struct {
	ChainID string
	Nonce   uint64
	PubKey  []byte
	Msg     Msg
	Sig     []byte
}

// DisputeComputation is the requester's claim, within the dispute window after completion, that
// the named participants posted wrong key-switch shares: the escrow is withheld and the accused
// are recorded on the computation, until a regulator resolves the dispute. It gains the requester
// nothing by itself: the escrow goes back to it only if a regulator decides so.
type DisputeComputation struct {
	Computation string
	Accused     []Address
	Evidence    Digest
}

// ResolveDispute is a regulator's decision on a disputed computation: Refund sends the escrow back
// to the requester, otherwise it is released to the holders.
type ResolveDispute struct {
	Computation string
	Refund      bool
	Reason      string
}
