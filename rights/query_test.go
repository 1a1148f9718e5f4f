package rights

import (
	"errors"
	"slices"
	"testing"
)

// TestQueryPaths answers every object and list path from the ledger state, as App.Query does.
func TestQueryPaths(t *testing.T) {
	w := newWorld(t, 2)
	c := completedSum(w)
	hold := w.ok(testRegulatorKey, freeze(HoldDataset, w.ds2, "inquiry"))
	prop := w.ok(testRegulatorKey, Msg{ProposeRegulatorChange: &ProposeRegulatorChange{Change: RegulatorAdd, Address: addr("r2")}})
	for _, tc := range []struct {
		path string
		want []string // ids of the listed objects, in order
		get  func(b []byte) ([]string, error)
	}{
		{"/datasets/holder/" + string(addr("owner1")), []string{w.ds1}, idsOf(func(d Dataset) string { return d.ID })},
		{"/datasets/holder/" + string(addr("buyer")), nil, idsOf(func(d Dataset) string { return d.ID })},
		{"/grants/grantee/" + string(addr("buyer")), sorted(w.active, w.asked), idsOf(func(g Grant) string { return g.ID })},
		{"/grants/dataset/" + w.ds2, []string{w.active}, idsOf(func(g Grant) string { return g.ID })},
		{"/computations/grant/" + w.active, []string{c.ID}, idsOf(func(c Computation) string { return c.ID })},
		{"/products/holder/" + string(addr("buyer")), []string{c.Product}, idsOf(func(p Product) string { return p.ID })},
		{"/products", []string{c.Product}, idsOf(func(p Product) string { return p.ID })},
		{"/holds", []string{hold}, idsOf(func(h Hold) string { return h.ID })},
		{"/frozen/dataset/" + w.ds2, []string{hold}, idsOf(func(h Hold) string { return h.ID })},
		{"/frozen/product/" + c.Product, []string{hold}, idsOf(func(h Hold) string { return h.ID })},
		{"/frozen/grant/" + w.active, nil, idsOf(func(h Hold) string { return h.ID })},
		{"/proposals", []string{prop}, idsOf(func(p Proposal) string { return p.ID })},
		{"/regulators", []string{string(addr(testRegulatorKey)), string(addr("r2"))}, idsOf(func(a Address) string { return string(a) })},
	} {
		b, _, err := w.l.Query(tc.path)
		if err != nil {
			t.Errorf("Query(%s) = %v", tc.path, err)
			continue
		}
		got, err := tc.get(b)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Query(%s) = %v (%v), want %v", tc.path, got, err, tc.want)
		}
	}
	for path, k := range map[string][]byte{
		"/product/" + c.Product: key(prefixProduct, c.Product),
		"/hold/" + hold:         key(prefixHold, hold),
		"/proposal/" + prop:     key(prefixProposal, prop),
	} {
		if b, gotK, err := w.l.Query(path); err != nil || len(b) == 0 || string(gotK) != string(k) {
			t.Errorf("Query(%s) = key %q, %v; want key %q", path, gotK, err, k)
		}
	}
	for path, code := range map[string]uint32{
		"/datasets/owner/x":     CodeUnknownQuery,
		"/grants/grantee/":      CodeUnknownQuery,
		"/grants/grantee/a/b":   CodeUnknownQuery,
		"/frozen/account/x":     CodeBadHold,
		"/nothing/holder/x":     CodeUnknownQuery,
		"/frozen/product/pd-no": CodeNotFound,
		"/product/pd-nope":      CodeNotFound,
		"/hold/hd-nope":         CodeNotFound,
		"/proposal/rp-nope":     CodeNotFound,
	} {
		_, _, err := w.l.Query(path)
		var te *TxError
		switch {
		case code == CodeNotFound && errors.Is(err, ErrNotFound):
		case errors.As(err, &te) && te.Code == code:
		default:
			t.Errorf("Query(%s) = %v, want code %d", path, err, code)
		}
	}
}

func idsOf[T any](id func(T) string) func(b []byte) ([]string, error) {
	return func(b []byte) ([]string, error) {
		var list []T
		if err := Unmarshal(b, &list); err != nil {
			return nil, err
		}
		var out []string
		for _, v := range list {
			out = append(out, id(v))
		}
		return out, nil
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }
