package marketplace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage"
)

// Session is one participant's view of a DXP network: its home (keys), the chain and storage.
type Session struct {
	Home   string
	Config Config
	Chain  *rights.Client
	Bucket storage.Bucket

	paramsOnce sync.Once
	params     heint.Parameters
	paramsErr  error
}

// Open connects to the chain and storage named in home/config.json.
func Open(ctx context.Context, home string) (*Session, error) {
	cfg, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	chain, err := rights.Dial(cfg.RPC)
	if err != nil {
		return nil, fmt.Errorf("connect to the node at %s: %w", cfg.RPC, err)
	}
	if _, err := chain.Height(ctx); err != nil {
		chain.Close()
		return nil, fmt.Errorf("the node at %s does not answer (is `dxp devnet start --home %s` running?): %w", cfg.RPC, home, err)
	}
	bucket, err := OpenBucket(ctx, cfg.Storage)
	if err != nil {
		chain.Close()
		return nil, fmt.Errorf("open storage %s: %w", RedactURL(cfg.Storage), err)
	}
	return &Session{Home: home, Config: *cfg, Chain: chain, Bucket: bucket}, nil
}

// Close releases the chain connection.
func (s *Session) Close() error { return s.Chain.Close() }

// Params are the committee's BGV parameters.
func (s *Session) Params() (heint.Parameters, error) {
	s.paramsOnce.Do(func() { s.params, s.paramsErr = mpc.NewParams() })
	return s.params, s.paramsErr
}

// Key loads a local identity by name.
func (s *Session) Key(name string) (*Key, error) { return LoadKey(s.Home, name) }

// Objects is the content-addressed view of the session's storage that mpc uses.
func (s *Session) Objects() mpc.Objects { return objects{s.Bucket} }

// Register registers k on chain if it is not yet registered, uploading a buyer's RLWE public key
// first so the chain can name it.
func (s *Session) Register(ctx context.Context, k *Key) (*rights.Party, error) {
	p, err := s.Chain.Party(ctx, k.Address())
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, rights.ErrNotFound) {
		return nil, err
	}
	msg := &rights.RegisterParty{Roles: k.Roles}
	if k.HasRole(rights.RoleBuyer) {
		if len(k.RLWEPublic) == 0 {
			return nil, fmt.Errorf("key %q has the buyer role but no RLWE key pair", k.Name)
		}
		d, err := storage.PutBytes(ctx, s.Bucket, k.RLWEPublic)
		if err != nil {
			return nil, fmt.Errorf("upload the RLWE public key of %q: %w", k.Name, err)
		}
		msg.RLWEKey = rights.Digest(d)
	}
	if _, err := s.Chain.Submit(ctx, k.Private, rights.Msg{RegisterParty: msg}); err != nil {
		return nil, fmt.Errorf("register %s (%s) on chain: %w", k.Name, k.Address(), err)
	}
	return s.Chain.Party(ctx, k.Address())
}

// submit sends msg signed by k, registering k first if needed.
func (s *Session) submit(ctx context.Context, k *Key, msg rights.Msg) (*rights.Receipt, error) {
	if _, err := s.Register(ctx, k); err != nil {
		return nil, err
	}
	return s.Chain.Submit(ctx, k.Private, msg)
}

// objects adapts a storage bucket to mpc.Objects.
type objects struct{ b storage.Bucket }

func (o objects) Put(ctx context.Context, data []byte) ([32]byte, error) {
	d, err := storage.PutBytes(ctx, o.b, data)
	return [32]byte(d), err
}

func (o objects) Get(ctx context.Context, d [32]byte) ([]byte, error) {
	return storage.GetBytes(ctx, o.b, storage.Digest(d))
}

// board is a committee member's view of the chain: mpc.Board over a rights client.
type board struct {
	chain *rights.Client
	key   *Key
	// patience bounds how long PostResult waits for the committee to agree on the output; past it
	// the share is kept here and posted by a later Tasks call, so a member never blocks on one
	// computation while the others wait for it on another.
	patience time.Duration
	poll     time.Duration

	mu       sync.Mutex
	datasets map[string]*rights.Dataset // listed datasets never change their ciphertexts
	shares   map[string][32]byte        // computation -> this member's share, not yet posted
}

