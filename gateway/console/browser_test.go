package console_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// surveySchema is what the owner enters in the publish wizard, and what the test reads the CSV
// with to know the exact answer.
const surveySchema = `{"columns":[
 {"name":"age","type":"integer","min":0,"max":120},
 {"name":"income","type":"decimal","scale":2,"min":0,"max":1000000}]}`

// chromium finds Debian's chromium (or another Chromium-based browser), or skips the test when
// there is none and CI is not set: CI installs it (scripts/test), so there it must run.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DXP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI must run the console's browser test: bash scripts/test installs Debian's chromium")
	}
	t.Skip("chromium is not installed: `apt-get install chromium` (bash scripts/test does it) to run the console's browser test")
	return ""
}

// tab is one browser tab signed in with one token: sessionStorage, where the console keeps the
// token, is per tab, so each role acts in a tab of its own as three people would.
type tab struct {
	role string
	ctx  context.Context
}

func (b tab) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute) // a wait for what never shows fails
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %s: %v", b.role, what, err)
	}
}

// waitFor polls a JavaScript expression in the page until it is truthy.
func (b tab) waitFor(t *testing.T, what, expr string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout),
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("%s: %s: %v", b.role, what, err)
	}
}

func (b tab) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: read %s: %v", b.role, sel, err)
	}
	return strings.TrimSpace(s)
}

func (b tab) attr(t *testing.T, sel, name string) string {
	t.Helper()
	a, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("%s: read %s@%s: %v", b.role, sel, name, err)
	}
	if !a.Exists {
		t.Fatalf("%s: %s has no attribute %s", b.role, sel, name)
	}
	return a.Value
}

func (b tab) exists(t *testing.T, sel string) bool {
	t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	if err != nil {
		t.Fatalf("%s: look for %s: %v", b.role, sel, err)
	}
	return ok
}

// snap saves the tab as it is now in testdata/out/NAME.png when DXP_CONSOLE_SCREENSHOTS is set,
// to look at the pages between the steps.
func (b tab) snap(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("DXP_CONSOLE_SCREENSHOTS") == "" {
		return
	}
	img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll(filepath.Join("testdata", "out"), 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join("testdata", "out", name+".png"), img, 0o644)
	}
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// page is the URL of a console page, loaded afresh: a new query string makes the browser load the
// page again even when the tab already shows that hash (which would not even fire hashchange).
func page(base, hash string) string {
	return base + "/?" + strconv.FormatInt(time.Now().UnixNano(), 36) + hash
}

// css is a CSS selector for the chromedp actions.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// startConsole starts a devnet with the keys owner1 and buyer1, a gateway over its home serving
// the console on a loopback port, and a headless chromium with a tab per role (owner1, buyer1,
// regulator), each signed in with its key's token. Everything stops when the test ends; page
// errors fail the test, and screenshots are saved when it failed.
func startConsole(t *testing.T) (home, base string, owner, buyer, regulator tab) {
	t.Helper()
	browser := chromium(t)
	home = t.TempDir()
	// The smallest ring and the one width the tests' columns need keep the setup loaded from the
	// cache and the proofs quick; the flows are the same at any size.
	dn := devnettest.Start(t, devnet.Config{Home: home, Slots: 1024, Widths: []int{32}})
	t.Cleanup(func() {
		if err := dn.Stop(); err != nil {
			t.Errorf("stop the devnet: %v", err)
		}
	})
	devnettest.MustKey(t, home, "owner1", rights.RoleOwner)
	devnettest.MustKey(t, home, "buyer1", rights.RoleBuyer)

	ctx, cancel := context.WithCancel(context.Background())
	gw, err := gateway.New(ctx, gateway.Config{Home: home})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("gateway: %v", err)
		}
	})
	base = "http://" + ln.Addr().String()
	tokens := gatewayTokens(t, home)

	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1000))...)
	t.Cleanup(stopAlloc)
	browserCtx, stopBrowser := chromedp.NewContext(alloc)
	t.Cleanup(stopBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", browser, err)
	}
	var tabs []tab
	console := &consoleLog{}
	for _, role := range []string{"owner", "buyer", "regulator"} {
		tctx, closeTab := chromedp.NewContext(browserCtx)
		t.Cleanup(closeTab)
		if err := chromedp.Do(tctx); err != nil { // opens the tab
			t.Fatal(err)
		}
		go console.read(tctx, role)
		tabs = append(tabs, tab{role: role, ctx: tctx})
	}
	t.Cleanup(func() { console.check(t) })
	t.Cleanup(func() { screenshots(t, base, tabs) })

	for _, b := range tabs {
		key := map[string]string{"owner": "owner1", "buyer": "buyer1", "regulator": "regulator"}[b.role]
		b.run(t, "sign in", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#token")),
			chromedp.SendKeys(css("#token"), tokens[key]), chromedp.Click(css("#token-form button")))
		b.waitFor(t, "see its role", fmt.Sprintf(`document.querySelector('#roles a[href="#/%s"]') !== null && document.querySelector('#view').dataset.ready !== undefined`, b.role), 20*time.Second)
	}
	return home, base, tabs[0], tabs[1], tabs[2]
}

