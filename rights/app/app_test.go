package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// abciChain drives an App through ABCI calls the way CometBFT would, with no node.
type abciChain struct {
	t      *testing.T
	app    *App
	height int64
	nonces map[string]uint64
}

func newABCIChain(t *testing.T, dir string, v rights.Verifier) *abciChain {
	t.Helper()
	app, err := New(dir, v)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := app.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &abciChain{t: t, app: app, nonces: map[string]uint64{}}
}

func (c *abciChain) initChain() []byte {
	c.t.Helper()
	return c.initChainWith(rightstest.Genesis())
}

func (c *abciChain) initChainWith(gen rights.Genesis) []byte {
	c.t.Helper()
	state, err := json.Marshal(gen)
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := c.app.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: rightstest.ChainID, InitialHeight: 1, AppStateBytes: state, Time: time.Unix(1_700_000_000, 0),
	})
	if err != nil {
		c.t.Fatalf("InitChain: %v", err)
	}
	return res.AppHash
}

// tx signs msg from name with the next nonce this chain handed out to name.
func (c *abciChain) tx(name string, msg rights.Msg) []byte {
	n := c.nonces[name]
	c.nonces[name] = n + 1
	return rightstest.SignedTx(c.t, rightstest.Key(name), rightstest.ChainID, n, msg)
}

func (c *abciChain) checkTx(tx []byte) *abci.ResponseCheckTx {
	c.t.Helper()
	res, err := c.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
	if err != nil {
		c.t.Fatalf("CheckTx: %v", err)
	}
	return res
}

// block finalizes and commits the next block and returns its results.
func (c *abciChain) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	c.height++
	res, err := c.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: c.height, Time: time.Unix(1_700_000_000+c.height, 0), Txs: txs,
	})
	if err != nil {
		c.t.Fatalf("FinalizeBlock(%d): %v", c.height, err)
	}
	if len(res.TxResults) != len(txs) {
		c.t.Fatalf("FinalizeBlock returned %d results for %d txs", len(res.TxResults), len(txs))
	}
	if _, err := c.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		c.t.Fatalf("Commit(%d): %v", c.height, err)
	}
	return res
}

func (c *abciChain) query(path string, height int64) *abci.ResponseQuery {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abci.RequestQuery{Path: path, Height: height})
	if err != nil {
		c.t.Fatalf("Query(%s): %v", path, err)
	}
	return res
}

func (c *abciChain) info() *abci.ResponseInfo {
	c.t.Helper()
	res, err := c.app.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		c.t.Fatalf("Info: %v", err)
	}
	return res
}

func codes(res *abci.ResponseFinalizeBlock) []uint32 {
	var out []uint32
	for _, r := range res.TxResults {
		out = append(out, r.Code)
	}
	return out
}

func attr(ev abci.Event, key string) []string {
	var out []string
	for _, a := range ev.Attributes {
		if a.Key == key {
			out = append(out, a.Value)
		}
	}
	return out
}

