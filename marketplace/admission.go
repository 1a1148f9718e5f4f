package marketplace

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
)

// AdmitRequest is a regulator's admission of a party (rights.AdmitParty).
type AdmitRequest struct {
	From   string        // the regulator's key name
	Party  string        // the admitted party: an address, or a key name in the session's home
	Roles  []rights.Role // owner, buyer or both
	Credit uint64
	// RLWEKey, for a buyer, is the digest of its RLWE public key object in storage (64 hex
	// digits). Empty: Party must be a local buyer key, whose public key is uploaded.
	RLWEKey string
}

// AdmitParty admits a party as owner or buyer with its credits. For a buyer it first fetches the
// RLWE public key object from storage and parses it with the committee's parameters, as the
// members will; if it is missing or does not parse, nothing is submitted.
func (s *Session) AdmitParty(ctx context.Context, req AdmitRequest) (*rights.Admission, error) {
	reg, err := s.Key(req.From)
	if err != nil {
		return nil, err
	}
	addr, err := s.ResolveParty(req.Party)
	if err != nil {
		return nil, err
	}
	if len(req.Roles) == 0 {
		return nil, errors.New("name the roles to admit (owner, buyer or both)")
	}
	for _, r := range req.Roles {
		if r != rights.RoleOwner && r != rights.RoleBuyer {
			return nil, fmt.Errorf("role %q cannot be admitted: only owner and buyer (regulators and members come from genesis or a vote)", r)
		}
	}
	msg := &rights.AdmitParty{Address: addr, Roles: req.Roles, Credit: req.Credit}
	if slices.Contains(req.Roles, rights.RoleBuyer) {
		d, err := s.buyerKeyDigest(ctx, req)
		if err != nil {
			return nil, err
		}
		params, err := s.Params()
		if err != nil {
			return nil, err
		}
		if err := mpc.CheckBuyerKey(ctx, s.Objects(), params, d); err != nil {
			return nil, fmt.Errorf("the buyer's RLWE public key %s is not a usable key object in storage, so %s was not admitted: %w", d, addr, err)
		}
		msg.RLWEKey = rights.Digest(d)
	} else if req.RLWEKey != "" {
		return nil, errors.New("an RLWE key is named only for a buyer")
	}
	if _, err := s.submit(ctx, reg, rights.Msg{AdmitParty: msg}); err != nil {
		return nil, fmt.Errorf("admit %s: %w", addr, err)
	}
	return client.Get[rights.Admission](ctx, s.Chain, string(addr))
}

// buyerKeyDigest is the digest of the admitted buyer's RLWE public key: the one named, or the
// local key's, uploaded.
func (s *Session) buyerKeyDigest(ctx context.Context, req AdmitRequest) (storage.Digest, error) {
	if req.RLWEKey != "" {
		return storage.ParseDigest(req.RLWEKey)
	}
	if addressForm.MatchString(req.Party) {
		return storage.Digest{}, fmt.Errorf("name the buyer's RLWE public key object (its digest in storage) to admit %s as a buyer", req.Party)
	}
	k, err := s.Key(req.Party)
	if err != nil {
		return storage.Digest{}, err
	}
	if len(k.RLWEPublic) == 0 {
		return storage.Digest{}, fmt.Errorf("key %q has no RLWE key pair; name the buyer's RLWE public key object instead", k.Name)
	}
	d, err := storage.PutBytes(ctx, s.Bucket, k.RLWEPublic)
	if err != nil {
		return storage.Digest{}, fmt.Errorf("upload the RLWE public key of %q: %w", k.Name, err)
	}
	return d, nil
}
