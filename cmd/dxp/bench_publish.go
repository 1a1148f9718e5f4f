package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/internal/bench"
)

func benchPublishCommand() *cli.Command {
	return &cli.Command{
		Name: "publish",
		Usage: "publish one integer column (values up to 2^32) end to end on an in-process devnet with fs storage, " +
			"beside raw gnark proving and raw Lattigo encryption of the same values",
		Flags: []cli.Flag{outputFlag,
			&cli.IntFlag{Name: "rows", Usage: "rows of the column", Value: 1_000_000},
			&cli.IntFlag{Name: "chunk-size", Usage: "values per chunk proof", Value: bench.PublishChunkSize},
			&cli.IntFlag{Name: "proof-workers", Usage: "chunks proven at once (default: one per four cores)"},
			&cli.StringFlag{Name: "dir", Usage: "keep the devnet and the CSV here (default: a temporary directory, removed after)"},
		},
		Action: benchPublish,
	}
}

func benchPublish(c *cli.Context) error {
	cfg := bench.PublishConfig{Rows: c.Int("rows"), ChunkSize: c.Int("chunk-size"),
		ProofWorkers: c.Int("proof-workers"), SetupCache: setupCacheDir(), Dir: c.String("dir"), Progress: progress(c)}
	if c.String("output") != "json" {
		cfg.Log = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	rep, err := bench.Publish(c.Context, cfg)
	if err != nil {
		return err
	}
	return emit(c, rep, func(w io.Writer) {
		fmt.Fprintf(w, "%d rows published in %.1f s (%.0f rows/s), %.2f constraints per row (n=%d, w=%d, %d chunks)\n",
			rep.Rows, rep.DXPSeconds, rep.RowsPerS, rep.ConstraintsPerRow, rep.ChunkSize, rep.Width, rep.Chunks)
		fmt.Fprintf(w, "raw gnark proving %.1f s + raw Lattigo encryption %.1f s = %.1f s; ratio %.2f\n",
			rep.RawProveSeconds, rep.RawEncryptSecs, rep.RawSeconds, rep.Ratio)
		fmt.Fprintf(w, "setup %.1f s (cached: %v, peak RSS %.0f MB), chain verification of every proof %.2f s, peak RSS %.0f MB on %d cores\n",
			rep.SetupSeconds, rep.SetupCached, rep.SetupPeakRSSMB, rep.VerifySeconds, rep.PeakRSSMB, rep.Cores)
	})
}
