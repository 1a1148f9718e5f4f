package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/internal/bench"
)

func benchComputeCommand() *cli.Command {
	return &cli.Command{
		Name: "compute",
		Usage: "a sum and a mean over --rows values of one column (4 owners' datasets) through the full committee path " +
			"(3 members, threshold 2) of an in-process devnet, beside the raw lattigo work on the same values",
		Flags: []cli.Flag{outputFlag,
			&cli.IntFlag{Name: "rows", Usage: "values over all owners", Value: 1_000_000},
			&cli.IntFlag{Name: "owners", Usage: "datasets the values are spread over, one owner each", Value: 4},
			&cli.StringFlag{Name: "home", Usage: "keep the bench devnet and its datasets here and reuse them next time (default: a temporary directory, removed after)"},
			&cli.IntFlag{Name: "chunk-size", Usage: "values per listing proof when the datasets are published", Value: devnet.DefaultChunkSize},
			&cli.BoolFlag{Name: "verbose", Usage: "log what the node and the members do"},
		},
		Action: func(c *cli.Context) error {
			if c.Int("rows") < 1 {
				return errors.New("--rows must be at least 1")
			}
			cfg := bench.ComputeConfig{Rows: c.Int("rows"), Owners: c.Int("owners"), Home: c.String("home"), ChunkSize: c.Int("chunk-size")}
			// Setup can take minutes: progress goes to stderr even with --output json.
			cfg.Progress = func(line string) { fmt.Fprintln(c.App.ErrWriter, line) }
			if c.Bool("verbose") {
				cfg.Log = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
			}
			rep, err := bench.Compute(c.Context, cfg)
			if err != nil {
				return err
			}
			return emit(c, rep, func(w io.Writer) {
				fmt.Fprintf(w, "%d values over %d owners' datasets (%d ciphertexts of %d slots), committee %d of %d, %d cores\n",
					rep.Rows, rep.Owners, rep.Ciphertexts, rep.Slots, rep.Threshold, rep.Members, rep.GOMAXPROCS)
				for _, o := range rep.Ops {
					fmt.Fprintf(w, "%-5s e2e %6.3f s   members' work %6.3f s   raw %6.3f s   ratio %5.2f   %d blocks   %d bytes read   result %s (plaintext %s)\n",
						o.Op, o.E2E, o.Compute, o.Raw, o.Ratio, o.Blocks, o.StorageBytesRead, o.Result, o.Plaintext)
				}
				fmt.Fprintf(w, "peak RSS while measuring %.0f MiB; setup %.1f s (peak %.0f MiB), warm-up %.2f s (%d sums)\n", rep.PeakRSSMB, rep.Setup, rep.SetupPeakRSSMB, rep.Warmup, rep.WarmupOps)
			})
		},
	}
}
