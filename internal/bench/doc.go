// Package bench holds the `dxp bench` suites: each runs DXP's real path end to end on an
// in-process devnet and, beside it in the same process, a raw baseline that does the same
// cryptographic work with the libraries alone, and reports both and their ratio. Only cmd imports
// it (cmd/dxp/bench_*.go map flags into the configs and print the reports); nothing in DXP
// depends on a bench, and no bench code lives in marketplace, mpc or zk.
//
// It imports devnet (to start the network), marketplace (the flows it measures), mpc, zk, rights
// and storage, and lattigo and gnark directly for the baselines.
//
// # Suites
//
// Compute (`dxp bench compute`) measures a sum and a mean over ComputeConfig.Rows values of one
// column spread over several owners' datasets, through the whole committee path (3 members,
// threshold 2): end to end as the buyer sees it, the members' own work, blocks, storage reads and
// peak memory. Its setup publishes the datasets through the real publish path and can be kept in a
// home for the next run. The baseline (raw_mpc.go) is the same lattigo work, with no chain,
// storage or posts: ciphertexts of the same values, as many and at the same level, added, rescaled,
// summed over all slots, key-switched to a buyer's key by two members' shares with smudging noise,
// and decrypted. It runs under key material the bench makes itself: the committee's secret shares
// are not the bench's to read.
//
//	rep, err := bench.Compute(ctx, bench.ComputeConfig{Rows: 1_000_000})
//
// Publish (`dxp bench publish`) publishes one integer column of PublishConfig.Rows values
// (chunks of PublishChunkSize by default) end to end: validation, commitments, proofs,
// encryption, upload and registration with every proof verified by the chain. Its baseline is
// gnark proving the same chunks (raw_zk.go: the chunk circuit as zk compiles it, its proving key,
// groth16.Prove) plus lattigo encrypting the same values (raw_mpc.go).
//
//	rep, err := bench.Publish(ctx, bench.PublishConfig{Rows: 1_000_000, SetupCache: dir})
//
// The chain's own suite, `dxp bench ledger`, is in rights until it moves here; this package's
// names carry their suite's prefix (ComputeConfig, PublishReport, ...) so that it can.
//
// Peak memory (rss_linux.go) is the process's VmHWM, reset where Linux allows so that a figure
// leaves out what came before it; elsewhere it is 0.
package bench
