// Package node runs the DXP chain in-process: a CometBFT v0.38 node with the rights/app
// application, its homes for a single validator (Init) or a multi-validator chain
// (InitValidators), and an in-process rights/client Client of it.
//
// Arrows: node imports rights, rights/app and rights/client (and CometBFT's node, p2p, privval
// and config packages); marketplace and internal/bench import it. Nothing in rights
// imports it.
//
// A typical run:
//
//	err := node.Init(home, genesis)                                 // once
//	n, err := node.Start(ctx, node.Config{Home: home, Verifier: v}) // resumes where it stopped
//	defer n.Stop()
//	c := n.Client()                                                 // or client.Dial("tcp://127.0.0.1:26657")
//	r, err := c.Submit(ctx, ownerKey, rights.Msg{RegisterDataset: &listing})
//	ds, err := client.Get[rights.Dataset](ctx, c, r.ID)
//
// Config.App runs another ABCI application on the same settings, and Config.Comet a CometBFT
// configuration that CometConfig built and the caller changed (internal/bench does both).
//
// Every listener is on loopback. The CometBFT configuration is built in code (CometConfig);
// config.toml is written for reference only. CometBFT's logs go to Home/node.log, never to
// stdout. The app's state lives in AppDir(Home), apart from CometBFT's data. CometBFT's
// goleveldb databases get the app's options (app.LevelDBOptions) and write batches of the
// node's own that grow geometrically (levelBatch); Node.DBSyncs counts their fsyncs.
// Config.MetricsListen serves CometBFT's own Prometheus metrics on a listener the node binds
// itself; they live on the process's default registry, so one node per process serves them
// (metrics.go).
package node
