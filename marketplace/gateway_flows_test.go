package marketplace_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// TestSplitComputeQuoteFlows runs the pieces the gateway builds on, on a real devnet: a
// computation submitted (returning once the chain committed it) and awaited apart, a quote that
// says what the chain would refuse, a dataset re-verified alone, the catalog's filters and the
// flows found in the chain's tx index.
func TestSplitComputeQuoteFlows(t *testing.T) {
	home := t.TempDir()
	dn := startDevnetWith(t, devnet.Config{Home: home, Slots: 1024}) // the smallest ring: quick input proofs
	defer dn.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tab := table(t, 100, 3)
	g := approvedGrant(t, ctx, s, home, tab, "survey", 4, rights.OpSum, "delta", 2)
	id := g.Datasets[0]

	req := ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}}
	q, err := s.QuoteComputation(ctx, req)
	if err != nil || q.Refused != nil || q.Price != 4 || q.Rows != 100 {
		t.Fatalf("quote = %+v, %v; want price 4 over 100 rows", q, err)
	}
	for _, bad := range []struct {
		req  ComputeRequest
		code uint32
	}{
		{ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpMean, Columns: []string{"delta"}}, rights.CodeOpNotGranted},
		{ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"income"}}, rights.CodeColumnNotGranted},
		{ComputeRequest{From: "buyer1", Grant: "gr-nope", Op: rights.OpSum, Columns: []string{"delta"}}, rights.CodeUnknownGrant},
		{ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"delta"}, Epsilon: 1}, rights.CodeEpsilon},
	} {
		q, err := s.QuoteComputation(ctx, bad.req)
		var te *rights.TxError
		if err != nil || !errors.As(q.Refused, &te) || te.Code != bad.code {
			t.Errorf("quote %+v: refused %v, %v; want code %d", bad.req, q.Refused, err, bad.code)
		}
	}

	sub, err := s.SubmitComputation(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Chain.Height(ctx)
	if err != nil || sub.ID == "" || sub.Height < 1 || sub.Height > c {
		t.Fatalf("submitted %+v at height %d, %v", sub, c, err)
	}
	// Awaited from its exported fields alone, as after a restart.
	again := &SubmittedComputation{ID: sub.ID, Height: sub.Height, From: sub.From, Grant: sub.Grant, Op: sub.Op, Columns: sub.Columns}
	res, err := s.AwaitComputation(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if want := plaintextAnswer(rights.OpSum, "delta", tab.Schema, []*Table{tab}); res.Result != want || res.Computation != sub.ID {
		t.Errorf("awaited %+v, want sum %s", res, want)
	}

	v, err := s.VerifyDataset(ctx, id)
	if err != nil || !v.Verified || v.Checked < 2 {
		t.Errorf("verify = %+v, %v", v, err)
	}

	price := uint64(3)
	for _, tc := range []struct {
		cf   CatalogFilter
		want bool
	}{
		{CatalogFilter{Query: "SURV"}, true}, {CatalogFilter{Query: "survey absent"}, false},
		{CatalogFilter{Column: "income", Status: "listed"}, true}, {CatalogFilter{Status: "retired"}, false},
		{CatalogFilter{MaxPrice: &price}, false}, {CatalogFilter{MinRows: 100, Holder: "owner1"}, true},
	} {
		es, err := s.Catalog(ctx, tc.cf)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(es) == 1 && es[0].ID == id && es[0].Verified && es[0].Proofs > 0; got != tc.want {
			t.Errorf("catalog %+v = %+v, want the dataset: %v", tc.cf, es, tc.want)
		}
	}

	flows, err := s.Flows(ctx, FlowFilter{Dataset: id})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range flows {
		kinds = append(kinds, f.Kind)
	}
	for _, k := range []string{"register_dataset", "request_grant", "approve_grant", "request_computation"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("flows of %s are %v, want a %s", id, kinds, k)
		}
	}
	byBuyer, err := s.Flows(ctx, FlowFilter{Party: "buyer1", Kind: "request_computation"})
	if err != nil || len(byBuyer) != 1 || byBuyer[0].Computation != sub.ID || byBuyer[0].Time.IsZero() {
		t.Fatalf("buyer1's computation requests = %+v, %v", byBuyer, err)
	}
	late, err := s.Flows(ctx, FlowFilter{Dataset: id, FromHeight: byBuyer[0].Height + 1000})
	if err != nil || len(late) != 0 {
		t.Errorf("flows after the last block = %+v, %v", late, err)
	}
	if _, err := s.Flows(ctx, FlowFilter{Dataset: "x' OR dxp.sender='y"}); err == nil {
		t.Error("a filter value with a quote was put into the query")
	}
}
