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

	key, lay := mpcInputLayout(t, params, pk, level, 32)
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
	for k, ct := range cts {
		chunk := values[k*n : min(len(values), (k+1)*n)]
		polys := mpcGroupPolys(t, key, ct.Ciphertext)
		binding := zk.Binding(keyDigest[:], level, sha256.Sum256(ct.Ciphertext), nil)
		ip, err := prover.Prove(chunk, lo, hi, mpcWitness(ct.Witness), polys, binding)
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
	polys := mpcGroupPolys(t, key, cts[1].Ciphertext)
	binding := zk.Binding(keyDigest[:], level, sha256.Sum256(cts[1].Ciphertext), nil)
	if _, err := prover.Prove(values[:n], lo, hi, mpcWitness(cts[1].Witness), polys, binding); err == nil {
		t.Error("proved the second ciphertext for the first chunk's values")
	}
}

// mpcInputLayout returns the proof key of pk at level and the input layout
// of a w-bit column for params: its CRT groups, lattigo's noise bound, T
// and lattigo's slot roots.
func mpcInputLayout(tb testing.TB, params heint.Parameters, pk *rlwe.PublicKey, level, w int) (*mpc.ProofKey, circuits.InputLayout) {
	tb.Helper()
	key, err := mpc.NewProofKey(params, pk, level)
	if err != nil {
		tb.Fatal(err)
	}
	var moduli []*big.Int
	for _, g := range key.Groups() {
		moduli = append(moduli, g.Modulus)
	}
	bound, err := mpc.ErrorBound(params)
	if err != nil {
		tb.Fatal(err)
	}
	enc, err := circuits.NewEncryptionLayout(params.N(), moduli, params.PlaintextModulus(), uint64(bound), true)
	if err != nil {
		tb.Fatal(err)
	}
	roots, err := mpc.SlotRoots(params)
	if err != nil {
		tb.Fatal(err)
	}
	link, err := circuits.NewSlotLink(params.PlaintextModulus(), roots)
	if err != nil {
		tb.Fatal(err)
	}
	lay, err := circuits.NewInputLayout(w, enc, link)
	if err != nil {
		tb.Fatal(err)
	}
	return key, lay
}

// mpcGroupPolys returns the circuit's public polynomials of a serialized
// ciphertext under key.
func mpcGroupPolys(tb testing.TB, key *mpc.ProofKey, ct []byte) []circuits.GroupPolys {
	tb.Helper()
	gp, err := key.Polys(ct)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]circuits.GroupPolys, len(gp))
	for g, p := range gp {
		out[g] = circuits.GroupPolys{C0: p.C0, C1: p.C1, P0: p.P0, P1: p.P1}
	}
	return out
}

func mpcWitness(w mpc.EncryptionWitness) circuits.EncryptionWitness {
	return circuits.EncryptionWitness{U: w.U, E0: w.E0, E1: w.E1, M: w.M}
}

// benchInputWidth is the column width the input benchmarks use.
const benchInputWidth = 32

// inputBench is DXP's parameters (N = 16,384), a fresh key, and the input
// layout at one level.
type inputBench struct {
	params heint.Parameters
	pk     *rlwe.PublicKey
	key    *mpc.ProofKey
	level  int
	lay    circuits.InputLayout
}

func newInputBench(b *testing.B, level int) *inputBench {
	b.Helper()
	params, err := mpc.NewParams()
	if err != nil {
		b.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	key, lay := mpcInputLayout(b, params, pk, level, benchInputWidth)
	return &inputBench{params: params, pk: pk, key: key, level: level, lay: lay}
}

// BenchmarkInputCompile compiles, at N = 16,384 and w = 32, the input
// circuit and, alone, its chunk and encryption parts, for one CRT group
// (level 3: q0..q3) and two (level 4: q0..q3, q4), and reports
// constraints per row; the link (with the padding selector) is the rest.
// Minutes of CPU; run it on its own:
//
//	go test -run - -bench InputCompile -benchtime 1x ./zk/
func BenchmarkInputCompile(b *testing.B) {
	for range b.N {
		chunk, err := zk.CompileChunk(16384, benchInputWidth)
		if err != nil {
			b.Fatal(err)
		}
		n := float64(16384)
		b.ReportMetric(float64(chunk.GetNbConstraints())/n, "chunk/row")
		for _, level := range []int{3, 4} {
			ib := newInputBench(b, level)
			enc, err := zk.CompileEncryption(ib.lay.Encryption)
			if err != nil {
				b.Fatal(err)
			}
			input, err := zk.CompileInput(ib.lay)
			if err != nil {
				b.Fatal(err)
			}
			groups := []string{"", "1g", "2g"}[ib.lay.Encryption.Groups()]
			b.ReportMetric(float64(enc.GetNbConstraints())/n, "enc-"+groups+"/row")
			b.ReportMetric(float64(input.GetNbConstraints()-enc.GetNbConstraints()-chunk.GetNbConstraints())/n, "link+pad-"+groups+"/row")
			b.ReportMetric(float64(input.GetNbConstraints())/n, "input-"+groups+"/row")
			b.ReportMetric(float64(input.GetNbConstraints()), "input-"+groups)
		}
	}
}

// BenchmarkInputProve proves one N = 16,384 input (a full chunk of a
// 32-bit column and its ciphertext at mpc.InputLevel, two groups) from a
// real EncryptProvable ciphertext, and verifies it. Setup takes minutes
// and gigabytes; run it on its own:
//
//	go test -run - -bench InputProve -benchtime 1x ./zk/
func BenchmarkInputProve(b *testing.B) {
	ib := newInputBench(b, mpc.InputLevel)
	n := ib.params.N()
	values := make([]int64, n)
	const lo, hi = -1 << 20, 1<<31 - 1
	for i := range values {
		x, err := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
		if err != nil {
			b.Fatal(err)
		}
		values[i] = lo + x.Int64()
	}
	cts, err := mpc.EncryptProvable(ib.params, ib.pk, values, ib.level)
	if err != nil {
		b.Fatal(err)
	}
	polys := mpcGroupPolys(b, ib.key, cts[0].Ciphertext)
	witness := mpcWitness(cts[0].Witness)
	binding := zk.Binding([]byte("bench key"), ib.level, sha256.Sum256(cts[0].Ciphertext), nil)

	pk, vk, err := zk.SetupInputInsecure(ib.lay)
	if err != nil {
		b.Fatal(err)
	}
	prover, err := zk.NewInputProver(ib.lay, pk)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var ip zk.InputProof
	for range b.N {
		if ip, err = prover.Prove(values, lo, hi, witness, polys, binding); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(prover.Constraints()), "constraints")
	st := circuits.InputStatement{Commitment: ip.Commitment, Min: lo, Max: hi, Rows: n, Binding: binding}
	if err := zk.VerifyInput(vk, ib.lay, st, ip.Evaluations, ip.Proof); err != nil {
		b.Fatal(err)
	}
	if err := zk.CheckInputEvaluations(ib.lay, st, ip.Evaluations, polys, ip.Proof); err != nil {
		b.Fatal(err)
	}
}
