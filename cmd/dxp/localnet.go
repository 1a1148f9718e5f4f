package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights/client"
)

var timeoutCommitFlag = &cli.DurationFlag{Name: "timeout-commit", Usage: "pause after each block (default: the node's, 200ms)"}

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "run one validator of a network",
		Subcommands: []*cli.Command{{
			Name:  "start",
			Usage: "run the validator in HOME (a localnet's validator-K, or a devnet) and its committee member, if it has one, until interrupted",
			Flags: []cli.Flag{homeFlag, timeoutCommitFlag, metricsFlag},
			Action: func(c *cli.Context) error {
				log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
				v, err := devnet.StartValidator(c.Context, devnet.ValidatorConfig{Home: c.String("home"),
					TimeoutCommit: c.Duration("timeout-commit"), Metrics: c.String("metrics"), Log: log})
				if err != nil {
					return err
				}
				<-c.Context.Done()
				log.Info("shutting down")
				return v.Stop()
			},
		}},
	}
}

func localnetCommand() *cli.Command {
	return &cli.Command{
		Name:  "localnet",
		Usage: "run a network of validators on this machine, one process each",
		Subcommands: []*cli.Command{{
			Name: "start",
			Usage: "start (first time: create) a localnet: validators as separate `dxp node start` processes on loopback, " +
				"the committee inside the first validators, shared storage; Ctrl-C stops them all",
			Flags: []cli.Flag{homeFlag, timeoutCommitFlag,
				&cli.IntFlag{Name: "validators", Usage: "validators (first start only)", Value: 4},
				&cli.IntFlag{Name: "members", Usage: "committee members, member K inside validator K (first start only)", Value: 3},
				&cli.StringFlag{Name: "storage", Usage: "storage: a directory or s3://HOST:PORT/BUCKET, credentials from DXP_S3_ACCESS_KEY/DXP_S3_SECRET_KEY or a 0600 file (see README) (default HOME/storage; first start only)"},
				&cli.IntFlag{Name: "base-port", Usage: "validator K gets RPC port BASE+10(K-1) and P2P port one above (default: free ports; first start only)"},
				&cli.IntFlag{Name: "chunk-size", Usage: "values per chunk proof (first start only)", Value: devnet.DefaultChunkSize},
				slotsFlag,
				&cli.DurationFlag{Name: "restart-delay", Usage: "restart a validator that exits unasked after this long (default: leave it stopped)"},
			},
			Action: startLocalnet,
		}},
	}
}

func startLocalnet(c *cli.Context) error {
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln, err := devnet.InitLocalnet(c.Context, devnet.LocalnetConfig{Home: c.String("home"),
		Validators: c.Int("validators"), Members: c.Int("members"), Storage: c.String("storage"),
		BasePort: c.Int("base-port"), ChunkSize: c.Int("chunk-size"), Slots: c.Uint64("slots"), SetupCache: setupCacheDir(), Log: log})
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the dxp binary to run the validators: %w", err)
	}
	s := &supervisor{exe: exe, log: log, restartDelay: c.Duration("restart-delay"), timeoutCommit: c.Duration("timeout-commit"),
		exits: make(chan *child, 2*ln.Validators+8)}
	return s.run(c.Context, ln)
}

// supervisor runs one `dxp node start` process per validator and stops them all when its
// context ends.
type supervisor struct {
	exe           string
	log           *slog.Logger
	restartDelay  time.Duration
	timeoutCommit time.Duration
	exits         chan *child

	mu       sync.Mutex
	children map[int]*child
}

type child struct {
	k    int
	home string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // how it exited, once done is closed
}

// pidFile is where the supervisor records the process id of validator K, for tools and tests.
func pidFile(home string) string { return filepath.Join(home, "node.pid") }

