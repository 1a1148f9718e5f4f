package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/zk"
)

// testRawRing is an INSECURE ring of 64 slots with DXP's moduli and T, so that the baseline's
// circuits compile and set up in seconds.
func testRawRing(t *testing.T) (rawKey, circuits.InputLayout) {
	t.Helper()
	params, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
		LogN: 6, LogQ: []int{56, 55, 55, 54, 54, 54}, LogP: []int{55, 55}, PlaintextModulus: mpc.PlaintextModulus,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	b, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	groups, err := mpc.CRTGroups(params, mpc.InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	var moduli []*big.Int
	for _, g := range groups {
		moduli = append(moduli, g.Modulus)
	}
	bound, err := mpc.ErrorBound(params)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := circuits.NewEncryptionLayout(params.N(), moduli, params.PlaintextModulus(), uint64(bound), true)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := mpc.SlotRoots(params)
	if err != nil {
		t.Fatal(err)
	}
	link, err := circuits.NewSlotLink(params.PlaintextModulus(), roots)
	if err != nil {
		t.Fatal(err)
	}
	lay, err := circuits.NewInputLayout(16, enc, link)
	if err != nil {
		t.Fatal(err)
	}
	return rawKey{Params: params, PublicKey: pk, Digest: sha256.Sum256(b), Holder: []byte("owner")}, lay
}

// TestRawProveColumn: the baseline's proofs are real: every proof of a plain input column and of
// a histogram column with its frequency table (100 rows over two ciphertexts of 64 slots)
// verifies with zk's verifier, the histogram sums add up, and a value outside the bounds or
// a cancelled context is refused.
func TestRawProveColumn(t *testing.T) {
	key, plain := testRawRing(t)
	n := plain.Chunk.N
	values := make([]int64, 100)
	for i := range values {
		values[i] = int64(i*i) % 60000
	}
	ctx := context.Background()
	setup := func(lay circuits.InputLayout) ([]byte, []byte) {
		pk, vk, err := zk.SetupInputInsecure(lay)
		if err != nil {
			t.Fatal(err)
		}
		return pk, vk
	}

	pk, vk := setup(plain)
	var proofs []rawProof
	if _, err := rawProveColumn(ctx, key, rawColumn{Values: values, Min: 0, Max: 60000, Layout: plain, PK: pk}, 2,
		func(p rawProof) { proofs = append(proofs, p) }); err != nil {
		t.Fatalf("plain column: %v", err)
	}
	if len(proofs) != 2 {
		t.Fatalf("plain column: %d proofs, want 2", len(proofs))
	}
	for i, p := range proofs {
		if err := zk.VerifyInput(vk, plain, p.Statement, p.Evaluations, p.Proof); err != nil {
			t.Errorf("plain proof %d: VerifyInput = %v", i, err)
		}
	}

	column, err := plain.WithHistogramColumn(n)
	if err != nil {
		t.Fatal(err)
	}
	table, err := plain.WithHistogramTable()
	if err != nil {
		t.Fatal(err)
	}
	colPK, colVK := setup(column)
	tabPK, tabVK := setup(table)
	proofs = nil
	col := rawColumn{Values: values, Min: 0, Max: 60000, Layout: column, PK: colPK,
		Table: &rawTable{Min: 0, Bin: 1000, Layout: table, PK: tabPK, Context: []byte("bench")}}
	if _, err := rawProveColumn(ctx, key, col, 1, func(p rawProof) { proofs = append(proofs, p) }); err != nil {
		t.Fatalf("histogram column: %v", err)
	}
	if len(proofs) != 3 {
		t.Fatalf("histogram column: %d proofs, want the table's and 2 chunks'", len(proofs))
	}
	if err := zk.VerifyInputHistogram(tabVK, table, proofs[0].Statement, proofs[0].Evaluations, proofs[0].Histogram, proofs[0].Proof); err != nil {
		t.Errorf("table proof: VerifyInputHistogram = %v", err)
	}
	var sums []fr.Element
	for i, p := range proofs[1:] {
		if err := zk.VerifyInputHistogram(colVK, column, p.Statement, p.Evaluations, p.Histogram, p.Proof); err != nil {
			t.Errorf("chunk proof %d: VerifyInputHistogram = %v", i, err)
		}
		sums = append(sums, p.Histogram.Sum)
	}
	if err := zk.VerifyHistogram(sums, proofs[0].Histogram.Sum); err != nil {
		t.Errorf("VerifyHistogram = %v", err)
	}

	bad := rawColumn{Values: []int64{60001}, Min: 0, Max: 60000, Layout: plain, PK: pk}
	if _, err := rawProveColumn(ctx, key, bad, 1, nil); err == nil {
		t.Error("rawProveColumn(a value above max) succeeded, want an error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := rawProveColumn(cancelled, key, rawColumn{Values: values, Min: 0, Max: 60000, Layout: plain, PK: pk}, 1, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("rawProveColumn(cancelled) = %v, want context.Canceled", err)
	}
}
