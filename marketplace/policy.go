package marketplace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dxplabs/dxp/rights"
)

// PolicyFile is a dataset policy as `dxp dataset policy --file` reads it and prints it. Every
// field may be left out; an empty file allows everything and requires the holder's approval.
// Epsilon figures are decimals (0.5), kept on chain in micro-epsilon.
//
//	{
//	  "allowed_ops": ["sum", "mean", "count"],   // empty: every op
//	  "allowed_columns": ["income"],             // empty: every column
//	  "min_rows": 100,                           // an aggregate must cover at least this many of the dataset's own rows
//	  "epsilon_total": 10,                       // lifetime privacy budget of the dataset; 0: none set
//	  "epsilon_per_query": 0.5,                  // 0: no per-query limit
//	  "dp_required": true,                       // every computation must add noise (needs epsilon_total)
//	  "pooling": "others",                       // pooled with: "others" (default: not the requester's own), "never", "any"
//	  "dp_when_pooled": true,                    // a computation pooling it with other datasets must add noise (needs epsilon_total)
//	  "purposes": ["research"],                  // empty: any purpose
//	  "expires_height": 0,                       // no grant or computation after this block; 0: never
//	  "expires_at": "2030-01-01T00:00:00Z",      // or after this time (RFC 3339)
//	  "approval": "offer",                       // "required" (default): the holder approves each request
//	  "offer": {                                 // with "offer": requests within these terms are approved at once
//	    "max_uses": 10, "price_per_use": 5, "epsilon": 2,
//	    "max_blocks": 0, "max_duration": "720h"  // the grant must expire within this many blocks / this long
//	  }
//	}
type PolicyFile struct {
	AllowedOps      []rights.Op `json:"allowed_ops,omitempty"`
	AllowedColumns  []string    `json:"allowed_columns,omitempty"`
	MinRows         uint64      `json:"min_rows,omitempty"`
	EpsilonTotal    json.Number `json:"epsilon_total,omitempty"`
	EpsilonPerQuery json.Number `json:"epsilon_per_query,omitempty"`
	DPRequired      bool        `json:"dp_required,omitempty"`
	Pooling         string      `json:"pooling,omitempty"`
	DPWhenPooled    bool        `json:"dp_when_pooled,omitempty"`
	Purposes        []string    `json:"purposes,omitempty"`
	ExpiresHeight   int64       `json:"expires_height,omitempty"`
	ExpiresAt       string      `json:"expires_at,omitempty"`
	Approval        string      `json:"approval,omitempty"`
	Offer           *OfferFile  `json:"offer,omitempty"`
}

// OfferFile is a policy's standard terms.
type OfferFile struct {
	MaxUses     uint64      `json:"max_uses"`
	PricePerUse uint64      `json:"price_per_use"`
	Epsilon     json.Number `json:"epsilon,omitempty"`
	MaxBlocks   int64       `json:"max_blocks,omitempty"`
	MaxDuration string      `json:"max_duration,omitempty"` // a Go duration such as "720h"
}

// ParsePolicy reads a PolicyFile; unknown fields are errors, so a misspelt limit is not ignored.
func ParsePolicy(r io.Reader) (rights.Policy, error) {
	var f PolicyFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return rights.Policy{}, fmt.Errorf("the policy is not valid JSON of the documented form: %w", err)
	}
	return f.Policy()
}

func micro(field string, n json.Number) (uint64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := ParseMicro(string(n))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// Policy converts f to the chain's form.
func (f *PolicyFile) Policy() (rights.Policy, error) {
	p := rights.Policy{AllowedOps: f.AllowedOps, AllowedColumns: f.AllowedColumns, MinRows: f.MinRows,
		DPRequired: f.DPRequired, Purposes: f.Purposes, Expiry: rights.Expiry{Height: f.ExpiresHeight}, DPWhenPooled: f.DPWhenPooled}
	switch rights.Pooling(f.Pooling) {
	case "", rights.PoolingOthers: // the chain's default, kept unset
	case rights.PoolingNever, rights.PoolingAny:
		p.Pooling = rights.Pooling(f.Pooling)
	default:
		return p, fmt.Errorf("pooling %q is none of %q, %q and %q", f.Pooling, rights.PoolingOthers, rights.PoolingNever, rights.PoolingAny)
	}
	var err error
	if p.EpsilonTotal, err = micro("epsilon_total", f.EpsilonTotal); err != nil {
		return p, err
	}
	if p.EpsilonPerQuery, err = micro("epsilon_per_query", f.EpsilonPerQuery); err != nil {
		return p, err
	}
	if f.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, f.ExpiresAt)
		if err != nil {
			return p, fmt.Errorf("expires_at %q is not an RFC 3339 time such as 2030-01-01T00:00:00Z", f.ExpiresAt)
		}
		p.Expiry.Time = t.Unix()
	}
	switch f.Approval {
	case "", string(rights.ApprovalRequired):
		p.Approval = rights.ApprovalRequired
		if f.Approval == "" && f.Offer != nil {
			p.Approval = rights.ApprovalOffer
		}
	case string(rights.ApprovalOffer):
		p.Approval = rights.ApprovalOffer
	default:
		return p, fmt.Errorf("approval %q is neither %q nor %q", f.Approval, rights.ApprovalRequired, rights.ApprovalOffer)
	}
	if p.Approval == rights.ApprovalOffer {
		if f.Offer == nil {
			return p, fmt.Errorf("approval %q needs an \"offer\" with its terms", rights.ApprovalOffer)
		}
		o := f.Offer
		p.Offer = rights.OfferTerms{MaxUses: o.MaxUses, PricePerUse: o.PricePerUse, MaxBlocks: o.MaxBlocks}
		if p.Offer.Epsilon, err = micro("offer.epsilon", o.Epsilon); err != nil {
			return p, err
		}
		if o.MaxDuration != "" {
			d, err := time.ParseDuration(o.MaxDuration)
			if err != nil || d < time.Second {
				return p, fmt.Errorf("offer.max_duration %q is not a duration of at least 1s such as 720h", o.MaxDuration)
			}
			p.Offer.MaxSeconds = int64(d / time.Second)
		}
	}
	return p, nil
}

