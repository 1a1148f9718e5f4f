package rights

import (
	"slices"
	"testing"
)

// TestAppRevokeBetweenPhases runs, through ABCI blocks, a computation whose grant is revoked after
// the committee agreed on its output and before the last share: it ends aborted and refunded, the
// late share is refused, and the indexed events and list queries tell the story.
func TestAppRevokeBetweenPhases(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), testVerifier{})
	c.initChain()
	ds, _ := runScript(t, c)
	mustOK := func(txs ...[]byte) [][]byte {
		t.Helper()
		res := c.block(txs...)
		var ids [][]byte
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("block %d tx %d refused: %d %q", c.height, i, r.Code, r.Log)
			}
			ids = append(ids, r.Data)
		}
		return ids
	}
	mustOK(c.tx("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: digestOf("rlwe")}}))
	g := string(mustOK(c.tx("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{ds}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 2}}))[0])
	mustOK(c.tx("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: g}}))
	cp := string(mustOK(c.tx("buyer", Msg{RequestComputation: &RequestComputation{Grant: g, Op: OpSum, Columns: []string{"a"}}}))[0])
	mustOK(c.tx("m1", output(cp, digestOf("o"))), c.tx("m2", output(cp, digestOf("o"))), c.tx("m1", share(cp, digestOf("s1"))))
	res := c.block(c.tx("owner1", Msg{RevokeGrant: &RevokeGrant{Grant: g, Reason: "consent withdrawn"}}), c.tx("m2", share(cp, digestOf("s2"))))
	if got := codes(res); !slices.Equal(got, []uint32{CodeOK, CodeComputationState}) {
		t.Fatalf("revoke then late share = %v", res.TxResults)
	}
	var actions []string
	for _, ev := range res.TxResults[0].Events {
		actions = append(actions, attr(ev, "action")...)
		for _, a := range ev.Attributes {
			if a.Index != !unindexedAttrs[a.Key] {
				t.Errorf("event %v attribute %s indexed %v", attr(ev, "action"), a.Key, a.Index)
			}
			// What tx_search must find a flow by is always indexed; free text never is.
			if searchable := slices.Contains([]string{"action", "sender", "party", "dataset", "grant", "computation"}, a.Key); searchable && !a.Index || a.Key == "reason" && a.Index {
				t.Errorf("event %v attribute %s indexed %v", attr(ev, "action"), a.Key, a.Index)
			}
		}
	}
	if want := []string{"revoke_grant", "abort_computation", "payment"}; !slices.Equal(actions, want) {
		t.Errorf("revoke events = %v, want %v", actions, want)
	}
	var comps []Computation
	if r := c.query("/computations/grant/"+g, 0); r.Code != CodeOK || Unmarshal(r.Value, &comps) != nil || len(comps) != 1 ||
		comps[0].Status != ComputationAborted || len(comps[0].Shares) != 1 {
		t.Fatalf("/computations/grant = %d %q %+v", r.Code, r.Log, comps)
	}
	var p Party
	if r := c.query("/party/"+string(addr("buyer")), 0); Unmarshal(r.Value, &p) != nil || p.Balance != testCredit {
		t.Errorf("buyer balance = %d, want %d (refunded)", p.Balance, testCredit)
	}
	var grants []Grant
	if r := c.query("/grants/grantee/"+string(addr("buyer")), 0); Unmarshal(r.Value, &grants) != nil || len(grants) != 1 || grants[0].State != GrantRevoked || grants[0].Used != 0 {
		t.Errorf("/grants/grantee = %+v", grants)
	}
}
