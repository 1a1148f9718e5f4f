package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/gateway/api"
	"github.com/dxplabs/dxp/gateway/client"
	"github.com/dxplabs/dxp/rights"
	rightsclient "github.com/dxplabs/dxp/rights/client"
)

// Each attack is made as an attacker would make it, over the real listener, and each checks
// that nothing changed on chain (the grants and the sender's nonce) or on disk.

// chainState is what an attack must not change: every grant on chain and buyer1's nonce.
type chainState struct {
	grants int
	nonce  uint64
	holds  int
}

func snapshot(t *testing.T, e *env) chainState {
	t.Helper()
	s, err := e.session(t)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	grants, err := rightsclient.List[rights.Grant](ctx, s.Chain)
	if err != nil {
		t.Fatal(err)
	}
	holds, err := rightsclient.List[rights.Hold](ctx, s.Chain)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.Key("buyer1")
	if err != nil {
		t.Fatal(err)
	}
	var nonce uint64
	if p, err := rightsclient.Get[rights.Party](ctx, s.Chain, string(k.Address())); err == nil {
		nonce = p.Nonce
	}
	return chainState{len(grants), nonce, len(holds)}
}

func unchanged(t *testing.T, e *env, before chainState) {
	t.Helper()
	if after := snapshot(t, e); after != before {
		t.Errorf("the chain changed: %+v, was %+v", after, before)
	}
}

func raw(t *testing.T, e *env, method, path, token string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.gw.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	status, h, b := statusOf(t, req)
	if status >= 400 && h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s: %d with Content-Type %q, want a problem document", method, path, status, h.Get("Content-Type"))
	}
	return status, b
}

func grantBody(from, dataset string) []byte {
	return []byte(`{"from":"` + from + `","datasets":["` + dataset + `"],"ops":["sum"],"columns":["income"],"uses":1}`)
}

// TestAttackNoToken sends reads and writes without a token, with a token of another scheme, and
// with a made-up token: 401 every time, and nothing changes.
func TestAttackNoToken(t *testing.T) {
	e := getEnv(t)
	id := e.published(t)
	before := snapshot(t, e)
	forged := e.tokens["buyer1"][:len(e.tokens["buyer1"])-1] + "A"
	if forged == e.tokens["buyer1"] {
		forged = e.tokens["buyer1"][:len(e.tokens["buyer1"])-1] + "B"
	}
	for _, tok := range []string{"", "not-a-token", forged} {
		for _, r := range []struct{ method, path string }{
			{"GET", api.Prefix + "/whoami"}, {"GET", api.Prefix + "/datasets"}, {"GET", api.Prefix + "/audit/report"},
			{"POST", api.Prefix + "/grants"}, {"POST", api.Prefix + "/holds"}, {"GET", api.Prefix + "/nowhere"},
		} {
			if status, _ := raw(t, e, r.method, r.path, tok, grantBody("buyer1", id)); status != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", r.method, r.path, tok, status)
			}
		}
	}
	req, _ := http.NewRequest("GET", e.gw.url+api.Prefix+"/whoami", nil)
	req.Header.Set("Authorization", "Basic "+e.tokens["buyer1"])
	if status, _, _ := statusOf(t, req); status != http.StatusUnauthorized {
		t.Errorf("a Basic authorization: %d, want 401", status)
	}
	unchanged(t, e, before)
}

