package mpc

import (
	"bytes"
	"encoding"
	"fmt"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/ring/ringqp"
)

// Decoding untrusted bytes.
//
// Lattigo's decoders trust their input: a length prefix is allocated before it is read (a forged
// one can exhaust memory) and malformed structure can panic. Every object mpc reads therefore goes
// through a shape first: the exact size and every byte that is not a polynomial coefficient
// (length prefixes, levels, metadata, Galois elements) of a well-formed object of the expected
// kind. Only bytes that pass are handed to lattigo, inside a recover.

// object is every lattigo type mpc serializes.
type object interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// kind describes one type of object: how to allocate a well-formed zero object and how to set all
// its coefficients to all-ones bits. The bytes that differ between the two encodings are the
// coefficients; all others are structure that every valid encoding must repeat exactly.
type kind struct {
	name string
	new  func() object
	fill func(object)
}

type span struct {
	off  int
	want []byte
}

type shape struct {
	size  int
	fixed []span
}

func newShape(k kind) (*shape, error) {
	zero, err := k.new().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode %s template: %w", k.name, err)
	}
	o := k.new()
	k.fill(o)
	ones, err := o.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode %s template: %w", k.name, err)
	}
	if len(zero) != len(ones) {
		return nil, fmt.Errorf("%s template sizes differ: %d and %d", k.name, len(zero), len(ones))
	}
	s := &shape{size: len(zero)}
	for i := 0; i < len(zero); {
		if zero[i] != ones[i] {
			i++
			continue
		}
		j := i
		for j < len(zero) && zero[j] == ones[j] {
			j++
		}
		s.fixed = append(s.fixed, span{off: i, want: bytes.Clone(zero[i:j])})
		i = j
	}
	return s, nil
}

func (s *shape) check(b []byte) error {
	if len(b) != s.size {
		return fmt.Errorf("%d bytes, want %d", len(b), s.size)
	}
	for _, f := range s.fixed {
		if !bytes.Equal(b[f.off:f.off+len(f.want)], f.want) {
			return fmt.Errorf("malformed header at byte %d", f.off)
		}
	}
	return nil
}

// codec decodes and validates the objects of one parameter set. Safe for concurrent use.
type codec struct {
	params heint.Parameters
	id     string // identifies the parameters in shapes
}

func newCodec(params heint.Parameters) *codec {
	return &codec{params: params, id: fmt.Sprintf("%d/%v/%v/%d", params.LogN(), params.Q(), params.P(), params.PlaintextModulus())}
}

// shapes caches the shapes of every kind decoded so far, per parameter set. A shape keeps only the
// structural bytes, a few hundred per object.
var shapes struct {
	sync.Mutex
	m map[string]*shape
}

func (c *codec) shape(k kind) (*shape, error) {
	key := c.id + "/" + k.name
	shapes.Lock()
	defer shapes.Unlock()
	if s, ok := shapes.m[key]; ok {
		return s, nil
	}
	var s *shape
	err := protect(func() error {
		var err error
		s, err = newShape(k)
		return err
	})
	if err != nil {
		return nil, err
	}
	if shapes.m == nil {
		shapes.m = make(map[string]*shape)
	}
	shapes.m[key] = s
	return s, nil
}

// decode checks b against k's shape and unmarshals it into a fresh object.
func (c *codec) decode(k kind, b []byte) (object, error) {
	return c.decodeInto(k, b, nil)
}

// decodeInto is decode into o, an object of k's type, reusing its memory (lattigo keeps the
// capacity of the polynomials it reads into); nil o means a fresh object. On an error o is left
// partly overwritten.
func (c *codec) decodeInto(k kind, b []byte, o object) (object, error) {
	s, err := c.shape(k)
	if err != nil {
		return nil, err
	}
	if err := s.check(b); err != nil {
		return nil, fmt.Errorf("bad %s: %w", k.name, err)
	}
	err = protect(func() error {
		if o == nil {
			o = k.new()
		}
		return o.UnmarshalBinary(b)
	})
	if err != nil {
		return nil, fmt.Errorf("bad %s: %w", k.name, err)
	}
	return o, nil
}

// protect runs f and turns a panic into an error: lattigo panics on inputs it does not expect, and
// panics must not cross the package boundary.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}

func fillPoly(p ring.Poly) {
	for _, row := range p.Coeffs {
		for i := range row {
			row[i] = ^uint64(0)
		}
	}
}

func fillQP(p ringqp.Poly) {
	fillPoly(p.Q)
	fillPoly(p.P)
}

