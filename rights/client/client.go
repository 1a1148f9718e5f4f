package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/dxplabs/dxp/rights"
)

// Submit retries a tx whose nonce a pending tx of the same key (from another client) holds.
const (
	nonceRetries   = 20
	nonceRetryWait = 150 * time.Millisecond
)

// Receipt is what an accepted tx left on the chain.
type Receipt struct {
	Height int64
	TxHash string // upper-case hex, as CometBFT prints it
	ID     string // the dataset, grant or computation id the tx created, if any
}

// Client signs and submits txs to a DXP chain and reads its state. It is safe for concurrent
// use; Submits by the same key are serialized so their nonces follow each other.
type Client struct {
	rpc rpcclient.Client

	mu      sync.Mutex
	chainID string
	senders map[rights.Address]*sync.Mutex
	wsErr   error // why the websocket of an HTTP client could not start
	wsOnce  sync.Once
	blocks  blockFeed
}

// blockFeed is a client's one block subscription, shared by every NewBlocks reader: an HTTP
// client's websocket keeps one subscription per query.
type blockFeed struct {
	mu      sync.Mutex
	readers map[chan struct{}]bool
	name    string             // the subscriber name of the running subscription
	stop    context.CancelFunc // stops the pump; nil when no subscription runs
}

// New returns a client over rpc: a node's local client (rpc/client/local) or an HTTP one.
func New(rpc rpcclient.Client) *Client {
	return &Client{rpc: rpc, senders: map[rights.Address]*sync.Mutex{}}
}

// Dial returns a client of the node whose RPC server listens at addr ("tcp://127.0.0.1:26657"
// or "http://…"). It does not connect until used.
func Dial(addr string) (*Client, error) {
	c, err := rpchttp.New(addr, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("rights: dial %s: %w", addr, err)
	}
	return New(c), nil
}

// RPC returns the underlying CometBFT client, for what this one does not wrap: tx_search over
// the "dxp" events, block and header queries, subscriptions.
func (c *Client) RPC() rpcclient.Client { return c.rpc }

// Close releases the client. A client returned by Node.Client needs no closing, but Close is
// harmless.
func (c *Client) Close() error {
	if hc, ok := c.rpc.(*rpchttp.HTTP); ok && hc.IsRunning() {
		if err := hc.Stop(); err != nil {
			return fmt.Errorf("rights: close client: %w", err)
		}
	}
	return nil
}

// Submit signs msg with key (fetching the chain id and the sender's next nonce), broadcasts it
// and waits until it is committed in a block. A refusal, by CheckTx or in the block, is a
// *TxError.
func (c *Client) Submit(ctx context.Context, key ed25519.PrivateKey, msg rights.Msg) (*Receipt, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("rights: submit: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	kind := msg.Kind()
	if kind == "" {
		return nil, errors.New("rights: submit: a message must have exactly one field set")
	}
	sender := rights.AddressOf(key.Public().(ed25519.PublicKey))
	lock := c.senderLock(sender)
	lock.Lock()
	defer lock.Unlock()

	chainID, err := c.chain(ctx)
	if err != nil {
		return nil, fmt.Errorf("rights: submit %s: %w", kind, err)
	}
	for attempt := 0; ; attempt++ {
		var nonce uint64
		switch p, err := Get[rights.Party](ctx, c, string(sender)); {
		case err == nil:
			nonce = p.Nonce
		case errors.Is(err, rights.ErrNotFound):
		default:
			return nil, fmt.Errorf("rights: submit %s: %w", kind, err)
		}
		tx := &rights.Tx{ChainID: chainID, Nonce: nonce, Msg: msg}
		if err := rights.Sign(key, tx); err != nil {
			return nil, fmt.Errorf("rights: submit %s: %w", kind, err)
		}
		raw, err := rights.EncodeTx(tx)
		if err != nil {
			return nil, fmt.Errorf("rights: submit %s: %w", kind, err)
		}
		res, err := c.broadcast(ctx, raw)
		// The identical tx (same key, nonce and message) may already be pending, sent by
		// another client: the mempool then refuses it as a duplicate.
		duplicate := err != nil && strings.Contains(err.Error(), "tx already exists in cache")
		if err != nil && !duplicate {
			return nil, fmt.Errorf("rights: submit %s: %w", kind, err)
		}
		if (duplicate || res.CheckTx.Code == rights.CodeReplay) && attempt < nonceRetries {
			// A tx of this key sent by another client holds the nonce in the mempool; once it
			// commits the next nonce is free.
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("rights: submit %s: %w", kind, ctx.Err())
			case <-time.After(nonceRetryWait):
			}
			continue
		}
		if duplicate {
			return nil, fmt.Errorf("rights: submit %s: %w", kind, err)
		}
		if res.CheckTx.Code != rights.CodeOK {
			return nil, &rights.TxError{Code: res.CheckTx.Code, Log: res.CheckTx.Log}
		}
		if res.TxResult.Code != rights.CodeOK {
			return nil, &rights.TxError{Code: res.TxResult.Code, Log: res.TxResult.Log}
		}
		return &Receipt{Height: res.Height, TxHash: res.Hash.String(), ID: string(res.TxResult.Data)}, nil
	}
}

