package devnet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/rights/node"
	"github.com/dxplabs/dxp/storage"
)

// Config configures a single-machine network: one validator, a committee run in-process,
// and storage. The zero value of every field but Home means its default.
type Config struct {
	Home string
	// RPC is where the node serves RPC; the CLI's other commands reach the devnet through it.
	// Empty: the address recorded at first start, else DefaultRPC.
	RPC string
	// Storage is a directory or an s3:// URL; empty means Home/storage. It is fixed at first start.
	Storage string
	// Members is the committee size; zero means 3.
	Members int
	// Threshold is how many members complete a computation (t of Members); zero means all of
	// them. At least 2 when there are several members: one member alone would hold the whole key.
	Threshold int
	// ChunkSize is the number of values per chunk proof; zero means DefaultChunkSize.
	ChunkSize int
	// Slots is the ring size genesis fixes: values per ciphertext, the ring degree N of the
	// committee's BGV parameters (mpc.NewParamsFor: a power of two from 1024 to 16384). Zero
	// means DefaultSlots. Below mpc.SecureSlots the ring is INSECURE, and genesis registers
	// input circuits for it and requires every column to be proven with one. It is fixed at
	// first start.
	Slots uint64
	// Widths are the widths of the chunk circuits genesis registers, and on a ring below
	// mpc.SecureSlots of its input-histogram circuits; nil means 32 and 64.
	Widths []int
	// SecureInputs makes a devnet at the secure ring (Slots = mpc.SecureSlots) register the
	// input circuits a small-ring devnet registers, for each of Widths, and require every column
	// to be proven with them (Params.InputProofs), as a real network does. Their insecure setup
	// takes minutes and gigabytes per circuit the first time (SetupCache keeps it). Below the
	// secure ring input proofs are on regardless. It is fixed at first start.
	SecureInputs bool
	// SetupCache is a directory where insecure setups are kept and reused by later devnets of
	// the same circuits; empty means set up afresh every first start.
	SetupCache string
	// TimeoutCommit is the block interval under load; zero means the node's default.
	TimeoutCommit time.Duration
	// ExternalMembers makes every committee member's directory (HOME/committee/member-K) a
	// member home that `dxp committee member start --home DIR` runs as a separate process, and
	// leaves those members out of this process, now and at every later start.
	ExternalMembers bool
	// ComputationDeadline is how many blocks a computation has to complete before it is
	// refunded (first start only); zero means 600.
	ComputationDeadline int64
	// Metrics, if set ("127.0.0.1:26660"), is where the node serves CometBFT's own Prometheus
	// metrics at /metrics (node.Config.MetricsListen), e.g. for a gateway's cometbft_metrics.
	// Not recorded: each start says whether to serve them.
	Metrics string
	// Log receives progress lines (never secrets); nil discards them.
	Log *slog.Logger
}

const (
	// DefaultRPC is the devnet node's RPC address.
	DefaultRPC = "tcp://127.0.0.1:26657"
	// DefaultSlots values per ciphertext on a development network: an INSECURE ring (the secure
	// one is mpc.SecureSlots, 16384) that makes the key ceremony, the committee's work and the
	// owners' input proofs fast (times measured on 2 cores in the package doc's Security
	// section). `dxp bench compute` asks for the secure ring.
	DefaultSlots = 2048
	// DefaultChunkSize values per chunk proof on a development network: its setup takes seconds,
	// not minutes, and a proof under a second. `dxp bench publish` uses 16384, whose proofs
	// cost less per value but whose setup takes minutes.
	DefaultChunkSize = 1024
	// openingCredit is what genesis gives every party that registers.
	openingCredit = 1000
	// computationDeadline in blocks; a devnet makes at least one block a second.
	computationDeadline = 600
	// DisputeWindow is the blocks a devnet buyer has after a computation completes to dispute it
	// before the holders are paid (rights.DefaultDisputeWindow on a chain that sets none): a few
	// seconds on an idle devnet.
	DisputeWindow = 5
)

