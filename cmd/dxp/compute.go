package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

func computeCommand() *cli.Command {
	return &cli.Command{
		Name:  "compute",
		Usage: "run private computations",
		Subcommands: []*cli.Command{{
			Name:  "run",
			Usage: "run an op over a column of a grant's datasets on ciphertexts, and decrypt the answer",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("buyer key name"),
				&cli.StringFlag{Name: "grant", Usage: "grant id", Required: true},
				&cli.StringFlag{Name: "op", Usage: "sum, mean or count (the committee evaluates these today)", Required: true},
				&cli.StringFlag{Name: "column", Aliases: []string{"columns"}, Usage: "column name (comma-separated for a regression: x columns, then y)", Required: true},
				&cli.StringFlag{Name: "epsilon", Usage: "differential privacy to spend, e.g. 0.5 (default: none, an exact answer)"},
				&cli.StringFlag{Name: "delta", Usage: "with --epsilon: Gaussian noise with this delta, e.g. 0.000001 (default: Laplace noise)"},
				&cli.DurationFlag{Name: "timeout", Usage: "how long to wait for the committee", Value: 10 * time.Minute},
			},
			Action: func(c *cli.Context) error {
				ops, err := marketplace.ParseOps(c.String("op"))
				if err != nil {
					return err
				}
				if len(ops) != 1 {
					return fmt.Errorf("--op takes exactly one op")
				}
				var epsilon uint64
				if e := c.String("epsilon"); e != "" {
					if epsilon, err = marketplace.ParseMicro(e); err != nil {
						return fmt.Errorf("--epsilon: %w", err)
					}
				}
				var delta uint64
				if d := c.String("delta"); d != "" {
					if delta, err = marketplace.ParseMicro(d); err != nil {
						return fmt.Errorf("--delta: %w", err)
					}
				}
				if err := marketplace.CheckEvaluable(ops[0], epsilon); err != nil {
					return err
				}
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
				defer cancel()
				res, err := s.Compute(ctx, marketplace.ComputeRequest{From: c.String("from"), Grant: c.String("grant"),
					Op: ops[0], Columns: marketplace.SplitList(c.String("column")), Epsilon: epsilon, Delta: delta, Progress: progress(c)})
				if err != nil {
					return err
				}
				return emit(c, res, func(w io.Writer) { printResult(w, res) })
			},
		}},
	}
}

func printResult(w io.Writer, r *marketplace.ComputeResult) {
	fmt.Fprintf(w, "%s(%s) = %s\n", r.Op, r.Column, r.Result)
	fmt.Fprintf(w, "computation %s under grant %s: %d rows of %s, price %d, completed at height %d",
		r.Computation, r.Grant, r.Rows, strings.Join(r.Datasets, ","), r.Price, r.Height)
	if r.Op != rights.OpCount {
		fmt.Fprintf(w, ", evaluated and key-switched by %d committee members", len(r.Participants))
	}
	if r.Mechanism != "" {
		fmt.Fprintf(w, ", with %s noise for epsilon %s", r.Mechanism, r.Epsilon)
		if r.Delta != "" {
			fmt.Fprintf(w, " and delta %s", r.Delta)
		}
	}
	if len(r.Disagreed) > 0 {
		fmt.Fprintf(w, " (%d disagreed, recorded on chain)", len(r.Disagreed))
	}
	fmt.Fprintln(w)
	if r.Product != "" {
		fmt.Fprintf(w, "product %s issued to you: its lineage is on chain\n", r.Product)
	}
}
