package rights

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"strings"
	"testing"
	"time"
)

// HistogramChallenge models zk.HistogramChallenge: SHA-256 over its inputs, so it changes with any of them.
func (testVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	h := sha256.New()
	for _, b := range append(append([][]byte{context}, chunkCommitments...), tableCommitment) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(min)), uint64(bin)))
	return h.Sum(nil), nil
}

// CheckHistogram models zk.VerifyHistogram: the chunk sums, read as big-endian integers, must add
// up to the table's sum modulo 2^256.
func (testVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	total := new(big.Int)
	for _, s := range chunkSums {
		total.Add(total, new(big.Int).SetBytes(s))
	}
	total.Mod(total, new(big.Int).Lsh(big.NewInt(1), 256))
	if total.Cmp(new(big.Int).SetBytes(tableSum)) != 0 {
		return errors.New("the chunk sums do not add up to the table's")
	}
	return nil
}

// markedBadProof is the proof testVerifier rejects; every other proof verifies.
var markedBadProof = []byte("bad proof")

type testVerifier struct{}

func (testVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	if bytes.Equal(proof, markedBadProof) {
		return errors.New("proof is marked bad")
	}
	if len(vk) == 0 || len(commitment) != 32 || min > max {
		return errors.New("verifier called with malformed inputs")
	}
	return nil
}

func (testVerifier) VerifyInput(vk []byte, c *InputClaim, proof []byte) error {
	if bytes.Equal(proof, markedBadProof) {
		return errors.New("proof is marked bad")
	}
	if len(vk) == 0 || len(c.Commitment) != 32 || c.Min > c.Max || c.Rows < 1 || c.Rows > c.Slots ||
		c.Key.IsZero() || c.Ciphertext.IsZero() || len(c.Evaluations) == 0 {
		return errors.New("verifier called with malformed inputs")
	}
	if h := c.Histogram; h != nil {
		if len(h.Alpha) != 32 || len(h.Sum) != 32 || (h.Side != HistogramColumn && h.Side != HistogramTable) {
			return errors.New("verifier called with a malformed histogram claim")
		}
		if !bytes.Equal(proof, histogramProof(h)) {
			return errors.New("the proof is not for this histogram claim (its α, bins or sum)")
		}
	}
	return nil
}

// histogramProof is the only proof testVerifier accepts for an input claim with histogram part
// h. It models a Groth16 proof's binding to its public inputs (α, the side, the bins and the
// sum): a proof made for one column's α does not verify at another's.
func histogramProof(h *HistogramClaim) []byte {
	d := sha256.Sum256(fmt.Appendf(nil, "%d %x %d %d %x", h.Side, h.Alpha, h.Min, h.Bin, h.Sum))
	return append([]byte("histogram proof "), d[:]...)
}

const (
	testChainID     = "dxp-test"
	testCredit      = 1000
	testDeadline    = 5
	testModulus     = 1125899908022273
	testSlots       = 8
	testChunk       = 4
	testEpoch       = 1
	testMaxDatasets = 3
	// testProductNoiseBudget admits, with the 3 test members, a variance over at most 1,111
	// ciphertexts per column and a 2-column regression over at most 370.
	testProductNoiseBudget = 10_000
	testRegulatorKey       = "regulator"
)

var testMembers = []string{"m1", "m2", "m3"}

func addr(name string) Address { return AddressOf(testKey(name).Public().(ed25519.PublicKey)) }

func testGenesis() Genesis {
	var members []Member
	for _, m := range testMembers {
		pub := testKey(m).Public().(ed25519.PublicKey)
		members = append(members, Member{Address: AddressOf(pub), PubKey: pub})
	}
	return Genesis{
		ChainID:    testChainID,
		Devnet:     true,
		Regulators: []Address{addr(testRegulatorKey)},
		Committee:  Committee{Members: members, Threshold: 2, Epoch: testEpoch, Seed: []byte("seed")},
		Params: Params{
			OpeningCredit:       testCredit,
			ComputationDeadline: testDeadline,
			PlaintextModulus:    testModulus,
			SlotsPerCiphertext:  testSlots,
			MaxGrantDatasets:    testMaxDatasets,
			ProductNoiseBudget:  testProductNoiseBudget,
		},
		Circuits: []Circuit{testCircuit(testChunk, 16), testCircuit(testChunk, 64)},
	}
}

