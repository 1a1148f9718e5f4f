package zk

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/dxplabs/dxp/circuits"
)

// DXP's level-3 modulus q0·q1·q2·q3 (220 bits) and q4 (54 bits), from
// mpc.NewParams.
const (
	benchQ0123 = "1684996666649407835853394422503049962269712580220817813460733919233"
	benchQ4    = "18014398510661633"
	benchN     = 16384
)

func benchModuli(groups int) []*big.Int {
	q0, _ := new(big.Int).SetString(benchQ0123, 10)
	q4, _ := new(big.Int).SetString(benchQ4, 10)
	return []*big.Int{q0, q4}[:groups]
}

// benchInstance builds an honest encryption directly in the T-scaled
// domain (T·x is a bijection mod Q_g, so a uniform p' is a uniform key):
// c0' = p0'·u + T·e0 + m, c1' = p1'·u + T·e1 mod (Q_g, X^N+1). The products
// are schoolbook additions (u is ternary): about ten seconds at N = 16,384.
func benchInstance(b *testing.B, lay circuits.EncryptionLayout) ([]circuits.GroupPolys, circuits.EncryptionWitness) {
	n := lay.N
	w := circuits.EncryptionWitness{U: make([]int64, n), E0: make([]int64, n), E1: make([]int64, n), M: make([]uint64, n)}
	for i := range n {
		w.U[i] = randSigned(b, 1)
		w.E0[i], w.E1[i] = randSigned(b, int64(lay.NoiseBound)), randSigned(b, int64(lay.NoiseBound))
		w.M[i] = randBig(b, new(big.Int).SetUint64(lay.T)).Uint64()
	}
	t := new(big.Int).SetUint64(lay.T)
	polys := make([]circuits.GroupPolys, lay.Groups())
	for g, q := range lay.Moduli {
		p0, p1 := make([]*big.Int, n), make([]*big.Int, n)
		for i := range n {
			p0[i], p1[i] = randBig(b, q), randBig(b, q)
		}
		mul := func(p []*big.Int) []*big.Int {
			out := make([]*big.Int, n)
			for i := range out {
				out[i] = new(big.Int)
			}
			for j, u := range w.U {
				if u == 0 {
					continue
				}
				for i := range n {
					k, neg := i+j, u < 0
					if k >= n {
						k, neg = k-n, !neg
					}
					if neg {
						out[k].Sub(out[k], p[i])
					} else {
						out[k].Add(out[k], p[i])
					}
				}
			}
			return out
		}
		c0, c1 := mul(p0), mul(p1)
		for i := range n {
			c0[i].Add(c0[i], new(big.Int).Mul(t, big.NewInt(w.E0[i])))
			c0[i].Add(c0[i], new(big.Int).SetUint64(w.M[i])).Mod(c0[i], q)
			c1[i].Add(c1[i], new(big.Int).Mul(t, big.NewInt(w.E1[i]))).Mod(c1[i], q)
		}
		polys[g] = circuits.GroupPolys{C0: c0, C1: c1, P0: p0, P1: p1}
	}
	return polys, w
}

// BenchmarkEncryptionProve proves one N = 16,384 encryption with one group
// (level 3). Setup alone takes minutes; run it on its own:
//
//	go test -run - -bench EncryptionProve -benchtime 1x ./zk/
func BenchmarkEncryptionProve(b *testing.B) {
	lay, err := circuits.NewEncryptionLayout(benchN, benchModuli(1), testEncT, testEncNoiseBound, true)
	if err != nil {
		b.Fatal(err)
	}
	polys, w := benchInstance(b, lay)
	pk, vk, err := SetupEncryptionInsecure(lay)
	if err != nil {
		b.Fatal(err)
	}
	prover, err := NewEncryptionProver(lay, pk)
	if err != nil {
		b.Fatal(err)
	}
	binding := fr.NewElement(1)
	b.ResetTimer()
	var ep EncryptionProof
	for range b.N {
		if ep, err = prover.Prove(polys, w, binding); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(prover.Constraints()), "constraints") // after ResetTimer, which clears metrics
	if err := VerifyEncryption(vk, lay, polys, binding, ep.Proof); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkVerifyEncryptionEvaluate is the verifier's work beyond Groth16:
// recomputing γ and evaluating the four polynomials of both groups at γ, at
// N = 16,384 (level 4).
func BenchmarkVerifyEncryptionEvaluate(b *testing.B) {
	lay, err := circuits.NewEncryptionLayout(benchN, benchModuli(2), testEncT, testEncNoiseBound, true)
	if err != nil {
		b.Fatal(err)
	}
	polys := make([]circuits.GroupPolys, 2)
	for g, q := range lay.Moduli {
		r := func() []*big.Int {
			x := make([]*big.Int, benchN)
			for i := range x {
				x[i] = randBig(b, q)
			}
			return x
		}
		polys[g] = circuits.GroupPolys{C0: r(), C1: r(), P0: r(), P1: r()}
	}
	gamma := fr.NewElement(12345)
	b.ResetTimer()
	for range b.N {
		if _, err := lay.Evaluate(polys, gamma); err != nil {
			b.Fatal(err)
		}
	}
}
