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
	app := &cli.App{
		Name:  "dxp",
		Usage: "a privacy-preserving data-element exchange: list data, grant its use, compute on ciphertexts, audit every flow",
		Commands: []*cli.Command{
			demoCommand(),
			devnetCommand(),
			committeeCommand(),
			statusCommand(),
			keysCommand(),
			datasetCommand(),
			grantCommand(),
			computeCommand(),
			productCommand(),
			regulatorCommand(),
			partyCommand(), // party.go
			auditCommand(),
			queryCommand(),
			nodeCommand(),
			localnetCommand(),
			benchCommand(),
			zkCommand(),      // zk.go
			gatewayCommand(), // gateway.go
		},
		HideHelpCommand: true,
		// Errors are printed once, by main, as one sentence.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   usageError,
	}
	setUsageErrors(app.Commands)
	return app
}

// usageError reports a bad flag or argument as one sentence instead of the whole help text.
func usageError(c *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%w (see `%s --help`)", err, c.Command.HelpName)
}

func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = usageError
		setUsageErrors(c.Subcommands)
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

// flagsFirst lets flags follow positional arguments (`dxp keys add NAME --role owner`), which
// urfave/cli v2 would otherwise leave unparsed: it moves the leaf command's positional arguments
// after its flags. Flags that are not booleans take the next word as their value.
func flagsFirst(app *cli.App, args []string) []string {
	cmds, i := app.Commands, 1
	var leaf *cli.Command
	for i < len(args) {
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				next = c
			}
		}
		if next == nil {
			break
		}
		leaf, cmds, i = next, next.Subcommands, i+1
	}
	if leaf == nil || len(leaf.Subcommands) > 0 {
		return args
	}
	isBool := map[string]bool{"help": true, "h": true}
	for _, f := range leaf.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			for _, n := range f.Names() {
				isBool[n] = true
			}
		}
	}
	out := append([]string{}, args[:i]...)
	var positional []string
	for j := i; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "--":
			positional = append(positional, args[j+1:]...)
			j = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			out = append(out, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !isBool[name] && j+1 < len(args) {
				out = append(out, args[j+1])
				j++
			}
		default:
			positional = append(positional, a)
		}
	}
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}