// harness drives a Ledger over a MemStore block by block, signing txs with named test keys.
type harness struct {
	t      *testing.T
	store  *MemStore
	l      *Ledger
	height int64
	// events of the last tx or end of block
	events []Event
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, store: NewMemStore(), height: 1}
	h.l = &Ledger{Store: h.store, Verifier: testVerifier{}, Cache: NewCache()}
	if err := h.l.InitChain(testGenesis(), Block{Height: 1}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	return h
}

func (h *harness) block() Block {
	return Block{Height: h.height, Time: time.Unix(1_700_000_000+h.height, 0)}
}

// nonce is the sender's next nonce, 0 if unregistered.
func (h *harness) nonce(name string) uint64 {
	p, err := h.l.Party(addr(name))
	if errors.Is(err, ErrNotFound) {
		return 0
	}
	if err != nil {
		h.t.Fatalf("Party(%s): %v", name, err)
	}
	return p.Nonce
}

func (h *harness) raw(name string, msg Msg) []byte {
	return signedTx(h.t, testKey(name), testChainID, h.nonce(name), msg)
}

func (h *harness) deliver(raw []byte) (*Result, error) {
	res, err := h.l.Deliver(raw, h.block())
	if res != nil {
		h.events = res.Events
	}
	return res, err
}

// ok submits msg from name and fails the test unless it is accepted. It returns the id created.
func (h *harness) ok(name string, msg Msg) string {
	h.t.Helper()
	res, err := h.deliver(h.raw(name, msg))
	if err != nil {
		h.t.Fatalf("%s by %s refused: %v", msg.Kind(), name, err)
	}
	return res.ID
}

// list registers a dataset (RegisterDataset) by name and has Threshold committee members attest
// its inputs valid, so that it is listed; it returns the dataset's id.
func (h *harness) list(name string, msg Msg) string {
	h.t.Helper()
	id := h.ok(name, msg)
	for _, m := range testMembers[:2] {
		h.ok(m, Msg{AttestInputs: &AttestInputs{Dataset: id, Valid: true}})
	}
	return id
}

// refusedRaw delivers raw and fails the test unless it is refused with code (and a log
// containing want), leaving the store byte-identical.
func (h *harness) refusedRaw(raw []byte, code uint32, want string) {
	h.t.Helper()
	before := h.store.Snapshot()
	_, err := h.deliver(raw)
	var te *TxError
	if !errors.As(err, &te) {
		h.t.Fatalf("Deliver() error = %v, want a *TxError with code %d", err, code)
	}
	if te.Code != code {
		h.t.Errorf("Deliver() code = %d (%q), want %d", te.Code, te.Log, code)
	}
	if !strings.Contains(te.Log, want) {
		h.t.Errorf("Deliver() log = %q, want it to contain %q", te.Log, want)
	}
	if te.Log == "" || strings.HasSuffix(te.Log, ".") || strings.Contains(te.Log, "\n") {
		h.t.Errorf("Deliver() log = %q, want one sentence without a final period", te.Log)
	}
	if after := h.store.Snapshot(); !maps.EqualFunc(before, after, bytes.Equal) {
		h.t.Errorf("a refused tx changed the state")
	}
}

func (h *harness) refused(name string, msg Msg, code uint32, want string) {
	h.t.Helper()
	h.refusedRaw(h.raw(name, msg), code, want)
}

// next ends the current block and starts the next one.
func (h *harness) next() {
	h.t.Helper()
	evs, err := h.l.EndBlock(h.block())
	if err != nil {
		h.t.Fatalf("EndBlock(%d): %v", h.height, err)
	}
	h.events = evs
	h.height++
}

// passWindow ends blocks until the dispute window of a computation completed in the current
// block has passed and its escrow is settled.
func (h *harness) passWindow() {
	h.t.Helper()
	for range DefaultDisputeWindow + 1 {
		h.next()
	}
}

