package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

func devnetCommand() *cli.Command {
	return &cli.Command{
		Name:  "devnet",
		Usage: "run a single-machine DXP network",
		Subcommands: []*cli.Command{{
			Name:  "start",
			Usage: "start (first time: create) a devnet: one validator, a committee in-process, storage; runs until interrupted",
			Flags: []cli.Flag{homeFlag,
				&cli.StringFlag{Name: "rpc", Usage: "node RPC address (default " + devnet.DefaultRPC + ", or the one recorded at first start)"},
				&cli.StringFlag{Name: "storage", Usage: "storage: a directory or s3://HOST:PORT/BUCKET, credentials from DXP_S3_ACCESS_KEY/DXP_S3_SECRET_KEY or a 0600 file (see README) (default HOME/storage; fixed at first start)"},
				&cli.IntFlag{Name: "members", Usage: "committee members (first start only)", Value: 3},
				&cli.IntFlag{Name: "threshold", Usage: "members that complete a computation, t of --members (first start only; default: all)"},
				&cli.IntFlag{Name: "chunk-size", Usage: "values per chunk proof (first start only)", Value: devnet.DefaultChunkSize},
				slotsFlag,
				&cli.BoolFlag{Name: "input-proofs", Usage: "at --slots 16384, register input circuits and require input proofs as a real network does " +
					"(their insecure setup takes minutes and gigabytes the first time; below 16384 they are always on; first start only)"},
				&cli.BoolFlag{Name: "external-members", Usage: "write a member home per committee member (HOME/committee/member-K) and leave the members to " +
					"`dxp committee member start --home HOME/committee/member-K`, one process each, instead of running them here"},
				&cli.Int64Flag{Name: "deadline", Usage: "blocks a computation has to complete before it is refunded (first start only; default 600)"},
				metricsFlag,
			},
			Action: func(c *cli.Context) error {
				log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
				dn, err := devnet.Start(c.Context, devnet.Config{Home: c.String("home"),
					RPC: c.String("rpc"), Storage: c.String("storage"), Members: c.Int("members"), Threshold: c.Int("threshold"), ChunkSize: c.Int("chunk-size"),
					Slots: c.Uint64("slots"), SecureInputs: c.Bool("input-proofs"), SetupCache: setupCacheDir(), ExternalMembers: c.Bool("external-members"), ComputationDeadline: c.Int64("deadline"), Metrics: c.String("metrics"), Log: log})
				if err != nil {
					return err
				}
				go func() {
					if err := dn.WaitReady(c.Context); err == nil {
						log.Info("committee ready: collective keys agreed on chain; the devnet serves computations")
					}
				}()
				<-c.Context.Done()
				log.Info("shutting down")
				return dn.Stop()
			},
		}},
	}
}

// metricsFlag is where a node serves CometBFT's own Prometheus metrics.
var metricsFlag = &cli.StringFlag{Name: "metrics", Usage: "serve the node's CometBFT metrics (cometbft_*) at http://HOST:PORT/metrics, e.g. 127.0.0.1:26660, " +
	"for a scraper or a gateway's cometbft_metrics (default: not served)"}

