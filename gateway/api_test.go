package gateway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/gateway/client"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// TestSystem reads health, the OpenAPI document, whoami and the network's status.
func TestSystem(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	h, err := client.New(e.gw.url, "").Health(ctx)
	if err != nil || h.Status != "ok" || h.Height < 1 || h.ChainID == "" {
		t.Fatalf("health = %+v, %v; want ok at a height", h, err)
	}
	for _, path := range []string{"/openapi.yaml", "/openapi.json"} {
		req, _ := http.NewRequest("GET", e.gw.url+path, nil)
		status, _, body := statusOf(t, req)
		if status != 200 || !strings.Contains(string(body), "/api/v1/computations/{id}/events") {
			t.Errorf("GET %s = %d, want the document", path, status)
		}
	}
	who, err := e.buyer.Whoami(ctx)
	if err != nil || who.Token != "buyer1" || len(who.Keys) != 1 || who.Keys[0].Name != "buyer1" {
		t.Errorf("whoami(buyer1) = %+v, %v; want buyer1 alone", who, err)
	}
	who, err = e.all.Whoami(ctx)
	if err != nil || len(who.Keys) != 5 { // buyer1, buyer2, owner1, owner2, regulator
		t.Errorf("whoami(home) = %+v, %v; want the 5 keys of the home", who, err)
	}
	st, err := e.buyer.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Committee.Ready || len(st.Committee.Members) != 3 || !st.Insecure || !st.InputProofsRequired || len(st.Circuits) == 0 {
		t.Errorf("status = %+v; want a ready 3-member committee, an insecure small ring with input proofs, circuits", st)
	}
	if c, err := e.buyer.Committee(ctx); err != nil || c.Threshold != st.Committee.Threshold {
		t.Errorf("committee = %+v, %v", c, err)
	}
	if cs, err := e.buyer.Circuits(ctx); err != nil || len(cs) != len(st.Circuits) {
		t.Errorf("circuits = %v, %v", cs, err)
	}
	if cs, err := e.buyer.Ceremonies(ctx); err != nil || len(cs) != 0 {
		t.Errorf("ceremonies = %v, %v; want none", cs, err)
	}
}

