package marketplace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/zk"
)

// AuditReport is every flow on the chain, as a regulator sees it. Proofs and commitments are
// re-verified here, by the auditor, not taken from the chain's word.
type AuditReport struct {
	ChainID      string              `json:"chain_id"`
	Height       int64               `json:"height"`
	Auditor      rights.Address      `json:"auditor"`
	Regulators   []rights.Address    `json:"regulators"`
	Committee    AuditCommittee      `json:"committee"`
	Datasets     []AuditDataset      `json:"datasets"`
	Grants       []AuditGrant        `json:"grants"`
	Computations []AuditComputation  `json:"computations"`
	Payments     []AuditPayment      `json:"payments"`
	Balances     map[string]uint64   `json:"balances"`
	Problems     []string            `json:"problems"`
	Parties      map[string][]string `json:"parties"` // address -> roles
}

type AuditCommittee struct {
	Members   []rights.Address `json:"members"`
	Threshold uint32           `json:"threshold"`
	Epoch     uint64           `json:"epoch"`
	Ready     bool             `json:"ready"`
	Keys      []rights.Digest  `json:"keys"`
	Setup     string           `json:"listing_setup"`
}

type AuditDataset struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Holder        rights.Address `json:"holder"`
	Columns       []string       `json:"columns"`
	Rows          uint64         `json:"rows"`
	Price         uint64         `json:"price"`
	Status        string         `json:"status"`
	Commitment    rights.Digest  `json:"commitment"`
	Manifest      rights.Digest  `json:"manifest"`
	Chunks        int            `json:"chunks"`
	ProofVerified bool           `json:"proof_verified"`
	Registered    int64          `json:"registered_height"`
}

type AuditGrant struct {
	ID        string           `json:"id"`
	Grantee   rights.Address   `json:"grantee"`
	Datasets  []string         `json:"datasets"`
	Ops       []rights.Op      `json:"ops"`
	Columns   []string         `json:"columns"`
	Uses      uint64           `json:"uses"`
	Used      uint64           `json:"used"`
	State     string           `json:"state"`
	Holders   []rights.Address `json:"holders"`
	Approvals []rights.Address `json:"approvals"`
	Reason    string           `json:"reason,omitempty"`
	Requested int64            `json:"requested_height"`
}

