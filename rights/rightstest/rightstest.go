// Package rightstest holds what the tests of the packages around the rights core share: named
// test keys, a devnet genesis, well-formed listings and a chunk proof verifier that accepts every
// proof but BadProof. It mirrors the rights package's own test harness, which its internal tests
// cannot import.
//
// rightstest imports rights; the tests of rights/app, rights/node, rights/client and
// internal/bench import it. Nothing else should.
package rightstest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/dxplabs/dxp/rights"
)

// BadProof is the proof Verifier rejects; every other proof verifies.
var BadProof = []byte("bad proof")

// Verifier is a chunk and input proof verifier that accepts every well-formed call whose proof is not
// BadProof.
type Verifier struct{}

func (Verifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	if bytes.Equal(proof, BadProof) {
		return errors.New("proof is marked bad")
	}
	if len(vk) == 0 || len(commitment) != 32 || min > max {
		return errors.New("verifier called with malformed inputs")
	}
	return nil
}

func (Verifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	if bytes.Equal(proof, BadProof) {
		return errors.New("proof is marked bad")
	}
	if len(vk) == 0 || len(c.Commitment) != 32 || c.Min > c.Max || c.Rows < 1 || c.Rows > c.Slots ||
		c.Key.IsZero() || c.Ciphertext.IsZero() || len(c.Evaluations) == 0 {
		return errors.New("verifier called with malformed inputs")
	}
	return nil
}

