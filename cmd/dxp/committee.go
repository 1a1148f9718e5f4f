package main

import (
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/devnet"
)

func committeeCommand() *cli.Command {
	return &cli.Command{
		Name:  "committee",
		Usage: "run a compute committee member",
		Subcommands: []*cli.Command{{
			Name:  "member",
			Usage: "a committee member as its own process",
			Subcommands: []*cli.Command{{
				Name: "start",
				Usage: "run the member whose home is --home (config.json, identity.json, secret/; `dxp devnet start --external-members` " +
					"writes one per member under HOME/committee) until interrupted",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "home", Usage: "the member's home directory", Required: true},
					&cli.DurationFlag{Name: "poll", Usage: "fallback poll of the node besides the block subscription (default 2s)"},
				},
				Action: func(c *cli.Context) error {
					log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
					return devnet.RunMember(c.Context, devnet.MemberOptions{Home: c.String("home"), Poll: c.Duration("poll"), Log: log})
				},
			}},
		}},
	}
}
