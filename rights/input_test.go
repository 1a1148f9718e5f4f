package rights

import (
	"bytes"
	"strings"
	"testing"
)

// recordingVerifier answers as testVerifier and records every call, in order: the verifying key
// and a copy of the claim of each input proof, the number of chunk proofs, the context of each
// histogram challenge and the arguments of each histogram check.
type recordingVerifier struct {
	inputVKs  [][]byte
	claims    []InputClaim
	chunks    int
	contexts  [][]byte
	chunkSums [][][]byte // per CheckHistogram call
	tableSums [][]byte
}

func (v *recordingVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	v.chunks++
	return testVerifier{}.VerifyChunk(vk, proof, commitment, min, max)
}

func (v *recordingVerifier) VerifyInput(vk []byte, c *InputClaim, proof []byte) error {
	v.inputVKs = append(v.inputVKs, bytes.Clone(vk))
	v.claims = append(v.claims, *c)
	return testVerifier{}.VerifyInput(vk, c, proof)
}

func (v *recordingVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	v.contexts = append(v.contexts, bytes.Clone(context))
	return testVerifier{}.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (v *recordingVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	v.chunkSums = append(v.chunkSums, chunkSums)
	v.tableSums = append(v.tableSums, tableSum)
	return testVerifier{}.CheckHistogram(chunkSums, tableSum)
}

func (v *recordingVerifier) reset() { *v = recordingVerifier{} }

// inputGenesis is testGenesis (a devnet of testSlots values per ciphertext) with input circuits
// of widths 16 and 64 beside the chunk circuits, requiring input proofs or not.
func inputGenesis(required bool) Genesis {
	g := testGenesis()
	g.Params.InputProofs = required
	g.Circuits = append(g.Circuits, testInputCircuit(testSlots, 16), testInputCircuit(testSlots, 64))
	return g
}

// newInputHarness is a harness over g with v verifying proofs, owner1 registered (open
// admission) and the committee's keys (testKeys) agreed.
func newInputHarness(t *testing.T, g Genesis, v Verifier) *harness {
	t.Helper()
	h := &harness{t: t, store: NewMemStore(), height: 1}
	h.l = &Ledger{Store: h.store, Verifier: v, Cache: NewCache()}
	if err := h.l.InitChain(g, Block{Height: 1}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	h.ok("owner1", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	h.ok("m1", Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: "keys", Digests: testKeys}})
	h.ok("m2", Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: "keys", Digests: testKeys}})
	h.next()
	return h
}

