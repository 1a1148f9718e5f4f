package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

func zkCommand() *cli.Command {
	keyFlag := func(usage string) *cli.StringFlag {
		return &cli.StringFlag{Name: "key", Aliases: []string{"from"}, Usage: usage, Required: true}
	}
	// withCeremony opens a session and passes it the one ID argument.
	withCeremony := func(do func(c *cli.Context, s *marketplace.Session, id string) error) cli.ActionFunc {
		return func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("%s takes one ceremony ID, got %d arguments", c.Command.HelpName, c.NArg())
			}
			s, err := marketplace.Open(c.Context, c.String("home"))
			if err != nil {
				return err
			}
			defer s.Close()
			return do(c, s, c.Args().First())
		}
	}
	return &cli.Command{
		Name:  "zk",
		Usage: "zero-knowledge proving keys: the multi-party setup ceremony of the listing circuits",
		Subcommands: []*cli.Command{{
			Name:  "ceremony",
			Usage: "run a Groth16 setup ceremony among named participants through the chain and storage",
			Subcommands: []*cli.Command{{
				Name:  "start",
				Usage: "open a ceremony for a chunk circuit and an ordered list of participants (registered parties, at least two besides you)",
				Flags: []cli.Flag{homeFlag, outputFlag, keyFlag("regulator key name"),
					&cli.IntFlag{Name: "chunk-size", Usage: "values per chunk proof", Required: true},
					&cli.IntFlag{Name: "width", Usage: "bits per value (the circuit proves max-min fits in them)", Required: true},
					&cli.StringSliceFlag{Name: "participant", Usage: "NAME=ADDRESS, or NAME of a key in this home; repeat in contribution order, at least two parties other than the coordinator", Required: true}},
				Action: func(c *cli.Context) error {
					parts, err := marketplace.ParseZKParticipants(c.String("home"), c.StringSlice("participant"))
					if err != nil {
						return err
					}
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					cer, err := s.StartZKCeremony(c.Context, c.String("key"), c.Int("chunk-size"), c.Int("width"), parts)
					if err != nil {
						return err
					}
					return emit(c, cer, func(w io.Writer) {
						fmt.Fprintf(w, "opened setup ceremony %s\n", cer.ID)
						printZKCeremony(w, cer)
					})
				},
			}, {
				Name:      "contribute",
				Usage:     "verify the contributions so far and add yours (both phases, in your turns)",
				ArgsUsage: "ID",
				Flags: []cli.Flag{homeFlag, outputFlag, keyFlag("participant key name"),
					&cli.BoolFlag{Name: "wait", Usage: "wait for the participants ahead of you instead of stopping"}},
				Action: withCeremony(func(c *cli.Context, s *marketplace.Session, id string) error {
					made, err := s.ContributeZKCeremony(c.Context, c.String("key"), id, c.Bool("wait"), progress(c))
					if err != nil {
						return err
					}
					return emit(c, map[string]any{"ceremony": id, "contributions": made}, func(w io.Writer) {
						for _, m := range made {
							fmt.Fprintf(w, "contributed to phase %d of setup ceremony %s: object %s, height %d\n", m.Phase, id, m.Digest, m.Height)
						}
					})
				}),
			}, {
				Name:      "finish",
				Usage:     "seal a ceremony everyone contributed to: derive its keys, upload the proving key, register the keys on chain",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{homeFlag, outputFlag, keyFlag("key name of any registered party")},
				Action: withCeremony(func(c *cli.Context, s *marketplace.Session, id string) error {
					cer, err := s.FinishZKCeremony(c.Context, c.String("key"), id, progress(c))
					if err != nil {
						return err
					}
					return emit(c, cer, func(w io.Writer) {
						fmt.Fprintf(w, "finished setup ceremony %s; its keys are registered for the chunk circuit of %d values of %d bits\n", id, cer.ChunkSize, cer.Width)
						printZKCeremony(w, cer)
					})
				}),
			}, {
				Name:      "verify",
				Usage:     "check a ceremony from the chain and storage: every contribution, the beacons, the transcript and the registered keys",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{homeFlag, outputFlag},
				Action: withCeremony(func(c *cli.Context, s *marketplace.Session, id string) error {
					v, err := s.VerifyZKCeremony(c.Context, id)
					if err != nil {
						return err
					}
					if err := emit(c, v, func(w io.Writer) { printZKVerdict(w, v) }); err != nil {
						return err
					}
					if !v.Valid {
						for _, ch := range v.Checks {
							if !ch.OK {
								return fmt.Errorf("setup ceremony %s does not verify: %s", id, ch.Detail)
							}
						}
					}
					return nil
				}),
			}, {
				Name:      "status",
				Usage:     "show a ceremony: participants, contributions, beacons, keys, and whose turn it is",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{homeFlag, outputFlag},
				Action: withCeremony(func(c *cli.Context, s *marketplace.Session, id string) error {
					cer, err := client.Get[rights.ZKCeremony](c.Context, s.Chain, id)
					if errors.Is(err, rights.ErrNotFound) {
						return fmt.Errorf("there is no setup ceremony %s on chain (see `dxp zk ceremony list`)", id)
					}
					if err != nil {
						return err
					}
					return emit(c, cer, func(w io.Writer) { printZKCeremony(w, cer) })
				}),
			}, {
				Name:  "list",
				Usage: "list setup ceremonies",
				Flags: []cli.Flag{homeFlag, outputFlag},
				Action: func(c *cli.Context) error {
					s, err := marketplace.Open(c.Context, c.String("home"))
					if err != nil {
						return err
					}
					defer s.Close()
					all, err := client.List[rights.ZKCeremony](c.Context, s.Chain)
					if err != nil {
						return err
					}
					return emit(c, all, func(w io.Writer) {
						if len(all) == 0 {
							fmt.Fprintln(w, "no setup ceremonies")
						}
						for _, cer := range all {
							fmt.Fprintf(w, "%s  chunk %d × %d bits  %-8s  %d participants  opened at %d\n",
								cer.ID, cer.ChunkSize, cer.Width, cer.Status, len(cer.Participants), cer.Opened)
						}
					})
				},
			}},
		}},
	}
}

