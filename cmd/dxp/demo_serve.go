package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/gateway"
)

// demoListen is where `dxp demo --serve` serves the console unless told otherwise.
const demoListen = "127.0.0.1:8480"

// serveDemo runs a gateway over the demo's home until ctx ends, after printing the console's
// URL and the home's token (which acts for every key of the demo: owners, buyer, regulator). Its
// /metrics re-exposes the node's CometBFT metrics, read from cometMetrics.
func serveDemo(ctx context.Context, c *cli.Context, home, cometMetrics string) error {
	addr := c.String("listen")
	ln, err := net.Listen("tcp", orDefault(addr, demoListen))
	if err != nil && addr == "" { // the default port is taken: any free one will do
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("listen for the console: %w", err)
	}
	gw, err := gateway.New(ctx, gateway.Config{Home: home, CometBFTMetrics: cometMetrics})
	if err != nil {
		ln.Close()
		return err
	}
	defer gw.Close()
	token, err := demoToken(home)
	if err != nil {
		ln.Close()
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "\nThe devnet keeps running with a gateway and its console:\n\n  open   http://%s/\n  token  %s\n\n", ln.Addr(), token)
	fmt.Fprintf(w, "The token acts for every key of the demo (owner1, owner2, buyer1, regulator); each key's own token is in %s.\n", gateway.TokensFile(home))
	fmt.Fprintln(w, "Press Ctrl-C to stop the gateway and the devnet.")
	err = gw.Serve(ctx, ln)
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, http.ErrServerClosed)) {
		return nil // interrupted, as the user was told to
	}
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// demoToken is the home's token, which acts for every key in it.
func demoToken(home string) (string, error) {
	return gateway.Token(home, gateway.HomeToken)
}

// checkDemoListen refuses, before the demo runs, a --listen address beyond loopback: the demo's
// gateway has no TLS, and its token would cross the network in the clear.
func checkDemoListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q is not HOST:PORT", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s is not a loopback address: the demo serves without TLS, so only on this machine", addr)
	}
	return nil
}
