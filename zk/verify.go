package zk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

const (
	// maxProofSize and maxKeySize bound the untrusted input VerifyChunk
	// parses. A chunk proof is about 200 bytes compressed and a chunk
	// verifying key about 600 bytes compressed.
	maxProofSize = 1 << 12
	maxKeySize   = 1 << 14

	// nbChunkPublic is the number of public inputs of circuits.Chunk:
	// Commitment, Min and Max.
	nbChunkPublic = 3

	// vkCacheSize bounds the parsed verifying keys kept in memory. A chain
	// has one key per chunk size; a few dozen is plenty.
	vkCacheSize = 32
)

// Verifier verifies chunk proofs; it satisfies the chain's
// rights.Verifier interface. The zero value is ready to use.
type Verifier struct{}

// VerifyChunk calls the package-level VerifyChunk.
func (Verifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	return VerifyChunk(vk, proof, commitment, min, max)
}

// VerifyChunk checks that proof proves knowledge of a chunk of values within
// [min, max] whose salted commitment is commitment, under the verifying key
// vk. It returns nil only for a valid proof. Every input may be untrusted:
// malformed bytes yield an error wrapping ErrInvalidKey (vk) or
// ErrInvalidProof (proof, commitment, bounds, failed verification), never a
// panic.
func VerifyChunk(vk, proof, commitment []byte, min, max int64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: internal panic: %v", ErrInvalidProof, r)
		}
	}()

	if min > max {
		return fmt.Errorf("%w: min %d > max %d", ErrInvalidProof, min, max)
	}
	if len(commitment) != fr.Bytes {
		return fmt.Errorf("%w: commitment is %d bytes, want %d", ErrInvalidProof, len(commitment), fr.Bytes)
	}
	var c fr.Element
	if err := c.SetBytesCanonical(commitment); err != nil {
		return fmt.Errorf("%w: commitment is not a canonical field element", ErrInvalidProof)
	}

	key, err := parseVerifyingKey(vk)
	if err != nil {
		return err
	}
	p, err := parseProof(proof, len(key.CommitmentKeys))
	if err != nil {
		return err
	}
	public := fr.Vector{c, fieldInt64(min), fieldInt64(max)}
	if err := groth16bn254.Verify(p, key, public); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return nil
}

// vkCache holds parsed verifying keys by the SHA-256 of their encoding:
// parsing a key checks subgroups and computes a pairing, which costs about as
// much as verifying a proof. Parsed keys are only read afterwards, so they
// are shared between goroutines.
var vkCache = struct {
	sync.Mutex
	keys map[[sha256.Size]byte]*groth16bn254.VerifyingKey
}{keys: make(map[[sha256.Size]byte]*groth16bn254.VerifyingKey)}

// parseVerifyingKey decodes and checks an untrusted chunk verifying key.
func parseVerifyingKey(vk []byte) (*groth16bn254.VerifyingKey, error) {
	return parseVerifyingKeyOf(vk, nbChunkPublic, "chunk")
}

// parseVerifyingKeyOf decodes and checks an untrusted verifying key of a
// circuit with nbPublic public inputs (circuit names it in errors).
func parseVerifyingKeyOf(vk []byte, nbPublic int, circuit string) (*groth16bn254.VerifyingKey, error) {
	digest := sha256.Sum256(vk)
	vkCache.Lock()
	key, ok := vkCache.keys[digest]
	vkCache.Unlock()
	if ok {
		// The cache is shared by every circuit: check the shape again.
		if err := checkKeyShape(key, nbPublic, circuit); err != nil {
			return nil, fmt.Errorf("%w: verifying key: %w", ErrInvalidKey, err)
		}
		return key, nil
	}

	if len(vk) > maxKeySize {
		return nil, fmt.Errorf("%w: verifying key is %d bytes, limit %d", ErrInvalidKey, len(vk), maxKeySize)
	}
	if err := checkKeyFraming(vk); err != nil {
		return nil, fmt.Errorf("%w: verifying key: %w", ErrInvalidKey, err)
	}
	key = new(groth16bn254.VerifyingKey)
	read, err := key.ReadFrom(bytes.NewReader(vk))
	if err != nil {
		return nil, fmt.Errorf("%w: verifying key: %w", ErrInvalidKey, err)
	}
	if read != int64(len(vk)) {
		return nil, fmt.Errorf("%w: verifying key: %d trailing bytes", ErrInvalidKey, int64(len(vk))-read)
	}
	if err := checkKeyShape(key, nbPublic, circuit); err != nil {
		return nil, fmt.Errorf("%w: verifying key: %w", ErrInvalidKey, err)
	}

	vkCache.Lock()
	if len(vkCache.keys) >= vkCacheSize {
		clear(vkCache.keys)
	}
	vkCache.keys[digest] = key
	vkCache.Unlock()
	return key, nil
}

