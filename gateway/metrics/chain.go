package metrics

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
)

// The chain's own figures, read from its blocks: every tx of every block by kind (the tx
// decoded) and code (its result), and when each committee member last posted; and, from the
// chain's state after the last block, what each member still owes.
//
// dxp_chain_txs_total counts the chain's totals from its earliest block, not what this process
// happened to see: a start without a state file counts every block there is, and a state file
// holds the counts with the height they go up to, written together in one atomic rename, so a
// restart adds each later block once and never a block twice.

// pollInterval is how often Run looks for new blocks besides the node's block events (which a
// node may drop).
const pollInterval = time.Second

// blocksPerRead is how many block headers one BlockchainInfo call returns (CometBFT's limit):
// blocks without txs, most of an idle chain's, are skipped without reading them.
const blocksPerRead = 20

// saveEvery bounds how many counted blocks without txs go unsaved: rereading them after a
// restart counts nothing, so they need no write each.
const saveEvery = 300

// undecodable is the kind label of a tx in a block that is not a DXP tx (only a faulty or
// malicious proposer puts one there).
const undecodable = "undecodable"

// follower is Run's record of what it has counted; Run's goroutine alone touches it.
type follower struct {
	resumed  bool
	state    followState
	counts   map[txKey]uint64
	unsaved  int64 // blocks counted since the last save
	changed  bool  // counts or posts changed since the last save
	members  []rights.Address
	memberOK bool
}

type txKey struct {
	kind string
	code uint32
}

// followState is the state file: the chain, the last block counted, and the counts up to it.
type followState struct {
	ChainID     string                   `json:"chain_id"`
	Height      int64                    `json:"height"`
	Txs         []txCount                `json:"txs"`
	MemberPosts map[rights.Address]int64 `json:"member_posts"`
}

type txCount struct {
	Kind  string `json:"kind"`
	Code  uint32 `json:"code"`
	Count uint64 `json:"count"`
}

// Run follows the chain until ctx ends, counting each new block's txs and refreshing the
// members' figures after each; it returns nil then. A node that does not answer is tried again
// (each failure counts in dxp_chain_follow_errors_total and is logged); Run returns an error
// only when it cannot run at all: no Options.Chain, or another Run of m under way.
func (m *Metrics) Run(ctx context.Context) error {
	if m.opts.Chain == nil {
		return errors.New("metrics: no chain to follow (Options.Chain is nil)")
	}
	if !m.followMu.TryLock() {
		return errors.New("metrics: the chain is already being followed by another Run")
	}
	defer m.followMu.Unlock()
	var blocks <-chan struct{}
	if b, err := m.opts.Chain.NewBlocks(ctx); err != nil {
		m.log.Warn("no block events from the node; polling it instead", "error", err)
	} else {
		blocks = b
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if err := m.catchUp(ctx); err != nil && ctx.Err() == nil {
			m.followErrors.Inc()
			m.log.Warn("reading the chain for metrics", "error", err)
		}
		select {
		case <-ctx.Done():
			m.save(true)
			return nil
		case <-blocks:
		case <-tick.C:
		}
	}
}

// resume loads the state file, if it is of this chain, and sets the counters to it.
func (m *Metrics) resume(ctx context.Context) error {
	gen, err := client.Get[rights.Genesis](ctx, m.opts.Chain, "")
	if err != nil {
		return fmt.Errorf("read the chain's genesis: %w", err)
	}
	f := &m.follow
	f.state = followState{ChainID: gen.ChainID, MemberPosts: map[rights.Address]int64{}}
	f.counts = map[txKey]uint64{}
	if m.opts.StateFile != "" {
		saved, err := loadState(m.opts.StateFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			m.log.Warn("the metrics state file is unreadable; counting the chain from its first block", "file", m.opts.StateFile, "error", err)
		case saved.ChainID != gen.ChainID:
			m.log.Warn("the metrics state file is of another chain; counting this one from its first block", "file", m.opts.StateFile, "chain", gen.ChainID)
		default:
			f.state.Height = saved.Height
			for _, c := range saved.Txs {
				f.counts[txKey{c.Kind, c.Code}] = c.Count
			}
			for a, h := range saved.MemberPosts {
				f.state.MemberPosts[a] = h
			}
		}
	}
	for k, n := range f.counts {
		m.chainTxs.WithLabelValues(k.kind, strconv.FormatUint(uint64(k.code), 10)).Add(float64(n))
	}
	for a, h := range f.state.MemberPosts {
		m.memberLastPost.WithLabelValues(string(a)).Set(float64(h))
	}
	m.countedHeight.Set(float64(f.state.Height))
	f.resumed = true
	return nil
}