// Waits of the board: how long PostResult waits for agreement, and how often it looks.
const (
	boardPatience = 10 * time.Second
	boardPoll     = 100 * time.Millisecond
)

// committeeOps are the ops today's committee evaluates, without noise; the chain accepts every op
// and epsilon, and the board hands the members only these (the others pass their deadline and
// are refunded). A computation that spends epsilon is never handed to a committee that cannot
// add the noise, which would release an exact answer under a privacy charge.
var committeeOps = []rights.Op{rights.OpSum, rights.OpMean}

func committeeEvaluates(op rights.Op, epsilon uint64) bool {
	return epsilon == 0 && slices.Contains(committeeOps, op)
}

func newBoard(chain *rights.Client, key *Key) *board {
	return &board{chain: chain, key: key, patience: boardPatience, poll: boardPoll,
		datasets: map[string]*rights.Dataset{}, shares: map[string][32]byte{}}
}

func (b *board) Committee(ctx context.Context) (*mpc.CommitteeView, error) {
	c, err := b.chain.Committee(ctx)
	if err != nil {
		return nil, err
	}
	v := &mpc.CommitteeView{Threshold: int(c.Threshold), Epoch: c.Epoch, Seed: c.Seed, Ready: c.Ready,
		Shares: map[string]map[string][][32]byte{}}
	for _, m := range c.Members {
		v.Members = append(v.Members, string(m.Address))
	}
	for _, sh := range c.Shares {
		if v.Shares[sh.Step] == nil {
			v.Shares[sh.Step] = map[string][][32]byte{}
		}
		v.Shares[sh.Step][string(sh.Member)] = digests(sh.Digests)
	}
	v.Keys = digests(c.Keys)
	return v, nil
}