// checkKeyShape checks that key is a key for a circuit with nbPublic public
// inputs, so that gnark's Verify cannot index out of range.
func checkKeyShape(key *groth16bn254.VerifyingKey, nbPublic int, circuit string) error {
	nbCommitments := len(key.PublicAndCommitmentCommitted)
	if len(key.CommitmentKeys) != nbCommitments {
		return fmt.Errorf("%d commitment keys for %d commitments", len(key.CommitmentKeys), nbCommitments)
	}
	// K holds one point for the constant wire, one per public input and one
	// per commitment.
	if got, want := len(key.G1.K), 1+nbPublic+nbCommitments; got != want {
		return fmt.Errorf("%d public points, want %d: not a %s key", got, want, circuit)
	}
	for _, committed := range key.PublicAndCommitmentCommitted {
		for _, j := range committed {
			if j < 1 || j > nbPublic {
				return fmt.Errorf("commitment refers to public input %d of %d", j, nbPublic)
			}
		}
	}
	return nil
}

// parseProof decodes an untrusted proof that must carry nbCommitments
// commitments.
func parseProof(proof []byte, nbCommitments int) (*groth16bn254.Proof, error) {
	if len(proof) > maxProofSize {
		return nil, fmt.Errorf("%w: proof is %d bytes, limit %d", ErrInvalidProof, len(proof), maxProofSize)
	}
	if err := checkProofFraming(proof, nbCommitments); err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrInvalidProof, err)
	}
	p := new(groth16bn254.Proof)
	read, err := p.ReadFrom(bytes.NewReader(proof))
	if err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrInvalidProof, err)
	}
	if read != int64(len(proof)) {
		return nil, fmt.Errorf("%w: proof: %d trailing bytes", ErrInvalidProof, int64(len(proof))-read)
	}
	return p, nil
}

// framing walks gnark's binary encoding of proofs and verifying keys without
// decoding points. gnark's decoder allocates a slice as soon as it reads a
// 32-bit length prefix, so a few garbage bytes could make it allocate
// gigabytes; checking every prefix against the bytes left first bounds all
// allocations by the (already bounded) input size.
//
// A proving key, hundreds of megabytes at the secure ring, is walked as a
// stream instead (r set, b unused): the walk allocates nothing, so a prefix
// need not be bounded by what is left, and bytes that run out are
// "truncated"; the key is then decoded from a second read of the same bytes
// (decodeProvingKeyFrom).
type framing struct {
	b   []byte
	r   *bufio.Reader // the stream form; nil for b
	n   int64         // bytes the stream form has consumed
	err error
}

// streamed sets f.err from a stream read's error.
func (f *framing) streamed(err error) {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		f.err = fmt.Errorf("truncated")
	} else if err != nil {
		f.err = err
	}
}

// left is how many bytes the rest of the input holds; the stream form does
// not know, and needs no bound (see framing).
func (f *framing) left() uint64 {
	if f.r != nil {
		return math.MaxUint64
	}
	return uint64(len(f.b))
}

// next reads the next k bytes (k <= 8).
func (f *framing) next(k int) []byte {
	if f.err != nil {
		return nil
	}
	if f.r != nil {
		var buf [8]byte
		_, err := io.ReadFull(f.r, buf[:k])
		f.n += int64(k)
		f.streamed(err)
		return buf[:k]
	}
	if len(f.b) < k {
		f.err = fmt.Errorf("truncated")
		return nil
	}
	out := f.b[:k]
	f.b = f.b[k:]
	return out
}

// point skips one G1 or G2 point, compressed or not; gnark marks an
// uncompressed point by 0b00 in the two most significant bits.
func (f *framing) point(g2 bool) {
	if f.err != nil {
		return
	}
	var first byte
	if f.r != nil {
		b, err := f.r.Peek(1)
		if f.streamed(err); f.err != nil {
			return
		}
		first = b[0]
	} else {
		if len(f.b) == 0 {
			f.err = fmt.Errorf("truncated")
			return
		}
		first = f.b[0]
	}
	size := curve.SizeOfG1AffineCompressed
	if g2 {
		size = curve.SizeOfG2AffineCompressed
	}
	if first>>6 == 0 {
		size *= 2
	}
	f.skip(size)
}

// length reads a 32-bit length prefix and checks that the rest of the input
// can hold that many elements of at least minSize bytes each.
func (f *framing) length(minSize int) int {
	b := f.next(4)
	if f.err != nil {
		return 0
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n)*uint64(minSize) > f.left() {
		f.err = fmt.Errorf("length prefix %d exceeds the input", n)
		return 0
	}
	return int(n)
}

