package mpc

import (
	"bytes"
	"crypto/rand"
	"slices"
	"sync"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"golang.org/x/crypto/nacl/box"
)

// objectsOnce makes one of every object type mpc serializes, from a one-member ceremony (cheap:
// a single Galois element).
var objectsOnce = sync.OnceValues(func() (*testObjects, error) {
	params, err := NewParams()
	if err != nil {
		return nil, err
	}
	o := &testObjects{params: params}
	cer := newCeremony(params, []byte("codec seed"), 7)
	o.sk = cer.newSecret()
	if o.ckg, err = cer.ckgShare(o.sk); err != nil {
		return nil, err
	}
	var eph *rlwe.SecretKey
	if eph, o.rkg1, err = cer.rkgRound1(o.sk); err != nil {
		return nil, err
	}
	o.eph = eph
	o.rkg2 = cer.rkgRound2(o.sk, eph, o.rkg1)
	o.galEl = cer.galEls[0]
	if o.gkg, err = cer.gkgShare(o.sk, o.galEl); err != nil {
		return nil, err
	}
	if o.pk, err = cer.publicKey([]*mhe.PublicKeyGenShare{&o.ckg}); err != nil {
		return nil, err
	}
	o.rlk = cer.relinearizationKey(o.rkg1, o.rkg2)
	if o.gk, err = cer.galoisKey(o.galEl, []*mhe.GaloisKeyGenShare{&o.gkg}); err != nil {
		return nil, err
	}
	cts, err := EncryptColumn(params, o.pk, []int64{1, -2, 3})
	if err != nil {
		return nil, err
	}
	o.ctTop = cts[0]
	ct, err := newCodec(params).ciphertext(o.ctTop, 0)
	if err != nil {
		return nil, err
	}
	o.ct = heint.NewCiphertext(params, 1, outputLevel)
	eval := heint.NewEvaluator(params, nil)
	if err := eval.Add(o.ct, ct, o.ct); err != nil {
		return nil, err
	}
	_, buyerPK, err := NewBuyerKey(params)
	if err != nil {
		return nil, err
	}
	bpk, err := newCodec(params).publicKey(buyerPK)
	if err != nil {
		return nil, err
	}
	smudge, err := smudgingFor(params, newNoiseModel(params, 1).fresh(), 1)
	if err != nil {
		return nil, err
	}
	pcks, err := mhe.NewPublicKeySwitchProtocol(params, smudge)
	if err != nil {
		return nil, err
	}
	o.pcks = pcks.AllocateShare(o.ct.Level())
	pcks.GenShare(o.sk, bpk, o.ct, &o.pcks)
	shares, err := cer.shamirShares(o.sk, 2, 3)
	if err != nil {
		return nil, err
	}
	o.shamir = shares[1]
	return o, nil
})

type testObjects struct {
	params heint.Parameters
	sk     *rlwe.SecretKey
	eph    *rlwe.SecretKey
	ckg    mhe.PublicKeyGenShare
	rkg1   mhe.RelinearizationKeyGenShare
	rkg2   mhe.RelinearizationKeyGenShare
	galEl  uint64
	gkg    mhe.GaloisKeyGenShare
	pk     *rlwe.PublicKey
	rlk    *rlwe.RelinearizationKey
	gk     *rlwe.GaloisKey
	ctTop  []byte
	ct     *rlwe.Ciphertext // at outputLevel
	pcks   mhe.PublicKeySwitchShare
	shamir mhe.ShamirSecretShare
}

