package zk_test

import (
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/zk"
)

// TestInputEndToEndLattigo proves and verifies the input circuit on real
// lattigo ciphertexts of mpc.EncryptProvable, at a test-only parameter set
// (DXP's moduli sizes and T at N = 64, insecure) and mpc.InputLevel (two
// CRT groups): one full chunk and one short chunk, whose plaintext lattigo
// zero-fills. A ciphertext of the wrong chunk cannot be proven.
func TestInputEndToEndLattigo(t *testing.T) {
	params, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
		LogN: 6, LogQ: []int{56, 55, 55, 54, 54, 54}, LogP: []int{55, 55}, PlaintextModulus: mpc.PlaintextModulus,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	level := mpc.InputLevel
	n := params.N()

	key, err := mpc.NewProofKey(params, pk, level)
	if err != nil {
		t.Fatal(err)
	}
	var moduli []*big.Int
	for _, g := range key.Groups() {
		moduli = append(moduli, g.Modulus)
	}
	bound, err := mpc.ErrorBound(params)
	if err != nil {
		t.Fatal(err)
	}
	encLay, err := circuits.NewEncryptionLayout(n, moduli, params.PlaintextModulus(), uint64(bound), true)
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
	lay, err := circuits.NewInputLayout(32, encLay, link)
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

	const lo, hi = -50000, 1 << 20
	values := make([]int64, n+36)
	for i := range values {
		x, err := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
		if err != nil {
			t.Fatal(err)
		}
		values[i] = lo + x.Int64()
	}
	cts, err := mpc.EncryptProvable(params, pk, values, level)
	if err != nil {
		t.Fatal(err)
	}
	if len(cts) != 2 {
		t.Fatalf("%d ciphertexts, want 2", len(cts))
	}
	pkBytes, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	keyDigest := sha256.Sum256(pkBytes)
	polysOf := func(ct []byte) []circuits.GroupPolys {
		gp, err := key.Polys(ct)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]circuits.GroupPolys, len(gp))
		for g, p := range gp {
			out[g] = circuits.GroupPolys{C0: p.C0, C1: p.C1, P0: p.P0, P1: p.P1}
		}
		return out
	}
	witnessOf := func(w mpc.EncryptionWitness) circuits.EncryptionWitness {
		return circuits.EncryptionWitness{U: w.U, E0: w.E0, E1: w.E1, M: w.M}
	}

	for k, ct := range cts {
		chunk := values[k*n : min(len(values), (k+1)*n)]
		polys := polysOf(ct.Ciphertext)
		binding := zk.Binding(keyDigest[:], level, sha256.Sum256(ct.Ciphertext))
		ip, err := prover.Prove(chunk, lo, hi, witnessOf(ct.Witness), polys, binding)
		if err != nil {
			t.Fatalf("ciphertext %d: Prove: %v", k, err)
		}
		st := circuits.InputStatement{Commitment: ip.Commitment, Min: lo, Max: hi, Rows: len(chunk), Binding: binding}
		if err := zk.VerifyInput(vk, lay, st, ip.Evaluations, ip.Proof); err != nil {
			t.Fatalf("ciphertext %d: VerifyInput = %v", k, err)
		}
		if err := zk.CheckInputEvaluations(lay, st, ip.Evaluations, polys, ip.Proof); err != nil {
			t.Fatalf("ciphertext %d: CheckInputEvaluations = %v", k, err)
		}
	}

	// The first chunk's values with the second ciphertext's witness: the
	// builder refuses (the plaintext encodes other values).
	polys := polysOf(cts[1].Ciphertext)
	binding := zk.Binding(keyDigest[:], level, sha256.Sum256(cts[1].Ciphertext))
	if _, err := prover.Prove(values[:n], lo, hi, witnessOf(cts[1].Witness), polys, binding); err == nil {
		t.Error("proved the second ciphertext for the first chunk's values")
	}
}
