package marketplace

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// flowEventType is the type of the events the chain emits for its transactions (rights/app's
// EventType); their indexed attributes are what tx_search finds flows by.
const flowEventType = "dxp"

// FlowFilter narrows Flows; every field set must match. The zero value is every committed
// transaction that emitted an event.
type FlowFilter struct {
	Dataset string // a dataset id
	Party   string // an address or key name: the sender, or a party the tx touched
	Grant   string
	Kind    string // the action, e.g. request_grant, request_computation, freeze
	// FromHeight and ToHeight bound the block heights, inclusive; 0 sets no bound.
	FromHeight, ToHeight int64
}

// Flow is one committed transaction as the audit explorer lists it.
type Flow struct {
	Height      int64     `json:"height"`
	Index       uint32    `json:"index"`   // its place in the block
	Tx          string    `json:"tx"`      // hash, upper-case hex
	Kind        string    `json:"kind"`    // what the tx did: its first action that is not a payment
	Actions     []string  `json:"actions"` // every action of its events, in order (a fee or escrow payment, ...)
	Code        uint32    `json:"code"`
	Sender      string    `json:"sender"`
	Datasets    []string  `json:"datasets"`
	Dataset     string    `json:"dataset"` // the first of Datasets
	Grant       string    `json:"grant"`
	Computation string    `json:"computation"`
	Amount      string    `json:"amount"`
	Time        time.Time `json:"time"` // the block's time
}

// flowValue is what a filter value may be: an id, an address or an action name, nothing that
// could change the query's meaning.
var flowValue = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// flowsPerPage is how many txs each tx_search page asks for (CometBFT's maximum).
const flowsPerPage = 100

// Flows finds the committed transactions that match f in the node's tx index (tx_search over the
// chain's indexed event attributes), oldest first. A party matches as the tx's sender or as a
// party it touched.
func (s *Session) Flows(ctx context.Context, f FlowFilter) ([]Flow, error) {
	var conds []string
	for _, c := range []struct{ attr, v string }{{"dataset", f.Dataset}, {"grant", f.Grant}, {"action", f.Kind}} {
		if c.v == "" {
			continue
		}
		if !flowValue.MatchString(c.v) {
			return nil, fmt.Errorf("%s %q is not an id", c.attr, c.v)
		}
		conds = append(conds, fmt.Sprintf("%s.%s='%s'", flowEventType, c.attr, c.v))
	}
	if f.FromHeight < 0 || f.ToHeight < 0 || f.ToHeight > 0 && f.ToHeight < f.FromHeight {
		return nil, fmt.Errorf("heights %d to %d are not a range", f.FromHeight, f.ToHeight)
	}
	conds = append(conds, fmt.Sprintf("tx.height>=%d", max(f.FromHeight, 1)))
	if f.ToHeight > 0 {
		conds = append(conds, fmt.Sprintf("tx.height<=%d", f.ToHeight))
	}
	queries := []string{strings.Join(conds, " AND ")}
	if f.Party != "" {
		a, err := s.ResolveParty(f.Party)
		if err != nil {
			return nil, err
		}
		base := queries[0]
		queries = []string{
			fmt.Sprintf("%s AND %s.sender='%s'", base, flowEventType, a),
			fmt.Sprintf("%s AND %s.party='%s'", base, flowEventType, a),
		}
	}
	seen := map[string]bool{}
	var flows []Flow
	times := map[int64]time.Time{}
	for _, q := range queries {
		for pageNo := 1; ; pageNo++ {
			p, per := pageNo, flowsPerPage
			res, err := s.Chain.RPC().TxSearch(ctx, q, false, &p, &per, "asc")
			if err != nil {
				return nil, fmt.Errorf("search the chain's transactions: %w", err)
			}
			for _, tx := range res.Txs {
				hash := tx.Hash.String()
				if seen[hash] {
					continue
				}
				seen[hash] = true
				fl := flowOf(tx.TxResult.Events)
				fl.Height, fl.Index, fl.Tx, fl.Code = tx.Height, tx.Index, hash, tx.TxResult.Code
				if t, ok := times[tx.Height]; ok {
					fl.Time = t
				} else {
					h := tx.Height
					hdr, err := s.Chain.RPC().Header(ctx, &h)
					if err != nil {
						return nil, fmt.Errorf("read block %d: %w", h, err)
					}
					fl.Time, times[h] = hdr.Header.Time, hdr.Header.Time
				}
				flows = append(flows, fl)
			}
			if len(res.Txs) == 0 || pageNo*per >= res.TotalCount {
				break
			}
		}
	}
	slices.SortFunc(flows, func(a, b Flow) int {
		if a.Height != b.Height {
			return int(a.Height - b.Height)
		}
		return int(a.Index) - int(b.Index)
	})
	if flows == nil {
		flows = []Flow{}
	}
	return flows, nil
}

// flowOf reads a tx's kind, sender, datasets, grant, computation and amount from its events:
// its first action but a payment (a listing pays its fee and a computation request its escrow
// in the same tx), the first sender, every dataset once, the first grant, computation and amount.
func flowOf(events []abci.Event) Flow {
	fl := Flow{Datasets: []string{}, Actions: []string{}}
	for _, e := range events {
		if e.Type != flowEventType {
			continue
		}
		for _, a := range e.Attributes {
			switch a.Key {
			case "action":
				if !slices.Contains(fl.Actions, a.Value) {
					fl.Actions = append(fl.Actions, a.Value)
				}
			case "sender":
				if fl.Sender == "" {
					fl.Sender = a.Value
				}
			case "dataset":
				if !slices.Contains(fl.Datasets, a.Value) {
					fl.Datasets = append(fl.Datasets, a.Value)
				}
			case "grant":
				if fl.Grant == "" {
					fl.Grant = a.Value
				}
			case "computation":
				if fl.Computation == "" {
					fl.Computation = a.Value
				}
			case "amount":
				if fl.Amount == "" {
					fl.Amount = a.Value
				}
			}
		}
	}
	if len(fl.Datasets) > 0 {
		fl.Dataset = fl.Datasets[0]
	}
	for _, a := range fl.Actions {
		if a != "payment" {
			fl.Kind = a
			break
		}
	}
	if fl.Kind == "" && len(fl.Actions) > 0 {
		fl.Kind = fl.Actions[0]
	}
	return fl
}
