package api

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// Prefix is where the versioned API is mounted.
const Prefix = "/api/v1"

// Paging limits of every list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Problem is an RFC 9457 problem document. Code is the chain's stable refusal code
// (rights.Code*) when the chain refused the request, else 0; Detail is the one-sentence reason.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Code     uint32 `json:"code"`
	Instance string `json:"instance,omitempty"`
}

func (p *Problem) Error() string {
	if p.Code != 0 {
		return fmt.Sprintf("%d %s (chain code %d): %s", p.Status, p.Title, p.Code, p.Detail)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
}

// ProblemType is the base of every problem's type URI.
const ProblemType = "https://dxp.dev/problems/"

// Page is one page of a list; NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Health is GET /healthz.
type Health struct {
	Status  string `json:"status"` // "ok" or "unreachable"
	Height  int64  `json:"height,omitempty"`
	ChainID string `json:"chain_id,omitempty"`
}

// Key is one key the token acts for.
type Key struct {
	Name    string         `json:"name"`
	Address rights.Address `json:"address"`
	Roles   []rights.Role  `json:"roles"`
}

// Whoami is GET /whoami.
type Whoami struct {
	Token string `json:"token"` // a key name, or "home"
	Keys  []Key  `json:"keys"`
}

// Committee is the compute committee and its key ceremony.
type Committee struct {
	Members   []rights.Address `json:"members"`
	Threshold uint32           `json:"threshold"`
	Epoch     uint64           `json:"epoch"`
	Ready     bool             `json:"ready"`
	Keys      []string         `json:"keys"`
}

// Circuit is a registered proving circuit.
type Circuit struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	ChunkSize uint64 `json:"chunk_size"`
	Width     uint32 `json:"width"`
	Insecure  bool   `json:"insecure"`
}

// Ceremony is a zk setup ceremony.
type Ceremony struct {
	ID           string           `json:"id"`
	Status       string           `json:"status"`
	ChunkSize    uint64           `json:"chunk_size"`
	Width        uint32           `json:"width"`
	Participants []rights.Address `json:"participants"`
	WaitingFor   string           `json:"waiting_for,omitempty"`
}

// Status is GET /status.
type Status struct {
	ChainID             string     `json:"chain_id"`
	Height              int64      `json:"height"`
	Insecure            bool       `json:"insecure"`
	InputProofsRequired bool       `json:"input_proofs_required"`
	Committee           Committee  `json:"committee"`
	Circuits            []Circuit  `json:"circuits"`
	Ceremonies          []Ceremony `json:"ceremonies"`
}

// CatalogEntry is one dataset in the catalog, with whether the chain verified its proofs.
type CatalogEntry = marketplace.CatalogEntry

// Column is one column of a dataset detail; Min and Max are in the column's units.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Scale   uint32 `json:"scale"`
	Min     string `json:"min"`
	Max     string `json:"max"`
	Proven  bool   `json:"proven"`
	Circuit string `json:"circuit"`
}

// ProofSummary says what proofs a dataset carries and what became of them.
type ProofSummary struct {
	Chunks   int    `json:"chunks"`
	Tables   int    `json:"tables"`
	Verified bool   `json:"verified"`
	Verdict  string `json:"verdict"`
}

// Usage counts a dataset's use.
type Usage struct {
	Computations int `json:"computations"`
	Grants       int `json:"grants"`
}

// DatasetDetail is GET /datasets/{id}.
type DatasetDetail struct {
	CatalogEntry
	Description   string                 `json:"description"`
	ColumnDetails []Column               `json:"column_details"`
	Lister        rights.Address         `json:"lister,omitempty"`
	Registered    int64                  `json:"registered"`
	Commitment    string                 `json:"commitment"`
	ProofSummary  ProofSummary           `json:"proof_summary"`
	Usage         Usage                  `json:"usage"`
	Revenue       uint64                 `json:"revenue"`
	EpsilonSpent  string                 `json:"epsilon_spent"`
	PolicyFile    marketplace.PolicyFile `json:"policy_file"`
	Transfers     []Handover             `json:"transfers"`
	Attestations  []Attestation          `json:"attestations"`
	Reason        string                 `json:"reason,omitempty"`
}

// Verification is POST /datasets/{id}/verify.
type Verification struct {
	Verified bool     `json:"verified"`
	Checked  int      `json:"checked"`
	Problems []string `json:"problems"`
}

// Signer names who signs a write: a key name or address the token acts for.
type Signer struct {
	From string `json:"from"`
}

// Reasoned is a write with a reason recorded on chain.
type Reasoned struct {
	From   string `json:"from"`
	Reason string `json:"reason,omitempty"`
}

