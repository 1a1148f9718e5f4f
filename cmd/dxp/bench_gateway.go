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

func benchGatewayCommand() *cli.Command {
	return &cli.Command{
		Name: "gateway",
		Usage: "the catalog with --datasets datasets on chain listed and searched page by page through a gateway (p50/p99 per page), " +
			"and a mean through the gateway against the same through the CLI's session on a devnet (the gateway's overhead)",
		Flags: []cli.Flag{outputFlag,
			&cli.IntFlag{Name: "datasets", Usage: "datasets on the catalog chain", Value: 10_000},
			&cli.IntFlag{Name: "page-size", Usage: "datasets per page (the API's limit)", Value: 50},
			&cli.IntFlag{Name: "runs", Usage: "means each way, through the CLI's session and through the gateway", Value: 5},
			&cli.IntFlag{Name: "rows", Usage: "rows of the dataset the means run over", Value: 1000},
			&cli.IntFlag{Name: "chunk-size", Usage: "the devnet's values per chunk proof", Value: devnet.DefaultChunkSize},
			&cli.StringFlag{Name: "dir", Usage: "keep the bench's chains here (default: a temporary directory, removed after)"},
			&cli.BoolFlag{Name: "verbose", Usage: "log what the devnet and the gateways do"},
		},
		Action: func(c *cli.Context) error {
			for _, f := range []string{"datasets", "page-size", "runs", "rows"} {
				if c.Int(f) < 1 {
					return fmt.Errorf("--%s must be at least 1", f)
				}
			}
			cfg := bench.GatewayConfig{Datasets: c.Int("datasets"), PageSize: c.Int("page-size"), Runs: c.Int("runs"), Rows: c.Int("rows"),
				ChunkSize: c.Int("chunk-size"), Dir: c.String("dir"), SetupCache: setupCacheDir()}
			// Setup takes a minute or more: progress goes to stderr even with --output json.
			cfg.Progress = func(line string) { fmt.Fprintln(c.App.ErrWriter, line) }
			if c.Bool("verbose") {
				cfg.Log = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
			}
			rep, err := bench.Gateway(c.Context, cfg)
			if err != nil {
				return err
			}
			if rep.Compute == nil {
				return errors.New("the bench measured no computation")
			}
			return emit(c, rep, func(w io.Writer) {
				fmt.Fprintf(w, "catalog of %d datasets (listed in %.1f s), pages of %d, %d cores:\n", rep.Datasets, rep.CatalogSetupS, rep.PageSize, rep.GOMAXPROCS)
				row := func(p bench.GatewayPages) {
					fmt.Fprintf(w, "  %-16s %6d results %5d pages   p50 %7.1f ms   p99 %7.1f ms   max %7.1f ms   all pages %6.2f s\n",
						p.Query, p.Results, p.Pages, p.P50MS, p.P99MS, p.MaxMS, p.TotalS)
				}
				row(rep.List)
				for _, s := range rep.Searches {
					row(s)
				}
				m := rep.Compute
				fmt.Fprintf(w, "a %s over %d rows, %d runs each: CLI median %.2f s, gateway median %.2f s, overhead %+.1f%% (result %s)\n",
					m.Op, m.Rows, m.Runs, m.CLIMedianS, m.APIMedianS, 100*m.Overhead, m.Result)
			})
		},
	}
}