// runScript drives a chain through three blocks: registrations and a ceremony step (with a
// queued second tx and a garbage tx), the keys, and a listing.
func runScript(t *testing.T, c *abciChain) (ds string, hashes [][]byte) {
	t.Helper()
	reg := c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	if r := c.checkTx(reg); r.Code != rights.CodeOK {
		t.Fatalf("CheckTx(register) = %d %q", r.Code, r.Log)
	}
	if r := c.checkTx(reg); r.Code != rights.CodeReplay {
		t.Errorf("CheckTx(same tx again) = %d %q, want replay", r.Code, r.Log)
	}
	ckg := c.tx("m1", rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: "ckg", Digests: []rights.Digest{rightstest.Digest("ckg")}}})
	rkg := c.tx("m1", rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: "rkg", Digests: []rights.Digest{rightstest.Digest("rkg")}}})
	for _, tx := range [][]byte{ckg, rkg} {
		if r := c.checkTx(tx); r.Code != rights.CodeOK {
			t.Fatalf("CheckTx(queued ceremony step) = %d %q", r.Code, r.Log)
		}
	}
	gap := rightstest.SignedTx(t, rightstest.Key("m1"), rightstest.ChainID, 5, rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: "gkg", Digests: []rights.Digest{rightstest.Digest("gkg")}}})
	if r := c.checkTx(gap); r.Code != rights.CodeNonceGap || r.Log == "" {
		t.Errorf("CheckTx(nonce gap) = %d %q, want %d", r.Code, r.Log, rights.CodeNonceGap)
	}
	if r := c.checkTx([]byte("garbage")); r.Code != rights.CodeDecode {
		t.Errorf("CheckTx(garbage) = %d, want %d", r.Code, rights.CodeDecode)
	}

	res := c.block(reg, ckg, rkg, []byte("garbage"), reg)
	if got, want := codes(res), []uint32{rights.CodeOK, rights.CodeOK, rights.CodeOK, rights.CodeDecode, rights.CodeReplay}; !slices.Equal(got, want) {
		t.Errorf("block 1 codes = %v, want %v (logs %v)", got, want, res.TxResults)
	}
	ev := res.TxResults[0].Events
	if len(ev) != 1 || ev[0].Type != EventType || !slices.Equal(attr(ev[0], "action"), []string{"register_party"}) ||
		!slices.Equal(attr(ev[0], "sender"), []string{string(rightstest.Addr("owner1"))}) {
		t.Errorf("register events = %+v", ev)
	}
	for _, a := range ev[0].Attributes {
		if !a.Index {
			t.Errorf("attribute %s is not indexed", a.Key)
		}
	}
	hashes = append(hashes, res.AppHash)

	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	res = c.block(c.tx("m1", keys), c.tx("m2", keys))
	if got := codes(res); !slices.Equal(got, []uint32{rights.CodeOK, rights.CodeOK}) {
		t.Fatalf("block 2 codes = %v", res.TxResults)
	}
	hashes = append(hashes, res.AppHash)

	res = c.block(c.tx("owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", 10, 30, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 10))}))
	if res.TxResults[0].Code != rights.CodeOK {
		t.Fatalf("RegisterDataset = %+v", res.TxResults[0])
	}
	ds = string(res.TxResults[0].Data)
	if got := attr(res.TxResults[0].Events[0], "dataset"); !slices.Equal(got, []string{ds}) {
		t.Errorf("dataset attributes = %v, want [%s]", got, ds)
	}
	hashes = append(hashes, res.AppHash)

	res = c.block(c.tx("m1", rightstest.Verdict(ds)), c.tx("m2", rightstest.Verdict(ds)))
	if got := codes(res); !slices.Equal(got, []uint32{rights.CodeOK, rights.CodeOK}) {
		t.Fatalf("the committee's verdicts on the listing = %v", res.TxResults)
	}
	hashes = append(hashes, res.AppHash)
	return ds, hashes
}

