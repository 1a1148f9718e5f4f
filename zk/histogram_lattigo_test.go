package zk_test

import (
	"crypto/rand"
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

// TestHistogramEndToEndLattigo runs the histogram check on real lattigo
// ciphertexts of mpc.EncryptProvable at the input test's insecure N = 64
// parameters: a 100-row column (two ciphertexts, the second short) and its
// frequency table (64 bins of mpc.DefaultBin from the column's min, one
// ciphertext of the counts). The honest table passes the sum check; a table
// with one count moved, encrypted and proven just as honestly, does not.
func TestHistogramEndToEndLattigo(t *testing.T) {
	params, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
		LogN: 6, LogQ: []int{56, 55, 55, 54, 54, 54}, LogP: []int{55, 55}, PlaintextModulus: mpc.PlaintextModulus,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	level, n := mpc.InputLevel, params.N()
	pkBytes, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	keyDigest := sha256.Sum256(pkBytes)

	const lo, hi, tableWidth = -50000, 1 << 20, 8
	bin, err := mpc.DefaultBin(lo, hi, n)
	if err != nil {
		t.Fatal(err)
	}
	key, colBase := mpcInputLayout(t, params, pk, level, 32)
	_, tabBase := mpcInputLayout(t, params, pk, level, tableWidth)
	col, err := colBase.WithHistogramColumn(n)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := tabBase.WithHistogramTable()
	if err != nil {
		t.Fatal(err)
	}
	colProver, colVK := histProver(t, col)
	tabProver, tabVK := histProver(t, tab)

	values := make([]int64, n+36)
	counts := make([]int64, n)
	for i := range values {
		x, err := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
		if err != nil {
			t.Fatal(err)
		}
		values[i] = lo + x.Int64()
		b, err := circuits.Bucket(values[i], lo, bin, n)
		if err != nil {
			t.Fatal(err)
		}
		counts[b]++
	}
	cts, err := mpc.EncryptProvable(params, pk, values, level)
	if err != nil {
		t.Fatal(err)
	}
	chunks := [][]int64{values[:n], values[n:]}
	var commitments, salts []fr.Element
	for _, chunk := range chunks {
		c, s, err := zk.CommitInput(col, chunk, lo)
		if err != nil {
			t.Fatal(err)
		}
		commitments, salts = append(commitments, c), append(salts, s)
	}

	// proveTable encrypts, commits and proves a table of counts; it returns
	// the sum S_T at the α drawn with its commitment, and the chunk sums at
	// that α.
	context := []byte("dataset 1, column 0")
	proveTable := func(counts []int64) (tableSum fr.Element, chunkSums []fr.Element) {
		tcts, err := mpc.EncryptProvable(params, pk, counts, level)
		if err != nil {
			t.Fatal(err)
		}
		tc, ts, err := zk.CommitInput(tab, counts, 0)
		if err != nil {
			t.Fatal(err)
		}
		alpha := zk.HistogramChallenge(context, commitments, tc, lo, bin)
		polys := mpcGroupPolys(t, key, tcts[0].Ciphertext)
		binding := zk.Binding(keyDigest[:], level, sha256.Sum256(tcts[0].Ciphertext), nil)
		tp, err := tabProver.ProveHistogram(counts, 0, int64(len(values)), ts, mpcWitness(tcts[0].Witness), polys, binding, circuits.HistogramStatement{Alpha: alpha})
		if err != nil {
			t.Fatalf("table: ProveHistogram: %v", err)
		}
		st := circuits.InputStatement{Commitment: tc, Min: 0, Max: int64(len(values)), Rows: n, Binding: binding}
		if err := zk.VerifyInputHistogram(tabVK, tab, st, tp.Evaluations, circuits.HistogramStatement{Alpha: alpha, Sum: tp.HistogramSum}, tp.Proof); err != nil {
			t.Fatalf("table: VerifyInputHistogram = %v", err)
		}
		if err := zk.CheckInputEvaluations(tab, st, tp.Evaluations, polys, tp.Proof); err != nil {
			t.Fatalf("table: CheckInputEvaluations = %v", err)
		}
		for k, chunk := range chunks {
			polys := mpcGroupPolys(t, key, cts[k].Ciphertext)
			binding := zk.Binding(keyDigest[:], level, sha256.Sum256(cts[k].Ciphertext), nil)
			h := circuits.HistogramStatement{Alpha: alpha, Min: lo, Bin: bin}
			ip, err := colProver.ProveHistogram(chunk, lo, hi, salts[k], mpcWitness(cts[k].Witness), polys, binding, h)
			if err != nil {
				t.Fatalf("chunk %d: ProveHistogram: %v", k, err)
			}
			h.Sum = ip.HistogramSum
			st := circuits.InputStatement{Commitment: commitments[k], Min: lo, Max: hi, Rows: len(chunk), Binding: binding}
			if err := zk.VerifyInputHistogram(colVK, col, st, ip.Evaluations, h, ip.Proof); err != nil {
				t.Fatalf("chunk %d: VerifyInputHistogram = %v", k, err)
			}
			if err := zk.CheckInputEvaluations(col, st, ip.Evaluations, polys, ip.Proof); err != nil {
				t.Fatalf("chunk %d: CheckInputEvaluations = %v", k, err)
			}
			chunkSums = append(chunkSums, ip.HistogramSum)
		}
		return tp.HistogramSum, chunkSums
	}

	tableSum, chunkSums := proveTable(counts)
	if err := zk.VerifyHistogram(chunkSums, tableSum); err != nil {
		t.Fatalf("VerifyHistogram(honest) = %v", err)
	}
	moved := append([]int64(nil), counts...)
	for k := range moved {
		if moved[k] > 0 {
			moved[k]--
			moved[(k+1)%n]++
			break
		}
	}
	tableSum, chunkSums = proveTable(moved)
	if err := zk.VerifyHistogram(chunkSums, tableSum); !errors.Is(err, zk.ErrHistogramMismatch) {
		t.Fatalf("VerifyHistogram(a count moved) = %v, want ErrHistogramMismatch", err)
	}
}

func histProver(t *testing.T, lay circuits.InputLayout) (*zk.InputProver, []byte) {
	t.Helper()
	pk, vk, err := zk.SetupInputInsecure(lay)
	if err != nil {
		t.Fatal(err)
	}
	p, err := zk.NewInputProver(lay, pk)
	if err != nil {
		t.Fatal(err)
	}
	return p, vk
}