func (h *harness) party(name string) *Party {
	h.t.Helper()
	p, err := h.l.Party(addr(name))
	if err != nil {
		h.t.Fatalf("Party(%s): %v", name, err)
	}
	return p
}

func (h *harness) grant(id string) *Grant {
	h.t.Helper()
	g, err := h.l.Grant(id)
	if err != nil {
		h.t.Fatalf("Grant(%s): %v", id, err)
	}
	return g
}

func (h *harness) computation(id string) *Computation {
	h.t.Helper()
	c, err := h.l.Computation(id)
	if err != nil {
		h.t.Fatalf("Computation(%s): %v", id, err)
	}
	return c
}

func (h *harness) committee() *Committee {
	h.t.Helper()
	c, err := h.l.Committee()
	if err != nil {
		h.t.Fatalf("Committee: %v", err)
	}
	return c
}

func (h *harness) payments() []Payment {
	h.t.Helper()
	ps, err := h.l.Payments()
	if err != nil {
		h.t.Fatalf("Payments: %v", err)
	}
	return ps
}

// checkCredits asserts the credit invariants: no balance negative (uint64 cannot be, but
// escrow accounting can drift), and balances plus pending escrow equal the opening credits of
// every registered party.
func (h *harness) checkCredits() {
	h.t.Helper()
	parties, err := h.l.Parties()
	if err != nil {
		h.t.Fatal(err)
	}
	comps, err := h.l.Computations()
	if err != nil {
		h.t.Fatal(err)
	}
	var total uint64
	for _, p := range parties {
		total += p.Balance
	}
	for _, c := range comps {
		if c.EscrowHeld() {
			total += c.Escrow
		}
	}
	if want := uint64(len(parties)) * testCredit; total != want {
		h.t.Errorf("balances + pending escrow = %d, want %d (%d parties × %d)", total, want, len(parties), testCredit)
	}
	// Payments balance too: escrowed = released + refunded + still pending.
	var in, out uint64
	for _, p := range h.payments() {
		switch p.Kind {
		case PaymentEscrow:
			in += p.Amount
		default:
			out += p.Amount
		}
	}
	var pending uint64
	for _, c := range comps {
		if c.EscrowHeld() {
			pending += c.Escrow
		}
	}
	if in != out+pending {
		h.t.Errorf("escrowed %d != released and refunded %d + pending %d", in, out, pending)
	}
}

func digestOf(s string) Digest { return sha256.Sum256([]byte(s)) }

func commitment(s string) []byte {
	d := sha256.Sum256([]byte("commitment " + s))
	return d[:]
}

// testCircuit is a devnet circuit of chunk size n and width w.
func testCircuit(n uint64, w uint32) Circuit {
	return Circuit{ChunkSize: n, Width: w, VK: []byte(fmt.Sprintf("vk n%d w%d", n, w)), PK: digestOf(fmt.Sprintf("pk n%d w%d", n, w)), Setup: InsecureDevnetSetup}
}

// testInputCircuit is a devnet input circuit of chunk size n (the chain's slots per ciphertext)
// and width w, its verifying key distinct from the chunk circuit's.
func testInputCircuit(n uint64, w uint32) Circuit {
	return Circuit{Kind: CircuitInput, ChunkSize: n, Width: w, VK: []byte(fmt.Sprintf("vk input n%d w%d", n, w)),
		PK: digestOf(fmt.Sprintf("pk input n%d w%d", n, w)), Setup: InsecureDevnetSetup}
}

// inputColumn builds a well-formed integer input column of rows values on a chain whose
// ciphertexts hold slots values: one chunk per ciphertext, each with a proof and the evaluations
// of two CRT groups, proven with the narrowest test input circuit.
func inputColumn(name string, min, max int64, rows, slots uint64) Column {
	c := Column{Name: name, Type: TypeInteger, Min: min, Max: max, ChunkSize: slots, Width: 16, Kind: CircuitInput}
	if ColumnWidth(min, max) > 16 {
		c.Width = 64
	}
	for i := uint64(0); i < ceilDiv(rows, slots); i++ {
		c.Ciphertexts = append(c.Ciphertexts, digestOf(fmt.Sprintf("ct %s %d", name, i)))
		c.Chunks = append(c.Chunks, Chunk{Commitment: commitment(fmt.Sprintf("%s %d", name, i)), Proof: []byte("input proof"),
			Evaluations: testEvaluations(fmt.Sprintf("%s %d", name, i), 2)})
	}
	return c
}

