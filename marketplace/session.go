package marketplace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/spec"
	"github.com/dxplabs/dxp/storage"
)

// Session is one participant's view of a DXP network: its home (keys), the chain and storage.
type Session struct {
	Home   string
	Config Config
	Chain  *client.Client
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
	chain, err := client.Dial(cfg.RPC)
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

// paramsReadTimeout bounds the one genesis read behind Params, which takes no context because
// its callers (publish, compute, admission) hold parameters as a value of the session.
const paramsReadTimeout = 30 * time.Second

// Params are the committee's BGV parameters in the chain's ring (ChainParams), read from the
// chain once per session.
func (s *Session) Params() (heint.Parameters, error) {
	s.paramsOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), paramsReadTimeout)
		defer cancel()
		s.params, s.paramsErr = ChainParams(ctx, s.Chain)
	})
	return s.params, s.paramsErr
}

// ChainParams are the committee's BGV parameters in the ring of the chain that chain serves:
// mpc.NewParamsFor(genesis Params.SlotsPerCiphertext). Every party (owner, buyer, committee
// member) takes its parameters from here and never from a local default, so that its
// ciphertexts and keys are in the ring the chain counts chunks and checks input proofs in. A
// ring below mpc.SecureSlots is INSECURE; only a devnet's genesis may name one.
func ChainParams(ctx context.Context, chain *client.Client) (heint.Parameters, error) {
	gen, err := client.Get[rights.Genesis](ctx, chain, "")
	if err != nil {
		return heint.Parameters{}, fmt.Errorf("read the chain's genesis for its ring size: %w", err)
	}
	params, err := mpc.NewParamsFor(gen.Params.SlotsPerCiphertext)
	if err != nil {
		return heint.Parameters{}, fmt.Errorf("chain %s: %w", gen.ChainID, err)
	}
	return params, nil
}

// Key loads a local identity by name. A buyer's RLWE key pair is made in the chain's ring the
// first time its key is loaded through a session (see withRLWEKey).
func (s *Session) Key(name string) (*Key, error) {
	k, err := LoadKey(s.Home, name)
	if err != nil {
		return nil, err
	}
	if err := s.buyerKey(k); err != nil {
		return nil, err
	}
	return k, nil
}

// buyerKey makes sure that k, if it has the buyer role, holds an RLWE key pair in the chain's
// ring.
func (s *Session) buyerKey(k *Key) error {
	if !k.HasRole(rights.RoleBuyer) {
		return nil
	}
	params, err := s.Params()
	if err != nil {
		return err
	}
	return withRLWEKey(s.Home, k, params)
}

// Objects is the content-addressed view of the session's storage that mpc uses.
func (s *Session) Objects() mpc.Objects { return objects{s.Bucket} }

// Register registers k on chain if it is not yet registered, uploading a buyer's RLWE public key
// first so the chain can name it.
func (s *Session) Register(ctx context.Context, k *Key) (*rights.Party, error) {
	p, err := client.Get[rights.Party](ctx, s.Chain, string(k.Address()))
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, rights.ErrNotFound) {
		return nil, err
	}
	msg := &rights.RegisterParty{Roles: k.Roles}
	if k.HasRole(rights.RoleBuyer) {
		if err := s.buyerKey(k); err != nil {
			return nil, err
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
	return client.Get[rights.Party](ctx, s.Chain, string(k.Address()))
}

// submit sends msg signed by k, registering k first if needed.
func (s *Session) submit(ctx context.Context, k *Key, msg rights.Msg) (*client.Receipt, error) {
	if _, err := s.Register(ctx, k); err != nil {
		return nil, err
	}
	return s.Chain.Submit(ctx, k.Private, msg)
}

// BucketObjects is the content-addressed view of b that mpc uses: objects addressed by their
// SHA-256, verified on read.
func BucketObjects(b storage.Bucket) mpc.Objects { return objects{b} }

// objects adapts a storage bucket to mpc.Objects.
type objects struct{ b storage.Bucket }

func (o objects) Put(ctx context.Context, data []byte) ([32]byte, error) {
	d, err := storage.PutBytes(ctx, o.b, data)
	return [32]byte(d), err
}

func (o objects) Get(ctx context.Context, d [32]byte) ([]byte, error) {
	b, err := storage.GetBytes(ctx, o.b, storage.Digest(d))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", mpc.ErrNotFound, err)
	}
	return b, err
}

// MemberBoard is the committee member key's view of the chain, for mpc.MemberConfig.Board: it
// reads the committee and the computations waiting for the member from chain and posts the
// member's shares, outputs and key-switch shares signed by key.
func MemberBoard(chain *client.Client, key *Key) mpc.Board { return newBoard(chain, key) }

