package mpc

import (
	"context"
	"fmt"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/spec"
)

// smallParams is a test-only parameter set: DXP's moduli sizes and plaintext modulus at ring
// degree 2^10 (insecure; T ≡ 1 mod 2^15 so every slot count up to 2^14 works), so that the
// exact O(N²) integer checks below run in milliseconds.
func smallParams(tb testing.TB) heint.Parameters {
	tb.Helper()
	p, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{
		LogN: 10, LogQ: []int{56, 55, 55, 54, 54, 54}, LogP: []int{55, 55}, PlaintextModulus: PlaintextModulus,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// checkRelation checks, in exact integer arithmetic, that the witness satisfies the group's two
// encryption identities over Z[X]/(X^N+1) modulo Q_g,
//
//	C0 = P0·u + T·e0 + m + Q_g·r1_0,   C1 = P1·u + T·e1 + Q_g·r1_1,
//
// with |u| ≤ 1, |e| ≤ be, 0 ≤ m < T and the quotients |r1| ≤ N+2 (the circuit's range checks),
// and returns the first violation.
func checkRelation(params heint.Parameters, gp GroupPolys, w EncryptionWitness, be int64) error {
	n := params.N()
	t := params.PlaintextModulus()
	for i := range n {
		if w.U[i] < -1 || w.U[i] > 1 {
			return fmt.Errorf("u[%d] is not ternary", i)
		}
		if w.E0[i] < -be || w.E0[i] > be || w.E1[i] < -be || w.E1[i] > be {
			return fmt.Errorf("e[%d] is outside ±%d", i, be)
		}
		if w.M[i] >= t {
			return fmt.Errorf("m[%d] is not below T", i)
		}
	}
	tBig := new(big.Int).SetUint64(t)
	r1Max := big.NewInt(int64(n + 2))
	for k, id := range []struct {
		c, p []*big.Int
		e    []int64
		m    bool
	}{{gp.C0, gp.P0, w.E0, true}, {gp.C1, gp.P1, w.E1, false}} {
		// acc = p·u mod X^N+1 over Z: u is ternary, so a signed sum of negacyclic shifts of p.
		acc := make([]*big.Int, n)
		for i := range acc {
			acc[i] = new(big.Int)
		}
		for j, uj := range w.U {
			if uj == 0 {
				continue
			}
			for i, pi := range id.p {
				idx, neg := i+j, uj < 0
				if idx >= n {
					idx, neg = idx-n, !neg
				}
				if neg {
					acc[idx].Sub(acc[idx], pi)
				} else {
					acc[idx].Add(acc[idx], pi)
				}
			}
		}
		d, q, r := new(big.Int), new(big.Int), new(big.Int)
		for i := range n {
			d.Sub(id.c[i], acc[i])
			d.Sub(d, new(big.Int).Mul(tBig, big.NewInt(id.e[i])))
			if id.m {
				d.Sub(d, new(big.Int).SetUint64(w.M[i]))
			}
			q.QuoRem(d, gp.Group.Modulus, r)
			if r.Sign() != 0 {
				return fmt.Errorf("identity %d fails mod Q_g at coefficient %d", k, i)
			}
			if q.CmpAbs(r1Max) > 0 {
				return fmt.Errorf("identity %d: quotient r1[%d] = %s is outside ±(N+2)", k, i, q)
			}
		}
	}
	return nil
}

func TestProvableRelationSmall(t *testing.T) {
	params := smallParams(t)
	sk, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	be, err := ErrorBound(params)
	if err != nil {
		t.Fatal(err)
	}
	if be != 19 {
		t.Errorf("ErrorBound = %d, want 19 for lattigo's default σ 3.2 cut at 19.2", be)
	}
	vals := smallValues(params.N()+10, 41, -int64(PlaintextModulus/2), int64(PlaintextModulus/2))
	for _, level := range []int{3, InputLevel, params.MaxLevel()} {
		t.Run(fmt.Sprintf("level %d", level), func(t *testing.T) {
			cts, err := EncryptProvable(params, pk, vals, level)
			if err != nil {
				t.Fatal(err)
			}
			if len(cts) != 2 {
				t.Fatalf("%d ciphertexts for N+10 values, want 2", len(cts))
			}
			dec := rlwe.NewDecryptor(params, sk)
			ecd := heint.NewEncoder(params)
			for c, pc := range cts {
				ct, err := newCodec(params).ciphertext(pc.Ciphertext, level)
				if err != nil {
					t.Fatal(err)
				}
				if ct.Level() != level {
					t.Fatalf("level %d, want %d", ct.Level(), level)
				}
				got := make([]int64, params.N())
				if err := ecd.Decode(dec.DecryptNew(ct), got); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					want := int64(0)
					if c*params.N()+i < len(vals) {
						want = vals[c*params.N()+i]
					}
					if got[i] != want {
						t.Fatalf("ciphertext %d slot %d decrypts to %d, want %d", c, i, got[i], want)
					}
				}
				gps, err := ProofPolys(params, pk, pc.Ciphertext, level)
				if err != nil {
					t.Fatal(err)
				}
				groups, _ := CRTGroups(params, level)
				if len(gps) != len(groups) {
					t.Fatalf("%d groups of polynomials, want %d", len(gps), len(groups))
				}
				for _, gp := range gps {
					if err := checkRelation(params, gp, pc.Witness, be); err != nil {
						t.Fatalf("group %v: %v", gp.Group.Primes, err)
					}
				}
			}
		})
	}
}

// TestAttackTamperedCiphertextBreaksRelation: an owner that changes one coefficient of a
// provable ciphertext after encrypting (or presents another ciphertext with the same witness)
// no longer satisfies the relation in some group, so it could not prove it; the same for a
// witness with one coefficient of m changed, and for another public key.
func TestAttackTamperedCiphertextBreaksRelation(t *testing.T) {
	params := smallParams(t)
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	_, otherPK := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	be, _ := ErrorBound(params)
	cts, err := EncryptProvable(params, pk, smallValues(50, 42, -1000, 1000), InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	pc := cts[0]
	broken := func(pk *rlwe.PublicKey, ct []byte, w EncryptionWitness) bool {
		gps, err := ProofPolys(params, pk, ct, InputLevel)
		if err != nil {
			t.Fatal(err)
		}
		for _, gp := range gps {
			if checkRelation(params, gp, w, be) != nil {
				return true
			}
		}
		return false
	}
	if broken(pk, pc.Ciphertext, pc.Witness) {
		t.Fatal("the honest ciphertext fails its relation")
	}
	// One NTT coefficient of c0 (the last byte is in the last row of c1; flip one in c0's body).
	ct := heint.NewCiphertext(params, 1, InputLevel)
	if err := ct.UnmarshalBinary(pc.Ciphertext); err != nil {
		t.Fatal(err)
	}
	ct.Value[0].Coeffs[0][7] = (ct.Value[0].Coeffs[0][7] + 1) % params.Q()[0]
	tampered, err := ct.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !broken(pk, tampered, pc.Witness) {
		t.Error("a ciphertext with one coefficient changed still satisfies the relation")
	}
	w := pc.Witness
	w.M = append([]uint64(nil), w.M...)
	w.M[3] = (w.M[3] + 1) % params.PlaintextModulus()
	if !broken(pk, pc.Ciphertext, w) {
		t.Error("a witness with one plaintext coefficient changed still satisfies the relation")
	}
	if !broken(otherPK, pc.Ciphertext, pc.Witness) {
		t.Error("the ciphertext satisfies the relation under another public key")
	}
}

func TestProofPolysRefusesBadCiphertexts(t *testing.T) {
	params := smallParams(t)
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	cts, err := EncryptProvable(params, pk, []int64{1, 2, 3}, InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	top, err := EncryptProvable(params, pk, []int64{1, 2, 3}, params.MaxLevel())
	if err != nil {
		t.Fatal(err)
	}
	b := cts[0].Ciphertext
	bad := append([]byte(nil), b...)
	bad[0] ^= 0xff
	for name, c := range map[string][]byte{
		"another level": top[0].Ciphertext,
		"truncated":     b[:len(b)-1],
		"bad header":    bad,
		"empty":         nil,
	} {
		if _, err := ProofPolys(params, pk, c, InputLevel); err == nil {
			t.Errorf("%s: ProofPolys accepted it", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := ProofPolys(params, nil, b, InputLevel); err == nil {
		t.Error("ProofPolys accepted no public key")
	}
	if _, err := EncryptProvable(params, pk, []int64{1}, 0); err == nil {
		t.Error("EncryptProvable accepted level 0")
	}
	if _, err := EncryptProvable(params, pk, []int64{int64(PlaintextModulus)}, InputLevel); err == nil {
		t.Error("EncryptProvable accepted a value outside the plaintext range")
	}
}

func TestCRTGroups(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 236)
	for level := 0; level <= params.MaxLevel(); level++ {
		groups, err := CRTGroups(params, level)
		if err != nil {
			t.Fatal(err)
		}
		if want := (level + 4) / 4; len(groups) != want {
			t.Errorf("level %d: %d groups, want ⌈%d/4⌉ = %d", level, len(groups), level+1, want)
		}
		next := 0
		for _, g := range groups {
			prod := big.NewInt(1)
			for _, i := range g.Primes {
				if i != next {
					t.Fatalf("level %d: groups %v do not partition the primes in order", level, groups)
				}
				next++
				prod.Mul(prod, new(big.Int).SetUint64(params.Q()[i]))
			}
			if prod.Cmp(g.Modulus) != 0 || prod.Cmp(limit) >= 0 {
				t.Errorf("level %d group %v: modulus 2^%d, product 2^%d, want equal and below 2^236", level, g.Primes, g.Modulus.BitLen(), prod.BitLen())
			}
		}
		if next != level+1 {
			t.Errorf("level %d: groups cover %d primes", level, next)
		}
		t.Logf("level %d: groups %v", level, groupPrimes(groups))
	}
	if _, err := CRTGroups(params, params.MaxLevel()+1); err == nil {
		t.Error("CRTGroups accepted a level above the top")
	}
}

func groupPrimes(gs []CRTGroup) [][]int {
	var out [][]int
	for _, g := range gs {
		out = append(out, g.Primes)
	}
	return out
}

// mulMod64 returns a·b mod t.
func mulMod64(a, b, t uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return bits.Rem64(hi, lo, t)
}

func evalMod(m []uint64, x, t uint64) uint64 {
	var acc uint64
	for k := len(m) - 1; k >= 0; k-- {
		acc = (mulMod64(acc, x, t) + m[k]) % t
	}
	return acc
}

func TestSlotRoots(t *testing.T) {
	real, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	for _, params := range []heint.Parameters{smallParams(t), real} {
		t.Run(fmt.Sprintf("N=%d", params.N()), func(t *testing.T) {
			tm := params.PlaintextModulus()
			roots, err := SlotRoots(params)
			if err != nil {
				t.Fatal(err)
			}
			// Encode random slot values with lattigo's encoder and read the R_T coefficients m.
			r := rand.New(rand.NewPCG(43, uint64(params.N())))
			vals := make([]uint64, params.N())
			for i := range vals {
				vals[i] = r.Uint64N(tm)
			}
			pt := params.RingT().NewPoly()
			if err := heint.NewEncoder(params).EncodeRingT(vals, params.DefaultScale(), pt); err != nil {
				t.Fatal(err)
			}
			m := pt.Coeffs[0]
			check := r.Perm(params.N())
			if params.N() > 1024 {
				check = check[:64] // Horner over N coefficients per slot: a sample at N = 16384
			}
			for _, i := range check {
				if got := evalMod(m, roots[i], tm); got != vals[i] {
					t.Fatalf("m(ψ_%d) = %d, slot value %d", i, got, vals[i])
				}
			}
			// The design's closed form of m(ρ) from the slot values:
			// m(ρ) ≡ ((ρ^N + 1)/N) · Σ_i v_i·ψ_i/(ψ_i − ρ) (mod T).
			if params.N() > 1024 {
				return
			}
			tb := new(big.Int).SetUint64(tm)
			for range 3 {
				rho := r.Uint64N(tm)
				sum := new(big.Int)
				for i, psi := range roots {
					den := new(big.Int).SetUint64((psi + tm - rho) % tm)
					if den.ModInverse(den, tb) == nil {
						t.Fatal("ρ hit a root")
					}
					term := new(big.Int).SetUint64(mulMod64(vals[i], psi, tm))
					sum.Add(sum, term.Mul(term, den))
				}
				f := new(big.Int).Exp(new(big.Int).SetUint64(rho), big.NewInt(int64(params.N())), tb)
				f.Add(f, big.NewInt(1))
				f.Mul(f, new(big.Int).ModInverse(big.NewInt(int64(params.N())), tb))
				sum.Mul(sum, f).Mod(sum, tb)
				if want := evalMod(m, rho, tm); sum.Uint64() != want {
					t.Fatalf("closed form gives %s at ρ = %d, m(ρ) = %d", sum, rho, want)
				}
			}
		})
	}
}

// TestProvableCiphertextsThroughCommittee: provable ciphertexts of a column at InputLevel go
// through the committee's real evaluation and threshold key switch like EncryptColumn's: a sum
// (single-valued, dropped to level 3) and a variance (products, multi-valued).
func TestProvableCiphertextsThroughCommittee(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	vals := smallValues(20000, 44, -100000, 100000)
	cts, err := EncryptProvable(f.params, f.pk, vals, InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	var ds [][32]byte
	for _, c := range cts {
		d, err := f.objs.Put(context.Background(), c.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	var sx2 int64
	for _, v := range vals {
		sx2 += v * v
	}
	xb := []spec.Bound{{Min: -100000, Max: 100000}}
	for _, tc := range []struct {
		op   spec.Op
		want []*big.Int
	}{{spec.OpSum, []*big.Int{sum(vals)}}, {spec.OpVariance, bigs(sum(vals).Int64(), sx2)}} {
		t.Run(string(tc.op), func(t *testing.T) {
			q := spec.Query{Op: tc.op, Rows: uint64(len(vals)), Columns: xb}
			k, err := q.Outputs()
			if err != nil {
				t.Fatal(err)
			}
			task := Task{ID: "provable-" + string(tc.op), Op: tc.op, Columns: [][][32]byte{ds}, BuyerKey: f.buyerKey}
			r := compute(t, f, task, []int{0, 1, 2}, nil)
			got, err := OpenValues(f.params, f.buyerSK, r.output, r.shares, 2, k)
			if err != nil {
				t.Fatalf("OpenValues() error: %v", err)
			}
			for j := range tc.want {
				if got[j].Cmp(tc.want[j]) != 0 {
					t.Errorf("value %d = %s, want %s", j, got[j], tc.want[j])
				}
			}
			checkNoise(t, f, &task, r, []int{0, 1}, tc.want)
		})
	}
}

// TestProvableRelationRealParams checks the relation at DXP's parameters, under the committee's
// collective key, for one ciphertext at InputLevel (two CRT groups): the exact O(N²) integer
// check takes several seconds.
func TestProvableRelationRealParams(t *testing.T) {
	if testing.Short() {
		t.Skip("exact integer check at N = 16384")
	}
	f := sharedFixture(t, 3, 2)
	be, err := ErrorBound(f.params)
	if err != nil {
		t.Fatal(err)
	}
	cts, err := EncryptProvable(f.params, f.pk, smallValues(1000, 45, -1e9, 1e9), InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	gps, err := ProofPolys(f.params, f.pk, cts[0].Ciphertext, InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	if len(gps) != 2 {
		t.Fatalf("%d CRT groups at level %d, want 2", len(gps), InputLevel)
	}
	for _, gp := range gps {
		if err := checkRelation(f.params, gp, cts[0].Witness, be); err != nil {
			t.Fatalf("group %v: %v", gp.Group.Primes, err)
		}
	}
}

// BenchmarkEncryptProvable and BenchmarkProofPolys time one N = 16384 ciphertext at InputLevel
// under a single-party key (the key's origin does not change the work).
func BenchmarkEncryptProvable(b *testing.B) {
	params, err := NewParams()
	if err != nil {
		b.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	vals := smallValues(params.N(), 47, -1e9, 1e9)
	b.ResetTimer()
	for range b.N {
		if _, err := EncryptProvable(params, pk, vals, InputLevel); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProofPolys(b *testing.B) {
	params, err := NewParams()
	if err != nil {
		b.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	cts, err := EncryptProvable(params, pk, smallValues(params.N(), 48, -1e9, 1e9), InputLevel)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := ProofPolys(params, pk, cts[0].Ciphertext, InputLevel); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProofKeyPolys is ProofPolys for one more ciphertext under a key already prepared: the
// verifier's cost per ciphertext of a column.
func BenchmarkProofKeyPolys(b *testing.B) {
	params, err := NewParams()
	if err != nil {
		b.Fatal(err)
	}
	_, pk := rlwe.NewKeyGenerator(params).GenKeyPairNew()
	cts, err := EncryptProvable(params, pk, smallValues(params.N(), 48, -1e9, 1e9), InputLevel)
	if err != nil {
		b.Fatal(err)
	}
	k, err := NewProofKey(params, pk, InputLevel)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := k.Polys(cts[0].Ciphertext); err != nil {
			b.Fatal(err)
		}
	}
}
