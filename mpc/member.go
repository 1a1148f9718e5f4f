package mpc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"

	"github.com/dxplabs/dxp/spec"
)

// Objects is how mpc reaches storage: objects are addressed by their SHA-256. It must be safe for
// concurrent use: a member fetches input ciphertexts ahead of the evaluation, a few at a time.
type Objects interface {
	// Put stores data and returns its SHA-256.
	Put(ctx context.Context, data []byte) ([32]byte, error)
	// Get returns the object with this digest; the implementation verifies the bytes against it.
	// A missing object gives an error wrapping ErrNotFound (a member refuses a computation whose
	// requester's objects are missing, and retries any other error).
	Get(ctx context.Context, digest [32]byte) ([]byte, error)
}

// ErrNotFound is what Objects.Get wraps when no object has the digest.
var ErrNotFound = errors.New("object not found")

// Board is the chain as one committee member sees it. The caller implements it over the rights
// client; posts are signed by, and recorded for, this member.
type Board interface {
	Committee(ctx context.Context) (*CommitteeView, error)
	// PostCeremony records this member's share digests for one ceremony step. The chain accepts
	// one post per member and step.
	PostCeremony(ctx context.Context, step string, digests [][32]byte) error
	// Tasks returns the computations that wait for an action from this member: in PhaseEvaluate
	// those it has not posted an output for, in PhaseSwitch those whose Active members include it
	// and that it has not posted a share for.
	Tasks(ctx context.Context) ([]Task, error)
	// PostOutput records the digest of the output this member evaluated (phase 1). Once
	// spec.Participants members posted the same digest, the chain moves the computation to
	// PhaseSwitch with Active set to the first of them, and records the members that posted
	// another digest. noise is the digest of the member's noise dealing object on a task with
	// DP (dpdeal.go; the chain requires it then), zero otherwise.
	PostOutput(ctx context.Context, task string, output, noise [32]byte) error
	// PostShare records this member's key-switch share object of the agreed output (phase 2,
	// Active members only, once each): its PCKS share for every t-subset of Active it is in.
	PostShare(ctx context.Context, task string, share [32]byte) error
	// RefuseComputation records that this member refuses a computation for a fault of its
	// requester (reason: one sentence, no secret): dot-product weights that are missing, do not
	// open, do not match their commitment or exceed the declared bound, or a buyer key object that
	// is missing or does not parse. Once Threshold members refused, the chain fails the
	// computation and charges the requester.
	RefuseComputation(ctx context.Context, task, reason string) error
	// AttestInputs records this member's verdict on a pending dataset's stored inputs (a
	// PhaseInputs task): reason "" when every object is what the listing claims, otherwise one
	// sentence naming the first that is not. Threshold valid verdicts list the dataset;
	// Threshold invalid ones refuse it. The chain accepts one verdict per member and dataset.
	AttestInputs(ctx context.Context, dataset, reason string) error

	// Live returns nil if the chain would still take this member's post for the task in its next
	// block (grant active and not about to expire, nothing frozen, datasets listed, within the
	// deadline), and an error saying why not otherwise. A member asks before it posts an output
	// and before it puts a key-switch share in storage: a share handed out for a computation the
	// chain then refunds would be a free answer.
	Live(ctx context.Context, task string) error
}

// CommitteeView is the committee's state on the chain.
type CommitteeView struct {
	Members   []string // member addresses in genesis order; member i has Shamir point i+1
	Threshold int      // t: members needed to complete a computation, 1 ≤ t ≤ len(Members)
	Epoch     uint64
	Seed      []byte                           // public seed of the common reference string
	Shares    map[string]map[string][][32]byte // step -> member address -> posted digests
	Keys      [][32]byte                       // agreed collective key digests, once Ready
	Ready     bool
}

// Task phases: a computation's two, and the check of a new listing's inputs.
const (
	PhaseEvaluate = "evaluate"
	PhaseSwitch   = "switch"
	// PhaseInputs: a pending dataset whose stored inputs this member checks before anyone may
	// compute on them (member_inputs.go); the task's ID is the dataset's.
	PhaseInputs = "inputs"
)