type AuditComputation struct {
	ID           string           `json:"id"`
	Requester    rights.Address   `json:"requester"`
	Grant        string           `json:"grant"`
	Op           rights.Op        `json:"op"`
	Column       string           `json:"column"`
	Datasets     []string         `json:"datasets"`
	Rows         uint64           `json:"rows"`
	Status       string           `json:"status"`
	ResultDigest string           `json:"result_digest,omitempty"`
	Members      []rights.Address `json:"members"`
	Disagreed    []rights.Address `json:"disagreed,omitempty"`
	Escrow       uint64           `json:"price"`
	Requested    int64            `json:"requested_height"`
	Finished     int64            `json:"finished_height,omitempty"`
	Reason       string           `json:"reason,omitempty"`
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

// Audit collects every flow on the chain for the regulator From and re-verifies every listing
// proof and dataset commitment.
func (s *Session) Audit(ctx context.Context, from string) (*AuditReport, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	gen, err := s.Chain.Genesis(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(gen.Regulators, k.Address()) {
		return nil, fmt.Errorf("key %q (%s) is not a regulator named in genesis", from, k.Address())
	}
	if _, err := s.Register(ctx, k); err != nil {
		return nil, err
	}
	r := &AuditReport{ChainID: gen.ChainID, Auditor: k.Address(), Regulators: gen.Regulators,
		Balances: map[string]uint64{}, Parties: map[string][]string{}, Problems: []string{}}
	if r.Height, err = s.Chain.Height(ctx); err != nil {
		return nil, err
	}
	committee, err := s.Chain.Committee(ctx)
	if err != nil {
		return nil, err
	}
	r.Committee = AuditCommittee{Threshold: committee.Threshold, Epoch: committee.Epoch, Ready: committee.Ready,
		Keys: committee.Keys, Setup: gen.Params.ListingSetup}
	for _, m := range committee.Members {
		r.Committee.Members = append(r.Committee.Members, m.Address)
	}
	if gen.Params.ListingSetup == "insecure-devnet" {
		r.Problems = append(r.Problems, "listing proofs use the insecure devnet setup: whoever ran it could forge them")
	}

	datasets, err := s.Chain.Datasets(ctx)
	if err != nil {
		return nil, err
	}
	parties := map[rights.Address]bool{}
	for _, ds := range datasets {
		parties[ds.Holder] = true
		a := AuditDataset{ID: ds.ID, Name: ds.Name, Holder: ds.Holder, Rows: ds.Rows, Price: ds.Price,
			Status: string(ds.Status), Commitment: ds.Commitment, Manifest: ds.Manifest, Registered: ds.Registered}
		verified := VerifyDatasetCommitment(&ds) == nil
		if !verified {
			r.Problems = append(r.Problems, fmt.Sprintf("dataset %s: its commitment does not bind its chunk commitments", ds.ID))
		}
		for _, c := range ds.Columns {
			a.Columns = append(a.Columns, c.Name)
			for i, ch := range c.Chunks {
				a.Chunks++
				if err := zk.VerifyListing(gen.Params.ListingVK, ch.Proof, ch.Commitment, c.Min, c.Max); err != nil {
					verified = false
					r.Problems = append(r.Problems, fmt.Sprintf("dataset %s column %s chunk %d: %v", ds.ID, c.Name, i+1, err))
				}
			}
		}
		a.ProofVerified = verified
		r.Datasets = append(r.Datasets, a)
	}

	grants, err := s.Chain.Grants(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		parties[g.Grantee] = true
		r.Grants = append(r.Grants, AuditGrant{ID: g.ID, Grantee: g.Grantee, Datasets: g.Datasets, Ops: g.Ops,
			Columns: g.Columns, Uses: g.Uses, Used: g.Used, State: string(g.State), Holders: g.Holders,
			Approvals: g.Approvals, Reason: g.Reason, Requested: g.Requested})
	}

	comps, err := s.Chain.Computations(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range comps {
		a := AuditComputation{ID: c.ID, Requester: c.Requester, Grant: c.Grant, Op: c.Op, Column: c.Column,
			Datasets: c.Datasets, Rows: c.Rows, Status: string(c.Status), Members: c.Participants,
			Escrow: c.Escrow, Requested: c.Requested, Finished: c.Finished, Reason: c.Reason}
		if !c.Output.IsZero() {
			a.ResultDigest = c.Output.String()
		}
		for _, res := range c.Results {
			if c.Status == rights.ComputationCompleted && res.Output != c.Output {
				a.Disagreed = append(a.Disagreed, res.Member)
			}
		}
		r.Computations = append(r.Computations, a)
	}

	payments, err := s.Chain.Payments(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range payments {
		r.Payments = append(r.Payments, AuditPayment{Seq: p.Seq, Kind: string(p.Kind), Computation: p.Computation,
			From: p.From, To: p.To, Amount: p.Amount, Height: p.Height})
		if p.To != "" {
			parties[p.To] = true
		}
	}
	for a := range parties {
		p, err := s.Chain.Party(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("party %s: %w", a, err)
		}
		r.Balances[string(a)] = p.Balance
		for _, role := range p.Roles {
			r.Parties[string(a)] = append(r.Parties[string(a)], string(role))
		}
	}
	return r, nil
}

// VerifyDatasetCommitment recomputes the dataset commitment from its chunk commitments, as the
// chain does when it registers the dataset: SHA-256 over every chunk commitment, column by column.
func VerifyDatasetCommitment(ds *rights.Dataset) error {
	h := sha256.New()
	for _, c := range ds.Columns {
		for _, ch := range c.Chunks {
			h.Write(ch.Commitment)
		}
	}
	if got := rights.Digest(h.Sum(nil)); got != ds.Commitment {
		return fmt.Errorf("dataset %s commitment %s, recomputed %s", ds.ID, ds.Commitment, hex.EncodeToString(got[:]))
	}
	return nil
}
