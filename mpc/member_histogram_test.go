package mpc_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/devnet"
	"github.com/dxplabs/dxp/devnet/devnettest"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/zk"
)

// These tests check a histogram input column (rights.CircuitInputHistogram) the way a committee
// member does, with real lattigo ciphertexts, real gnark proofs and the real checker
// (mpc.ListingChecker with marketplace.InputChecker), at the devnet's smallest ring (N = 1,024,
// mpc.NewParamsFor: insecure, test only): one column of histRows values in [0, 255] (one short
// ciphertext), proven on the histogram column layout, and its frequency table of N bins, proven on
// the table layout. The two insecure setups (about a minute each on a loaded 2-core machine) come
// from the test devnets' shared setup cache (devnettest.SetupCache, the circuits a 1,024-slot
// devnet registers), and the honest listing is made once per test binary (histFixture).

const (
	histSlots      = 1024
	histWidth      = 32 // the devnet's width, so the setup is the shared cache's
	histMin        = 0
	histMax        = 1<<histWidth - 1
	histRows       = 700
	histTableWidth = 32 // the devnet's table width, at least rights.ColumnWidth(0, histRows)
	histColumn     = "age"
	histHolder     = "0123456789abcdef0123456789abcdef01234567"
)

// histListing is an owner's histogram input column and what proving it needed.
type histListing struct {
	params    heint.Parameters
	pk        *rlwe.PublicKey
	keyDigest [32]byte
	objs      *memObjects
	colVK     []byte
	tabVK     []byte
	tabProver *zk.InputProver
	tabLayout circuits.InputLayout

	bin         int64
	counts      []int64
	alpha       fr.Element
	tableSalt   fr.Element
	tableCT     mpc.ProvableCiphertext // the honest table's encryption and its witness
	tablePolys  []circuits.GroupPolys
	honest      rights.Column
	honestTable [32]byte
}

var (
	histOnce sync.Once
	hist     *histListing
	histErr  error
)

// histFixture returns the shared honest listing, made on first use.
func histFixture(t *testing.T) *histListing {
	t.Helper()
	histOnce.Do(func() { hist, histErr = newHistListing() })
	if histErr != nil {
		t.Fatal(histErr)
	}
	return hist
}

// memObjects is an in-memory mpc.Objects addressed by SHA-256.
type memObjects struct {
	mu   sync.Mutex
	objs map[[32]byte][]byte
}

func (o *memObjects) Put(_ context.Context, data []byte) ([32]byte, error) {
	d := sha256.Sum256(data)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.objs[d] = append([]byte(nil), data...)
	return d, nil
}

func (o *memObjects) Get(_ context.Context, d [32]byte) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.objs[d]
	if !ok {
		return nil, fmt.Errorf("object %x: %w", d[:6], mpc.ErrNotFound)
	}
	return b, nil
}

// histLayout is the layout the chain verifies a claim of width w and histogram side with
// (marketplace.ClaimLayout): the owner proves on exactly that.
func histLayout(w uint32, side rights.HistogramSide) (circuits.InputLayout, error) {
	return marketplace.ClaimLayout(&rights.InputClaim{Slots: histSlots, Width: w, Histogram: &rights.HistogramClaim{Side: side}})
}

