package marketplace

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// GrantRequest asks for the usage right over Datasets.
type GrantRequest struct {
	From     string // buyer key name
	Datasets []string
	Ops      []rights.Op
	Columns  []string
	Uses     uint64
	Purpose  string
	Epsilon  uint64        // privacy budget in micro-epsilon; 0: no computation may spend epsilon
	Expiry   rights.Expiry // zero: no expiry
}

// ParseOps reads a comma-separated op list such as "sum,mean,count".
func ParseOps(s string) ([]rights.Op, error) {
	var ops []rights.Op
	for _, part := range SplitList(s) {
		op := rights.Op(part)
		if !op.Known() {
			return nil, fmt.Errorf("op %q is not one of %s", part, joinOps(rights.Ops))
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func joinOps(ops []rights.Op) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// ParseMicro reads a non-negative decimal such as "0.5" or "2" into micro units (500000,
// 2000000): epsilon and delta as the chain counts them. More than six decimals is an error.
func ParseMicro(s string) (uint64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && frac == "" || len(frac) > 6 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal with at most 6 places, such as 0.5", s)
	}
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil || w > math.MaxUint64/1_000_000-1 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	f := uint64(0)
	if frac != "" {
		v, err := strconv.ParseUint((frac + "000000")[:6], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a decimal with at most 6 places, such as 0.5", s)
		}
		f = v
	}
	return w*1_000_000 + f, nil
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
		Datasets: req.Datasets, Ops: req.Ops, Columns: req.Columns, Uses: req.Uses,
		Purpose: req.Purpose, Epsilon: req.Epsilon, Expiry: req.Expiry}})
	if err != nil {
		return nil, err
	}
	return client.Get[rights.Grant](ctx, s.Chain, receipt.ID)
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
	return client.Get[rights.Grant](ctx, s.Chain, grant)
}
