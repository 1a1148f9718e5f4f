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
			Flags:  []cli.Flag{homeFlag, outputFlag},
			Action: listDatasets,
		}},
	}
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
	csvFile, err := os.Open(c.String("file"))
	if err != nil {
		return fmt.Errorf("open the CSV: %w", err)
	}
	table, err := marketplace.ReadTable(c.String("file"), csvFile, schema)
	csvFile.Close()
	if err != nil {
		return err
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
	if p := progress(c); p != nil {
		p(fmt.Sprintf("%s: %d rows, %d columns valid", c.String("file"), table.Rows, len(schema.Columns)))
	}
	res, err := s.Publish(c.Context, marketplace.PublishRequest{From: c.String("from"), Name: name,
		Description: c.String("description"), Table: table, Price: c.Uint64("price"), Progress: progress(c)})
	if err != nil {
		return err
	}
	return emit(c, res, func(w io.Writer) {
		fmt.Fprintf(w, "dataset %s registered at height %d: %d rows, columns %s, %d chunk proofs verified by the chain\ncommitment %s\n",
			res.Dataset, res.Height, res.Rows, strings.Join(res.Columns, ","), res.Chunks, res.Commitment)
	})
}

type catalogEntry struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Holder  rights.Address `json:"holder"`
	Columns []string       `json:"columns"`
	Rows    uint64         `json:"rows"`
	Price   uint64         `json:"price"`
	Status  string         `json:"status"`
}

func listDatasets(c *cli.Context) error {
	s, err := marketplace.Open(c.Context, c.String("home"))
	if err != nil {
		return err
	}
	defer s.Close()
	datasets, err := s.Chain.Datasets(c.Context)
	if err != nil {
		return err
	}
	entries := []catalogEntry{}
	for _, d := range datasets {
		e := catalogEntry{ID: d.ID, Name: d.Name, Holder: d.Holder, Rows: d.Rows, Price: d.Price, Status: string(d.Status)}
		for _, col := range d.Columns {
			e.Columns = append(e.Columns, fmt.Sprintf("%s:%s", col.Name, col.Type))
		}
		entries = append(entries, e)
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
