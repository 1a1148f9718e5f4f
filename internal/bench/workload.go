package bench

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/dxplabs/dxp/rights"
)

// The ledger bench's workload: a realistic stream of signed txs, every one of which the ledger
// accepts when they arrive in order. Owners list datasets; buyers request grants over them; the
// holders approve; each grant is used Uses times, every use a computation request followed by the
// committee's outputs and key-switch shares (spec.Participants of each: all three members of the
// 2-of-3 committee), which complete it; the holder is paid when its dispute window ends. Flows of different buyers interleave, so a block holds every kind of tx.
//
// The ids of the grants and computations the stream creates are learnt from a shadow ledger that
// runs every tx as it is generated; generating is therefore not free, and the bench does it
// before each load step, never while it measures. The shadow's state lives in a goleveldb
// database beside the nodes (levelStore), not in the Go heap: it holds every object the stream
// has made, and as a MemStore it grew to a few hundred MB of small objects in the bench's own
// process, which the garbage collector scanned while the bench measured the node beside it
// (about a third of the node's GC time late in a run).

// benchMix sizes the workload. The zero value of every field means its default.
type benchMix struct {
	Owners      int    // 16
	Buyers      int    // 256
	Flows       int    // grant flows in flight at once; 64
	Uses        int    // computations per grant; 4
	DatasetRows uint64 // rows of every dataset (2 columns); 10,000
}

func (m *benchMix) defaults() {
	if m.Owners == 0 {
		m.Owners = 16
	}
	if m.Buyers == 0 {
		m.Buyers = 256
	}
	if m.Flows == 0 {
		m.Flows = 64
	}
	if m.Uses == 0 {
		m.Uses = 4
	}
	if m.DatasetRows == 0 {
		m.DatasetRows = 10_000
	}
}

// Bench chain parameters: the slots of the production parameters (LogN=14 BGV), 1024-value
// proof chunks of width 16, a verifying key the size of a chunk circuit's, and credits and
// deadlines no bench can exhaust.
const (
	benchChainID   = "dxp-bench"
	benchSlots     = 8192
	benchChunk     = 1024
	benchWidth     = 16
	benchVKBytes   = 1024
	benchProof     = 256 // bytes of a chunk proof (a Groth16 proof with its commitment)
	benchModulus   = 1125899908022273
	benchMembers   = 3
	benchThreshold = 2
	benchBlockTxs  = 2000 // txs per shadow block
)

type benchKey struct {
	name  string
	priv  ed25519.PrivateKey
	addr  rights.Address
	nonce uint64
}

func newBenchKey(name string) *benchKey {
	seed := sha256.Sum256([]byte("dxp bench key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return &benchKey{name: name, priv: priv, addr: rights.AddressOf(priv.Public().(ed25519.PublicKey))}
}

type benchFlow struct {
	buyer, holder *benchKey
	dataset       string
	grant         string
	comp          string
	trio          [benchMembers]*benchKey // the members that answer the current computation, in order
	step          int
	usesLeft      int
}

// benchAccept is the bench's proof verifier: every proof verifies, at no cost.
type benchAccept struct{}

func (benchAccept) VerifyChunk(vk, proof, commitment []byte, min, max int64) error { return nil }

func (benchAccept) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error { return nil }

// workload generates the bench's tx stream.
type workload struct {
	mix      benchMix
	gen      rights.Genesis
	shadow   *rights.Ledger
	db       *leveldb.DB // the shadow's database; nil if it is in memory
	height   int64
	inBlock  int
	owners   []*benchKey
	buyers   []*benchKey
	members  []*benchKey
	datasets []string
	holder   map[string]*benchKey
	flows    []*benchFlow
	turn     int
	started  int // flows started, for choosing buyer, dataset and members
	kinds    map[string]int
}

func (benchAccept) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return make([]byte, 32), nil
}

func (benchAccept) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return nil
}

