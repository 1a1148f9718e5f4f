package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

func productCommand() *cli.Command {
	act := func(name, usage string, do func(c *cli.Context, s *marketplace.Session) (*rights.Product, error)) *cli.Command {
		return &cli.Command{
			Name:  name,
			Usage: usage,
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("holder key name"),
				&cli.StringFlag{Name: "product", Usage: "product id", Required: true},
				&cli.StringFlag{Name: "to", Usage: "an address or a key name", Required: true}},
			Action: func(c *cli.Context) error {
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				p, err := do(c, s)
				if err != nil {
					return err
				}
				return emit(c, p, func(w io.Writer) { printProduct(w, &marketplace.ProductView{Product: *p}) })
			},
		}
	}
	return &cli.Command{
		Name:  "product",
		Usage: "list, transfer and license data products (the results of completed computations)",
		Subcommands: []*cli.Command{{
			Name:  "list",
			Usage: "list products with their lineage",
			Flags: []cli.Flag{homeFlag, outputFlag, &cli.StringFlag{Name: "holder", Usage: "only the products of this address or key name"}},
			Action: func(c *cli.Context) error {
				s, err := marketplace.Open(c.Context, c.String("home"))
				if err != nil {
					return err
				}
				defer s.Close()
				ps, err := s.Products(c.Context, c.String("holder"))
				if err != nil {
					return err
				}
				return emit(c, ps, func(w io.Writer) {
					if len(ps) == 0 {
						fmt.Fprintln(w, "no products")
					}
					for i := range ps {
						printProduct(w, &ps[i])
					}
				})
			},
		},
			act("transfer", "hand a product to another party", func(c *cli.Context, s *marketplace.Session) (*rights.Product, error) {
				return s.TransferProduct(c.Context, c.String("from"), c.String("product"), c.String("to"))
			}),
			act("license", "license another party to operate a product", func(c *cli.Context, s *marketplace.Session) (*rights.Product, error) {
				return s.LicenseProduct(c.Context, c.String("from"), c.String("product"), c.String("to"))
			}),
		},
	}
}

func printProduct(w io.Writer, p *marketplace.ProductView) {
	fmt.Fprintf(w, "product %s held by %s: %s(%s) over %s, computation %s under grant %s, issued at height %d",
		p.ID, p.Holder, p.Op, strings.Join(p.Columns, ","), strings.Join(p.Datasets, ","), p.Computation, p.Grant, p.Issued)
	if len(p.Licensees) > 0 {
		fmt.Fprintf(w, ", licensed to %s", joinAddrs(p.Licensees))
	}
	if p.Frozen {
		fmt.Fprintf(w, ", FROZEN by %s", strings.Join(p.FrozenBy, ","))
	}
	fmt.Fprintln(w)
}
