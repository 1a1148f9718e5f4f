package rights_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/app"
	"github.com/dxplabs/dxp/rights/rightstest"
)

// The golden replay pins what the chain does, byte for byte: a fixed sequence of txs of every
// kind (and some refused ones) is driven through the ABCI application the way CometBFT drives
// it, and every block's AppHash and tx results, and the answer to every query path (proven and
// not, at the last height and an earlier one), are compared with testdata/golden/replay.txt.
// A change that moves code around must leave that file as it is; a change that means to alter
// the chain's behaviour rewrites it with -update-golden and says why in its commit.

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden/replay.txt")

const goldenChain = "dxp-golden"

func goldenKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("dxp golden key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func goldenAddr(name string) rights.Address {
	return rights.AddressOf(goldenKey(name).Public().(ed25519.PublicKey))
}

func goldenDigest(s string) rights.Digest { return sha256.Sum256([]byte(s)) }

// goldenVerifier accepts every chunk proof except the one spelled "bad proof".
type goldenVerifier struct{}

func (goldenVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	if string(proof) == "bad proof" {
		return errors.New("proof is marked bad")
	}
	return nil
}

func (goldenVerifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	if string(proof) == "bad proof" {
		return errors.New("proof is marked bad")
	}
	return nil
}

func (goldenVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return rightstest.Verifier{}.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (goldenVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return rightstest.Verifier{}.CheckHistogram(chunkSums, tableSum)
}

const (
	goldenSlots = 8
	goldenChunk = 4
)

func goldenGenesis() rights.Genesis {
	var members []rights.Member
	for _, m := range []string{"m1", "m2", "m3"} {
		pub := goldenKey(m).Public().(ed25519.PublicKey)
		members = append(members, rights.Member{Address: rights.AddressOf(pub), PubKey: pub})
	}
	circuit := func(n uint64, w uint32) rights.Circuit {
		return rights.Circuit{ChunkSize: n, Width: w, VK: []byte(fmt.Sprintf("vk n%d w%d", n, w)),
			PK: goldenDigest(fmt.Sprintf("pk n%d w%d", n, w)), Setup: rights.InsecureDevnetSetup}
	}
	inputCircuit := circuit(goldenSlots, 16)
	inputCircuit.Kind, inputCircuit.VK = rights.CircuitInput, []byte("vk input n8 w16")
	histogramCircuit := circuit(goldenSlots, 16)
	histogramCircuit.Kind, histogramCircuit.VK = rights.CircuitInputHistogram, []byte("vk input-histogram n8 w16")
	tableCircuit := circuit(goldenSlots, 8)
	tableCircuit.Kind, tableCircuit.VK = rights.CircuitFrequencyTable, []byte("vk frequency-table n8 w8")
	return rights.Genesis{
		ChainID:    goldenChain,
		Devnet:     true,
		Regulators: []rights.Address{goldenAddr("reg1"), goldenAddr("reg2")},
		Committee:  rights.Committee{Members: members, Threshold: 2, Epoch: 1, Seed: []byte("golden seed")},
		Params: rights.Params{OpeningCredit: 1000, ComputationDeadline: 4, PlaintextModulus: 1125899908022273,
			SlotsPerCiphertext: goldenSlots, MaxGrantDatasets: 3, ProofFee: 1, ProductNoiseBudget: 30336},
		Circuits: []rights.Circuit{circuit(goldenChunk, 16), circuit(goldenChunk, 64), inputCircuit, histogramCircuit, tableCircuit},
	}
}

// goldenInputColumn is an input column of rows values: one chunk per ciphertext of goldenSlots
// values, each with a proof and two CRT groups of evaluations.
func goldenInputColumn(name string, min, max int64, rows uint64) rights.Column {
	c := rights.Column{Name: name, Type: rights.TypeInteger, Min: min, Max: max, ChunkSize: goldenSlots, Width: 16, Kind: rights.CircuitInput}
	for i := uint64(0); i < (rows+goldenSlots-1)/goldenSlots; i++ {
		c.Ciphertexts = append(c.Ciphertexts, goldenDigest(fmt.Sprintf("ct %s %d", name, i)))
		com := goldenDigest(fmt.Sprintf("commitment %s %d", name, i))
		var ev []byte
		for k := range 8 {
			d := goldenDigest(fmt.Sprintf("evaluation %s %d %d", name, i, k))
			ev = append(ev, d[:]...)
		}
		c.Chunks = append(c.Chunks, rights.Chunk{Commitment: com[:], Proof: []byte("input proof"), Evaluations: ev})
	}
	return c
}

// goldenHistogramColumn is a histogram column (input-histogram) of rows values: an input column
// whose chunks carry their histogram sums, with a proven frequency table whose sum is theirs
// (modulo 2^256, as rightstest.Verifier adds them), plus skew.
func goldenHistogramColumn(name string, min, max int64, rows uint64, skew int64) rights.Column {
	c := goldenInputColumn(name, min, max, rows)
	c.Kind = rights.CircuitInputHistogram
	total := big.NewInt(skew)
	for j := range c.Chunks {
		d := goldenDigest(fmt.Sprintf("S_c %s %d", name, j))
		c.Chunks[j].HistogramSum = d[:]
		total.Add(total, new(big.Int).SetBytes(d[:]))
	}
	total.Mod(total, new(big.Int).Lsh(big.NewInt(1), 256))
	com := goldenDigest("table commitment " + name)
	var ev []byte
	for k := range 8 {
		d := goldenDigest(fmt.Sprintf("table evaluation %s %d", name, k))
		ev = append(ev, d[:]...)
	}
	c.Frequencies = &rights.FrequencyTable{Table: goldenDigest("freq " + name), Min: min, Bin: (max - min + goldenSlots) / goldenSlots,
		Width: 8, Commitment: com[:], Proof: []byte("table proof"), Evaluations: ev, Sum: total.FillBytes(make([]byte, 32))}
	return c
}

func goldenColumn(name string, typ rights.ColumnType, scale uint32, min, max int64, rows uint64, freq bool) rights.Column {
	c := rights.Column{Name: name, Type: typ, Scale: scale, Min: min, Max: max, ChunkSize: goldenChunk, Width: 16}
	if rights.ColumnWidth(min, max) > 16 {
		c.Width = 64
	}
	for i := uint64(0); i < (rows+goldenSlots-1)/goldenSlots; i++ {
		c.Ciphertexts = append(c.Ciphertexts, goldenDigest(fmt.Sprintf("ct %s %d", name, i)))
	}
	for i := uint64(0); i < (rows+goldenChunk-1)/goldenChunk; i++ {
		com := goldenDigest(fmt.Sprintf("commitment %s %d", name, i))
		c.Chunks = append(c.Chunks, rights.Chunk{Commitment: com[:], Proof: []byte("proof")})
	}
	if freq {
		c.Frequencies = &rights.FrequencyTable{Table: goldenDigest("freq " + name), Min: min, Bin: (max - min + goldenSlots) / goldenSlots}
	}
	return c
}

func goldenListing(name string, rows, price uint64, cols ...rights.Column) *rights.RegisterDataset {
	return &rights.RegisterDataset{Name: name, Description: "golden " + name, Columns: cols, Rows: rows,
		Price: price, Manifest: goldenDigest("manifest " + name), KeyEpoch: 1}
}

// replay drives an App through ABCI and writes what it answers to out.
type replay struct {
	t       *testing.T
	app     *app.App
	height  int64
	nonces  map[string]uint64
	out     *bytes.Buffer
	ok      map[string]bool // tx kinds accepted at least once
	created map[string][]string
}

func (r *replay) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

// tx signs msg from name with its next nonce: the chain's, plus the txs name has signed for the
// block being built.
func (r *replay) tx(name string, msg rights.Msg) []byte {
	r.t.Helper()
	nonce := r.nonces[name]
	res, err := r.app.Query(context.Background(), &abci.RequestQuery{Path: "/party/" + string(goldenAddr(name))})
	if err != nil {
		r.t.Fatal(err)
	}
	if res.Code == rights.CodeOK {
		var p rights.Party
		if err := rights.Unmarshal(res.Value, &p); err != nil {
			r.t.Fatal(err)
		}
		nonce += p.Nonce
	}
	tx := &rights.Tx{ChainID: goldenChain, Nonce: nonce, Msg: msg}
	if err := rights.Sign(goldenKey(name), tx); err != nil {
		r.t.Fatal(err)
	}
	b, err := rights.EncodeTx(tx)
	if err != nil {
		r.t.Fatal(err)
	}
	r.nonces[name]++
	return b
}

func (r *replay) check(tx []byte) {
	r.t.Helper()
	res, err := r.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
	if err != nil {
		r.t.Fatalf("CheckTx: %v", err)
	}
	r.printf("checktx %x: code %d %q\n", sha256.Sum256(tx), res.Code, res.Log)
}

// block finalizes and commits the next block; it returns the data (created id) of each tx.
func (r *replay) block(txs ...[]byte) []string {
	r.t.Helper()
	r.height++
	hash := sha256.Sum256([]byte(fmt.Sprintf("golden block %d", r.height)))
	res, err := r.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: r.height, Time: time.Unix(1_700_000_000+10*r.height, 0), Txs: txs, Hash: hash[:],
	})
	if err != nil {
		r.t.Fatalf("FinalizeBlock(%d): %v", r.height, err)
	}
	if _, err := r.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		r.t.Fatalf("Commit(%d): %v", r.height, err)
	}
	clear(r.nonces)
	r.printf("block %d apphash %X\n", r.height, res.AppHash)
	var ids []string
	for i, tr := range res.TxResults {
		kind := "?"
		if tx, err := rights.DecodeTx(txs[i]); err == nil {
			kind = tx.Msg.Kind()
		}
		if tr.Code == rights.CodeOK {
			r.ok[kind] = true
		}
		r.printf("  tx %d %s: code %d data %q log %q\n", i, kind, tr.Code, tr.Data, tr.Log)
		r.events(tr.Events)
		ids = append(ids, string(tr.Data))
	}
	r.events(res.Events)
	return ids
}