func benchGenesis() (rights.Genesis, []*benchKey) {
	var members []*benchKey
	var ms []rights.Member
	for i := range benchMembers {
		k := newBenchKey(fmt.Sprintf("member-%d", i+1))
		members = append(members, k)
		ms = append(ms, rights.Member{Address: k.addr, PubKey: k.priv.Public().(ed25519.PublicKey)})
	}
	vk := make([]byte, benchVKBytes)
	for i := range vk {
		vk[i] = byte(i * 7)
	}
	return rights.Genesis{
		ChainID:    benchChainID,
		Devnet:     true,
		Regulators: []rights.Address{newBenchKey("regulator").addr},
		Committee:  rights.Committee{Members: ms, Threshold: benchThreshold, Epoch: 1, Seed: []byte("bench seed")},
		Params: rights.Params{
			OpeningCredit:       1 << 50,
			ComputationDeadline: 1 << 40,
			PlaintextModulus:    benchModulus,
			SlotsPerCiphertext:  benchSlots,
			MaxGrantDatasets:    16,
			ProductNoiseBudget:  1 << 20,
		},
		Circuits: []rights.Circuit{{ChunkSize: benchChunk, Width: benchWidth, VK: vk, PK: benchDigest("pk"), Setup: rights.InsecureDevnetSetup}},
	}, members
}

// newWorkload starts a workload whose shadow ledger keeps its state in a database in dir, or in
// memory if dir is "". Close releases it.
func newWorkload(mix benchMix, dir string) (*workload, error) {
	mix.defaults()
	gen, members := benchGenesis()
	w := &workload{mix: mix, gen: gen, members: members, holder: map[string]*benchKey{}, kinds: map[string]int{}, height: 1}
	var store rights.Store = rights.NewMemStore()
	if dir != "" {
		db, err := leveldb.OpenFile(dir, nil)
		if err != nil {
			return nil, fmt.Errorf("bench workload: open the shadow ledger's database: %w", err)
		}
		w.db = db
		store = levelStore{db}
	}
	w.shadow = &rights.Ledger{Store: store, Verifier: benchAccept{}, Cache: rights.NewCache()}
	if err := w.shadow.InitChain(gen, rights.Block{Height: 1, Time: benchTime(1)}); err != nil {
		w.Close()
		return nil, err
	}
	for i := range mix.Owners {
		w.owners = append(w.owners, newBenchKey(fmt.Sprintf("owner-%d", i)))
	}
	for i := range mix.Buyers {
		w.buyers = append(w.buyers, newBenchKey(fmt.Sprintf("buyer-%d", i)))
	}
	return w, nil
}

// Close closes the shadow ledger's database, if it has one.
func (w *workload) Close() error {
	if w.db == nil {
		return nil
	}
	return w.db.Close()
}

// levelStore is a Store over a goleveldb database.
type levelStore struct{ db *leveldb.DB }

