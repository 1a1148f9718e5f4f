package rights

import (
	"fmt"
	"math/bits"
	"strconv"

	"github.com/dxplabs/dxp/storage"
)

// Circuit is a proving circuit the chain accepts proofs from: of kind Kind, for chunks of
// ChunkSize values of a column whose Max-Min fits in Width bits. A column proven with it names it
// by (Kind, ChunkSize, Width) (KindCircuitID); the chain checks every chunk's proof against VK.
// An input circuit (CircuitInput, CircuitInputHistogram, CircuitFrequencyTable) covers one
// ciphertext per proof, so its ChunkSize is the chain's Params.SlotsPerCiphertext.
//
// Circuits are registered in genesis (Genesis.Circuits) and, later, by the setup ceremony's
// transaction (chunk circuits only: input circuits of every kind come from genesis); both go through one function, registerCircuit. An entry is
// never replaced or removed: proofs registered under it stay verifiable.
type Circuit struct {
	ChunkSize uint64 // n: values per chunk proof
	Width     uint32 // w: bits of Max-Min the circuit accepts (1 to 64)
	// Kind is what a proof shows: CircuitChunk (the zero value), CircuitInput,
	// CircuitInputHistogram (a column's chunks, with the histogram column side) or
	// CircuitFrequencyTable (a column's frequency table).
	Kind CircuitKind `cbor:",omitempty" json:",omitempty"`
	VK   []byte      // Groth16 verifying key (gnark serialization)
	PK   Digest      // the proving key, an object in storage
	// Setup says where the keys came from: InsecureDevnetSetup (accepted only when genesis says
	// Devnet) or the digest of the setup ceremony's transcript.
	Setup string
}

// CircuitKind is what a circuit's proofs show about a chunk of a column.
type CircuitKind string

const (
	// CircuitChunk: the chunk's values lie within the column's bounds and hash to the chunk's
	// commitment. Nothing ties them to the column's ciphertexts.
	CircuitChunk CircuitKind = ""
	// CircuitInput: the chunk circuit over N = SlotsPerCiphertext rows, plus that the chunk's
	// ciphertext is a fresh public-key encryption, under the committee's collective key at the
	// input level and with bounded randomness and noise, of exactly those values, one per slot
	// (circuits.Input). A chunk is one ciphertext.
	CircuitInput CircuitKind = "input"
	// CircuitInputHistogram: CircuitInput, plus the histogram column side (circuits.Input with
	// InputLayout.WithHistogramColumn(N), N = ChunkSize bins): each chunk's proof also exposes
	// S_c = Σ_i 1/(α − b_i) over its real rows, b_i the bin of row i in the column's frequency
	// table, at the chain's challenge α (Verifier.HistogramChallenge). A column proven with it
	// carries a proven frequency table (FrequencyTable.Proof) and each chunk its S_c
	// (Chunk.HistogramSum).
	CircuitInputHistogram CircuitKind = "input-histogram"
	// CircuitFrequencyTable: the frequency table's input circuit (circuits.Input with
	// InputLayout.WithHistogramTable()): the table's ciphertext is a fresh encryption of the
	// committed counts h_k (slot k, every one of the N slots a real row, counts in [0, Rows]), and
	// the proof exposes S_T = Σ_k h_k/(α − k). The chain accepts the column's table only if
	// Σ_c S_c = S_T (Verifier.CheckHistogram): the counts are then the histogram of the
	// committed values, except with probability at most N/p for the α drawn.
	CircuitFrequencyTable CircuitKind = "frequency-table"
)

// input says whether k is an input circuit's kind: its proof covers one ciphertext of
// SlotsPerCiphertext values (CircuitInput, CircuitInputHistogram, CircuitFrequencyTable).
func (k CircuitKind) input() bool {
	return k == CircuitInput || k == CircuitInputHistogram || k == CircuitFrequencyTable
}

// ID is the circuit's key in the registry and in queries ("circuit/<id>"): "n<ChunkSize>-w<Width>"
// for a chunk circuit, "<Kind>-n<ChunkSize>-w<Width>" for the others ("input-n8-w16",
// "input-histogram-n8-w16", "frequency-table-n8-w16").
func (c *Circuit) ID() string { return KindCircuitID(c.Kind, c.ChunkSize, c.Width) }

// CircuitID names the chunk circuit for chunks of n values of width w.
func CircuitID(n uint64, w uint32) string { return KindCircuitID(CircuitChunk, n, w) }

// KindCircuitID names the circuit of kind k for chunks of n values of width w.
func KindCircuitID(k CircuitKind, n uint64, w uint32) string {
	id := "n" + strconv.FormatUint(n, 10) + "-w" + strconv.FormatUint(uint64(w), 10)
	if k != CircuitChunk {
		id = string(k) + "-" + id
	}
	return id
}

