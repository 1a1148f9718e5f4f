package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

var nodeFlag = &cli.StringFlag{Name: "node", Usage: "RPC address of the node to ask, e.g. tcp://127.0.0.1:26657 (default: the one in HOME/config.json)"}

func queryCommand() *cli.Command {
	var kinds []string
	for _, k := range rights.ObjectKinds() {
		kinds = append(kinds, k.Name)
	}
	return &cli.Command{
		Name:      "query",
		Usage:     "read one object from the chain, optionally proven against a signed block header",
		ArgsUsage: "KIND [ID]   (KIND: " + strings.Join(kinds, ", ") + ")",
		Flags: []cli.Flag{homeFlag, outputFlag, nodeFlag,
			&cli.BoolFlag{Name: "prove", Usage: "fetch an ICS23 proof and check it against the AppHash of the next block's header and that header's commit"},
			&cli.Int64Flag{Name: "height", Usage: "read the state after this block (default: the last committed block)"},
		},
		Action: queryObject,
	}
}

// queryResult is what `dxp query --output json` prints.
type queryResult struct {
	Kind   string       `json:"kind"`
	ID     string       `json:"id,omitempty"`
	Found  bool         `json:"found"`
	Height int64        `json:"height"`
	Object any          `json:"object,omitempty"`
	Proof  *proofResult `json:"proof,omitempty"`
}

type proofResult struct {
	Verified   bool   `json:"verified"`
	Block      int64  `json:"block"` // the header that carries the AppHash: height+1
	AppHash    string `json:"app_hash"`
	BlockHash  string `json:"block_hash"`
	Signers    int    `json:"signers"`
	Validators int    `json:"validators"`
	Pinned     bool   `json:"validators_pinned_to_genesis"`
}

func queryObject(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("query takes KIND and, for most kinds, an ID; got %d arguments", c.NArg())
	}
	kind, id := c.Args().Get(0), c.Args().Get(1)
	k, ok := rights.LookupKind(kind)
	if !ok {
		var names []string
		for _, k := range rights.ObjectKinds() {
			names = append(names, k.Name)
		}
		return fmt.Errorf("unknown kind %q; want one of %s", kind, strings.Join(names, ", "))
	}
	switch {
	case k.Singular && id != "":
		return fmt.Errorf("there is one %s; query it without an id", kind)
	case !k.Singular && id == "":
		return fmt.Errorf("query %s needs the %s's id", kind, kind)
	}
	if c.Int64("height") < 0 {
		return errors.New("--height must not be negative")
	}

	home := c.String("home")
	rpc := c.String("node")
	var check client.ProofCheck
	conf, err := marketplace.LoadConfig(home)
	switch {
	case err == nil:
		check.ChainID = conf.ChainID
		if rpc == "" {
			rpc = conf.RPC
		}
	case errors.Is(err, marketplace.ErrNoHome) && rpc != "":
	default:
		return err
	}
	// A validator's, devnet's or localnet's home holds the genesis: pin the validator set to it.
	for _, f := range []string{filepath.Join(home, "node", "config", "genesis.json"), filepath.Join(home, "genesis.json")} {
		if _, err := os.Stat(f); err == nil {
			if check.Validators, err = client.GenesisValidators(f); err != nil {
				return err
			}
			break
		}
	}
	chain, err := client.Dial(rpc)
	if err != nil {
		return err
	}
	defer chain.Close()

	read, err := chain.Object(c.Context, kind, id, c.Int64("height"), c.Bool("prove"), check)
	if errors.Is(err, rights.ErrNotFound) {
		return fmt.Errorf("no %s %s on the chain at %s", kind, id, rpc)
	}
	if err != nil {
		return err
	}
	out := queryResult{Kind: kind, ID: id, Found: read.Found, Height: read.Height, Object: read.Value}
	if p := read.Proof; p != nil {
		out.Proof = &proofResult{Verified: true, Block: p.Height + 1, AppHash: hex.EncodeToString(p.AppHash),
			BlockHash: hex.EncodeToString(p.BlockHash), Signers: p.Signers, Validators: p.Validators, Pinned: p.Pinned}
	}
	name := kind
	if id != "" {
		name += " " + id
	}
	err = emit(c, out, func(w io.Writer) {
		if read.Found {
			b, err := json.MarshalIndent(read.Value, "", "  ")
			if err != nil {
				fmt.Fprintf(w, "%+v\n", read.Value)
			} else {
				fmt.Fprintf(w, "%s at height %d:\n%s\n", name, read.Height, b)
			}
		} else {
			fmt.Fprintf(w, "%s does not exist at height %d\n", name, read.Height)
		}
		if p := out.Proof; p != nil {
			what := "proof"
			if !read.Found {
				what = "absence proof"
			}
			pinned := ""
			if p.Pinned {
				pinned = ", the validator set of genesis"
			}
			fmt.Fprintf(w, "%s verified against the AppHash of block %d signed by %d validators (of %d%s)\n",
				what, p.Block, p.Signers, p.Validators, pinned)
		}
	})
	if err != nil {
		return err
	}
	if !read.Found {
		return fmt.Errorf("no %s at height %d (its absence is proven)", name, read.Height)
	}
	return nil
}
