package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/internal/bench"
	"github.com/dxplabs/dxp/mpc"
)

func benchPublishCommand() *cli.Command {
	return &cli.Command{
		Name: "publish",
		Usage: "publish one integer column (values up to 2^32) with input proofs end to end on a devnet with fs storage, run as `dxp devnet start` in its own process, " +
			"beside raw gnark proving of the same circuits and raw Lattigo encryption of the same values",
		Flags: []cli.Flag{outputFlag,
			&cli.IntFlag{Name: "rows", Usage: "rows of the column", Value: 1_000_000},
			&cli.Uint64Flag{Name: "slots", Usage: "the devnet's ring, values per ciphertext and rows per proof; below 16384 INSECURE (tests only)", Value: mpc.SecureSlots},
			&cli.IntFlag{Name: "proof-workers", Usage: "proofs made at once (default: one per four cores)"},
			&cli.StringFlag{Name: "dir", Usage: "keep the devnet and the CSV here (default: a temporary directory, removed after)"},
			&cli.StringFlag{Name: "profile", Usage: "write CPU and heap profiles and a memory timeline of the publish and of the baseline into this directory"},
			&cli.BoolFlag{Name: "in-process-devnet", Usage: "keep the devnet's node and committee in the publisher's process, sharing its heap, memory limit and peak RSS " +
				"(default: the devnet runs as a `dxp devnet start` child, as a network runs apart from an owner)"},
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
	if !c.Bool("in-process-devnet") {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the dxp binary to run the devnet: %w", err)
		}
		cfg.RunDevnet = func(home string) (*bench.DevnetProcess, error) { return startDevnetProcess(exe, home) }
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
		if rep.DevnetProcess {
			fmt.Fprintf(w, "the devnet ran in its own process: peak RSS %.0f MB\n", rep.DevnetPeakRSSMB)
		} else {
			fmt.Fprintf(w, "the devnet ran in the publisher's process (%.0f MB of its RSS before publishing)\n", rep.DevnetRSSMB)
		}
		fmt.Fprintf(w, "setup %.1f s (cached: %v, peak RSS %.0f MB), committee ceremony %.1f s\n",
			rep.SetupSeconds, rep.SetupCached, rep.SetupPeakRSSMB, rep.DevnetSeconds)
	})
}

// devnetProcessStop is how long a devnet process has to stop once interrupted before it is killed.
const devnetProcessStop = time.Minute

// startDevnetProcess runs `exe devnet start --home HOME` as a child with its output in
// HOME/process.log: the devnet already exists, so it resumes its chain and committee.
func startDevnetProcess(exe, home string) (*bench.DevnetProcess, error) {
	logf, err := os.OpenFile(filepath.Join(home, "process.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "devnet", "start", "--home", home)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start the devnet process: %w", err)
	}
	exited := make(chan struct{})
	var exitErr error // how it exited, once exited is closed
	go func() { exitErr = cmd.Wait(); logf.Close(); close(exited) }()
	stop := func() error {
		if err := interrupt(cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stop the devnet process: %w", err)
		}
		select {
		case <-exited:
			// On Windows the interrupt is a kill (proc_windows.go), so its exit says nothing.
			if exitErr != nil && runtime.GOOS != "windows" {
				return fmt.Errorf("the devnet process (log %s): %w", logf.Name(), exitErr)
			}
			return nil
		case <-time.After(devnetProcessStop):
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("the devnet process did not stop within %s of an interrupt and was killed (log %s)", devnetProcessStop, logf.Name())
		}
	}
	return &bench.DevnetProcess{PID: cmd.Process.Pid, Log: logf.Name(), Exited: exited, Stop: stop}, nil
}