// HistogramChallenge models zk.HistogramChallenge: SHA-256 over its inputs, so it changes with any of them.
func (Verifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
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
func (Verifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
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

// The parameters of Genesis.
const (
	ChainID      = "dxp-test"
	Credit       = 1000
	Deadline     = 5
	Modulus      = 1125899908022273
	Slots        = 8
	Chunk        = 4
	Epoch        = 1
	MaxDatasets  = 3
	RegulatorKey = "regulator"
)

// Members are the names of the committee members' keys.
var Members = []string{"m1", "m2", "m3"}

// CeremonyKeys are the digests the members post to finish the key ceremony.
var CeremonyKeys = []rights.Digest{Digest("pk"), Digest("rlk"), Digest("gk")}

// Key returns the test key called name.
func Key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("dxp test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Addr returns the address of the test key called name.
func Addr(name string) rights.Address {
	return rights.AddressOf(Key(name).Public().(ed25519.PublicKey))
}

// Genesis is a devnet genesis with the Members as committee, RegulatorKey as regulator and two
// circuits of chunk size Chunk.
func Genesis() rights.Genesis {
	var members []rights.Member
	for _, m := range Members {
		pub := Key(m).Public().(ed25519.PublicKey)
		members = append(members, rights.Member{Address: rights.AddressOf(pub), PubKey: pub})
	}
	return rights.Genesis{
		ChainID:    ChainID,
		Devnet:     true,
		Regulators: []rights.Address{Addr(RegulatorKey)},
		Committee:  rights.Committee{Members: members, Threshold: 2, Epoch: Epoch, Seed: []byte("seed")},
		Params: rights.Params{
			OpeningCredit:       Credit,
			ComputationDeadline: Deadline,
			PlaintextModulus:    Modulus,
			SlotsPerCiphertext:  Slots,
			MaxGrantDatasets:    MaxDatasets,
			ProductNoiseBudget:  1 << 20,
		},
		Circuits: []rights.Circuit{Circuit(Chunk, 16), Circuit(Chunk, 64)},
	}
}

// SignedTx returns msg signed by key with nonce, encoded.
func SignedTx(t testing.TB, key ed25519.PrivateKey, chainID string, nonce uint64, msg rights.Msg) []byte {
	t.Helper()
	tx := &rights.Tx{ChainID: chainID, Nonce: nonce, Msg: msg}
	if err := rights.Sign(key, tx); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	b, err := rights.EncodeTx(tx)
	if err != nil {
		t.Fatalf("EncodeTx: %v", err)
	}
	return b
}

// Digest is the SHA-256 of s.
func Digest(s string) rights.Digest { return sha256.Sum256([]byte(s)) }

// Commitment is a 32-byte chunk commitment named by s.
func Commitment(s string) []byte {
	d := sha256.Sum256([]byte("commitment " + s))
	return d[:]
}

// Circuit is a devnet circuit of chunk size n and width w.
func Circuit(n uint64, w uint32) rights.Circuit {
	return rights.Circuit{ChunkSize: n, Width: w, VK: []byte(fmt.Sprintf("vk n%d w%d", n, w)), PK: Digest(fmt.Sprintf("pk n%d w%d", n, w)), Setup: rights.InsecureDevnetSetup}
}

// Column builds a well-formed column of rows values, proven with the narrowest test circuit.
func Column(name string, typ rights.ColumnType, scale uint32, min, max int64, rows uint64) rights.Column {
	c := rights.Column{Name: name, Type: typ, Scale: scale, Min: min, Max: max, ChunkSize: Chunk, Width: 16}
	if rights.ColumnWidth(min, max) > 16 {
		c.Width = 64
	}
	for i := uint64(0); i < (rows+Slots-1)/Slots; i++ {
		c.Ciphertexts = append(c.Ciphertexts, Digest(fmt.Sprintf("ct %s %d", name, i)))
	}
	for i := uint64(0); i < (rows+Chunk-1)/Chunk; i++ {
		c.Chunks = append(c.Chunks, rights.Chunk{Commitment: Commitment(fmt.Sprintf("%s %d", name, i)), Proof: []byte("proof")})
	}
	return c
}

// InputColumn is a well-formed integer input column (rights.CircuitInput) of rows values: one
// chunk per ciphertext of Slots values, each with a proof and two CRT groups of evaluations (4
// field elements of 32 bytes per group). Its chain needs an InputCircuit(Slots, 16 or 64).
func InputColumn(name string, min, max int64, rows uint64) rights.Column {
	c := rights.Column{Name: name, Type: rights.TypeInteger, Min: min, Max: max, ChunkSize: Slots, Width: 16, Kind: rights.CircuitInput}
	if rights.ColumnWidth(min, max) > 16 {
		c.Width = 64
	}
	for i := uint64(0); i < (rows+Slots-1)/Slots; i++ {
		c.Ciphertexts = append(c.Ciphertexts, Digest(fmt.Sprintf("ct %s %d", name, i)))
		var ev []byte
		for k := range 8 {
			d := Digest(fmt.Sprintf("evaluation %s %d %d", name, i, k))
			ev = append(ev, d[:]...)
		}
		c.Chunks = append(c.Chunks, rights.Chunk{Commitment: Commitment(fmt.Sprintf("%s %d", name, i)), Proof: []byte("input proof"), Evaluations: ev})
	}
	return c
}

// KindCircuit is a devnet circuit of kind k, chunk size n and width w (an input kind's n must
// be Slots).
func KindCircuit(k rights.CircuitKind, n uint64, w uint32) rights.Circuit {
	return rights.Circuit{Kind: k, ChunkSize: n, Width: w, VK: []byte(fmt.Sprintf("vk %s n%d w%d", k, n, w)),
		PK: Digest(fmt.Sprintf("pk %s n%d w%d", k, n, w)), Setup: rights.InsecureDevnetSetup}
}

// HistogramColumn is a well-formed histogram column (rights.CircuitInputHistogram) of rows
// values: InputColumn whose chunks carry a 32-byte HistogramSum each, with a frequency table of
// Slots bins from min, its proof fields set and its Sum the chunk sums' total modulo 2^256 (as
// Verifier.CheckHistogram adds them). Its chain needs KindCircuit(CircuitInputHistogram, Slots,
// 16 or 64) and KindCircuit(CircuitFrequencyTable, Slots, 8) (up to 255 rows).
func HistogramColumn(name string, min, max int64, rows uint64) rights.Column {
	c := InputColumn(name, min, max, rows)
	c.Kind = rights.CircuitInputHistogram
	total := new(big.Int)
	for j := range c.Chunks {
		s := Digest(fmt.Sprintf("histogram sum %s %d", name, j))
		c.Chunks[j].HistogramSum = s[:]
		total.Add(total, new(big.Int).SetBytes(s[:]))
	}
	total.Mod(total, new(big.Int).Lsh(big.NewInt(1), 256))
	var ev []byte
	for k := range 8 {
		d := Digest(fmt.Sprintf("table evaluation %s %d", name, k))
		ev = append(ev, d[:]...)
	}
	c.Frequencies = &rights.FrequencyTable{Table: Digest("table " + name), Min: min, Bin: (max - min + Slots) / Slots,
		Width: 8, Commitment: Commitment("table " + name), Proof: []byte("table proof"), Evaluations: ev, Sum: total.FillBytes(make([]byte, 32))}
	return c
}

// Listing is a RegisterDataset of cols named name, with rows rows at price.
func Listing(name string, rows, price uint64, cols ...rights.Column) *rights.RegisterDataset {
	return &rights.RegisterDataset{
		Name:        name,
		Description: "test data " + name,
		Columns:     cols,
		Rows:        rows,
		Price:       price,
		Manifest:    Digest("manifest " + name),
		KeyEpoch:    Epoch,
	}
}

// Verdict is a committee member's valid verdict on the stored inputs of pending dataset id
// (Threshold of them list it).
func Verdict(id string) rights.Msg {
	return rights.Msg{AttestInputs: &rights.AttestInputs{Dataset: id, Valid: true}}
}

// Output is a member's SubmitOutput of digest d for computation id.
func Output(id string, d rights.Digest) rights.Msg {
	return rights.Msg{SubmitOutput: &rights.SubmitOutput{Computation: id, Output: d}}
}

// NoisyOutput is a member's SubmitOutput of digest d with its noise dealing digest noise, for a
// computation with DP noise.
func NoisyOutput(id string, d, noise rights.Digest) rights.Msg {
	return rights.Msg{SubmitOutput: &rights.SubmitOutput{Computation: id, Output: d, Noise: noise}}
}

// Share is a member's SubmitShare of digest d for computation id.
func Share(id string, d rights.Digest) rights.Msg {
	return rights.Msg{SubmitShare: &rights.SubmitShare{Computation: id, Share: d}}
}

// CheckStore runs the writes every rights.Store must take on s, an empty store, and expects the
// reads every Store gives, in order.
func CheckStore(t *testing.T, s rights.Store) {
	t.Helper()
	for _, k := range []string{"a/1", "a/3", "a/5", "b/1", "a/"} {
		if err := s.Set([]byte(k), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := s.Iterate([]byte("a/"), func(k, v []byte) bool {
		got = append(got, string(k)+"="+string(v))
		return true
	}); err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	if !slices.Equal(got, []string{"a/=va/", "a/1=va/1", "a/3=va/3", "a/5=va/5"}) {
		t.Errorf("Iterate(a/) = %v", got)
	}
	if v, err := s.Get([]byte("zz")); err != nil || v != nil {
		t.Errorf("Get(absent) = %q, %v", v, err)
	}
	if err := s.Set([]byte("k"), nil); err == nil {
		t.Errorf("Set(nil value) accepted")
	}
}

// InputCircuit is a devnet input circuit (rights.CircuitInput) of chunk size n, which must be the
// chain's SlotsPerCiphertext, and width w.
func InputCircuit(n uint64, w uint32) rights.Circuit {
	c := Circuit(n, w)
	c.Kind = rights.CircuitInput
	c.VK = []byte(fmt.Sprintf("vk input n%d w%d", n, w))
	c.PK = Digest(fmt.Sprintf("pk input n%d w%d", n, w))
	return c
}
