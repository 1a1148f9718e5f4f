package rights

import (
	"encoding/hex"
	"fmt"
)

// Address names a party: the lower-case hex of the first 20 bytes of the SHA-256 of its ed25519
// public key.
type Address string

// Digest is the SHA-256 of an object in storage. The chain holds digests; storage holds bytes.
type Digest [32]byte

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d was never set.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText writes the hex form, so digests read as hex in JSON.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the hex form.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDigest reads the 64-character hex form written by Digest.String.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("rights: %q is not a 64-character hex SHA-256 digest", s)
	}
	copy(d[:], b)
	return d, nil
}

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
	Chunks      []Chunk  // one per ListingChunkSize rows, in row order
}

// Chunk is the listing proof for a run of ListingChunkSize values of one column.
type Chunk struct {
	Commitment []byte // 32-byte big-endian BN254 field element: salted Poseidon2 over the values
	Proof      []byte // Groth16 proof (gnark serialization)
}

// DatasetStatus is the lifecycle of a listing.
type DatasetStatus string

const (
	DatasetListed DatasetStatus = "listed"
)

// Dataset is a listing. Holder carries the data resource holding right.
type Dataset struct {
	ID          string
	Holder      Address
	Name        string
	Description string
	Columns     []Column
	Rows        uint64
	Price       uint64 // credits per computation that uses it
	Manifest    Digest // manifest object in storage
	// Commitment binds every chunk commitment of every column; computed by the chain.
	Commitment Digest
	KeyEpoch   uint64 // the committee key epoch the ciphertexts are encrypted under
	Status     DatasetStatus
	Registered int64 // height
}

// Op is an aggregate a grant may allow.
type Op string

const (
	OpSum   Op = "sum"
	OpMean  Op = "mean"
	OpCount Op = "count"
)

// GrantState is the lifecycle of a usage right.
type GrantState string

const (
	GrantRequested GrantState = "requested"
	GrantActive    GrantState = "active"
	GrantRejected  GrantState = "rejected"
	GrantRevoked   GrantState = "revoked"
)

// Grant is the data processing and usage right: a grantee may run Ops over Columns of Datasets,
// Uses times.
type Grant struct {
	ID        string
	Grantee   Address
	Datasets  []string
	Ops       []Op
	Columns   []string
	Uses      uint64 // maximum number of computations
	Used      uint64 // computations charged so far (pending ones included)
	State     GrantState
	Holders   []Address // distinct holders of Datasets when requested, sorted
	Approvals []Address // holders that approved, sorted
	Reason    string    // why it was rejected or revoked
	Requested int64     // height
	Updated   int64     // height of the last state change
}

// ComputationStatus is the lifecycle of a computation.
type ComputationStatus string

const (
	ComputationPending   ComputationStatus = "pending"
	ComputationCompleted ComputationStatus = "completed"
	ComputationExpired   ComputationStatus = "expired" // passed its deadline; refunded
	ComputationAborted   ComputationStatus = "aborted" // its grant was revoked; refunded
)

// MemberResult is what one committee member posted for a computation: the digest of the output
// ciphertext it evaluated and of its key-switch share toward the buyer.
type MemberResult struct {
	Member Address
	Output Digest
	Share  Digest
	Height int64
}

// Computation is one run of an op over a column of a grant's datasets.
type Computation struct {
	ID        string
	Requester Address
	Grant     string
	Op        Op
	Column    string
	Datasets  []string
	Rows      uint64 // rows over all Datasets: the count, and the divisor of a mean
	Status    ComputationStatus
	Escrow    uint64 // credits taken from the requester; held while pending, then released or refunded
	Deadline  int64  // last height at which results are accepted
	Requested int64
	Finished  int64 // height it completed, expired or was aborted
	Results   []MemberResult
	// Output is the output ciphertext digest that Threshold members agreed on; Participants are
	// those members. Both are set when the computation completes (not for count, which the chain
	// answers from the registered row counts).
	Output       Digest
	Participants []Address
	Reason       string // why it expired or was aborted
	// Prices are the price of each of Datasets when the computation was requested (they sum to
	// Escrow): what completion releases to each dataset's holder.
	Prices []uint64
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
	PlaintextModulus    uint64 // BGV T: a query whose result could reach T/2 is refused
	SlotsPerCiphertext  uint64 // values per ciphertext
	ListingChunkSize    uint64 // values per listing proof
	ListingVK           []byte // Groth16 verifying key of the listing circuit
	ListingPK           Digest // its proving key, an object in storage
	ListingSetup        string // "insecure-devnet" or the ceremony transcript digest
	MaxGrantDatasets    uint32
}

// Genesis is the application state the chain starts from.
type Genesis struct {
	ChainID    string
	Devnet     bool
	Regulators []Address
	Committee  Committee
	Params     Params
}

// Msg is the body of a transaction: exactly one field is set.
type Msg struct {
	RegisterParty      *RegisterParty      `cbor:"1,keyasint,omitempty"`
	PostCeremonyShare  *PostCeremonyShare  `cbor:"2,keyasint,omitempty"`
	RegisterDataset    *RegisterDataset    `cbor:"3,keyasint,omitempty"`
	RequestGrant       *RequestGrant       `cbor:"4,keyasint,omitempty"`
	ApproveGrant       *ApproveGrant       `cbor:"5,keyasint,omitempty"`
	RejectGrant        *RejectGrant        `cbor:"6,keyasint,omitempty"`
	RevokeGrant        *RevokeGrant        `cbor:"7,keyasint,omitempty"`
	RequestComputation *RequestComputation `cbor:"8,keyasint,omitempty"`
	SubmitResult       *SubmitResult       `cbor:"9,keyasint,omitempty"`
}

// RegisterParty registers the sender. Regulator and member roles are accepted only for addresses
// named in genesis. A buyer names its RLWE public key object.
type RegisterParty struct {
	Roles   []Role
	RLWEKey Digest
}

// PostCeremonyShare records the sender's (a committee member's) share digests for one step.
type PostCeremonyShare struct {
	Epoch   uint64
	Step    string
	Digests []Digest
}

// RegisterDataset lists a dataset held by the sender. The chain verifies every chunk proof.
type RegisterDataset struct {
	Name        string
	Description string
	Columns     []Column
	Rows        uint64
	Price       uint64
	Manifest    Digest
	KeyEpoch    uint64
}

// RequestGrant asks the holders of Datasets for the right to run Ops over Columns, Uses times.
type RequestGrant struct {
	Datasets []string
	Ops      []Op
	Columns  []string
	Uses     uint64
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

// RequestComputation runs Op over Column of every dataset in Grant; the price of each dataset is
// escrowed from the sender.
type RequestComputation struct {
	Grant  string
	Op     Op
	Column string
}

// SubmitResult is a committee member's output and key-switch share for a pending computation.
type SubmitResult struct {
	Computation string
	Output      Digest
	Share       Digest
}

// Tx is a signed transaction. Sig is the ed25519 signature by PubKey over the canonical encoding
// of the Tx with Sig empty. The sender is the address of PubKey.
type Tx struct {
	ChainID string
	Nonce   uint64
	PubKey  []byte
	Msg     Msg
	Sig     []byte
}
