package marketplace

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// AuditReport is every flow on the chain, as a regulator sees it. Proofs and commitments are
// re-verified here, by the auditor, not taken from the chain's word; so are the credit supply and
// the privacy budgets.
type AuditReport struct {
	ChainID          string              `json:"chain_id"`
	Height           int64               `json:"height"`
	Auditor          rights.Address      `json:"auditor"`
	Regulators       []rights.Address    `json:"regulators"` // current: genesis' as changed by votes
	Committee        AuditCommittee      `json:"committee"`
	Datasets         []AuditDataset      `json:"datasets"`
	Grants           []AuditGrant        `json:"grants"`
	Computations     []AuditComputation  `json:"computations"`
	Payments         []AuditPayment      `json:"payments"`
	Products         []AuditProduct      `json:"products"`
	Holds            []AuditHold         `json:"holds"`
	RegulatorChanges []AuditProposal     `json:"regulator_changes"`
	Epsilon          AuditEpsilon        `json:"epsilon"`
	Supply           AuditSupply         `json:"supply"`
	Balances         map[string]uint64   `json:"balances"`
	Problems         []string            `json:"problems"`
	Parties          map[string][]string `json:"parties"` // address -> roles
}

type AuditCommittee struct {
	Members   []rights.Address `json:"members"`
	Threshold uint32           `json:"threshold"`
	Epoch     uint64           `json:"epoch"`
	Ready     bool             `json:"ready"`
	Keys      []rights.Digest  `json:"keys"`
	// Setup summarises where the registered circuits' proving keys came from: the distinct
	// setups of Circuits, comma-separated.
	Setup    string         `json:"proof_setup"`
	Circuits []AuditCircuit `json:"circuits"`
}

// AuditCircuit is one registered proving circuit.
type AuditCircuit struct {
	ID        string        `json:"id"`
	ChunkSize uint64        `json:"chunk_size"`
	Width     uint32        `json:"width"`
	Setup     string        `json:"setup"`
	PK        rights.Digest `json:"proving_key"`
}

type AuditDataset struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Holder        rights.Address    `json:"holder"`
	Columns       []string          `json:"columns"`
	Tags          []string          `json:"tags,omitempty"`
	Rows          uint64            `json:"rows"`
	Price         uint64            `json:"price"`
	Status        string            `json:"status"`
	Frozen        bool              `json:"frozen"`
	Approval      string            `json:"approval"`
	EpsilonSpent  string            `json:"epsilon_spent"`
	EpsilonTotal  string            `json:"epsilon_total,omitempty"`
	Transfers     []rights.Transfer `json:"transfers,omitempty"`
	Commitment    rights.Digest     `json:"commitment"`
	Manifest      rights.Digest     `json:"manifest"`
	Chunks        int               `json:"chunks"` // chunk proofs re-verified
	Tables        int               `json:"tables"` // frequency-table proofs re-verified
	ProofVerified bool              `json:"proof_verified"`
	Registered    int64             `json:"registered_height"`
}

type AuditGrant struct {
	ID           string           `json:"id"`
	Grantee      rights.Address   `json:"grantee"`
	Datasets     []string         `json:"datasets"`
	Ops          []rights.Op      `json:"ops"`
	Columns      []string         `json:"columns"`
	Purpose      string           `json:"purpose,omitempty"`
	Uses         uint64           `json:"uses"`
	Used         uint64           `json:"used"`
	Epsilon      string           `json:"epsilon_budget"`
	EpsilonSpent string           `json:"epsilon_spent"`
	Expiry       rights.Expiry    `json:"expiry"`
	Prices       []uint64         `json:"prices"`
	State        string           `json:"state"`
	Frozen       bool             `json:"frozen"`
	Holders      []rights.Address `json:"holders"`
	Approvals    []rights.Address `json:"approvals"`
	Offered      []rights.Address `json:"approved_by_offer,omitempty"`
	Reason       string           `json:"reason,omitempty"`
	Requested    int64            `json:"requested_height"`
}

