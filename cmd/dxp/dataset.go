package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

func datasetCommand() *cli.Command {
	return &cli.Command{
		Name:  "dataset",
		Usage: "publish and browse datasets",
		Subcommands: []*cli.Command{{
			Name:  "publish",
			Usage: "validate a CSV against a schema, prove it in zk, encrypt it under the committee key, upload and register it",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("owner key name"),
				&cli.StringFlag{Name: "file", Usage: "CSV with a header row", Required: true},
				&cli.StringFlag{Name: "schema", Usage: "schema JSON", Required: true},
				&cli.Uint64Flag{Name: "price", Usage: "credits per computation that uses the dataset", Required: true},
				&cli.StringFlag{Name: "name", Usage: "dataset name (default: the CSV file name)"},
				&cli.StringFlag{Name: "description", Usage: "what the data is"},
			},
			Action: publish,
		}, {
			Name:   "list",
			Usage:  "show the catalog",
			Flags:  []cli.Flag{homeFlag, outputFlag, &cli.StringFlag{Name: "holder", Usage: "only the datasets this address or key name holds"}},
			Action: listDatasets,
		}, {
			Name:  "update",
			Usage: "change a dataset's description, tags or price (for grants approved from now on)",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("holder key name"), datasetFlag,
				&cli.StringFlag{Name: "description", Usage: "what the data is"},
				&cli.StringFlag{Name: "tags", Usage: "comma-separated tags (empty clears them)"},
				&cli.Uint64Flag{Name: "price", Usage: "credits per computation"},
			},
			Action: updateDataset,
		}, {
			Name:  "policy",
			Usage: "set a dataset's policy from a JSON file",
			Description: "The file may set allowed_ops, allowed_columns, min_rows (of the dataset's own rows),\n" +
				"epsilon_total, epsilon_per_query, dp_required, pooling (\"others\", the default: never with the\n" +
				"requester's own datasets; \"never\"; \"any\"), dp_when_pooled, purposes, expires_height,\n" +
				"expires_at (RFC 3339) and approval: \"required\" (the holder\n" +
				"approves each request) or \"offer\" with offer {max_uses, price_per_use, epsilon, max_blocks,\n" +
				"max_duration}: requests within those terms are approved at once. See README.md.",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("holder key name"), datasetFlag,
				&cli.StringFlag{Name: "file", Usage: "policy JSON", Required: true}},
			Action: setPolicy,
		}, {
			Name:  "retire",
			Usage: "end a listing: no new grants or computations; computations under way are refunded",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("holder key name"), datasetFlag,
				&cli.StringFlag{Name: "reason", Usage: "why (recorded on chain)"}},
			Action: func(c *cli.Context) error {
				return holderAction(c, func(s *marketplace.Session) (*rights.Dataset, error) {
					return s.RetireDataset(c.Context, c.String("from"), c.String("dataset"), c.String("reason"))
				}, "retired")
			},
		}, {
			Name:  "transfer",
			Usage: "hand the holding right to another owner; grants and products keep their lineage",
			Flags: []cli.Flag{homeFlag, outputFlag, fromFlag("holder key name"), datasetFlag,
				&cli.StringFlag{Name: "to", Usage: "the new holder: an address or a key name", Required: true}},
			Action: func(c *cli.Context) error {
				return holderAction(c, func(s *marketplace.Session) (*rights.Dataset, error) {
					return s.TransferHolding(c.Context, c.String("from"), c.String("dataset"), c.String("to"))
				}, "transferred")
			},
		}},
	}
}

var datasetFlag = &cli.StringFlag{Name: "dataset", Usage: "dataset id", Required: true}

// datasetView is a dataset as the dataset commands print it in JSON.
type datasetView struct {
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Description  string                 `json:"description,omitempty"`
	Tags         []string               `json:"tags,omitempty"`
	Holder       rights.Address         `json:"holder"`
	Price        uint64                 `json:"price"`
	Status       string                 `json:"status"`
	Policy       marketplace.PolicyFile `json:"policy"`
	EpsilonSpent string                 `json:"epsilon_spent"`
	Transfers    []rights.Transfer      `json:"transfers,omitempty"`
}

func viewDataset(d *rights.Dataset) datasetView {
	return datasetView{ID: d.ID, Name: d.Name, Description: d.Description, Tags: d.Tags, Holder: d.Holder, Price: d.Price,
		Status: string(d.Status), Policy: marketplace.PolicyFileOf(d.Policy), EpsilonSpent: rights.FormatMicro(d.EpsilonSpent),
		Transfers: d.Transfers}
}

func printDataset(w io.Writer, d *rights.Dataset, did string) {
	fmt.Fprintf(w, "dataset %s %s: %q held by %s, price %d, %s", d.ID, did, d.Name, d.Holder, d.Price, d.Status)
	if len(d.Tags) > 0 {
		fmt.Fprintf(w, ", tags %s", strings.Join(d.Tags, ","))
	}
	fmt.Fprintf(w, "\npolicy: %s\n", marketplace.DescribePolicy(d.Policy))
}