// TestInputColumnRules: the chain checks an input column's shape (one chunk per ciphertext of
// SlotsPerCiphertext values, a commitment, a proof and bounded evaluations per chunk, a
// registered input circuit) before any proof, then verifies each chunk's input proof against
// exactly the claim its ciphertext and the committee's key make; Params.InputProofs refuses any
// other column, and genesis holds a chain that is not a devnet to input proofs on the secure ring.
func TestInputColumnRules(t *testing.T) {
	v := &recordingVerifier{}
	h := newInputHarness(t, inputGenesis(false), v)

	// 20 rows on 8 slots: three ciphertexts, the last one holding 4 real rows.
	const rows = 20
	good := func() *RegisterDataset {
		return listing("in", rows, 5, inputColumn("a", -5, 5, rows, testSlots), column("b", TypeInteger, 0, 0, 1000, rows))
	}
	v.reset()
	id := h.ok("owner1", Msg{RegisterDataset: good()})
	want := good().Columns[0]
	if len(v.claims) != 3 || v.chunks != 5 {
		t.Fatalf("the verifier saw %d input claims and %d chunk proofs, want 3 (one per ciphertext of column a) and 5 (column b)", len(v.claims), v.chunks)
	}
	for j, c := range v.claims {
		wantRows := uint64(testSlots)
		if j == 2 {
			wantRows = rows - 2*testSlots
		}
		if c.Rows != wantRows {
			t.Errorf("claim %d: Rows = %d, want %d", j, c.Rows, wantRows)
		}
		if c.Slots != testSlots || c.Width != 16 || c.Min != -5 || c.Max != 5 {
			t.Errorf("claim %d: slots %d width %d bounds [%d, %d], want %d, 16, [-5, 5]", j, c.Slots, c.Width, c.Min, c.Max, testSlots)
		}
		if c.Key != testKeys[0] {
			t.Errorf("claim %d: Key = %s, want the committee's public key %s (Keys[0])", j, c.Key, testKeys[0])
		}
		if c.Ciphertext != want.Ciphertexts[j] {
			t.Errorf("claim %d: Ciphertext = %s, want the column's ciphertext %d, %s", j, c.Ciphertext, j, want.Ciphertexts[j])
		}
		if !bytes.Equal(c.Commitment, want.Chunks[j].Commitment) || !bytes.Equal(c.Evaluations, want.Chunks[j].Evaluations) {
			t.Errorf("claim %d: the commitment or evaluations are not chunk %d's", j, j)
		}
		if string(v.inputVKs[j]) != "vk input n8 w16" {
			t.Errorf("claim %d was verified under %q, want the input circuit's key", j, v.inputVKs[j])
		}
	}
	d, err := h.l.Dataset(id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Columns[0].Kind != CircuitInput || d.Status != DatasetPending || d.Commitment != DatasetCommitment(good().Columns) {
		t.Errorf("listed dataset: column kind %q, status %s, commitment %s; want input, pending, the dataset commitment", d.Columns[0].Kind, d.Status, d.Commitment)
	}
	asChunks := good().Columns
	asChunks[0].Kind = CircuitChunk
	if DatasetCommitment(asChunks) == d.Commitment {
		t.Errorf("the dataset commitment does not depend on the columns' circuit kind")
	}

	// Malformed input columns: refused before any proof is verified, changing nothing.
	for _, tc := range []struct {
		name   string
		change func(m *RegisterDataset)
		code   uint32
		want   string
	}{
		{"chunk size not the slots", func(m *RegisterDataset) {
			m.Columns[0] = inputColumn("a", -5, 5, rows, testChunk)
			m.Columns[0].Ciphertexts = good().Columns[0].Ciphertexts
		}, CodeBadDataset, "an input proof covers one ciphertext of 8 values"},
		{"a chunk short", func(m *RegisterDataset) { m.Columns[0].Chunks = m.Columns[0].Chunks[:2] },
			CodeBadDataset, `column "a" has 2 input proof chunks for 3 ciphertexts`},
		{"a chunk extra", func(m *RegisterDataset) {
			m.Columns[0].Chunks = append(m.Columns[0].Chunks, m.Columns[0].Chunks[0])
		}, CodeBadDataset, "4 input proof chunks for 3 ciphertexts"},
		{"no evaluations", func(m *RegisterDataset) { m.Columns[0].Chunks[1].Evaluations = nil },
			CodeBadDataset, `column "a" chunk 1 input proof evaluations are 0 bytes`},
		{"evaluations too long", func(m *RegisterDataset) { m.Columns[0].Chunks[2].Evaluations = testEvaluations("big", 9) },
			CodeBadDataset, "chunk 2 input proof evaluations are 1152 bytes, want a positive multiple of 128 up to 1024"},
		{"evaluations not whole groups", func(m *RegisterDataset) { m.Columns[0].Chunks[0].Evaluations = make([]byte, 100) },
			CodeBadDataset, "evaluations are 100 bytes"},
		{"evaluations on a chunk proof", func(m *RegisterDataset) { m.Columns[1].Chunks[0].Evaluations = testEvaluations("x", 1) },
			CodeBadDataset, "which only an input proof has"},
		{"short commitment", func(m *RegisterDataset) { m.Columns[0].Chunks[0].Commitment = m.Columns[0].Chunks[0].Commitment[:31] },
			CodeBadDataset, "chunk 0 commitment is 31 bytes"},
		{"no proof", func(m *RegisterDataset) { m.Columns[0].Chunks[2].Proof = nil }, CodeBadProof, `column "a" chunk 2 has no proof`},
		{"unregistered input circuit", func(m *RegisterDataset) { m.Columns[0].Width = 32 },
			CodeUnknownCircuit, "no circuit input-n8-w32 (chunk size 8, width 32) is registered"},
		{"unknown kind", func(m *RegisterDataset) { m.Columns[0].Kind = "magic" }, CodeUnknownCircuit, `circuit kind "magic", which is unknown`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			m := good()
			tc.change(m)
			v.reset()
			h.refused("owner1", Msg{RegisterDataset: m}, tc.code, tc.want)
			if len(v.claims) != 0 || v.chunks != 0 {
				t.Errorf("a listing refused for its shape had %d input and %d chunk proofs verified, want none", len(v.claims), v.chunks)
			}
		})
	}
	h.t = t

	// A bad input proof: refused naming the column and the chunk, changing nothing.
	bad := good()
	bad.Columns[0].Chunks[2].Proof = markedBadProof
	h.refused("owner1", Msg{RegisterDataset: bad}, CodeBadProof, `column "a" chunk 2: the proof does not verify under circuit input-n8-w16`)

	// The largest evaluations accepted: 8 CRT groups.
	most := good()
	most.Columns[0].Chunks[0].Evaluations = testEvaluations("most", maxEvaluationsBytes/evaluationsPerGroup)
	h.ok("owner1", Msg{RegisterDataset: most})

	// With InputProofs (here on a devnet), a chunk-proven column is refused, an input one is not.
	v.reset()
	req := newInputHarness(t, inputGenesis(true), v)
	req.refused("owner1", Msg{RegisterDataset: good()}, CodeInputProofRequired, `column "b" is proven with circuit n4-w16, but this chain requires an input circuit`)
	if len(v.claims) != 0 || v.chunks != 0 {
		t.Errorf("a listing refused for its unproven column had %d input and %d chunk proofs verified, want none", len(v.claims), v.chunks)
	}
	allInput := listing("in", rows, 5, inputColumn("a", -5, 5, rows, testSlots), inputColumn("b", 0, 1000, rows, testSlots))
	req.ok("owner1", Msg{RegisterDataset: allInput})
	if len(v.claims) != 6 || v.chunks != 0 {
		t.Errorf("the verifier saw %d input and %d chunk proofs, want 6 and 0", len(v.claims), v.chunks)
	}

	// Genesis: a chain that is not a devnet must require input proofs on the secure ring, and an
	// input circuit's chunk size must be the slots per ciphertext.
	for _, tc := range []struct {
		name   string
		mutate func(g *Genesis)
		want   string
	}{
		{"not a devnet without input proofs", func(g *Genesis) { g.Params.InputProofs = false }, "input proofs are off, which only a devnet may have"},
		{"not a devnet with 2048 slots", func(g *Genesis) {
			g.Params.SlotsPerCiphertext = 2048
			for i := range g.Circuits {
				if g.Circuits[i].Kind == CircuitInput {
					g.Circuits[i].ChunkSize = 2048
				}
			}
		}, "2048 slots per ciphertext is a ring below the secure size, which only a devnet may have; want 16384"},
		{"input circuit of the wrong chunk size", func(g *Genesis) { g.Circuits[2].ChunkSize = 8192 },
			"input circuit input-n8192-w16 has chunk size 8192, but an input proof covers one ciphertext, which holds 16384 values"},
		{"unknown circuit kind", func(g *Genesis) { g.Circuits[0].Kind = "magic" }, `circuit kind "magic" is unknown`},
		{"input proofs without an input circuit", func(g *Genesis) { g.Circuits = g.Circuits[:2] }, "no input circuit is registered"},
		{"devnet input circuit of the wrong chunk size", func(g *Genesis) {
			*g = inputGenesis(false)
			g.Circuits[2].ChunkSize = testChunk
		}, "input circuit input-n4-w16 has chunk size 4, but an input proof covers one ciphertext, which holds 8 values"},
	} {
		g := prodGenesis(DefaultProofFee)
		tc.mutate(&g)
		err := g.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", tc.name, err, tc.want)
		}
		if err := (&Ledger{Store: NewMemStore()}).InitChain(g, Block{Height: 1}); err == nil {
			t.Errorf("%s: InitChain accepted the genesis", tc.name)
		}
	}
	// A devnet may choose: input proofs or not, on a small ring.
	for _, required := range []bool{false, true} {
		if g := inputGenesis(required); g.Validate() != nil {
			t.Errorf("Validate(devnet, input proofs %v) = %v", required, g.Validate())
		}
	}
	if g := prodGenesis(DefaultProofFee); g.Validate() != nil {
		t.Errorf("Validate(not a devnet, input proofs on %d slots) = %v", SecureSlots, g.Validate())
	}
}

