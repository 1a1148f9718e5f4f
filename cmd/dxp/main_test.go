package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
)

// run executes one dxp command line in-process and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := app.RunContext(ctx, flagsFirst(app, append([]string{"dxp"}, args...)))
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("dxp %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

func objectCount(t *testing.T, home string) int {
	t.Helper()
	b, err := marketplace.OpenBucket(context.Background(), filepath.Join(home, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := b.List(context.Background(), "objects/")
	if err != nil {
		t.Fatal(err)
	}
	return len(infos)
}

// TestCLI drives the commands a user types against a running devnet.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home := t.TempDir()
	rpc := freeRPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dn, err := devnet.Start(ctx, devnet.Config{Home: home, RPC: rpc, ChunkSize: 64, SetupCache: devnettest.SetupCache()})
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Stop()
	if err := dn.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	st := decode[map[string]any](t, mustRun(t, "status", "--home", home, "--output", "json"))
	if st["committee_ready"] != true || st["height"].(float64) < 1 {
		t.Errorf("status = %v, want a height and committee_ready true", st)
	}
	if st["slots_per_ciphertext"] != float64(devnet.DefaultSlots) || st["insecure_ring"] != true {
		t.Errorf("status = %v, want the default devnet ring of %d slots, labelled insecure", st, devnet.DefaultSlots)
	}

	mustRun(t, "keys", "add", "owner1", "--role", "owner", "--home", home)
	mustRun(t, "keys", "add", "buyer1", "--role", "buyer", "--home", home)
	if _, err := run(t, "keys", "add", "owner1", "--role", "owner", "--home", home); err == nil {
		t.Error("keys add accepted a name that exists")
	}
	if _, err := run(t, "keys", "add", "x", "--role", "king", "--home", home); err == nil {
		t.Error("keys add accepted an unknown role")
	}
	for _, name := range []string{"owner1", "buyer1", "regulator"} {
		fi, err := os.Stat(filepath.Join(home, "keys", name+".json"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("key file %s: %v, mode %v; want 0600", name, err, fi.Mode().Perm())
		}
	}
	keys := decode[[]marketplace.KeyInfo](t, mustRun(t, "keys", "list", "--home", home, "--output", "json"))
	if len(keys) != 3 {
		t.Errorf("keys list = %v, want owner1, buyer1, regulator", keys)
	}

	dir := t.TempDir()
	schema := filepath.Join(dir, "schema.json")
	write(t, schema, `{"columns":[{"name":"age","type":"integer","min":0,"max":120},{"name":"income","type":"decimal","scale":2,"min":0,"max":1000000}]}`)
	bad := filepath.Join(dir, "bad.csv")
	write(t, bad, "age,income\n30,100.00\n130,5.5\n")
	objectsBefore := objectCount(t, home)
	_, err = run(t, "dataset", "publish", "--home", home, "--from", "owner1", "--file", bad, "--schema", schema, "--price", "5")
	if err == nil || !strings.Contains(err.Error(), "line 3, column age") {
		t.Errorf("publishing a CSV with a bad row: %v, want an error naming line 3, column age", err)
	}
	if n := objectCount(t, home); n != objectsBefore {
		t.Errorf("a refused publish left %d new objects in storage", n-objectsBefore)
	}
	if list := decode[[]any](t, mustRun(t, "dataset", "list", "--home", home, "--output", "json")); len(list) != 0 {
		t.Errorf("a refused publish registered %v", list)
	}

	good := filepath.Join(dir, "data.csv")
	write(t, good, "age,income\n30,100.00\n40,250.50\n50,0.01\n")
	pub := decode[map[string]any](t, mustRun(t, "dataset", "publish", "--home", home, "--from", "owner1", "--file", good, "--schema", schema, "--price", "5", "--output", "json"))
	id, _ := pub["dataset"].(string)
	if id == "" {
		t.Fatalf("publish printed %v, want a dataset id", pub)
	}
	gr := decode[map[string]any](t, mustRun(t, "grant", "request", "--home", home, "--from", "buyer1", "--dataset", id,
		"--ops", "sum,mean,count", "--columns", "income", "--uses", "2", "--output", "json"))
	gid, _ := gr["grant"].(string)
	if gid == "" {
		t.Fatalf("grant request printed %v, want a grant id", gr)
	}
	if _, err := run(t, "compute", "run", "--home", home, "--from", "buyer1", "--grant", gid, "--op", "sum", "--column", "income"); err == nil {
		t.Error("compute ran under a grant nobody approved")
	}
	mustRun(t, "grant", "approve", "--home", home, "--from", "owner1", "--grant", gid)

	res := decode[map[string]any](t, mustRun(t, "compute", "run", "--home", home, "--from", "buyer1", "--grant", gid, "--op", "mean", "--column", "income", "--output", "json"))
	if res["result"] != "116.836667" || res["rows"].(float64) != 3 || res["column"] != "income" {
		t.Errorf("compute mean = %v, want result 116.836667 over 3 rows", res)
	}
	sum := mustRun(t, "compute", "run", "--home", home, "--from", "buyer1", "--grant", gid, "--op", "sum", "--column", "income")
	if !strings.Contains(sum, "sum(income) = 350.51") {
		t.Errorf("compute sum printed %q, want sum(income) = 350.51", sum)
	}
	if _, err := run(t, "compute", "run", "--home", home, "--from", "buyer1", "--grant", gid, "--op", "count", "--column", "income"); err == nil || !strings.Contains(err.Error(), "uses") {
		t.Errorf("a third computation under a 2-use grant: %v, want a refusal about uses", err)
	}

	// The holding right: tags, price, a policy with an offer that approves standard requests.
	upd := decode[map[string]any](t, mustRun(t, "dataset", "update", "--home", home, "--from", "owner1", "--dataset", id, "--tags", "survey,2024", "--price", "3", "--output", "json"))
	if upd["price"].(float64) != 3 || fmt.Sprint(upd["tags"]) != "[survey 2024]" {
		t.Errorf("dataset update = %v", upd)
	}
	if _, err := run(t, "dataset", "update", "--home", home, "--from", "owner1", "--dataset", id); err == nil {
		t.Error("dataset update without a change was accepted")
	}
	policy := filepath.Join(dir, "policy.json")
	write(t, policy, `{"purposes":["research"],"approval":"offer","offer":{"max_uses":3,"price_per_use":1,"max_duration":"2h"}}`)
	if out := mustRun(t, "dataset", "policy", "--home", home, "--from", "owner1", "--dataset", id, "--file", policy); !strings.Contains(out, "purposes research") || !strings.Contains(out, "approved at once") {
		t.Errorf("dataset policy printed %q", out)
	}
	write(t, policy, `{"approvl":"offer"}`)
	if _, err := run(t, "dataset", "policy", "--home", home, "--from", "owner1", "--dataset", id, "--file", policy); err == nil || !strings.Contains(err.Error(), "approvl") {
		t.Errorf("a policy with a misspelt field: %v, want an error naming it", err)
	}
	out := mustRun(t, "grant", "request", "--home", home, "--from", "buyer1", "--dataset", id, "--ops", "sum,count", "--columns", "income",
		"--uses", "2", "--purpose", "research", "--expires-in", "1h")
	if !strings.Contains(out, "approved at once") || !strings.Contains(out, ": active,") {
		t.Errorf("grant request within the offer printed %q", out)
	}
	if _, err := run(t, "grant", "request", "--home", home, "--from", "buyer1", "--dataset", id, "--ops", "sum", "--columns", "income",
		"--expires-height", "5", "--expires-in", "1h"); err == nil {
		t.Error("grant request with two expiries was accepted")
	}
	if grants := decode[[]map[string]any](t, mustRun(t, "grant", "list", "--home", home, "--grantee", "buyer1", "--output", "json")); len(grants) != 2 {
		t.Errorf("grant list --grantee buyer1 = %d grants, want 2", len(grants))
	}

	// The product right: two completed computations gave buyer1 two products.
	products := decode[[]map[string]any](t, mustRun(t, "product", "list", "--home", home, "--holder", "buyer1", "--output", "json"))
	if len(products) != 2 {
		t.Fatalf("product list = %v, want 2 products", products)
	}
	pid := products[0]["ID"].(string)
	mustRun(t, "product", "license", "--home", home, "--from", "buyer1", "--product", pid, "--to", "owner1")
	if out := mustRun(t, "product", "transfer", "--home", home, "--from", "buyer1", "--product", pid, "--to", "owner1"); !strings.Contains(out, "held by") {
		t.Errorf("product transfer printed %q", out)
	}

	// Regulators: freeze and unfreeze, and a vote.
	if out := mustRun(t, "regulator", "freeze", "--home", home, "--from", "regulator", "--kind", "dataset", "--id", id, "--reason", "inquiry"); !strings.Contains(out, "in force") {
		t.Errorf("regulator freeze printed %q", out)
	}
	if out := mustRun(t, "product", "list", "--home", home); !strings.Contains(out, "FROZEN") {
		t.Errorf("product list does not show the products of a frozen dataset frozen:\n%s", out)
	}
	if _, err := run(t, "regulator", "freeze", "--home", home, "--from", "owner1", "--kind", "dataset", "--id", id, "--reason", "x"); err == nil || !strings.Contains(err.Error(), "not a regulator") {
		t.Errorf("an owner's freeze: %v, want a refusal", err)
	}
	mustRun(t, "regulator", "unfreeze", "--home", home, "--from", "regulator", "--kind", "dataset", "--id", id)
	prop := decode[map[string]any](t, mustRun(t, "regulator", "propose", "--home", home, "--from", "regulator", "--add", "owner1", "--output", "json"))
	if prop["Status"] != "passed" {
		t.Errorf("regulator propose = %v, want passed by the only regulator", prop)
	}
	if out := mustRun(t, "regulator", "list", "--home", home); !strings.Contains(out, "released by") {
		t.Errorf("regulator list printed %q", out)
	}
	if _, err := run(t, "dataset", "transfer", "--home", home, "--from", "owner1", "--dataset", id, "--to", "buyer1"); err == nil || !strings.Contains(err.Error(), "owner role") {
		t.Errorf("transfer to a buyer: %v, want a refusal naming the owner role", err)
	}
	mustRun(t, "dataset", "retire", "--home", home, "--from", "owner1", "--dataset", id, "--reason", "done")

	audit := decode[map[string]json.RawMessage](t, mustRun(t, "audit", "--home", home, "--from", "regulator", "--output", "json"))
	for _, k := range []string{"datasets", "grants", "computations", "payments", "products", "holds", "regulator_changes"} {
		var arr []any
		if err := json.Unmarshal(audit[k], &arr); err != nil || len(arr) == 0 {
			t.Errorf("audit %s = %s, want a non-empty array", k, audit[k])
		}
	}
	text := mustRun(t, "audit", "--home", home, "--from", "regulator")
	if !strings.Contains(text, "proof verified: true") || !strings.Contains(text, "conserved true") {
		t.Errorf("audit text does not report verified proofs:\n%s", text)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	home := t.TempDir()
	_, err := run(t, "status", "--home", home)
	if err == nil || !strings.Contains(err.Error(), "dxp devnet start") {
		t.Errorf("status on an empty home: %v, want advice to start a devnet", err)
	}
	if _, err := run(t, "status", "--home", home, "--output", "yaml"); err == nil {
		t.Error("--output yaml was accepted")
	}
	if got := oneLine(errors.New("first\n  second\tthird")); got != "first second third" {
		t.Errorf("oneLine() = %q, want %q", got, "first second third")
	}
}

func TestFlagsFirst(t *testing.T) {
	app := newApp()
	tests := []struct{ in, want string }{
		{"dxp keys add owner1 --role owner --home D", "dxp keys add --role owner --home D -- owner1"},
		{"dxp keys add --role owner owner1", "dxp keys add --role owner -- owner1"},
		{"dxp keys add --role=owner owner1 --home D", "dxp keys add --role=owner --home D -- owner1"},
		{"dxp status --home D --output json", "dxp status --home D --output json"},
		{"dxp grant list --home D", "dxp grant list --home D"},
		{"dxp keys", "dxp keys"},
		{"dxp nosuch a --b c", "dxp nosuch a --b c"},
	}
	for _, tt := range tests {
		if got := strings.Join(flagsFirst(app, strings.Fields(tt.in)), " "); got != tt.want {
			t.Errorf("flagsFirst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