// testEvaluations is groups CRT groups of evaluations (4 field elements of 32 bytes each) derived
// from s.
func testEvaluations(s string, groups int) []byte {
	var out []byte
	for i := range 4 * groups {
		d := digestOf(fmt.Sprintf("evaluation %s %d", s, i))
		out = append(out, d[:]...)
	}
	return out
}

// column builds a well-formed column of rows values, proven with the narrowest test circuit.
func column(name string, typ ColumnType, scale uint32, min, max int64, rows uint64) Column {
	c := Column{Name: name, Type: typ, Scale: scale, Min: min, Max: max, ChunkSize: testChunk, Width: 16}
	if ColumnWidth(min, max) > 16 {
		c.Width = 64
	}
	for i := uint64(0); i < ceilDiv(rows, testSlots); i++ {
		c.Ciphertexts = append(c.Ciphertexts, digestOf(fmt.Sprintf("ct %s %d", name, i)))
	}
	for i := uint64(0); i < ceilDiv(rows, testChunk); i++ {
		c.Chunks = append(c.Chunks, Chunk{Commitment: commitment(fmt.Sprintf("%s %d", name, i)), Proof: []byte("proof")})
	}
	return c
}

func listing(name string, rows, price uint64, cols ...Column) *RegisterDataset {
	return &RegisterDataset{
		Name:        name,
		Description: "test data " + name,
		Columns:     cols,
		Rows:        rows,
		Price:       price,
		Manifest:    digestOf("manifest " + name),
		KeyEpoch:    testEpoch,
	}
}

var testKeys = []Digest{digestOf("pk"), digestOf("rlk"), digestOf("gk")}

// world is a chain with parties registered (stage 0), the committee ready (stage 1), and two
// datasets, an active grant and a requested one (stage 2).
type world struct {
	*harness
	ds1, ds2       string // ds1 by owner1 (a integer [-50,100], b decimal/2), ds2 by owner2 (a integer [0,10])
	active, asked  string // active: buyer over ds1+ds2, sum+count on a, 2 uses; asked: buyer over ds1, mean on b
	ds1Rows, price uint64
}

func newWorld(t *testing.T, stage int) *world {
	t.Helper()
	w := &world{harness: newHarness(t)}
	w.ok("owner1", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	w.ok("owner2", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	w.ok("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: digestOf("buyer rlwe")}})
	w.ok("buyer2", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer, RoleOwner}, RLWEKey: digestOf("buyer2 rlwe")}})
	w.ok(testRegulatorKey, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	w.next()
	if stage < 1 {
		return w
	}
	w.ok("m1", Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: "keys", Digests: testKeys}})
	w.ok("m2", Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: "keys", Digests: testKeys}})
	w.next()
	if stage < 2 {
		return w
	}
	w.ds1Rows = 10
	w.ds1 = w.list("owner1", Msg{RegisterDataset: listing("one", 10, 30,
		column("a", TypeInteger, 0, -50, 100, 10), column("b", TypeDecimal, 2, 0, 10000, 10))})
	w.ds2 = w.list("owner2", Msg{RegisterDataset: listing("two", 6, 20, column("a", TypeInteger, 0, 0, 10, 6))})
	w.next()
	w.active = w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1, w.ds2}, Ops: []Op{OpSum, OpCount}, Columns: []string{"a"}, Uses: 2}})
	w.asked = w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds1}, Ops: []Op{OpMean}, Columns: []string{"b"}, Uses: 1}})
	w.next()
	w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: w.active}})
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: w.active}})
	w.next()
	w.price = 50
	return w
}