// TestConsoleInBrowser drives the console in headless chromium against a real gateway over a
// real devnet, as the three roles would: the owner publishes a CSV through the wizard and
// watches its progress, the buyer requests a grant, the owner approves it in the inbox, the
// buyer runs a mean and sees the exact answer, the regulator finds the flow and freezes the
// dataset, and the buyer's next computation is refused on screen with the chain's code.
func TestConsoleInBrowser(t *testing.T) {
	_, base, owner, buyer, regulator := startConsole(t)

	// The CSV the owner chooses in the wizard, and the exact mean the buyer must see.
	csvPath := filepath.Join(t.TempDir(), "survey.csv")
	var csv strings.Builder
	csv.WriteString("age,income\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&csv, "%d,%d.%02d\n", 18+(i*7)%70, 15000+(i*7919)%200000, (i*37)%100)
	}
	if err := os.WriteFile(csvPath, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	schema, err := marketplace.ParseSchema(strings.NewReader(surveySchema))
	if err != nil {
		t.Fatal(err)
	}
	table, err := marketplace.ReadTable(csvPath, strings.NewReader(csv.String()), schema)
	if err != nil {
		t.Fatal(err)
	}
	wantMean := devnet.PlaintextAnswer(rights.OpMean, "income", schema, []*marketplace.Table{table})

	// The owner publishes the CSV through the wizard and watches its progress.
	owner.run(t, "open the wizard", chromedp.Navigate(base+"/#/owner/publish"), chromedp.WaitVisible(css("#csv-file")),
		chromedp.SetUploadFiles(css("#csv-file"), []string{csvPath}))
	owner.waitFor(t, "see the schema form", `document.querySelectorAll('#schema-table tbody tr').length === 2`, 10*time.Second)
	if got := owner.attr(t, `#schema-table tr[data-column="income"] select[name="type"] option:checked`, "value"); got != "decimal" {
		t.Errorf("the wizard proposes income as %q, want decimal (the CSV has cents)", got)
	}
	owner.run(t, "fill in the schema and publish",
		chromedp.SetValue(css(`#schema-table tr[data-column="age"] input[name="min"]`), "0"),
		chromedp.SetValue(css(`#schema-table tr[data-column="age"] input[name="max"]`), "120"),
		chromedp.SetValue(css(`#schema-table tr[data-column="income"] input[name="scale"]`), "2"),
		chromedp.SetValue(css(`#schema-table tr[data-column="income"] input[name="min"]`), "0"),
		chromedp.SetValue(css(`#schema-table tr[data-column="income"] input[name="max"]`), "1000000"),
		chromedp.SetValue(css("#publish-name"), "survey"),
		chromedp.SetValue(css("#publish-price"), "3"),
		chromedp.Click(css("#publish-submit")))
	owner.waitFor(t, "see progress", `document.querySelector('#publish-stages li.current, #publish-stages li.done') !== null`, time.Minute)
	owner.waitFor(t, "see the publish finish", `document.querySelector('#publish-done') !== null || document.querySelector('#publish-progress .failed') !== null`, 3*time.Minute)
	if owner.text(t, "#publish-progress") == "" || !strings.Contains(owner.text(t, "#publish-progress"), "registered at height") {
		t.Fatalf("the publish did not finish: %s", owner.text(t, "#publish-progress"))
	}
	if n, err := strconv.Atoi(owner.attr(t, "#publish-progress", "data-events")); err != nil || n < 2 {
		t.Errorf("the wizard showed %q progress events, want the job's stream of them", owner.attr(t, "#publish-progress", "data-events"))
	}
	dataset := owner.attr(t, "#publish-done", "data-dataset")
	owner.snap(t, "owner-published")

	// The buyer finds it in the catalog, verified, and requests a grant.
	row := fmt.Sprintf(`#catalog-table tr[data-id="%s"]`, dataset)
	buyer.run(t, "open the catalog", chromedp.Navigate(base+"/#/buyer?q=survey"), chromedp.WaitVisible(css(row)))
	if got := buyer.text(t, row+" .badge.verified"); !strings.Contains(got, "verified") {
		t.Errorf("the catalog shows %q for the dataset's proofs, want the verified badge", got)
	}
	buyer.run(t, "request a grant", chromedp.Click(css(row+" a.button")), chromedp.WaitVisible(css("#grant-form")),
		chromedp.Click(css(`#grant-form input[name="ops"][value="histogram"]`)), chromedp.Click(css(`#grant-form input[name="ops"][value="dot"]`)),
		chromedp.Click(css(`#grant-form input[name="columns"][value="income"]`)), chromedp.Click(css(`#grant-form input[name="columns"][value="age"]`)),
		chromedp.Click(css("#grant-submit")),
		chromedp.WaitVisible(css("#grant-result")))
	grant := buyer.attr(t, "#grant-result", "data-id")
	if st := buyer.attr(t, "#grant-result", "data-state"); st != string(rights.GrantRequested) {
		t.Errorf("the new grant is %q, want %q: the policy asks the holder", st, rights.GrantRequested)
	}

	// The owner approves it in the inbox.
	approve := fmt.Sprintf(`#inbox-table tr[data-id="%s"] button.approve`, grant)
	owner.run(t, "approve in the inbox", chromedp.Navigate(base+"/#/owner/inbox"), chromedp.WaitVisible(css(approve)), chromedp.Click(css(approve)))
	owner.waitFor(t, "see the inbox empty", `document.querySelector('#inbox-table-empty') !== null`, 30*time.Second)

	// The buyer is quoted, runs a mean and sees the exact answer.
	compute := func(op, column, edges string, more ...chromedp.Action[chromedp.Void]) {
		buyer.run(t, "open a new computation", chromedp.Navigate(page(base, "#/buyer/compute/"+grant)),
			chromedp.WaitVisible(css("#compute-form")))
		// Choose as a user does: the op's change event shows the fields it takes.
		if _, err := chromedp.Run(buyer.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			const op = document.querySelector('#compute-op'); op.value = %q; op.dispatchEvent(new Event('change'));
			document.querySelector('#compute-column').value = %q; document.querySelector('#compute-edges').value = %q;
			return true; })()`, op, column, edges))); err != nil {
			t.Fatalf("buyer: fill in the computation: %v", err)
		}
		if len(more) > 0 {
			buyer.run(t, "fill in the "+op+"'s inputs", more...)
		}
		buyer.run(t, "ask for a quote", chromedp.Click(css("#compute-quote")))
		buyer.waitFor(t, "see a quote", `document.querySelector('#quote-price, #compute-form .problem-doc') !== null`, 30*time.Second)
	}
	runIt := func() {
		buyer.run(t, "run", chromedp.Click(css("#compute-run")))
		buyer.waitFor(t, "see the result", `document.querySelector('#result-value') !== null || document.querySelector('#compute-status .problem-doc') !== null`, 2*time.Minute)
		if got := buyer.text(t, "#compute-status"); !strings.Contains(got, "=") {
			t.Fatalf("the computation shows no result: %s", got)
		}
	}
	compute("mean", "income", "")
	if got := buyer.text(t, "#quote-price"); got != "3 cr" {
		t.Errorf("the quote shows price %q, want 3 cr", got)
	}
	if got := buyer.text(t, "#quote-epsilon"); got != "0" {
		t.Errorf("the quote shows epsilon %q, want 0 for an exact mean", got)
	}
	runIt()
	if got := buyer.text(t, "#result-value"); got != wantMean {
		t.Errorf("the console shows mean(income) = %s, want the plaintext answer %s", got, wantMean)
	}
	computation := buyer.attr(t, "#compute-status", "data-id")
	buyer.snap(t, "buyer-result")

	// A histogram is drawn as bars, one per bucket, with the exact counts beside them.
	compute("histogram", "age", "20,40,60,80")
	runIt()
	counts, err := chromedp.Run(buyer.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#buckets-table tbody td:nth-child(3)')].map((td) => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := ageCounts(table, []int64{20, 40, 60, 80}); fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("the histogram's buckets show %v, want the plaintext counts %v", counts, want)
	}
	if bars, err := chromedp.Run(buyer.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#compute-result svg.histogram rect.bar').length`)); err != nil || bars != 3 {
		t.Errorf("the histogram is drawn with %d bars (%v), want 3", bars, err)
	}
	buyer.snap(t, "buyer-histogram")

	// A dot product with the buyer's own weights, chosen as a file: the gateway encrypts them
	// under the committee's key, and the answer is exact.
	weightsPath := filepath.Join(t.TempDir(), "weights.txt")
	var weights strings.Builder
	var wantDot int64
	for i := 0; i < 300; i++ {
		w := int64(1 + i%5)
		fmt.Fprintf(&weights, "%d\n", w)
		wantDot += w * int64(18+(i*7)%70) // the CSV's age column
	}
	if err := os.WriteFile(weightsPath, []byte(weights.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	compute("dot", "age", "", chromedp.SetUploadFiles(css("#compute-weights"), []string{weightsPath}))
	runIt()
	if got := buyer.text(t, "#result-value"); got != strconv.FormatInt(wantDot, 10) {
		t.Errorf("the console shows dot(age, weights) = %s, want %d", got, wantDot)
	}
	buyer.snap(t, "buyer-dot")

	// The regulator finds the flow in the audit explorer and freezes the dataset.
	flow := fmt.Sprintf(`#flows-table tr[data-computation="%s"]`, computation)
	regulator.run(t, "find the flow", chromedp.Navigate(base+"/#/regulator/audit?dataset="+dataset), chromedp.WaitVisible(css(flow)))
	regulator.snap(t, "regulator-flows")
	regulator.run(t, "freeze the dataset", chromedp.Navigate(base+"/#/regulator/holds"), chromedp.WaitVisible(css("#freeze-form")),
		chromedp.SetValue(css("#freeze-kind"), "dataset"), chromedp.SendKeys(css("#freeze-id"), dataset),
		chromedp.SendKeys(css("#freeze-reason"), "consent under review"), chromedp.Click(css("#freeze-submit")),
		chromedp.WaitVisible(css(fmt.Sprintf(`#holds-table tr[data-target="%s"]`, dataset))))

	// The buyer's next computation is refused on screen, with the chain's code for a freeze.
	compute("mean", "income", "")
	var refusal string
	if !buyer.exists(t, "#compute-form .problem-doc") {
		buyer.run(t, "run again", chromedp.Click(css("#compute-run")))
		buyer.waitFor(t, "see the refusal", `document.querySelector('#compute-status .problem-doc') !== null || document.querySelector('#result-value') !== null`, time.Minute)
		refusal = "#compute-status .problem-doc"
	} else {
		refusal = "#compute-form .problem-doc"
	}
	if buyer.exists(t, "#result-value") {
		t.Fatal("a computation over a frozen dataset showed a result")
	}
	if code := buyer.attr(t, refusal, "data-code"); code != strconv.Itoa(int(rights.CodeFrozen)) {
		t.Errorf("the refusal shows chain code %s, want %d (frozen): %s", code, rights.CodeFrozen, buyer.text(t, refusal))
	}
	if detail := buyer.text(t, refusal+" .detail"); !strings.Contains(detail, "frozen") {
		t.Errorf("the refusal reads %q, want its one-sentence reason naming the freeze", detail)
	}

	// With DXP_CONSOLE_SCREENSHOTS, a tour of the other pages, to look at; a script error on any
	// of them fails the test too.
	if os.Getenv("DXP_CONSOLE_SCREENSHOTS") != "" {
		for _, stop := range []struct {
			b          tab
			hash, name string
		}{
			{owner, "#/dataset/" + dataset, "owner-dataset"}, {owner, "#/owner/policy/" + dataset, "owner-policy"},
			{buyer, "#/buyer/grants", "buyer-grants"}, {buyer, "#/buyer/computations", "buyer-computations"},
			{buyer, "#/buyer/products", "buyer-products"}, {buyer, "#/buyer/request/" + dataset, "buyer-request"},
			{regulator, "#/regulator/report", "regulator-report"}, {regulator, "#/regulator/proposals", "regulator-proposals"},
		} {
			stop.b.run(t, "visit "+stop.hash, chromedp.Navigate(base+"/"+stop.hash), chromedp.Sleep(1500*time.Millisecond))
			stop.b.snap(t, stop.name)
		}
	}
}

// screenshots saves each tab as it is and each role's main page when the test failed (or when
// DXP_CONSOLE_SCREENSHOTS is set), in testdata/out, which git ignores.
func screenshots(t *testing.T, base string, tabs []tab) {
	if !t.Failed() && os.Getenv("DXP_CONSOLE_SCREENSHOTS") == "" {
		return
	}
	dir := filepath.Join("testdata", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Log(err)
		return
	}
	for _, b := range tabs {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		now, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		var main []byte
		if err == nil {
			err = chromedp.Do(ctx, chromedp.Navigate(base+"/#/"+b.role), chromedp.Sleep(1500*time.Millisecond))
		}
		if err == nil {
			main, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		cancel()
		if err != nil {
			t.Logf("screenshot of the %s tab: %v", b.role, err)
			continue
		}
		for name, img := range map[string][]byte{b.role + "-last.png": now, b.role + ".png": main} {
			if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
				t.Log(err)
			}
		}
		t.Logf("screenshots of the %s tab in %s", b.role, dir)
	}
}

// gatewayTokens reads the per-key tokens the gateway wrote at its first start.
func gatewayTokens(t *testing.T, home string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, key := range []string{"owner1", "buyer1", "regulator"} {
		tok, err := gateway.Token(home, key)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = tok
	}
	return out
}

// consoleLog collects what the pages print to their consoles: an uncaught exception or a
// Content-Security-Policy violation fails the test; the rest (such as the 409 of a refused
// request) is logged.
type consoleLog struct {
	mu       sync.Mutex
	failures []string
	lines    []string
}

func (c *consoleLog) read(ctx context.Context, role string) {
	for m, err := range chromedp.Console(ctx) {
		if err != nil {
			return
		}
		line := fmt.Sprintf("%s tab: %s: %s (%s:%d)", role, m.Type, m.Text, m.URL, m.Line)
		c.mu.Lock()
		if m.Type == chromedp.ConsoleException || strings.Contains(m.Text, "Content Security Policy") {
			c.failures = append(c.failures, line)
		} else {
			c.lines = append(c.lines, line)
		}
		c.mu.Unlock()
	}
}

func (c *consoleLog) check(t *testing.T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		t.Log(l)
	}
	for _, f := range c.failures {
		t.Errorf("page error: %s", f)
	}
}