type AuditComputation struct {
	ID           string           `json:"id"`
	Requester    rights.Address   `json:"requester"`
	Grant        string           `json:"grant"`
	Op           rights.Op        `json:"op"`
	Column       string           `json:"column"` // the columns, comma-separated
	Columns      []string         `json:"columns"`
	Epsilon      string           `json:"epsilon,omitempty"`
	Datasets     []string         `json:"datasets"`
	Rows         uint64           `json:"rows"`
	Status       string           `json:"status"`
	ResultDigest string           `json:"result_digest,omitempty"`
	Members      []rights.Address `json:"members"`
	Disagreed    []rights.Address `json:"disagreed,omitempty"`
	// Refusals are the members' refusals for the requester's fault (all of them: fewer than
	// the threshold are kept for the audit only).
	Refusals  []rights.Refusal `json:"refusals,omitempty"`
	Product   string           `json:"product,omitempty"`
	Escrow    uint64           `json:"price"`
	Requested int64            `json:"requested_height"`
	Finished  int64            `json:"finished_height,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	// Settled is the height the escrow left after completion (0: held, in the dispute window or
	// a dispute); Accused are the participants the requester's dispute named, and Dispute is
	// "open" or the regulator's outcome.
	Settled int64            `json:"settled_height,omitempty"`
	Accused []rights.Address `json:"accused,omitempty"`
	Dispute string           `json:"dispute,omitempty"`
}

type AuditPayment struct {
	Seq         uint64         `json:"seq"`
	Kind        string         `json:"kind"`
	Computation string         `json:"computation"`
	From        rights.Address `json:"from,omitempty"`
	To          rights.Address `json:"to,omitempty"`
	Amount      uint64         `json:"amount"`
	Height      int64          `json:"height"`
}

type AuditProduct struct {
	ID          string            `json:"id"`
	Holder      rights.Address    `json:"holder"`
	Computation string            `json:"computation"`
	Grant       string            `json:"grant"`
	Datasets    []string          `json:"datasets"`
	Op          rights.Op         `json:"op"`
	Columns     []string          `json:"columns"`
	Output      string            `json:"output_digest,omitempty"`
	Licensees   []rights.Address  `json:"licensees,omitempty"`
	Transfers   []rights.Transfer `json:"transfers,omitempty"`
	Frozen      bool              `json:"frozen"`
	FrozenBy    []string          `json:"frozen_by,omitempty"` // hold ids, on it or on a source dataset
	Issued      int64             `json:"issued_height"`
}

// AuditHold is a regulator's freeze of one object, in force until released: the audit report's
// and the gateway's view of a rights.Hold.
type AuditHold struct {
	ID            string         `json:"id"`
	Kind          string         `json:"kind"`
	Target        string         `json:"target"`
	Reason        string         `json:"reason"`
	By            rights.Address `json:"by"`
	Height        int64          `json:"height"`
	InForce       bool           `json:"in_force"`
	Released      int64          `json:"released_height,omitempty"`
	ReleasedBy    rights.Address `json:"released_by,omitempty"`
	ReleaseReason string         `json:"release_reason,omitempty"`
}

// AuditHoldOf is h as the audit report and the gateway show it.
func AuditHoldOf(h *rights.Hold) AuditHold {
	return AuditHold{ID: h.ID, Kind: string(h.Kind), Target: h.Target, Reason: h.Reason, By: h.By,
		Height: h.Height, InForce: h.Released == 0, Released: h.Released, ReleasedBy: h.ReleasedBy, ReleaseReason: h.ReleaseReason}
}

// AuditProposal is a proposed change to the regulators and its votes: the audit report's and the
// gateway's view of a rights.Proposal.
type AuditProposal struct {
	ID         string           `json:"id"`
	Change     string           `json:"change"`
	Address    rights.Address   `json:"address"`
	Proposer   rights.Address   `json:"proposer"`
	Reason     string           `json:"reason,omitempty"`
	Votes      []rights.Address `json:"votes"`
	Status     string           `json:"status"`
	Proposed   int64            `json:"proposed_height"`
	Decided    int64            `json:"decided_height,omitempty"`
	Regulators []rights.Address `json:"regulators_after,omitempty"`
}

// AuditProposalOf is p as the audit report and the gateway show it.
func AuditProposalOf(p *rights.Proposal) AuditProposal {
	return AuditProposal{ID: p.ID, Change: string(p.Change), Address: p.Address, Proposer: p.Proposer, Reason: p.Reason,
		Votes: p.Votes, Status: string(p.Status), Proposed: p.Proposed, Decided: p.Decided, Regulators: p.Regulators}
}

// AuditEpsilon is the privacy budget spent, per grant and per dataset, as decimals.
type AuditEpsilon struct {
	Grants   map[string]string `json:"grants"`
	Datasets map[string]string `json:"datasets"`
}

// AuditSupply checks that credits were neither made nor lost: every party's balance plus the
// escrow of computations under way plus the listing fees burned equals the credits handed out
// at registration (the opening credit, or what a regulator's admission granted).
type AuditSupply struct {
	Balances  uint64 `json:"balances"`
	Escrow    uint64 `json:"escrow"`
	Fees      uint64 `json:"fees_burned"`
	Opening   uint64 `json:"opening_credits"`
	Conserved bool   `json:"conserved"`
}

// Audit collects every flow on the chain for the regulator From and re-verifies every chunk and
// input proof, every proven frequency table (its proof at the column's α, recomputed from the
// listing, and the sum check), dataset commitment, the credit supply and the privacy budgets.
func (s *Session) Audit(ctx context.Context, from string) (*AuditReport, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	gen, err := client.Get[rights.Genesis](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	regs, err := client.List[rights.Address](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(regs, k.Address()) {
		return nil, fmt.Errorf("key %q (%s) is not a regulator", from, k.Address())
	}
	if _, err := s.Register(ctx, k); err != nil {
		return nil, err
	}
	r := &AuditReport{ChainID: gen.ChainID, Auditor: k.Address(), Regulators: regs,
		Balances: map[string]uint64{}, Parties: map[string][]string{}, Problems: []string{},
		Datasets: []AuditDataset{}, Grants: []AuditGrant{}, Computations: []AuditComputation{}, Payments: []AuditPayment{},
		Products: []AuditProduct{}, Holds: []AuditHold{}, RegulatorChanges: []AuditProposal{},
		Epsilon: AuditEpsilon{Grants: map[string]string{}, Datasets: map[string]string{}}}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if r.Height, err = s.Chain.Height(ctx); err != nil {
		return nil, err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	r.Committee = AuditCommittee{Threshold: committee.Threshold, Epoch: committee.Epoch, Ready: committee.Ready,
		Keys: committee.Keys, Circuits: []AuditCircuit{}}
	for _, m := range committee.Members {
		r.Committee.Members = append(r.Committee.Members, m.Address)
	}
	circuits, err := client.List[rights.Circuit](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	registered := map[string]rights.Circuit{}
	var setups []string
	for _, c := range circuits {
		registered[c.ID()] = c
		r.Committee.Circuits = append(r.Committee.Circuits, AuditCircuit{ID: c.ID(), ChunkSize: c.ChunkSize, Width: c.Width, Setup: c.Setup, PK: c.PK})
		if !slices.Contains(setups, c.Setup) {
			setups = append(setups, c.Setup)
		}
		if c.Setup == rights.InsecureDevnetSetup {
			problem("circuit %s uses the insecure devnet setup: whoever ran it could forge its proofs", c.ID())
		}
	}
	r.Committee.Setup = strings.Join(setups, ",")
	if gen.Params.SlotsPerCiphertext < mpc.SecureSlots {
		problem("the chain's ring of %d values per ciphertext is INSECURE (below %d): its ciphertexts can be decrypted without the committee", gen.Params.SlotsPerCiphertext, mpc.SecureSlots)
	}

	holds, err := client.List[rights.Hold](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	inForce := map[string]string{} // kind/target -> hold id
	for _, h := range holds {
		r.Holds = append(r.Holds, AuditHoldOf(&h))
		if h.Released == 0 {
			inForce[string(h.Kind)+"/"+h.Target] = h.ID
		}
	}
	frozen := func(kind rights.HoldKind, id string) string { return inForce[string(kind)+"/"+id] }

	datasets, err := client.List[rights.Dataset](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	for _, ds := range datasets {
		a := AuditDataset{ID: ds.ID, Name: ds.Name, Holder: ds.Holder, Tags: ds.Tags, Rows: ds.Rows, Price: ds.Price,
			Status: string(ds.Status), Frozen: frozen(rights.HoldDataset, ds.ID) != "", Approval: string(ds.Policy.Approval),
			EpsilonSpent: rights.FormatMicro(ds.EpsilonSpent), Transfers: ds.Transfers,
			Commitment: ds.Commitment, Manifest: ds.Manifest, Registered: ds.Registered}
		if t := ds.Policy.EpsilonTotal; t > 0 {
			a.EpsilonTotal = rights.FormatMicro(t)
			if ds.EpsilonSpent > t {
				problem("dataset %s spent epsilon %s, past its budget %s", ds.ID, a.EpsilonSpent, a.EpsilonTotal)
			}
		}
		r.Epsilon.Datasets[ds.ID] = a.EpsilonSpent
		for i := range ds.Columns {
			a.Columns = append(a.Columns, ds.Columns[i].Name)
		}
		var problems []string
		a.Chunks, a.Tables, problems = verifyDataset(&ds, registered, committee, gen.Params.SlotsPerCiphertext)
		for _, p := range problems {
			problem("%s", p)
		}
		a.ProofVerified = len(problems) == 0
		r.Datasets = append(r.Datasets, a)
	}

	grants, err := client.List[rights.Grant](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		a := AuditGrant{ID: g.ID, Grantee: g.Grantee, Datasets: g.Datasets, Ops: g.Ops, Columns: g.Columns, Purpose: g.Purpose,
			Uses: g.Uses, Used: g.Used, Epsilon: rights.FormatMicro(g.Epsilon), EpsilonSpent: rights.FormatMicro(g.EpsilonSpent),
			Expiry: g.Expiry, Prices: g.Prices, State: string(g.State), Frozen: frozen(rights.HoldGrant, g.ID) != "",
			Holders: g.Holders, Approvals: g.Approvals, Offered: g.Offered, Reason: g.Reason, Requested: g.Requested}
		r.Grants = append(r.Grants, a)
		r.Epsilon.Grants[g.ID] = a.EpsilonSpent
		if g.Used > g.Uses {
			problem("grant %s used %d times, past its %d uses", g.ID, g.Used, g.Uses)
		}
		if g.EpsilonSpent > g.Epsilon {
			problem("grant %s spent epsilon %s, past its budget %s", g.ID, a.EpsilonSpent, a.Epsilon)
		}
	}

	comps, err := client.List[rights.Computation](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	var escrow uint64
	for _, c := range comps {
		a := AuditComputation{ID: c.ID, Requester: c.Requester, Grant: c.Grant, Op: c.Op, Column: strings.Join(c.Columns, ","),
			Columns: c.Columns, Datasets: c.Datasets, Rows: c.Rows, Status: string(c.Status), Members: c.Participants,
			Disagreed: c.Disagreed, Product: c.Product, Escrow: c.Escrow, Requested: c.Requested, Finished: c.Finished, Reason: c.Reason,
			Refusals: c.Refusals}
		if c.Epsilon > 0 {
			a.Epsilon = rights.FormatMicro(c.Epsilon)
		}
		a.Settled = c.Settled
		if d := c.Dispute; d != nil {
			a.Accused, a.Dispute = d.Accused, "open"
			if d.Resolved != 0 {
				a.Dispute = d.Outcome
			}
		}
		if !c.Output.IsZero() {
			a.ResultDigest = c.Output.String()
		}
		if c.EscrowHeld() { // under way, or completed within its dispute window or disputed
			escrow += c.Escrow
		}
		r.Computations = append(r.Computations, a)
	}

	products, err := client.List[rights.Product](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	for _, p := range products {
		a := AuditProduct{ID: p.ID, Holder: p.Holder, Computation: p.Computation, Grant: p.Grant, Datasets: p.Datasets,
			Op: p.Op, Columns: p.Columns, Licensees: p.Licensees, Transfers: p.Transfers, Issued: p.Issued}
		if !p.Output.IsZero() {
			a.Output = p.Output.String()
		}
		if h := frozen(rights.HoldProduct, p.ID); h != "" {
			a.FrozenBy = append(a.FrozenBy, h)
		}
		for _, d := range p.Datasets {
			if h := frozen(rights.HoldDataset, d); h != "" {
				a.FrozenBy = append(a.FrozenBy, h)
			}
		}
		a.Frozen = len(a.FrozenBy) > 0
		r.Products = append(r.Products, a)
	}

	proposals, err := client.List[rights.Proposal](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	for _, p := range proposals {
		r.RegulatorChanges = append(r.RegulatorChanges, AuditProposalOf(&p))
	}

	payments, err := client.List[rights.Payment](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	for _, p := range payments {
		r.Payments = append(r.Payments, AuditPayment{Seq: p.Seq, Kind: string(p.Kind), Computation: p.Computation,
			From: p.From, To: p.To, Amount: p.Amount, Height: p.Height})
	}
	parties, err := client.List[rights.Party](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	for _, p := range parties {
		r.Balances[string(p.Address)] = p.Balance
		r.Supply.Balances += p.Balance
		r.Supply.Fees += p.FeesPaid
		r.Supply.Opening += p.Credited
		for _, role := range p.Roles {
			r.Parties[string(p.Address)] = append(r.Parties[string(p.Address)], string(role))
		}
	}
	r.Supply.Escrow = escrow
	r.Supply.Conserved = r.Supply.Balances+r.Supply.Escrow+r.Supply.Fees == r.Supply.Opening
	if !r.Supply.Conserved {
		problem("credit supply: balances %d + escrow %d + fees burned %d != credits handed out %d", r.Supply.Balances, r.Supply.Escrow, r.Supply.Fees, r.Supply.Opening)
	}
	return r, nil
}

// verifyDataset re-verifies dataset ds as the audit does: its commitment over its chunk
// commitments, and every column's proofs (auditColumn). It returns how many chunk proofs it
// verified and one sentence per problem.
func verifyDataset(ds *rights.Dataset, registered map[string]rights.Circuit, committee *rights.Committee, slots uint64) (chunks, tables int, problems []string) {
	if VerifyDatasetCommitment(ds) != nil {
		problems = append(problems, fmt.Sprintf("dataset %s: its commitment does not bind its chunk commitments", ds.ID))
	}
	for i := range ds.Columns {
		n, t, ps := auditColumn(Verifier{}, ds, &ds.Columns[i], registered, committee, slots)
		chunks, tables = chunks+n, tables+t
		problems = append(problems, ps...)
	}
	return chunks, tables, problems
}

// DatasetVerdict is what VerifyDataset found.
type DatasetVerdict struct {
	Verified bool     `json:"verified"`
	Checked  int      `json:"checked"` // chunk and frequency-table proofs verified, plus the commitment
	Problems []string `json:"problems"`
}

// VerifyDataset re-verifies one dataset's proofs and commitment now, from the chain alone, as the
// audit report does for every dataset.
func (s *Session) VerifyDataset(ctx context.Context, id string) (*DatasetVerdict, error) {
	ds, err := client.Get[rights.Dataset](ctx, s.Chain, id)
	if err != nil {
		return nil, err
	}
	gen, err := client.Get[rights.Genesis](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	circuits, err := client.List[rights.Circuit](ctx, s.Chain)
	if err != nil {
		return nil, err
	}
	registered := map[string]rights.Circuit{}
	for _, c := range circuits {
		registered[c.ID()] = c
	}
	chunks, tables, problems := verifyDataset(ds, registered, committee, gen.Params.SlotsPerCiphertext)
	if problems == nil {
		problems = []string{}
	}
	return &DatasetVerdict{Verified: len(problems) == 0, Checked: chunks + tables + 1, Problems: problems}, nil
}

// VerifyDatasetCommitment recomputes the dataset commitment from its chunk commitments, as the
// chain does when it registers the dataset: SHA-256 over every chunk commitment, column by column.
func VerifyDatasetCommitment(ds *rights.Dataset) error {
	if got := rights.DatasetCommitment(ds.Columns); got != ds.Commitment {
		return fmt.Errorf("dataset %s commitment %s, recomputed %s", ds.ID, ds.Commitment, got)
	}
	return nil
}

// auditColumn re-verifies the proofs of column c of dataset ds as the chain did when it listed
// it, with v (Verifier in Audit), against the registered circuits, the committee's current key and
// a ring of slots values per ciphertext. It returns how many chunk and frequency-table proofs it
// verified and one sentence per problem, each naming the dataset and the column.
func auditColumn(v rights.Verifier, ds *rights.Dataset, c *rights.Column, registered map[string]rights.Circuit, committee *rights.Committee, slots uint64) (chunks, tables int, problems []string) {
	problem := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("dataset %s column %s", ds.ID, c.Name)+fmt.Sprintf(format, args...))
	}
	id := rights.KindCircuitID(c.Kind, c.ChunkSize, c.Width)
	circuit, ok := registered[id]
	if !ok || c.Width < rights.ColumnWidth(c.Min, c.Max) {
		problem(" names circuit %s, which is not registered or too narrow for its bounds", id)
		return 0, 0, problems
	}
	input := c.Kind == rights.CircuitInput || c.Kind == rights.CircuitInputHistogram
	if input && (ds.KeyEpoch != committee.Epoch || len(committee.Keys) == 0) {
		// Its proofs are bound to the key of its epoch, which the chain no longer lists.
		problem(": its input proofs are bound to the key of epoch %d, and the committee is at epoch %d", ds.KeyEpoch, committee.Epoch)
		return 0, 0, problems
	}
	var hist *auditHistogram
	if c.Kind == rights.CircuitInputHistogram {
		var reason string
		if hist, reason = newAuditHistogram(v, ds, c, registered, slots); reason != "" {
			problem(" frequency table: %s", reason)
			return 0, 0, problems
		}
	}
	for i, ch := range c.Chunks {
		chunks++
		var err error
		switch {
		case hist != nil:
			claim := InputClaim(ds.Rows, c, i, committee.Keys[0], ds.Lister)
			claim.Histogram = &rights.HistogramClaim{Side: rights.HistogramColumn, Alpha: hist.alpha, Min: hist.table.Min, Bin: hist.table.Bin, Sum: ch.HistogramSum}
			err = v.VerifyInput(circuit.VK, claim, ch.Proof)
		case input:
			err = v.VerifyInput(circuit.VK, InputClaim(ds.Rows, c, i, committee.Keys[0], ds.Lister), ch.Proof)
		default:
			err = v.VerifyChunk(circuit.VK, ch.Proof, ch.Commitment, c.Min, c.Max)
		}
		if err != nil {
			problem(" chunk %d: %v", i+1, err)
		}
	}
	if hist == nil {
		return chunks, 0, problems
	}
	f := hist.table
	claim := &rights.InputClaim{Slots: slots, Width: f.Width, Commitment: f.Commitment, Min: 0, Max: int64(ds.Rows), Rows: slots,
		Key: committee.Keys[0], Holder: ds.Lister, Ciphertext: f.Table, Evaluations: f.Evaluations,
		Histogram: &rights.HistogramClaim{Side: rights.HistogramTable, Alpha: hist.alpha, Sum: f.Sum}}
	if err := v.VerifyInput(hist.vk, claim, f.Proof); err != nil {
		problem(" frequency table: its proof does not verify under circuit %s: %v", hist.circuit, err)
	}
	sums := make([][]byte, len(c.Chunks))
	for i := range c.Chunks {
		sums[i] = c.Chunks[i].HistogramSum
	}
	if err := v.CheckHistogram(sums, f.Sum); err != nil {
		problem(" frequency table: it is not the histogram of the column's committed values: %v", err)
	}
	return chunks, 1, problems
}

// auditHistogram is what the audit re-verifies a histogram input column's proofs with: its
// frequency table, the registered frequency-table circuit, and α as the chain draws it.
type auditHistogram struct {
	table   *rights.FrequencyTable
	circuit string // the table circuit's id
	vk      []byte
	alpha   []byte
}

// newAuditHistogram returns the histogram check of column c (rights.CircuitInputHistogram), or
// why it cannot be made: the table or its proof missing, its circuit not registered or too narrow
// for counts up to the dataset's rows, or chunk or table commitments α cannot be drawn from. α is
// recomputed from the listing, never read from it: v.HistogramChallenge over the column's
// identity (rights.HistogramContext of the lister and the column's name), its chunk commitments in
// row order, the table's commitment, Min and Bin.
func newAuditHistogram(v rights.Verifier, ds *rights.Dataset, c *rights.Column, registered map[string]rights.Circuit, slots uint64) (*auditHistogram, string) {
	f := c.Frequencies
	if f == nil || len(f.Commitment) == 0 || len(f.Proof) == 0 || len(f.Evaluations) == 0 || len(f.Sum) == 0 {
		return nil, fmt.Sprintf("missing or without its proof, which a column of kind %s requires", c.Kind)
	}
	id := rights.KindCircuitID(rights.CircuitFrequencyTable, slots, f.Width)
	circuit, ok := registered[id]
	if !ok || f.Width < rights.ColumnWidth(0, int64(ds.Rows)) {
		return nil, fmt.Sprintf("it names circuit %s, which is not registered or too narrow for counts up to %d rows", id, ds.Rows)
	}
	commitments := make([][]byte, len(c.Chunks))
	for i := range c.Chunks {
		commitments[i] = c.Chunks[i].Commitment
	}
	alpha, err := v.HistogramChallenge(rights.HistogramContext(ds.Lister, c.Name), commitments, f.Commitment, f.Min, f.Bin)
	if err != nil {
		return nil, fmt.Sprintf("no histogram challenge can be drawn from the listing: %v", err)
	}
	return &auditHistogram{table: f, circuit: id, vk: circuit.VK, alpha: alpha}, ""
}