func TestAppABCI(t *testing.T) {
	dir := t.TempDir()
	c := newABCIChain(t, dir, rightstest.Verifier{})
	if info := c.info(); info.LastBlockHeight != 0 || len(info.LastBlockAppHash) != 0 {
		t.Fatalf("Info on an empty app = %+v", info)
	}
	if h := c.initChain(); len(h) != 32 {
		t.Fatalf("InitChain AppHash = %x", h)
	}
	// Genesis is queryable before the first block.
	if r := c.query("/party/"+string(rightstest.Addr("m1")), 0); r.Code != rights.CodeOK {
		t.Errorf("query member before block 1 = %d %q", r.Code, r.Log)
	}
	ds, hashes := runScript(t, c)

	info := c.info()
	if info.LastBlockHeight != 4 || !bytes.Equal(info.LastBlockAppHash, hashes[3]) || info.AppVersion != AppVersion {
		t.Errorf("Info = height %d hash %x, want 4 %x", info.LastBlockHeight, info.LastBlockAppHash, hashes[3])
	}

	// Queries.
	r := c.query("/party/"+string(rightstest.Addr("owner1")), 0)
	var p rights.Party
	if r.Code != rights.CodeOK || r.Height != 4 || rights.Unmarshal(r.Value, &p) != nil || p.Nonce != 2 || p.Address != rightstest.Addr("owner1") {
		t.Errorf("/party = %d %q height %d party %+v", r.Code, r.Log, r.Height, p)
	}
	var d rights.Dataset
	if r := c.query("/dataset/"+ds, 0); r.Code != rights.CodeOK || rights.Unmarshal(r.Value, &d) != nil || d.ID != ds {
		t.Errorf("/dataset = %d %q %+v", r.Code, r.Log, d)
	}
	var list []rights.Dataset
	if r := c.query("/datasets", 0); r.Code != rights.CodeOK || rights.Unmarshal(r.Value, &list) != nil || len(list) != 1 {
		t.Errorf("/datasets = %d %q %d", r.Code, r.Log, len(list))
	}
	var g rights.Genesis
	if r := c.query("/genesis", 0); r.Code != rights.CodeOK || rights.Unmarshal(r.Value, &g) != nil || g.ChainID != rightstest.ChainID {
		t.Errorf("/genesis = %d %q", r.Code, r.Log)
	}
	for _, path := range []string{"/grants", "/computations", "/payments", "/params"} {
		if r := c.query(path, 0); r.Code != rights.CodeOK {
			t.Errorf("%s = %d %q", path, r.Code, r.Log)
		}
	}
	// Height: the committee was not ready after block 1, and is after block 2.
	var cm rights.Committee
	if r := c.query("/committee", 1); r.Code != rights.CodeOK || r.Height != 1 || rights.Unmarshal(r.Value, &cm) != nil || cm.Ready || len(cm.Shares) != 2 {
		t.Errorf("/committee at 1 = %d %q ready %v shares %d", r.Code, r.Log, cm.Ready, len(cm.Shares))
	}
	if r := c.query("/committee", 2); rights.Unmarshal(r.Value, &cm) != nil || !cm.Ready {
		t.Errorf("/committee at 2 not ready")
	}
	if r := c.query("/dataset/"+ds, 2); r.Code != rights.CodeNotFound {
		t.Errorf("/dataset at height 2 = %d, want %d", r.Code, rights.CodeNotFound)
	}
	for path, code := range map[string]uint32{
		"/party/" + string(rightstest.Addr("nobody")): rights.CodeNotFound,
		"/grant/gr-none":       rights.CodeNotFound,
		"/computation/cp-none": rights.CodeNotFound,
		"/nothing":             rights.CodeUnknownQuery,
		"/party/":              rights.CodeUnknownQuery,
		"/datasets/x":          rights.CodeUnknownQuery,
	} {
		if r := c.query(path, 0); r.Code != code || r.Log == "" {
			t.Errorf("%s = %d %q, want code %d", path, r.Code, r.Log, code)
		}
	}
	if r := c.query("/genesis", 9); r.Code != rights.CodeBadHeight {
		t.Errorf("query at a future height = %d, want %d", r.Code, rights.CodeBadHeight)
	}

	// Restart: a new App on the same directory resumes height and AppHash.
	if err := c.app.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := newABCIChain(t, dir, rightstest.Verifier{})
	c2.height, c2.nonces = c.height, c.nonces
	info2 := c2.info()
	if info2.LastBlockHeight != 4 || !bytes.Equal(info2.LastBlockAppHash, hashes[3]) {
		t.Errorf("Info after restart = height %d hash %x, want 4 %x", info2.LastBlockHeight, info2.LastBlockAppHash, hashes[3])
	}
	if r := c2.query("/dataset/"+ds, 0); r.Code != rights.CodeOK {
		t.Errorf("/dataset after restart = %d %q", r.Code, r.Log)
	}
	res := c2.block(c2.tx("owner1", rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-none"}}), c2.tx("buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("k")}}))
	if got := codes(res); !slices.Equal(got, []uint32{rights.CodeUnknownGrant, rights.CodeOK}) {
		t.Errorf("block 4 after restart codes = %v", res.TxResults)
	}

	// The same blocks on a fresh app, without a restart, give the same hashes.
	f := newABCIChain(t, t.TempDir(), rightstest.Verifier{})
	f.initChain()
	_, fresh := runScript(t, f)
	for i := range fresh {
		if !bytes.Equal(fresh[i], hashes[i]) {
			t.Errorf("AppHash of block %d differs between two runs: %x vs %x", i+1, fresh[i], hashes[i])
		}
	}
	r4 := f.block(f.tx("owner1", rights.Msg{RejectGrant: &rights.RejectGrant{Grant: "gr-none"}}), f.tx("buyer", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: rightstest.Digest("k")}}))
	if !bytes.Equal(r4.AppHash, res.AppHash) {
		t.Errorf("AppHash after a restart differs from an uninterrupted run")
	}
}

