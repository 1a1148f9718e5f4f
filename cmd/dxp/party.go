package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// partyCommand is `dxp party`: a regulator admits owners and buyers on a chain whose admission
// rule is "regulator" (rights.Genesis.Admission).
func partyCommand() *cli.Command {
	return &cli.Command{
		Name:  "party",
		Usage: "admit owners and buyers (regulators, on a chain whose genesis admission rule is regulator)",
		Subcommands: []*cli.Command{{
			Name: "admit",
			Usage: "admit a party with roles and credits; for a buyer, its RLWE public key must be in storage and parse " +
				"with the committee's parameters, or nothing is submitted",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("regulator key name"),
				&cli.StringFlag{Name: "party", Usage: "the party's address or key name", Required: true},
				&cli.StringFlag{Name: "roles", Usage: "owner, buyer or owner,buyer", Required: true},
				&cli.Uint64Flag{Name: "credit", Usage: "credits the party gets when it registers"},
				&cli.StringFlag{Name: "rlwe-key", Usage: "a buyer's RLWE public key object: its digest in storage (default: the local key's, uploaded)"}},
			Action: func(c *cli.Context) error {
				roles, err := marketplace.ParseRoles(c.String("roles"))
				if err != nil {
					return err
				}
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				a, err := s.AdmitParty(c.Context, marketplace.AdmitRequest{From: c.String("from"), Party: c.String("party"),
					Roles: roles, Credit: c.Uint64("credit"), RLWEKey: c.String("rlwe-key")})
				if err != nil {
					return err
				}
				return emit(c, a, func(w io.Writer) { printAdmission(w, a) })
			},
		}},
	}
}

func printAdmission(w io.Writer, a *rights.Admission) {
	fmt.Fprintf(w, "admitted %s as %v with %d credits by %s at height %d", a.Address, a.Roles, a.Credit, a.Regulator, a.Height)
	if !a.RLWEKey.IsZero() {
		fmt.Fprintf(w, "; RLWE key %s", a.RLWEKey)
	}
	fmt.Fprintln(w, "; it registers itself next")
}