// TestAttackOtherKeysToken uses buyer2's token to act as buyer1 and as the owner, to read
// buyer1's computation's answer, and owner1's token to freeze as the regulator: 403, nothing
// changes, and no answer leaks.
func TestAttackOtherKeysToken(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	id := e.published(t)
	before := snapshot(t, e)
	_, err := e.buyer2.RequestGrant(ctx, api.GrantRequest{From: "buyer1", Datasets: []string{id}, Ops: []string{"sum"}, Columns: []string{"income"}, Uses: 1})
	problem(t, err, 403, 0)
	k, err := e.sessionKey(t, "buyer1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.buyer2.RequestGrant(ctx, api.GrantRequest{From: string(k), Datasets: []string{id}, Ops: []string{"sum"}, Columns: []string{"income"}, Uses: 1})
	problem(t, err, 403, 0) // by address, too
	_, err = e.buyer2.Compute(ctx, api.ComputationRequest{From: "buyer1", Grant: "gr-1", Op: "sum", Columns: []string{"income"}})
	problem(t, err, 403, 0)
	_, err = e.owner.Freeze(ctx, api.HoldRequest{From: "regulator", Kind: "dataset", ID: id, Reason: "x"})
	problem(t, err, 403, 0)
	_, err = e.buyer2.ActOnGrant(ctx, "gr-1", "revoke", "owner1", "x")
	problem(t, err, 403, 0)
	_, err = e.buyer2.UpdateDataset(ctx, id, api.DatasetUpdate{From: "owner1", Description: new(string)})
	problem(t, err, 403, 0)
	unchanged(t, e, before)

	// buyer1's answers are not buyer2's.
	comps, err := e.buyer2.Computations(ctx, client.Query{"buyer": "buyer1", "status": "completed"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comps.Items {
		got, err := e.buyer2.Computation(ctx, c.ID)
		if err != nil || got.Result != nil || got.Problem != nil {
			t.Errorf("buyer2 reads buyer1's computation %s: %+v, %v", c.ID, got, err)
		}
	}
	// Nor are owner1's uploads.
	up, err := e.owner.Upload(ctx, e.tab.CSV())
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.buyer2.Publish(ctx, api.PublishRequest{From: "buyer2", Upload: up.ID, Schema: schemaJSON(), Price: 1})
	problem(t, err, 403, 0)
}

// TestAttackBadInput sends malformed JSON, unknown fields, trailing data, oversized bodies and a
// non-CSV upload: 400, 413 or 415/422, and nothing changes.
func TestAttackBadInput(t *testing.T) {
	e := getEnv(t)
	id := e.published(t)
	before := snapshot(t, e)
	tok := e.tokens["buyer1"]
	for _, tc := range []struct {
		body   string
		status int
	}{
		{`{"from":"buyer1",`, 400},
		{`["from","buyer1"]`, 400},
		{`{"from":"buyer1","datasets":["` + id + `"],"ops":["sum"],"columns":["income"],"uses":1,"admin":true}`, 400},
		{string(grantBody("buyer1", id)) + `{"again":1}`, 400},
		{`{"from":"buyer1","datasets":["` + id + `"],"ops":["sum"],"columns":["income"],"uses":-1}`, 400},
		{`{"from":"buyer1","datasets":["` + id + `"],"ops":["median"],"columns":["income"],"uses":1}`, 422},
		{`{"from":"buyer1","datasets":["` + id + `"],"ops":["sum"],"columns":["income"],"uses":1,"epsilon":"0.1234567"}`, 422},
		{`{"datasets":["` + id + `"],"ops":["sum"],"columns":["income"],"uses":1}`, 422},
	} {
		if status, b := raw(t, e, "POST", api.Prefix+"/grants", tok, []byte(tc.body)); status != tc.status {
			t.Errorf("grant request %s: %d %s, want %d", tc.body, status, b, tc.status)
		}
	}
	big := append(grantBody("buyer1", id)[:1], []byte(`"pad":"`+strings.Repeat("x", gateway.DefaultMaxBody)+`",`)...)
	big = append(big, grantBody("buyer1", id)[1:]...)
	if status, _ := raw(t, e, "POST", api.Prefix+"/grants", tok, big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body past the limit: %d, want 413", status)
	}
	uploads := countFiles(t, filepath.Join(e.home, "gateway", "uploads"))
	if status, _ := raw(t, e, "POST", api.Prefix+"/uploads", tok, bytes.Repeat([]byte("1,2\n"), (1<<20)/4+1), "Content-Type", "text/csv"); status != http.StatusRequestEntityTooLarge {
		t.Errorf("an upload past the limit: %d, want 413", status)
	}
	if status, _ := raw(t, e, "POST", api.Prefix+"/uploads", tok, []byte("a,b\n1,2\n"), "Content-Type", "application/json"); status != http.StatusUnsupportedMediaType {
		t.Errorf("an upload that is not text/csv: %d, want 415", status)
	}
	if status, _ := raw(t, e, "POST", api.Prefix+"/uploads", tok, []byte("a,b\n1,\"2\n"), "Content-Type", "text/csv"); status != http.StatusUnprocessableEntity {
		t.Errorf("an upload that is not CSV: %d, want 422", status)
	}
	if n := countFiles(t, filepath.Join(e.home, "gateway", "uploads")); n != uploads {
		t.Errorf("refused uploads left files: %d, was %d", n, uploads)
	}
	unchanged(t, e, before)
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestAttackIdempotencyReplay retries a grant request with its Idempotency-Key (it is done once,
// the answer replayed) and then reuses the key for another body (422, nothing done); another
// token's use of the same key is its own.
func TestAttackIdempotencyReplay(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	id := e.published(t)
	key := "grant-once-" + t.Name()
	body := grantBody("buyer1", id)
	before := snapshot(t, e)
	status1, first := raw(t, e, "POST", api.Prefix+"/grants", e.tokens["buyer1"], body, "Idempotency-Key", key)
	if status1 != http.StatusCreated {
		t.Fatalf("first request: %d %s", status1, first)
	}
	req, _ := http.NewRequest("POST", e.gw.url+api.Prefix+"/grants", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.tokens["buyer1"])
	req.Header.Set("Idempotency-Key", key)
	status2, h, second := statusOf(t, req)
	if status2 != status1 || !bytes.Equal(first, second) || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s (replayed %q), want the first answer replayed", status2, second, h.Get("Idempotent-Replayed"))
	}
	mid := snapshot(t, e)
	if mid.grants != before.grants+1 {
		t.Errorf("%d grants after a request and its retry, want %d", mid.grants, before.grants+1)
	}
	other := bytes.Replace(body, []byte(`"uses":1`), []byte(`"uses":2`), 1)
	if status, b := raw(t, e, "POST", api.Prefix+"/grants", e.tokens["buyer1"], other, "Idempotency-Key", key); status != http.StatusUnprocessableEntity {
		t.Errorf("the key with another body: %d %s, want 422", status, b)
	}
	if status, _ := raw(t, e, "POST", api.Prefix+"/grants", e.tokens["buyer1"], body, "Idempotency-Key", strings.Repeat("k", 129)); status != http.StatusBadRequest {
		t.Errorf("a 129-character key: %d, want 400", status)
	}
	unchanged(t, e, mid)
	// The key is per token: buyer2 using it acts on its own.
	if _, err := e.buyer2.RequestGrant(client.WithIdempotencyKey(ctx, key), api.GrantRequest{From: "buyer2", Datasets: []string{id}, Ops: []string{"sum"}, Columns: []string{"income"}, Uses: 1}); err != nil {
		t.Errorf("buyer2 with the same key: %v", err)
	}
	// Records name neither the token nor the key.
	entries, _ := os.ReadDir(filepath.Join(e.home, "gateway", "idempotency"))
	for _, en := range entries {
		if strings.Contains(en.Name(), key) {
			t.Errorf("idempotency record %s names the key", en.Name())
		}
		b, _ := os.ReadFile(filepath.Join(e.home, "gateway", "idempotency", en.Name()))
		for _, tok := range e.tokens {
			if bytes.Contains(b, []byte(tok)) {
				t.Errorf("idempotency record %s holds a token", en.Name())
			}
		}
	}
}

// TestAttackPathTraversal names files outside the gateway's directories through ids in paths and
// bodies: each is refused as unknown, and the files are untouched.
func TestAttackPathTraversal(t *testing.T) {
	e := getEnv(t)
	e.published(t)
	tokens, err := os.ReadFile(gateway.TokensFile(e.home))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tokens)
	tok := e.tokens["owner1"]
	for _, path := range []string{
		"/jobs/..%2Ftokens", "/jobs/..%2F..%2Fconfig", "/jobs/%2E%2E", "/jobs/.hidden", "/computations/..%2F..%2Fkeys%2Fbuyer1",
		"/computations/..%2F..%2Fkeys%2Fbuyer1/events", "/datasets/..%2F..", "/grants/a%00b",
	} {
		status, b := raw(t, e, "GET", api.Prefix+path, tok, nil)
		if status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, status, b)
		}
		if bytes.Contains(b, []byte("ed25519_seed")) || bytes.Contains(b, []byte(e.tokens[gateway.HomeToken])) {
			t.Fatalf("GET %s leaked a secret", path)
		}
	}
	for _, upload := range []string{"../tokens", "../../keys/owner1", "..", "up-x/../../tokens"} {
		body := []byte(`{"from":"owner1","upload":"` + upload + `","schema":` + string(schemaJSON()) + `,"price":1}`)
		if status, b := raw(t, e, "POST", api.Prefix+"/publish", tok, body); status != http.StatusUnprocessableEntity {
			t.Errorf("publish upload %q: %d %s, want 422", upload, status, b)
		}
	}
	after, _ := os.ReadFile(gateway.TokensFile(e.home))
	if sha256.Sum256(after) != sum {
		t.Error("the tokens file changed")
	}
}

// TestAttackListenBeyondLoopback starts a gateway on every interface without TLS: refused before
// anything listens.
func TestAttackListenBeyondLoopback(t *testing.T) {
	e := getEnv(t)
	for _, addr := range []string{"0.0.0.0:8480", "[::]:8480", "192.0.2.1:8480", ":8480"} {
		cfg := testConfig(e.home)
		cfg.Listen = addr
		srv, err := gateway.New(context.Background(), cfg)
		if err == nil {
			srv.Close()
			t.Errorf("a gateway on %s without TLS was started", addr)
		} else if !strings.Contains(err.Error(), "without TLS") {
			t.Errorf("listen on %s: %v, want a refusal naming TLS", addr, err)
		}
	}
	cfg := testConfig(e.home)
	cfg.Listen, cfg.TLSCert = "0.0.0.0:8480", "cert.pem"
	if _, err := gateway.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("a certificate without a key: %v, want refused", err)
	}
}