// Devnet is a running single-machine network.
type Devnet struct {
	Home   string
	Config marketplace.Config
	node   *node.Node
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errMu  sync.Mutex
	errs   []error

	// members are the committee members this process runs, in committee order; read counts
	// the bytes they read from storage, and trace, if set, hears of each of their posts.
	members []*mpc.Member
	read    *countingObjects
	traceMu sync.Mutex
	trace   func(member string, t mpc.TaskTrace)
}

// Start starts (and on first start, creates) a devnet in cfg.Home. It returns once the
// node is running; the committee runs its key ceremony in the background (see WaitReady).
func Start(ctx context.Context, cfg Config) (*Devnet, error) {
	if cfg.Home == "" {
		return nil, errors.New("devnet: a home directory is required")
	}
	if cfg.Members == 0 {
		cfg.Members = 3
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.Slots != 0 {
		if _, err := mpc.NewParamsFor(cfg.Slots); err != nil {
			return nil, fmt.Errorf("devnet: %w", err)
		}
	}
	if cfg.Members < 1 || cfg.Members > 16 {
		return nil, fmt.Errorf("devnet: a committee has 1 to 16 members, not %d", cfg.Members)
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = cfg.Members
	}
	if cfg.ComputationDeadline < 0 {
		return nil, fmt.Errorf("devnet: a computation deadline of %d blocks is negative", cfg.ComputationDeadline)
	}
	if cfg.Threshold > cfg.Members || cfg.Members > 1 && cfg.Threshold < 2 {
		return nil, fmt.Errorf("devnet: a threshold of %d does not fit a committee of %d (it must be 2 to %d)", cfg.Threshold, cfg.Members, cfg.Members)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(cfg.Home, 0o700); err != nil {
		return nil, fmt.Errorf("devnet: create home: %w", err)
	}
	conf, err := marketplace.LoadConfig(cfg.Home)
	switch {
	case errors.Is(err, marketplace.ErrNoHome):
		if conf, err = initDevnet(ctx, cfg, log); err != nil {
			return nil, fmt.Errorf("devnet: first start: %w", err)
		}
	case err != nil:
		return nil, err
	default:
		if cfg.Storage != "" && cfg.Storage != conf.Storage {
			return nil, fmt.Errorf("devnet: %s already keeps its data in %s; it cannot move to %s", cfg.Home, marketplace.RedactURL(conf.Storage), marketplace.RedactURL(cfg.Storage))
		}
		if cfg.RPC != "" && cfg.RPC != conf.RPC {
			conf.RPC = cfg.RPC
			if err := marketplace.SaveConfig(cfg.Home, conf); err != nil {
				return nil, err
			}
		}
		log.Info("resuming devnet", "home", cfg.Home, "chain", conf.ChainID)
	}
	if cfg.ExternalMembers {
		for i := 0; ; i++ {
			if _, err := os.Stat(memberIdentity(cfg.Home, i)); err != nil {
				break
			}
			if err := writeMemberHome(memberDir(cfg.Home, i), conf); err != nil {
				return nil, fmt.Errorf("devnet: %w", err)
			}
		}
	}
	d, err := startHome(ctx, cfg.Home, conf, cfg.TimeoutCommit, cfg.Metrics, log)
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	if cfg.Slots != 0 { // asked for a ring: a resumed devnet must already have it
		gen, err := client.Get[rights.Genesis](ctx, d.Chain(), "")
		if err != nil {
			return nil, errors.Join(fmt.Errorf("devnet: read genesis: %w", err), d.Stop())
		}
		if gen.Params.SlotsPerCiphertext != cfg.Slots {
			return nil, errors.Join(fmt.Errorf("devnet: %s packs %d values per ciphertext, fixed at its first start; it cannot change to %d", cfg.Home, gen.Params.SlotsPerCiphertext, cfg.Slots), d.Stop())
		}
	}
	log.Info("devnet running", "chain", conf.ChainID, "rpc", conf.RPC, "storage", marketplace.RedactURL(conf.Storage))
	return d, nil
}

// startHome runs the validator of an initialised home (a devnet's or a localnet validator's) and
// the committee members whose identities the home holds; with metrics set, the node serves
// CometBFT's metrics there.
func startHome(ctx context.Context, home string, conf *marketplace.Config, timeoutCommit time.Duration, metrics string, log *slog.Logger) (*Devnet, error) {
	bucket, err := marketplace.OpenBucket(ctx, conf.Storage)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", marketplace.RedactURL(conf.Storage), err)
	}
	node, err := node.Start(ctx, node.Config{Home: filepath.Join(home, "node"), RPCListen: conf.RPC,
		P2PListen: conf.P2P, Peers: conf.Peers, TimeoutCommit: timeoutCommit, Verifier: marketplace.Verifier{}, MetricsListen: metrics})
	if err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	d := &Devnet{Home: home, Config: *conf, node: node, read: &countingObjects{o: marketplace.BucketObjects(bucket)}}
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	if err := d.startMembers(runCtx, bucket, log); err != nil {
		return nil, errors.Join(err, d.Stop())
	}
	return d, nil
}

func memberDir(home string, i int) string {
	return filepath.Join(home, "committee", fmt.Sprintf("member-%d", i+1))
}

func memberIdentity(home string, i int) string {
	return filepath.Join(memberDir(home, i), "identity.json")
}

func memberKey(home string, i int) (*marketplace.Key, error) {
	return marketplace.LoadOrCreateKeyFile(memberIdentity(home, i), fmt.Sprintf("member-%d", i+1), []rights.Role{rights.RoleMember})
}

func (d *Devnet) startMembers(ctx context.Context, bucket storage.Bucket, log *slog.Logger) error {
	params, err := marketplace.ChainParams(ctx, d.node.Client())
	if err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	committee, err := client.Get[rights.Committee](ctx, d.node.Client(), "")
	if err != nil {
		return fmt.Errorf("devnet: read the committee: %w", err)
	}
	for i := range committee.Members {
		if _, err := os.Stat(memberIdentity(d.Home, i)); errors.Is(err, fs.ErrNotExist) {
			continue // the member runs in another validator's home
		}
		if IsMemberHome(memberDir(d.Home, i)) {
			log.Info("committee member runs in its own process", "member", i+1, "home", memberDir(d.Home, i))
			continue
		}
		key, err := memberKey(d.Home, i)
		if err != nil {
			return fmt.Errorf("devnet: member %d: %w", i+1, err)
		}
		if key.Address() != committee.Members[i].Address {
			return fmt.Errorf("devnet: member %d's identity in %s is not the one in genesis", i+1, memberDir(d.Home, i))
		}
		wake, err := d.node.Client().NewBlocks(ctx)
		if err != nil {
			return fmt.Errorf("devnet: member %d: %w", i+1, err)
		}
		addr := string(key.Address())
		m, err := mpc.NewMember(mpc.MemberConfig{Address: addr, Dir: filepath.Join(memberDir(d.Home, i), "secret"),
			Params: params, Board: marketplace.MemberBoard(d.node.Client(), key), Objects: d.read, InputChecker: marketplace.InputChecker{},
			Wake: wake, Logger: log, Trace: func(t mpc.TaskTrace) { d.traced(addr, t) }})
		if err != nil {
			return fmt.Errorf("devnet: member %d: %w", i+1, err)
		}
		d.members = append(d.members, m)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				d.errMu.Lock()
				d.errs = append(d.errs, fmt.Errorf("member %d: %w", i+1, err))
				d.errMu.Unlock()
			}
		}()
	}
	return nil
}