type panicVerifier struct{}

func (panicVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	panic("verifier exploded")
}

func (panicVerifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	panic("verifier exploded")
}

func (panicVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return rightstest.Verifier{}.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (panicVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return rightstest.Verifier{}.CheckHistogram(chunkSums, tableSum)
}

// TestAppRecoversPanic: a panic inside the ledger refuses the tx and changes nothing.
func TestAppRecoversPanic(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), panicVerifier{})
	c.initChain()
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	c.block(c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}), c.tx("m1", keys), c.tx("m2", keys))
	before := c.block().AppHash
	list := c.tx("owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", 10, 30, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 10))})
	if r := c.checkTx(list); r.Code != rights.CodeInternal {
		t.Errorf("CheckTx with a panicking verifier = %d %q, want %d", r.Code, r.Log, rights.CodeInternal)
	}
	res := c.block(list)
	if res.TxResults[0].Code != rights.CodeInternal {
		t.Errorf("FinalizeBlock code = %d, want %d", res.TxResults[0].Code, rights.CodeInternal)
	}
	// An empty block after an unchanged state has the hash an empty block would have had.
	c2 := newABCIChain(t, t.TempDir(), panicVerifier{})
	c2.initChain()
	c2.block(c2.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}), c2.tx("m1", keys), c2.tx("m2", keys))
	if b := c2.block().AppHash; !bytes.Equal(b, before) {
		t.Fatalf("control chain diverged")
	}
	if b := c2.block().AppHash; !bytes.Equal(b, res.AppHash) {
		t.Errorf("a panicking tx changed the state")
	}
}

type countingVerifier struct{ calls int }

func (v *countingVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	v.calls++
	return rightstest.Verifier{}.VerifyChunk(vk, proof, commitment, min, max)
}

func (v *countingVerifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	v.calls++
	return rightstest.Verifier{}.VerifyInput(vk, c, proof)
}

func (*countingVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return rightstest.Verifier{}.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (*countingVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return rightstest.Verifier{}.CheckHistogram(chunkSums, tableSum)
}

// TestAppVerifiesEachProofOnce: a listing's proofs verified by CheckTx are not verified again in
// FinalizeBlock, and a bad proof is refused every time.
func TestAppVerifiesEachProofOnce(t *testing.T) {
	v := &countingVerifier{}
	c := newABCIChain(t, t.TempDir(), v)
	c.initChain()
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	c.block(c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}), c.tx("m1", keys), c.tx("m2", keys))
	list := c.tx("owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", 10, 30, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 10))})
	if r := c.checkTx(list); r.Code != rights.CodeOK {
		t.Fatalf("CheckTx = %d %q", r.Code, r.Log)
	}
	if v.calls != 3 {
		t.Fatalf("CheckTx verified %d proofs, want 3", v.calls)
	}
	if res := c.block(list); res.TxResults[0].Code != rights.CodeOK {
		t.Fatalf("FinalizeBlock = %+v", res.TxResults[0])
	}
	if v.calls != 3 {
		t.Errorf("FinalizeBlock verified again: %d calls, want 3", v.calls)
	}
	bad := rightstest.Listing("two", 4, 1, rightstest.Column("a", rights.TypeInteger, 0, 0, 9, 4))
	bad.Columns[0].Chunks[0].Proof = rightstest.BadProof
	tx := c.tx("owner1", rights.Msg{RegisterDataset: bad})
	for i := 0; i < 2; i++ {
		if r := c.checkTx(tx); r.Code != rights.CodeBadProof {
			t.Errorf("CheckTx(bad proof) = %d %q, want %d", r.Code, r.Log, rights.CodeBadProof)
		}
	}
}

