package marketplace

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/storage/fs"
	"github.com/dxplabs/dxp/zk"
)

// This file tests the committee members' check of input proofs with real lattigo ciphertexts and
// real gnark proofs, at the devnet's smallest ring (N = 1,024, mpc.NewParamsFor: insecure, test
// only) and a width-8 column. It is an internal test: the member's task is built by the board's
// inputTask from the dataset the chain stores, and checked by mpc.ListingChecker (what
// mpc.Member runs before posting its verdict; mpc's tests cover the verdict's posting) with this
// package's InputChecker.

const (
	memberTestSlots = 1024
	memberTestWidth = 8
	memberTestMin   = 0
	memberTestMax   = 1<<memberTestWidth - 1
)

// inputOwner proves input chunks as an owner does, and as an attacker may: with the polynomials,
// witness and binding of its choosing.
type inputOwner struct {
	t         *testing.T
	params    heint.Parameters
	prover    *zk.InputProver
	vk        []byte
	keyDigest rights.Digest // the committee's public key object
	holder    rights.Address
}

// prove proves values (one chunk) with the witness and polynomials of ct, encrypted under pk, and
// binds the proof to the committee's key and the ciphertext stored under digest stored.
func (o *inputOwner) prove(values []int64, pk *rlwe.PublicKey, ct mpc.ProvableCiphertext, stored rights.Digest) rights.Chunk {
	o.t.Helper()
	key, err := mpc.NewProofKey(o.params, pk, mpc.InputLevel)
	if err != nil {
		o.t.Fatal(err)
	}
	gp, err := key.Polys(ct.Ciphertext)
	if err != nil {
		o.t.Fatal(err)
	}
	polys := make([]circuits.GroupPolys, len(gp))
	for g, p := range gp {
		polys[g] = circuits.GroupPolys{C0: p.C0, C1: p.C1, P0: p.P0, P1: p.P1}
	}
	w := circuits.EncryptionWitness{U: ct.Witness.U, E0: ct.Witness.E0, E1: ct.Witness.E1, M: ct.Witness.M}
	binding := zk.Binding(o.keyDigest[:], mpc.InputLevel, stored, []byte(o.holder))
	ip, err := o.prover.Prove(values, memberTestMin, memberTestMax, w, polys, binding)
	if err != nil {
		o.t.Fatalf("Prove: %v", err)
	}
	commitment := ip.Commitment.Bytes()
	return rights.Chunk{Commitment: commitment[:], Proof: ip.Proof, Evaluations: EncodeEvaluations(ip.Evaluations)}
}

// chainAccepts checks chunk j of col as the chain does (Verifier.VerifyInput) for a dataset of
// rows rows.
func (o *inputOwner) chainAccepts(col *rights.Column, j int, rows uint64) error {
	ch := col.Chunks[j]
	return Verifier{}.VerifyInput(o.vk, &rights.InputClaim{Slots: memberTestSlots, Width: col.Width, Commitment: ch.Commitment,
		Min: col.Min, Max: col.Max, Rows: min(memberTestSlots, rows-uint64(j)*memberTestSlots), Key: o.keyDigest, Holder: o.holder,
		Ciphertext: col.Ciphertexts[j], Evaluations: ch.Evaluations}, ch.Proof)
}

func randomValues(t *testing.T, n int) []int64 {
	t.Helper()
	v := make([]int64, n)
	for i := range v {
		x, err := rand.Int(rand.Reader, big.NewInt(memberTestMax-memberTestMin+1))
		if err != nil {
			t.Fatal(err)
		}
		v[i] = memberTestMin + x.Int64()
	}
	return v
}

