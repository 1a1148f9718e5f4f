package rights

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

func knownOp(o Op) bool {
	switch o {
	case OpSum, OpMean, OpCount:
		return true
	}
	return false
}

func (d *Dataset) column(name string) *Column {
	for i := range d.Columns {
		if d.Columns[i].Name == name {
			return &d.Columns[i]
		}
	}
	return nil
}

// listed returns the dataset id if it exists and is listed, refusing otherwise.
func (x *exec) listed(id string) (*Dataset, error) {
	d, err := x.dataset(id)
	if err != nil {
		return nil, err
	}
	if d.Status != DatasetListed {
		return nil, refuse(CodeDatasetNotListed, "dataset %s is %s, not listed", id, d.Status)
	}
	return d, nil
}

func checkReason(r string) error {
	if len(r) > maxReasonBytes {
		return refuse(CodeBadText, "reason is %d bytes, at most %d allowed", len(r), maxReasonBytes)
	}
	if !utf8.ValidString(r) {
		return refuse(CodeBadText, "reason is not valid UTF-8")
	}
	return nil
}

// requestGrant records the sender's request for a usage right over datasets.
func (x *exec) requestGrant(m *RequestGrant) (string, error) {
	p, err := x.party(x.sender)
	if err != nil {
		return "", err
	}
	if !p.hasRole(RoleBuyer) {
		return "", refuse(CodeUnauthorized, "%s does not hold the buyer role, so it cannot request grants", x.sender)
	}
	params, err := x.params()
	if err != nil {
		return "", err
	}
	if n := len(m.Datasets); n < 1 || n > int(params.MaxGrantDatasets) {
		return "", refuse(CodeBadGrantRequest, "a grant must name 1 to %d datasets, got %d", params.MaxGrantDatasets, n)
	}
	var holders []Address
	var datasets []*Dataset
	for i, id := range m.Datasets {
		if slices.Contains(m.Datasets[:i], id) {
			return "", refuse(CodeBadGrantRequest, "dataset %s is named twice", id)
		}
		d, err := x.listed(id)
		if err != nil {
			return "", err
		}
		datasets = append(datasets, d)
		if !slices.Contains(holders, d.Holder) {
			holders = append(holders, d.Holder)
		}
	}
	if len(m.Ops) == 0 {
		return "", refuse(CodeBadGrantRequest, "a grant must name at least one op (sum, mean or count)")
	}
	for i, o := range m.Ops {
		if !knownOp(o) {
			return "", refuse(CodeBadGrantRequest, "op %q is unknown (want sum, mean or count)", o)
		}
		if slices.Contains(m.Ops[:i], o) {
			return "", refuse(CodeBadGrantRequest, "op %s is named twice", o)
		}
	}
	if len(m.Columns) == 0 {
		return "", refuse(CodeBadGrantRequest, "a grant must name at least one column")
	}
	for i, c := range m.Columns {
		if slices.Contains(m.Columns[:i], c) {
			return "", refuse(CodeBadGrantRequest, "column %q is named twice", c)
		}
		for _, d := range datasets {
			if d.column(c) == nil {
				return "", refuse(CodeBadGrantRequest, "column %q is not in dataset %s", c, d.ID)
			}
		}
	}
	if m.Uses < 1 || m.Uses > maxGrantUses {
		return "", refuse(CodeBadGrantRequest, "a grant must allow 1 to %d uses, got %d", maxGrantUses, m.Uses)
	}
	slices.Sort(holders)
	id := x.newID("gr")
	if old, err := x.s.Get(key(prefixGrant, id)); err != nil {
		return "", err
	} else if old != nil {
		return "", refuse(CodeInternal, "grant id %s is already taken", id)
	}
	g := &Grant{
		ID:        id,
		Grantee:   x.sender,
		Datasets:  m.Datasets,
		Ops:       m.Ops,
		Columns:   m.Columns,
		Uses:      m.Uses,
		State:     GrantRequested,
		Holders:   holders,
		Requested: x.b.Height,
		Updated:   x.b.Height,
	}
	if err := save(x.s, key(prefixGrant, id), g); err != nil {
		return "", err
	}
	x.emit(Event{
		Action:   "request_grant",
		Parties:  append([]Address{x.sender}, holders...),
		Datasets: g.Datasets,
		Grant:    id,
		Attrs:    []Attr{{"uses", fmt.Sprint(g.Uses)}},
	})
	return id, nil
}