// histSetup returns the prover and verifying key of the kind's circuit at histSlots and width w,
// whose layout is lay, from the shared setup cache (or a fresh insecure setup put there).
func histSetup(kind rights.CircuitKind, w int, lay circuits.InputLayout) (*zk.InputProver, []byte, error) {
	pk, vk, _, err := devnet.InsecureInputSetup(context.Background(), devnettest.SetupCache(), kind, histSlots, w, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	p, err := zk.NewInputProver(lay, pk)
	return p, vk, err
}

// proofPolys returns the circuit's polynomials of ciphertext ct under the committee's key.
func (h *histListing) proofPolys(ct []byte) ([]circuits.GroupPolys, error) {
	key, err := mpc.NewProofKey(h.params, h.pk, mpc.InputLevel)
	if err != nil {
		return nil, err
	}
	gp, err := key.Polys(ct)
	if err != nil {
		return nil, err
	}
	return marketplace.InputGroupPolys(gp), nil
}

func (h *histListing) binding(stored [32]byte) fr.Element {
	return zk.Binding(h.keyDigest[:], mpc.InputLevel, stored, []byte(histHolder))
}

// newHistListing makes the setups and the honest listing, as an owner publishes it: commit the
// chunk and the table, draw α from the commitments as the chain will, then prove each.
func newHistListing() (*histListing, error) {
	ctx := context.Background()
	params, err := mpc.NewParamsFor(histSlots)
	if err != nil {
		return nil, err
	}
	h := &histListing{params: params, objs: &memObjects{objs: map[[32]byte][]byte{}}}
	// A key pair stands in for the ceremony's collective key: the check reads the public key only.
	_, h.pk = rlwe.NewKeyGenerator(params).GenKeyPairNew()
	pkBytes, err := h.pk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if h.keyDigest, err = h.objs.Put(ctx, pkBytes); err != nil {
		return nil, err
	}
	colLay, err := histLayout(histWidth, rights.HistogramColumn)
	if err != nil {
		return nil, err
	}
	if h.tabLayout, err = histLayout(histTableWidth, rights.HistogramTable); err != nil {
		return nil, err
	}
	colProver, colVK, err := histSetup(rights.CircuitInputHistogram, histWidth, colLay)
	if err != nil {
		return nil, fmt.Errorf("column setup: %w", err)
	}
	if h.tabProver, h.tabVK, err = histSetup(rights.CircuitFrequencyTable, histTableWidth, h.tabLayout); err != nil {
		return nil, fmt.Errorf("table setup: %w", err)
	}
	h.colVK = colVK

	if h.bin, err = mpc.DefaultBin(histMin, histMax, histSlots); err != nil {
		return nil, err
	}
	values := make([]int64, histRows)
	h.counts = make([]int64, histSlots)
	for i := range values {
		x, err := rand.Int(rand.Reader, big.NewInt(histMax-histMin+1))
		if err != nil {
			return nil, err
		}
		values[i] = histMin + x.Int64()
		b, err := circuits.Bucket(values[i], histMin, h.bin, histSlots)
		if err != nil {
			return nil, err
		}
		h.counts[b]++
	}
	cts, err := mpc.EncryptProvable(params, h.pk, values, mpc.InputLevel)
	if err != nil {
		return nil, err
	}
	tcts, err := mpc.EncryptProvable(params, h.pk, h.counts, mpc.InputLevel)
	if err != nil {
		return nil, err
	}
	h.tableCT = tcts[0]
	stored, err := h.objs.Put(ctx, cts[0].Ciphertext)
	if err != nil {
		return nil, err
	}
	if h.honestTable, err = h.objs.Put(ctx, h.tableCT.Ciphertext); err != nil {
		return nil, err
	}

	commitment, salt, err := zk.CommitInput(colLay, values, histMin)
	if err != nil {
		return nil, err
	}
	tableCommitment, tableSalt, err := zk.CommitInput(h.tabLayout, h.counts, 0)
	if err != nil {
		return nil, err
	}
	h.tableSalt = tableSalt
	cb, tb := commitment.Bytes(), tableCommitment.Bytes()
	alpha, err := marketplace.Verifier{}.HistogramChallenge(rights.HistogramContext(histHolder, histColumn), [][]byte{cb[:]}, tb[:], histMin, h.bin)
	if err != nil {
		return nil, err
	}
	if err := h.alpha.SetBytesCanonical(alpha); err != nil {
		return nil, err
	}

	polys, err := h.proofPolys(cts[0].Ciphertext)
	if err != nil {
		return nil, err
	}
	chunk, err := colProver.ProveHistogram(values, histMin, histMax, salt, marketplace.InputWitness(cts[0].Witness), polys, h.binding(stored),
		circuits.HistogramStatement{Alpha: h.alpha, Min: histMin, Bin: h.bin})
	if err != nil {
		return nil, fmt.Errorf("chunk: %w", err)
	}
	if h.tablePolys, err = h.proofPolys(h.tableCT.Ciphertext); err != nil {
		return nil, err
	}
	table, err := h.proveTable(h.honestTable)
	if err != nil {
		return nil, err
	}
	sum, tableSum := chunk.HistogramSum.Bytes(), table.HistogramSum.Bytes()
	h.honest = rights.Column{Name: histColumn, Type: rights.TypeInteger, Min: histMin, Max: histMax, Ciphertexts: []rights.Digest{stored},
		ChunkSize: histSlots, Width: histWidth, Kind: rights.CircuitInputHistogram,
		Chunks: []rights.Chunk{{Commitment: cb[:], Proof: chunk.Proof, Evaluations: marketplace.EncodeEvaluations(chunk.Evaluations), HistogramSum: sum[:]}},
		Frequencies: &rights.FrequencyTable{Table: h.honestTable, Min: histMin, Bin: h.bin, Width: histTableWidth, Commitment: tb[:],
			Proof: table.Proof, Evaluations: marketplace.EncodeEvaluations(table.Evaluations), Sum: tableSum[:]}}
	return h, nil
}

// proveTable proves the honest counts' encryption (the table's ciphertext, witness and
// polynomials) at the listing's α, and binds the proof to the ciphertext stored under stored.
func (h *histListing) proveTable(stored [32]byte) (zk.InputProof, error) {
	p, err := h.tabProver.ProveHistogram(h.counts, 0, histRows, h.tableSalt, marketplace.InputWitness(h.tableCT.Witness), h.tablePolys,
		h.binding(stored), circuits.HistogramStatement{Alpha: h.alpha})
	if err != nil {
		return zk.InputProof{}, fmt.Errorf("table: %w", err)
	}
	return p, nil
}

// chainAccepts checks col as the chain does by the contract of 4fa8ae2 (marketplace.Verifier):
// α from the lister, the column's name, the chunk and table commitments, Min and Bin; each chunk
// on its input claim with the column side; the table on its claim (Min 0, Max the rows, every slot
// a real row) with the table side; and the sum check.
func (h *histListing) chainAccepts(col *rights.Column) error {
	v := marketplace.Verifier{}
	f := col.Frequencies
	var commitments, sums [][]byte
	for _, ch := range col.Chunks {
		commitments, sums = append(commitments, ch.Commitment), append(sums, ch.HistogramSum)
	}
	alpha, err := v.HistogramChallenge(rights.HistogramContext(histHolder, col.Name), commitments, f.Commitment, f.Min, f.Bin)
	if err != nil {
		return err
	}
	for j, ch := range col.Chunks {
		claim := marketplace.InputClaim(histRows, col, j, h.keyDigest, histHolder)
		claim.Histogram = &rights.HistogramClaim{Side: rights.HistogramColumn, Alpha: alpha, Min: f.Min, Bin: f.Bin, Sum: ch.HistogramSum}
		if err := v.VerifyInput(h.colVK, claim, ch.Proof); err != nil {
			return fmt.Errorf("chunk %d: %w", j, err)
		}
	}
	table := &rights.InputClaim{Slots: histSlots, Width: f.Width, Commitment: f.Commitment, Min: 0, Max: histRows, Rows: histSlots,
		Key: h.keyDigest, Holder: histHolder, Ciphertext: f.Table, Evaluations: f.Evaluations,
		Histogram: &rights.HistogramClaim{Side: rights.HistogramTable, Alpha: alpha, Sum: f.Sum}}
	if err := v.VerifyInput(h.tabVK, table, f.Proof); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return v.CheckHistogram(sums, f.Sum)
}

// memberVerdict is a member's verdict on a pending dataset of the one column col, from the task
// the board gives it (marketplace's inputTask: the chunks, and the table's proof with the
// dataset's rows as the counts' bound).
func (h *histListing) memberVerdict(t *testing.T, col *rights.Column) string {
	t.Helper()
	f := col.Frequencies
	in := mpc.InputColumn{Kind: mpc.ProofKindInputHistogram, Width: col.Width, Min: col.Min, Max: col.Max,
		Table: &mpc.InputTable{Width: f.Width, Max: histRows, Commitment: f.Commitment, Proof: f.Proof, Evaluations: f.Evaluations}}
	var cts [][32]byte
	for j, ch := range col.Chunks {
		cts = append(cts, col.Ciphertexts[j])
		in.Chunks = append(in.Chunks, mpc.InputChunk{Commitment: ch.Commitment, Proof: ch.Proof, Evaluations: ch.Evaluations,
			Rows: min(histSlots, histRows-uint64(j)*histSlots)})
	}
	task := &mpc.Task{ID: "ds", Phase: mpc.PhaseInputs, Columns: [][][32]byte{cts}, ColumnNames: []string{col.Name}, Tables: [][32]byte{f.Table},
		Inputs: []mpc.InputColumn{in}, InputKey: h.keyDigest, InputHolder: histHolder}
	checker, err := mpc.NewListingChecker(h.params, h.objs, marketplace.InputChecker{})
	if err != nil {
		t.Fatal(err)
	}
	reason, err := checker.Check(context.Background(), task)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return reason
}

// TestHistogramColumnPassesMemberCheck: an honest histogram input column, its chunk proven on the
// histogram column layout and its frequency table on the table layout at the column's α, is
// accepted by the chain's checks and by a member: the listed evaluations of the chunk and of the
// table are those of the stored ciphertexts under the committee's key.
func TestHistogramColumnPassesMemberCheck(t *testing.T) {
	h := histFixture(t)
	if err := h.chainAccepts(&h.honest); err != nil {
		t.Fatalf("the chain refuses the honest listing: %v", err)
	}
	if reason := h.memberVerdict(t, &h.honest); reason != "" {
		t.Errorf("the member's verdict on the honest listing is %q, want valid", reason)
	}
}

// TestAttackTableEvaluationsNotOfStoredTable: an owner wants a skewed histogram. The chain's sum
// check ties the table's committed counts to the column's values, and the table's proof ties an
// encryption of those counts to the ciphertext its binding names, but only through the listed
// evaluations. So the owner, as an attacker would, proves the honest counts' encryption, binds
// the proof to a table of skewed counts (one count moved, a well-formed encryption under the
// committee's key) that it stores in the listing, and lists the honest encryption's evaluations:
// the chain's checks pass (proof, α, sum). A member refuses the listing, naming the column's
// frequency table and its digest.
func TestAttackTableEvaluationsNotOfStoredTable(t *testing.T) {
	h := histFixture(t)
	skewed := append([]int64(nil), h.counts...)
	for k := range skewed {
		if skewed[k] > 0 {
			skewed[k]--
			skewed[(k+1)%len(skewed)]++
			break
		}
	}
	forged, err := mpc.EncryptProvable(h.params, h.pk, skewed, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	forgedDigest, err := h.objs.Put(context.Background(), forged[0].Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := h.proveTable(forgedDigest)
	if err != nil {
		t.Fatal(err)
	}
	attack := h.honest
	table := *h.honest.Frequencies
	table.Table, table.Proof, table.Evaluations = forgedDigest, proof.Proof, marketplace.EncodeEvaluations(proof.Evaluations)
	attack.Frequencies = &table
	if err := h.chainAccepts(&attack); err != nil {
		t.Fatalf("the chain refuses the forged table: %v; the attack needs a listing the chain accepts", err)
	}
	want := fmt.Sprintf("column %s frequency table (%x): its input proof's listed evaluations do not hold for the stored table", histColumn, forgedDigest[:6])
	if reason := h.memberVerdict(t, &attack); !strings.HasPrefix(reason, want) {
		t.Errorf("the member's verdict on the forged table is %q, want one starting %q", reason, want)
	}
}