// uint64 reads a big-endian 64-bit integer.
func (f *framing) uint64() uint64 {
	b := f.next(8)
	if f.err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (f *framing) skip(n int) {
	if f.err != nil {
		return
	}
	if f.r != nil {
		d, err := f.r.Discard(n)
		f.n += int64(d)
		f.streamed(err)
		return
	}
	if len(f.b) < n {
		f.err = fmt.Errorf("truncated")
		return
	}
	f.b = f.b[n:]
}

func (f *framing) end() error {
	if f.err != nil {
		return f.err
	}
	if f.r != nil {
		// Reading on to the end also lets a verifying reader check the whole object.
		if extra, err := io.Copy(io.Discard, f.r); err != nil {
			f.err = err
		} else if extra != 0 {
			f.err = fmt.Errorf("%d trailing bytes", extra)
		}
		return f.err
	}
	if len(f.b) != 0 {
		f.err = fmt.Errorf("%d trailing bytes", len(f.b))
	}
	return f.err
}

// checkProofFraming follows groth16/bn254 Proof.ReadFrom:
// Ar (G1), Bs (G2), Krs (G1), []Commitments (G1), CommitmentPok (G1).
func checkProofFraming(b []byte, nbCommitments int) error {
	f := framing{b: b}
	f.point(false)
	f.point(true)
	f.point(false)
	n := f.length(curve.SizeOfG1AffineCompressed)
	if f.err == nil && n != nbCommitments {
		return fmt.Errorf("%d commitments, want %d", n, nbCommitments)
	}
	for range n {
		f.point(false)
	}
	f.point(false)
	return f.end()
}

// checkKeyFraming follows groth16/bn254 VerifyingKey.ReadFrom:
// [α]1, [β]1, [β]2, [γ]2, [δ]1, [δ]2, []K (G1), [][]uint64 public and
// commitment committed, uint32 number of commitment keys, then per key two
// G2 points.
func checkKeyFraming(b []byte) error {
	f := framing{b: b}
	f.point(false)
	f.point(false)
	f.point(true)
	f.point(true)
	f.point(false)
	f.point(true)
	for range f.length(curve.SizeOfG1AffineCompressed) {
		f.point(false)
	}
	for range f.length(4) {
		f.skip(8 * f.length(8))
	}
	for range f.length(2 * curve.SizeOfG2AffineCompressed) {
		f.point(true)
		f.point(true)
	}
	return f.end()
}

// checkProvingKeyFraming follows groth16/bn254 ProvingKey.ReadFrom, and
// checks the two sizes gnark allocates by without a bound (the FFT domain
// and the number of wires) against the values expected for the circuit:
// domain (uint64 cardinality, five field elements, one byte), [α]1, [β]1,
// [δ]1, []A, []B, []Z, []K (G1), [β]2, [δ]2, []B (G2), uint64 number of
// wires, two uint64 infinity counts, two bool per wire, uint32 number of
// commitment keys, then per key two []G1.
//
// With cardinality 0 and nbWires -1 (the circuit not compiled yet) it takes
// both from the key, bounded by its bytes: the domain must be one more than
// the key's Z points (as groth16.Setup makes it, and checkProvingKey
// requires once the circuit is known), and the wires' flags must be there.
func checkProvingKeyFraming(b []byte, cardinality uint64, nbWires int) error {
	return provingKeyFraming(&framing{b: b}, cardinality, nbWires)
}

// provingKeyFrame walks a proving key read from r as checkProvingKeyFraming
// does, and returns its length.
func provingKeyFrame(r io.Reader, cardinality uint64, nbWires int) (int64, error) {
	f := &framing{r: bufio.NewReaderSize(r, 1<<20)}
	if err := provingKeyFraming(f, cardinality, nbWires); err != nil {
		return 0, err
	}
	return f.n, nil
}

func provingKeyFraming(f *framing, cardinality uint64, nbWires int) error {
	domain := f.uint64()
	if f.err == nil && cardinality != 0 && domain != cardinality {
		return fmt.Errorf("domain size %d, want %d", domain, cardinality)
	}
	f.skip(5*fr.Bytes + 1)
	for range 3 {
		f.point(false)
	}
	for i := range 4 {
		n := f.length(curve.SizeOfG1AffineCompressed)
		if i == 2 && f.err == nil && domain != uint64(n)+1 { // Z
			return fmt.Errorf("domain size %d for %d Z points", domain, n)
		}
		for range n {
			f.point(false)
		}
	}
	f.point(true)
	f.point(true)
	for range f.length(curve.SizeOfG2AffineCompressed) {
		f.point(true)
	}
	wires := f.uint64()
	if f.err == nil && nbWires >= 0 && wires != uint64(nbWires) {
		return fmt.Errorf("%d wires, want %d", wires, nbWires)
	}
	if f.err == nil && wires > f.left() {
		return fmt.Errorf("%d wires exceed the key", wires)
	}
	f.skip(16 + 2*int(wires))
	for range f.length(8) {
		for range 2 {
			for range f.length(curve.SizeOfG1AffineCompressed) {
				f.point(false)
			}
		}
	}
	return f.end()
}