// holderGrant loads a grant the sender holds a dataset of.
func (x *exec) holderGrant(id, action string) (*Grant, error) {
	g, err := x.grant(id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(g.Holders, x.sender) {
		return nil, refuse(CodeUnauthorized, "%s holds none of grant %s's datasets, so it cannot %s it", x.sender, id, action)
	}
	return g, nil
}

func (x *exec) grantEvent(action string, g *Grant, attrs ...Attr) {
	x.emit(Event{
		Action:   action,
		Parties:  uniqueAddrs(append([]Address{x.sender, g.Grantee}, g.Holders...)),
		Datasets: g.Datasets,
		Grant:    g.ID,
		Attrs:    attrs,
	})
}

// approveGrant adds the sender's approval; the last holder's approval makes the grant active.
func (x *exec) approveGrant(m *ApproveGrant) error {
	g, err := x.holderGrant(m.Grant, "approve")
	if err != nil {
		return err
	}
	if g.State != GrantRequested {
		return refuse(CodeGrantState, "grant %s is %s; only a requested grant can be approved", g.ID, g.State)
	}
	if slices.Contains(g.Approvals, x.sender) {
		return refuse(CodeAlreadyApproved, "%s already approved grant %s", x.sender, g.ID)
	}
	g.Approvals = append(g.Approvals, x.sender)
	slices.Sort(g.Approvals)
	g.Updated = x.b.Height
	x.grantEvent("approve_grant", g)
	if len(g.Approvals) == len(g.Holders) {
		g.State = GrantActive
		x.grantEvent("activate_grant", g)
	}
	return save(x.s, key(prefixGrant, g.ID), g)
}

// rejectGrant turns down a requested grant.
func (x *exec) rejectGrant(m *RejectGrant) error {
	g, err := x.holderGrant(m.Grant, "reject")
	if err != nil {
		return err
	}
	if err := checkReason(m.Reason); err != nil {
		return err
	}
	if g.State != GrantRequested {
		return refuse(CodeGrantState, "grant %s is %s; only a requested grant can be rejected", g.ID, g.State)
	}
	g.State = GrantRejected
	g.Reason = m.Reason
	g.Updated = x.b.Height
	x.grantEvent("reject_grant", g)
	return save(x.s, key(prefixGrant, g.ID), g)
}

// revokeGrant ends a requested or active grant and aborts, with a refund, every computation
// still pending under it.
func (x *exec) revokeGrant(m *RevokeGrant) error {
	g, err := x.holderGrant(m.Grant, "revoke")
	if err != nil {
		return err
	}
	if err := checkReason(m.Reason); err != nil {
		return err
	}
	if g.State != GrantRequested && g.State != GrantActive {
		return refuse(CodeGrantState, "grant %s is %s; only a requested or active grant can be revoked", g.ID, g.State)
	}
	g.State = GrantRevoked
	g.Reason = m.Reason
	g.Updated = x.b.Height
	x.grantEvent("revoke_grant", g)

	var pending []string
	prefix := key(prefixPendingBy, g.ID+"/")
	if err := x.s.Iterate(prefix, func(k, _ []byte) bool {
		pending = append(pending, string(k[len(prefix):]))
		return true
	}); err != nil {
		return err
	}
	why := fmt.Sprintf("grant %s was revoked by %s", g.ID, x.sender)
	if m.Reason != "" {
		why += ": " + m.Reason
	}
	for _, id := range pending {
		c, err := x.computation(id)
		if err != nil {
			return err
		}
		if err := x.refund(c, g, ComputationAborted, why, "abort_computation"); err != nil {
			return err
		}
	}
	return save(x.s, key(prefixGrant, g.ID), g)
}

func uniqueAddrs(in []Address) []Address {
	var out []Address
	for _, a := range in {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func joinOps(ops []Op) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}
