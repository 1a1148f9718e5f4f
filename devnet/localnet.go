package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/internal/freeport"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/node"
)

// A localnet home holds a network of validators on this machine, each with a home of its own that
// every command accepts as --home:
//
//	localnet.json        chain id and the number of validators, written last
//	config.json          a client home: chain id, validator 1's RPC address, the shared storage
//	genesis.json         a copy of the validators' genesis (for `dxp query --prove`)
//	keys/regulator.json  the regulator named in genesis (copied into every validator home)
//	storage/             the fs bucket every validator and committee member shares, unless S3
//	validator-K/         validator K's home: config.json (its RPC and P2P addresses, its peers),
//	                     node/ (CometBFT home and app state), keys/, and for K <= the committee
//	                     size committee/member-K/ (the member that runs inside validator K)
const localnetFile = "localnet.json"

// LocalnetConfig configures a localnet. The zero value of every field but Home means its default.
type LocalnetConfig struct {
	Home string
	// Validators is the number of validators; zero means 4.
	Validators int
	// Members is the committee size; member K runs in validator K. Zero means 3 (at most
	// Validators).
	Members int
	// Storage is a directory or an s3:// URL; empty means Home/storage.
	Storage string
	// BasePort, if set, gives validator K (from 1) RPC port BasePort+10(K-1) and P2P port one
	// above; zero picks free ports once, at creation.
	BasePort int
	// ChunkSize is the number of values per chunk proof; zero means DefaultChunkSize.
	ChunkSize int
	// Slots is the ring size (values per ciphertext) genesis fixes; zero means DefaultSlots, an
	// INSECURE ring (see Config).
	Slots uint64
	// SetupCache is where insecure circuit setups are reused from (see Config).
	SetupCache string
	// Log receives progress lines (never secrets); nil discards them.
	Log *slog.Logger
}

// Localnet describes a localnet home.
type Localnet struct {
	Home       string `json:"-"`
	ChainID    string `json:"chain_id"`
	Validators int    `json:"validators"`
	Members    int    `json:"members"`
}

// ValidatorHome is the home of validator k (from 1) of the localnet in home.
func ValidatorHome(home string, k int) string {
	return filepath.Join(home, fmt.Sprintf("validator-%d", k))
}

// Homes returns the validators' homes, in order.
func (l *Localnet) Homes() []string {
	var out []string
	for k := 1; k <= l.Validators; k++ {
		out = append(out, ValidatorHome(l.Home, k))
	}
	return out
}

// LoadLocalnet reads the localnet set up in home.
func LoadLocalnet(home string) (*Localnet, error) {
	b, err := os.ReadFile(filepath.Join(home, localnetFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s holds no localnet; run `dxp localnet start --home %s` first", marketplace.ErrNoHome, home, home)
	}
	if err != nil {
		return nil, err
	}
	var l Localnet
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", filepath.Join(home, localnetFile), err)
	}
	if l.Validators < 1 {
		return nil, fmt.Errorf("%s names no validators", filepath.Join(home, localnetFile))
	}
	l.Home = home
	return &l, nil
}

