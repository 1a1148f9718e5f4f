package mpc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

// Objects is how mpc reaches storage: objects are addressed by their SHA-256.
type Objects interface {
	// Put stores data and returns its SHA-256.
	Put(ctx context.Context, data []byte) ([32]byte, error)
	// Get returns the object with this digest; the implementation verifies the bytes against it.
	Get(ctx context.Context, digest [32]byte) ([]byte, error)
}

// Board is the chain as one committee member sees it. The caller implements it over the rights
// client; posts are signed by, and recorded for, this member.
type Board interface {
	Committee(ctx context.Context) (*CommitteeView, error)
	// PostCeremony records this member's share digests for one ceremony step. The chain accepts
	// one post per member and step.
	PostCeremony(ctx context.Context, step string, digests [][32]byte) error
	// Tasks returns the pending computations this member has not posted a result for.
	Tasks(ctx context.Context) ([]Task, error)
	// PostResult records this member's output ciphertext and key-switch share for a task.
	PostResult(ctx context.Context, task string, output, share [32]byte) error
}

// CommitteeView is the committee's state on the chain.
type CommitteeView struct {
	Members   []string // member addresses in genesis order
	Threshold int
	Epoch     uint64
	Seed      []byte                           // public seed of the common reference string
	Shares    map[string]map[string][][32]byte // step -> member address -> posted digests
	Keys      [][32]byte                       // agreed collective key digests, once Ready
	Ready     bool
}

// Task is a computation the committee evaluates.
type Task struct {
	ID string
	// Op is "sum" or "mean": both evaluate the column's total (the caller divides a mean by the
	// row count it knows).
	Op string
	// Inputs are all input ciphertexts, of every dataset.
	Inputs [][32]byte
	// BuyerKey is the buyer's RLWE public key object.
	BuyerKey [32]byte
}

// MemberConfig configures a committee member. The zero value of Poll and Logger means the default.
type MemberConfig struct {
	Address string // this member's address, one of CommitteeView.Members
	// Dir holds the member's private state: its secret key share and ephemeral ceremony secrets
	// (directory 0700, files 0600). Losing it loses the member's share of the collective key.
	Dir     string
	Params  heint.Parameters
	Board   Board
	Objects Objects
	Poll    time.Duration // how often Run polls the board when idle; zero means 200ms
	Logger  *slog.Logger  // nil discards; secrets are never logged
}

const defaultPoll = 200 * time.Millisecond

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
	case c.Poll < 0:
		return fmt.Errorf("mpc: member config: negative poll interval %s", c.Poll)
	}
	if err := checkParams(c.Params); err != nil {
		return fmt.Errorf("mpc: member config: %w", err)
	}
	if c.Poll == 0 {
		c.Poll = defaultPoll
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Member is one committee member: it runs its side of the key ceremony and evaluates tasks, talking
// only to the board and the object store. Its methods are safe for concurrent use, but a member
// works on one thing at a time.
type Member struct {
	cfg   MemberConfig
	log   *slog.Logger
	codec *codec
	state *state

	mu     sync.Mutex // serializes Step; guards everything below
	ep     *epoch
	pcks   mhe.PublicKeySwitchProtocol
	done   map[string]bool        // tasks whose result this process posted (the board may lag)
	failed map[string]*failedTask // tasks waiting before a retry
	now    func() time.Time       // the clock for retries; tests stop it
}

// epoch is a member's working state for one key epoch.
type epoch struct {
	n      uint64
	cer    *ceremony
	sk     *rlwe.SecretKey
	posted map[string][][32]byte // steps this process posted (the board may lag)
	keys   *evalKeys
}

// evalKeys are the collective evaluation keys of an epoch, loaded once (about 90 MB).
type evalKeys struct {
	digests [][32]byte
	eval    *heint.Evaluator
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
	pcks, err := mhe.NewPublicKeySwitchProtocol(cfg.Params, smudging())
	if err != nil {
		return nil, fmt.Errorf("mpc: new member: %w", err)
	}
	return &Member{
		cfg:    cfg,
		log:    cfg.Logger.With("member", cfg.Address),
		codec:  newCodec(cfg.Params),
		state:  st,
		pcks:   pcks,
		done:   make(map[string]bool),
		failed: make(map[string]*failedTask),
		now:    time.Now,
	}, nil
}

// Run calls Step until ctx is done, waiting Poll between passes that had nothing to do. A failed
// pass is logged and retried after a growing pause, never fatal. Run returns ctx.Err().
func (m *Member) Run(ctx context.Context) error {
	fails := 0
	for {
		progressed, err := m.Step(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := m.cfg.Poll
		if err != nil {
			m.log.Warn("mpc: step failed", "err", err)
			fails++
			wait = m.cfg.Poll << min(fails, 6)
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
		}
	}
}

// Step makes one pass: it advances the key ceremony as far as this member can, or, once the
// committee is ready, evaluates every pending task and posts its result. progressed reports
// whether it posted anything.
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
			n:      view.Epoch,
			cer:    newCeremony(m.cfg.Params, view.Seed, view.Epoch),
			posted: make(map[string][][32]byte),
		}
	}
	if !view.Ready {
		return m.ceremonyStep(ctx, view)
	}
	if err := m.forgetEphemeral(view); err != nil {
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
	// The collective key is an N-of-N additive sharing: every member's key-switch share is needed.
	// t-of-N (mhe.Thresholdizer and Combiner) is not implemented yet, see shareKey.
	if v.Threshold != len(v.Members) {
		return fmt.Errorf("committee epoch %d: threshold %d of %d members: only all-member (N-of-N) committees are supported", v.Epoch, v.Threshold, len(v.Members))
	}
	if len(v.Seed) == 0 {
		return fmt.Errorf("committee epoch %d: no ceremony seed", v.Epoch)
	}
	return nil
}