func loadState(path string) (*followState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s followState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is not a metrics state: %w", path, err)
	}
	return &s, nil
}

// save writes the counts and the height they go up to, in one atomic write: when the counts
// changed, when saveEvery blocks without txs went by, or (all) whenever anything is unsaved.
func (m *Metrics) save(all bool) {
	f := &m.follow
	if m.opts.StateFile == "" || !f.resumed {
		return
	}
	if !f.changed && f.unsaved < saveEvery && (!all || f.unsaved == 0) {
		return
	}
	s := f.state
	s.Txs = make([]txCount, 0, len(f.counts))
	for k, n := range f.counts {
		s.Txs = append(s.Txs, txCount{k.kind, k.code, n})
	}
	slices.SortFunc(s.Txs, func(a, b txCount) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Code, b.Code)) })
	b, err := json.MarshalIndent(s, "", " ")
	if err == nil {
		err = atomicfile.Write(m.opts.StateFile, append(b, '\n'), 0o600)
	}
	if err != nil {
		m.followErrors.Inc()
		m.log.Warn("saving the metrics state", "file", m.opts.StateFile, "error", err)
		return
	}
	f.unsaved, f.changed = 0, false
}

// catchUp counts every block after the last one counted up to the node's latest, then
// refreshes the members' figures.
func (m *Metrics) catchUp(ctx context.Context) error {
	f := &m.follow
	if !f.resumed {
		if err := m.resume(ctx); err != nil {
			return err
		}
	}
	rpc := m.opts.Chain.RPC()
	st, err := rpc.Status(ctx)
	if err != nil {
		return fmt.Errorf("read the node's status: %w", err)
	}
	latest := st.SyncInfo.LatestBlockHeight
	m.chainHeight.Set(float64(latest))
	if !f.memberOK {
		com, err := client.Get[rights.Committee](ctx, m.opts.Chain, "")
		if err != nil {
			return fmt.Errorf("read the committee: %w", err)
		}
		for _, mem := range com.Members {
			f.members = append(f.members, mem.Address)
		}
		f.memberOK = true
	}
	if earliest := st.SyncInfo.EarliestBlockHeight; f.state.Height < earliest-1 {
		// The node pruned the blocks before earliest: the counts start there.
		m.log.Warn("the node keeps no blocks before its earliest; counting from there", "earliest", earliest, "counted", f.state.Height)
		f.state.Height = earliest - 1
	}
	defer m.save(false)
	for f.state.Height < latest {
		lo := f.state.Height + 1
		hi := min(lo+blocksPerRead-1, latest)
		info, err := rpc.BlockchainInfo(ctx, lo, hi)
		if err != nil {
			return fmt.Errorf("read block headers %d to %d: %w", lo, hi, err)
		}
		withTxs := map[int64]bool{}
		top := lo - 1 // the highest block the node returned a header of
		for _, meta := range info.BlockMetas {
			withTxs[meta.Header.Height] = meta.NumTxs > 0
			top = max(top, meta.Header.Height)
		}
		for h := lo; h <= top; h++ {
			if withTxs[h] {
				b, err := m.readBlock(ctx, h)
				if err != nil {
					if h == latest {
						// The node stores a block a moment before it stores the block's results:
						// the next round counts it.
						return nil
					}
					return err
				}
				m.apply(b)
			}
			f.state.Height = h
			f.unsaved++
			m.countedHeight.Set(float64(h))
			if f.unsaved >= saveEvery { // a long catch-up keeps its place now and then
				m.save(false)
			}
		}
		if top < hi {
			break // the node has not the rest yet
		}
	}
	return m.updateMembers(ctx, latest)
}

// countedBlock is what one block adds: txs by kind and code, and the members that posted in it.
type countedBlock struct {
	height int64
	txs    map[txKey]uint64
	posted []rights.Address
}