func holderAction(c *cli.Context, act func(*marketplace.Session) (*rights.Dataset, error), did string) error {
	s, err := marketplace.Open(c.Context, c.String("home"))
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := act(s)
	if err != nil {
		return err
	}
	return emit(c, viewDataset(d), func(w io.Writer) { printDataset(w, d, did) })
}

func updateDataset(c *cli.Context) error {
	u := marketplace.DatasetUpdate{From: c.String("from"), Dataset: c.String("dataset")}
	if c.IsSet("description") {
		v := c.String("description")
		u.Description = &v
	}
	if c.IsSet("tags") {
		tags := marketplace.SplitList(c.String("tags"))
		if tags == nil {
			tags = []string{}
		}
		u.Tags = &tags
	}
	if c.IsSet("price") {
		v := c.Uint64("price")
		u.Price = &v
	}
	if u.Description == nil && u.Tags == nil && u.Price == nil {
		return fmt.Errorf("dataset update needs --description, --tags or --price")
	}
	return holderAction(c, func(s *marketplace.Session) (*rights.Dataset, error) { return s.UpdateDataset(c.Context, u) }, "updated")
}

func setPolicy(c *cli.Context) error {
	f, err := os.Open(c.String("file"))
	if err != nil {
		return fmt.Errorf("open the policy: %w", err)
	}
	p, err := marketplace.ParsePolicy(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", c.String("file"), err)
	}
	return holderAction(c, func(s *marketplace.Session) (*rights.Dataset, error) {
		return s.SetPolicy(c.Context, c.String("from"), c.String("dataset"), p)
	}, "has a new policy")
}

func publish(c *cli.Context) error {
	schemaFile, err := os.Open(c.String("schema"))
	if err != nil {
		return fmt.Errorf("open the schema: %w", err)
	}
	schema, err := marketplace.ParseSchema(schemaFile)
	schemaFile.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", c.String("schema"), err)
	}
	name := c.String("name")
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(c.String("file")), filepath.Ext(c.String("file")))
	}
	s, err := marketplace.Open(c.Context, c.String("home"))
	if err != nil {
		return err
	}
	defer s.Close()
	line := progressLine(c)
	res, err := s.Publish(c.Context, marketplace.PublishRequest{From: c.String("from"), Name: name,
		Description: c.String("description"), Schema: schema, CSV: marketplace.FileSource(c.String("file")),
		Price: c.Uint64("price"), Progress: func(p marketplace.PublishProgress) { line.draw(p.Line()) }})
	line.done()
	if err != nil {
		return err
	}
	return emit(c, res, func(w io.Writer) {
		reused := ""
		if res.Reused > 0 {
			reused = fmt.Sprintf(" (%d chunks and ciphertexts reused from an interrupted run)", res.Reused)
		}
		fmt.Fprintf(w, "dataset %s registered at height %d: %d rows, columns %s (circuits %s), %d proofs verified by the chain%s\ncommitment %s\n",
			res.Dataset, res.Height, res.Rows, strings.Join(res.Columns, ","), strings.Join(res.Circuits, ","), res.Chunks+res.Tables, reused, res.Commitment)
	})
}

// statusLine redraws one line of progress on a terminal's stderr. It is silent with
// --output json or when stdout or stderr is not a terminal, so logs and pipes get no control
// characters.
type statusLine struct {
	w     io.Writer
	drawn bool
}

func progressLine(c *cli.Context) *statusLine {
	if c.String("output") == "json" || !isTerminal(os.Stdout) || c.App.ErrWriter != os.Stderr || !isTerminal(os.Stderr) {
		return &statusLine{}
	}
	return &statusLine{w: c.App.ErrWriter}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (l *statusLine) draw(text string) {
	if l.w == nil {
		return
	}
	fmt.Fprintf(l.w, "\r\033[K%s", text) // carriage return, clear to end of line
	l.drawn = true
}

func (l *statusLine) done() {
	if l.w != nil && l.drawn {
		fmt.Fprintln(l.w)
	}
}

func listDatasets(c *cli.Context) error {
	s, err := marketplace.Open(c.Context, c.String("home"))
	if err != nil {
		return err
	}
	defer s.Close()
	entries, err := s.Catalog(c.Context, marketplace.CatalogFilter{Holder: c.String("holder")})
	if err != nil {
		return err
	}
	return emit(c, entries, func(w io.Writer) {
		if len(entries) == 0 {
			fmt.Fprintln(w, "no datasets listed yet")
			return
		}
		fmt.Fprintf(w, "%-20s %-16s %-40s %8s %6s %-8s %s\n", "ID", "NAME", "HOLDER", "ROWS", "PRICE", "STATUS", "COLUMNS")
		for _, e := range entries {
			fmt.Fprintf(w, "%-20s %-16s %-40s %8d %6d %-8s %s\n", e.ID, e.Name, e.Holder, e.Rows, e.Price, e.Status, strings.Join(e.Columns, ","))
		}
	})
}