// Task is a computation that waits for this member.
type Task struct {
	ID    string // unique per computation, never reused: a member re-posts the share it saved for it
	Op    spec.Op
	Phase string // PhaseEvaluate or PhaseSwitch
	// Columns hold, per input column, its ciphertext digests in row order (all datasets
	// concatenated, aligned across columns): one column for sum, mean, variance, stddev and dot;
	// the features and then the target for regression; none for histogram. In PhaseInputs:
	// every column of the dataset, named by ColumnNames, with its frequency table in Tables
	// (zero: none), its input proofs in Inputs, and InputKey the digest of the committee's public
	// key object (Committee.Keys[0]) the proofs are bound to.
	Columns     [][][32]byte
	ColumnNames []string
	Tables      [][32]byte
	Inputs      []InputColumn
	InputKey    [32]byte
	InputHolder string          // the dataset's holder, whom its input proofs are bound to
	Histogram   *HistogramInput // histogram, and count (its Tables, Min and Bin; no Edges)
	// Dot only: WeightsObject is the digest of the buyer's weights sealed to the members
	// (SealWeights), WeightsCommitment the request's commitment to them, WeightBound the largest
	// weight magnitude the request declared (what the chain sized overflow and noise with), and
	// Rows the datasets' row counts in order (each dataset's rows start a new ciphertext of
	// Columns[0]). A member evaluates only weights that open, match the commitment, hold one
	// value per row and stay within WeightBound; otherwise it refuses the computation.
	WeightsObject     [32]byte
	WeightsCommitment [32]byte
	WeightBound       uint64
	Rows              []uint64
	BuyerKey          [32]byte // the buyer's RLWE public key object
	// Output and Active are set in PhaseSwitch: the agreed output digest and the members the
	// chain fixed to switch it (exactly spec.Participants of them, in order).
	Output [32]byte
	Active []string
	DP     *DP // nil: no noise
	// Noise is set in PhaseSwitch of a task with DP: the digest of each Active member's noise
	// dealing (the one it posted with its output), in Active's order.
	Noise [][32]byte
}

// MemberConfig configures a committee member. The zero value of Poll and Logger means the default.
type MemberConfig struct {
	Address string // this member's address, one of CommitteeView.Members
	// Dir holds the member's private state: its threshold share of the collective key, ceremony
	// secrets while the ceremony runs, and its key-switch shares until they are posted (directory
	// 0700, files 0600). Losing it loses the member's share of the collective key.
	Dir     string
	Params  heint.Parameters
	Board   Board
	Objects Objects
	// InputChecker checks the listed evaluations of input proofs against the stored ciphertexts
	// and the committee's key before the member attests a listing (member_inputs.go); required,
	// so that no member lists a dataset whose input proofs it did not check.
	InputChecker InputChecker
	// Wake, if set, signals that the board may have changed (a new block was committed): Run
	// then makes a pass at once instead of waiting for the next poll. Signals may be coalesced.
	Wake <-chan struct{}
	// Poll is how often Run polls the board when idle: zero means 200ms, or, with Wake set,
	// 2s, a slow fallback for a lost subscription.
	Poll   time.Duration
	Logger *slog.Logger // nil discards; secrets are never logged
	// Trace, if set, is called after each output or share this member posts, with how long its
	// work took; it must not block.
	Trace func(TaskTrace)
}

// TaskTrace reports one post of a member: Work runs from picking the task up to the output or
// share being in storage (storage reads, evaluation or key switch, the put), Post is how long the
// chain took to commit the post.
type TaskTrace struct {
	Task  string
	Phase string // PhaseEvaluate or PhaseSwitch
	Work  time.Duration
	Post  time.Duration
}

func (m *Member) trace(task, phase string, start, posting time.Time) {
	if m.cfg.Trace != nil {
		m.cfg.Trace(TaskTrace{Task: task, Phase: phase, Work: posting.Sub(start), Post: time.Since(posting)})
	}
}

const (
	defaultPoll     = 200 * time.Millisecond
	defaultWakePoll = 2 * time.Second
)