// Chain is a local client of the devnet's node.
func (d *Devnet) Chain() *client.Client { return d.node.Client() }

// WaitReady blocks until the committee's collective keys are agreed on chain.
func (d *Devnet) WaitReady(ctx context.Context) error {
	return WaitCommitteeReady(ctx, d.node.Client())
}

// WaitCommitteeReady polls the chain until the committee is ready or ctx ends.
func WaitCommitteeReady(ctx context.Context, chain *client.Client) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		c, err := client.Get[rights.Committee](ctx, chain, "")
		if err != nil {
			return err
		}
		if c.Ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the committee did not finish its key ceremony: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Stop stops the members and the node; the home keeps everything for the next start.
func (d *Devnet) Stop() error {
	d.cancel()
	d.wg.Wait()
	err := d.node.Stop()
	d.errMu.Lock()
	defer d.errMu.Unlock()
	return errors.Join(append(d.errs, err)...)
}

// initDevnet writes everything a devnet needs before its first block: the regulator's key, the
// committee's identities, the chunk circuits' (insecure, devnet-only) proving keys and genesis.
// config.json is written last: until it exists the home counts as not set up, and a start after an
// interrupted first start does the setup again.
func initDevnet(ctx context.Context, cfg Config, log *slog.Logger) (*marketplace.Config, error) {
	nodeHome := filepath.Join(cfg.Home, "node")
	if node.Initialized(nodeHome) {
		// An earlier first start stopped before writing config.json: no block was ever made.
		if err := os.RemoveAll(nodeHome); err != nil {
			return nil, err
		}
	}
	conf := &marketplace.Config{RPC: cfg.RPC, Storage: cfg.Storage}
	if conf.RPC == "" {
		conf.RPC = DefaultRPC
	}
	if conf.Storage == "" {
		conf.Storage = filepath.Join(cfg.Home, "storage")
	}
	bucket, err := marketplace.OpenBucket(ctx, conf.Storage)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", marketplace.RedactURL(conf.Storage), err)
	}
	regulator, err := marketplace.LoadOrCreateKeyFile(marketplace.KeyPath(cfg.Home, "regulator"), "regulator", []rights.Role{rights.RoleRegulator})
	if err != nil {
		return nil, fmt.Errorf("regulator key: %w", err)
	}
	var members []*marketplace.Key
	for i := 0; i < cfg.Members; i++ {
		k, err := memberKey(cfg.Home, i)
		if err != nil {
			return nil, fmt.Errorf("member %d key: %w", i+1, err)
		}
		members = append(members, k)
	}
	gen, err := newGenesis(ctx, genesisSpec{ChainPrefix: "dxp-devnet-", Regulators: []*marketplace.Key{regulator}, Members: members,
		Threshold: cfg.Threshold, ChunkSize: cfg.ChunkSize, Slots: cfg.Slots, Widths: cfg.Widths, SecureInputs: cfg.SecureInputs, SetupCache: cfg.SetupCache, Deadline: cfg.ComputationDeadline, Bucket: bucket}, log)
	if err != nil {
		return nil, err
	}
	conf.ChainID = gen.ChainID
	if err := node.Init(nodeHome, gen); err != nil {
		return nil, fmt.Errorf("write genesis: %w", err)
	}
	if err := marketplace.SaveConfig(cfg.Home, conf); err != nil {
		return nil, err
	}
	log.Info("devnet created", "chain", conf.ChainID, "regulator", regulator.Address())
	return conf, nil
}