const (
	// maxCircuitChunk bounds the chunk size of a circuit genesis registers. It is a sanity bound,
	// looser than zk.MaxChunkSize (1<<16), the largest circuit zk compiles; a setup ceremony's
	// circuit is held to zk's bound (maxZKChunkSize).
	maxCircuitChunk = 1 << 20
	// maxCircuitWidth is the widest column a chunk circuit accepts: an int64 column's Max-Min.
	maxCircuitWidth = 64
	// maxVKBytes bounds a verifying key; a chunk circuit's is about 600 bytes.
	maxVKBytes = 1 << 14
)

// ColumnWidth is the width a column with bounds [lo, hi] needs: the bit length of hi-lo, at
// least 1 (0 if lo > hi). It is zk.Width, restated here because rights imports no prover.
func ColumnWidth(lo, hi int64) uint32 {
	if lo > hi {
		return 0
	}
	return uint32(max(1, bits.Len64(uint64(hi)-uint64(lo))))
}

// checkCircuit reports the first thing wrong with c on a chain whose genesis says devnet and
// whose ciphertexts hold slots values.
func checkCircuit(c *Circuit, devnet bool, slots uint64) error {
	switch {
	case c.Kind != CircuitChunk && !c.Kind.input():
		return fmt.Errorf("circuit kind %q is unknown (want %q for a chunk circuit, or %q, %q or %q for an input circuit)",
			c.Kind, CircuitChunk, CircuitInput, CircuitInputHistogram, CircuitFrequencyTable)
	case c.ChunkSize < 1 || c.ChunkSize > maxCircuitChunk:
		return fmt.Errorf("circuit chunk size %d is outside 1..%d", c.ChunkSize, maxCircuitChunk)
	case c.Width < 1 || c.Width > maxCircuitWidth:
		return fmt.Errorf("circuit width %d is outside 1..%d", c.Width, maxCircuitWidth)
	case c.Kind.input() && c.ChunkSize != slots:
		return fmt.Errorf("input circuit %s has chunk size %d, but an input proof covers one ciphertext, which holds %d values on this chain", c.ID(), c.ChunkSize, slots)
	case len(c.VK) == 0 || len(c.VK) > maxVKBytes:
		return fmt.Errorf("circuit %s verifying key is %d bytes, want 1 to %d", c.ID(), len(c.VK), maxVKBytes)
	case c.PK.IsZero():
		return fmt.Errorf("circuit %s proving key digest is zero", c.ID())
	}
	if c.Setup == InsecureDevnetSetup {
		if !devnet {
			return fmt.Errorf("circuit %s: setup %q is allowed only on a devnet", c.ID(), InsecureDevnetSetup)
		}
	} else if _, err := storage.ParseDigest(c.Setup); err != nil {
		return fmt.Errorf("circuit %s: setup must be %q or the ceremony transcript digest: %w", c.ID(), InsecureDevnetSetup, err)
	}
	return nil
}

// registerCircuit adds c to the registry. It is the only writer of the registry: genesis and the
// setup ceremony's transaction both call it. It refuses a malformed circuit (an unknown kind, an
// input circuit of any kind whose chunk size is not the chain's SlotsPerCiphertext), an insecure setup off a
// devnet, and an id (kind, ChunkSize, Width) already registered.
func (x *exec) registerCircuit(c Circuit) error {
	g, err := x.genesis()
	if err != nil {
		return err
	}
	if c.Setup == InsecureDevnetSetup && !g.Devnet {
		return refuse(CodeInsecureSetup, "circuit %s: setup %q is allowed only on a devnet, and this chain's genesis is not one", c.ID(), InsecureDevnetSetup)
	}
	if err := checkCircuit(&c, g.Devnet, g.Params.SlotsPerCiphertext); err != nil {
		return refuse(CodeBadCircuit, "%v", err)
	}
	k := key(prefixCircuit, c.ID())
	old, err := x.s.Get(k)
	if err != nil {
		return err
	}
	if old != nil {
		return refuse(CodeCircuitExists, "circuit %s is already registered; a registered circuit is never replaced", c.ID())
	}
	if err := save(x.s, k, &c); err != nil {
		return err
	}
	x.emit(Event{Action: "register_circuit", Attrs: []Attr{{"circuit", c.ID()}, {"setup", c.Setup}}})
	return nil
}

// circuit loads the registered circuit of kind k for (n, w), or refuses a column that names an
// unregistered one.
func (x *exec) circuit(k CircuitKind, n uint64, w uint32) (*Circuit, error) {
	var c Circuit
	id := KindCircuitID(k, n, w)
	ok, err := load(x.s, key(prefixCircuit, id), &c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(CodeUnknownCircuit, "no circuit %s (chunk size %d, width %d) is registered", id, n, w)
	}
	return &c, nil
}

// Circuit returns the registered circuit id (see CircuitID and KindCircuitID).
func (l *Ledger) Circuit(id string) (*Circuit, error) {
	return one[Circuit](l, key(prefixCircuit, id), "circuit "+id)
}

// Circuits returns every registered circuit, in id order.
func (l *Ledger) Circuits() ([]Circuit, error) { return list[Circuit](l.Store, prefixCircuit) }
