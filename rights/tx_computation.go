package rights

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
)

// requestComputation escrows the datasets' prices and opens a computation under an active grant.
// A count is answered by the chain at once from the registered row counts.
func (x *exec) requestComputation(m *RequestComputation) (string, error) {
	g, err := x.grant(m.Grant)
	if err != nil {
		return "", err
	}
	if g.Grantee != x.sender {
		return "", refuse(CodeUnauthorized, "%s is not the grantee of grant %s", x.sender, g.ID)
	}
	if g.State != GrantActive {
		return "", refuse(CodeGrantState, "grant %s is %s, not active", g.ID, g.State)
	}
	if !slices.Contains(g.Ops, m.Op) {
		return "", refuse(CodeOpNotGranted, "grant %s does not allow op %q (it allows %s)", g.ID, m.Op, joinOps(g.Ops))
	}
	if !slices.Contains(g.Columns, m.Column) {
		return "", refuse(CodeColumnNotGranted, "grant %s does not cover column %q", g.ID, m.Column)
	}
	if g.Used >= g.Uses {
		return "", refuse(CodeNoUsesLeft, "grant %s has no uses left (%d of %d used)", g.ID, g.Used, g.Uses)
	}

	var (
		rows      uint64
		escrow    uint64
		prices    []uint64
		first     *Column
		firstID   string
		datasets  []*Dataset
		maxAbs    = new(big.Int)
		committee *Committee
	)
	for _, id := range g.Datasets {
		d, err := x.listed(id)
		if err != nil {
			return "", err
		}
		datasets = append(datasets, d)
		col := d.column(m.Column)
		if col == nil {
			return "", refuse(CodeSchemaMismatch, "column %q is not in dataset %s", m.Column, id)
		}
		if first == nil {
			first, firstID = col, id
		} else if col.Type != first.Type || col.Scale != first.Scale {
			return "", refuse(CodeSchemaMismatch, "column %q is %s with scale %d in %s but %s with scale %d in %s",
				m.Column, first.Type, first.Scale, firstID, col.Type, col.Scale, id)
		}
		if rows+d.Rows < rows {
			return "", refuse(CodeOverflow, "the row count over the grant's datasets overflows")
		}
		rows += d.Rows
		if escrow+d.Price < escrow {
			return "", refuse(CodeInsufficientFunds, "the prices of the grant's datasets add up to more than any balance can hold")
		}
		escrow += d.Price
		prices = append(prices, d.Price)
		for _, v := range []int64{col.Min, col.Max} {
			if a := new(big.Int).Abs(big.NewInt(v)); a.Cmp(maxAbs) > 0 {
				maxAbs = a
			}
		}
	}
	if m.Op == OpSum || m.Op == OpMean {
		if committee, err = x.committee(); err != nil {
			return "", err
		}
		if !committee.Ready {
			return "", refuse(CodeCommitteeNotReady, "the committee has not agreed its keys yet, so it cannot compute a %s", m.Op)
		}
		requester, err := x.party(x.sender)
		if err != nil {
			return "", err
		}
		if requester.RLWEKey.IsZero() {
			return "", refuse(CodeMissingRLWEKey, "%s has no RLWE public key to receive the result under", x.sender)
		}
		for _, d := range datasets {
			if d.KeyEpoch != committee.Epoch {
				return "", refuse(CodeBadEpoch, "dataset %s is encrypted under key epoch %d, the committee is at epoch %d", d.ID, d.KeyEpoch, committee.Epoch)
			}
		}
		params, err := x.params()
		if err != nil {
			return "", err
		}
		bound := new(big.Int).Mul(new(big.Int).SetUint64(rows), maxAbs)
		half := new(big.Int).SetUint64(params.PlaintextModulus / 2)
		if bound.Cmp(half) >= 0 {
			return "", refuse(CodeOverflow, "a %s of column %q over %d rows with values up to %s in magnitude could reach %s, not below half the plaintext modulus (%d), so the encrypted result could wrap",
				m.Op, m.Column, rows, maxAbs, bound, params.PlaintextModulus/2)
		}
	}
	requester, err := x.party(x.sender)
	if err != nil {
		return "", err
	}
	if requester.Balance < escrow {
		return "", refuse(CodeInsufficientFunds, "%s has %d credits but the computation costs %d", x.sender, requester.Balance, escrow)
	}
	params, err := x.params()
	if err != nil {
		return "", err
	}

	id := x.newID("cp")
	if old, err := x.s.Get(key(prefixComp, id)); err != nil {
		return "", err
	} else if old != nil {
		return "", refuse(CodeInternal, "computation id %s is already taken", id)
	}
	c := &Computation{
		ID:        id,
		Requester: x.sender,
		Grant:     g.ID,
		Op:        m.Op,
		Column:    m.Column,
		Datasets:  g.Datasets,
		Rows:      rows,
		Status:    ComputationPending,
		Escrow:    escrow,
		Deadline:  x.b.Height + params.ComputationDeadline,
		Requested: x.b.Height,
		Prices:    prices,
	}
	g.Used++
	x.emit(Event{
		Action:      "request_computation",
		Parties:     []Address{x.sender},
		Datasets:    c.Datasets,
		Grant:       g.ID,
		Computation: id,
		Attrs:       []Attr{{"op", string(c.Op)}, {"column", c.Column}},
	})
	if err := x.pay(PaymentEscrow, c, x.sender, "", escrow); err != nil {
		return "", err
	}
	if m.Op == OpCount {
		if err := x.complete(c, nil); err != nil {
			return "", err
		}
	} else {
		if err := x.s.Set(deadlineKey(c.Deadline, id), indexValue); err != nil {
			return "", err
		}
		if err := x.s.Set(pendingKey(g.ID, id), indexValue); err != nil {
			return "", err
		}
		if err := save(x.s, key(prefixComp, id), c); err != nil {
			return "", err
		}
	}
	if err := save(x.s, key(prefixGrant, g.ID), g); err != nil {
		return "", err
	}
	return id, nil
}

