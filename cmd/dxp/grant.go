package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
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
				&cli.StringFlag{Name: "ops", Usage: "comma-separated: " + opNames(", "), Required: true},
				&cli.StringFlag{Name: "columns", Usage: "comma-separated column names", Required: true},
				&cli.Uint64Flag{Name: "uses", Usage: "how many computations", Value: 1},
				&cli.StringFlag{Name: "purpose", Usage: "what the data will be used for (a policy may allow only some purposes)"},
				&cli.StringFlag{Name: "epsilon", Usage: "differential-privacy budget for the grant's computations, e.g. 0.5 (default: none)"},
				&cli.Int64Flag{Name: "expires-height", Usage: "the last block height the grant may be used at"},
				&cli.DurationFlag{Name: "expires-in", Usage: "how long the grant lasts from now, e.g. 1h (judged by block time)"},
			},
			Action: func(c *cli.Context) error {
				ops, err := marketplace.ParseOps(c.String("ops"))
				if err != nil {
					return err
				}
				if len(ops) == 0 {
					return errors.New("--ops names no op")
				}
				req := marketplace.GrantRequest{From: c.String("from"), Datasets: marketplace.SplitList(c.String("dataset")), Ops: ops,
					Columns: marketplace.SplitList(c.String("columns")), Uses: c.Uint64("uses"), Purpose: c.String("purpose")}
				if e := c.String("epsilon"); e != "" {
					if req.Epsilon, err = marketplace.ParseMicro(e); err != nil {
						return fmt.Errorf("--epsilon: %w", err)
					}
				}
				if c.IsSet("expires-height") && c.IsSet("expires-in") {
					return errors.New("give --expires-height or --expires-in, not both")
				}
				req.Expiry.Height = c.Int64("expires-height")
				if d := c.Duration("expires-in"); d > 0 {
					req.Expiry.Time = time.Now().Add(d).Unix()
				} else if c.IsSet("expires-in") {
					return errors.New("--expires-in must be a positive duration such as 1h")
				}
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				g, err := s.RequestGrant(c.Context, req)
				if err != nil {
					return err
				}
				return emit(c, map[string]any{"grant": g.ID, "state": g.State, "holders": g.Holders, "datasets": g.Datasets,
					"approved_by_offer": g.Offered, "prices": g.Prices},
					func(w io.Writer) {
						printGrant(w, g)
						switch {
						case g.State == rights.GrantActive && len(g.Offered) > 0:
							fmt.Fprintln(w, "approved at once: the request is within the standard terms (offer) of every holder")
						case len(g.Offered) > 0:
							fmt.Fprintf(w, "approved at once by the offer of %s; waiting for the other holders\n", joinAddrs(g.Offered))
						case g.State == rights.GrantRequested:
							fmt.Fprintln(w, "waiting for the holders to approve it")
						}
					})
			},
		},
			action(marketplace.Approve, "approve a grant as a holder of one of its datasets"),
			action(marketplace.Reject, "reject a requested grant as a holder of one of its datasets"),
			action(marketplace.Revoke, "revoke a grant; computations under way are aborted and refunded"),
			{
				Name:  "list",
				Usage: "list grants",
				Flags: []cli.Flag{homeFlag, outputFlag,
					&cli.StringFlag{Name: "grantee", Usage: "only the grants of this address or key name"},
					&cli.StringFlag{Name: "dataset", Usage: "only the grants over this dataset"}},
				Action: func(c *cli.Context) error {
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					var grants []rights.Grant
					switch {
					case c.IsSet("grantee") && c.IsSet("dataset"):
						return errors.New("give --grantee or --dataset, not both")
					case c.IsSet("grantee"):
						a, err := s.ResolveParty(c.String("grantee"))
						if err != nil {
							return err
						}
						grants, err = client.ListBy[rights.Grant](c.Context, s.Chain, "grantee", string(a))
						if err != nil {
							return err
						}
					case c.IsSet("dataset"):
						grants, err = client.ListBy[rights.Grant](c.Context, s.Chain, "dataset", c.String("dataset"))
					default:
						grants, err = client.List[rights.Grant](c.Context, s.Chain)
					}
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
	if g.Purpose != "" {
		fmt.Fprintf(w, ", purpose %s", g.Purpose)
	}
	if g.Epsilon > 0 {
		fmt.Fprintf(w, ", epsilon %s of %s spent", rights.FormatMicro(g.EpsilonSpent), rights.FormatMicro(g.Epsilon))
	}
	if g.Expiry.Height > 0 {
		fmt.Fprintf(w, ", until height %d", g.Expiry.Height)
	}
	if g.Expiry.Time > 0 {
		fmt.Fprintf(w, ", until %s", time.Unix(g.Expiry.Time, 0).UTC().Format(time.RFC3339))
	}
	if g.Reason != "" {
		fmt.Fprintf(w, " (%s)", g.Reason)
	}
	fmt.Fprintln(w)
}

func joinAddrs(as []rights.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