// readBlock reads block h and its results, and counts them.
func (m *Metrics) readBlock(ctx context.Context, h int64) (*countedBlock, error) {
	rpc := m.opts.Chain.RPC()
	blk, err := rpc.Block(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", h, err)
	}
	res, err := rpc.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("read the results of block %d: %w", h, err)
	}
	if len(res.TxsResults) != len(blk.Block.Txs) {
		return nil, fmt.Errorf("block %d has %d txs but %d results", h, len(blk.Block.Txs), len(res.TxsResults))
	}
	b := &countedBlock{height: h, txs: map[txKey]uint64{}}
	for i, raw := range blk.Block.Txs {
		code := res.TxsResults[i].Code
		tx, err := rights.DecodeTx(raw)
		if err != nil {
			b.txs[txKey{undecodable, code}]++
			continue
		}
		b.txs[txKey{tx.Msg.Kind(), code}]++
		if code == rights.CodeOK && slices.Contains(m.follow.members, tx.Sender()) {
			b.posted = append(b.posted, tx.Sender())
		}
	}
	return b, nil
}

// apply adds a counted block to the counters and the state.
func (m *Metrics) apply(b *countedBlock) {
	f := &m.follow
	for k, n := range b.txs {
		f.counts[k] += n
		m.chainTxs.WithLabelValues(k.kind, strconv.FormatUint(uint64(k.code), 10)).Add(float64(n))
	}
	for _, a := range b.posted {
		f.state.MemberPosts[a] = b.height
		m.memberLastPost.WithLabelValues(string(a)).Set(float64(b.height))
	}
	f.changed = true
}

// updateMembers sets each member's lag and owed posts from the work the chain is waiting for
// at height latest: every computation under way (pending: an output from each member that has
// neither posted nor refused one; switching: a key-switch share from each participant that has
// not posted it) and every dataset whose inputs await the committee's verdicts.
func (m *Metrics) updateMembers(ctx context.Context, latest int64) error {
	comps, err := m.opts.Chain.ComputationsUnderWay(ctx)
	if err != nil {
		return fmt.Errorf("read the computations under way: %w", err)
	}
	pending, err := m.opts.Chain.PendingDatasets(ctx)
	if err != nil {
		return fmt.Errorf("read the datasets awaiting the committee: %w", err)
	}
	owed := owedWork(m.follow.members, comps, pending)
	for _, a := range m.follow.members {
		w := owed[a]
		lag := int64(0)
		if w.count > 0 {
			lag = max(latest-w.since, 0)
		}
		m.memberLag.WithLabelValues(string(a)).Set(float64(lag))
		m.memberOwed.WithLabelValues(string(a)).Set(float64(w.count))
		if _, ok := m.follow.state.MemberPosts[a]; !ok {
			m.memberLastPost.WithLabelValues(string(a)).Set(0) // never posted: shown, not absent
		}
	}
	return nil
}

// owed is the work waiting for one member: how many posts, and the height the oldest was due
// from.
type owed struct {
	count int
	since int64
}

func owedWork(members []rights.Address, comps []rights.Computation, pending []rights.Dataset) map[rights.Address]owed {
	out := map[rights.Address]owed{}
	owe := func(a rights.Address, since int64) {
		w := out[a]
		if w.count == 0 || since < w.since {
			w.since = since
		}
		w.count++
		out[a] = w
	}
	posted := func(posts []rights.Post, a rights.Address) bool {
		return slices.ContainsFunc(posts, func(p rights.Post) bool { return p.Member == a })
	}
	for _, c := range comps {
		switch c.Status {
		case rights.ComputationPending:
			for _, a := range members {
				refused := slices.ContainsFunc(c.Refusals, func(r rights.Refusal) bool { return r.Member == a })
				if !posted(c.Outputs, a) && !refused {
					owe(a, c.Requested)
				}
			}
		case rights.ComputationSwitching:
			// The shares were due once the output was agreed: at the last participant's output.
			since := c.Requested
			for _, p := range c.Outputs {
				if slices.Contains(c.Participants, p.Member) {
					since = max(since, p.Height)
				}
			}
			for _, a := range c.Participants {
				if !posted(c.Shares, a) {
					owe(a, since)
				}
			}
		}
	}
	for _, d := range pending {
		for _, a := range members {
			if !slices.ContainsFunc(d.Attestations, func(v rights.InputAttestation) bool { return v.Member == a }) {
				owe(a, d.Registered)
			}
		}
	}
	return out
}
