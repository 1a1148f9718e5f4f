// Package console is the gateway's web console: one index.html, one app.js (a plain ES module:
// no framework, no build step, no Node toolchain) and one style.css, embedded in the binary and
// served by Handler. The gateway mounts it at "/":
//
//	mux.Handle("/", console.Handler())
//
// The page asks for a gateway token (`dxp gateway token --home DIR`), keeps it in the tab's
// sessionStorage, asks GET /api/v1/whoami which keys it acts for, and shows a view per role those
// keys have:
//
//   - Owner: a dashboard (datasets with usage and revenue, pending requests), a publish wizard
//     (choose a CSV; a schema form built from its header; the job's progress streamed live), the
//     grant inbox (approve, reject) and a policy editor per dataset.
//   - Buyer: the catalog with search and a verified badge, grant requests, a new computation whose
//     price and epsilon are quoted before it runs, its live status, results with SVG charts
//     (histogram bars, regression coefficients), and products.
//   - Regulator: network and committee health, privacy budgets as SVG gauges, the audit explorer
//     (flows with filters), holds and freezes, proposals and votes, and the report's export.
//
// Everything it shows comes from the JSON API under /api/v1 (gateway/openapi.yaml); it holds no
// state of its own beyond the token and which key each role acts as. Problem documents (RFC 9457)
// are shown on screen with their one-sentence detail and the chain's code.
//
// # Security
//
// The token is a bearer secret: sessionStorage keeps it to one tab and drops it when the tab
// closes, and the page sends it only to its own origin. Handler sets a Content-Security-Policy
// that allows scripts, styles and connections from the page's own origin only and forbids
// framing, and app.js builds every element with DOM calls and text nodes, never from HTML
// strings, so names, descriptions and reasons from other parties cannot inject markup. Event
// streams are read with fetch (EventSource cannot send a token), so the token never appears in
// a URL or a log.
//
// Its browser tests drive Debian's chromium through chromedp against a real gateway over a real
// devnet: TestConsoleInBrowser runs the three roles' flow, and TestAttackConsoleMarkupInjection
// has an owner and a buyer write markup into names, descriptions and purposes the other party's
// page shows.
package console