func (r *replay) events(evs []abci.Event) {
	for _, e := range evs {
		var attrs []string
		for _, a := range e.Attributes {
			attrs = append(attrs, fmt.Sprintf("%s=%s/%t", a.Key, a.Value, a.Index))
		}
		r.printf("    event %s %s\n", e.Type, strings.Join(attrs, " "))
	}
}

// query records the answer to path at height, with and without a proof.
func (r *replay) query(path string, height int64) {
	r.t.Helper()
	for _, prove := range []bool{false, true} {
		res, err := r.app.Query(context.Background(), &abci.RequestQuery{Path: path, Height: height, Prove: prove})
		if err != nil {
			r.t.Fatalf("Query(%s): %v", path, err)
		}
		proof := ""
		if res.ProofOps != nil {
			b, err := res.ProofOps.Marshal()
			if err != nil {
				r.t.Fatal(err)
			}
			proof = fmt.Sprintf(" proof %x", sha256.Sum256(b))
		}
		r.printf("query %s @%d prove=%t: code %d height %d key %q value %x (%d bytes)%s log %q\n",
			path, height, prove, res.Code, res.Height, res.Key, sha256.Sum256(res.Value), len(res.Value), proof, res.Log)
	}
}

func TestGoldenReplay(t *testing.T) {
	a, err := app.New(t.TempDir(), goldenVerifier{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	r := &replay{t: t, app: a, nonces: map[string]uint64{}, out: new(bytes.Buffer), ok: map[string]bool{}}
	t.Cleanup(func() {
		if t.Failed() { // keep what the replay answered, to compare by eye
			f := filepath.Join(os.TempDir(), "dxp-golden-replay.txt")
			if err := os.WriteFile(f, r.out.Bytes(), 0o644); err == nil {
				t.Logf("the replay so far is in %s", f)
			}
		}
	})
	state, err := json.Marshal(goldenGenesis())
	if err != nil {
		t.Fatal(err)
	}
	init, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: goldenChain, InitialHeight: 1, AppStateBytes: state, Time: time.Unix(1_700_000_000, 0)})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	r.printf("init apphash %X\n", init.AppHash)
	type M = rights.Msg
	register := func(name string, p *rights.RegisterParty) []byte { return r.tx(name, M{RegisterParty: p}) }
	owner := &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}

	// 1: parties, a garbage tx and a replayed one.
	reg := register("owner1", owner)
	r.check(reg)
	r.check(reg)
	r.check([]byte("garbage"))
	r.block(reg, register("owner2", owner),
		register("buyer", &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer}, RLWEKey: goldenDigest("buyer rlwe")}),
		register("buyer2", &rights.RegisterParty{Roles: []rights.Role{rights.RoleBuyer, rights.RoleOwner}, RLWEKey: goldenDigest("buyer2 rlwe")}),
		register("reg1", &rights.RegisterParty{Roles: []rights.Role{rights.RoleRegulator}}),
		register("reg2", &rights.RegisterParty{Roles: []rights.Role{rights.RoleRegulator}}),
		register("m1", &rights.RegisterParty{Roles: []rights.Role{rights.RoleMember}}),     // genesis registered it
		register("eve", &rights.RegisterParty{Roles: []rights.Role{rights.RoleRegulator}}), // not named in genesis
		[]byte("garbage"), reg)

	// 2: the key ceremony.
	keys := []rights.Digest{goldenDigest("pk"), goldenDigest("rlk"), goldenDigest("gk")}
	share := func(m, step string, d ...rights.Digest) []byte {
		return r.tx(m, M{PostCeremonyShare: &rights.PostCeremonyShare{Epoch: 1, Step: step, Digests: d}})
	}
	r.block(share("m3", "ckg", goldenDigest("ckg m3")), share("m1", rights.KeysStep, keys...), share("m2", rights.KeysStep, keys...))

	// 3: listings, one with a bad proof.
	bad := goldenColumn("a", rights.TypeInteger, 0, 0, 10, 6, false)
	bad.Chunks[0].Proof = []byte("bad proof")
	ids := r.block(
		r.tx("owner1", M{RegisterDataset: goldenListing("one", 10, 30,
			goldenColumn("a", rights.TypeInteger, 0, -50, 100, 10, true),
			goldenColumn("b", rights.TypeDecimal, 2, 0, 10000, 10, false),
			goldenColumn("c", rights.TypeInteger, 0, 0, 1000, 10, false))}),
		r.tx("owner2", M{RegisterDataset: goldenListing("two", 6, 20, goldenColumn("a", rights.TypeInteger, 0, -50, 100, 6, true),
			goldenColumn("c", rights.TypeInteger, 0, 0, 1000, 6, false))}),
		r.tx("buyer2", M{RegisterDataset: goldenListing("three", 5, 10, goldenColumn("a", rights.TypeInteger, 0, 0, 10, 5, false))}),
		r.tx("owner2", M{RegisterDataset: goldenListing("bad", 6, 20, bad)}))
	ds1, ds2, ds3 := ids[0], ids[1], ids[2]

	// 3b: the committee checks the listings' stored inputs: three are listed, a fourth is refused.
	// A listing with an input column (one input proof per ciphertext) stays pending; one whose
	// input proof is bad is refused. A histogram column (its table proven) lists pending; one
	// whose table is not its values' histogram is refused.
	badInput := goldenInputColumn("a", 0, 10, 12)
	badInput.Chunks[1].Proof = []byte("bad proof")
	four := r.block(r.tx("owner2", M{RegisterDataset: goldenListing("four", 6, 20, goldenColumn("a", rights.TypeInteger, 0, 0, 10, 6, false))}),
		r.tx("owner1", M{RegisterDataset: goldenListing("five", 12, 15, goldenInputColumn("a", 0, 10, 12),
			goldenColumn("c", rights.TypeInteger, 0, 0, 1000, 12, false))}),
		r.tx("owner1", M{RegisterDataset: goldenListing("seven", 12, 15, goldenHistogramColumn("h", 0, 100, 12, 0))}),
		r.tx("owner1", M{RegisterDataset: goldenListing("six", 12, 15, badInput)}),
		r.tx("owner2", M{RegisterDataset: goldenListing("eight", 12, 15, goldenHistogramColumn("h", 0, 100, 12, 1))}))[0]
	attest := func(m, ds, reason string) []byte {
		return r.tx(m, M{AttestInputs: &rights.AttestInputs{Dataset: ds, Valid: reason == "", Reason: reason}})
	}
	const forged = "column a ciphertext 0 is not a well-formed encryption under the committee's key"
	r.block(attest("m1", ds1, ""), attest("m2", ds1, ""), attest("m3", ds2, ""), attest("m1", ds2, ""),
		attest("m2", ds3, ""), attest("m3", ds3, ""), attest("m1", four, forged), attest("m3", four, ""), attest("m2", four, forged))

	// 4: listing updates, policies and grant requests (one within an offer, approved at once).
	desc, tags, price := "golden one, updated", []string{"survey", "income"}, uint64(35)
	offer := rights.Policy{Approval: rights.ApprovalOffer, EpsilonTotal: 10_000_000, EpsilonPerQuery: 1_000_000,
		Offer: rights.OfferTerms{MaxUses: 5, PricePerUse: 7, Epsilon: 3_000_000, MaxBlocks: 100}}
	ids = r.block(
		r.tx("owner1", M{UpdateDataset: &rights.UpdateDataset{Dataset: ds1, Description: &desc, Tags: &tags, Price: &price}}),
		r.tx("owner2", M{SetPolicy: &rights.SetPolicy{Dataset: ds2, Policy: offer}}),
		r.tx("owner1", M{SetPolicy: &rights.SetPolicy{Dataset: ds1, Policy: rights.Policy{Approval: rights.ApprovalRequired, MinRows: 5, Purposes: []string{"research"}}}}),
		r.tx("buyer", M{RequestGrant: &rights.RequestGrant{Datasets: []string{ds1, ds2},
			Ops:     []rights.Op{rights.OpSum, rights.OpCount, rights.OpMean, rights.OpHistogram, rights.OpVariance, rights.OpRegression, rights.OpDot},
			Columns: []string{"a", "c"}, Uses: 10, Purpose: "research", Epsilon: 2_000_000}}),
		r.tx("buyer", M{RequestGrant: &rights.RequestGrant{Datasets: []string{ds1}, Ops: []rights.Op{rights.OpMean},
			Columns: []string{"b"}, Uses: 1, Purpose: "research"}}),
		r.tx("buyer2", M{RequestGrant: &rights.RequestGrant{Datasets: []string{ds2}, Ops: []rights.Op{rights.OpSum},
			Columns: []string{"a"}, Uses: 2, Epsilon: 2_000_000, Expiry: rights.Expiry{Height: 50}}}),
		r.tx("buyer", M{RequestGrant: &rights.RequestGrant{Datasets: []string{ds1}, Ops: []rights.Op{rights.OpSum},
			Columns: []string{"nope"}, Uses: 1}}))
	g1, g2, g3 := ids[3], ids[4], ids[5]

	// 5: approvals and a rejection.
	r.block(r.tx("owner1", M{ApproveGrant: &rights.ApproveGrant{Grant: g1}}),
		r.tx("owner2", M{ApproveGrant: &rights.ApproveGrant{Grant: g1}}),
		r.tx("owner1", M{RejectGrant: &rights.RejectGrant{Grant: g2, Reason: "not for this purpose"}}),
		r.tx("buyer", M{ApproveGrant: &rights.ApproveGrant{Grant: g1}}))

	// 6: computations of every op, and refused ones.
	comp := func(from, g string, op rights.Op, cols []string, edit func(*rights.RequestComputation)) []byte {
		rc := &rights.RequestComputation{Grant: g, Op: op, Columns: cols}
		if edit != nil {
			edit(rc)
		}
		return r.tx(from, M{RequestComputation: rc})
	}
	ids = r.block(
		comp("buyer", g1, rights.OpSum, []string{"a"}, nil),
		comp("buyer", g1, rights.OpCount, []string{"a"}, nil),
		comp("buyer", g1, rights.OpHistogram, []string{"a"}, func(rc *rights.RequestComputation) { rc.Edges = []int64{-50, -12, 26, 64} }),
		comp("buyer", g1, rights.OpVariance, []string{"c"}, func(rc *rights.RequestComputation) { rc.Epsilon = 500_000; rc.Delta = 1 }),
		comp("buyer", g1, rights.OpRegression, []string{"a", "c"}, nil),
		comp("buyer", g1, rights.OpDot, []string{"c"}, func(rc *rights.RequestComputation) {
			rc.Weights = []rights.Digest{goldenDigest("sealed weights")}
			rc.WeightsCommitment = goldenDigest("weights commitment")
			rc.WeightBound = 3
		}),
		comp("buyer", g1, rights.OpMean, []string{"b"}, nil),
		comp("buyer2", g3, rights.OpSum, []string{"a"}, func(rc *rights.RequestComputation) { rc.Epsilon = 1_000_000 }),
		comp("buyer", g2, rights.OpMean, []string{"b"}, nil))
	c1, c3, c5, c8 := ids[0], ids[2], ids[5], ids[7]

	// 7-8: the committee agrees on outputs and posts key-switch shares: all three members
	// (spec.Participants), with noise each with its noise dealing digest (a post without one is
	// refused, as is one with a digest on a computation without noise).
	out := func(m, c, s string) []byte {
		return r.tx(m, M{SubmitOutput: &rights.SubmitOutput{Computation: c, Output: goldenDigest(s)}})
	}
	noisyOut := func(m, c, s string) []byte {
		return r.tx(m, M{SubmitOutput: &rights.SubmitOutput{Computation: c, Output: goldenDigest(s), Noise: goldenDigest("noise " + m + " " + c)}})
	}
	r.block(out("m1", c1, "out c1"), out("m3", c1, "out c1"), out("m2", c1, "out c1"),
		out("m1", c3, "out c3"), out("m2", c3, "out c3"), out("m3", c3, "out c3"),
		noisyOut("m2", c8, "out c8"), noisyOut("m1", c8, "out c8"),
		out("m3", c8, "out c8")) // refused: no noise digest (the last tx of its sender in the block)
	r.block(noisyOut("m3", c8, "out c8"), noisyOut("m3", c5, "out c5")) // the second refused: c5 has no noise
	sh := func(m, c string) []byte {
		return r.tx(m, M{SubmitShare: &rights.SubmitShare{Computation: c, Share: goldenDigest("share " + m + " " + c)}})
	}
	// The dot product's weights are refused by the members (twice by m1, once by a non-member);
	// the threshold of refusals fails it and charges the buyer.
	refuseDot := func(m string) []byte {
		return r.tx(m, M{RefuseComputation: &rights.RefuseComputation{Computation: c5, Reason: "the dot product's weights are refused"}})
	}
	r.block(sh("m1", c1), sh("m3", c1), sh("m1", c3), sh("m2", c8), sh("m3", c8), sh("m1", c8), sh("m2", c1),
		refuseDot("m1"), refuseDot("m1"), refuseDot("buyer"), refuseDot("m2"))

	// 9: products change hands.
	var products []rights.Product
	r.decode("/products/holder/"+string(goldenAddr("buyer")), &products)
	if len(products) == 0 {
		t.Fatalf("no product was issued to the buyer")
	}
	p1 := products[0].ID
	r.block(r.tx("buyer", M{LicenseProduct: &rights.LicenseProduct{Product: p1, To: goldenAddr("owner1")}}),
		r.tx("buyer", M{TransferProduct: &rights.TransferProduct{Product: p1, To: goldenAddr("buyer2")}}),
		r.tx("buyer", M{TransferProduct: &rights.TransferProduct{Product: p1, To: goldenAddr("owner2")}}))

	// 10: the buyer disputes c1 (its client found the key-switch subsets disagreeing and named m3)
	// within the dispute window, a stranger's dispute is refused, and a regulator refunds it;
	// c8 settles to its holder when its window ends.
	r.block(r.tx("buyer", M{DisputeComputation: &rights.DisputeComputation{Computation: c1, Accused: []rights.Address{goldenAddr("m3")},
		Evidence: goldenDigest("subsets disagree")}}),
		r.tx("buyer2", M{DisputeComputation: &rights.DisputeComputation{Computation: c1, Accused: []rights.Address{goldenAddr("m1")},
			Evidence: goldenDigest("not mine")}}))
	r.block(r.tx("reg1", M{ResolveDispute: &rights.ResolveDispute{Computation: c1, Refund: true, Reason: "m3's share moved the answer"}}))

	// 12: holds.
	r.block(r.tx("reg1", M{Freeze: &rights.Freeze{Kind: rights.HoldDataset, ID: ds2, Reason: "inquiry"}}),
		r.tx("reg2", M{Freeze: &rights.Freeze{Kind: rights.HoldProduct, ID: p1, Reason: "inquiry"}}),
		r.tx("owner1", M{Freeze: &rights.Freeze{Kind: rights.HoldParty, ID: string(goldenAddr("buyer")), Reason: "spite"}}),
		comp("buyer2", g3, rights.OpSum, []string{"a"}, func(rc *rights.RequestComputation) { rc.Epsilon = 1_000_000 }))
	r.block(r.tx("reg1", M{Unfreeze: &rights.Unfreeze{Kind: rights.HoldDataset, ID: ds2, Reason: "closed"}}),
		r.tx("reg1", M{Freeze: &rights.Freeze{Kind: rights.HoldGrant, ID: g1, Reason: "review"}}))

	// 14: regulators change by a strict majority.
	ids = r.block(r.tx("reg1", M{ProposeRegulatorChange: &rights.ProposeRegulatorChange{Change: rights.RegulatorAdd,
		Address: goldenAddr("eve"), Reason: "a third regulator"}}))
	r.block(r.tx("reg2", M{VoteRegulatorChange: &rights.VoteRegulatorChange{Proposal: ids[0]}}),
		r.tx("reg2", M{VoteRegulatorChange: &rights.VoteRegulatorChange{Proposal: ids[0]}}))

	// 16: holding moves, a grant is revoked, a dataset retires; a computation under way is aborted.
	ids = r.block(comp("buyer2", g3, rights.OpSum, []string{"a"}, func(rc *rights.RequestComputation) { rc.Epsilon = 1_000_000 }))
	r.block(r.tx("owner1", M{TransferHolding: &rights.TransferHolding{Dataset: ds1, To: goldenAddr("buyer2")}}),
		r.tx("owner2", M{RevokeGrant: &rights.RevokeGrant{Grant: g3, Reason: "terms changed"}}),
		r.tx("buyer2", M{RetireDataset: &rights.RetireDataset{Dataset: ds3, Reason: "stale"}}))

	// 18: a setup ceremony, with block hashes as beacons.
	zkParts := []rights.ZKParticipant{{Name: "alice", Address: goldenAddr("owner1")}, {Name: "bob", Address: goldenAddr("owner2")}}
	ids = r.block(r.tx("reg1", M{OpenZKCeremony: &rights.OpenZKCeremony{ChunkSize: 64, Width: 8, Participants: zkParts}}))
	zc := ids[0]
	contribute := func(name string, phase uint32) []byte {
		return r.tx(name, M{ContributeZKCeremony: &rights.ContributeZKCeremony{Ceremony: zc, Phase: phase,
			Digest: goldenDigest(fmt.Sprintf("%s phase %d", name, phase))}})
	}
	r.block(contribute("owner1", 1), contribute("owner2", 1))
	r.block()
	r.block()
	r.block(contribute("owner1", 2), contribute("owner2", 2))
	r.block()
	r.block()
	var ceremony rights.ZKCeremony
	r.decode("/zkceremony/"+zc, &ceremony)
	r.block(r.tx("owner2", M{FinishZKCeremony: &rights.FinishZKCeremony{Ceremony: zc, VK: []byte("ceremony vk"),
		PK: goldenDigest("ceremony pk"), Transcript: ceremony.Transcript}}))

	// 17: a regulator admits a party, which registers with what was admitted; an owner cannot
	// admit, and the admitted party cannot take a role it was not admitted to.
	carol := &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner}}
	r.block(r.tx("owner1", M{AdmitParty: &rights.AdmitParty{Address: goldenAddr("carol"), Roles: []rights.Role{rights.RoleOwner}, Credit: 9000}}),
		r.tx("reg1", M{AdmitParty: &rights.AdmitParty{Address: goldenAddr("carol"), Roles: []rights.Role{rights.RoleOwner}, Credit: 400}}))
	r.block(register("carol", &rights.RegisterParty{Roles: []rights.Role{rights.RoleOwner, rights.RoleBuyer}, RLWEKey: goldenDigest("carol rlwe")}))
	r.block(register("carol", carol))

	// Empty blocks until every computation still under way has expired and every dispute window
	// has ended.
	for range 10 {
		r.block()
	}

	for _, kind := range []string{"register_party", "post_ceremony_share", "register_dataset", "request_grant",
		"approve_grant", "reject_grant", "revoke_grant", "request_computation", "submit_output", "submit_share",
		"update_dataset", "set_policy", "retire_dataset", "transfer_holding", "transfer_product", "license_product",
		"freeze", "unfreeze", "propose_regulator_change", "vote_regulator_change", "dispute_computation",
		"resolve_dispute", "open_zk_ceremony",
		"contribute_zk_ceremony", "finish_zk_ceremony", "admit_party"} {
		if !r.ok[kind] {
			t.Errorf("no %s tx was accepted: the replay no longer covers every kind", kind)
		}
	}

	r.queries()
	compareGolden(t, r.out.Bytes())
}

