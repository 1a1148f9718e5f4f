// Package gateway is one organisation's HTTP gateway to DXP: a versioned JSON API over the keys
// in its home (as each dataspace participant runs its own connector), described by the OpenAPI
// 3.1 document openapi.yaml (embedded, served at /openapi.yaml and /openapi.json), the web
// console (gateway/console) at / and Prometheus metrics (gateway/metrics) at /metrics.
//
// It does what the CLI does, through the same marketplace.Session flows: the catalog with
// search, filters and cursor paging; dataset detail and proof re-verification; publish as an
// upload plus a job whose progress streams as Server-Sent Events and that resumes after a
// restart; grants and each holder's inbox; computations that return once the chain committed the
// request, stream their stages, and whose answer the gateway decrypts with the buyer's key;
// products; the regulator's audit (flows from the chain's tx index, the report, budgets, holds,
// proposals and votes); committee, circuits and ceremonies.
//
//	srv, err := gateway.New(ctx, gateway.Config{Home: home}) // opens a marketplace.Session on home
//	defer srv.Close()
//	l, err := net.Listen("tcp", "127.0.0.1:8480")
//	err = srv.Serve(ctx, l) // or mount srv.Handler()
//
// `dxp gateway start --home DIR` runs it with HOME/gateway/config.toml, DXP_GATEWAY_* variables
// and flags; `dxp gateway token --home DIR [--key NAME]` prints a token. Package
// gateway/client is its Go client and gateway/api the bodies both share.
//
// # What the gateway keeps in HOME/gateway/
//
//	config.toml        the settings, written with their defaults and comments at first start
//	tokens.json        0600: a token per key and the home token
//	lock               held (flock) while a gateway runs: one gateway per home
//	idempotency/       0600: the response to each write sent with an Idempotency-Key, per token,
//	                   for 24 hours
//	uploads/           0600: CSVs uploaded for a publish (streamed in through staging-* files)
//	                   and their metadata, removed once published or after 24 hours
//	jobs/              publish jobs, resumed at start while queued or running
//	results/           0600: computations the gateway submitted and their decrypted answers
//
// # Security
//
// Every /api/ request carries Authorization: Bearer TOKEN. A token (32 bytes from crypto/rand,
// base64url) acts only for its key; the home token for every key in the home. Tokens are
// compared in constant time (through their SHA-256). A write names its signer in "from"; a
// token that does not act for it gets 403 before anything is read or signed. A computation's
// decrypted answer is served only to a token acting for its buyer. Request bodies are bounded
// (Config.MaxBody, MaxUpload: 413 past them); ids in paths are checked before they name a file.
// The gateway refuses to listen beyond loopback without TLS, since tokens would cross the network
// in the clear. Tokens, keys and rows never reach a log or a problem document. /healthz,
// /openapi.*, / and /metrics are public: they show nothing a token protects.
//
// The gateway holds every key of its home: whoever holds the home token can sign as any of
// them. Give people per-key tokens.
package gateway
