// Command dxp is the one binary of DXP: it runs a devnet, manages identities, publishes
// datasets, grants usage rights, runs private computations and audits the chain.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := newApp()
	err := app.RunContext(ctx, flagsFirst(app, os.Args))
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dxp: %s\n", oneLine(err))
		os.Exit(1)
	}
}