func printZKCeremony(w io.Writer, c *rights.ZKCeremony) {
	fmt.Fprintf(w, "setup ceremony %s for the chunk circuit of %d values of %d bits: %s\n", c.ID, c.ChunkSize, c.Width, c.Status)
	fmt.Fprintf(w, "  opened by %s at height %d\n", c.Coordinator, c.Opened)
	posted := func(ks []rights.ZKContribution, a rights.Address) string {
		for _, k := range ks {
			if k.Participant == a {
				return fmt.Sprintf("%s (height %d)", k.Digest, k.Height)
			}
		}
		return "-"
	}
	for i, p := range c.Participants {
		fmt.Fprintf(w, "  %d. %s %s\n       phase 1: %s\n       phase 2: %s\n", i+1, p.Name, p.Address, posted(c.Phase1, p.Address), posted(c.Phase2, p.Address))
	}
	for i, b := range []rights.ZKBeacon{c.Beacon1, c.Beacon2} {
		switch {
		case len(b.Hash) > 0:
			fmt.Fprintf(w, "  phase %d beacon: hash of block %d, %x\n", i+1, b.Height, b.Hash)
		case b.Height > 0:
			fmt.Fprintf(w, "  phase %d beacon: the hash of block %d, once it is finalized\n", i+1, b.Height)
		}
	}
	if !c.Transcript.IsZero() {
		fmt.Fprintf(w, "  transcript digest %s\n", c.Transcript)
	}
	if c.Status == rights.ZKCeremonyFinished {
		fmt.Fprintf(w, "  finished by %s at height %d: verifying key %d bytes, proving key object %s\n", c.FinishedBy, c.Finished, len(c.VK), c.PK)
		if c.Circuit != nil {
			fmt.Fprintf(w, "  registered for chunk %d × %d bits with setup %s\n", c.Circuit.ChunkSize, c.Circuit.Width, c.Circuit.Setup)
		}
		return
	}
	fmt.Fprintf(w, "  next: %s\n", marketplace.ZKWaitingFor(c))
}

func printZKVerdict(w io.Writer, v *marketplace.ZKVerdict) {
	for _, ch := range v.Checks {
		mark := "ok    "
		if !ch.OK {
			mark = "FAILED"
		}
		fmt.Fprintf(w, "%s %-18s %s\n", mark, ch.Name, ch.Detail)
	}
	switch {
	case !v.Valid:
		fmt.Fprintf(w, "setup ceremony %s does NOT verify (checked in %.1f s)\n", v.Ceremony, v.Seconds)
	case v.Finished:
		fmt.Fprintf(w, "setup ceremony %s verifies: the keys registered for the chunk circuit of %d values of %d bits are the ones its transcript implies (checked in %.1f s)\n",
			v.Ceremony, v.ChunkSize, v.Width, v.Seconds)
	default:
		fmt.Fprintf(w, "the contributions to setup ceremony %s so far verify; it is %s, not finished (checked in %.1f s)\n",
			v.Ceremony, v.Status, v.Seconds)
	}
}