// complete marks c completed by participants and releases each dataset's price to its holder.
func (x *exec) complete(c *Computation, participants []Address) error {
	c.Status = ComputationCompleted
	c.Finished = x.b.Height
	c.Participants = participants
	if err := x.unindex(c); err != nil {
		return err
	}
	x.emit(Event{
		Action:      "complete_computation",
		Parties:     uniqueAddrs(append([]Address{c.Requester}, participants...)),
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"op", string(c.Op)}},
	})
	for i, id := range c.Datasets {
		d, err := x.dataset(id)
		if err != nil {
			return err
		}
		if err := x.pay(PaymentRelease, c, "", d.Holder, c.Prices[i]); err != nil {
			return err
		}
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

// refund ends a pending computation without a result (expired or aborted): the escrow goes back
// to the requester and the use is given back to the grant (which the caller saves).
func (x *exec) refund(c *Computation, g *Grant, status ComputationStatus, reason, action string) error {
	c.Status = status
	c.Finished = x.b.Height
	c.Reason = reason
	if g.Used > 0 {
		g.Used--
	}
	if err := x.unindex(c); err != nil {
		return err
	}
	x.emit(Event{
		Action:      action,
		Parties:     []Address{c.Requester},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"reason", reason}},
	})
	if err := x.pay(PaymentRefund, c, "", c.Requester, c.Escrow); err != nil {
		return err
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

func (x *exec) unindex(c *Computation) error {
	if err := x.s.Delete(deadlineKey(c.Deadline, c.ID)); err != nil {
		return err
	}
	return x.s.Delete(pendingKey(c.Grant, c.ID))
}

// submitResult records a member's result; when Threshold members agree on the output the
// computation completes and the holders are paid.
func (x *exec) submitResult(m *SubmitResult) error {
	committee, err := x.committee()
	if err != nil {
		return err
	}
	if committee.member(x.sender) < 0 {
		return refuse(CodeUnauthorized, "%s is not a committee member", x.sender)
	}
	c, err := x.computation(m.Computation)
	if err != nil {
		return err
	}
	if c.Status != ComputationPending {
		return refuse(CodeComputationState, "computation %s is %s, not pending", c.ID, c.Status)
	}
	if x.b.Height > c.Deadline {
		return refuse(CodeDeadlinePassed, "computation %s took results until height %d, this is height %d", c.ID, c.Deadline, x.b.Height)
	}
	for _, r := range c.Results {
		if r.Member == x.sender {
			return refuse(CodeAlreadySubmitted, "%s already posted a result for computation %s", x.sender, c.ID)
		}
	}
	if m.Output.IsZero() {
		return refuse(CodeBadDigests, "result output digest is zero")
	}
	if m.Share.IsZero() {
		return refuse(CodeBadDigests, "result key-switch share digest is zero")
	}
	c.Results = append(c.Results, MemberResult{Member: x.sender, Output: m.Output, Share: m.Share, Height: x.b.Height})
	x.emit(Event{
		Action:      "submit_result",
		Parties:     []Address{x.sender},
		Datasets:    c.Datasets,
		Grant:       c.Grant,
		Computation: c.ID,
		Attrs:       []Attr{{"output", m.Output.String()}},
	})
	var agree []Address
	for _, r := range c.Results {
		if r.Output == m.Output {
			agree = append(agree, r.Member)
		}
	}
	if len(agree) >= int(committee.Threshold) {
		slices.Sort(agree)
		c.Output = m.Output
		return x.complete(c, agree)
	}
	return save(x.s, key(prefixComp, c.ID), c)
}

// expire refunds every pending computation whose deadline is below the block height.
func (x *exec) expire() error {
	var due []string
	var iterErr error
	if err := x.s.Iterate(prefixDeadline, func(k, _ []byte) bool {
		rest := k[len(prefixDeadline):]
		if len(rest) < 9 || rest[8] != '/' {
			iterErr = fmt.Errorf("rights: malformed deadline index key %q", k)
			return false
		}
		if int64(binary.BigEndian.Uint64(rest[:8])) >= x.b.Height {
			return false
		}
		due = append(due, string(rest[9:]))
		return true
	}); err != nil {
		return err
	}
	if iterErr != nil {
		return iterErr
	}
	for _, id := range due {
		c, err := x.computation(id)
		if err != nil {
			return err
		}
		g, err := x.grant(c.Grant)
		if err != nil {
			return err
		}
		why := fmt.Sprintf("no result from the committee by height %d", c.Deadline)
		if err := x.refund(c, g, ComputationExpired, why, "expire_computation"); err != nil {
			return err
		}
		if err := save(x.s, key(prefixGrant, g.ID), g); err != nil {
			return err
		}
	}
	return nil
}