func digests(ds []rights.Digest) [][32]byte {
	out := make([][32]byte, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}

func (b *board) PostCeremony(ctx context.Context, step string, ds [][32]byte) error {
	c, err := b.chain.Committee(ctx)
	if err != nil {
		return err
	}
	msg := &rights.PostCeremonyShare{Epoch: c.Epoch, Step: step}
	for _, d := range ds {
		msg.Digests = append(msg.Digests, d)
	}
	_, err = b.chain.Submit(ctx, b.key.Private, rights.Msg{PostCeremonyShare: msg})
	return err
}

// Tasks returns the computations this member has work for: pending ones it has posted no output
// for, and switching ones where it is a participant that has posted no share and holds none in
// memory (it restarted between the two phases, so it evaluates again for a fresh share). Shares
// kept from an earlier PostResult are posted here once their computation is switching.
func (b *board) Tasks(ctx context.Context) ([]mpc.Task, error) {
	comps, err := b.chain.Computations(ctx)
	if err != nil {
		return nil, err
	}
	me := b.key.Address()
	var tasks []mpc.Task
	var errs []error
	live := map[string]bool{}
	for _, c := range comps {
		if !committeeEvaluates(c.Op, c.Epsilon) {
			continue
		}
		switch c.Status {
		case rights.ComputationPending:
			live[c.ID] = true
			if postedBy(c.Outputs, me) {
				continue
			}
		case rights.ComputationSwitching:
			live[c.ID] = true
			if !slices.Contains(c.Participants, me) || postedBy(c.Shares, me) {
				continue
			}
			if sh, ok := b.keptShare(c.ID); ok {
				if err := b.postShare(ctx, c.ID, sh); err != nil {
					errs = append(errs, fmt.Errorf("computation %s: %w", c.ID, err))
				}
				continue
			}
		default:
			continue
		}
		t, err := b.task(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("computation %s: %w", c.ID, err)
		}
		tasks = append(tasks, t)
	}
	b.mu.Lock()
	for id := range b.shares {
		if !live[id] {
			delete(b.shares, id)
		}
	}
	b.mu.Unlock()
	return tasks, errors.Join(errs...)
}

func postedBy(posts []rights.Post, member rights.Address) bool {
	return slices.ContainsFunc(posts, func(p rights.Post) bool { return p.Member == member })
}

func (b *board) keptShare(id string) ([32]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sh, ok := b.shares[id]
	return sh, ok
}

func (b *board) postShare(ctx context.Context, id string, share [32]byte) error {
	_, err := b.chain.Submit(ctx, b.key.Private, rights.Msg{SubmitShare: &rights.SubmitShare{Computation: id, Share: share}})
	if err == nil {
		b.mu.Lock()
		delete(b.shares, id)
		b.mu.Unlock()
	}
	return err
}

func (b *board) task(ctx context.Context, c rights.Computation) (mpc.Task, error) {
	t := mpc.Task{ID: c.ID, Op: string(c.Op)}
	requester, err := b.chain.Party(ctx, c.Requester)
	if err != nil {
		return t, fmt.Errorf("requester %s: %w", c.Requester, err)
	}
	t.BuyerKey = requester.RLWEKey
	if len(c.Columns) != 1 {
		return t, fmt.Errorf("a %s over %d columns is not evaluated by this committee", c.Op, len(c.Columns))
	}
	for _, id := range c.Datasets {
		ds, err := b.dataset(ctx, id)
		if err != nil {
			return t, err
		}
		col := findColumn(ds, c.Columns[0])
		if col == nil {
			return t, fmt.Errorf("dataset %s has no column %q", id, c.Columns[0])
		}
		t.Inputs = append(t.Inputs, digests(col.Ciphertexts)...)
	}
	return t, nil
}

func (b *board) dataset(ctx context.Context, id string) (*rights.Dataset, error) {
	b.mu.Lock()
	ds := b.datasets[id]
	b.mu.Unlock()
	if ds != nil {
		return ds, nil
	}
	ds, err := b.chain.Dataset(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", id, err)
	}
	b.mu.Lock()
	b.datasets[id] = ds
	b.mu.Unlock()
	return ds, nil
}

// PostResult posts the member's output (phase one), then waits, within the computation's
// deadline, ctx and the board's patience, for the committee to agree. A participant then posts
// its share (phase two); a member that is not one is done. If the committee has not agreed in
// time the share is kept, and Tasks posts it once the computation is switching.
func (b *board) PostResult(ctx context.Context, task string, output, share [32]byte) error {
	me := b.key.Address()
	c, err := b.chain.Computation(ctx, task)
	if err != nil {
		return err
	}
	if !postedBy(c.Outputs, me) {
		if _, err := b.chain.Submit(ctx, b.key.Private, rights.Msg{SubmitOutput: &rights.SubmitOutput{Computation: task, Output: output}}); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.shares[task] = share
	b.mu.Unlock()
	wait, cancel := context.WithTimeout(ctx, b.patience)
	defer cancel()
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		c, err := b.chain.Computation(ctx, task)
		if err != nil {
			return err
		}
		switch {
		case c.Status == rights.ComputationSwitching && slices.Contains(c.Participants, me):
			if postedBy(c.Shares, me) {
				return nil
			}
			return b.postShare(ctx, task, share)
		case c.Status != rights.ComputationPending:
			// Agreed without this member, or no longer under way: nothing more to post.
			b.mu.Lock()
			delete(b.shares, task)
			b.mu.Unlock()
			return nil
		}
		h, err := b.chain.Height(ctx)
		if err != nil {
			return err
		}
		if h > c.Deadline {
			return nil // the chain expires it at the end of the block
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait.Done():
			return nil // the share is kept; Tasks posts it once the committee agrees
		case <-t.C:
		}
	}
}

func findColumn(ds *rights.Dataset, name string) *rights.Column {
	for i := range ds.Columns {
		if ds.Columns[i].Name == name {
			return &ds.Columns[i]
		}
	}
	return nil
}