func testObjectSet(tb testing.TB) *testObjects {
	tb.Helper()
	o, err := objectsOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func TestRoundTrip(t *testing.T) {
	o := testObjectSet(t)
	c := newCodec(o.params)
	wrap := func(f func([]byte) (object, error)) func([]byte) (object, error) { return f }
	tests := []struct {
		name   string
		obj    object
		decode func([]byte) (object, error)
	}{
		{"secret key", o.sk, wrap(func(b []byte) (object, error) { return c.secretKey(b) })},
		{"ckg share", &o.ckg, wrap(func(b []byte) (object, error) { return c.ckgShare(b) })},
		{"rkg round-1 share", &o.rkg1, wrap(func(b []byte) (object, error) { return c.rkgShare(b) })},
		{"rkg round-2 share", &o.rkg2, wrap(func(b []byte) (object, error) { return c.rkgShare(b) })},
		{"gkg share", &o.gkg, wrap(func(b []byte) (object, error) { return c.gkgShare(b, o.galEl) })},
		{"pcks share", &o.pcks, wrap(func(b []byte) (object, error) { return c.pcksShare(b, outputLevel) })},
		{"shamir share", &o.shamir, wrap(func(b []byte) (object, error) { return c.shamirShare(b) })},
		{"public key", o.pk, wrap(func(b []byte) (object, error) { return c.publicKey(b) })},
		{"relinearization key", o.rlk, wrap(func(b []byte) (object, error) { return c.relinearizationKey(b) })},
		{"galois key", o.gk, wrap(func(b []byte) (object, error) { return c.galoisKey(b, o.galEl) })},
		{"ciphertext at outputLevel", o.ct, wrap(func(b []byte) (object, error) { return c.ciphertext(b, 0) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.obj.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			b2, err := got.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Error("decode then encode changed the bytes")
			}
			t.Logf("%d bytes", len(b))
			for name, bad := range map[string][]byte{
				"truncated": b[:len(b)-1],
				"extended":  append(slices.Clone(b), 0),
				"empty":     nil,
				"header":    flipFirstHeaderByte(t, c, b),
			} {
				if _, err := tt.decode(bad); err == nil {
					t.Errorf("decode(%s) error = nil, want an error", name)
				}
			}
		})
	}
	// The ciphertext an owner uploads decodes at InputLevel.
	ct, err := c.ciphertext(o.ctTop, multiBuildLevel)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Level() != InputLevel {
		t.Errorf("owner ciphertext at level %d, want %d", ct.Level(), InputLevel)
	}
	if _, err := c.ciphertext(mustMarshal(t, o.ct), outputLevel+1); err == nil {
		t.Error("ciphertext below the minimum level accepted")
	}
	if _, err := c.gkgShare(mustMarshal(t, &o.gkg), galoisElements(o.params)[1]); err == nil {
		t.Error("gkg share for another Galois element accepted")
	}
	if _, err := c.galoisKey(mustMarshal(t, o.gk), galoisElements(o.params)[1]); err == nil {
		t.Error("galois key for another Galois element accepted")
	}
}

func mustMarshal(tb testing.TB, o object) []byte {
	tb.Helper()
	b, err := o.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// flipFirstHeaderByte corrupts the first structural byte of b, using the shape decode cached.
func flipFirstHeaderByte(tb testing.TB, c *codec, b []byte) []byte {
	tb.Helper()
	shapes.Lock()
	defer shapes.Unlock()
	for _, s := range shapes.m {
		if s.size == len(b) && s.check(b) == nil {
			bad := slices.Clone(b)
			bad[s.fixed[0].off] ^= 0x80
			return bad
		}
	}
	tb.Fatal("no shape matches")
	return nil
}

func TestGaloisElements(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	got := galoisElements(params)
	if len(got) != 14 {
		t.Errorf("%d Galois elements, want 14 (13 column rotations and the row rotation)", len(got))
	}
	// lattigo's list for an inner sum over all N slots, less the identity (5^(N/2) = 1 mod 2N),
	// which it includes but never uses.
	want := slices.DeleteFunc(params.GaloisElementsForInnerSum(1, params.N()), func(e uint64) bool { return e == 1 })
	slices.Sort(want)
	want = slices.Compact(want)
	sorted := slices.Sorted(slices.Values(got))
	if !slices.Equal(sorted, want) {
		t.Errorf("galoisElements() = %v, want %v", sorted, want)
	}
	if got[len(got)-1] != params.GaloisElementForRowRotation() {
		t.Errorf("last element %d, want the row rotation %d", got[len(got)-1], params.GaloisElementForRowRotation())
	}
}

func TestCRSIsPerInstanceAndDeterministic(t *testing.T) {
	params, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	a, b := newCeremony(params, []byte("seed"), 1), newCeremony(params, []byte("seed"), 1)
	// Drawing other instances first must not change a CRP.
	if _, err := b.rkgCRP(); err != nil {
		t.Fatal(err)
	}
	ca, err := a.ckgCRP()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.ckgCRP()
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Value.Equal(&cb.Value) {
		t.Error("same seed and epoch gave different ckg CRPs")
	}
	for name, other := range map[string]*ceremony{
		"epoch": newCeremony(params, []byte("seed"), 2),
		"seed":  newCeremony(params, []byte("seed2"), 1),
	} {
		co, err := other.ckgCRP()
		if err != nil {
			t.Fatal(err)
		}
		if ca.Value.Equal(&co.Value) {
			t.Errorf("different %s gave the same ckg CRP", name)
		}
	}
}

func TestParams(t *testing.T) {
	p, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	if p.PlaintextModulus() != PlaintextModulus || p.LogN() != 14 || p.QCount() != 6 || p.PCount() != 2 {
		t.Errorf("params T=%d LogN=%d |Q|=%d |P|=%d", p.PlaintextModulus(), p.LogN(), p.QCount(), p.PCount())
	}
	if err := checkParams(p); err != nil {
		t.Error(err)
	}
	// A parameter set without the levels an evaluation spends is refused.
	small, err := heint.NewParametersFromLiteral(heint.ParametersLiteral{LogN: 12, LogQ: []int{30, 30}, LogP: []int{31}, PlaintextModulus: 65537})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkParams(small); err == nil {
		t.Error("checkParams accepted parameters with two Q primes")
	}
}

func TestSealedShamirShare(t *testing.T) {
	o := testObjectSet(t)
	cer := newCeremony(o.params, []byte("codec seed"), 7)
	pubA, privA, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubB, privB, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	share := mustMarshal(t, &o.shamir)
	sealed, err := cer.seal(share, 0, 1, pubB, privA)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != sealedSize(len(share)) {
		t.Errorf("sealed share is %d bytes, want %d", len(sealed), sealedSize(len(share)))
	}
	got, err := cer.open(sealed, len(share), 0, 1, pubA, privB)
	if err != nil {
		t.Fatalf("open() error: %v", err)
	}
	if !bytes.Equal(got, share) {
		t.Error("open() returned other bytes than were sealed")
	}
	flipped := slices.Clone(sealed)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name   string
		cer    *ceremony
		sealed []byte
		from   int
		to     int
		peer   *[32]byte
		priv   *[32]byte
	}{
		{"tampered", cer, flipped, 0, 1, pubA, privB},
		{"truncated", cer, sealed[:len(sealed)-1], 0, 1, pubA, privB},
		{"wrong sender key", cer, sealed, 0, 1, pubB, privB},
		{"wrong recipient key", cer, sealed, 0, 1, pubA, privA},
		{"other sender index", cer, sealed, 2, 1, pubA, privB},
		{"other recipient index", cer, sealed, 0, 2, pubA, privB},
		{"other epoch", newCeremony(o.params, []byte("codec seed"), 8), sealed, 0, 1, pubA, privB},
		{"other committee", newCeremony(o.params, []byte("other seed"), 7), sealed, 0, 1, pubA, privB},
	}
	for _, tt := range tests {
		if _, err := tt.cer.open(tt.sealed, len(share), tt.from, tt.to, tt.peer, tt.priv); err == nil {
			t.Errorf("open(%s) error = nil, want an error", tt.name)
		}
	}
}

func FuzzDecodeCiphertext(f *testing.F) {
	o := testObjectSet(f)
	b := mustMarshal(f, o.ct)
	f.Add(b)
	f.Add(b[:100])
	f.Add([]byte{})
	c := newCodec(o.params)
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, err := c.ciphertext(data, 0)
		if err != nil {
			return
		}
		if ct.Degree() != 1 || ct.Level() > o.params.MaxLevel() {
			t.Errorf("decoded a degree %d, level %d ciphertext", ct.Degree(), ct.Level())
		}
	})
}

func FuzzDecodeShamirShare(f *testing.F) {
	o := testObjectSet(f)
	b := mustMarshal(f, &o.shamir)
	f.Add(b)
	f.Add(b[:100])
	f.Add([]byte{})
	c := newCodec(o.params)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := c.shamirShare(data)
		if err != nil {
			return
		}
		if s.LevelQ() != o.params.MaxLevelQ() || s.LevelP() != o.params.MaxLevelP() {
			t.Errorf("decoded a share at levels %d, %d", s.LevelQ(), s.LevelP())
		}
	})
}

func FuzzOpenSealedShare(f *testing.F) {
	o := testObjectSet(f)
	cer := newCeremony(o.params, []byte("codec seed"), 7)
	pubA, privA, err := box.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	pubB, privB, err := box.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	share := []byte("a share of sixty-four bytes, well, near enough to sixty-four b")
	sealed, err := cer.seal(share, 0, 1, pubB, privA)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:30])
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := cer.open(data, len(share), 0, 1, pubA, privB)
		if err == nil && !bytes.Equal(got, share) {
			t.Errorf("open() accepted a forged share %q", got)
		}
	})
}