// TestAttackReuseMemoizedInputProof: an owner gets an input proof verified once (CheckTx
// remembers it), then lists the same proof bytes, commitment and evaluations against another
// ciphertext, hoping the node answers from memory for a proof it has seen. The memo is keyed on
// the whole claim, so the changed claim is verified afresh (and refused when the proof does not
// hold for it); the listing verified in CheckTx is not verified again in FinalizeBlock.
func TestAttackReuseMemoizedInputProof(t *testing.T) {
	v := &claimVerifier{}
	c := newABCIChain(t, t.TempDir(), v)
	gen := rightstest.Genesis()
	gen.Params.InputProofs = true
	gen.Circuits = append(gen.Circuits, rightstest.InputCircuit(rightstest.Slots, 16))
	c.initChainWith(gen)
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	c.block(c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}), c.tx("m1", keys), c.tx("m2", keys))

	const rows = 2 * rightstest.Slots
	honest := rightstest.Listing("one", rows, 30, rightstest.InputColumn("a", 0, 9, rows))
	list := c.tx("owner1", rights.Msg{RegisterDataset: honest})
	if r := c.checkTx(list); r.Code != rights.CodeOK {
		t.Fatalf("CheckTx = %d %q", r.Code, r.Log)
	}
	if v.calls != 2 {
		t.Fatalf("CheckTx verified %d input proofs, want 2 (one per ciphertext)", v.calls)
	}
	if res := c.block(list); res.TxResults[0].Code != rights.CodeOK {
		t.Fatalf("FinalizeBlock = %+v", res.TxResults[0])
	}
	if v.calls != 2 {
		t.Errorf("FinalizeBlock verified again: %d calls, want 2", v.calls)
	}

	// The attack: the same proofs over a ciphertext they were not made for.
	v.honest = honest.Columns[0].Ciphertexts
	forged := rightstest.Listing("two", rows, 30, rightstest.InputColumn("a", 0, 9, rows))
	forged.Columns[0].Ciphertexts[1] = rightstest.Digest("a ciphertext of other values")
	r := c.checkTx(c.tx("owner1", rights.Msg{RegisterDataset: forged}))
	if r.Code != rights.CodeBadProof || !strings.Contains(r.Log, `column "a" chunk 1`) {
		t.Errorf("CheckTx(proof reused on another ciphertext) = %d %q, want code %d naming chunk 1", r.Code, r.Log, rights.CodeBadProof)
	}
	// Chunk 0's claim is the one verified before, answered from memory; chunk 1's changed claim
	// is verified afresh.
	if v.calls != 3 {
		t.Errorf("the verifier was called %d times in all, want 3 (only the changed claim verified afresh)", v.calls)
	}
}