// slotsFlag is the ring size of a new development network (devnet.Config.Slots).
var slotsFlag = &cli.Uint64Flag{Name: "slots", Usage: "values per ciphertext, the committee's ring size: a power of two from 1024 to 16384, below 16384 INSECURE (first start only; default " + strconv.Itoa(devnet.DefaultSlots) + ")"}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the chain height and whether the committee is ready",
		Flags: []cli.Flag{homeFlag, outputFlag},
		Action: func(c *cli.Context) error {
			s, err := marketplace.Open(c.Context, c.String("home"))
			if err != nil {
				return err
			}
			defer s.Close()
			h, err := s.Chain.Height(c.Context)
			if err != nil {
				return err
			}
			committee, err := client.Get[rights.Committee](c.Context, s.Chain, "")
			if err != nil {
				return err
			}
			gen, err := client.Get[rights.Genesis](c.Context, s.Chain, "")
			if err != nil {
				return err
			}
			st := struct {
				ChainID        string `json:"chain_id"`
				Height         int64  `json:"height"`
				CommitteeReady bool   `json:"committee_ready"`
				Members        int    `json:"committee_members"`
				Threshold      uint32 `json:"committee_threshold"`
				Devnet         bool   `json:"devnet"`
				Admission      string `json:"admission"` // open (a devnet: anyone registers) or regulator
				ProofFee       uint64 `json:"proof_fee"` // credits a listing pays per chunk proof
				Slots          uint64 `json:"slots_per_ciphertext"`
				InsecureRing   bool   `json:"insecure_ring"` // fewer slots than mpc.SecureSlots: a devnet's
				// InputProofs: every column's ciphertexts must carry input proofs (Params.InputProofs);
				// without them a listing's ciphertexts are its owner's word (a secure-ring devnet's).
				InputProofs bool   `json:"input_proofs"`
				RPC         string `json:"rpc"`
				Storage     string `json:"storage"`
			}{s.Config.ChainID, h, committee.Ready, len(committee.Members), committee.Threshold, gen.Devnet, gen.AdmissionRule(),
				gen.Params.ProofFee, gen.Params.SlotsPerCiphertext, gen.Params.SlotsPerCiphertext < mpc.SecureSlots, gen.Params.InputProofs, s.Config.RPC, marketplace.RedactURL(s.Config.Storage)}
			return emit(c, st, func(w io.Writer) {
				fmt.Fprintf(w, "chain %s at height %d\ncommittee: %d members, threshold %d, ready: %v\n", st.ChainID, st.Height, st.Members, st.Threshold, st.CommitteeReady)
				fmt.Fprintf(w, "admission: %s", st.Admission)
				if st.Admission == rights.AdmissionOpen {
					fmt.Fprint(w, " (a devnet: anyone registers itself as owner or buyer and gets the opening credit)")
				}
				fmt.Fprintf(w, "; listing fee: %d credits per chunk proof\n", st.ProofFee)
				fmt.Fprintf(w, "ring: %d values per ciphertext", st.Slots)
				if st.InsecureRing {
					fmt.Fprintf(w, " (INSECURE, a devnet's: below %d these moduli leave the encryption breakable)", mpc.SecureSlots)
				}
				if st.InputProofs {
					fmt.Fprint(w, "\ninput proofs: required (every listed ciphertext is proven to encrypt its committed values)")
				} else {
					fmt.Fprint(w, "\ninput proofs: NOT required (INSECURE, a devnet's: listed ciphertexts are their owners' word; `dxp devnet start --input-proofs` requires them)")
				}
				fmt.Fprintf(w, "\nrpc %s, storage %s\n", st.RPC, st.Storage)
			})
		},
	}
}

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole DXP story on generated data in a temporary devnet, and check every result",
		Flags: []cli.Flag{outputFlag,
			&cli.StringFlag{Name: "home", Usage: "keep the demo's devnet in this directory (default: a temporary one, removed after)"},
			&cli.IntFlag{Name: "rows", Usage: "rows per owner (two owners)", Value: 0},
			&cli.BoolFlag{Name: "serve", Usage: "then leave the devnet running with a gateway and its web console, print the URL and a token, and serve until interrupted"},
			&cli.StringFlag{Name: "listen", Usage: "with --serve: the gateway's loopback address (default " + demoListen + ", or a free port if that is taken)"},
		},
		Action: func(c *cli.Context) error {
			cfg := devnet.DemoConfig{Home: c.String("home"), SetupCache: setupCacheDir()}
			if n := c.Int("rows"); n != 0 {
				if n < 1 || n > 1_000_000 {
					return errors.New("--rows must be between 1 and 1000000")
				}
				cfg.Rows = [2]int{n, n}
			}
			if c.String("output") != "json" {
				cfg.Out = c.App.Writer
			}
			report := func(rep *devnet.DemoReport) error {
				if c.String("output") == "json" {
					return emit(c, rep, nil)
				}
				fmt.Fprintln(c.App.Writer, "\nWhere the time went:")
				for _, s := range rep.Steps {
					fmt.Fprintf(c.App.Writer, "  %-60s %7.2fs\n", s.Stage, s.Seconds)
				}
				return nil
			}
			if c.IsSet("listen") && !c.Bool("serve") {
				return errors.New("--listen is for --serve")
			}
			if c.IsSet("listen") {
				if err := checkDemoListen(c.String("listen")); err != nil {
					return err
				}
			}
			if c.Bool("serve") {
				// The node's own metrics, for the gateway to show beside DXP's.
				metrics, err := freeport.Loopback()
				if err != nil {
					return err
				}
				cfg.Metrics = metrics
				cfg.Serve = func(ctx context.Context, rep *devnet.DemoReport) error {
					if err := report(rep); err != nil {
						return err
					}
					return serveDemo(ctx, c, rep.Home, "http://"+metrics+"/metrics")
				}
			}
			ctx, cancel := context.WithCancel(c.Context)
			defer cancel()
			rep, err := devnet.Demo(ctx, cfg)
			if err != nil {
				return err
			}
			if cfg.Serve != nil {
				return nil // reported before serving
			}
			return report(rep)
		},
	}
}
