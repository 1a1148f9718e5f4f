package rights

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

func knownOp(o Op) bool { return slices.Contains(Ops, o) }

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

// usable returns the dataset id if it may be granted or computed on now: listed, not frozen, and
// its policy not expired.
func (x *exec) usable(id string) (*Dataset, error) {
	d, err := x.listed(id)
	if err != nil {
		return nil, err
	}
	if err := x.notFrozen(HoldDataset, id, "dataset "+id); err != nil {
		return nil, err
	}
	if d.Policy.Expiry.Passed(x.b) {
		return nil, refuse(CodePolicyRefused, "the policy of dataset %s has expired (%s)", id, describeExpiry(d.Policy.Expiry))
	}
	return d, nil
}

func describeExpiry(e Expiry) string {
	var parts []string
	if e.Height > 0 {
		parts = append(parts, fmt.Sprintf("height %d", e.Height))
	}
	if e.Time > 0 {
		parts = append(parts, fmt.Sprintf("unix time %d", e.Time))
	}
	if len(parts) == 0 {
		return "never"
	}
	return "at " + strings.Join(parts, " or ")
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

// checkUse refuses an op, columns or purpose that the policy of d does not allow.
func checkUse(d *Dataset, ops []Op, columns []string, purpose string) error {
	p := &d.Policy
	if len(p.AllowedOps) > 0 {
		for _, o := range ops {
			if !slices.Contains(p.AllowedOps, o) {
				return refuse(CodePolicyRefused, "the policy of dataset %s does not allow op %s (it allows %s)", d.ID, o, joinOps(p.AllowedOps))
			}
		}
	}
	if len(p.AllowedColumns) > 0 {
		for _, c := range columns {
			if !slices.Contains(p.AllowedColumns, c) {
				return refuse(CodePolicyRefused, "the policy of dataset %s does not allow column %q (it allows %s)", d.ID, c, strings.Join(p.AllowedColumns, ", "))
			}
		}
	}
	if len(p.Purposes) > 0 && !slices.Contains(p.Purposes, purpose) {
		return refuse(CodePolicyRefused, "the policy of dataset %s allows only the purposes %s, and the grant's purpose is %q", d.ID, strings.Join(p.Purposes, ", "), purpose)
	}
	return nil
}

// checkPooling refuses pooling datasets against one of their policies (Policy.Pooling): a
// dataset whose policy says never with any other, or one held by someone else with a dataset the
// requester holds unless its policy says any. The requester's own rows are rows it chose: zeros
// to pad past a min_rows, or a known set to subtract. A dataset the requester holds itself is
// not protected from it.
func checkPooling(datasets []*Dataset, requester Address) error {
	if len(datasets) < 2 {
		return nil
	}
	var own *Dataset
	for _, d := range datasets {
		if d.Holder == requester {
			own = d
			break
		}
	}
	for _, d := range datasets {
		if d.Holder == requester {
			continue
		}
		switch d.Policy.PoolingRule() {
		case PoolingNever:
			return refuse(CodePoolingRefused, "the policy of dataset %s does not allow pooling it with other datasets", d.ID)
		case PoolingOthers:
			if own != nil {
				return refuse(CodePoolingRefused, "the policy of dataset %s does not allow pooling it with dataset %s, which the requester %s holds", d.ID, own.ID, requester)
			}
		}
	}
	return nil
}

// dpWhenPooled returns a dataset among several whose policy requires differential privacy when
// pooled, or nil.
func dpWhenPooled(datasets []*Dataset) *Dataset {
	if len(datasets) < 2 {
		return nil
	}
	for _, d := range datasets {
		if d.Policy.DPWhenPooled {
			return d
		}
	}
	return nil
}

// withinOffer reports whether the request is within the standard terms of d's offer.
func withinOffer(d *Dataset, m *RequestGrant, b Block) bool {
	if d.Policy.Approval != ApprovalOffer {
		return false
	}
	o := d.Policy.Offer
	switch {
	case m.Uses > o.MaxUses, m.Epsilon > o.Epsilon:
		return false
	case o.MaxBlocks > 0 && (m.Expiry.Height == 0 || m.Expiry.Height > b.Height+o.MaxBlocks):
		return false
	case o.MaxSeconds > 0 && (m.Expiry.Time == 0 || m.Expiry.Time > b.Time.Unix()+o.MaxSeconds):
		return false
	}
	return true
}

// requestGrant records the sender's request for a usage right over datasets; holders whose offer
// covers it approve it at once.
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
		d, err := x.usable(id)
		if err != nil {
			return "", err
		}
		datasets = append(datasets, d)
		if !slices.Contains(holders, d.Holder) {
			holders = append(holders, d.Holder)
		}
	}
	if len(m.Ops) == 0 {
		return "", refuse(CodeBadGrantRequest, "a grant must name at least one op (%s)", joinOps(Ops))
	}
	for i, o := range m.Ops {
		if !knownOp(o) {
			return "", refuse(CodeBadGrantRequest, "op %q is unknown (want %s)", o, joinOps(Ops))
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
	if m.Purpose != "" {
		if err := checkLabel("purpose", m.Purpose, maxPurpose); err != nil {
			return "", refuse(CodeBadGrantRequest, "%v", err)
		}
	}
	if m.Expiry.Height < 0 || m.Expiry.Time < 0 {
		return "", refuse(CodeBadExpiry, "a grant's expiry must not be negative")
	}
	if m.Expiry.Passed(x.b) {
		return "", refuse(CodeBadExpiry, "the grant would expire %s, which has passed at height %d", describeExpiry(m.Expiry), x.b.Height)
	}
	dp := false
	for _, d := range datasets {
		if err := checkUse(d, m.Ops, m.Columns, m.Purpose); err != nil {
			return "", err
		}
		if d.Policy.DPRequired {
			dp = true
			if m.Epsilon == 0 {
				return "", refuse(CodeDPRequired, "dataset %s requires differential privacy, so the grant needs an epsilon budget", d.ID)
			}
		}
	}
	if err := checkPooling(datasets, x.sender); err != nil {
		return "", err
	}
	if d := dpWhenPooled(datasets); d != nil {
		dp = true
		if m.Epsilon == 0 {
			return "", refuse(CodeDPRequired, "dataset %s requires differential privacy when pooled with other datasets, so the grant needs an epsilon budget", d.ID)
		}
	}
	slices.Sort(holders)
	id, err := x.newID("gr")
	if err != nil {
		return "", err
	}
	if old, err := x.s.Get(key(prefixGrant, id)); err != nil {
		return "", err
	} else if old != nil {
		return "", refuse(CodeInternal, "grant id %s is already taken", id)
	}
	g := &Grant{
		ID:         id,
		Grantee:    x.sender,
		Datasets:   m.Datasets,
		Ops:        m.Ops,
		Columns:    m.Columns,
		Purpose:    m.Purpose,
		Uses:       m.Uses,
		Epsilon:    m.Epsilon,
		DPRequired: dp,
		Expiry:     m.Expiry,
		State:      GrantRequested,
		Holders:    holders,
		Approved:   make([]bool, len(m.Datasets)),
		Prices:     make([]uint64, len(m.Datasets)),
		Requested:  x.b.Height,
		Updated:    x.b.Height,
	}
	if err := x.setIndex(prefixGrantByGrantee, string(x.sender), id); err != nil {
		return "", err
	}
	for _, d := range m.Datasets {
		if err := x.setIndex(prefixGrantByDataset, d, id); err != nil {
			return "", err
		}
	}
	if g.Expiry.Height > 0 {
		if err := x.s.Set(timeKey(prefixGrantExpiryBlock, g.Expiry.Height, id), indexValue); err != nil {
			return "", err
		}
	}
	if g.Expiry.Time > 0 {
		if err := x.s.Set(timeKey(prefixGrantExpiryTime, g.Expiry.Time, id), indexValue); err != nil {
			return "", err
		}
	}
	attrs := []Attr{{"uses", fmt.Sprint(g.Uses)}}
	if g.Purpose != "" {
		attrs = append(attrs, Attr{"purpose", g.Purpose})
	}
	if g.Epsilon > 0 {
		attrs = append(attrs, Attr{"epsilon", FormatMicro(g.Epsilon)})
	}
	x.emit(Event{
		Action:   "request_grant",
		Parties:  append([]Address{x.sender}, holders...),
		Datasets: g.Datasets,
		Grant:    id,
		Attrs:    attrs,
	})
	for _, h := range holders {
		covered := true
		for _, d := range datasets {
			if d.Holder == h && !withinOffer(d, m, x.b) {
				covered = false
			}
		}
		if !covered {
			continue
		}
		for i, d := range datasets {
			if d.Holder == h {
				g.Approved[i], g.Prices[i] = true, d.Policy.Offer.PricePerUse
			}
		}
		g.Approvals = append(g.Approvals, h)
		g.Offered = append(g.Offered, h)
		x.grantEvent("approve_grant", g, Attr{"holder", string(h)}, Attr{"by", "offer"})
	}
	x.activateIfApproved(g)
	return id, save(x.s, key(prefixGrant, id), g)
}

// activateIfApproved makes a requested grant active once every dataset is approved.
func (x *exec) activateIfApproved(g *Grant) {
	if g.State == GrantRequested && !slices.Contains(g.Approved, false) {
		g.State = GrantActive
		g.Updated = x.b.Height
		x.grantEvent("activate_grant", g)
	}
}

// holderGrant loads a grant and the positions of its datasets the sender holds now: the holding
// right carries the say over grants, so a transferee answers for a dataset it received.
func (x *exec) holderGrant(id, action string) (*Grant, []*Dataset, []int, error) {
	g, err := x.grant(id)
	if err != nil {
		return nil, nil, nil, err
	}
	var held []int
	var ds []*Dataset
	for i, did := range g.Datasets {
		d, err := x.dataset(did)
		if err != nil {
			return nil, nil, nil, err
		}
		if d.Holder == x.sender {
			held = append(held, i)
			ds = append(ds, d)
		}
	}
	if len(held) == 0 {
		return nil, nil, nil, refuse(CodeUnauthorized, "%s holds none of grant %s's datasets, so it cannot %s it", x.sender, id, action)
	}
	return g, ds, held, nil
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

// approveGrant approves the sender's datasets of a requested grant at their listing prices; the
// last approval makes the grant active.
func (x *exec) approveGrant(m *ApproveGrant) error {
	g, ds, held, err := x.holderGrant(m.Grant, "approve")
	if err != nil {
		return err
	}
	if g.State != GrantRequested {
		return refuse(CodeGrantState, "grant %s is %s; only a requested grant can be approved", g.ID, g.State)
	}
	if g.Expiry.Passed(x.b) {
		return refuse(CodeGrantState, "grant %s expired %s; it can no longer be approved", g.ID, describeExpiry(g.Expiry))
	}
	if len(g.Approved) != len(g.Datasets) { // a grant requested before per-dataset approvals
		g.Approved, g.Prices = make([]bool, len(g.Datasets)), make([]uint64, len(g.Datasets))
	}
	fresh := false
	for j, i := range held {
		if g.Approved[i] {
			continue
		}
		if _, err := x.usable(ds[j].ID); err != nil {
			return err
		}
		g.Approved[i], g.Prices[i] = true, ds[j].Price
		fresh = true
	}
	if !fresh {
		return refuse(CodeAlreadyApproved, "%s already approved grant %s", x.sender, g.ID)
	}
	if !slices.Contains(g.Approvals, x.sender) {
		g.Approvals = append(g.Approvals, x.sender)
		slices.Sort(g.Approvals)
	}
	g.Updated = x.b.Height
	x.grantEvent("approve_grant", g, Attr{"holder", string(x.sender)})
	x.activateIfApproved(g)
	return save(x.s, key(prefixGrant, g.ID), g)
}

// rejectGrant turns down a requested grant.
func (x *exec) rejectGrant(m *RejectGrant) error {
	g, _, _, err := x.holderGrant(m.Grant, "reject")
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
	x.grantEvent("reject_grant", g, Attr{"reason", m.Reason})
	return save(x.s, key(prefixGrant, g.ID), g)
}

// revokeGrant ends a requested or active grant and aborts, with a refund, every computation
// still under way under it.
func (x *exec) revokeGrant(m *RevokeGrant) error {
	g, _, _, err := x.holderGrant(m.Grant, "revoke")
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
	x.grantEvent("revoke_grant", g, Attr{"reason", m.Reason})
	why := fmt.Sprintf("grant %s was revoked by %s", g.ID, x.sender)
	if m.Reason != "" {
		why += ": " + m.Reason
	}
	return x.endGrant(g, why)
}

// endGrant saves a grant that stopped being live and aborts, with refunds, the computations
// under way under it.
func (x *exec) endGrant(g *Grant, why string) error {
	var pending []string
	prefix := key(prefixPendingBy, g.ID+"/")
	if err := x.s.Iterate(prefix, func(k, _ []byte) bool {
		pending = append(pending, string(k[len(prefix):]))
		return true
	}); err != nil {
		return err
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

// expireGrants ends every requested or active grant whose expiry has passed by the next block:
// height at most this block's, or time at most this block's time.
func (x *exec) expireGrants() error {
	list, err := dueEntries(x.s, prefixGrantExpiryBlock, x.b.Height, "grant expiry")
	if err != nil {
		return err
	}
	byTime, err := dueEntries(x.s, prefixGrantExpiryTime, x.b.Time.Unix(), "grant expiry")
	if err != nil {
		return err
	}
	for _, d := range append(list, byTime...) {
		if err := x.s.Delete(d.key); err != nil {
			return err
		}
		g, err := x.grant(d.id)
		if err != nil {
			return err
		}
		if g.State != GrantRequested && g.State != GrantActive {
			continue
		}
		g.State = GrantExpired
		g.Reason = "expired " + describeExpiry(g.Expiry)
		g.Updated = x.b.Height
		x.grantEvent("expire_grant", g, Attr{"reason", g.Reason})
		if err := x.endGrant(g, fmt.Sprintf("grant %s %s", g.ID, g.Reason)); err != nil {
			return err
		}
	}
	return nil
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

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }
