package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestComputeArgs pins the argument checks `compute run` makes before it opens a home (spec's
// rules in the CLI's words) and the op lists in the usage of --op and --ops.
func TestComputeArgs(t *testing.T) {
	home := t.TempDir()
	base := []string{"compute", "run", "--home", home, "--from", "buyer1", "--grant", "gr-1"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--op", "median", "--column", "a"}, `op "median" is not one of sum, mean, count, variance, stddev, histogram, regression, dot`},
		{[]string{"--op", "sum,mean", "--column", "a"}, "--op takes exactly one op"},
		{[]string{"--op", "sum"}, "--op sum needs exactly one --column"},
		{[]string{"--op", "mean", "--column", "a,b"}, "--op mean needs exactly one --column"},
		{[]string{"--op", "sum", "--x", "a", "--y", "b"}, "--x and --y are for --op regression; use --column"},
		{[]string{"--op", "regression", "--x", "a"}, "--op regression needs --x with one or more feature columns and --y with one target column"},
		{[]string{"--op", "regression", "--column", "a,b", "--y", "b"}, "give a regression's columns either as --x and --y or as --column x1,...,y, not both"},
		{[]string{"--op", "sum", "--column", "a", "--weights", "w.txt"}, "--weights is for --op dot"},
		{[]string{"--op", "dot", "--column", "a"}, "--op dot needs --weights FILE"},
		{[]string{"--op", "histogram", "--column", "a"}, "--op histogram needs --edges, e.g. --edges 0,10,20,50"},
		{[]string{"--op", "count", "--column", "a", "--edges", "0,1"}, "--edges is for --op histogram"},
	} {
		_, err := run(t, append(append([]string{}, base...), tc.args...)...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("compute run %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}

	usage := func(path ...string) map[string]string {
		cmds := newApp().Commands
		var c *cli.Command
		for _, name := range path {
			for _, sub := range cmds {
				if sub.Name == name {
					c = sub
				}
			}
			cmds = c.Subcommands
		}
		out := map[string]string{}
		for _, f := range c.Flags {
			if sf, ok := f.(*cli.StringFlag); ok {
				out[sf.Name] = sf.Usage
			}
		}
		return out
	}
	if got, want := usage("compute", "run")["op"], "sum, mean, count, variance, stddev, histogram, regression or dot"; got != want {
		t.Errorf("compute run --op usage = %q, want %q", got, want)
	}
	if got, want := usage("grant", "request")["ops"], "comma-separated: sum, mean, count, variance, stddev, histogram, regression, dot"; got != want {
		t.Errorf("grant request --ops usage = %q, want %q", got, want)
	}
}