// TestPublish uploads a CSV and publishes it as a job whose progress streams (e.published),
// then reads the job's stream again from an event id, its detail, and re-verifies its proofs.
func TestPublish(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	id := e.published(t)
	if !slices.Contains(e.pubStages, "publish") || !slices.Contains(e.pubStages, "register") {
		t.Errorf("progress stages %v, want publish and register among them", e.pubStages)
	}
	job, err := e.owner.Job(ctx, e.pubJob)
	if err != nil || job.State != api.JobDone || job.Result == nil || job.Result.Rows != 200 || job.Result.Dataset != id {
		t.Fatalf("job = %+v, %v; want done with 200 rows", job, err)
	}
	t.Logf("publish timings: %+v", job.Result.Timings)
	// The whole stream again: ids increase, and it ends with done; from its last id but one, only
	// the end is sent again.
	var ids []int64
	last, err := e.owner.JobEvents(ctx, e.pubJob, 0, func(ev api.Event) error {
		if n := len(ids); n > 0 && ev.ID <= ids[n-1] {
			return fmt.Errorf("event id %d after %d", ev.ID, ids[n-1])
		}
		ids = append(ids, ev.ID)
		return nil
	})
	if err != nil || last.Type != "done" {
		t.Fatalf("replayed stream ended with %+v, %v", last, err)
	}
	var done api.Job
	if err := json.Unmarshal(last.Data, &done); err != nil || done.Result == nil || done.Result.Dataset != id {
		t.Errorf("done event %s: %v", last.Data, err)
	}
	if _, err := e.owner.JobEvents(ctx, e.pubJob, last.ID-1, func(ev api.Event) error {
		if ev.ID != last.ID {
			return fmt.Errorf("replayed %s event %d after %d", ev.Type, ev.ID, last.ID-1)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	// Another token does not see the job.
	if _, err := e.buyer.Job(ctx, e.pubJob); err == nil {
		t.Error("buyer1's token read owner1's job")
	} else {
		problem(t, err, 404, 0)
	}
	jobs, err := e.owner.Jobs(ctx, nil)
	if err != nil || len(jobs.Items) == 0 || jobs.Items[0].ID != e.pubJob {
		t.Errorf("jobs = %+v, %v; want the newest first", jobs, err)
	}

	d, err := e.buyer.Dataset(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "survey" || d.Description != "household survey" || d.Price != 3 || len(d.ColumnDetails) != 2 ||
		d.ColumnDetails[1].Max != "1000000.00" || d.ColumnDetails[1].Type != "decimal" || d.ProofSummary.Chunks == 0 ||
		!d.ProofSummary.Verified || d.Holder == "" {
		t.Errorf("detail = %+v", d)
	}
	v, err := e.buyer.VerifyDataset(ctx, id)
	if err != nil || !v.Verified || v.Checked < 2 || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v; want verified", v, err)
	}
	if _, err := e.buyer.Dataset(ctx, "ds-nope"); err == nil {
		t.Error("an unknown dataset was found")
	} else {
		problem(t, err, 404, -1)
	}
}

// resumeSchema is one column, so the resumed publish proves few chunks; resumeRows fill two
// ciphertexts of the test devnet's ring, so the run has a chunk to keep when it is stopped.
const (
	resumeSchema = `{"columns":[{"name":"amount","type":"integer","min":0,"max":100000}]}`
	resumeRows   = 1500
)

// TestPublishResume stops the gateway while a publish job runs and starts another on the same
// home: the job resumes and completes.
func TestPublishResume(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	// A gateway of its own, so the shared one keeps serving the other tests.
	home := clientHome(t, e)
	gw := startGateway(t, testConfig(home))
	owner := client.New(gw.url, e.tokens["owner1"])
	var csv strings.Builder
	csv.WriteString("amount\n")
	for i := range resumeRows {
		fmt.Fprintf(&csv, "%d\n", (i*7919)%100001)
	}
	up, err := owner.Upload(ctx, []byte(csv.String()))
	if err != nil {
		gw.stop()
		t.Fatal(err)
	}
	ref, err := owner.Publish(ctx, api.PublishRequest{From: "owner1", Upload: up.ID, Schema: json.RawMessage(resumeSchema), Name: "resumed", Price: 1})
	if err != nil {
		gw.stop()
		t.Fatal(err)
	}
	stopped := errors.New("stopped")
	_, err = owner.JobEvents(ctx, ref.Job, 0, func(ev api.Event) error {
		var p api.Progress
		json.Unmarshal(ev.Data, &p)
		if ev.Type == "progress" && p.Stage == "publish" && p.Done >= 2 {
			return stopped
		}
		return nil
	})
	gw.stop()
	if !errors.Is(err, stopped) {
		t.Fatalf("the job ended before it could be interrupted: %v", err)
	}
	gw = startGateway(t, testConfig(home))
	defer func() { gw.stop() }() // the last one started
	owner = client.New(gw.url, e.tokens["owner1"])
	job, err := owner.Job(ctx, ref.Job)
	if err != nil || (job.State != api.JobRunning && job.State != api.JobQueued) {
		t.Fatalf("after the restart the job is %+v, %v; want it running again", job, err)
	}
	job, err = owner.WaitJob(ctx, ref.Job, nil)
	if err != nil || job.State != api.JobDone || job.Result.Rows != resumeRows {
		t.Fatalf("resumed job = %+v, %v; want done with %d rows", job, err, resumeRows)
	}
	t.Logf("the resumed publish reused %d chunks and ciphertexts", job.Result.Reused)
	if _, err := os.Stat(filepath.Join(home, "gateway", "uploads", up.ID+".csv")); !os.IsNotExist(err) {
		t.Errorf("the upload's CSV is still on disk after its publish (%v)", err)
	}
	// Its dataset is the one retired and transferred here, away from the other tests'.
	rid := job.Result.Dataset
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := owner.Dataset(ctx, rid)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == string(rights.DatasetListed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dataset %s still %s", rid, d.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if d, err := owner.TransferDataset(ctx, rid, "owner1", "owner2"); err != nil || len(d.Transfers) != 1 {
		t.Fatalf("transfer = %+v, %v", d, err)
	}
	if _, err := owner.RetireDataset(ctx, rid, "owner1", "no longer mine"); err == nil {
		t.Error("the former holder retired the dataset")
	} else {
		problem(t, err, 422, int64(rights.CodeUnauthorized))
	}
	all := client.New(gw.url, e.tokens[gateway.HomeToken])
	if d, err := all.RetireDataset(ctx, rid, "owner2", "done"); err != nil || d.Status != string(rights.DatasetRetired) {
		t.Errorf("retire = %+v, %v", d, err)
	}
	// An idempotent write answered by this gateway is replayed by the next one on its home: the
	// records are on disk, so a restarted gateway keeps them.
	verify := func(url string) (int, string, []byte) {
		req, _ := http.NewRequest("POST", url+api.Prefix+"/datasets/"+e.published(t)+"/verify", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["owner1"])
		req.Header.Set("Idempotency-Key", "verify-across-restarts")
		status, h, body := statusOf(t, req)
		return status, h.Get("Idempotent-Replayed"), body
	}
	s1, r1, b1 := verify(gw.url)
	gw.stop()
	gw = startGateway(t, testConfig(home))
	s2, r2, b2 := verify(gw.url)
	if s1 != 200 || r1 != "" || s2 != 200 || r2 != "true" || string(b1) != string(b2) {
		t.Errorf("verify with a key: %d (replayed %q), then after a restart %d (replayed %q)", s1, r1, s2, r2)
	}
	// The job's record survived on disk, 0600.
	st, err := os.Stat(filepath.Join(home, "gateway", "jobs", ref.Job+".json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("job record: %v, %v", st, err)
	}
	if st, err := os.Stat(gateway.TokensFile(home)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("tokens file: %v, %v; want 0600", st, err)
	}
}

// TestCatalog searches, filters and pages the catalog.
func TestCatalog(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	id := e.published(t)
	all, err := e.buyer.Datasets(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) < 2 || all.NextCursor != "" {
		t.Fatalf("catalog = %+v, want at least the two datasets on one page", all)
	}
	// Paging one at a time visits every entry once, in order.
	var paged []string
	cursor := ""
	for i := 0; i < 10; i++ {
		p, err := e.buyer.Datasets(ctx, client.Query{"limit": "1", "cursor": cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			paged = append(paged, it.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	var want []string
	for _, it := range all.Items {
		want = append(want, it.ID)
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v, want %v", paged, want)
	}
	for _, tc := range []struct {
		q    client.Query
		want bool // whether the shared dataset matches
	}{
		{client.Query{"q": "SURVEY household"}, true},
		{client.Query{"q": "survey nothing-like-it"}, false},
		{client.Query{"holder": "owner1"}, true},
		{client.Query{"holder": "buyer1"}, false},
		{client.Query{"column": "income"}, true},
		{client.Query{"column": "age"}, false},
		{client.Query{"status": "listed"}, true},
		{client.Query{"max_price": "2"}, false},
		{client.Query{"max_price": "3", "min_rows": "200"}, true},
		{client.Query{"min_rows": "201"}, false},
	} {
		p, err := e.buyer.Datasets(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		found := slices.ContainsFunc(p.Items, func(c api.CatalogEntry) bool { return c.ID == id })
		if found != tc.want {
			t.Errorf("catalog %v has the dataset: %v, want %v", tc.q, found, tc.want)
		}
		if found {
			i := slices.IndexFunc(p.Items, func(c api.CatalogEntry) bool { return c.ID == id })
			if !p.Items[i].Verified || p.Items[i].Proofs == 0 {
				t.Errorf("entry %+v, want verified with proofs", p.Items[i])
			}
		}
	}
	for _, q := range []client.Query{{"limit": "0"}, {"limit": "501"}, {"cursor": "!!"}, {"max_price": "-1"}} {
		if _, err := e.buyer.Datasets(ctx, q); err == nil {
			t.Errorf("catalog %v accepted", q)
		} else {
			problem(t, err, 400, 0)
		}
	}
}

// TestGrantsAndComputations requests a grant, approves it from the owner's inbox, quotes and runs
// a mean, follows its stages and reads the exact answer with the buyer's token only; then the
// product, the audit trail, a freeze that refuses the next computation, and the regulators'
// proposals.
func TestGrantsAndComputations(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	id := e.published(t)

	g, err := e.buyer.RequestGrant(ctx, api.GrantRequest{From: "buyer1", Datasets: []string{id}, Ops: []string{"mean", "sum"},
		Columns: []string{"income"}, Uses: 3, Purpose: "research", ExpiresIn: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Status != string(rights.GrantRequested) || g.ExpiresAt == 0 {
		t.Fatalf("grant = %+v, want requested with an expiry", g)
	}
	inbox, err := e.owner.Inbox(ctx, nil)
	if err != nil || !slices.ContainsFunc(inbox.Items, func(x api.Grant) bool { return x.ID == g.ID }) {
		t.Fatalf("owner1's inbox = %+v, %v; want the request", inbox, err)
	}
	if inbox, err := e.buyer.Inbox(ctx, nil); err != nil || len(inbox.Items) != 0 {
		t.Errorf("buyer1's inbox = %+v, %v; want empty", inbox, err)
	}
	// The buyer cannot approve its own request: the chain refuses it.
	if _, err := e.buyer.ActOnGrant(ctx, g.ID, "approve", "buyer1", ""); err == nil {
		t.Fatal("the buyer approved its own grant")
	} else {
		problem(t, err, 422, int64(rights.CodeUnauthorized))
	}
	if g, err = e.owner.ActOnGrant(ctx, g.ID, "approve", "owner1", ""); err != nil || g.Status != string(rights.GrantActive) {
		t.Fatalf("approve = %+v, %v", g, err)
	}
	if _, err := e.owner.ActOnGrant(ctx, g.ID, "approve", "owner1", ""); err == nil {
		t.Error("a second approval was accepted")
	} else {
		problem(t, err, 409, -1)
	}
	if inbox, err := e.owner.Inbox(ctx, nil); err != nil || slices.ContainsFunc(inbox.Items, func(x api.Grant) bool { return x.ID == g.ID }) {
		t.Errorf("the approved grant is still in the inbox: %+v, %v", inbox, err)
	}
	list, err := e.buyer.Grants(ctx, client.Query{"grantee": "buyer1", "status": "active", "dataset": id})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != g.ID {
		t.Errorf("grants = %+v, %v; want the one", list, err)
	}

	req := api.ComputationRequest{From: "buyer1", Grant: g.ID, Op: "mean", Columns: []string{"income"}}
	q, err := e.buyer.Quote(ctx, req)
	if err != nil || q.Refused != nil || q.Price != 3 || q.Rows != 200 || !slices.Equal(q.Datasets, []string{id}) {
		t.Fatalf("quote = %+v, %v; want price 3 over 200 rows", q, err)
	}
	bad := req
	bad.Columns = []string{"delta"}
	if q, err := e.buyer.Quote(ctx, bad); err != nil || q.Refused == nil || q.Refused.Code != rights.CodeColumnNotGranted {
		t.Errorf("quote of an ungranted column = %+v, %v; want refused with code %d", q, err, rights.CodeColumnNotGranted)
	}

	ref, err := e.buyer.Compute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	if _, err := e.buyer.ComputationEvents(ctx, ref.ID, 0, func(ev api.Event) error {
		var c api.Computation
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return err
		}
		if c.Result != nil {
			return fmt.Errorf("a %s event carries the result", ev.Type)
		}
		stages = append(stages, c.Stage)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if stages[0] != api.StageRequested || stages[len(stages)-1] != api.StageDone || !slices.Contains(stages, api.StageDecrypting) {
		t.Errorf("stages %v, want requested ... decrypting, done", stages)
	}
	c, err := e.buyer.Computation(ctx, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := devnet.PlaintextAnswer(rights.OpMean, "income", e.tab.Schema, []*marketplace.Table{e.tab})
	if c.Result == nil || c.Result.Result != want || c.Status != "completed" {
		t.Fatalf("computation = %+v; want completed with mean %s", c, want)
	}
	for name, other := range map[string]*client.Client{"buyer2": e.buyer2, "owner1": e.owner} {
		oc, err := other.Computation(ctx, ref.ID)
		if err != nil || oc.Result != nil || oc.Status != "completed" {
			t.Errorf("%s's token reads computation = %+v, %v; want it without the result", name, oc, err)
		}
	}
	if home, err := e.all.Computation(ctx, ref.ID); err != nil || home.Result == nil {
		t.Errorf("the home token reads %+v, %v; want the result (it acts for buyer1)", home, err)
	}
	comps, err := e.owner.Computations(ctx, client.Query{"dataset": id, "op": "mean", "status": "completed"})
	if err != nil || len(comps.Items) != 1 || comps.Items[0].ID != ref.ID || comps.Items[0].Result != nil {
		t.Errorf("computations = %+v, %v; want the one, without result", comps, err)
	}
	d, err := e.owner.Dataset(ctx, id)
	if err != nil || d.Usage.Computations != 1 || d.Usage.Grants != 1 || d.Revenue != 3 {
		t.Errorf("dataset usage = %+v revenue %d, %v; want 1 computation, 1 grant, revenue 3", d.Usage, d.Revenue, err)
	}

	// The product the computation issued.
	prods, err := e.buyer.Products(ctx, client.Query{"holder": "buyer1"})
	if err != nil || len(prods.Items) != 1 || prods.Items[0].Computation != ref.ID {
		t.Fatalf("products = %+v, %v; want the computation's", prods, err)
	}
	pid := prods.Items[0].ID
	if p, err := e.buyer.LicenseProduct(ctx, pid, "buyer1", "buyer2"); err != nil || len(p.Licensees) != 1 {
		t.Errorf("license = %+v, %v", p, err)
	}
	if _, err := e.buyer2.TransferProduct(ctx, pid, "buyer2", "buyer1"); err == nil {
		t.Error("a licensee transferred the product")
	}
	if p, err := e.buyer.TransferProduct(ctx, pid, "buyer1", "buyer2"); err != nil || p.Holder == "" || len(p.Transfers) != 1 {
		t.Errorf("transfer = %+v, %v", p, err)
	}

	// The regulator's audit: flows by dataset, party, grant and kind, paged.
	flows, err := e.regulator.Flows(ctx, client.Query{"dataset": id})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range flows.Items {
		kinds[f.Kind] = true
		if f.Height < 1 || f.Tx == "" || f.Time.IsZero() || !slices.Contains(f.Datasets, id) {
			t.Errorf("flow %+v", f)
		}
	}
	for _, k := range []string{"register_dataset", "request_grant", "approve_grant", "request_computation"} {
		if !kinds[k] {
			t.Errorf("flows of %s have no %s: %v", id, k, kinds)
		}
	}
	one, err := e.regulator.Flows(ctx, client.Query{"grant": g.ID, "kind": "request_computation"})
	if err != nil || len(one.Items) != 1 || one.Items[0].Computation != ref.ID {
		t.Errorf("flows of grant %s, kind request_computation = %+v, %v", g.ID, one, err)
	}
	byParty, err := e.regulator.Flows(ctx, client.Query{"party": "buyer1", "limit": "2"})
	if err != nil || len(byParty.Items) != 2 || byParty.NextCursor == "" {
		t.Fatalf("flows of buyer1 = %+v, %v; want a first page of 2", byParty, err)
	}
	next, err := e.regulator.Flows(ctx, client.Query{"party": "buyer1", "limit": "2", "cursor": byParty.NextCursor})
	if err != nil || len(next.Items) == 0 || next.Items[0].Height < byParty.Items[1].Height {
		t.Errorf("the next page of buyer1's flows = %+v, %v", next, err)
	}
	if _, err := e.regulator.Flows(ctx, client.Query{"dataset": "x' OR tx.height>0"}); err == nil {
		t.Error("a filter with a quote was accepted")
	} else {
		problem(t, err, 400, 0)
	}
	rep, err := e.regulator.Report(ctx, "")
	if err != nil || !slices.ContainsFunc(rep.Computations, func(c marketplace.AuditComputation) bool { return c.ID == ref.ID }) {
		t.Errorf("report = %v; want the computation", err)
	}
	if _, err := e.buyer.Report(ctx, ""); err == nil {
		t.Error("a buyer's token got the audit report")
	} else {
		problem(t, err, 403, 0)
	}
	req2, _ := http.NewRequest("GET", e.gw.url+api.Prefix+"/audit/report?download=1", nil)
	req2.Header.Set("Authorization", "Bearer "+e.tokens["regulator"])
	if status, h, _ := statusOf(t, req2); status != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		t.Errorf("report download = %d %q", status, h.Get("Content-Disposition"))
	}
	budgets, err := e.regulator.Budgets(ctx)
	if err != nil || !slices.ContainsFunc(budgets.Datasets, func(b api.Budget) bool { return b.ID == id }) ||
		!slices.ContainsFunc(budgets.Grants, func(b api.Budget) bool { return b.ID == g.ID && b.Spent == "0" }) {
		t.Errorf("budgets = %+v, %v", budgets, err)
	}

	// A freeze refuses the buyer's next computation with the chain's code, and nothing is charged.
	hold, err := e.regulator.Freeze(ctx, api.HoldRequest{From: "regulator", Kind: "dataset", ID: id, Reason: "inquiry"})
	if err != nil || !hold.InForce || hold.Target != id {
		t.Fatalf("freeze = %+v, %v", hold, err)
	}
	if q, err := e.buyer.Quote(ctx, req); err != nil || q.Refused == nil || q.Refused.Code != rights.CodeFrozen {
		t.Errorf("quote under a freeze = %+v, %v; want refused with code %d", q, err, rights.CodeFrozen)
	}
	_, err = e.buyer.Compute(ctx, req)
	problem(t, err, 409, int64(rights.CodeFrozen))
	if g2, err := e.buyer.Grant(ctx, g.ID); err != nil || g2.Used != 1 {
		t.Errorf("grant after the refusal = %+v, %v; want 1 use", g2, err)
	}
	holds, err := e.regulator.Holds(ctx, nil)
	if err != nil || !slices.ContainsFunc(holds.Items, func(h api.Hold) bool { return h.ID == hold.ID && h.InForce }) {
		t.Errorf("holds = %+v, %v", holds, err)
	}
	if h, err := e.regulator.Unfreeze(ctx, api.HoldRequest{From: "regulator", Kind: "dataset", ID: id, Reason: "cleared"}); err != nil || h.InForce {
		t.Errorf("release = %+v, %v", h, err)
	}
	_, err = e.regulator.Unfreeze(ctx, api.HoldRequest{From: "regulator", Kind: "dataset", ID: id})
	problem(t, err, 409, int64(rights.CodeNotFrozen))

	// Proposals: the only regulator's proposal passes at once; a vote on it is refused.
	prop, err := e.regulator.Propose(ctx, api.ProposalRequest{From: "regulator", Change: "add", Who: "buyer2", Reason: "second regulator"})
	if err != nil {
		t.Fatal(err)
	}
	props, err := e.regulator.Proposals(ctx, nil)
	if err != nil || !slices.ContainsFunc(props.Items, func(p api.Proposal) bool { return p.ID == prop.ID }) {
		t.Errorf("proposals = %+v, %v", props, err)
	}
	if prop.Status != string(rights.ProposalPassed) {
		t.Errorf("proposal = %+v, want passed by the only regulator", prop)
	}
	_, err = e.regulator.Vote(ctx, prop.ID, "regulator")
	problem(t, err, 409, int64(rights.CodeProposalState))
}

// TestDatasetWrites changes a dataset's description, tags, price and policy, and transfers and
// retires it, as its holder.
func TestDatasetWrites(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	id := e.published(t)
	desc, tags, price := "household survey, 2026", []string{"survey", "households"}, uint64(3)
	d, err := e.owner.UpdateDataset(ctx, id, api.DatasetUpdate{From: "owner1", Description: &desc, Tags: &tags, Price: &price})
	if err != nil || d.Description != desc || !slices.Equal(d.Tags, tags) {
		t.Fatalf("update = %+v, %v", d, err)
	}
	if p, err := e.buyer.Datasets(ctx, client.Query{"tag": "households"}); err != nil || len(p.Items) != 1 || p.Items[0].ID != id {
		t.Errorf("catalog by tag = %+v, %v", p, err)
	}
	d, err = e.owner.SetPolicy(ctx, id, "owner1", marketplace.PolicyFile{AllowedOps: []rights.Op{rights.OpMean, rights.OpSum}, MinRows: 10, EpsilonTotal: "5"})
	if err != nil || d.PolicyFile.MinRows != 10 || string(d.PolicyFile.EpsilonTotal) != "5" {
		t.Errorf("policy = %+v, %v", d.PolicyFile, err)
	}
	_, err = e.owner.UpdateDataset(ctx, id, api.DatasetUpdate{From: "owner1"})
	problem(t, err, 422, 0)
}
