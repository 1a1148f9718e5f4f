package app

import (
	"maps"
	"slices"
	"testing"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// TestAppRevokeBetweenPhases runs, through ABCI blocks, a computation whose grant is revoked after
// the committee agreed on its output and before the last share: it ends aborted and refunded, the
// late share is refused, and the indexed events and list queries tell the story.
func TestAppRevokeBetweenPhases(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), rightstest.Verifier{})
	c.initChain()
	ds, _ := runScript(t, c)
	mustOK := func(txs ...[]byte) [][]byte {
		t.Helper()
		res := c.block(txs...)
		var ids [][]byte
		for i, r := range res.TxResults {
			if r.Code != rights.CodeOK {
				t.Fatalf("block %d tx %d refused: %d %q", c.height, i, r.Code, r.Log)
			}
			ids = append(ids, r.Data)
		}
		return ids
	}
	mustOK(c.tx("buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("rlwe")}}))
	g := string(mustOK(c.tx("buyer", rights.Msg{RequestGrant: &rights.RequestGrant{Datasets: []string{ds}, Ops: []rights.Op{rights.OpSum}, Columns: []string{"a"}, Uses: 2}}))[0])
	mustOK(c.tx("owner1", rights.Msg{ApproveGrant: &rights.ApproveGrant{Grant: g}}))
	cp := string(mustOK(c.tx("buyer", rights.Msg{RequestComputation: &rights.RequestComputation{Grant: g, Op: rights.OpSum, Columns: []string{"a"}}}))[0])
	mustOK(c.tx("m1", rightstest.Output(cp, rightstest.Digest("o"))), c.tx("m2", rightstest.Output(cp, rightstest.Digest("o"))), c.tx("m3", rightstest.Output(cp, rightstest.Digest("o"))),
		c.tx("m1", rightstest.Share(cp, rightstest.Digest("s1"))), c.tx("m3", rightstest.Share(cp, rightstest.Digest("s3"))))
	res := c.block(c.tx("owner1", rights.Msg{RevokeGrant: &rights.RevokeGrant{Grant: g, Reason: "consent withdrawn"}}), c.tx("m2", rightstest.Share(cp, rightstest.Digest("s2"))))
	if got := codes(res); !slices.Equal(got, []uint32{rights.CodeOK, rights.CodeComputationState}) {
		t.Fatalf("revoke then late share = %v", res.TxResults)
	}
	// A tx with several events: each detail event in full, unindexed, then one summary event
	// that the tx index holds: every attribute tx_search must find the flow by, once each.
	evs := res.TxResults[0].Events
	if len(evs) < 2 || len(evs[len(evs)-1].Attributes) == 0 || evs[len(evs)-1].Attributes[0].Key != SummaryAttr {
		t.Fatalf("revoke events %v end in no summary", evs)
	}
	details, summary := evs[:len(evs)-1], evs[len(evs)-1]
	var actions []string
	want := map[string]bool{}
	for _, ev := range details {
		actions = append(actions, attr(ev, "action")...)
		for _, a := range ev.Attributes {
			if a.Index {
				t.Errorf("detail event %v attribute %s is indexed", attr(ev, "action"), a.Key)
			}
			if !unindexedAttrs[a.Key] {
				want[a.Key+"="+a.Value] = true
			}
		}
	}
	if want := []string{"revoke_grant", "abort_computation", "payment"}; !slices.Equal(actions, want) {
		t.Errorf("revoke events = %v, want %v", actions, want)
	}
	got := map[string]bool{}
	for _, a := range summary.Attributes[1:] {
		kv := a.Key + "=" + a.Value
		// What tx_search must find a flow by is always indexed; free text never is.
		if !a.Index || a.Key == "reason" || got[kv] {
			t.Errorf("summary attribute %s indexed %v (or repeated)", kv, a.Index)
		}
		got[kv] = true
	}
	if !maps.Equal(got, want) {
		t.Errorf("summary holds %v, want the details' indexed attributes %v", got, want)
	}
	for _, k := range []string{"action", "sender", "party", "dataset", "grant", "computation"} {
		if len(attr(summary, k)) == 0 {
			t.Errorf("summary %v has no %s", summary, k)
		}
	}
	var comps []rights.Computation
	if r := c.query("/computations/grant/"+g, 0); r.Code != rights.CodeOK || rights.Unmarshal(r.Value, &comps) != nil || len(comps) != 1 ||
		comps[0].Status != rights.ComputationAborted || len(comps[0].Shares) != 2 {
		t.Fatalf("/computations/grant = %d %q %+v", r.Code, r.Log, comps)
	}
	var p rights.Party
	if r := c.query("/party/"+string(rightstest.Addr("buyer")), 0); rights.Unmarshal(r.Value, &p) != nil || p.Balance != rightstest.Credit {
		t.Errorf("buyer balance = %d, want %d (refunded)", p.Balance, rightstest.Credit)
	}
	var grants []rights.Grant
	if r := c.query("/grants/grantee/"+string(rightstest.Addr("buyer")), 0); rights.Unmarshal(r.Value, &grants) != nil || len(grants) != 1 || grants[0].State != rights.GrantRevoked || grants[0].Used != 0 {
		t.Errorf("/grants/grantee = %+v", grants)
	}
}
