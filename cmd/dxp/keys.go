package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
)

func keysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "manage local identities",
		Subcommands: []*cli.Command{{
			Name:      "add",
			Usage:     "create an ed25519 identity (a buyer's RLWE key pair for receiving results is made in the chain's ring at its first use)",
			ArgsUsage: "NAME",
			Flags: []cli.Flag{homeFlag, outputFlag,
				&cli.StringFlag{Name: "role", Usage: "owner, buyer or regulator (comma-separated for several)", Required: true}},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return fmt.Errorf("keys add takes one NAME, got %d arguments", c.NArg())
				}
				roles, err := marketplace.ParseRoles(c.String("role"))
				if err != nil {
					return err
				}
				k, err := marketplace.CreateKey(c.String("home"), c.Args().First(), roles)
				if err != nil {
					return err
				}
				info := marketplace.KeyInfo{Name: k.Name, Address: k.Address(), Roles: k.Roles}
				return emit(c, info, func(w io.Writer) {
					fmt.Fprintf(w, "created key %s with address %s (roles %v); it registers on chain with its first transaction\n", info.Name, info.Address, info.Roles)
				})
			},
		}, {
			Name:  "list",
			Usage: "list local identities",
			Flags: []cli.Flag{homeFlag, outputFlag},
			Action: func(c *cli.Context) error {
				keys, err := marketplace.ListKeys(c.String("home"))
				if err != nil {
					return err
				}
				if keys == nil {
					keys = []marketplace.KeyInfo{}
				}
				return emit(c, keys, func(w io.Writer) {
					for _, k := range keys {
						fmt.Fprintf(w, "%-16s %s  %v\n", k.Name, k.Address, k.Roles)
					}
				})
			},
		}},
	}
}