// Transfer hands a dataset or product to another party.
type Transfer struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// DatasetUpdate is PATCH /datasets/{id}; absent fields are kept.
type DatasetUpdate struct {
	From        string    `json:"from"`
	Description *string   `json:"description,omitempty"`
	Tags        *[]string `json:"tags,omitempty"`
	Price       *uint64   `json:"price,omitempty"`
}

// PolicyChange is PUT /datasets/{id}/policy.
type PolicyChange struct {
	From   string          `json:"from"`
	Policy json.RawMessage `json:"policy"` // a policy file, as `dxp dataset policy --file` takes
}

// Upload is a CSV stored for a later publish.
type Upload struct {
	ID     string   `json:"id"`
	Bytes  int64    `json:"bytes"`
	SHA256 string   `json:"sha256"`
	Rows   int      `json:"rows"`
	Header []string `json:"header"`
}

// PublishRequest is POST /publish.
type PublishRequest struct {
	From        string          `json:"from"`
	Upload      string          `json:"upload"`
	Schema      json.RawMessage `json:"schema"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Price       uint64          `json:"price"`
}

// JobRef names a job just started.
type JobRef struct {
	Job string `json:"job"`
}

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Progress is how far a job got.
type Progress struct {
	Stage string `json:"stage"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Line  string `json:"line"`
}

// Job is a long piece of work the gateway runs: a publish.
type Job struct {
	ID       string                     `json:"id"`
	Kind     string                     `json:"kind"`
	From     string                     `json:"from"`
	State    string                     `json:"state"`
	Created  time.Time                  `json:"created"`
	Progress Progress                   `json:"progress"`
	Result   *marketplace.PublishResult `json:"result,omitempty"`
	Problem  *Problem                   `json:"problem,omitempty"`
}

// GrantRequest is POST /grants.
type GrantRequest struct {
	From      string   `json:"from"`
	Datasets  []string `json:"datasets"`
	Ops       []string `json:"ops"`
	Columns   []string `json:"columns"`
	Uses      uint64   `json:"uses"`
	Purpose   string   `json:"purpose,omitempty"`
	Epsilon   string   `json:"epsilon,omitempty"`    // e.g. "0.5"
	ExpiresIn string   `json:"expires_in,omitempty"` // a Go duration, e.g. "1h"
}

// Grant is a usage right as the API shows it.
type Grant struct {
	ID           string           `json:"id"`
	Grantee      rights.Address   `json:"grantee"`
	Datasets     []string         `json:"datasets"`
	Holders      []rights.Address `json:"holders"`
	Ops          []rights.Op      `json:"ops"`
	Columns      []string         `json:"columns"`
	Uses         uint64           `json:"uses"`
	Used         uint64           `json:"used"`
	Purpose      string           `json:"purpose"`
	Epsilon      string           `json:"epsilon"`
	EpsilonSpent string           `json:"epsilon_spent"`
	Status       string           `json:"status"`
	Approvals    []rights.Address `json:"approvals"`
	Prices       []uint64         `json:"prices"`
	Reason       string           `json:"reason,omitempty"`
	ExpiresAt    int64            `json:"expires_at,omitempty"` // unix seconds, 0: none
	Requested    int64            `json:"requested"`
}

// GrantOf is g as the API shows it.
func GrantOf(g *rights.Grant) Grant {
	return Grant{ID: g.ID, Grantee: g.Grantee, Datasets: g.Datasets, Holders: g.Holders, Ops: g.Ops, Columns: g.Columns,
		Uses: g.Uses, Used: g.Used, Purpose: g.Purpose, Epsilon: rights.FormatMicro(g.Epsilon),
		EpsilonSpent: rights.FormatMicro(g.EpsilonSpent), Status: string(g.State), Approvals: g.Approvals, Prices: g.Prices,
		Reason: g.Reason, ExpiresAt: g.Expiry.Time, Requested: g.Requested}
}

// ComputationRequest is POST /computations and /computations/quote.
type ComputationRequest struct {
	From    string   `json:"from"`
	Grant   string   `json:"grant"`
	Op      string   `json:"op"`
	Columns []string `json:"columns"`
	Edges   []string `json:"edges,omitempty"`
	Weights []string `json:"weights,omitempty"`
	Epsilon string   `json:"epsilon,omitempty"`
	Delta   string   `json:"delta,omitempty"`
}

// Quote is what a computation would cost and spend; Refused is why the chain would refuse it.
type Quote struct {
	Price    uint64   `json:"price"`
	Rows     uint64   `json:"rows"`
	Epsilon  string   `json:"epsilon"`
	Delta    string   `json:"delta"`
	Datasets []string `json:"datasets"`
	Refused  *Problem `json:"refused"`
}

