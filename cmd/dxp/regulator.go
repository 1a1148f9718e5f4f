package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

func regulatorCommand() *cli.Command {
	hold := func(name, usage string, freeze bool) *cli.Command {
		return &cli.Command{
			Name:  name,
			Usage: usage,
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("regulator key name"),
				&cli.StringFlag{Name: "kind", Usage: "party, dataset, grant or product", Required: true},
				&cli.StringFlag{Name: "id", Usage: "the object's id, or for a party its address or key name", Required: true},
				&cli.StringFlag{Name: "reason", Usage: "why (recorded on chain)", Required: freeze}},
			Action: func(c *cli.Context) error {
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				kind := rights.HoldKind(c.String("kind"))
				do := s.Unfreeze
				if freeze {
					do = s.Freeze
				}
				h, err := do(c.Context, c.String("from"), kind, c.String("id"), c.String("reason"))
				if err != nil {
					return err
				}
				return emit(c, h, func(w io.Writer) { printHold(w, h) })
			},
		}
	}
	return &cli.Command{
		Name:  "regulator",
		Usage: "freeze and unfreeze objects, and change the regulators by vote (regulators)",
		Subcommands: []*cli.Command{
			hold("freeze", "freeze a party, dataset, grant or product; computations under way that use it are refunded", true),
			hold("unfreeze", "release the hold on a party, dataset, grant or product", false),
			{
				Name:  "propose",
				Usage: "propose adding or removing a regulator; it passes when a strict majority of regulators voted",
				Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("regulator key name"),
					&cli.StringFlag{Name: "add", Usage: "the address or key name to make a regulator"},
					&cli.StringFlag{Name: "remove", Usage: "the regulator's address or key name to remove"},
					&cli.StringFlag{Name: "reason", Usage: "why (recorded on chain)"}},
				Action: func(c *cli.Context) error {
					change, who := rights.RegulatorAdd, c.String("add")
					switch {
					case c.IsSet("add") == c.IsSet("remove"):
						return errors.New("give exactly one of --add and --remove")
					case c.IsSet("remove"):
						change, who = rights.RegulatorRemove, c.String("remove")
					}
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					p, err := s.ProposeRegulatorChange(c.Context, c.String("from"), change, who, c.String("reason"))
					if err != nil {
						return err
					}
					return emit(c, p, func(w io.Writer) { printProposal(w, p) })
				},
			}, {
				Name:  "vote",
				Usage: "vote for a proposed regulator change",
				Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("regulator key name"),
					&cli.StringFlag{Name: "proposal", Usage: "proposal id", Required: true}},
				Action: func(c *cli.Context) error {
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					p, err := s.VoteRegulatorChange(c.Context, c.String("from"), c.String("proposal"))
					if err != nil {
						return err
					}
					return emit(c, p, func(w io.Writer) { printProposal(w, p) })
				},
			}, {
				Name:  "resolve",
				Usage: "resolve a buyer's dispute of a computation's key-switch shares: --refund the buyer or --release to the holders",
				Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("regulator key name"),
					&cli.StringFlag{Name: "computation", Usage: "disputed computation id", Required: true},
					&cli.BoolFlag{Name: "refund", Usage: "send the withheld escrow back to the buyer"},
					&cli.BoolFlag{Name: "release", Usage: "release the withheld escrow to the holders"},
					&cli.StringFlag{Name: "reason", Usage: "why, for the audit trail"}},
				Action: func(c *cli.Context) error {
					if c.Bool("refund") == c.Bool("release") {
						return errors.New("give exactly one of --refund and --release")
					}
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					comp, err := s.ResolveDispute(c.Context, c.String("from"), c.String("computation"), c.Bool("refund"), c.String("reason"))
					if err != nil {
						return err
					}
					return emit(c, comp, func(w io.Writer) {
						d := comp.Dispute
						fmt.Fprintf(w, "computation %s: dispute resolved (%s) at height %d; accused %d participant(s)\n", comp.ID, d.Outcome, d.Resolved, len(d.Accused))
					})
				},
			}, {
				Name:  "list",
				Usage: "show the regulators, their proposals and every hold",
				Flags: []cli.Flag{homeFlag, outputFlag},
				Action: func(c *cli.Context) error {
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					regs, err := client.List[rights.Address](c.Context, s.Chain)
					if err != nil {
						return err
					}
					props, err := client.List[rights.Proposal](c.Context, s.Chain)
					if err != nil {
						return err
					}
					holds, err := client.List[rights.Hold](c.Context, s.Chain)
					if err != nil {
						return err
					}
					v := map[string]any{"regulators": regs, "proposals": props, "holds": holds}
					return emit(c, v, func(w io.Writer) {
						fmt.Fprintf(w, "regulators: %s\n", joinAddrs(regs))
						for i := range props {
							printProposal(w, &props[i])
						}
						for i := range holds {
							printHold(w, &holds[i])
						}
					})
				},
			},
		},
	}
}

func printHold(w io.Writer, h *rights.Hold) {
	fmt.Fprintf(w, "hold %s on %s %s by %s at height %d: %s", h.ID, h.Kind, h.Target, h.By, h.Height, h.Reason)
	if h.Released > 0 {
		fmt.Fprintf(w, "; released by %s at height %d", h.ReleasedBy, h.Released)
		if h.ReleaseReason != "" {
			fmt.Fprintf(w, " (%s)", h.ReleaseReason)
		}
	} else {
		fmt.Fprint(w, "; in force")
	}
	fmt.Fprintln(w)
}

func printProposal(w io.Writer, p *rights.Proposal) {
	fmt.Fprintf(w, "proposal %s: %s %s, %s with %d votes", p.ID, p.Change, p.Address, p.Status, len(p.Votes))
	if p.Status == rights.ProposalPassed {
		fmt.Fprintf(w, " at height %d; regulators now %s", p.Decided, joinAddrs(p.Regulators))
	}
	fmt.Fprintln(w)
}
