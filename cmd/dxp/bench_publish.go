package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/internal/bench"
	"github.com/dxplabs/dxp/mpc"
)

func benchPublishCommand() *cli.Command {
	return &cli.Command{
		Name: "publish",
		Usage: "publish one integer column (values up to 2^32) with input proofs end to end on an in-process devnet with fs storage, " +
			"beside raw gnark proving of the same circuits and raw Lattigo encryption of the same values",
		Flags: []cli.Flag{outputFlag,
			&cli.IntFlag{Name: "rows", Usage: "rows of the column", Value: 1_000_000},
			&cli.Uint64Flag{Name: "slots", Usage: "the devnet's ring, values per ciphertext and rows per proof; below 16384 INSECURE (tests only)", Value: mpc.SecureSlots},
			&cli.IntFlag{Name: "proof-workers", Usage: "proofs made at once (default: one per four cores)"},
			&cli.StringFlag{Name: "dir", Usage: "keep the devnet and the CSV here (default: a temporary directory, removed after)"},
			&cli.StringFlag{Name: "profile", Usage: "write CPU and heap profiles and a memory timeline of the publish and of the baseline into this directory"},
		},
		Action: benchPublish,
	}
}

func benchPublish(c *cli.Context) error {
	cfg := bench.PublishConfig{Rows: c.Int("rows"), Slots: c.Uint64("slots"),
		ProofWorkers: c.Int("proof-workers"), SetupCache: setupCacheDir(), Dir: c.String("dir"), ProfileDir: c.String("profile"), Progress: progress(c)}
	if c.String("output") != "json" {
		cfg.Log = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	rep, err := bench.Publish(c.Context, cfg)
	if err != nil {
		return err
	}
	return emit(c, rep, func(w io.Writer) {
		if rep.InsecureRing {
			fmt.Fprintf(w, "INSECURE ring of %d slots (the secure one is %d): these figures are a test's, not the secure path's\n", rep.Slots, mpc.SecureSlots)
		}
		fmt.Fprintf(w, "%d rows published with input proofs in %.1f s (%.0f rows/s; proving stage %.1f s), %.2f constraints per row (%d slots, w=%d, %d proofs: %v)\n",
			rep.Rows, rep.DXPSeconds, rep.RowsPerS, rep.ProofSeconds, rep.ConstraintsPerRow, rep.Slots, rep.Width, rep.Chunks, rep.Circuits)
		for _, r := range rep.Relations {
			fmt.Fprintf(w, "  %-22s %-17s %9d constraints x %d proofs = %6.2f per row\n", r.Circuit, r.Relation, r.Constraints, r.Proofs, r.PerRow)
		}
		fmt.Fprintf(w, "raw gnark proving %.1f s + raw Lattigo encryption %.1f s = %.1f s; ratio %.2f\n",
			rep.RawProveSeconds, rep.RawEncryptSecs, rep.RawSeconds, rep.Ratio)
		fmt.Fprintf(w, "every input proof verified as the chain does in %.2f s; peak RSS %.0f MB publishing (baseline %.0f MB) on %d cores\n",
			rep.VerifySeconds, rep.PeakRSSMB, rep.BaselinePeakRSSMB, rep.Cores)
		fmt.Fprintf(w, "setup %.1f s (cached: %v, peak RSS %.0f MB), committee ceremony %.1f s\n",
			rep.SetupSeconds, rep.SetupCached, rep.SetupPeakRSSMB, rep.DevnetSeconds)
	})
}