// The ceremony.

// mine returns this member's posted digests for step, from the board or from this process.
func (m *Member) mine(v *CommitteeView, step string) ([][32]byte, bool) {
	if d := v.Shares[step][m.cfg.Address]; len(d) > 0 {
		return d, true
	}
	d, ok := m.ep.posted[step]
	return d, ok
}

// allPosted reports whether every member posted n digests for step.
func allPosted(v *CommitteeView, step string, n int) bool {
	for _, a := range v.Members {
		if len(v.Shares[step][a]) != n {
			return false
		}
	}
	return true
}

func (m *Member) ceremonyStep(ctx context.Context, v *CommitteeView) (progressed bool, err error) {
	n := len(m.ep.cer.galEls)
	type step struct {
		name  string
		ready bool
		run   func(context.Context, *CommitteeView) ([][32]byte, error)
	}
	steps := []step{
		{stepCKG, true, m.postCKG},
		{stepRKG1, true, m.postRKG1},
		{stepGKG, true, m.postGKG},
		{stepRKG2, allPosted(v, stepRKG1, 1), m.postRKG2},
		{stepKeys, allPosted(v, stepCKG, 1) && allPosted(v, stepRKG1, 1) && allPosted(v, stepRKG2, 1) && allPosted(v, stepGKG, n), m.postKeys},
	}
	for _, s := range steps {
		if _, done := m.mine(v, s.name); done || !s.ready {
			continue
		}
		if err := ctx.Err(); err != nil {
			return progressed, err
		}
		start := time.Now()
		digests, err := s.run(ctx, v)
		if err != nil {
			return progressed, fmt.Errorf("ceremony epoch %d step %s: %w", v.Epoch, s.name, err)
		}
		if err := m.cfg.Board.PostCeremony(ctx, s.name, digests); err != nil {
			return progressed, fmt.Errorf("ceremony epoch %d step %s: post: %w", v.Epoch, s.name, err)
		}
		m.ep.posted[s.name] = digests
		progressed = true
		m.log.Info("mpc: posted ceremony step", "epoch", v.Epoch, "step", s.name, "objects", len(digests), "first", short(digests[0]), "took", time.Since(start).Round(time.Millisecond))
	}
	return progressed, nil
}

// secretKey returns the member's key share for the epoch, creating and persisting it if create is
// set and it does not exist yet.
func (m *Member) secretKey(create bool) (*rlwe.SecretKey, error) {
	if m.ep.sk != nil {
		return m.ep.sk, nil
	}
	data, ok, err := m.state.read(m.ep.n, fileSecretKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		if !create {
			return nil, fmt.Errorf("secret key share of epoch %d is missing from %s, but this member already posted shares made with it", m.ep.n, m.state.dir)
		}
		sk := m.ep.cer.newSecret()
		b, err := sk.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode secret key: %w", err)
		}
		if err := m.state.create(m.ep.n, fileSecretKey, b); err != nil {
			if !errors.Is(err, fs.ErrExist) {
				return nil, err
			}
			return m.secretKey(false) // another process got there first: use its key
		}
		m.ep.sk = sk
		return sk, nil
	}
	sk, err := m.codec.secretKey(data)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	m.ep.sk = sk
	return sk, nil
}