// TestAttackSecondGateway starts a second gateway on the home the shared one serves: both would
// resume the same publish jobs and computations and write the same records. Refused, naming the
// lock; the running gateway keeps serving; once a gateway closes, its home takes a new one.
func TestAttackSecondGateway(t *testing.T) {
	e := getEnv(t)
	srv, err := gateway.New(context.Background(), testConfig(e.home))
	if err == nil {
		srv.Close()
		t.Fatal("a second gateway started on a home a gateway serves")
	}
	if !strings.Contains(err.Error(), "another gateway runs on this home") {
		t.Errorf("a second gateway on the home: %v, want a refusal naming the running one", err)
	}
	if _, err := e.owner.Datasets(ctxT(t), client.Query{}); err != nil {
		t.Errorf("the running gateway stopped serving after the refusal: %v", err)
	}
	home := clientHome(t, e)
	first := startGateway(t, testConfig(home))
	first.stop()
	second := startGateway(t, testConfig(home)) // the lock went with the first
	second.stop()
}

// TestAttackFillTheDisk keeps what a client leaves on the gateway's disk from growing for ever:
// an upload goes once its publish is done (TestPublishResume) or a day after it was made, and an
// idempotency record a day after it answered. Aged by a day, a restarted gateway has removed
// both: the old upload cannot be published, and the key acts anew; a fresh upload stays.
func TestAttackFillTheDisk(t *testing.T) {
	e := getEnv(t)
	ctx := ctxT(t)
	home := clientHome(t, e)
	gw := startGateway(t, testConfig(home))
	owner := client.New(gw.url, e.tokens["owner1"])
	keyed := client.WithIdempotencyKey(ctx, "upload-once")
	old, err := owner.Upload(keyed, []byte("amount\n1\n2\n"))
	if err != nil {
		gw.stop()
		t.Fatal(err)
	}
	if _, err := owner.Upload(keyed, []byte("amount\n3\n")); err == nil {
		t.Error("the same Idempotency-Key with another body was accepted")
	}
	fresh, err := owner.Upload(ctx, []byte("amount\n4\n"))
	gw.stop()
	if err != nil {
		t.Fatal(err)
	}

	// A day and a minute pass for the old upload and the record.
	dir := filepath.Join(home, "gateway")
	day := time.Now().Add(-24*time.Hour - time.Minute)
	recPath := filepath.Join(dir, "uploads", old.ID+".json")
	b, err := os.ReadFile(recPath)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["created"] = day.UTC().Format(time.RFC3339Nano)
	if b, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(recPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A CSV whose record a crashed gateway never wrote.
	orphan := filepath.Join(dir, "uploads", "up-00000000000000000000.csv")
	if err := os.WriteFile(orphan, []byte("amount\n5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(orphan, day, day); err != nil {
		t.Fatal(err)
	}
	records, err := os.ReadDir(filepath.Join(dir, "idempotency"))
	if err != nil || len(records) == 0 {
		t.Fatalf("no idempotency record was written: %v", err)
	}
	for _, r := range records {
		if err := os.Chtimes(filepath.Join(dir, "idempotency", r.Name()), day, day); err != nil {
			t.Fatal(err)
		}
	}

	gw = startGateway(t, testConfig(home))
	defer gw.stop()
	owner = client.New(gw.url, e.tokens["owner1"])
	for _, f := range []string{old.ID + ".csv", old.ID + ".json"} {
		if _, err := os.Stat(filepath.Join(dir, "uploads", f)); !os.IsNotExist(err) {
			t.Errorf("the day-old upload's %s is still on disk (%v)", f, err)
		}
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("a day-old CSV without its record is still on disk (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "uploads", fresh.ID+".csv")); err != nil {
		t.Errorf("a fresh upload was removed: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "idempotency")); len(left) != 0 {
		t.Errorf("%d day-old idempotency records are still on disk", len(left))
	}
	_, err = owner.Publish(ctx, api.PublishRequest{From: "owner1", Upload: old.ID, Schema: json.RawMessage(resumeSchema), Name: "expired", Price: 1})
	if err == nil || !strings.Contains(err.Error(), "there is no upload") {
		t.Errorf("publishing an expired upload: %v, want refused", err)
	}
	if _, err := owner.Upload(client.WithIdempotencyKey(ctx, "upload-once"), []byte("amount\n3\n")); err != nil {
		t.Errorf("the expired Idempotency-Key does not act anew: %v", err)
	}
}