// TestAttackReuseMemoizedHistogramProof: an owner lists a histogram column it listed before
// byte for byte under another column's name (its chunk and table proofs verified once, so
// remembered by the node), hoping the node answers from memory for proofs made for the first
// column's α. Every other input of the claims is the same; only α differs, as the column's name
// enters it (rights.HistogramContext), and the memo is keyed on the whole claim, α included:
// every proof of the copy is verified afresh, at the copy's α. Fails with the histogram part
// left out of the memo key: the copy's chunk and table proofs are answered from memory.
func TestAttackReuseMemoizedHistogramProof(t *testing.T) {
	v := &countingVerifier{}
	c := newABCIChain(t, t.TempDir(), v)
	gen := rightstest.Genesis()
	gen.Params.InputProofs = true
	gen.Circuits = append(gen.Circuits, rightstest.KindCircuit(rights.CircuitInputHistogram, rightstest.Slots, 16),
		rightstest.KindCircuit(rights.CircuitFrequencyTable, rightstest.Slots, 8))
	c.initChainWith(gen)
	keys := rights.Msg{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: rightstest.Epoch, Step: rights.KeysStep, Digests: rightstest.CeremonyKeys}}
	owner := rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}
	c.block(c.tx("owner1", owner), c.tx("m1", keys), c.tx("m2", keys))

	const rows = 2 * rightstest.Slots
	col := rightstest.HistogramColumn("a", 0, 9, rows)
	list := c.tx("owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", rows, 30, col)})
	if r := c.checkTx(list); r.Code != rights.CodeOK {
		t.Fatalf("CheckTx = %d %q", r.Code, r.Log)
	}
	if v.calls != 3 {
		t.Fatalf("CheckTx verified %d proofs, want 3 (two chunks and the table)", v.calls)
	}
	if res := c.block(list); res.TxResults[0].Code != rights.CodeOK {
		t.Fatalf("FinalizeBlock = %+v", res.TxResults[0])
	}
	if v.calls != 3 {
		t.Errorf("FinalizeBlock verified again: %d calls, want 3", v.calls)
	}
	renamed := col
	renamed.Name = "b"
	copied := c.tx("owner1", rights.Msg{RegisterDataset: rightstest.Listing("one", rows, 30, renamed)})
	if r := c.checkTx(copied); r.Code != rights.CodeOK {
		t.Fatalf("CheckTx(copy) = %d %q", r.Code, r.Log)
	}
	if v.calls != 6 {
		t.Errorf("the copy had %d proofs verified afresh, want all 3 (its α is another)", v.calls-3)
	}
}

// claimVerifier counts input proofs and, once honest is set, refuses a claim whose ciphertext is
// none of the honest ones: the proofs were made for those ciphertexts.
type claimVerifier struct {
	calls  int
	honest []rights.Digest
}

func (v *claimVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	return errors.New("no chunk proof expected")
}

func (v *claimVerifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	v.calls++
	if v.honest != nil && !slices.Contains(v.honest, c.Ciphertext) {
		return errors.New("the proof does not hold for this ciphertext")
	}
	return rightstest.Verifier{}.VerifyInput(vk, c, proof)
}