// ComputationRef is what POST /computations returns once the chain committed the request.
type ComputationRef struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Height int64  `json:"height"`
}

// Computation stages, as the events stream and Computation.Stage name them.
const (
	StageRequested  = "requested"  // committed, the committee has not agreed on an output
	StageSwitching  = "switching"  // output agreed, key-switch shares being posted
	StageDecrypting = "decrypting" // completed on chain, the gateway decrypts
	StageDone       = "done"
	StageFailed     = "failed"
)

// Computation is a computation as the API shows it.
type Computation struct {
	ID           string                     `json:"id"`
	Grant        string                     `json:"grant"`
	Buyer        rights.Address             `json:"buyer"`
	Op           rights.Op                  `json:"op"`
	Columns      []string                   `json:"columns"`
	Datasets     []string                   `json:"datasets"`
	Status       string                     `json:"status"`
	Stage        string                     `json:"stage"`
	Reason       string                     `json:"reason,omitempty"`
	Price        uint64                     `json:"price"`
	Participants []rights.Address           `json:"participants"`
	Height       int64                      `json:"height"`
	Finished     int64                      `json:"finished,omitempty"`
	Result       *marketplace.ComputeResult `json:"result,omitempty"`
	Problem      *Problem                   `json:"problem,omitempty"`
}

// Resolve is POST /computations/{id}/resolve.
type Resolve struct {
	From   string `json:"from"`
	Refund bool   `json:"refund"`
	Reason string `json:"reason,omitempty"`
}

// Flow is one committed transaction the audit explorer lists.
type Flow = marketplace.Flow

// Budget is the epsilon a dataset or grant spent of its limit ("" when unlimited).
type Budget struct {
	ID    string `json:"id"`
	Spent string `json:"spent"`
	Limit string `json:"limit"`
}

// Budgets is GET /audit/budgets.
type Budgets struct {
	Datasets []Budget `json:"datasets"`
	Grants   []Budget `json:"grants"`
}

// HoldRequest is POST /holds and /holds/release.
type HoldRequest struct {
	From   string `json:"from"`
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// ProposalRequest is POST /proposals.
type ProposalRequest struct {
	From   string `json:"from"`
	Change string `json:"change"`
	Who    string `json:"who"`
	Reason string `json:"reason,omitempty"`
}

// Event is one Server-Sent Event of a stream.
type Event struct {
	ID   int64           `json:"id"`
	Type string          `json:"type"` // progress, stage, done or failed
	Data json.RawMessage `json:"data"`
}

// Handover is one transfer of a dataset's holding or of a product.
type Handover struct {
	From   rights.Address `json:"from"`
	To     rights.Address `json:"to"`
	Height int64          `json:"height"`
}

// HandoversOf are ts as the API shows them.
func HandoversOf(ts []rights.Transfer) []Handover {
	out := []Handover{}
	for _, t := range ts {
		out = append(out, Handover{From: t.From, To: t.To, Height: t.Height})
	}
	return out
}

// Attestation is a committee member's verdict on a pending dataset's stored inputs.
type Attestation struct {
	Member rights.Address `json:"member"`
	Valid  bool           `json:"valid"`
	Reason string         `json:"reason,omitempty"`
	Height int64          `json:"height"`
}

// Hold is a regulator's freeze of one object; in force until released. It is the audit report's
// view, so that a hold reads the same in `dxp audit` and through the API.
type Hold = marketplace.AuditHold

// Proposal is a proposed change to the regulators, as the audit report shows it.
type Proposal = marketplace.AuditProposal

// Product is a data product and whether it is frozen now.
type Product struct {
	ID          string           `json:"id"`
	Holder      rights.Address   `json:"holder"`
	Computation string           `json:"computation"`
	Grant       string           `json:"grant"`
	Datasets    []string         `json:"datasets"`
	Op          rights.Op        `json:"op"`
	Columns     []string         `json:"columns"`
	Rows        uint64           `json:"rows"`
	Licensees   []rights.Address `json:"licensees"`
	Transfers   []Handover       `json:"transfers"`
	Issued      int64            `json:"issued"`
	Frozen      bool             `json:"frozen"`
	FrozenBy    []string         `json:"frozen_by,omitempty"`
}

// ProductOf is p as the API shows it.
func ProductOf(p *marketplace.ProductView) Product {
	return Product{ID: p.ID, Holder: p.Holder, Computation: p.Computation, Grant: p.Grant, Datasets: p.Datasets, Op: p.Op,
		Columns: p.Columns, Rows: p.Rows, Licensees: p.Licensees, Transfers: HandoversOf(p.Transfers), Issued: p.Issued,
		Frozen: p.Frozen, FrozenBy: p.FrozenBy}
}