func (m *Member) put(ctx context.Context, o object) ([32]byte, error) {
	b, err := o.MarshalBinary()
	if err != nil {
		return [32]byte{}, fmt.Errorf("encode: %w", err)
	}
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

func (m *Member) postCKG(ctx context.Context, _ *CommitteeView) ([][32]byte, error) {
	// The only step that may create the key share: every later step's share must use the same one.
	sk, err := m.secretKey(true)
	if err != nil {
		return nil, err
	}
	s, err := m.ep.cer.ckgShare(sk)
	if err != nil {
		return nil, err
	}
	d, err := m.put(ctx, &s)
	if err != nil {
		return nil, err
	}
	return [][32]byte{d}, nil
}

// postRKG1 posts the round-1 share recorded with the ephemeral secret, or makes both: the share
// is stored, then the secret and the share's digest are persisted, then the digest is posted. So
// a restart at any point either posts the recorded share again (the chain refuses a duplicate) or
// starts over with nothing posted.
func (m *Member) postRKG1(ctx context.Context, _ *CommitteeView) ([][32]byte, error) {
	if d, _, ok, err := m.ephemeral(); err != nil || ok {
		return [][32]byte{d}, err
	}
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	eph, s, err := m.ep.cer.rkgRound1(sk)
	if err != nil {
		return nil, err
	}
	d, err := m.put(ctx, &s)
	if err != nil {
		return nil, err
	}
	b, err := eph.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode ephemeral secret: %w", err)
	}
	if err := m.state.create(m.ep.n, fileRKGEphemeral, append(d[:], b...)); err != nil {
		return nil, err
	}
	return [][32]byte{d}, nil
}

// ephemeral returns the persisted RKG round-1 digest and ephemeral secret, if any.
func (m *Member) ephemeral() (d [32]byte, eph *rlwe.SecretKey, ok bool, err error) {
	data, ok, err := m.state.read(m.ep.n, fileRKGEphemeral)
	if err != nil || !ok {
		return d, nil, false, err
	}
	if len(data) < len(d) {
		return d, nil, false, fmt.Errorf("ephemeral secret file: truncated")
	}
	copy(d[:], data)
	eph, err = m.codec.secretKey(data[len(d):])
	if err != nil {
		return d, nil, false, fmt.Errorf("ephemeral secret file: %w", err)
	}
	return d, eph, true, nil
}

func (m *Member) postRKG2(ctx context.Context, v *CommitteeView) ([][32]byte, error) {
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	d, eph, ok, err := m.ephemeral()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("ephemeral secret of the posted rkg1 share is missing from %s", m.state.dir)
	}
	if posted := v.Shares[stepRKG1][m.cfg.Address]; posted[0] != d {
		return nil, fmt.Errorf("posted rkg1 share %s is not the one whose ephemeral secret was kept (%s)", short(posted[0]), short(d))
	}
	round1, err := m.aggregateRKG(ctx, v, stepRKG1)
	if err != nil {
		return nil, err
	}
	s := m.ep.cer.rkgRound2(sk, eph, round1)
	d, err = m.put(ctx, &s)
	if err != nil {
		return nil, err
	}
	return [][32]byte{d}, nil
}

func (m *Member) aggregateRKG(ctx context.Context, v *CommitteeView, step string) (mhe.RelinearizationKeyGenShare, error) {
	shares := make([]*mhe.RelinearizationKeyGenShare, 0, len(v.Members))
	for _, a := range v.Members {
		b, err := m.get(ctx, v.Shares[step][a][0])
		if err != nil {
			return mhe.RelinearizationKeyGenShare{}, fmt.Errorf("%s share of %s: %w", step, a, err)
		}
		s, err := m.codec.rkgShare(b)
		if err != nil {
			return mhe.RelinearizationKeyGenShare{}, fmt.Errorf("%s share of %s: %w", step, a, err)
		}
		shares = append(shares, s)
	}
	return m.ep.cer.aggregateRKG(shares), nil
}

func (m *Member) postGKG(ctx context.Context, _ *CommitteeView) ([][32]byte, error) {
	sk, err := m.secretKey(false)
	if err != nil {
		return nil, err
	}
	digests := make([][32]byte, 0, len(m.ep.cer.galEls))
	for _, el := range m.ep.cer.galEls {
		s, err := m.ep.cer.gkgShare(sk, el)
		if err != nil {
			return nil, err
		}
		d, err := m.put(ctx, &s)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
	}
	return digests, nil
}