func (*claimVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return rightstest.Verifier{}.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (*claimVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return rightstest.Verifier{}.CheckHistogram(chunkSums, tableSum)
}

// TestAppCommitsWhileSaving: Commit returns before the save it starts ends. CheckTx reads the
// committed block (its writes over the version before it), and what needs the tree itself (Info,
// Query, the next FinalizeBlock, a CheckTx read the block did not write) waits for the save.
func TestAppCommitsWhileSaving(t *testing.T) {
	c := newABCIChain(t, t.TempDir(), rightstest.Verifier{})
	c.initChain()
	c.block(c.tx("owner1", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}}))

	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	letSave := func() { once.Do(func() { close(release) }) }
	t.Cleanup(letSave) // before the app closes, which waits for the save
	c.app.mu.Lock()
	c.app.beforeSave = func() { close(started); <-release }
	c.app.mu.Unlock()
	reg := c.tx("owner2", rights.Msg{RegisterParty: &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}})
	next := c.tx("owner2", rights.Msg{RetireDataset: &rights.RetireDataset{Dataset: "ds-0000000000000001", Reason: "x"}})
	if r := c.checkTx(next); r.Code != rights.CodeUnregistered {
		t.Fatalf("CheckTx from a party not yet registered = %d %q, want %d", r.Code, r.Log, rights.CodeUnregistered)
	}
	res := c.block(reg)
	if res.TxResults[0].Code != rights.CodeOK {
		t.Fatalf("registration = %d %q", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	<-started
	// CheckTx reads the block's registration from its writes; a read that must reach the tree
	// waits for the save.
	checked := make(chan *abci.ResponseCheckTx, 1)
	go func() {
		r, err := c.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: next})
		if err != nil {
			t.Errorf("CheckTx: %v", err)
		}
		checked <- r
	}()

	info := make(chan *abci.ResponseInfo)
	go func() {
		r, err := c.app.Info(context.Background(), &abci.RequestInfo{})
		if err != nil {
			t.Errorf("Info: %v", err)
		}
		info <- r
	}()
	select {
	case <-info:
		t.Fatal("Info answered before the block was saved")
	case <-time.After(100 * time.Millisecond):
	}
	letSave()
	if r := <-checked; r == nil || r.Code != rights.CodeOK {
		t.Fatalf("CheckTx from the party the block being saved registered = %+v", r)
	}
	if r := <-info; r == nil || r.LastBlockHeight != 2 || !bytes.Equal(r.LastBlockAppHash, res.AppHash) {
		t.Fatalf("Info after the save = %+v, want height 2 and the block's AppHash", r)
	}
	if q := c.query("/party/"+string(rightstest.Addr("owner2")), 0); q.Code != rights.CodeOK || q.Height != 2 {
		t.Errorf("query of the party the saved block registered = %d %q at height %d", q.Code, q.Log, q.Height)
	}
	c.app.mu.Lock()
	c.app.beforeSave = nil
	c.app.mu.Unlock()
	if res := c.block(next); res.TxResults[0].Code == rights.CodeOK || res.TxResults[0].Code == rights.CodeUnregistered {
		t.Errorf("the retirement of an unknown dataset in the next block = %d %q, want refused by its rules", res.TxResults[0].Code, res.TxResults[0].Log)
	}
}

// TestMemberPostsIndexedByComputation: a member's output or share is found by its computation
// (and its sender), not by the datasets and grant its event names; the flows themselves (a
// computation's request, completion and payment) stay indexed by dataset and grant, also when a
// share completes the computation in the same tx.
func TestMemberPostsIndexedByComputation(t *testing.T) {
	indexed := func(ev abci.Event) map[string]bool {
		out := map[string]bool{}
		for _, a := range ev.Attributes {
			if a.Index {
				out[a.Key] = true
			}
		}
		return out
	}
	flow := rights.Event{Sender: "m1", Parties: []rights.Address{"m1"}, Datasets: []string{"ds-1", "ds-2"}, Grant: "gr-1", Computation: "cp-1"}
	for _, action := range []string{"submit_output", "submit_share"} {
		ev := flow
		ev.Action = action
		got := indexed(abciEvents([]rights.Event{ev})[0])
		if !got["action"] || !got["sender"] || !got["party"] || !got["computation"] || got["dataset"] || got["grant"] {
			t.Errorf("%s indexes %v; want action, sender, party and computation only", action, got)
		}
		if vals := attr(abciEvents([]rights.Event{ev})[0], "dataset"); len(vals) != 2 {
			t.Errorf("%s event names datasets %v; want both, unindexed", action, vals)
		}
	}
	request := flow
	request.Action = "request_computation"
	if got := indexed(abciEvents([]rights.Event{request})[0]); !got["dataset"] || !got["grant"] {
		t.Errorf("request_computation indexes %v; want its datasets and grant", got)
	}
	share, done := flow, flow
	share.Action, done.Action = "submit_share", "complete_computation"
	evs := txEvents([]rights.Event{share, done})
	if got := indexed(evs[len(evs)-1]); !got["dataset"] || !got["grant"] || !got["computation"] {
		t.Errorf("the summary of a share that completes its computation indexes %v; want the completion's datasets and grant", got)
	}
}
