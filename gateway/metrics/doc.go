// Package metrics is the gateway's observability: its Prometheus metrics, on a registry of its
// own, and its structured logger.
//
// The gateway makes one Metrics, mounts its handler at /metrics, wraps every route in
// Middleware, calls the hooks where its work ends, and runs the chain follower beside its
// server:
//
//	log, err := metrics.NewLogger(os.Stderr, "json", slog.LevelInfo) // --log-format json
//	m := metrics.New(metrics.Options{
//		Chain:     session.Chain,                                  // the chain Run follows
//		StateFile: filepath.Join(home, "gateway", "metrics.json"), // resume there after a restart
//		CometBFT:  metrics.Scrape("http://127.0.0.1:26660/metrics"), // the node's own metrics, if it serves them
//		Logger:    log,
//	})
//	go m.Run(ctx)                                   // follows the chain until ctx ends
//	mux.Handle("GET /metrics", m.Handler())
//	mux.Handle("GET /api/v1/datasets", m.Middleware("GET /api/v1/datasets", listDatasets))
//	m.ObserveTx("request_computation", rights.CodeOK)   // each tx the gateway submits, with the chain's code
//	m.ObserveComputation("mean", "completed", elapsed)  // each computation it ran for a buyer, at its end
//	m.ObservePublish(rows, elapsed)                     // each dataset it published
//
// # Metrics
//
// All are named dxp_*, beside the Go runtime's (go_*) and the process's (process_*):
//
//	http_requests_total{route,method,status}           counter: requests answered
//	http_request_duration_seconds{route,method}        histogram: time to answer (a stream: its life)
//	http_requests_in_flight{route}                     gauge
//	gateway_txs_total{kind,code}                       counter: txs the gateway submitted, by the chain's code
//	gateway_computations_total{op,status}              counter: computations run for buyers, by final status
//	gateway_computation_duration_seconds{op,status}    histogram: request to result
//	gateway_publishes_total, gateway_publish_rows_total counters; gateway_publish_duration_seconds and
//	gateway_publish_rows_per_second                    histograms
//	chain_txs_total{kind,code}                         counter: every tx in the chain's blocks (below)
//	chain_height, chain_counted_height                 gauges: the node's latest block, the last counted
//	chain_follow_errors_total                          counter: failed reads of the chain
//	member_last_post_height{member}                    gauge: the last block with a post by the member
//	member_lag_blocks{member}                          gauge: blocks the member's oldest owed post is late
//	member_owed_posts{member}                          gauge: posts the chain waits for from the member
//	cometbft_metrics_up                                gauge: the node's own metrics were read (with Options.CometBFT)
//
// and, with Options.CometBFT, the node's own cometbft_* families (see cometbft.go for why they
// are re-exposed here rather than scraped apart).
//
// chain_txs_total is the chain's own total, not what the gateway saw: Run reads every block from
// the node's earliest (its kind from the decoded tx, its code from the block's results; blocks
// without txs are skipped by their headers), and keeps the counts with the height they reach in
// Options.StateFile, written in one atomic rename, so that a restart resumes after that height
// and counts no block twice.
//
// A member's lag is measured against the work the chain records as waiting for it, not against
// its last post: an idle committee posts nothing for hours and is not late. After each block,
// Run reads the computations under way (a pending one waits for an output from every member that
// has neither posted nor refused one; a switching one for a key-switch share from each
// participant that has not posted its share, due since the participants' outputs) and the
// datasets whose inputs await the committee's verdicts (due since their registration); a
// member's lag is the latest height minus the height its oldest owed post was due from, 0 when
// it owes nothing. member_last_post_height is the last block in which the chain accepted a tx
// signed by the member (ceremony shares, outputs, key-switch shares, input verdicts, refusals).
//
// # Logs
//
// NewLogger makes the gateway's log/slog logger, text or JSON. Middleware logs one line per
// request (method, route, path, status, bytes, duration) and never its headers, query string or
// body; and the logger itself redacts any attribute whose key names a secret (token,
// authorization, key, secret, password, result, rows, weights, ...) and any bearer credential in
// a value, so a handler that logs carelessly still leaks neither tokens nor keys nor results.
// Log a key's name under "from" or "signer": "key" is redacted.
//
// Arrows: metrics imports rights and rights/client (to read the chain) and prometheus'
// client_golang; the gateway imports it; it imports nothing of the gateway.
package metrics
