package marketplace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

var addressForm = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ResolveParty reads a party named by its address (40 hex digits) or by the name of a key in the
// session's home.
func (s *Session) ResolveParty(nameOrAddress string) (rights.Address, error) {
	return ResolveParty(s.Home, nameOrAddress)
}

// counterparty resolves a party named by address or key name; a local key not yet on chain is
// registered first, so it can receive what is handed to it.
func (s *Session) counterparty(ctx context.Context, nameOrAddress string) (rights.Address, error) {
	if addressForm.MatchString(nameOrAddress) {
		return rights.Address(nameOrAddress), nil
	}
	k, err := s.Key(nameOrAddress)
	if err != nil {
		return "", fmt.Errorf("%q is neither an address (40 hex digits) nor a key name in %s", nameOrAddress, s.Home)
	}
	if _, err := s.Register(ctx, k); err != nil {
		return "", err
	}
	return k.Address(), nil
}

// ResolveParty reads a party named by its address or by a key name in home.
func ResolveParty(home, nameOrAddress string) (rights.Address, error) {
	if addressForm.MatchString(nameOrAddress) {
		return rights.Address(nameOrAddress), nil
	}
	k, err := LoadKey(home, nameOrAddress)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%q is neither an address (40 hex digits) nor a key name in %s", nameOrAddress, home)
		}
		return "", err
	}
	return k.Address(), nil
}

// DatasetUpdate changes what a holder says of a dataset; nil fields are kept.
type DatasetUpdate struct {
	From        string
	Dataset     string
	Description *string
	Tags        *[]string
	Price       *uint64
}

// UpdateDataset submits a dataset update by its holder and returns the dataset after.
func (s *Session) UpdateDataset(ctx context.Context, u DatasetUpdate) (*rights.Dataset, error) {
	return s.holderAct(ctx, u.From, u.Dataset, rights.Msg{UpdateDataset: &rights.UpdateDataset{
		Dataset: u.Dataset, Description: u.Description, Tags: u.Tags, Price: u.Price}})
}

// SetPolicy replaces a dataset's policy and returns the dataset after.
func (s *Session) SetPolicy(ctx context.Context, from, dataset string, p rights.Policy) (*rights.Dataset, error) {
	return s.holderAct(ctx, from, dataset, rights.Msg{SetPolicy: &rights.SetPolicy{Dataset: dataset, Policy: p}})
}

// RetireDataset ends a listing; computations under way over it are aborted and refunded.
func (s *Session) RetireDataset(ctx context.Context, from, dataset, reason string) (*rights.Dataset, error) {
	return s.holderAct(ctx, from, dataset, rights.Msg{RetireDataset: &rights.RetireDataset{Dataset: dataset, Reason: reason}})
}

// TransferHolding hands a dataset to another owner, named by address or key name.
func (s *Session) TransferHolding(ctx context.Context, from, dataset, to string) (*rights.Dataset, error) {
	a, err := s.counterparty(ctx, to)
	if err != nil {
		return nil, err
	}
	return s.holderAct(ctx, from, dataset, rights.Msg{TransferHolding: &rights.TransferHolding{Dataset: dataset, To: a}})
}

func (s *Session) holderAct(ctx context.Context, from, dataset string, msg rights.Msg) (*rights.Dataset, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	if _, err := s.submit(ctx, k, msg); err != nil {
		return nil, err
	}
	return client.Get[rights.Dataset](ctx, s.Chain, dataset)
}

// TransferProduct hands a product to another party, named by address or key name.
func (s *Session) TransferProduct(ctx context.Context, from, product, to string) (*rights.Product, error) {
	a, err := s.counterparty(ctx, to)
	if err != nil {
		return nil, err
	}
	return s.productAct(ctx, from, product, rights.Msg{TransferProduct: &rights.TransferProduct{Product: product, To: a}})
}

// LicenseProduct licenses another party, named by address or key name, to operate a product.
func (s *Session) LicenseProduct(ctx context.Context, from, product, to string) (*rights.Product, error) {
	a, err := s.counterparty(ctx, to)
	if err != nil {
		return nil, err
	}
	return s.productAct(ctx, from, product, rights.Msg{LicenseProduct: &rights.LicenseProduct{Product: product, To: a}})
}

func (s *Session) productAct(ctx context.Context, from, product string, msg rights.Msg) (*rights.Product, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	if _, err := s.submit(ctx, k, msg); err != nil {
		return nil, err
	}
	return client.Get[rights.Product](ctx, s.Chain, product)
}

