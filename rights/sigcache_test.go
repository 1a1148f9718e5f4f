package rights

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"testing"
)

// TestVerifyEd25519MatchesStdlib checks that the fast verifier accepts exactly what
// crypto/ed25519 accepts, on valid signatures and on the edge cases where implementations
// differ: non-canonical S, small-order and non-canonical points, wrong sizes.
func TestVerifyEd25519MatchesStdlib(t *testing.T) {
	// l is the order of the base point.
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	le := func(n *big.Int) []byte {
		b := n.FillBytes(make([]byte, 32))
		for i := 0; i < 16; i++ {
			b[i], b[31-i] = b[31-i], b[i]
		}
		return b
	}
	// Small-order and non-canonical point encodings (from the ed25519 "speccheck" vectors).
	points := [][]byte{
		make([]byte, 32),                                         // y = 0
		append([]byte{1}, make([]byte, 31)...),                   // the identity
		append([]byte{0xec}, append(bytesOf(0xff, 30), 0x7f)...), // y = p-1
		append([]byte{0xed}, append(bytesOf(0xff, 30), 0x7f)...), // y = p, non-canonical 0
		append([]byte{0xee}, append(bytesOf(0xff, 30), 0x7f)...), // y = p+1, non-canonical 1
		{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
			0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}, // order 8
	}
	type vec struct{ pub, msg, sig []byte }
	var vecs []vec
	for i := range 64 {
		seed := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		priv := ed25519.NewKeyFromSeed(seed[:])
		pub := priv.Public().(ed25519.PublicKey)
		msg := seed[:i%32]
		sig := ed25519.Sign(priv, msg)
		vecs = append(vecs, vec{pub, msg, sig})
		bad := append([]byte(nil), sig...)
		bad[i%64] ^= 1 << (i % 8)
		vecs = append(vecs, vec{pub, msg, bad})
		// S + l: the same signature with a non-canonical S.
		s := new(big.Int).SetBytes(reverse(sig[32:]))
		vecs = append(vecs, vec{pub, msg, append(append([]byte(nil), sig[:32]...), le(s.Add(s, l))...)})
		for _, p := range points {
			vecs = append(vecs, vec{p, msg, sig}, vec{pub, msg, append(append([]byte(nil), p...), sig[32:]...)},
				vec{p, msg, append(append([]byte(nil), p...), make([]byte, 32)...)})
		}
		vecs = append(vecs, vec{pub[:31], msg, sig}, vec{pub, msg, sig[:63]})
	}
	accepted := 0
	for i, v := range vecs {
		want := len(v.pub) == ed25519.PublicKeySize && ed25519.Verify(v.pub, v.msg, v.sig)
		if got := (*Cache)(nil).verifyEd25519(v.pub, v.msg, v.sig); got != want {
			t.Errorf("vector %d: verifyEd25519 = %v, crypto/ed25519 = %v (pub %x sig %x)", i, got, want, v.pub, v.sig)
		}
		if want {
			accepted++
		}
	}
	if accepted < 64 {
		t.Errorf("only %d vectors verify, want at least the 64 valid ones", accepted)
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

// TestSigCache checks that a signature the App verified is remembered and one it did not is
// checked, so the cache never decides alone.
func TestSigCache(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader) // a tx no other test has seen
	if err != nil {
		t.Fatal(err)
	}
	tx := &Tx{ChainID: testChainID, Msg: Msg{ApproveGrant: &ApproveGrant{Grant: "gr-1"}}}
	if err := Sign(key, tx); err != nil {
		t.Fatal(err)
	}
	raw, err := EncodeTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	txs := [][]byte{raw}
	msg, _ := SignBytes(tx)
	k := sigKey(tx.PubKey, msg, tx.Sig)
	c := NewCache()
	if c.sigs.has(k) {
		t.Fatal("a tx nobody verified is in the cache")
	}
	c.Preverify(txs[0])
	if !c.sigs.has(k) {
		t.Fatal("preverify did not record a valid signature")
	}
	if NewCache().sigs.has(k) {
		t.Fatal("a signature one cache recorded is in another")
	}
	forged := *tx
	forged.Nonce++
	if err := VerifySig(&forged); err == nil {
		t.Error("a tx changed after signing verifies")
	}
	raw, _ = EncodeTx(&forged)
	c.Preverify(raw)
	fmsg, _ := SignBytes(&forged)
	if c.sigs.has(sigKey(forged.PubKey, fmsg, forged.Sig)) {
		t.Error("preverify recorded a bad signature")
	}
	// The shared decoding of each tx records the outcome, and only a success.
	if _, ok, err := c.decodeTx(txs[0]); err != nil || !ok.Load() {
		t.Errorf("the shared decoding of a verified tx is not marked verified (%v)", err)
	}
	if shared, ok, err := c.decodeTx(raw); err != nil || ok.Load() || c.verifySig(shared, ok) == nil || ok.Load() {
		t.Errorf("the shared decoding of a forged tx verifies or is marked verified (%v)", err)
	}

	s := &sigSet{cur: map[[32]byte]struct{}{}, max: 2}
	keys := [][32]byte{{1}, {2}, {3}, {4}, {5}}
	for _, k := range keys {
		s.add(k)
	}
	if s.has(keys[0]) || s.has(keys[1]) || !s.has(keys[2]) || !s.has(keys[3]) || !s.has(keys[4]) {
		t.Errorf("a full generation should push out the oldest: cur %v prev %v", s.cur, s.prev)
	}
}
