package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

func newApp() *cli.App {
	return &cli.App{
		Name:  "dxp",
		Usage: "a privacy-preserving data-element exchange: list data, grant its use, compute on ciphertexts, audit every flow",
		Commands: []*cli.Command{
			demoCommand(),
			devnetCommand(),
			statusCommand(),
			keysCommand(),
			datasetCommand(),
			grantCommand(),
			computeCommand(),
			auditCommand(),
		},
		HideHelpCommand: true,
		// Errors are printed once, by main, as one sentence.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

func defaultHome() string {
	if h := os.Getenv("DXP_HOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".dxp")
	}
	return ".dxp"
}

var homeFlag = &cli.StringFlag{Name: "home", Usage: "the DXP home directory", Value: defaultHome(), EnvVars: []string{"DXP_HOME"}}

var outputFlag = &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "text or json", Value: "text",
	Action: func(_ *cli.Context, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("--output must be text or json, not %q", v)
		}
		return nil
	}}

func fromFlag(usage string) *cli.StringFlag {
	return &cli.StringFlag{Name: "from", Usage: usage, Required: true}
}

// emit prints v as JSON with --output json, else calls text.
func emit(c *cli.Context, v any, text func(w io.Writer)) error {
	if c.String("output") == "json" {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(c.App.Writer)
	return nil
}

// progress prints a line on stderr unless the output is JSON.
func progress(c *cli.Context) func(string) {
	if c.String("output") == "json" {
		return nil
	}
	return func(line string) { fmt.Fprintln(c.App.ErrWriter, line) }
}

// oneLine keeps an error to a single line for the terminal.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