// decode reads path at the last height into v.
func (r *replay) decode(path string, v any) {
	r.t.Helper()
	res, err := r.app.Query(context.Background(), &abci.RequestQuery{Path: path})
	if err != nil || res.Code != rights.CodeOK {
		r.t.Fatalf("Query(%s) = %v, %v", path, res, err)
	}
	if err := rights.Unmarshal(res.Value, v); err != nil {
		r.t.Fatalf("decode %s: %v", path, err)
	}
}

// queries asks every query path about every object the replay made, at the last height and at
// height 10, plus unknown and malformed paths.
func (r *replay) queries() {
	r.t.Helper()
	var (
		parties  []rights.Party
		datasets []rights.Dataset
		grants   []rights.Grant
		comps    []rights.Computation
		products []rights.Product
		holds    []rights.Hold
		props    []rights.Proposal
		circuits []rights.Circuit
		zks      []rights.ZKCeremony
	)
	r.decode("/parties", &parties)
	r.decode("/datasets", &datasets)
	r.decode("/grants", &grants)
	r.decode("/computations", &comps)
	r.decode("/products", &products)
	r.decode("/holds", &holds)
	r.decode("/proposals", &props)
	r.decode("/circuits", &circuits)
	r.decode("/zkceremonies", &zks)
	paths := []string{"/parties", "/datasets", "/datasets/status/pending", "/grants", "/computations", "/computations/underway", "/payments",
		"/products", "/holds", "/proposals", "/circuits", "/regulators", "/committee", "/genesis", "/params",
		"/zkceremonies", "/zkcircuit/64/8", "/zkcircuit/64/9", "/zkcircuit/x",
		"/nothing", "/dataset/", "/dataset/ds-nope", "/party/nobody", "/frozen/dataset/", "/datasets/holder"}
	for _, p := range parties {
		a := string(p.Address)
		paths = append(paths, "/party/"+a, "/datasets/holder/"+a, "/grants/grantee/"+a, "/products/holder/"+a, "/frozen/party/"+a)
	}
	for _, d := range datasets {
		paths = append(paths, "/dataset/"+d.ID, "/grants/dataset/"+d.ID, "/frozen/dataset/"+d.ID)
	}
	for _, g := range grants {
		paths = append(paths, "/grant/"+g.ID, "/computations/grant/"+g.ID, "/frozen/grant/"+g.ID)
	}
	for _, c := range comps {
		paths = append(paths, "/computation/"+c.ID)
	}
	for _, p := range products {
		paths = append(paths, "/product/"+p.ID, "/frozen/product/"+p.ID)
	}
	for _, h := range holds {
		paths = append(paths, "/hold/"+h.ID)
	}
	for _, p := range props {
		paths = append(paths, "/proposal/"+p.ID)
	}
	for _, c := range circuits {
		paths = append(paths, "/circuit/"+c.ID())
	}
	for _, z := range zks {
		paths = append(paths, "/zkceremony/"+z.ID)
	}
	for _, k := range rights.ObjectKinds() {
		if k.Singular {
			paths = append(paths, k.Path(""))
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	for _, h := range []int64{0, 10} {
		for _, p := range paths {
			r.query(p, h)
		}
	}
}

func compareGolden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", "replay.txt")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the golden file (write it with -update-golden): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("the replay differs from %s at line %d:\n got: %s\nwant: %s\n(got %d lines, want %d)",
				path, i+1, g, w, len(gl), len(wl))
		}
	}
}