func (s *supervisor) start(k int, home string) error {
	logf, err := os.OpenFile(filepath.Join(home, "process.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	args := []string{"node", "start", "--home", home}
	if s.timeoutCommit > 0 {
		args = append(args, "--timeout-commit", s.timeoutCommit.String())
	}
	cmd := exec.Command(s.exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start validator %d: %w", k, err)
	}
	if err := os.WriteFile(pidFile(home), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		s.log.Warn("could not record the validator's pid", "validator", k, "err", err)
	}
	ch := &child{k: k, home: home, cmd: cmd, log: logf, done: make(chan struct{})}
	s.mu.Lock()
	s.children[k] = ch
	s.mu.Unlock()
	go func() {
		ch.err = cmd.Wait()
		logf.Close()
		close(ch.done)
		select {
		case s.exits <- ch:
		default: // the supervisor has stopped listening: it is shutting down
		}
	}()
	conf, _ := marketplace.LoadConfig(home)
	rpc := ""
	if conf != nil {
		rpc = conf.RPC
	}
	s.log.Info("validator started", "validator", k, "pid", cmd.Process.Pid, "rpc", rpc, "log", logf.Name())
	return nil
}

func (s *supervisor) run(ctx context.Context, ln *devnet.Localnet) error {
	s.children = map[int]*child{}
	homes := ln.Homes()
	for k, home := range homes {
		if err := s.start(k+1, home); err != nil {
			return errors.Join(err, s.stopAll())
		}
	}
	go s.announce(ctx, ln)
	restarts := map[int]*time.Timer{}
	restartCh := make(chan int)
	for {
		select {
		case <-ctx.Done():
			for _, t := range restarts {
				t.Stop()
			}
			s.log.Info("stopping every validator")
			return s.stopAll()
		case ch := <-s.exits:
			os.Remove(pidFile(ch.home))
			s.mu.Lock()
			if s.children[ch.k] == ch {
				delete(s.children, ch.k)
			}
			s.mu.Unlock()
			if ctx.Err() != nil {
				continue
			}
			status := "exited"
			if ch.err != nil {
				status = ch.err.Error()
			}
			if s.restartDelay <= 0 {
				s.log.Warn("validator stopped; the others go on (restart it with `dxp node start --home "+ch.home+"`)",
					"validator", ch.k, "status", status)
				continue
			}
			s.log.Warn("validator stopped; restarting it", "validator", ch.k, "status", status, "in", s.restartDelay)
			k := ch.k
			restarts[k] = time.AfterFunc(s.restartDelay, func() {
				select {
				case restartCh <- k:
				case <-ctx.Done():
				}
			})
		case k := <-restartCh:
			delete(restarts, k)
			if err := s.start(k, homes[k-1]); err != nil {
				s.log.Error("could not restart the validator", "validator", k, "err", err)
			}
		}
	}
}

// announce says once when every validator answers, and what to point commands at.
func (s *supervisor) announce(ctx context.Context, ln *devnet.Localnet) {
	for _, home := range ln.Homes() {
		conf, err := marketplace.LoadConfig(home)
		if err != nil {
			return
		}
		c, err := client.Dial(conf.RPC)
		if err != nil {
			return
		}
		for {
			if h, err := c.Height(ctx); err == nil && h > 0 {
				break
			}
			select {
			case <-ctx.Done():
				c.Close()
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		c.Close()
	}
	s.log.Info("localnet running: every validator makes blocks; point commands at --home "+ln.Home+" or --home "+devnet.ValidatorHome(ln.Home, 1)+" (or any validator-K)",
		"chain", ln.ChainID, "validators", ln.Validators, "members", ln.Members)
}

// stopAll interrupts every running validator and waits for it to exit, killing any that has not
// within a minute.
func (s *supervisor) stopAll() error {
	s.mu.Lock()
	var running []*child
	for _, ch := range s.children {
		running = append(running, ch)
	}
	s.mu.Unlock()
	for _, ch := range running {
		if err := interrupt(ch.cmd.Process); err != nil {
			s.log.Warn("could not interrupt the validator", "validator", ch.k, "err", err)
		}
	}
	var errs []error
	deadline := time.After(time.Minute)
	for _, ch := range running {
		select {
		case <-ch.done:
		case <-deadline:
			s.log.Error("validator did not stop within a minute; killing it", "validator", ch.k)
			ch.cmd.Process.Kill()
			<-ch.done
		}
		os.Remove(pidFile(ch.home))
		if ch.err != nil {
			errs = append(errs, fmt.Errorf("validator %d: %w (see %s)", ch.k, ch.err, ch.log.Name()))
		}
	}
	return errors.Join(errs...)
}
