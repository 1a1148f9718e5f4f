package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/spec"
)

func computeCommand() *cli.Command {
	return &cli.Command{
		Name:  "compute",
		Usage: "run private computations",
		Subcommands: []*cli.Command{{
			Name:  "run",
			Usage: "run an op over columns of a grant's datasets on ciphertexts, and decrypt the answer",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("buyer key name"),
				&cli.StringFlag{Name: "grant", Usage: "grant id", Required: true},
				&cli.StringFlag{Name: "op", Usage: opNames(" or "), Required: true},
				&cli.StringFlag{Name: "column", Aliases: []string{"columns"}, Usage: "column name (for a regression, --x and --y instead)"},
				&cli.StringFlag{Name: "x", Usage: "regression: the feature columns, comma-separated"},
				&cli.StringFlag{Name: "y", Usage: "regression: the target column"},
				&cli.StringFlag{Name: "edges", Usage: "histogram: bucket edges in the column's units, comma-separated, on its bin boundaries (e.g. 0,10,20,50)"},
				&cli.StringFlag{Name: "weights", Usage: "dot: a file of weights, one per row of the grant's datasets in order (newline- or comma-separated)"},
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
				columns, err := computeColumns(c, ops[0])
				if err != nil {
					return err
				}
				var weights *marketplace.Weights
				if f := c.String("weights"); f != "" {
					if !ops[0].TakesWeights() {
						return fmt.Errorf("--weights is for --op dot")
					}
					file, err := os.Open(f)
					if err != nil {
						return fmt.Errorf("--weights: %w", err)
					}
					weights, err = marketplace.ReadWeights(file)
					file.Close()
					if err != nil {
						return fmt.Errorf("--weights %s: %w", f, err)
					}
				} else if ops[0].TakesWeights() {
					return fmt.Errorf("--op dot needs --weights FILE")
				}
				edges := marketplace.SplitList(c.String("edges"))
				if ops[0].TakesEdges() && len(edges) == 0 {
					return fmt.Errorf("--op histogram needs --edges, e.g. --edges 0,10,20,50")
				}
				if !ops[0].TakesEdges() && len(edges) > 0 {
					return fmt.Errorf("--edges is for --op histogram")
				}
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
				defer cancel()
				res, err := s.Compute(ctx, marketplace.ComputeRequest{From: c.String("from"), Grant: c.String("grant"),
					Op: ops[0], Columns: columns, Edges: edges, Weights: weights, Epsilon: epsilon, Delta: delta, Progress: progress(c)})
				if err != nil {
					return err
				}
				return emit(c, res, func(w io.Writer) { printResult(w, res) })
			},
		}},
	}
}

// computeColumns reads the columns: --x and --y for a regression (the op that takes several
// columns), --column otherwise.
func computeColumns(c *cli.Context, op rights.Op) ([]string, error) {
	x, y, col := marketplace.SplitList(c.String("x")), marketplace.SplitList(c.String("y")), marketplace.SplitList(c.String("column"))
	if _, most := op.Columns(); most == 1 {
		if len(x) > 0 || len(y) > 0 {
			return nil, fmt.Errorf("--x and --y are for --op regression; use --column")
		}
		if len(col) != 1 {
			return nil, fmt.Errorf("--op %s needs exactly one --column", op)
		}
		return col, nil
	}
	if len(col) > 0 {
		if len(x) > 0 || len(y) > 0 {
			return nil, fmt.Errorf("give a regression's columns either as --x and --y or as --column x1,...,y, not both")
		}
		return col, nil
	}
	if len(x) == 0 || len(y) != 1 {
		return nil, fmt.Errorf("--op regression needs --x with one or more feature columns and --y with one target column")
	}
	return append(x, y...), nil
}

// opNames lists spec's ops for a flag's usage: "sum, mean, ... regression<last>dot".
func opNames(last string) string {
	names := make([]string, len(spec.Ops))
	for i, op := range spec.Ops {
		names[i] = string(op)
	}
	return strings.Join(names[:len(names)-1], ", ") + last + names[len(names)-1]
}

func printResult(w io.Writer, r *marketplace.ComputeResult) {
	switch r.Op {
	case rights.OpHistogram:
		fmt.Fprintf(w, "histogram(%s):\n", r.Column)
		for _, b := range r.Buckets {
			fmt.Fprintf(w, "  [%s, %s)  %s\n", b.From, b.To, b.Count)
		}
	case rights.OpRegression:
		fmt.Fprintf(w, "regression(%s): %s\n", r.Column, r.Result)
	default:
		fmt.Fprintf(w, "%s(%s) = %s\n", r.Op, r.Column, r.Result)
	}
	fmt.Fprintf(w, "computation %s under grant %s: %d rows of %s, price %d, completed at height %d",
		r.Computation, r.Grant, r.Rows, strings.Join(r.Datasets, ","), r.Price, r.Height)
	if r.Op.ByCommittee(0) || r.Mechanism != "" { // not a count the chain answered itself
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