func fillGadget(g *rlwe.GadgetCiphertext) {
	for _, row := range g.Value {
		for _, v := range row {
			for _, p := range v {
				fillQP(p)
			}
		}
	}
}

func fillElement(e *rlwe.Element[ring.Poly]) {
	for _, p := range e.Value {
		fillPoly(p)
	}
}

func (c *codec) ciphertextKind(level int) kind {
	return kind{
		name: fmt.Sprintf("ciphertext at level %d", level),
		new:  func() object { return heint.NewCiphertext(c.params, 1, level) },
		fill: func(o object) { fillElement(&o.(*rlwe.Ciphertext).Element) },
	}
}

// outputCiphertext decodes an evaluation's output: a degree-1 ciphertext at outputLevel whose
// scale is the one the evaluation leaves (outputScale).
func (c *codec) outputCiphertext(b []byte, single bool) (*rlwe.Ciphertext, error) {
	scale := outputScale(c.params, single)
	o, err := c.decode(kind{
		name: fmt.Sprintf("output ciphertext (single %v)", single),
		new: func() object {
			ct := heint.NewCiphertext(c.params, 1, outputLevel)
			ct.Scale = scale
			return ct
		},
		fill: func(o object) { fillElement(&o.(*rlwe.Ciphertext).Element) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*rlwe.Ciphertext), nil
}

// outputScale is the BGV scale of an evaluation's output: each rescale from level ℓ multiplies
// the scale by q_ℓ⁻¹ mod T (products and masks have scale 1). It is computed with the same Scale
// arithmetic lattigo's Rescale and Mul use, so that the encodings match byte for byte.
func outputScale(params heint.Parameters, single bool) rlwe.Scale {
	s := params.DefaultScale()
	top := multiBuildLevel
	if single {
		top = singleBuildLevel
	}
	for l := top; l > outputLevel; l-- {
		s = s.Div(params.NewScale(params.Q()[l]))
		if !single && l == top {
			s = s.Mul(params.DefaultScale()) // the slot mask
		}
	}
	return s
}

// ciphertext decodes a degree-1 BGV ciphertext at any level from minLevel up; the level follows
// from the size.
func (c *codec) ciphertext(b []byte, minLevel int) (*rlwe.Ciphertext, error) {
	return c.ciphertextInto(b, minLevel, nil)
}

// ciphertextInto is ciphertext decoding into ct's memory (nil: a fresh ciphertext).
func (c *codec) ciphertextInto(b []byte, minLevel int, ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	for level := minLevel; level <= c.params.MaxLevel(); level++ {
		if len(b) != ciphertextSize(c.params, level) {
			continue
		}
		var into object
		if ct != nil {
			into = ct
		}
		o, err := c.decodeInto(c.ciphertextKind(level), b, into)
		if err != nil {
			return nil, err
		}
		return o.(*rlwe.Ciphertext), nil
	}
	return nil, fmt.Errorf("bad ciphertext: %d bytes is not the size of a ciphertext at level %d to %d", len(b), minLevel, c.params.MaxLevel())
}

// ciphertextSize is the encoded size of a degree-1 ciphertext at level: a metadata flag and block,
// then two polynomials of level+1 rows of N coefficients. It is asked on every ciphertext a member
// loads, so it is measured once per ring degree and level (measuring allocates a ciphertext).
func ciphertextSize(p heint.Parameters, level int) int {
	key := [2]int{p.LogN(), level}
	if n, ok := ciphertextSizes.Load(key); ok {
		return n.(int)
	}
	n := heint.NewCiphertext(p, 1, level).BinarySize()
	ciphertextSizes.Store(key, n)
	return n
}

var ciphertextSizes sync.Map // [LogN, level] -> encoded size of a degree-1 ciphertext

func (c *codec) publicKey(b []byte) (*rlwe.PublicKey, error) {
	o, err := c.decode(kind{
		name: "public key",
		new:  func() object { return rlwe.NewPublicKey(c.params) },
		fill: func(o object) {
			for _, p := range o.(*rlwe.PublicKey).Value {
				fillQP(p)
			}
		},
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*rlwe.PublicKey), nil
}

func (c *codec) secretKey(b []byte) (*rlwe.SecretKey, error) {
	o, err := c.decode(kind{
		name: "secret key",
		new:  func() object { return rlwe.NewSecretKey(c.params) },
		fill: func(o object) { fillQP(o.(*rlwe.SecretKey).Value) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*rlwe.SecretKey), nil
}

func (c *codec) relinearizationKey(b []byte) (*rlwe.RelinearizationKey, error) {
	o, err := c.decode(kind{
		name: "relinearization key",
		new:  func() object { return rlwe.NewRelinearizationKey(c.params) },
		fill: func(o object) { fillGadget(&o.(*rlwe.RelinearizationKey).GadgetCiphertext) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*rlwe.RelinearizationKey), nil
}

func (c *codec) galoisKey(b []byte, galEl uint64) (*rlwe.GaloisKey, error) {
	o, err := c.decode(kind{
		name: fmt.Sprintf("galois key %d", galEl),
		new: func() object {
			gk := rlwe.NewGaloisKey(c.params)
			gk.GaloisElement = galEl
			return gk
		},
		fill: func(o object) { fillGadget(&o.(*rlwe.GaloisKey).GadgetCiphertext) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*rlwe.GaloisKey), nil
}

// The protocol shares. Their shape does not depend on the protocol instance, so a throwaway
// protocol value allocates them.

func (c *codec) ckgShare(b []byte) (*mhe.PublicKeyGenShare, error) {
	o, err := c.decode(kind{
		name: "ckg share",
		new: func() object {
			s := mhe.PublicKeyGenShare{Value: c.params.RingQP().NewPoly()}
			return &s
		},
		fill: func(o object) { fillQP(o.(*mhe.PublicKeyGenShare).Value) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*mhe.PublicKeyGenShare), nil
}

func (c *codec) rkgShare(b []byte) (*mhe.RelinearizationKeyGenShare, error) {
	o, err := c.decode(kind{
		name: "rkg share",
		new: func() object {
			return &mhe.RelinearizationKeyGenShare{GadgetCiphertext: *rlwe.NewGadgetCiphertext(c.params, 1, c.params.MaxLevelQ(), c.params.MaxLevelP(), 0)}
		},
		fill: func(o object) { fillGadget(&o.(*mhe.RelinearizationKeyGenShare).GadgetCiphertext) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*mhe.RelinearizationKeyGenShare), nil
}

func (c *codec) gkgShare(b []byte, galEl uint64) (*mhe.GaloisKeyGenShare, error) {
	o, err := c.decode(kind{
		name: fmt.Sprintf("gkg share %d", galEl),
		new: func() object {
			s := mhe.GaloisKeyGenShare{GaloisElement: galEl}
			s.GadgetCiphertext = *rlwe.NewGadgetCiphertext(c.params, 0, c.params.MaxLevelQ(), c.params.MaxLevelP(), 0)
			return &s
		},
		fill: func(o object) { fillGadget(&o.(*mhe.GaloisKeyGenShare).GadgetCiphertext) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*mhe.GaloisKeyGenShare), nil
}

func (c *codec) pcksShare(b []byte, level int) (*mhe.PublicKeySwitchShare, error) {
	o, err := c.decode(kind{
		name: fmt.Sprintf("key-switch share at level %d", level),
		new:  func() object { return &mhe.PublicKeySwitchShare{Element: *rlwe.NewElement(c.params, 1, level)} },
		fill: func(o object) { fillElement(&o.(*mhe.PublicKeySwitchShare).Element) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*mhe.PublicKeySwitchShare), nil
}

func (c *codec) shamirShareKind() kind {
	return kind{
		name: "shamir share",
		new:  func() object { return &mhe.ShamirSecretShare{Poly: c.params.RingQP().NewPoly()} },
		fill: func(o object) { fillQP(o.(*mhe.ShamirSecretShare).Poly) },
	}
}

// shamirShare decodes a threshold secret share (a received Shamir share or the aggregate).
func (c *codec) shamirShare(b []byte) (*mhe.ShamirSecretShare, error) {
	o, err := c.decode(c.shamirShareKind(), b)
	if err != nil {
		return nil, err
	}
	return o.(*mhe.ShamirSecretShare), nil
}

func (c *codec) shamirShareSize() (int, error) {
	s, err := c.shape(c.shamirShareKind())
	if err != nil {
		return 0, err
	}
	return s.size, nil
}

// ksShare decodes a member's decryption share (a key-switch share toward the zero key) at level.
func (c *codec) ksShare(b []byte, level int) (*mhe.KeySwitchShare, error) {
	o, err := c.decode(kind{
		name: fmt.Sprintf("decryption share at level %d", level),
		new:  func() object { return &mhe.KeySwitchShare{Value: c.params.RingQ().AtLevel(level).NewPoly()} },
		fill: func(o object) { fillPoly(o.(*mhe.KeySwitchShare).Value) },
	}, b)
	if err != nil {
		return nil, err
	}
	return o.(*mhe.KeySwitchShare), nil
}