// genesisSpec is what a new network's genesis is made of.
type genesisSpec struct {
	ChainPrefix string // the chain id is the prefix and 8 random hex digits
	Regulators  []*marketplace.Key
	Members     []*marketplace.Key // the committee
	Threshold   int                // members that complete a computation; zero means all of them
	ChunkSize   int                // values per chunk proof
	Slots       uint64             // values per ciphertext (the ring degree); zero means DefaultSlots
	Widths      []int              // chunk circuit widths to register; nil means devnetWidths
	// SecureInputs registers and requires input circuits at the secure ring too (Config.SecureInputs).
	SecureInputs bool
	SetupCache   string // where insecure setups are reused from; empty for none
	Deadline     int64  // blocks a computation has to complete; zero means computationDeadline
	Bucket       storage.Bucket
}

// newGenesis builds the genesis of a new development network (a devnet or a localnet): the
// chunk circuits' (and, on a small ring, the input circuits') insecure, devnet-only proving keys
// (each proving key goes to the bucket, the
// verifying keys into the circuit registry), the committee with a fresh ceremony seed, the regulators, and
// DXP's development parameters.
func newGenesis(ctx context.Context, s genesisSpec, log *slog.Logger) (rights.Genesis, error) {
	threshold := s.Threshold
	if threshold == 0 {
		threshold = len(s.Members)
	}
	deadline := s.Deadline
	if deadline == 0 {
		deadline = computationDeadline
	}
	var members []rights.Member
	for _, k := range s.Members {
		members = append(members, rights.Member{Address: k.Address(), PubKey: k.Private.Public().(ed25519.PublicKey)})
	}
	var regulators []rights.Address
	for _, k := range s.Regulators {
		regulators = append(regulators, k.Address())
	}
	slots := s.Slots
	if slots == 0 {
		slots = DefaultSlots
	}
	params, err := mpc.NewParamsFor(slots)
	if err != nil {
		return rights.Genesis{}, err
	}
	budget, err := mpc.ProductNoiseBudget(params)
	if err != nil {
		return rights.Genesis{}, err
	}
	if slots < mpc.SecureSlots {
		log.Warn("INSECURE ring: development networks only", "slots_per_ciphertext", slots, "secure", mpc.SecureSlots)
	}
	widths := s.Widths
	if widths == nil {
		widths = devnetWidths
	}
	inputs := slots < mpc.SecureSlots || s.SecureInputs
	circuits, err := devnetCircuits(ctx, s.Bucket, s.SetupCache, s.ChunkSize, int(slots), widths, inputs, log)
	if err != nil {
		return rights.Genesis{}, err
	}
	var seed, id [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return rights.Genesis{}, err
	}
	if _, err := rand.Read(id[:4]); err != nil {
		return rights.Genesis{}, err
	}
	return rights.Genesis{
		ChainID: s.ChainPrefix + hex.EncodeToString(id[:4]),
		Devnet:  true,
		// A devnet keeps open admission (anyone registers itself as owner or buyer with the
		// opening credit) and free listings (ProofFee 0), and says so in its genesis and status.
		Admission:  rights.AdmissionOpen,
		Regulators: regulators,
		Committee:  rights.Committee{Members: members, Threshold: uint32(threshold), Epoch: 1, Seed: seed[:]},
		Params: rights.Params{
			OpeningCredit:       openingCredit,
			ComputationDeadline: deadline,
			DisputeWindow:       DisputeWindow,
			PlaintextModulus:    mpc.PlaintextModulus,
			SlotsPerCiphertext:  slots,
			// On a small ring the devnet registers input circuits and requires them; at the
			// secure ring it does so only when asked (SecureInputs: an input setup there takes
			// minutes and gigabytes per width), and otherwise registers chunk circuits only and
			// its columns' ciphertexts are unproven.
			InputProofs:        inputs,
			MaxGrantDatasets:   16,
			ProductNoiseBudget: budget,
		},
		Circuits: circuits,
	}, nil
}

