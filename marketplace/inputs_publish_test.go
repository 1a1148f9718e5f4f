package marketplace_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/devnet"
	. "github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/rights/client"
	"github.com/dxplabs/dxp/storage"
	"github.com/dxplabs/dxp/zk"
)

// The input tests share one devnet on the smallest ring, 1,024 slots (INSECURE, devnet only),
// registering input circuits with the histogram column side of width 32 only (both of Table's
// columns fit) and the frequency-table circuit, and one honest listing of inputRows rows: two
// ciphertexts per column, the second short, so four input proofs and two table proofs. Its start
// and that publish are most of their time; the attacks add a few proofs.
const (
	inputSlots = 1024
	inputWidth = 32
	inputRows  = 1500
)

type inputNet struct {
	home string
	dn   *devnet.Devnet
	s    *Session
	tab  *Table
	pub  *PublishResult
	ds   *rights.Dataset
	// journal is, per column of the interrupted publish's journal, whether chunk k was proven
	// and whether ciphertext k was uploaded; committed, per column, the chunk commitments its
	// commit pass journalled (hex).
	journal   [][2][]bool
	committed [][]string

	proversOnce sync.Once
	provers     [2]*zk.InputProver // attackProvers
	proversErr  error
}

// readJournalPairs reads the one publish journal in home: per column, which chunks are proven
// and which ciphertexts uploaded, and the chunk commitments of its commit pass (hex; none for a
// column without one).
func readJournalPairs(home string) ([][2][]bool, [][]string, error) {
	files, err := filepath.Glob(filepath.Join(home, "publishing", "*.json"))
	if err != nil || len(files) != 1 {
		return nil, nil, fmt.Errorf("journals after the interruption: %v, %v; want one", files, err)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		return nil, nil, fmt.Errorf("the journal (it holds salts and counts) is not private: %v, %v", fi.Mode(), err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return nil, nil, err
	}
	var j struct {
		Columns []struct {
			Chunks      []json.RawMessage `json:"chunks"`
			Ciphertexts []json.RawMessage `json:"ciphertexts"`
			Histogram   *struct {
				Commitments [][]byte `json:"commitments"`
			} `json:"histogram"`
		} `json:"columns"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, nil, err
	}
	var out [][2][]bool
	var committed [][]string
	for _, c := range j.Columns {
		var pair [2][]bool
		for _, x := range c.Chunks {
			pair[0] = append(pair[0], string(x) != "null")
		}
		for _, x := range c.Ciphertexts {
			pair[1] = append(pair[1], string(x) != "null")
		}
		out = append(out, pair)
		var cs []string
		if c.Histogram != nil {
			for _, x := range c.Histogram.Commitments {
				cs = append(cs, hex.EncodeToString(x))
			}
		}
		committed = append(committed, cs)
	}
	return out, committed, nil
}

var (
	inputNetOnce sync.Once
	sharedInput  *inputNet
	inputNetErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopInputNet()
	os.Exit(code)
}

// stopInputNet stops the shared devnet, if a test started it (TestMain).
func stopInputNet() {
	if n := sharedInput; n != nil {
		n.s.Close()
		n.dn.Stop()
		os.RemoveAll(n.home)
	}
}

// inputDevnet returns the shared devnet and its honest listing, starting them on first use.
func inputDevnet(t *testing.T) *inputNet {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a devnet and proves input columns")
	}
	inputNetOnce.Do(func() { sharedInput, inputNetErr = startInputNet(t) })
	if inputNetErr != nil || sharedInput == nil {
		t.Fatalf("start the input devnet: %v (nil: it failed in an earlier test)", inputNetErr)
	}
	return sharedInput
}

func startInputNet(t *testing.T) (*inputNet, error) {
	home, err := os.MkdirTemp("", "dxp-input-devnet-")
	if err != nil {
		return nil, err
	}
	dn := startDevnetWith(t, devnet.Config{Home: home, Slots: inputSlots, Widths: []int{inputWidth}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := Open(ctx, home)
	if err != nil {
		dn.Stop()
		return nil, err
	}
	n := &inputNet{home: home, dn: dn, s: s, tab: table(t, inputRows, 21)}
	mustKey(t, home, "owner1", rights.RoleOwner)
	// The honest publish is interrupted once its first chunk is proven, then resumed.
	req := PublishRequest{From: "owner1", Name: "proven", Schema: n.tab.Schema, CSV: BytesSource("proven.csv", n.tab.CSV()), Price: 1}
	interrupted, stop := context.WithCancel(ctx)
	req.Progress = func(p PublishProgress) {
		if p.Stage == "publish" && p.Proven >= 1 {
			stop()
		}
	}
	_, err = s.Publish(interrupted, req)
	stop()
	if !errors.Is(err, context.Canceled) {
		dn.Stop()
		return nil, fmt.Errorf("interrupted publish = %v, want context.Canceled", err)
	}
	if n.journal, n.committed, err = readJournalPairs(home); err != nil {
		dn.Stop()
		return nil, err
	}
	req.Progress = nil
	if n.pub, err = s.Publish(ctx, req); err != nil {
		dn.Stop()
		return nil, fmt.Errorf("honest publish, resumed: %w", err)
	}
	if n.ds, err = client.Get[rights.Dataset](ctx, s.Chain, n.pub.Dataset); err != nil {
		dn.Stop()
		return nil, err
	}
	return n, nil
}

// TestPublishInputColumns publishes a table on a devnet that registers input circuits: every
// column is listed as an input column (one chunk per ciphertext, the last short), the chain
// verified every proof (marketplace.Verifier, at registration) and each verifies again here
// against the chain's claim, the uploaded ciphertexts are exactly the bytes proven, and a sum
// over the listing decrypts to the exact answer.
func TestPublishInputColumns(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	id := rights.KindCircuitID(rights.CircuitInputHistogram, inputSlots, inputWidth)
	circuit, err := client.Get[rights.Circuit](ctx, n.s.Chain, id)
	if err != nil {
		t.Fatalf("input circuit %s: %v", id, err)
	}
	committee, err := client.Get[rights.Committee](ctx, n.s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	wantChunks := (inputRows + inputSlots - 1) / inputSlots
	if n.pub.Chunks != 2*wantChunks || n.pub.Ciphertexts != 2*wantChunks {
		t.Errorf("Publish proved %d chunks and %d ciphertexts, want %d of each", n.pub.Chunks, n.pub.Ciphertexts, 2*wantChunks)
	}
	// The interrupted run journalled each input chunk with its ciphertext, and the resumed run
	// reused them (a chunk and its ciphertext count as two) rather than encrypt them again.
	done := 0
	for i, pair := range n.journal {
		for k := range pair[0] {
			if pair[0][k] != pair[1][k] {
				t.Errorf("interrupted journal, column %d: chunk %d proven %v but its ciphertext uploaded %v", i, k, pair[0][k], pair[1][k])
			}
			if pair[0][k] {
				done++
			}
		}
	}
	if done < 1 || n.pub.Reused != 2*done {
		t.Errorf("the interrupted publish journalled %d input chunks, the resumed one reused %d chunks and ciphertexts; want at least 1 and twice as many", done, n.pub.Reused)
	}
	for i, col := range n.ds.Columns {
		if n.pub.Circuits[i] != id || col.Kind != rights.CircuitInputHistogram || col.ChunkSize != inputSlots || col.Width != inputWidth {
			t.Errorf("column %s: circuit %s, kind %q, chunk size %d, width %d; want %s", col.Name, n.pub.Circuits[i], col.Kind, col.ChunkSize, col.Width, id)
		}
		if len(col.Chunks) != wantChunks || len(col.Ciphertexts) != wantChunks {
			t.Fatalf("column %s: %d chunks, %d ciphertexts; want %d of each", col.Name, len(col.Chunks), len(col.Ciphertexts), wantChunks)
		}
		for j, ch := range col.Chunks {
			ct, err := storage.GetBytes(ctx, n.s.Bucket, storage.Digest(col.Ciphertexts[j]))
			if err != nil {
				t.Fatalf("column %s ciphertext %d: %v", col.Name, j, err)
			}
			if d := sha256.Sum256(ct); d != col.Ciphertexts[j] {
				t.Fatalf("column %s ciphertext %d: stored bytes hash to %x, listed as %s", col.Name, j, d, col.Ciphertexts[j])
			}
			claim := InputClaim(n.ds.Rows, &col, j, committee.Keys[0], n.ds.Holder)
			claim.Histogram = columnHistogramClaim(t, n.ds, &col, j)
			if want := uint64(min(inputSlots, inputRows-j*inputSlots)); claim.Rows != want {
				t.Errorf("column %s chunk %d: claim of %d rows, want %d", col.Name, j, claim.Rows, want)
			}
			if err := (Verifier{}).VerifyInput(circuit.VK, claim, ch.Proof); err != nil {
				t.Errorf("column %s chunk %d: VerifyInput = %v", col.Name, j, err)
			}
			// The same proof does not verify for a claim of one row fewer: the rows are proven.
			claim.Rows--
			if err := (Verifier{}).VerifyInput(circuit.VK, claim, ch.Proof); err == nil {
				t.Errorf("column %s chunk %d: verified with a row count one short", col.Name, j)
			}
		}
	}
	if err := VerifyDatasetCommitment(n.ds); err != nil {
		t.Error(err)
	}
	// The regulator's audit verifies the input proofs again, against the committee's key.
	audit, err := n.s.Audit(ctx, "regulator")
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, a := range audit.Datasets {
		if a.ID != n.ds.ID {
			continue
		}
		audited = true
		if !a.ProofVerified || a.Chunks != 2*wantChunks {
			t.Errorf("audit of %s: proofs verified %v over %d chunks, want true over %d; problems %v", a.ID, a.ProofVerified, a.Chunks, 2*wantChunks, audit.Problems)
		}
	}
	if !audited {
		t.Errorf("the audit does not list dataset %s", n.ds.ID)
	}

	mustKey(t, n.home, "buyer1", rights.RoleBuyer)
	g, err := n.s.RequestGrant(ctx, GrantRequest{From: "buyer1", Datasets: []string{n.ds.ID}, Ops: []rights.Op{rights.OpSum},
		Columns: []string{"income"}, Uses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.s.ActOnGrant(ctx, "owner1", g.ID, Approve, ""); err != nil {
		t.Fatal(err)
	}
	res, err := n.s.Compute(ctx, ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpSum, Columns: []string{"income"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := plaintextAnswer(rights.OpSum, "income", n.tab.Schema, []*Table{n.tab}); res.Result != want {
		t.Errorf("sum(income) over the input columns = %s, want %s", res.Result, want)
	}
}

// attacker is a second owner on the shared devnet, with the tools an owner has: the committee's
// public key, the chain's parameters, the registered input circuits' proving keys (the column
// side's and the frequency table's), and the honest listing's public columns and stored
// ciphertexts.
type attacker struct {
	n      *inputNet
	name   string
	key    *Key
	params heint.Parameters
	pk     *rlwe.PublicKey
	prover *zk.InputProver // the input circuit with the histogram column side
	table  *zk.InputProver // the frequency-table circuit
	keyID  rights.Digest
}

// prove proves values of column col for a ciphertext with the column-side circuit, at an α of
// the attacker's own drawing (a plain input proof needs none; any α >= N proves).
func (a *attacker) prove(values []int64, col ColumnSchema, w circuits.EncryptionWitness, polys []circuits.GroupPolys, binding fr.Element) (zk.InputProof, error) {
	bin, err := mpc.DefaultBin(col.Min, col.Max, inputSlots)
	if err != nil {
		return zk.InputProof{}, err
	}
	var alpha fr.Element
	alpha.SetUint64(1 << 40)
	salt, err := new(fr.Element).SetRandom()
	if err != nil {
		return zk.InputProof{}, err
	}
	return a.prover.ProveHistogram(values, col.Min, col.Max, *salt, w, polys, binding, circuits.HistogramStatement{Alpha: alpha, Min: col.Min, Bin: bin})
}

func newAttacker(t *testing.T, ctx context.Context, n *inputNet, name string) *attacker {
	t.Helper()
	mustKey(t, n.home, name, rights.RoleOwner)
	k, err := n.s.Key(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.s.Register(ctx, k); err != nil {
		t.Fatal(err)
	}
	params, err := mpc.NewParamsFor(inputSlots)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := n.s.CommitteePublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	committee, err := client.Get[rights.Committee](ctx, n.s.Chain, "")
	if err != nil {
		t.Fatal(err)
	}
	provers := n.attackProvers(t, ctx)
	return &attacker{n: n, name: name, key: k, params: params, pk: pk, prover: provers[0], table: provers[1], keyID: committee.Keys[0]}
}

// attackProvers loads, once per devnet, the provers of the registered column-side and
// frequency-table circuits from their proving keys in storage, as any owner can.
func (n *inputNet) attackProvers(t *testing.T, ctx context.Context) [2]*zk.InputProver {
	t.Helper()
	n.proversOnce.Do(func() {
		for i, kind := range []rights.CircuitKind{rights.CircuitInputHistogram, rights.CircuitFrequencyTable} {
			c, err := client.Get[rights.Circuit](ctx, n.s.Chain, rights.KindCircuitID(kind, inputSlots, inputWidth))
			if err != nil {
				n.proversErr = err
				return
			}
			pkBytes, err := storage.GetBytes(ctx, n.s.Bucket, storage.Digest(c.PK))
			if err != nil {
				n.proversErr = err
				return
			}
			lay, err := KindLayout(kind, inputSlots, inputWidth)
			if err != nil {
				n.proversErr = err
				return
			}
			if n.provers[i], n.proversErr = zk.NewInputProver(lay, pkBytes); n.proversErr != nil {
				return
			}
		}
	})
	if n.proversErr != nil {
		t.Fatal(n.proversErr)
	}
	return n.provers
}

// list submits the honest listing's columns, after edit, as the attacker's own dataset.
func (a *attacker) list(ctx context.Context, name string, edit func(cols []rights.Column)) error {
	cols := make([]rights.Column, len(a.n.ds.Columns))
	for i, c := range a.n.ds.Columns {
		c.Ciphertexts = append([]rights.Digest(nil), c.Ciphertexts...)
		c.Chunks = append([]rights.Chunk(nil), c.Chunks...)
		cols[i] = c
	}
	edit(cols)
	man, err := storage.PutBytes(ctx, a.n.s.Bucket, []byte(`{"format":"dxp-dataset/2","name":"`+name+`"}`))
	if err != nil {
		return err
	}
	_, err = a.n.s.Chain.Submit(ctx, a.key.Private, rights.Msg{RegisterDataset: &rights.RegisterDataset{Name: name,
		Rows: a.n.ds.Rows, Price: 1, KeyEpoch: a.n.ds.KeyEpoch, Manifest: rights.Digest(man), Columns: cols}})
	return err
}

// refused checks that err is the chain refusing a bad proof in column col, chunk j, and that the
// attacker holds nothing and paid nothing for it.
func (a *attacker) refused(t *testing.T, ctx context.Context, what string, err error, col string, j int, before *rights.Party) {
	t.Helper()
	var te *rights.TxError
	if !errors.As(err, &te) || te.Code != rights.CodeBadProof || !strings.Contains(te.Log, fmt.Sprintf("column %q chunk %d", col, j)) {
		t.Errorf("%s: listing = %v, want refused with CodeBadProof naming column %q chunk %d", what, err, col, j)
	}
	held, err := client.ListBy[rights.Dataset](ctx, a.n.s.Chain, "holder", string(a.key.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 0 {
		t.Errorf("%s: the attacker holds %d datasets, want none", what, len(held))
	}
	after, err := client.Get[rights.Party](ctx, a.n.s.Chain, string(a.key.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if after.Balance != before.Balance || after.FeesPaid != before.FeesPaid {
		t.Errorf("%s: the attacker's balance went %d -> %d and fees %d -> %d; a refused listing costs nothing on a devnet (fee 0)",
			what, before.Balance, after.Balance, before.FeesPaid, after.FeesPaid)
	}
}

func (a *attacker) party(t *testing.T, ctx context.Context) *rights.Party {
	t.Helper()
	p, err := client.Get[rights.Party](ctx, a.n.s.Chain, string(a.key.Address()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAttackCraftedCiphertextListing is issue 15's key-extraction attack at listing time: an
// owner uploads the "ciphertext" (0, K·X^-j), K = 2^180, whose decryption is K·s_j (a coefficient
// of the collective secret key times a huge factor), in place of a column's first ciphertext, and
// lists it with the honest proof of the real ciphertext. The chain refuses the listing naming the
// column and chunk. Nor can the owner make any proof for it: the prover refuses the crafted
// ciphertext with the real witness and with a zero witness (no small u, e0, e1 give c0 = 0 and
// c1 = K·X^-j).
func TestAttackCraftedCiphertextListing(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a := newAttacker(t, ctx, n, "crafter")
	before := a.party(t, ctx)

	const j = 1
	level := mpc.InputLevel
	rq := a.params.RingQ().AtLevel(level)
	K := new(big.Int).Lsh(big.NewInt(1), 180)
	c1 := rq.NewPoly()
	// X^-j = -X^(N-j) in Z_q[X]/(X^N+1).
	for i, sub := range rq.SubRings[:level+1] {
		k := new(big.Int).Mod(K, new(big.Int).SetUint64(sub.Modulus)).Uint64()
		c1.Coeffs[i][a.params.N()-j] = (sub.Modulus - k) % sub.Modulus
	}
	rq.NTT(c1, c1)
	ct := heint.NewCiphertext(a.params, 1, level)
	ct.Value[1].CopyLvl(level, c1)
	crafted, err := ct.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	d, err := storage.PutBytes(ctx, n.s.Bucket, crafted)
	if err != nil {
		t.Fatal(err)
	}

	err = a.list(ctx, "crafted", func(cols []rights.Column) { cols[0].Ciphertexts[0] = rights.Digest(d) })
	a.refused(t, ctx, "crafted ciphertext with the honest proof", err, n.ds.Columns[0].Name, 0, before)

	key, err := mpc.NewProofKey(a.params, a.pk, level)
	if err != nil {
		t.Fatal(err)
	}
	polys, err := key.Polys(crafted)
	if err != nil {
		t.Fatalf("the crafted ciphertext is well-formed lattigo bytes, yet Polys = %v", err)
	}
	values := n.tab.Values[0][:inputSlots]
	col := n.tab.Schema.Columns[0]
	binding := zk.Binding(a.keyID[:], level, sha256.Sum256(crafted), []byte(a.key.Address()))
	honest, err := mpc.EncryptProvable(a.params, a.pk, values, level)
	if err != nil {
		t.Fatal(err)
	}
	zero := mpc.EncryptionWitness{U: make([]int64, a.params.N()), E0: make([]int64, a.params.N()), E1: make([]int64, a.params.N()),
		M: honest[0].Witness.M}
	for name, w := range map[string]mpc.EncryptionWitness{"an honest encryption's witness": honest[0].Witness, "a zero witness": zero} {
		if _, err := a.prove(values, col, InputWitness(w), InputGroupPolys(polys), binding); err == nil {
			t.Errorf("proved the crafted ciphertext with %s", name)
		}
	}
}

// TestAttackMaskedVictimCiphertext is issue 15's row-extraction attack: from the honest owner's
// public ciphertext ct, an attacker builds ct·mask − ct (mask one in a single slot: a pooled sum
// then isolates a victim's row) with no key, and lists it under the victim's proof, commitment and
// evaluations. The chain refuses it, naming the column and chunk.
func TestAttackMaskedVictimCiphertext(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a := newAttacker(t, ctx, n, "masker")
	before := a.party(t, ctx)

	victim, err := storage.GetBytes(ctx, n.s.Bucket, storage.Digest(n.ds.Columns[1].Ciphertexts[0]))
	if err != nil {
		t.Fatal(err)
	}
	ct := rlwe.NewCiphertext(a.params, 1, mpc.InputLevel)
	if err := ct.UnmarshalBinary(victim); err != nil {
		t.Fatal(err)
	}
	mask := make([]int64, a.params.MaxSlots())
	mask[7] = 1
	pt := heint.NewPlaintext(a.params, ct.Level())
	if err := heint.NewEncoder(a.params).Encode(mask, pt); err != nil {
		t.Fatal(err)
	}
	eval := heint.NewEvaluator(a.params, nil)
	masked, err := eval.MulNew(ct, pt)
	if err != nil {
		t.Fatal(err)
	}
	if err := eval.Sub(masked, ct, masked); err != nil {
		t.Fatal(err)
	}
	b, err := masked.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	d, err := storage.PutBytes(ctx, n.s.Bucket, b)
	if err != nil {
		t.Fatal(err)
	}
	err = a.list(ctx, "masked", func(cols []rights.Column) { cols[1].Ciphertexts[0] = rights.Digest(d) })
	// The victim's proofs are bound to the victim (the holder is in the binding), so the chain
	// refuses the listing at its first column's first chunk, before it reaches the masked one;
	// the masked ciphertext's own chunk would fail on its digest as well (TestAttackOneValueChanged
	// shows a changed ciphertext under the attacker's own binding refused).
	a.refused(t, ctx, "masked victim ciphertext with the victim's proof", err, n.ds.Columns[0].Name, 0, before)
}

// TestAttackOneValueChanged: an owner commits to a chunk's values but encrypts them with one value
// changed (the committed sum is then not the computed one). With the changed ciphertext's witness
// the prover refuses the committed values; and listing the changed ciphertext under the honest
// proof of the committed values (the ciphertexts of the two differ only in that value) is refused
// by the chain, naming the column and chunk.
func TestAttackOneValueChanged(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a := newAttacker(t, ctx, n, "changer")
	before := a.party(t, ctx)

	col := n.tab.Schema.Columns[0]
	values := n.tab.Values[0][:inputSlots]
	changed := append([]int64(nil), values...)
	changed[100] = col.Max
	if changed[100] == values[100] {
		changed[100] = col.Min
	}
	cts, err := mpc.EncryptProvable(a.params, a.pk, changed, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	key, err := mpc.NewProofKey(a.params, a.pk, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	polys, err := key.Polys(cts[0].Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	binding := zk.Binding(a.keyID[:], mpc.InputLevel, sha256.Sum256(cts[0].Ciphertext), []byte(a.key.Address()))
	if _, err := a.prove(values, col, InputWitness(cts[0].Witness), InputGroupPolys(polys), binding); err == nil {
		t.Error("proved the committed values for a ciphertext of other values")
	}
	// The changed ciphertext's own proof exists (it commits to the changed values): the control
	// that the attack below fails for the binding, not for a broken proof.
	if _, err := a.prove(changed, col, InputWitness(cts[0].Witness), InputGroupPolys(polys), binding); err != nil {
		t.Fatalf("proving the changed values for their own ciphertext: %v", err)
	}
	d, err := storage.PutBytes(ctx, n.s.Bucket, cts[0].Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	err = a.list(ctx, "changed", func(cols []rights.Column) { cols[0].Ciphertexts[0] = rights.Digest(d) })
	a.refused(t, ctx, "ciphertext of a changed value under the committed values' proof", err, col.Name, 0, before)
}

// TestAttackRelistVictimCiphertexts: the degenerate "ciphertext built from another dataset's":
// an owner lists the honest listing's columns verbatim, ciphertexts, commitments, proofs and
// evaluations, as its own dataset, to sell computations on the victim's data under its own
// policy. Before the binding named the holder every proof verified and the copy was listed (and
// attested); now each proof is bound to the address that listed it, so the copy is refused.
func TestAttackRelistVictimCiphertexts(t *testing.T) {
	n := inputDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a := newAttacker(t, ctx, n, "copier")
	err := a.list(ctx, "copied", func([]rights.Column) {})
	var te *rights.TxError
	if !errors.As(err, &te) {
		t.Errorf("relisting another owner's proven ciphertexts verbatim = %v, want refused (the chain must refuse a ciphertext "+
			"another listing holds, or the proof's binding must name the holder)", err)
	}
	held, err := client.ListBy[rights.Dataset](ctx, n.s.Chain, "holder", string(a.key.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 0 {
		t.Errorf("the copier holds %d datasets of the victim's ciphertexts, want none", len(held))
	}
}