// postKeys aggregates every member's shares into the collective keys and posts their digests in
// the order [public key, relinearization key, Galois key per element of galoisElements].
func (m *Member) postKeys(ctx context.Context, v *CommitteeView) ([][32]byte, error) {
	cer := m.ep.cer
	ckg := make([]*mhe.PublicKeyGenShare, 0, len(v.Members))
	for _, a := range v.Members {
		b, err := m.get(ctx, v.Shares[stepCKG][a][0])
		if err != nil {
			return nil, fmt.Errorf("ckg share of %s: %w", a, err)
		}
		s, err := m.codec.ckgShare(b)
		if err != nil {
			return nil, fmt.Errorf("ckg share of %s: %w", a, err)
		}
		ckg = append(ckg, s)
	}
	pk, err := cer.publicKey(ckg)
	if err != nil {
		return nil, err
	}
	round1, err := m.aggregateRKG(ctx, v, stepRKG1)
	if err != nil {
		return nil, err
	}
	round2, err := m.aggregateRKG(ctx, v, stepRKG2)
	if err != nil {
		return nil, err
	}
	rlk := cer.relinearizationKey(round1, round2)

	var digests [][32]byte
	for _, o := range []object{pk, rlk} {
		d, err := m.put(ctx, o)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
	}
	gks := make([]*rlwe.GaloisKey, 0, len(cer.galEls))
	for i, el := range cer.galEls {
		shares := make([]*mhe.GaloisKeyGenShare, 0, len(v.Members))
		for _, a := range v.Members {
			b, err := m.get(ctx, v.Shares[stepGKG][a][i])
			if err != nil {
				return nil, fmt.Errorf("gkg share %d of %s: %w", el, a, err)
			}
			s, err := m.codec.gkgShare(b, el)
			if err != nil {
				return nil, fmt.Errorf("gkg share %d of %s: %w", el, a, err)
			}
			shares = append(shares, s)
		}
		gk, err := cer.galoisKey(el, shares)
		if err != nil {
			return nil, err
		}
		d, err := m.put(ctx, gk)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
		gks = append(gks, gk)
	}
	cer.release()
	// This member will evaluate with these keys: keep them rather than reload them once ready.
	m.ep.keys = &evalKeys{digests: digests, eval: heint.NewEvaluator(m.cfg.Params, rlwe.NewMemEvaluationKeySet(rlk, gks...))}
	return digests, nil
}

// forgetEphemeral removes the RKG ephemeral secret once this member's round-2 share is on the
// board: nothing needs it any more.
func (m *Member) forgetEphemeral(v *CommitteeView) error {
	if len(v.Shares[stepRKG2][m.cfg.Address]) == 0 {
		return nil
	}
	return m.state.remove(m.ep.n, fileRKGEphemeral)
}

// shareKey returns the secret this member contributes to a protocol that the committee runs on
// the collective key. With N-of-N additive sharing that is the key share itself; t-of-N
// (mhe.Combiner.GenAdditiveShare over the participating members' Shamir shares) plugs in here.
func (m *Member) shareKey() (*rlwe.SecretKey, error) {
	return m.secretKey(false)
}

// Computations.

func (m *Member) taskStep(ctx context.Context, v *CommitteeView) (progressed bool, err error) {
	tasks, err := m.cfg.Board.Tasks(ctx)
	if err != nil {
		return false, fmt.Errorf("read tasks: %w", err)
	}
	pending := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		pending[t.ID] = true
	}
	for id := range m.done {
		if !pending[id] {
			delete(m.done, id)
		}
	}
	for id := range m.failed {
		if !pending[id] {
			delete(m.failed, id)
		}
	}
	var errs []error
	for _, t := range tasks {
		if m.done[t.ID] {
			continue
		}
		if f := m.failed[t.ID]; f != nil && m.now().Before(f.next) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return progressed, err
		}
		if err := m.runTask(ctx, v, t); err != nil {
			f := m.failed[t.ID]
			if f == nil {
				f = &failedTask{}
				m.failed[t.ID] = f
			}
			f.fails++
			f.next = m.now().Add(min(m.cfg.Poll<<min(f.fails, 10), 5*time.Minute))
			errs = append(errs, fmt.Errorf("task %s: %w", t.ID, err))
			continue
		}
		delete(m.failed, t.ID)
		m.done[t.ID] = true
		progressed = true
	}
	return progressed, errors.Join(errs...)
}

