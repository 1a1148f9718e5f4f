package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

func grantCommand() *cli.Command {
	action := func(a marketplace.GrantAction, usage string) *cli.Command {
		return &cli.Command{
			Name:  string(a),
			Usage: usage,
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("holder key name"),
				&cli.StringFlag{Name: "grant", Usage: "grant id", Required: true},
				&cli.StringFlag{Name: "reason", Usage: "why (recorded on chain)"}},
			Action: func(c *cli.Context) error {
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				g, err := s.ActOnGrant(c.Context, c.String("from"), c.String("grant"), a, c.String("reason"))
				if err != nil {
					return err
				}
				return emit(c, g, func(w io.Writer) { printGrant(w, g) })
			},
		}
	}
	return &cli.Command{
		Name:  "grant",
		Usage: "request, approve, reject, revoke and list usage rights",
		Subcommands: []*cli.Command{{
			Name:  "request",
			Usage: "ask the holders of datasets for the right to run ops over columns",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("buyer key name"),
				&cli.StringFlag{Name: "dataset", Usage: "dataset id, or several comma-separated", Required: true},
				&cli.StringFlag{Name: "ops", Usage: "comma-separated: sum, mean, count", Required: true},
				&cli.StringFlag{Name: "columns", Usage: "comma-separated column names", Required: true},
				&cli.Uint64Flag{Name: "uses", Usage: "how many computations", Value: 1},
			},
			Action: func(c *cli.Context) error {
				ops, err := marketplace.ParseOps(c.String("ops"))
				if err != nil {
					return err
				}
				if len(ops) == 0 {
					return errors.New("--ops names no op")
				}
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				g, err := s.RequestGrant(c.Context, marketplace.GrantRequest{From: c.String("from"),
					Datasets: marketplace.SplitList(c.String("dataset")), Ops: ops,
					Columns: marketplace.SplitList(c.String("columns")), Uses: c.Uint64("uses")})
				if err != nil {
					return err
				}
				return emit(c, map[string]any{"grant": g.ID, "state": g.State, "holders": g.Holders, "datasets": g.Datasets},
					func(w io.Writer) { printGrant(w, g) })
			},
		},
			action(marketplace.Approve, "approve a grant as a holder of one of its datasets"),
			action(marketplace.Reject, "reject a requested grant as a holder of one of its datasets"),
			action(marketplace.Revoke, "revoke a grant; computations under way are aborted and refunded"),
			{
				Name:  "list",
				Usage: "list grants",
				Flags: []cli.Flag{homeFlag, outputFlag},
				Action: func(c *cli.Context) error {
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					grants, err := s.Chain.Grants(c.Context)
					if err != nil {
						return err
					}
					if grants == nil {
						grants = []rights.Grant{}
					}
					return emit(c, grants, func(w io.Writer) {
						if len(grants) == 0 {
							fmt.Fprintln(w, "no grants yet")
						}
						for i := range grants {
							printGrant(w, &grants[i])
						}
					})
				},
			}},
	}
}

func printGrant(w io.Writer, g *rights.Grant) {
	ops := make([]string, len(g.Ops))
	for i, op := range g.Ops {
		ops[i] = string(op)
	}
	fmt.Fprintf(w, "grant %s: %s, grantee %s, datasets %s, ops %s, columns %s, used %d of %d, approved by %d of %d holders",
		g.ID, g.State, g.Grantee, strings.Join(g.Datasets, ","), strings.Join(ops, ","), strings.Join(g.Columns, ","),
		g.Used, g.Uses, len(g.Approvals), len(g.Holders))
	if g.Reason != "" {
		fmt.Fprintf(w, " (%s)", g.Reason)
	}
	fmt.Fprintln(w)
}