// ProductView is a product with whether it is frozen now (by a hold on it or on a source dataset).
type ProductView struct {
	rights.Product
	Frozen   bool     `json:"Frozen"`
	FrozenBy []string `json:"FrozenBy,omitempty"` // hold ids
}

// Products lists the products held by holder (an address or key name), or every product if empty.
func (s *Session) Products(ctx context.Context, holder string) ([]ProductView, error) {
	var ps []rights.Product
	var err error
	if holder == "" {
		ps, err = client.List[rights.Product](ctx, s.Chain)
	} else {
		a, rerr := s.ResolveParty(holder)
		if rerr != nil {
			return nil, rerr
		}
		ps, err = client.ListBy[rights.Product](ctx, s.Chain, "holder", string(a))
	}
	if err != nil {
		return nil, err
	}
	out := []ProductView{}
	for _, p := range ps {
		holds, err := s.Chain.HoldsOn(ctx, rights.HoldProduct, p.ID)
		if err != nil {
			return nil, err
		}
		v := ProductView{Product: p, Frozen: len(holds) > 0}
		for _, h := range holds {
			v.FrozenBy = append(v.FrozenBy, h.ID)
		}
		out = append(out, v)
	}
	return out, nil
}

// Freeze puts a regulator's hold on a party (address or key name), dataset, grant or product, and
// returns the hold.
func (s *Session) Freeze(ctx context.Context, from string, kind rights.HoldKind, id, reason string) (*rights.Hold, error) {
	if kind == rights.HoldParty {
		a, err := s.ResolveParty(id)
		if err != nil {
			return nil, err
		}
		id = string(a)
	}
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	r, err := s.submit(ctx, k, rights.Msg{Freeze: &rights.Freeze{Kind: kind, ID: id, Reason: reason}})
	if err != nil {
		return nil, err
	}
	return client.Get[rights.Hold](ctx, s.Chain, r.ID)
}

// Unfreeze releases the hold in force on an object and returns it.
func (s *Session) Unfreeze(ctx context.Context, from string, kind rights.HoldKind, id, reason string) (*rights.Hold, error) {
	if kind == rights.HoldParty {
		a, err := s.ResolveParty(id)
		if err != nil {
			return nil, err
		}
		id = string(a)
	}
	holds, err := s.Chain.HoldsOn(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	if _, err := s.submit(ctx, k, rights.Msg{Unfreeze: &rights.Unfreeze{Kind: kind, ID: id, Reason: reason}}); err != nil {
		return nil, err
	}
	for _, h := range holds {
		if h.Kind == kind && h.Target == id {
			return client.Get[rights.Hold](ctx, s.Chain, h.ID)
		}
	}
	return nil, fmt.Errorf("%s %s was unfrozen but its hold is not found", kind, id)
}

// ProposeRegulatorChange proposes adding or removing a regulator (address or key name) and
// returns the proposal, which has passed already if the proposer's vote was a majority.
func (s *Session) ProposeRegulatorChange(ctx context.Context, from string, change rights.RegulatorChange, who, reason string) (*rights.Proposal, error) {
	a, err := s.counterparty(ctx, who)
	if err != nil {
		return nil, err
	}
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	r, err := s.submit(ctx, k, rights.Msg{ProposeRegulatorChange: &rights.ProposeRegulatorChange{Change: change, Address: a, Reason: reason}})
	if err != nil {
		return nil, err
	}
	return client.Get[rights.Proposal](ctx, s.Chain, r.ID)
}

// VoteRegulatorChange votes for a proposal and returns it after.
func (s *Session) VoteRegulatorChange(ctx context.Context, from, proposal string) (*rights.Proposal, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	if _, err := s.submit(ctx, k, rights.Msg{VoteRegulatorChange: &rights.VoteRegulatorChange{Proposal: proposal}}); err != nil {
		return nil, err
	}
	return client.Get[rights.Proposal](ctx, s.Chain, proposal)
}

// ResolveDispute is a regulator's decision on a disputed computation (rights.ResolveDispute):
// refund sends the withheld escrow back to the requester, otherwise it goes to the holders. It
// returns the computation after.
func (s *Session) ResolveDispute(ctx context.Context, from, computation string, refund bool, reason string) (*rights.Computation, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	if _, err := s.submit(ctx, k, rights.Msg{ResolveDispute: &rights.ResolveDispute{Computation: computation, Refund: refund, Reason: reason}}); err != nil {
		return nil, err
	}
	return client.Get[rights.Computation](ctx, s.Chain, computation)
}