// PolicyFileOf writes a chain policy in the file's form.
func PolicyFileOf(p rights.Policy) PolicyFile {
	f := PolicyFile{AllowedOps: p.AllowedOps, AllowedColumns: p.AllowedColumns, MinRows: p.MinRows, DPRequired: p.DPRequired,
		Purposes: p.Purposes, ExpiresHeight: p.Expiry.Height, Approval: string(p.Approval),
		Pooling: string(p.PoolingRule()), DPWhenPooled: p.DPWhenPooled}
	if p.EpsilonTotal > 0 {
		f.EpsilonTotal = json.Number(rights.FormatMicro(p.EpsilonTotal))
	}
	if p.EpsilonPerQuery > 0 {
		f.EpsilonPerQuery = json.Number(rights.FormatMicro(p.EpsilonPerQuery))
	}
	if p.Expiry.Time > 0 {
		f.ExpiresAt = time.Unix(p.Expiry.Time, 0).UTC().Format(time.RFC3339)
	}
	if p.Approval == rights.ApprovalOffer {
		o := p.Offer
		f.Offer = &OfferFile{MaxUses: o.MaxUses, PricePerUse: o.PricePerUse, MaxBlocks: o.MaxBlocks}
		if o.Epsilon > 0 {
			f.Offer.Epsilon = json.Number(rights.FormatMicro(o.Epsilon))
		}
		if o.MaxSeconds > 0 {
			f.Offer.MaxDuration = (time.Duration(o.MaxSeconds) * time.Second).String()
		}
	}
	return f
}

// DescribePolicy says in one line what a policy allows.
func DescribePolicy(p rights.Policy) string {
	var parts []string
	list := func(what string, l []string) {
		if len(l) > 0 {
			parts = append(parts, what+" "+strings.Join(l, ","))
		}
	}
	var ops []string
	for _, o := range p.AllowedOps {
		ops = append(ops, string(o))
	}
	list("ops", ops)
	list("columns", p.AllowedColumns)
	list("purposes", p.Purposes)
	if p.MinRows > 0 {
		parts = append(parts, fmt.Sprintf("at least %d of its rows", p.MinRows))
	}
	switch p.PoolingRule() {
	case rights.PoolingNever:
		parts = append(parts, "never pooled")
	case rights.PoolingAny:
		parts = append(parts, "pooled with any dataset")
	default:
		parts = append(parts, "not pooled with the requester's own datasets")
	}
	if p.DPWhenPooled {
		parts = append(parts, "differential privacy required when pooled")
	}
	if p.EpsilonTotal > 0 {
		parts = append(parts, "epsilon budget "+rights.FormatMicro(p.EpsilonTotal))
	}
	if p.EpsilonPerQuery > 0 {
		parts = append(parts, "at most "+rights.FormatMicro(p.EpsilonPerQuery)+" per query")
	}
	if p.DPRequired {
		parts = append(parts, "differential privacy required")
	}
	if p.Expiry.Height > 0 {
		parts = append(parts, fmt.Sprintf("until height %d", p.Expiry.Height))
	}
	if p.Expiry.Time > 0 {
		parts = append(parts, "until "+time.Unix(p.Expiry.Time, 0).UTC().Format(time.RFC3339))
	}
	if p.Approval == rights.ApprovalOffer {
		o := p.Offer
		s := fmt.Sprintf("offer: up to %d uses at %d credits each", o.MaxUses, o.PricePerUse)
		if o.Epsilon > 0 {
			s += ", epsilon " + rights.FormatMicro(o.Epsilon)
		}
		if o.MaxBlocks > 0 {
			s += fmt.Sprintf(", expiring within %d blocks", o.MaxBlocks)
		}
		if o.MaxSeconds > 0 {
			s += ", expiring within " + (time.Duration(o.MaxSeconds) * time.Second).String()
		}
		parts = append(parts, s+" (approved at once)")
	} else {
		parts = append(parts, "the holder approves each request")
	}
	return strings.Join(parts, "; ")
}