// broadcast is BroadcastTxCommit that returns when ctx ends (the local client ignores ctx).
func (c *Client) broadcast(ctx context.Context, raw []byte) (*ctypes.ResultBroadcastTxCommit, error) {
	type result struct {
		res *ctypes.ResultBroadcastTxCommit
		err error
	}
	ch := make(chan result, 1)
	go func() {
		res, err := c.rpc.BroadcastTxCommit(ctx, cmttypes.Tx(raw))
		ch <- result{res, err}
	}()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the tx to commit: %w", ctx.Err())
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("broadcast: %w", r.err)
		}
		return r.res, nil
	}
}

func (c *Client) senderLock(a rights.Address) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.senders[a]
	if !ok {
		l = &sync.Mutex{}
		c.senders[a] = l
	}
	return l
}

func (c *Client) chain(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.chainID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	g, err := Get[rights.Genesis](ctx, c, "")
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.chainID = g.ChainID
	c.mu.Unlock()
	return g.ChainID, nil
}

// Height returns the height of the last committed block.
func (c *Client) Height(ctx context.Context) (int64, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("rights: height: %w", err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// Query reads path (see rights.Ledger.Query) at height (0 = the last committed block) into v,
// and returns the height the answer is from. An unknown id is rights.ErrNotFound.
func (c *Client) Query(ctx context.Context, path string, height int64, v any) (int64, error) {
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, nil, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return 0, fmt.Errorf("rights: query %s: %w", path, err)
	}
	r := res.Response
	switch r.Code {
	case rights.CodeOK:
	case rights.CodeNotFound:
		return r.Height, fmt.Errorf("rights: query %s: %w", path, rights.ErrNotFound)
	default:
		return r.Height, fmt.Errorf("rights: query %s: %w", path, &rights.TxError{Code: r.Code, Log: r.Log})
	}
	if err := rights.Unmarshal(r.Value, v); err != nil {
		return r.Height, fmt.Errorf("rights: query %s: decode answer: %w", path, err)
	}
	return r.Height, nil
}

// Get reads the object id of the kind whose objects are Ts (rights.One), at the last committed
// block: Get[rights.Dataset](ctx, c, id), Get[rights.Party](ctx, c, string(addr)),
// Get[rights.Committee](ctx, c, "") for a chain-wide one. An unknown id is rights.ErrNotFound.
func Get[T any](ctx context.Context, c *Client, id string) (*T, error) {
	k, ok := rights.One[T]()
	if !ok {
		return nil, fmt.Errorf("rights: the chain serves no %T by id", *new(T))
	}
	return query[T](ctx, c, k.Path(id))
}

// List reads every object of the kind listed as []T (rights.Listed), in the order the chain
// keeps them (by id; parties by address, payments by Seq): List[rights.Dataset](ctx, c). The
// regulators are List[rights.Address].
func List[T any](ctx context.Context, c *Client) ([]T, error) {
	k, ok := rights.Listed[T]()
	if !ok {
		return nil, fmt.Errorf("rights: the chain lists no %T", *new(T))
	}
	return queryList[T](ctx, c, k.ListPath())
}

// ListBy reads the objects of the kind listed as []T whose filter by has value v, from the
// chain's index, in id order: ListBy[rights.Dataset](ctx, c, "holder", string(addr)) (the
// datasets addr holds); the grants by "grantee" or "dataset", the computations by "grant", the
// products by "holder".
func ListBy[T any](ctx context.Context, c *Client, by, v string) ([]T, error) {
	k, ok := rights.Listed[T]()
	if !ok {
		return nil, fmt.Errorf("rights: the chain lists no %T", *new(T))
	}
	path, ok := k.ByPath(by, v)
	if !ok {
		return nil, fmt.Errorf("rights: the chain lists no %ss by %s", k.Name, by)
	}
	return queryList[T](ctx, c, path)
}

func queryList[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var v []T
	if _, err := c.Query(ctx, path, 0, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func query[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var v T
	if _, err := c.Query(ctx, path, 0, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// HoldsOn returns the holds in force that freeze an object (for a product: on it or on a source
// dataset); none means it is not frozen.
func (c *Client) HoldsOn(ctx context.Context, kind rights.HoldKind, id string) ([]rights.Hold, error) {
	return queryList[rights.Hold](ctx, c, "/frozen/"+string(kind)+"/"+id)
}

// ComputationsUnderWay returns the computations pending or switching, in deadline order: what
// committee members poll.
func (c *Client) ComputationsUnderWay(ctx context.Context) ([]rights.Computation, error) {
	return queryList[rights.Computation](ctx, c, "/computations/underway")
}

// PendingDatasets returns the datasets whose stored inputs await the committee's check, in id
// order: what committee members poll besides computations.
func (c *Client) PendingDatasets(ctx context.Context) ([]rights.Dataset, error) {
	return queryList[rights.Dataset](ctx, c, "/datasets/status/"+string(rights.DatasetPending))
}

// Liveness asks whether computation id would take a member's output or key-switch share in the
// next block, judged as if that block's time were at (rights.Ledger.Liveness). A member passes a
// time a little ahead of its clock, so that a grant or policy about to expire counts as expired.
func (c *Client) Liveness(ctx context.Context, id string, at time.Time) (*rights.Liveness, error) {
	h, err := c.Height(ctx)
	if err != nil {
		return nil, err
	}
	return query[rights.Liveness](ctx, c, fmt.Sprintf("/live/%s/%d/%d", id, h+1, at.Unix()))
}

// Setup ceremonies (tx_zkceremony.go).

// ZKCircuit returns the registered keys of the chunk circuit (n, w), or ErrNotFound.
func (c *Client) ZKCircuit(ctx context.Context, n uint64, w uint32) (*rights.ZKCircuit, error) {
	return query[rights.ZKCircuit](ctx, c, fmt.Sprintf("/zkcircuit/%d/%d", n, w))
}

// BlockHash returns the hash of the block at height, as the node's block store has it: what a
// setup ceremony's beacon is checked against.
func (c *Client) BlockHash(ctx context.Context, height int64) ([]byte, error) {
	res, err := c.rpc.Block(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("rights: block %d: %w", height, err)
	}
	return res.BlockID.Hash, nil
}

// subscribers numbers this process's subscriptions: a node wants a distinct name for each.
var subscribers atomic.Uint64

// resubscribeWait is the pause before a lost block subscription is tried again.
const resubscribeWait = 2 * time.Second

const newBlockQuery = "tm.event = 'NewBlockHeader'"

// NewBlocks returns a channel that receives a signal after each committed block, once the
// block's state can be queried, until ctx ends. Signals are coalesced: a reader that falls
// behind gets one signal for many blocks, never a backlog. The client holds one subscription,
// over the node's event bus (a local client) or its websocket (an HTTP client), for all its
// readers, and renews it in the background if the node drops it; a reader should still poll now
// and then.
func (c *Client) NewBlocks(ctx context.Context) (<-chan struct{}, error) {
	if hc, ok := c.rpc.(*rpchttp.HTTP); ok {
		c.wsOnce.Do(func() {
			if !hc.IsRunning() {
				c.wsErr = hc.Start()
			}
		})
		if c.wsErr != nil {
			return nil, fmt.Errorf("rights: subscribe to blocks: start the websocket: %w", c.wsErr)
		}
	}
	f := &c.blocks
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stop == nil {
		name := fmt.Sprintf("dxp-blocks-%d", subscribers.Add(1))
		events, err := c.rpc.Subscribe(ctx, name, newBlockQuery, 16)
		if err != nil {
			return nil, fmt.Errorf("rights: subscribe to blocks: %w", err)
		}
		pctx, stop := context.WithCancel(context.Background())
		f.name, f.stop = name, stop
		go c.pumpBlocks(pctx, events)
	}
	if f.readers == nil {
		f.readers = map[chan struct{}]bool{}
	}
	out := make(chan struct{}, 1)
	f.readers[out] = true
	go func() {
		<-ctx.Done()
		c.dropReader(out)
	}()
	return out, nil
}

// dropReader removes a reader; the last one out ends the subscription.
func (c *Client) dropReader(out chan struct{}) {
	f := &c.blocks
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.readers, out)
	if len(f.readers) > 0 || f.stop == nil {
		return
	}
	f.stop()
	f.stop = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A node that stopped has dropped the subscription already; nothing else can fail here.
	if err := c.rpc.Unsubscribe(ctx, f.name, newBlockQuery); err != nil {
		return
	}
}

// pumpBlocks passes each block event on to every reader until ctx ends, renewing the
// subscription when the node cancels it (a full buffer, a restart).
func (c *Client) pumpBlocks(ctx context.Context, events <-chan ctypes.ResultEvent) {
	f := &c.blocks
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if ok {
				f.mu.Lock()
				for r := range f.readers {
					select {
					case r <- struct{}{}:
					default: // a signal is already waiting
					}
				}
				f.mu.Unlock()
				continue
			}
		}
		for events = nil; events == nil; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(resubscribeWait):
			}
			f.mu.Lock()
			if ctx.Err() == nil {
				// A fresh name: the node may still hold the old one. A failure is tried again later.
				name := fmt.Sprintf("dxp-blocks-%d", subscribers.Add(1))
				if ev, err := c.rpc.Subscribe(ctx, name, newBlockQuery, 16); err == nil {
					events, f.name = ev, name
				}
			}
			f.mu.Unlock()
		}
	}
}