// TestAttackEvaluationsNotOfStoredCiphertext: the circuit sees the ciphertext and the key only
// through their evaluations at γ, so an owner can prove the relation for polynomials of its
// choosing, bind the proof to the ciphertext it stores and list those polynomials' evaluations:
// the chain's check (VerifyInput) passes. Built as an attacker would, on chunk 1 of a two-chunk
// column whose chunk 0 is honest, with its committed values the real chunk's: "fake-key" proves
// an encryption under a key pair of its own (the listed P evaluations are not the committee
// key's), "swapped" proves an honest encryption under the committee's key but stores and binds
// another one, of the same values but one changed (the listed C evaluations are not the stored
// ciphertext's). A member refuses both, naming the column and the ciphertext; the honest listing's
// check passes.
func TestAttackEvaluationsNotOfStoredCiphertext(t *testing.T) {
	ctx := context.Background()
	params, err := mpc.NewParamsFor(memberTestSlots)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	objs := BucketObjects(bucket)
	put := func(b []byte) rights.Digest {
		d, err := objs.Put(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// The committee's collective key: a key pair stands in for the ceremony's (the check reads
	// only the public key object).
	_, committeePK := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	pkBytes, err := committeePK.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	keyDigest := put(pkBytes)
	if keyDigest != sha256.Sum256(pkBytes) {
		t.Fatal("the storage digest is not the key's SHA-256")
	}

	lay, err := InputLayout(memberTestSlots, memberTestWidth)
	if err != nil {
		t.Fatal(err)
	}
	provingKey, vk, err := zk.SetupInputInsecure(lay)
	if err != nil {
		t.Fatal(err)
	}
	prover, err := zk.NewInputProver(lay, provingKey)
	if err != nil {
		t.Fatal(err)
	}
	owner := &inputOwner{t: t, params: params, prover: prover, vk: vk, keyDigest: keyDigest, holder: "0123456789abcdef0123456789abcdef01234567"}

	// The honest listing: 1,124 rows, two ciphertexts (1,024 and 100 real rows).
	const rows = memberTestSlots + 100
	values := randomValues(t, rows)
	cts, err := mpc.EncryptProvable(params, committeePK, values, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	column := func(ciphertexts []rights.Digest, chunks []rights.Chunk) rights.Column {
		return rights.Column{Name: "age", Type: rights.TypeInteger, Min: memberTestMin, Max: memberTestMax, Ciphertexts: ciphertexts,
			ChunkSize: memberTestSlots, Width: memberTestWidth, Kind: rights.CircuitInput, Chunks: chunks}
	}
	var stored []rights.Digest
	var chunks []rights.Chunk
	for j, ct := range cts {
		d := put(ct.Ciphertext)
		stored = append(stored, d)
		chunks = append(chunks, owner.prove(values[j*memberTestSlots:min(rows, (j+1)*memberTestSlots)], committeePK, ct, d))
	}
	honest := column(stored, chunks)

	// The attacks: chunk 1's committed values are the real ones; the stored ciphertext is a
	// well-formed encryption under the committee's key of the same values but one changed.
	chunk1 := values[memberTestSlots:]
	other := append([]int64(nil), chunk1...)
	other[7] = (other[7] + 1) % (memberTestMax + 1)
	otherCT, err := mpc.EncryptProvable(params, committeePK, other, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	forgedDigest := put(otherCT[0].Ciphertext)
	_, attackerPK := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	underOwnKey, err := mpc.EncryptProvable(params, attackerPK, chunk1, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	fakeKey := column([]rights.Digest{stored[0], forgedDigest}, []rights.Chunk{chunks[0], owner.prove(chunk1, attackerPK, underOwnKey[0], forgedDigest)})
	swapped := column([]rights.Digest{stored[0], forgedDigest}, []rights.Chunk{chunks[0], owner.prove(chunk1, committeePK, cts[1], forgedDigest)})

	checker, err := mpc.NewListingChecker(params, objs, InputChecker{})
	if err != nil {
		t.Fatal(err)
	}
	listings := map[string]struct {
		col  rights.Column
		want string // "" valid, else the verdict's start
	}{
		"honest":   {honest, ""},
		"fake-key": {fakeKey, "column age ciphertext 1 (" + forgedDigest.String()[:12] + "): its input proof's listed evaluations do not hold"},
		"swapped":  {swapped, "column age ciphertext 1 (" + forgedDigest.String()[:12] + "): its input proof's listed evaluations do not hold"},
	}
	for name, l := range listings {
		for j := range l.col.Chunks {
			if err := owner.chainAccepts(&l.col, j, rows); err != nil {
				t.Fatalf("%s: the chain refuses chunk %d: %v; the attack needs a proof the chain accepts", name, j, err)
			}
		}
		task := inputTask(&rights.Dataset{ID: name, Holder: owner.holder, Rows: rows, Columns: []rights.Column{l.col}, Status: rights.DatasetPending}, keyDigest)
		reason, err := checker.Check(ctx, &task)
		if err != nil {
			t.Fatalf("%s: Check: %v", name, err)
		}
		switch {
		case l.want == "" && reason != "":
			t.Errorf("%s: verdict %q, want valid", name, reason)
		case l.want != "" && !strings.HasPrefix(reason, l.want):
			t.Errorf("%s: verdict %q, want one starting %q", name, reason, l.want)
		}
	}
}

// TestInputTaskRows: the board's task gives chunk j of an input column min(N, rows − j·N) real
// rows (0 past the dataset's rows, which no statement allows), the key the proofs are bound to,
// and the column's proof kind; a column of chunk proofs carries no input proofs.
func TestInputTaskRows(t *testing.T) {
	key := rights.Digest{7}
	d := &rights.Dataset{ID: "ds", Rows: 2*memberTestSlots + 2, Columns: []rights.Column{
		{Name: "a", Kind: rights.CircuitInput, ChunkSize: memberTestSlots, Width: 3, Min: -1, Max: 5,
			Ciphertexts: make([]rights.Digest, 4), Chunks: []rights.Chunk{{Proof: []byte{0}}, {Proof: []byte{1}}, {Proof: []byte{2}}, {Proof: []byte{3}}}},
		{Name: "b", ChunkSize: 16, Width: 3, Ciphertexts: make([]rights.Digest, 1), Chunks: make([]rights.Chunk, 200)},
		{Name: "c", Kind: "plonk", Ciphertexts: make([]rights.Digest, 1)},
	}}
	task := inputTask(d, key)
	if task.InputKey != key || task.Phase != mpc.PhaseInputs || len(task.Inputs) != 3 {
		t.Fatalf("task key %x, phase %q, %d input sets; want %x, %q, 3", task.InputKey[:2], task.Phase, len(task.Inputs), key[:2], mpc.PhaseInputs)
	}
	a := task.Inputs[0]
	if a.Kind != mpc.ProofKindInput || a.Width != 3 || a.Min != -1 || a.Max != 5 || len(a.Chunks) != 4 {
		t.Fatalf("input column %+v, want kind %q, width 3, bounds [-1, 5] and 4 chunks", a, mpc.ProofKindInput)
	}
	for j, want := range []uint64{memberTestSlots, memberTestSlots, 2, 0} {
		if got := a.Chunks[j].Rows; got != want || a.Chunks[j].Proof[0] != byte(j) {
			t.Errorf("chunk %d: %d rows (proof %d), want %d (proof %d)", j, got, a.Chunks[j].Proof[0], want, j)
		}
	}
	if b := task.Inputs[1]; b.Kind != "" || b.Chunks != nil {
		t.Errorf("chunk-proof column: kind %q with %d chunks, want none", b.Kind, len(b.Chunks))
	}
	if c := task.Inputs[2]; c.Kind != "plonk" {
		t.Errorf("unknown kind passed on as %q, want %q (the member refuses to judge it)", c.Kind, "plonk")
	}
}

// TestInputTaskHistogram: the board's task gives a histogram input column (CircuitInputHistogram)
// the member's histogram kind, its chunks as an input column's, and its frequency table's proof
// with the dataset's rows as the counts' bound; one without a table gets none, which the member
// refuses (mpc's TestHistogramInputsReachTheChecker).
func TestInputTaskHistogram(t *testing.T) {
	table := &rights.FrequencyTable{Table: rights.Digest{9}, Min: -1, Bin: 1, Width: 11, Commitment: []byte{1}, Proof: []byte{2}, Evaluations: []byte{3}, Sum: []byte{4}}
	col := rights.Column{Name: "a", Kind: rights.CircuitInputHistogram, ChunkSize: memberTestSlots, Width: 3, Min: -1, Max: 5,
		Ciphertexts: make([]rights.Digest, 2), Chunks: []rights.Chunk{{Proof: []byte{0}}, {Proof: []byte{1}}}, Frequencies: table}
	bare := col
	bare.Name, bare.Frequencies = "b", nil
	d := &rights.Dataset{ID: "ds", Rows: memberTestSlots + 2, Lister: "lister", Columns: []rights.Column{col, bare}}
	task := inputTask(d, rights.Digest{7})
	a := task.Inputs[0]
	if a.Kind != mpc.ProofKindInputHistogram || a.Width != 3 || a.Min != -1 || a.Max != 5 || len(a.Chunks) != 2 || a.Chunks[1].Rows != 2 {
		t.Fatalf("histogram input column %+v, want kind %q, width 3, bounds [-1, 5] and 2 chunks, the second of 2 rows", a, mpc.ProofKindInputHistogram)
	}
	want := mpc.InputTable{Width: 11, Max: memberTestSlots + 2, Commitment: table.Commitment, Proof: table.Proof, Evaluations: table.Evaluations}
	if a.Table == nil || !reflect.DeepEqual(*a.Table, want) || task.Tables[0] != table.Table {
		t.Errorf("table proof %+v and ciphertext %x, want %+v and %x", a.Table, task.Tables[0][:2], want, table.Table[:2])
	}
	if b := task.Inputs[1]; b.Kind != mpc.ProofKindInputHistogram || b.Table != nil || task.Tables[1] != ([32]byte{}) {
		t.Errorf("a histogram input column without a table: kind %q, table proof %+v, ciphertext %x; want %q and none", b.Kind, b.Table, task.Tables[1][:2], mpc.ProofKindInputHistogram)
	}
	if task.InputHolder != "lister" {
		t.Errorf("task holder %q, want the lister", task.InputHolder)
	}
}

// BenchmarkMemberInputCheck measures a member's check of one ciphertext at DXP's ring (N =
// 16,384, mpc.InputLevel, two CRT groups): the T-scaled polynomials of the stored ciphertext
// (ProofKey.Polys; the key's half, NewProofKey, is made once per key and reported as
// proofkey-ms) and their evaluation, with the key's, at
// γ (what zk.CheckInputEvaluations computes besides parsing the proof and hashing γ, both
// microseconds to a millisecond). No proof is needed for the cost, so γ is drawn at random:
//
//	go test -run - -bench MemberInputCheck -benchtime 3x ./marketplace/
func BenchmarkMemberInputCheck(b *testing.B) {
	params, err := mpc.NewParams()
	if err != nil {
		b.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	cts, err := mpc.EncryptProvable(params, pk, make([]int64, params.N()), mpc.InputLevel)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	key, err := mpc.NewProofKey(params, pk, mpc.InputLevel)
	if err != nil {
		b.Fatal(err)
	}
	keyTime := time.Since(start)
	lay, err := InputLayout(uint64(params.N()), 32)
	if err != nil {
		b.Fatal(err)
	}
	var gamma fr.Element
	if _, err := gamma.SetRandom(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		gp, err := key.Polys(cts[0].Ciphertext)
		if err != nil {
			b.Fatal(err)
		}
		polys := make([]circuits.GroupPolys, len(gp))
		for g, p := range gp {
			polys[g] = circuits.GroupPolys{C0: p.C0, C1: p.C1, P0: p.P0, P1: p.P1}
		}
		if _, err := lay.Encryption.Evaluate(polys, gamma); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(keyTime.Milliseconds()), "proofkey-ms") // once per committee key
}
