package main

import (
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/gateway/metrics"
)

func gatewayCommand() *cli.Command {
	return &cli.Command{
		Name:  "gateway",
		Usage: "serve the HTTP API and web console over the keys in a home",
		Subcommands: []*cli.Command{{
			Name:  "start",
			Usage: "start the gateway (settings from HOME/gateway/config.toml, then DXP_GATEWAY_* variables, then flags)",
			Flags: []cli.Flag{homeFlag,
				&cli.StringFlag{Name: "config", Usage: "the gateway's TOML config file (default: HOME/gateway/config.toml, written with the defaults at first start)"},
				&cli.StringFlag{Name: "listen", Usage: "address to listen on (default 127.0.0.1:8480; not loopback only with TLS)", EnvVars: []string{"DXP_GATEWAY_LISTEN"}},
				&cli.StringFlag{Name: "tls-cert", Usage: "PEM certificate to serve HTTPS with", EnvVars: []string{"DXP_GATEWAY_TLS_CERT"}},
				&cli.StringFlag{Name: "tls-key", Usage: "PEM key of --tls-cert", EnvVars: []string{"DXP_GATEWAY_TLS_KEY"}},
				&cli.StringFlag{Name: "log-format", Usage: "text or json", EnvVars: []string{"DXP_GATEWAY_LOG_FORMAT"}},
			},
			Action: startGateway,
		}, {
			Name:  "token",
			Usage: "print a gateway token: the home token (acts for every key) or one key's",
			Flags: []cli.Flag{homeFlag,
				&cli.StringFlag{Name: "key", Usage: "the key whose token to print (default: the home token)", Value: gateway.HomeToken}},
			Action: func(c *cli.Context) error {
				tok, err := gateway.Token(c.String("home"), c.String("key"))
				if err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, tok)
				return nil
			},
		}},
	}
}

func startGateway(c *cli.Context) error {
	home := c.String("home")
	path := c.String("config")
	if path == "" {
		path = gateway.ConfigFile(home)
	}
	fc, err := gateway.LoadFileConfig(path)
	if err != nil {
		return err
	}
	cfg := gateway.Config{Home: home}
	if err := fc.Apply(&cfg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for flag, field := range map[string]*string{"listen": &cfg.Listen, "tls-cert": &cfg.TLSCert, "tls-key": &cfg.TLSKey} {
		if c.IsSet(flag) {
			*field = c.String(flag)
		}
	}
	format := fc.LogFormat
	if c.IsSet("log-format") {
		format = c.String("log-format")
	}
	var level slog.Level
	if fc.LogLevel != "" {
		if err := level.UnmarshalText([]byte(fc.LogLevel)); err != nil {
			return fmt.Errorf("%s: log_level %q is not debug, info, warn or error", path, fc.LogLevel)
		}
	}
	if format == "" {
		format = "text"
	}
	if cfg.Logger, err = metrics.NewLogger(c.App.ErrWriter, strings.ToLower(format), level); err != nil {
		return err
	}
	if cfg.Listen == "" {
		cfg.Listen = gateway.DefaultListen
	}
	srv, err := gateway.New(c.Context, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(c.App.Writer, "gateway for %s listening on %s://%s (tokens: `dxp gateway token --home %s`)\n", home, scheme, l.Addr(), home)
	if err := srv.Serve(c.Context, l); err != nil && c.Context.Err() == nil {
		return err
	}
	return nil
}