// ageCounts counts the table's ages in each bucket [edges[b], edges[b+1]).
func ageCounts(table *marketplace.Table, edges []int64) []string {
	counts := make([]int, len(edges)-1)
	for _, v := range table.Values[0] { // age, the schema's first column
		for b := range counts {
			if v >= edges[b] && v < edges[b+1] {
				counts[b]++
			}
		}
	}
	out := make([]string, len(counts))
	for b, n := range counts {
		out[b] = strconv.Itoa(n)
	}
	return out
}

// TestAttackConsoleMarkupInjection is an owner and a buyer who write markup where the other
// party's console shows their words: the owner names and describes a dataset with an image whose
// error handler runs script, and with a script element; the buyer requests a grant with such a
// purpose. The victims' pages must show the words as text: no element made from them, and no
// script run.
func TestAttackConsoleMarkupInjection(t *testing.T) {
	home, base, owner, buyer, _ := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := marketplace.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const (
		image  = `<img src=x onerror="window.__pwned='image'">`
		script = `<script>window.__pwned='script'</script>`
	)
	schema, err := marketplace.ParseSchema(strings.NewReader(`{"columns":[{"name":"score","type":"integer","min":0,"max":100}]}`))
	if err != nil {
		t.Fatal(err)
	}
	csv := []byte("score\n1\n5\n9\n40\n")
	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner1", Name: image, Description: script, Schema: schema,
		CSV: marketplace.BytesSource("evil.csv", csv), Price: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: []string{pub.Dataset},
		Ops: []rights.Op{rights.OpSum}, Columns: []string{"score"}, Uses: 1, Purpose: image})
	if err != nil {
		t.Fatal(err)
	}

	// harmless checks the page: the words are there as text, no element came from them, and
	// no script of theirs ran.
	harmless := func(b tab, where, words string) {
		t.Helper()
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
			const view = document.querySelector('#view');
			if (window.__pwned !== undefined) return 'a script ran: ' + window.__pwned;
			if (view.querySelector('img, script, svg image')) return 'an element was made: ' + view.querySelector('img, script').outerHTML;
			if (!view.textContent.includes(%q)) return 'the words are not shown as text';
			return 'ok'; })()`, words)))
		if err != nil {
			t.Fatalf("%s: check %s: %v", b.role, where, err)
		}
		if got != "ok" {
			t.Errorf("%s: %s: %s", b.role, where, got)
		}
	}
	row := fmt.Sprintf(`#catalog-table tr[data-id="%s"]`, pub.Dataset)
	buyer.run(t, "open the catalog", chromedp.Navigate(page(base, "#/buyer")), chromedp.WaitVisible(css(row)), chromedp.Sleep(300*time.Millisecond))
	harmless(buyer, "the catalog", image)
	buyer.run(t, "open the dataset", chromedp.Navigate(page(base, "#/dataset/"+pub.Dataset)), chromedp.WaitVisible(css("#columns-table")), chromedp.Sleep(300*time.Millisecond))
	harmless(buyer, "the dataset's page", script)
	inbox := fmt.Sprintf(`#inbox-table tr[data-id="%s"]`, g.ID)
	owner.run(t, "open the inbox", chromedp.Navigate(page(base, "#/owner/inbox")), chromedp.WaitVisible(css(inbox)), chromedp.Sleep(300*time.Millisecond))
	harmless(owner, "the grant inbox", image)
}