// InitLocalnet sets up a localnet in cfg.Home, or returns the one already there (whose size
// cannot change). Setting up writes the regulator's and members' keys, the listing circuit's
// development keys, one genesis naming every validator with equal power, and each validator's
// home; localnet.json comes last, so a setup that was interrupted is done again.
func InitLocalnet(ctx context.Context, cfg LocalnetConfig) (*Localnet, error) {
	if cfg.Home == "" {
		return nil, errors.New("localnet: a home directory is required")
	}
	if cfg.Validators == 0 {
		cfg.Validators = 4
	}
	if cfg.Validators < 1 || cfg.Validators > 32 {
		return nil, fmt.Errorf("localnet: 1 to 32 validators, not %d", cfg.Validators)
	}
	if cfg.Members == 0 {
		cfg.Members = min(3, cfg.Validators)
	}
	if cfg.Members < 1 || cfg.Members > cfg.Validators {
		return nil, fmt.Errorf("localnet: the committee has 1 to %d members (one per validator), not %d", cfg.Validators, cfg.Members)
	}
	if cfg.BasePort < 0 || cfg.BasePort+10*cfg.Validators > 65535 {
		return nil, fmt.Errorf("localnet: base port %d leaves no room for %d validators", cfg.BasePort, cfg.Validators)
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if l, err := LoadLocalnet(cfg.Home); err == nil {
		if cfg.Validators != l.Validators {
			return nil, fmt.Errorf("localnet: %s already runs %d validators; it cannot change to %d", cfg.Home, l.Validators, cfg.Validators)
		}
		if cfg.Storage != "" {
			if conf, err := marketplace.LoadConfig(cfg.Home); err == nil && conf.Storage != cfg.Storage {
				return nil, fmt.Errorf("localnet: %s already keeps its data in %s; it cannot move to %s", cfg.Home, marketplace.RedactURL(conf.Storage), marketplace.RedactURL(cfg.Storage))
			}
		}
		return l, nil
	} else if !errors.Is(err, marketplace.ErrNoHome) {
		return nil, err
	}
	l, err := initLocalnet(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("localnet: first start: %w", err)
	}
	return l, nil
}

func initLocalnet(ctx context.Context, cfg LocalnetConfig, log *slog.Logger) (*Localnet, error) {
	home, err := filepath.Abs(cfg.Home)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	// An earlier first start that stopped before localnet.json was written made no block.
	for k := 1; ; k++ {
		dir := ValidatorHome(home, k)
		if _, err := os.Stat(dir); err != nil {
			break
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}
	storageURL := cfg.Storage
	if storageURL == "" {
		storageURL = filepath.Join(home, "storage")
	}
	bucket, err := marketplace.OpenBucket(ctx, storageURL)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", marketplace.RedactURL(storageURL), err)
	}
	regulator, err := marketplace.LoadOrCreateKeyFile(marketplace.KeyPath(home, "regulator"), "regulator", []rights.Role{rights.RoleRegulator})
	if err != nil {
		return nil, fmt.Errorf("regulator key: %w", err)
	}
	var members []*marketplace.Key
	for i := 0; i < cfg.Members; i++ {
		k, err := memberKey(ValidatorHome(home, i+1), i)
		if err != nil {
			return nil, fmt.Errorf("member %d key: %w", i+1, err)
		}
		members = append(members, k)
	}
	gen, err := newGenesis(ctx, genesisSpec{ChainPrefix: "dxp-localnet-", Regulators: []*marketplace.Key{regulator}, Members: members,
		ChunkSize: cfg.ChunkSize, Slots: cfg.Slots, SetupCache: cfg.SetupCache, Bucket: bucket}, log)
	if err != nil {
		return nil, err
	}
	l := &Localnet{Home: home, ChainID: gen.ChainID, Validators: cfg.Validators, Members: cfg.Members}
	var nodeHomes []string
	for _, h := range l.Homes() {
		nodeHomes = append(nodeHomes, filepath.Join(h, "node"))
	}
	ids, err := node.InitValidators(nodeHomes, gen)
	if err != nil {
		return nil, err
	}
	rpcs, p2ps := make([]string, cfg.Validators), make([]string, cfg.Validators)
	for i := range rpcs {
		if cfg.BasePort != 0 {
			rpcs[i] = fmt.Sprintf("tcp://127.0.0.1:%d", cfg.BasePort+10*i)
			p2ps[i] = fmt.Sprintf("tcp://127.0.0.1:%d", cfg.BasePort+10*i+1)
			continue
		}
		if rpcs[i], err = freeLoopback(); err != nil {
			return nil, err
		}
		if p2ps[i], err = freeLoopback(); err != nil {
			return nil, err
		}
	}
	regKey, err := os.ReadFile(marketplace.KeyPath(home, "regulator"))
	if err != nil {
		return nil, err
	}
	genesis, err := os.ReadFile(filepath.Join(nodeHomes[0], "config", "genesis.json"))
	if err != nil {
		return nil, err
	}
	for i, h := range l.Homes() {
		conf := &marketplace.Config{ChainID: gen.ChainID, RPC: rpcs[i], Storage: storageURL, P2P: p2ps[i]}
		for j, id := range ids {
			if j != i {
				conf.Peers = append(conf.Peers, id+"@"+hostPort(p2ps[j]))
			}
		}
		if err := atomicfile.Write(marketplace.KeyPath(h, "regulator"), regKey, 0o600); err != nil {
			return nil, err
		}
		if err := marketplace.SaveConfig(h, conf); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.Write(filepath.Join(home, "genesis.json"), genesis, 0o600); err != nil {
		return nil, err
	}
	if err := marketplace.SaveConfig(home, &marketplace.Config{ChainID: gen.ChainID, RPC: rpcs[0], Storage: storageURL}); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(home, localnetFile), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	log.Info("localnet created", "chain", l.ChainID, "validators", l.Validators, "members", l.Members, "regulator", regulator.Address())
	return l, nil
}

// hostPort strips the scheme from "tcp://host:port".
func hostPort(addr string) string {
	if _, rest, ok := strings.Cut(addr, "://"); ok {
		return rest
	}
	return addr
}

// freeLoopback returns a tcp://127.0.0.1:port address that was free a moment ago, for a node's
// RPC or P2P listener (see freeport).
func freeLoopback() (string, error) {
	addr, err := freeport.Loopback()
	if err != nil {
		return "", err
	}
	return "tcp://" + addr, nil
}

// ValidatorConfig says how to run one validator of a localnet. The zero value of every field but
// Home means its default.
type ValidatorConfig struct {
	Home          string        // the validator's home (ValidatorHome), or a devnet's
	TimeoutCommit time.Duration // zero means the node's default
	Metrics       string        // where the node serves CometBFT's metrics (Config.Metrics); "" none
	Log           *slog.Logger  // nil discards progress lines
}

// StartValidator runs the validator set up in cfg.Home, and the committee member whose identity
// that home holds if any, until Stop. It resumes the chain where the home left it; a validator
// that was down catches up from its peers.
func StartValidator(ctx context.Context, cfg ValidatorConfig) (*Devnet, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	conf, err := marketplace.LoadConfig(cfg.Home)
	if err != nil {
		return nil, err
	}
	if !node.Initialized(filepath.Join(cfg.Home, "node")) {
		return nil, fmt.Errorf("%s holds no validator (no node/ with a genesis and keys)", cfg.Home)
	}
	d, err := startHome(ctx, cfg.Home, conf, cfg.TimeoutCommit, cfg.Metrics, log)
	if err != nil {
		return nil, fmt.Errorf("validator %s: %w", cfg.Home, err)
	}
	log.Info("validator running", "chain", conf.ChainID, "rpc", conf.RPC, "p2p", conf.P2P, "peers", len(conf.Peers))
	return d, nil
}