// board is a committee member's view of the chain: mpc.Board over a rights client.
type board struct {
	chain *client.Client
	key   *Key

	mu       sync.Mutex
	datasets map[string]*rights.Dataset // listed datasets never change their ciphertexts
}

func newBoard(chain *client.Client, key *Key) *board {
	return &board{chain: chain, key: key, datasets: map[string]*rights.Dataset{}}
}

func (b *board) Committee(ctx context.Context) (*mpc.CommitteeView, error) {
	c, err := client.Get[rights.Committee](ctx, b.chain, "")
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

// CommitteePublicKey is the committee's collective public key, under which owners encrypt their
// columns and buyers their weights, read from storage by the digest on chain.
func (s *Session) CommitteePublicKey(ctx context.Context) (*rlwe.PublicKey, error) {
	params, err := s.Params()
	if err != nil {
		return nil, err
	}
	committee, err := client.Get[rights.Committee](ctx, s.Chain, "")
	if err != nil {
		return nil, err
	}
	pk, err := mpc.LoadPublicKey(ctx, s.Objects(), params, digests(committee.Keys))
	if err != nil {
		return nil, fmt.Errorf("load the committee's public key: %w", err)
	}
	return pk, nil
}

func digests(ds []rights.Digest) [][32]byte {
	out := make([][32]byte, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}

func (b *board) PostCeremony(ctx context.Context, step string, ds [][32]byte) error {
	c, err := client.Get[rights.Committee](ctx, b.chain, "")
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

// Tasks returns the computations under way that wait for this member: pending ones it has posted
// no output for (evaluate), and switching ones whose participants include it and that it has
// posted no share for (switch).
func (b *board) Tasks(ctx context.Context) ([]mpc.Task, error) {
	comps, err := b.chain.ComputationsUnderWay(ctx)
	if err != nil {
		return nil, err
	}
	me := b.key.Address()
	tasks, err := b.inputTasks(ctx, me)
	if err != nil {
		return nil, err
	}
	for _, c := range comps {
		if !c.Op.Known() || !c.Op.ByCommittee(c.Epsilon) { // the chain answers a count without noise itself
			continue
		}
		if slices.ContainsFunc(c.Refusals, func(r rights.Refusal) bool { return r.Member == me }) {
			continue // this member refused it
		}
		var phase string
		switch {
		case c.Status == rights.ComputationPending && !postedBy(c.Outputs, me):
			phase = mpc.PhaseEvaluate
		case c.Status == rights.ComputationSwitching && slices.Contains(c.Participants, me) && !postedBy(c.Shares, me):
			phase = mpc.PhaseSwitch
		default:
			continue
		}
		t, err := b.task(ctx, c, phase)
		if err != nil {
			return nil, fmt.Errorf("computation %s: %w", c.ID, err)
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// inputTasks are the pending datasets member me has given no verdict on yet (PhaseInputs): every
// column's ciphertexts, frequency table and input proofs, for the member to check before anyone
// computes.
func (b *board) inputTasks(ctx context.Context, me rights.Address) ([]mpc.Task, error) {
	pending, err := b.chain.PendingDatasets(ctx)
	if err != nil {
		return nil, err
	}
	var tasks []mpc.Task
	var key rights.Digest
	for i := range pending {
		d := &pending[i]
		if slices.ContainsFunc(d.Attestations, func(a rights.InputAttestation) bool { return a.Member == me }) {
			continue
		}
		if key == (rights.Digest{}) && slices.ContainsFunc(d.Columns, func(c rights.Column) bool { return c.Kind != rights.CircuitChunk }) {
			c, err := client.Get[rights.Committee](ctx, b.chain, "")
			if err != nil {
				return nil, fmt.Errorf("read the committee: %w", err)
			}
			if len(c.Keys) == 0 {
				return nil, fmt.Errorf("dataset %s has input proofs but the committee has no key", d.ID)
			}
			key = c.Keys[0]
		}
		tasks = append(tasks, inputTask(d, key))
	}
	return tasks, nil
}

// inputTask is the PhaseInputs task of pending dataset d whose input proofs are bound to the
// committee key key (Committee.Keys[0], what the chain's InputClaim names). Chunk j of an input
// column covers the ciphertext Ciphertexts[j] and min(ChunkSize, Rows − j·ChunkSize) real rows (0
// past the dataset's rows, which no proof can be about: the member refuses it). A histogram input
// column (rights.CircuitInputHistogram) also carries its frequency table's proof, whose claim has
// the dataset's rows as the counts' bound (mpc.InputTable).
func inputTask(d *rights.Dataset, key rights.Digest) mpc.Task {
	lister := d.Lister // the proofs are bound to whoever listed it (a pending dataset's holder)
	if lister == "" {
		lister = d.Holder
	}
	t := mpc.Task{ID: d.ID, Phase: mpc.PhaseInputs, InputKey: key, InputHolder: string(lister)}
	for _, col := range d.Columns {
		t.ColumnNames = append(t.ColumnNames, col.Name)
		t.Columns = append(t.Columns, digests(col.Ciphertexts))
		var table [32]byte
		if col.Frequencies != nil {
			table = col.Frequencies.Table
		}
		t.Tables = append(t.Tables, table)
		in := mpc.InputColumn{Kind: string(col.Kind)} // an unknown kind: the member says it cannot check it
		switch col.Kind {
		case rights.CircuitInput:
			in.Kind = mpc.ProofKindInput
		case rights.CircuitInputHistogram:
			in.Kind = mpc.ProofKindInputHistogram
			if f := col.Frequencies; f != nil { // none: the member refuses the column
				in.Table = &mpc.InputTable{Width: f.Width, Max: int64(d.Rows), Commitment: f.Commitment, Proof: f.Proof, Evaluations: f.Evaluations}
			}
		}
		if col.Kind != rights.CircuitChunk {
			in.Width, in.Min, in.Max = col.Width, col.Min, col.Max
			for j, ch := range col.Chunks {
				var rows uint64
				if start := uint64(j) * col.ChunkSize; col.ChunkSize > 0 && start < d.Rows {
					rows = min(col.ChunkSize, d.Rows-start)
				}
				in.Chunks = append(in.Chunks, mpc.InputChunk{Commitment: ch.Commitment, Proof: ch.Proof, Evaluations: ch.Evaluations, Rows: rows})
			}
		}
		t.Inputs = append(t.Inputs, in)
	}
	return t
}

func postedBy(posts []rights.Post, member rights.Address) bool {
	return slices.ContainsFunc(posts, func(p rights.Post) bool { return p.Member == member })
}

// task describes computation c for the committee: its inputs row-aligned across datasets, the
// buyer's key, and the noise to add.
func (b *board) task(ctx context.Context, c rights.Computation, phase string) (mpc.Task, error) {
	t := mpc.Task{ID: c.ID, Op: c.Op, Phase: phase, WeightBound: c.WeightBound, WeightsCommitment: c.WeightsCommitment}
	if len(c.Weights) == 1 {
		t.WeightsObject = c.Weights[0]
	}
	if phase == mpc.PhaseSwitch {
		t.Output = c.Output
		for _, a := range c.Participants {
			t.Active = append(t.Active, string(a))
			if c.Epsilon > 0 { // each participant's noise dealing, posted with its output
				i := slices.IndexFunc(c.Outputs, func(p rights.Post) bool { return p.Member == a })
				if i < 0 {
					return t, fmt.Errorf("computation %s: participant %s has no output post", c.ID, a)
				}
				t.Noise = append(t.Noise, c.Outputs[i].Noise)
			}
		}
	}
	requester, err := client.Get[rights.Party](ctx, b.chain, string(c.Requester))
	if err != nil {
		return t, fmt.Errorf("requester %s: %w", c.Requester, err)
	}
	t.BuyerKey = requester.RLWEKey
	q, err := specQuery(ctx, b.dataset, &c)
	if err != nil {
		return t, err
	}
	if c.Op.FromFrequencies() { // from the frequency tables (histogram.go)
		if t.Histogram, err = histogramInput(ctx, b.dataset, &c); err != nil {
			return t, err
		}
		c.Columns = nil
	}
	t.Columns = make([][][32]byte, len(c.Columns))
	for _, id := range c.Datasets {
		ds, err := b.dataset(ctx, id)
		if err != nil {
			return t, err
		}
		for i, name := range c.Columns {
			col := findColumn(ds, name)
			if col == nil {
				return t, fmt.Errorf("dataset %s has no column %q", id, name)
			}
			t.Columns[i] = append(t.Columns[i], digests(col.Ciphertexts)...)
		}
		if c.Op.TakesWeights() {
			t.Rows = append(t.Rows, ds.Rows)
		}
	}
	if t.DP, err = mpc.NewDP(q); err != nil {
		return t, err
	}
	return t, nil
}

// specQuery is the shape of computation c that spec's rules take: the pooled bounds of its
// columns, a dot product's weight bound, a histogram's buckets, and the epsilon and delta it
// spends. Members is left for the caller.
func specQuery(ctx context.Context, dataset func(context.Context, string) (*rights.Dataset, error), c *rights.Computation) (spec.Query, error) {
	q := spec.Query{Op: c.Op, Rows: c.Rows, Buckets: max(len(c.Edges)-1, 0), WeightBound: c.WeightBound, Epsilon: c.Epsilon, Delta: c.Delta}
	for _, name := range c.Columns {
		var bound *spec.Bound
		for _, id := range c.Datasets {
			ds, err := dataset(ctx, id)
			if err != nil {
				return q, err
			}
			col := findColumn(ds, name)
			if col == nil {
				return q, fmt.Errorf("dataset %s has no column %q", id, name)
			}
			if bound == nil {
				bound = &spec.Bound{Min: col.Min, Max: col.Max}
			}
			bound.Min, bound.Max = min(bound.Min, col.Min), max(bound.Max, col.Max)
		}
		q.Columns = append(q.Columns, *bound)
	}
	return q, nil
}

func (b *board) dataset(ctx context.Context, id string) (*rights.Dataset, error) {
	b.mu.Lock()
	ds := b.datasets[id]
	b.mu.Unlock()
	if ds != nil {
		return ds, nil
	}
	ds, err := client.Get[rights.Dataset](ctx, b.chain, id)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", id, err)
	}
	b.mu.Lock()
	b.datasets[id] = ds
	b.mu.Unlock()
	return ds, nil
}

// PostOutput posts this member's output digest (phase one), with its noise dealing digest on a
// computation with DP (zero otherwise). A post the chain already holds (the member restarted
// after posting) is not an error.
func (b *board) PostOutput(ctx context.Context, task string, output, noise [32]byte) error {
	return b.post(ctx, rights.Msg{SubmitOutput: &rights.SubmitOutput{Computation: task, Output: output, Noise: noise}})
}

// PostShare posts this member's key-switch share (phase two), likewise once.
func (b *board) PostShare(ctx context.Context, task string, share [32]byte) error {
	return b.post(ctx, rights.Msg{SubmitShare: &rights.SubmitShare{Computation: task, Share: share}})
}

// RefuseComputation posts this member's refusal of a computation for its requester's fault,
// likewise once.
func (b *board) RefuseComputation(ctx context.Context, task, reason string) error {
	err := b.post(ctx, rights.Msg{RefuseComputation: &rights.RefuseComputation{Computation: task, Reason: reason}})
	var te *rights.TxError
	if errors.As(err, &te) && te.Code == rights.CodeAlreadyRefused {
		return nil
	}
	return err
}

// AttestInputs posts this member's verdict on a pending dataset's inputs, once: reason "" is
// valid, otherwise cut to the chain's limit on a whole character.
func (b *board) AttestInputs(ctx context.Context, dataset, reason string) error {
	if len(reason) > rights.MaxRefusalReason {
		cut := rights.MaxRefusalReason - len("…")
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut] + "…"
	}
	err := b.post(ctx, rights.Msg{AttestInputs: &rights.AttestInputs{Dataset: dataset, Valid: reason == "", Reason: reason}})
	var te *rights.TxError
	if errors.As(err, &te) && (te.Code == rights.CodeAlreadyAttested || te.Code == rights.CodeInputsNotPending) {
		return nil // posted before a restart, or the others already decided
	}
	return err
}

// liveAhead is how far past its clock a member judges a computation's time expiries when it asks
// whether to post (Live): a grant or policy expiring in the next few blocks counts as expired, so
// that no share goes into storage for a computation the chain is about to refund.
const liveAhead = 10 * time.Second

// Live asks the chain whether it would take a post for the task in its next block, judged
// liveAhead past this member's clock (rights.Ledger.Liveness).
func (b *board) Live(ctx context.Context, task string) error {
	l, err := b.chain.Liveness(ctx, task, time.Now().Add(liveAhead))
	if err != nil {
		return err
	}
	if !l.Live {
		return errors.New(l.Reason)
	}
	return nil
}

func (b *board) post(ctx context.Context, msg rights.Msg) error {
	_, err := b.chain.Submit(ctx, b.key.Private, msg)
	var te *rights.TxError
	if errors.As(err, &te) && te.Code == rights.CodeAlreadySubmitted {
		return nil
	}
	return err
}

func findColumn(ds *rights.Dataset, name string) *rights.Column {
	for i := range ds.Columns {
		if ds.Columns[i].Name == name {
			return &ds.Columns[i]
		}
	}
	return nil
}