// Members are the committee members this process runs, in committee order (none for members
// that run as processes of their own).
func (d *Devnet) Members() []*mpc.Member { return slices.Clone(d.members) }

// SetTrace makes f hear of every post of the members this process runs, with the time its work
// and its wait for the chain took; nil stops it. f runs on the members' goroutines.
func (d *Devnet) SetTrace(f func(member string, t mpc.TaskTrace)) {
	d.traceMu.Lock()
	d.trace = f
	d.traceMu.Unlock()
}

// StorageBytesRead is how many bytes the members this process runs have read from storage
// since the devnet started.
func (d *Devnet) StorageBytesRead() int64 { return d.read.read.Load() }

func (d *Devnet) traced(member string, t mpc.TaskTrace) {
	d.traceMu.Lock()
	f := d.trace
	d.traceMu.Unlock()
	if f != nil {
		f(member, t)
	}
}

// countingObjects counts the bytes read through it.
type countingObjects struct {
	o    mpc.Objects
	read atomic.Int64
}

func (c *countingObjects) Put(ctx context.Context, data []byte) ([32]byte, error) {
	return c.o.Put(ctx, data)
}

func (c *countingObjects) Get(ctx context.Context, d [32]byte) ([]byte, error) {
	b, err := c.o.Get(ctx, d)
	c.read.Add(int64(len(b)))
	return b, err
}