func (m *Member) runTask(ctx context.Context, v *CommitteeView, t Task) error {
	start := time.Now()
	switch t.Op {
	case "sum", "mean":
	default:
		return fmt.Errorf("unsupported op %q", t.Op)
	}
	keys, err := m.evalKeys(ctx, v)
	if err != nil {
		return err
	}
	out, err := m.evaluate(ctx, keys.eval, t.Inputs)
	if err != nil {
		return err
	}
	outDigest, err := m.put(ctx, out)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	b, err := m.get(ctx, t.BuyerKey)
	if err != nil {
		return fmt.Errorf("buyer key: %w", err)
	}
	pk, err := m.codec.publicKey(b)
	if err != nil {
		return fmt.Errorf("buyer key: %w", err)
	}
	sk, err := m.shareKey()
	if err != nil {
		return err
	}
	share := m.pcks.AllocateShare(out.Level())
	m.pcks.GenShare(sk, pk, out, &share)
	shareDigest, err := m.put(ctx, &share)
	if err != nil {
		return fmt.Errorf("key-switch share: %w", err)
	}
	if err := m.cfg.Board.PostResult(ctx, t.ID, outDigest, shareDigest); err != nil {
		return fmt.Errorf("post result: %w", err)
	}
	m.log.Info("mpc: posted result", "task", t.ID, "inputs", len(t.Inputs), "output", short(outDigest), "share", short(shareDigest), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// evalKeys returns the epoch's evaluation keys, loading them from storage the first time.
func (m *Member) evalKeys(ctx context.Context, v *CommitteeView) (*evalKeys, error) {
	if k := m.ep.keys; k != nil && slices.Equal(k.digests, v.Keys) {
		return k, nil
	}
	els := m.ep.cer.galEls
	if len(v.Keys) != 2+len(els) {
		return nil, fmt.Errorf("committee keys: %d digests, want %d", len(v.Keys), 2+len(els))
	}
	start := time.Now()
	b, err := m.get(ctx, v.Keys[1])
	if err != nil {
		return nil, fmt.Errorf("relinearization key: %w", err)
	}
	rlk, err := m.codec.relinearizationKey(b)
	if err != nil {
		return nil, err
	}
	gks := make([]*rlwe.GaloisKey, len(els))
	for i, el := range els {
		b, err := m.get(ctx, v.Keys[2+i])
		if err != nil {
			return nil, fmt.Errorf("galois key %d: %w", el, err)
		}
		if gks[i], err = m.codec.galoisKey(b, el); err != nil {
			return nil, err
		}
	}
	m.ep.keys = &evalKeys{digests: slices.Clone(v.Keys), eval: heint.NewEvaluator(m.cfg.Params, rlwe.NewMemEvaluationKeySet(rlk, gks...))}
	m.log.Info("mpc: loaded evaluation keys", "epoch", v.Epoch, "took", time.Since(start).Round(time.Millisecond))
	return m.ep.keys, nil
}

// evaluate adds the input ciphertexts and sums all slots, so that every slot of the output holds
// the total. The result depends only on the inputs and the collective keys: every member computes
// the same bytes.
func (m *Member) evaluate(ctx context.Context, eval *heint.Evaluator, inputs [][32]byte) (*rlwe.Ciphertext, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no input ciphertexts")
	}
	// Accumulate at evalLevel: Add works at the lower level of its operands, so the inputs'
	// higher primes are dropped on the way (see evalLevel).
	acc := heint.NewCiphertext(m.cfg.Params, 1, evalLevel)
	for i, d := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := m.get(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		ct, err := m.codec.ciphertext(b, evalLevel)
		if err != nil {
			return nil, fmt.Errorf("input %d (%s): %w", i, short(d), err)
		}
		if err := eval.Add(acc, ct, acc); err != nil {
			return nil, fmt.Errorf("add input %d: %w", i, err)
		}
	}
	return innerSum(m.cfg.Params, eval, acc)
}

// innerSum returns a ciphertext whose every slot holds the sum of all slots of ct. BGV slots form
// a 2 x N/2 matrix: InnerSum over N/2 columns sums each row (rotations by 1, 2, ..., N/4), then the
// row rotation adds the two rows.
func innerSum(params heint.Parameters, eval *heint.Evaluator, ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	rows := heint.NewCiphertext(params, 1, ct.Level())
	if err := eval.InnerSum(ct, 1, params.N()/2, rows); err != nil {
		return nil, fmt.Errorf("inner sum: %w", err)
	}
	swapped := heint.NewCiphertext(params, 1, ct.Level())
	if err := eval.RotateRows(rows, swapped); err != nil {
		return nil, fmt.Errorf("row rotation: %w", err)
	}
	if err := eval.Add(rows, swapped, rows); err != nil {
		return nil, fmt.Errorf("add rows: %w", err)
	}
	return rows, nil
}

func short(d [32]byte) string { return hex.EncodeToString(d[:6]) }