func (s levelStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

func (s levelStore) Set(key, value []byte) error {
	if value == nil {
		return fmt.Errorf("rights: set %q: nil value", key)
	}
	return s.db.Put(key, value, nil)
}

func (s levelStore) Delete(key []byte) error { return s.db.Delete(key, nil) }

func (s levelStore) Iterate(prefix []byte, fn func(key, value []byte) bool) error {
	it := s.db.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	for it.Next() && fn(it.Key(), it.Value()) {
	}
	return it.Error()
}

func benchTime(h int64) time.Time { return time.Unix(1_700_000_000+h, 0) }

func benchDigest(parts ...any) rights.Digest { return sha256.Sum256(fmt.Append(nil, parts...)) }

// tx signs msg by k with k's next nonce and runs it on the shadow ledger, which must accept it.
func (w *workload) tx(k *benchKey, msg rights.Msg) ([]byte, string, error) {
	tx := &rights.Tx{ChainID: w.gen.ChainID, Nonce: k.nonce, Msg: msg}
	if err := rights.Sign(k.priv, tx); err != nil {
		return nil, "", err
	}
	raw, err := rights.EncodeTx(tx)
	if err != nil {
		return nil, "", err
	}
	res, err := w.shadow.DeliverTx(tx, rights.Block{Height: w.height, Time: benchTime(w.height)})
	if err != nil {
		return nil, "", fmt.Errorf("bench workload: %s by %s refused: %w", msg.Kind(), k.name, err)
	}
	k.nonce++
	w.kinds[msg.Kind()]++
	if w.inBlock++; w.inBlock >= benchBlockTxs {
		if err := w.endBlock(); err != nil {
			return nil, "", err
		}
	}
	return raw, res.ID, nil
}

func (w *workload) endBlock() error {
	if _, err := w.shadow.EndBlock(rights.Block{Height: w.height, Time: benchTime(w.height)}); err != nil {
		return err
	}
	w.height++
	w.inBlock = 0
	return nil
}

// setup returns the txs that prepare the chain, in waves: each wave must be committed before the
// next is sent (a dataset's owner must be registered before it lists).
func (w *workload) setup() ([][][]byte, error) {
	var parties [][]byte
	for _, k := range w.owners {
		raw, _, err := w.tx(k, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
		if err != nil {
			return nil, err
		}
		parties = append(parties, raw)
	}
	for _, k := range w.buyers {
		raw, _, err := w.tx(k, rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: benchDigest("rlwe", k.name)}})
		if err != nil {
			return nil, err
		}
		parties = append(parties, raw)
	}
	keys := []rights.Digest{benchDigest("pk"), benchDigest("rlk"), benchDigest("gk")}
	for _, m := range w.members[:benchThreshold] {
		raw, _, err := w.tx(m, rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: 1, Step: rights.KeysStep, Digests: keys}})
		if err != nil {
			return nil, err
		}
		parties = append(parties, raw)
	}
	if err := w.endBlock(); err != nil {
		return nil, err
	}
	var listings [][]byte
	for i, k := range w.owners {
		raw, id, err := w.tx(k, rights.Msg{RegisterDataset: w.listing(i)})
		if err != nil {
			return nil, err
		}
		w.datasets = append(w.datasets, id)
		w.holder[id] = k
		listings = append(listings, raw)
	}
	if err := w.endBlock(); err != nil {
		return nil, err
	}
	// The committee checks the listings' stored inputs: Threshold valid verdicts list each.
	var verdicts [][]byte
	for _, id := range w.datasets {
		for _, m := range w.members[:benchThreshold] {
			raw, _, err := w.tx(m, rights.Msg{AttestInputs: &rights.AttestInputs{Dataset: id, Valid: true}})
			if err != nil {
				return nil, err
			}
			verdicts = append(verdicts, raw)
		}
	}
	if err := w.endBlock(); err != nil {
		return nil, err
	}
	return [][][]byte{parties, listings, verdicts}, nil
}

// listing is owner i's dataset: two integer columns of DatasetRows rows, with the ciphertext
// digests and chunk proofs a real listing of that size carries.
func (w *workload) listing(i int) *rights.RegisterDataset {
	rows := w.mix.DatasetRows
	col := func(name string) rights.Column {
		c := rights.Column{Name: name, Type: rights.TypeInteger, Min: 0, Max: 1000, ChunkSize: benchChunk, Width: benchWidth}
		for j := range (rows + benchSlots - 1) / benchSlots {
			c.Ciphertexts = append(c.Ciphertexts, benchDigest("ct", i, name, j))
		}
		for j := range (rows + benchChunk - 1) / benchChunk {
			cm := benchDigest("commitment", i, name, j)
			cm[0] &= 0x0f // a BN254 field element
			proof := make([]byte, benchProof)
			for b := 0; b < benchProof; b += 32 {
				d := benchDigest("proof", i, name, j, b)
				copy(proof[b:], d[:])
			}
			c.Chunks = append(c.Chunks, rights.Chunk{Commitment: cm[:], Proof: proof})
		}
		return c
	}
	return &rights.RegisterDataset{
		Name:        fmt.Sprintf("bench dataset %d", i),
		Description: "generated by dxp bench ledger",
		Columns:     []rights.Column{col("a"), col("b")},
		Rows:        rows,
		Price:       1,
		Manifest:    benchDigest("manifest", i),
		KeyEpoch:    1,
	}
}

