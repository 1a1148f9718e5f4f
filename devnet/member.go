package devnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// A committee member's home is what `dxp committee member start --home DIR` runs from:
//
//	config.json     chain id, node RPC address, storage URL (0600: it may hold S3 credentials)
//	identity.json   the member's ed25519 identity (0600)
//	secret/         its share of the collective key and the shares it saved before posting
//	                (0700, files 0600; see mpc's state)
//
// A devnet keeps each member's identity and secret/ in HOME/committee/member-K. Started with
// --external-members it also writes config.json there, which makes the directory a member home:
// the devnet then leaves that member to its own process.
const memberIdentityFile = "identity.json"

// MemberOptions configure RunMember. The zero value of Log discards.
type MemberOptions struct {
	Home string
	Log  *slog.Logger // what the member does; never a secret
	// Poll is the fallback poll interval; zero means mpc's default (2s with a block subscription,
	// 200ms without one).
	Poll time.Duration
}

// IsMemberHome reports whether dir is a committee member's home (see RunMember).
func IsMemberHome(dir string) bool {
	_, errConf := os.Stat(filepath.Join(dir, marketplace.ConfigFile))
	_, errID := os.Stat(filepath.Join(dir, memberIdentityFile))
	return errConf == nil && errID == nil
}

// writeMemberHome turns a devnet member's directory into a member home for the network conf
// describes, unless it already is one.
func writeMemberHome(dir string, conf *marketplace.Config) error {
	if IsMemberHome(dir) {
		return nil
	}
	storage := conf.Storage
	if !marketplace.IsStorageURL(storage) { // a directory: the member may run from anywhere
		abs, err := filepath.Abs(storage)
		if err != nil {
			return fmt.Errorf("member home %s: %w", dir, err)
		}
		storage = abs
	}
	return marketplace.SaveConfig(dir, &marketplace.Config{ChainID: conf.ChainID, RPC: conf.RPC, Storage: storage})
}

// RunMember runs the committee member whose home is opts.Home until ctx ends: it waits for the
// node, checks that its identity is a member of the chain's committee, and then takes part in
// the key ceremony and every computation, coordinating only through the chain and storage. It
// wakes on every new block (a subscription to the node) and polls slowly besides. A restarted
// member catches up from the chain and its home: what it posted it saved first, so it never
// posts a second share for the same step. It returns nil when ctx ends.
func RunMember(ctx context.Context, opts MemberOptions) error {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	home := opts.Home
	if !IsMemberHome(home) {
		return fmt.Errorf("%s is not a committee member home (it needs %s and %s); `dxp devnet start --external-members` writes one per member under HOME/committee", home, marketplace.ConfigFile, memberIdentityFile)
	}
	conf, err := marketplace.LoadConfig(home)
	if err != nil {
		return err
	}
	key, err := marketplace.LoadKeyFile(filepath.Join(home, memberIdentityFile), "member")
	if err != nil {
		return err
	}
	chain, err := client.Dial(conf.RPC)
	if err != nil {
		return err
	}
	defer chain.Close()
	if err := waitForNode(ctx, chain, conf.RPC, log); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the node came up
		}
		return err
	}
	if conf.ChainID != "" {
		g, err := client.Get[rights.Genesis](ctx, chain, "")
		if err != nil {
			return fmt.Errorf("read the chain's genesis: %w", err)
		}
		if g.ChainID != conf.ChainID {
			return fmt.Errorf("the node at %s runs chain %s, but this member belongs to chain %s", conf.RPC, g.ChainID, conf.ChainID)
		}
	}
	committee, err := client.Get[rights.Committee](ctx, chain, "")
	if err != nil {
		return fmt.Errorf("read the committee: %w", err)
	}
	if !slices.ContainsFunc(committee.Members, func(m rights.Member) bool { return m.Address == key.Address() }) {
		return fmt.Errorf("%s (the identity in %s) is not a member of the committee of chain %s", key.Address(), home, conf.ChainID)
	}
	bucket, err := marketplace.OpenBucket(ctx, conf.Storage)
	if err != nil {
		return fmt.Errorf("open storage %s: %w", marketplace.RedactURL(conf.Storage), err)
	}
	params, err := marketplace.ChainParams(ctx, chain)
	if err != nil {
		return err
	}
	wake, err := chain.NewBlocks(ctx)
	if err != nil {
		log.Warn("no block subscription; polling the node instead", "err", err)
		wake = nil
	}
	m, err := mpc.NewMember(mpc.MemberConfig{Address: string(key.Address()), Dir: filepath.Join(home, "secret"),
		Params: params, Board: marketplace.MemberBoard(chain, key), Objects: marketplace.BucketObjects(bucket), InputChecker: marketplace.InputChecker{},
		Wake: wake, Poll: opts.Poll, Logger: log})
	if err != nil {
		return err
	}
	log.Info("committee member running", "member", key.Address(), "chain", conf.ChainID, "rpc", conf.RPC,
		"storage", marketplace.RedactURL(conf.Storage), "threshold", committee.Threshold, "members", len(committee.Members), "ready", committee.Ready)
	if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("committee member stopped", "member", key.Address())
	return nil
}

// waitForNode returns once the node answers, logging while it does not, or when ctx ends.
func waitForNode(ctx context.Context, chain *client.Client, rpc string, log *slog.Logger) error {
	for logged := false; ; {
		if _, err := chain.Height(ctx); err == nil {
			return nil
		} else if !logged {
			log.Info("waiting for the node", "rpc", rpc, "err", err)
			logged = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the node at %s never answered: %w", rpc, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
