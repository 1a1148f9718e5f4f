package marketplace

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dxplabs/dxp/rights"
)

// GrantRequest asks for the usage right over Datasets.
type GrantRequest struct {
	From     string // buyer key name
	Datasets []string
	Ops      []rights.Op
	Columns  []string
	Uses     uint64
}

// ParseOps reads a comma-separated op list such as "sum,mean,count".
func ParseOps(s string) ([]rights.Op, error) {
	known := []rights.Op{rights.OpSum, rights.OpMean, rights.OpCount}
	var ops []rights.Op
	for _, part := range SplitList(s) {
		op := rights.Op(part)
		if !slices.Contains(known, op) {
			return nil, fmt.Errorf("op %q is not one of sum, mean, count", part)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// SplitList splits a comma-separated flag value, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// RequestGrant submits a grant request and returns the new grant.
func (s *Session) RequestGrant(ctx context.Context, req GrantRequest) (*rights.Grant, error) {
	k, err := s.Key(req.From)
	if err != nil {
		return nil, err
	}
	receipt, err := s.submit(ctx, k, rights.Msg{RequestGrant: &rights.RequestGrant{
		Datasets: req.Datasets, Ops: req.Ops, Columns: req.Columns, Uses: req.Uses}})
	if err != nil {
		return nil, err
	}
	return s.Chain.Grant(ctx, receipt.ID)
}

// GrantAction is what a holder does to a grant.
type GrantAction string

const (
	Approve GrantAction = "approve"
	Reject  GrantAction = "reject"
	Revoke  GrantAction = "revoke"
)

// ActOnGrant approves, rejects or revokes a grant as the holder From, and returns the grant after.
func (s *Session) ActOnGrant(ctx context.Context, from, grant string, action GrantAction, reason string) (*rights.Grant, error) {
	k, err := s.Key(from)
	if err != nil {
		return nil, err
	}
	var msg rights.Msg
	switch action {
	case Approve:
		msg.ApproveGrant = &rights.ApproveGrant{Grant: grant}
	case Reject:
		msg.RejectGrant = &rights.RejectGrant{Grant: grant, Reason: reason}
	case Revoke:
		msg.RevokeGrant = &rights.RevokeGrant{Grant: grant, Reason: reason}
	default:
		return nil, fmt.Errorf("unknown grant action %q", action)
	}
	if _, err := s.submit(ctx, k, msg); err != nil {
		return nil, err
	}
	return s.Chain.Grant(ctx, grant)
}