func (c *MemberConfig) validate() error {
	switch {
	case c.Address == "":
		return errors.New("mpc: member config: no address")
	case c.Dir == "":
		return errors.New("mpc: member config: no private directory")
	case c.Board == nil:
		return errors.New("mpc: member config: no board")
	case c.Objects == nil:
		return errors.New("mpc: member config: no object store")
	case c.InputChecker == nil:
		return errors.New("mpc: member config: no input checker (a member checks input proofs before it attests a listing)")
	case c.Poll < 0:
		return fmt.Errorf("mpc: member config: negative poll interval %s", c.Poll)
	}
	if err := checkParams(c.Params); err != nil {
		return fmt.Errorf("mpc: member config: %w", err)
	}
	if c.Poll == 0 {
		c.Poll = defaultPoll
		if c.Wake != nil {
			c.Poll = defaultWakePoll
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Member is one committee member: it runs its side of the key ceremony and evaluates and switches
// computations, talking only to the board and the object store. Its methods are safe for
// concurrent use, but a member works on one thing at a time.
type Member struct {
	cfg   MemberConfig
	log   *slog.Logger
	codec *codec
	state *state
	// listings checks pending datasets' stored inputs (PhaseInputs).
	listings *ListingChecker

	mu      sync.Mutex // serializes Step; guards everything below
	ep      *epoch
	done    map[string]bool        // task/phase pairs this process posted for (the board may lag)
	failed  map[string]*failedTask // task/phase pairs waiting before a retry
	outputs map[string][32]byte    // task -> the output digest this member evaluated
	// buyerKeys holds requesters' parsed RLWE public keys by object digest (buyerKey).
	buyerKeys keyCache
	pcks      map[ring.DiscreteGaussian]*mhe.PublicKeySwitchProtocol // by smudging (keySwitchProtocol)
	rand      *uniform                                               // crypto/rand for DP noise
	now       func() time.Time                                       // the clock for retries; tests stop it
}

// epoch is a member's working state for one key epoch.
type epoch struct {
	n        uint64
	cer      *ceremony
	sk       *rlwe.SecretKey
	box      *boxKeys
	tsk      *mhe.ShamirSecretShare
	posted   map[string][][32]byte // steps this process posted (the board may lag)
	revealed map[string]bool       // committed steps this process revealed
	waiting  map[string]time.Time  // "<step>/<member>" -> when this member first missed that committed share
	awaiting bool                  // the last pass waited for a committed share to be revealed
	pk       *rlwe.PublicKey       // the collective public key this member aggregated (for the known-answer check)
	katCt    *rlwe.Ciphertext      // the known-answer ciphertext under the new keys
	keys     *evalKeys
	cleaned  bool // ceremony secrets removed
}

// evalKeys are the collective evaluation keys of an epoch, loaded once (about 90 MB).
type evalKeys struct {
	digests [][32]byte
	ev      *evaluator
}

type failedTask struct {
	fails int
	next  time.Time
}

// NewMember returns a member for cfg. It creates cfg.Dir if needed.
func NewMember(cfg MemberConfig) (*Member, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	st, err := openState(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("mpc: new member: %w", err)
	}
	listings, err := NewListingChecker(cfg.Params, cfg.Objects, cfg.InputChecker)
	if err != nil {
		return nil, fmt.Errorf("mpc: new member: %w", err)
	}
	return &Member{
		cfg:      cfg,
		log:      cfg.Logger.With("member", cfg.Address),
		codec:    newCodec(cfg.Params),
		state:    st,
		listings: listings,
		done:     make(map[string]bool),
		failed:   make(map[string]*failedTask),
		outputs:  make(map[string][32]byte),
		rand:     newUniform(),
		now:      time.Now,
	}, nil
}

// Run calls Step until ctx is done, waiting between passes that had nothing to do for a Wake
// signal or Poll, whichever comes first. A failed pass is logged and retried after a growing
// pause, never fatal. Run returns ctx.Err().
func (m *Member) Run(ctx context.Context) error {
	fails := 0
	for {
		progressed, err := m.Step(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := m.cfg.Poll
		if m.awaitingReveal() {
			// Reveals are storage puts, which no block announces: look again soon.
			wait = m.retryBase()
		}
		if err != nil {
			m.log.Warn("mpc: step failed", "err", err)
			fails++
			wait = m.retryBase() << min(fails, 6)
		} else {
			fails = 0
		}
		if progressed && err == nil {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		case <-m.cfg.Wake:
			t.Stop()
		}
	}
}

// awaitingReveal reports whether the last pass waited for another member's committed share to
// appear in storage.
func (m *Member) awaitingReveal() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ep != nil && m.ep.awaiting
}

// retryBase is the first pause before a failed pass or task is retried: the poll interval, but
// no longer than the default one, since a slow fallback poll says nothing about how soon a
// failure (storage or the node briefly away) clears.
func (m *Member) retryBase() time.Duration { return min(m.cfg.Poll, defaultPoll) }

// Step makes one pass: it advances the key ceremony as far as this member can, or, once the
// committee is ready, evaluates or switches every computation that waits for it. progressed
// reports whether it posted anything.
func (m *Member) Step(ctx context.Context) (progressed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	err = protect(func() error {
		var err error
		progressed, err = m.step(ctx)
		return err
	})
	if err != nil {
		return progressed, fmt.Errorf("mpc: member %s: %w", m.cfg.Address, err)
	}
	return progressed, nil
}

func (m *Member) step(ctx context.Context) (bool, error) {
	view, err := m.cfg.Board.Committee(ctx)
	if err != nil {
		return false, fmt.Errorf("read committee: %w", err)
	}
	if err := m.checkView(view); err != nil {
		return false, err
	}
	if m.ep == nil || m.ep.n != view.Epoch {
		m.ep = &epoch{
			n:        view.Epoch,
			cer:      newCeremony(m.cfg.Params, view.Seed, view.Epoch),
			posted:   make(map[string][][32]byte),
			revealed: make(map[string]bool),
			waiting:  make(map[string]time.Time),
		}
	}
	if !view.Ready {
		return m.ceremonyStep(ctx, view)
	}
	if err := m.afterCeremony(ctx, view); err != nil {
		return false, err
	}
	return m.taskStep(ctx, view)
}

func (m *Member) checkView(v *CommitteeView) error {
	if v == nil {
		return errors.New("committee: no view")
	}
	if !slices.Contains(v.Members, m.cfg.Address) {
		return fmt.Errorf("committee epoch %d: %s is not a member", v.Epoch, m.cfg.Address)
	}
	seen := make(map[string]bool, len(v.Members))
	for _, a := range v.Members {
		if seen[a] {
			return fmt.Errorf("committee epoch %d: member %s listed twice", v.Epoch, a)
		}
		seen[a] = true
	}
	n := len(v.Members)
	if v.Threshold < 1 || v.Threshold > n {
		return fmt.Errorf("committee epoch %d: threshold %d of %d members", v.Epoch, v.Threshold, n)
	}
	if v.Threshold == 1 && n > 1 {
		return fmt.Errorf("committee epoch %d: threshold 1 of %d members would give every member the whole key", v.Epoch, n)
	}
	if len(v.Seed) == 0 {
		return fmt.Errorf("committee epoch %d: no ceremony seed", v.Epoch)
	}
	return nil
}

// index returns this member's position in the committee.
func (m *Member) index(v *CommitteeView) int { return slices.Index(v.Members, m.cfg.Address) }

func (m *Member) put(ctx context.Context, o object) ([32]byte, error) {
	b, err := o.MarshalBinary()
	if err != nil {
		return [32]byte{}, fmt.Errorf("encode: %w", err)
	}
	return m.putBytes(ctx, b)
}

func (m *Member) putBytes(ctx context.Context, b []byte) ([32]byte, error) {
	d, err := m.cfg.Objects.Put(ctx, b)
	if err != nil {
		return [32]byte{}, fmt.Errorf("put: %w", err)
	}
	return d, nil
}

func (m *Member) get(ctx context.Context, d [32]byte) ([]byte, error) {
	b, err := m.cfg.Objects.Get(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", short(d), err)
	}
	return b, nil
}

func short(d [32]byte) string { return hex.EncodeToString(d[:6]) }
