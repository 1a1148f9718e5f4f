package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/internal/bench"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure DXP",
		Subcommands: []*cli.Command{{
			Name: "ledger",
			Usage: "the sustained tx/s of one in-process validator (every signature verified) under a realistic mix with p99 commit " +
				"latency under the target, beside a store-only and a verify-and-store reference app on the same node settings",
			Flags: []cli.Flag{outputFlag,
				&cli.DurationFlag{Name: "duration", Usage: "length of each load step", Value: bench.BenchDefaultStep},
				&cli.Float64Flag{Name: "start-rate", Usage: "first offered load, tx/s; it rises until a step misses the target", Value: 1000},
				&cli.Float64Flag{Name: "max-rate", Usage: "highest offered load, tx/s", Value: 400_000},
				&cli.DurationFlag{Name: "target-p99", Usage: "p99 commit latency a sustained rate must stay under", Value: bench.BenchDefaultTarget},
				&cli.DurationFlag{Name: "timeout-commit", Usage: "the nodes' pause after each block", Value: bench.BenchDefaultTimeoutCommit},
				&cli.Float64Flag{Name: "final-growth", Usage: "near the target the offered load rises by this factor (far below it, it doubles), and the search ends when the highest rate that held and the lowest that missed are within it", Value: 1.1},
				&cli.StringFlag{Name: "apps", Usage: "which apps to run, comma-separated: dxp, verify_store, store_only", Value: "dxp,verify_store,store_only"},
				&cli.Uint64Flag{Name: "dataset-rows", Usage: "rows of every bench dataset (two columns)", Value: 10_000},
				&cli.StringFlag{Name: "dir", Usage: "keep the nodes' data here, on this directory's filesystem (default: a temporary directory under $TMPDIR or /tmp, removed after)"},
			},
			Action: benchLedger,
		}, benchPublishCommand(), benchComputeCommand(), benchGatewayCommand()},
	}
}

func benchLedger(c *cli.Context) error {
	cfg := bench.BenchConfig{Dir: c.String("dir"), Step: c.Duration("duration"), StartRate: c.Float64("start-rate"),
		MaxRate: c.Float64("max-rate"), TargetP99: c.Duration("target-p99"), TimeoutCommit: c.Duration("timeout-commit"),
		FinalGrowth: c.Float64("final-growth"), Apps: strings.Split(c.String("apps"), ","), DatasetRows: c.Uint64("dataset-rows")}
	if p := progress(c); p != nil {
		cfg.Progress = p
	}
	rep, err := bench.BenchLedger(c.Context, cfg)
	if err != nil {
		return err
	}
	return emit(c, rep, func(w io.Writer) {
		row := func(name string, r *bench.BenchRun) {
			if r != nil {
				fmt.Fprintf(w, "%-34s %9.0f tx/s   p50 %5.0f ms   p99 %5.0f ms   %5.0f us CPU/tx   %6.0f B/tx written   %4.1f fsyncs/block\n",
					name, r.TxPerS, r.P50CommitMS, r.P99CommitMS, r.CPUPerTxUS, r.BytesWrittenPerTx, r.FsyncsPerBlock)
			}
		}
		fmt.Fprintf(w, "best sustained rate with p99 commit latency under %.0f ms (steps of %.0f s, %d cores, data on %s):\n",
			rep.Settings.TargetP99MS, rep.Settings.StepSeconds, rep.Settings.GOMAXPROCS, rep.Settings.Filesystem)
		row("dxp (realistic mix)", rep.Runs[bench.BenchDXP])
		row("verify_store (decode, verify, IAVL)", rep.Runs[bench.BenchVerifyStore])
		row("store_only (CometBFT ceiling)", rep.Runs[bench.BenchStoreOnly])
		if rep.Ratio > 0 {
			fmt.Fprintf(w, "ratio dxp / verify_store: %.2f (CPU per tx: %.2f)\n", rep.Ratio, rep.CPURatio)
		}
	})
}