// next returns the next n txs of the steady stream.
func (w *workload) next(n int) ([][]byte, error) {
	if len(w.datasets) == 0 {
		return nil, errors.New("bench workload: setup has not run")
	}
	out := make([][]byte, 0, n)
	for len(out) < n {
		if len(w.flows) < w.mix.Flows {
			w.flows = append(w.flows, w.newFlow())
		}
		i := w.turn % len(w.flows)
		w.turn++
		raw, done, err := w.step(w.flows[i])
		if err != nil {
			return nil, err
		}
		if done {
			w.flows[i] = w.newFlow()
		}
		out = append(out, raw)
	}
	return out, nil
}

func (w *workload) newFlow() *benchFlow {
	n := w.started
	w.started++
	ds := w.datasets[n%len(w.datasets)]
	return &benchFlow{buyer: w.buyers[n%len(w.buyers)], dataset: ds, holder: w.holder[ds], usesLeft: w.mix.Uses}
}

// step emits f's next tx; done reports that f has used its grant up.
func (w *workload) step(f *benchFlow) (raw []byte, done bool, err error) {
	var id string
	switch f.step {
	case 0:
		raw, id, err = w.tx(f.buyer, rights.Msg{RequestGrant: &rights.RequestGrant{Datasets: []string{f.dataset}, Ops: []rights.Op{rights.OpSum, rights.OpMean},
			Columns: []string{"a"}, Uses: uint64(w.mix.Uses), Purpose: "bench"}})
		f.grant = id
	case 1:
		raw, _, err = w.tx(f.holder, rights.Msg{ApproveGrant: &rights.ApproveGrant{Grant: f.grant}})
	case 2:
		raw, id, err = w.tx(f.buyer, rights.Msg{RequestComputation: &rights.RequestComputation{Grant: f.grant, Op: rights.OpSum, Columns: []string{"a"}}})
		f.comp = id
		c := w.started + f.usesLeft
		for i := range f.trio {
			f.trio[i] = w.members[(c+i)%benchMembers]
		}
	case 3, 4, 5:
		raw, _, err = w.tx(f.trio[f.step-3], rights.Msg{SubmitOutput: &rights.SubmitOutput{Computation: f.comp, Output: benchDigest("output", f.comp)}})
	case 6, 7, 8:
		m := f.trio[f.step-6]
		raw, _, err = w.tx(m, rights.Msg{SubmitShare: &rights.SubmitShare{Computation: f.comp, Share: benchDigest("share", f.comp, m.name)}})
	}
	if err != nil {
		return nil, false, err
	}
	if f.step++; f.step == 9 {
		f.usesLeft--
		if f.usesLeft == 0 {
			return raw, true, nil
		}
		f.step = 2
	}
	return raw, false, nil
}

// plainTxs returns n valid signed txs of the bench's typical size that need no state (each from
// a fresh nonce of one of a few senders), for the reference apps.
func plainTxs(start, n int) ([][]byte, error) {
	keys := make([]*benchKey, 16)
	for i := range keys {
		keys[i] = newBenchKey(fmt.Sprintf("plain-%d", i))
	}
	out := make([][]byte, n)
	for i := range out {
		j := start + i
		k := keys[j%len(keys)]
		d := benchDigest(j)
		tx := &rights.Tx{ChainID: benchChainID, Nonce: uint64(j), Msg: rights.Msg{RequestComputation: &rights.RequestComputation{
			Grant: fmt.Sprintf("gr-%016x", binary.BigEndian.Uint64(d[:8])), Op: rights.OpSum, Columns: []string{"a"}}}}
		if err := rights.Sign(k.priv, tx); err != nil {
			return nil, err
		}
		raw, err := rights.EncodeTx(tx)
		if err != nil {
			return nil, err
		}
		out[i] = raw
	}
	return out, nil
}