// TestAttackUnprovenColumnOnProvenChain: on a chain that requires input proofs, an owner encrypts
// whatever values it likes and lists the column with chunk proofs of other, in-range values under
// the chunk circuit genesis (or a setup ceremony) registered: nothing in a chunk proof ties the
// ciphertexts to the committed values, so the committee would compute on values no proof covers.
// The chain refuses it however the owner dresses it up, before verifying a single proof and
// without charging the fee; the same data with input proofs lists.
func TestAttackUnprovenColumnOnProvenChain(t *testing.T) {
	v := &recordingVerifier{}
	h := newProdHarness(t, 1, v)
	h.ok(testRegulatorKey, Msg{AdmitParty: &AdmitParty{Address: addr("mallory"), Roles: []Role{RoleOwner}, Credit: 100}})
	h.ok("mallory", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	h.next()
	if _, err := h.l.Circuit(CircuitID(testChunk, 16)); err != nil {
		t.Fatalf("the chain has no chunk circuit for the attack to use: %v", err)
	}

	const rows = 40 // one ciphertext of SecureSlots slots, 10 chunk proofs of 4 values
	// Chunk proofs of the values 0..9 it proved in range; the ciphertext encrypts anything.
	unproven := func() Column {
		c := column("salary", TypeInteger, 0, 0, 9, rows)
		c.Ciphertexts = []Digest{digestOf("ciphertext of values no proof covers")}
		return c
	}
	honest := func() Column { return inputColumn("age", 0, 120, rows, SecureSlots) }
	for _, tc := range []struct {
		name string
		cols []Column
		code uint32
		want string
	}{
		{"a chunk-proven column", []Column{unproven()}, CodeInputProofRequired,
			`column "salary" is proven with circuit n4-w16, but this chain requires an input circuit for every column`},
		{"beside an input column", []Column{honest(), unproven()}, CodeInputProofRequired, `column "salary"`},
		{"with evaluations copied from an input proof", func() []Column {
			c := unproven()
			for j := range c.Chunks {
				c.Chunks[j].Evaluations = honest().Chunks[0].Evaluations
			}
			return []Column{c}
		}(), CodeInputProofRequired, `column "salary"`},
		{"labelled input, still on chunk proofs of 4 values", func() []Column {
			c := unproven()
			c.Kind = CircuitInput
			return []Column{c}
		}(), CodeBadDataset, "an input proof covers one ciphertext of 16384 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			v.reset()
			h.refused("mallory", Msg{RegisterDataset: listing("payroll", rows, 1, tc.cols...)}, tc.code, tc.want)
			if len(v.claims) != 0 || v.chunks != 0 {
				t.Errorf("the chain verified %d input and %d chunk proofs of a listing it refuses, want none", len(v.claims), v.chunks)
			}
		})
	}
	h.t = t
	if p := h.party("mallory"); p.Balance != 100 || p.FeesPaid != 0 {
		t.Errorf("refused listings charged mallory: balance %d, fees %d", p.Balance, p.FeesPaid)
	}

	// The same rows proven with input proofs list, each proof checked against its ciphertext.
	v.reset()
	salary := inputColumn("salary", 0, 9, rows, SecureSlots)
	id := h.ok("mallory", Msg{RegisterDataset: listing("payroll", rows, 1, honest(), salary)})
	if len(v.claims) != 2 || v.chunks != 0 {
		t.Fatalf("the honest listing had %d input and %d chunk proofs verified, want 2 and 0", len(v.claims), v.chunks)
	}
	if c := v.claims[1]; c.Ciphertext != salary.Ciphertexts[0] || c.Rows != rows || c.Slots != SecureSlots || c.Key != testKeys[0] {
		t.Errorf("claim of the salary column = ciphertext %s, rows %d of %d slots, key %s; want %s, %d of %d, %s",
			c.Ciphertext, c.Rows, c.Slots, c.Key, salary.Ciphertexts[0], rows, SecureSlots, testKeys[0])
	}
	if d, err := h.l.Dataset(id); err != nil || d.Status != DatasetPending {
		t.Errorf("Dataset(%s) = %v, %v, want it pending its members' check", id, d, err)
	}
}
