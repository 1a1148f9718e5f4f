package marketplace

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/circuits"
	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
	"github.com/dxplabs/dxp/zk"
)

// Input proofs join three packages: mpc's ring and provable encryption, circuits' Input circuit
// and zk's prover and verifier. This file is where they meet: the layout of the input circuit
// for the chain's ring and a column width, and the chain's proof verifier.

// inputLayoutKey identifies an input layout: the ring degree and the column width.
type inputLayoutKey struct {
	slots uint64
	width uint32
}

// inputLayouts caches InputLayout per (slots, width): building the slot link costs a few
// hundred milliseconds at N = 16,384, and a layout is read-only.
var inputLayouts sync.Map // inputLayoutKey -> circuits.InputLayout

// InputLayout returns the layout of the input circuit for DXP's parameters at slots per
// ciphertext (mpc.NewParamsFor) and column width w: the encryption relation at mpc.InputLevel
// with its CRT groups, T and the proven noise bound, and the slot link of the encoder's roots.
func InputLayout(slots uint64, w uint32) (circuits.InputLayout, error) {
	k := inputLayoutKey{slots, w}
	if v, ok := inputLayouts.Load(k); ok {
		return v.(circuits.InputLayout), nil
	}
	params, err := mpc.NewParamsFor(slots)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	lay, err := inputLayoutOf(params, int(w))
	if err != nil {
		return circuits.InputLayout{}, err
	}
	inputLayouts.Store(k, lay)
	return lay, nil
}

func inputLayoutOf(params heint.Parameters, w int) (circuits.InputLayout, error) {
	groups, err := mpc.CRTGroups(params, mpc.InputLevel)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	moduli := make([]*big.Int, len(groups))
	for g, grp := range groups {
		moduli[g] = grp.Modulus
	}
	bound, err := mpc.ErrorBound(params)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	enc, err := circuits.NewEncryptionLayout(params.N(), moduli, params.PlaintextModulus(), uint64(bound), true)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	roots, err := mpc.SlotRoots(params)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	link, err := circuits.NewSlotLink(params.PlaintextModulus(), roots)
	if err != nil {
		return circuits.InputLayout{}, err
	}
	return circuits.NewInputLayout(w, enc, link)
}

// evaluationBytes is the size of one CRT group's evaluations in Chunk.Evaluations: C0, C1, P0,
// P1 at γ, 32 bytes each.
const evaluationBytes = 4 * fr.Bytes

// EncodeEvaluations is Chunk.Evaluations for ev.
func EncodeEvaluations(ev []circuits.EncryptionEvaluation) []byte {
	out := make([]byte, 0, len(ev)*evaluationBytes)
	for _, e := range ev {
		for _, x := range []fr.Element{e.C0Gamma, e.C1Gamma, e.P0Gamma, e.P1Gamma} {
			b := x.Bytes()
			out = append(out, b[:]...)
		}
	}
	return out
}

// DecodeEvaluations parses Chunk.Evaluations for a layout of groups CRT groups, refusing any
// length but groups·128 bytes and any element that is not canonical (below the field modulus).
func DecodeEvaluations(b []byte, groups int) ([]circuits.EncryptionEvaluation, error) {
	if len(b) != groups*evaluationBytes {
		return nil, fmt.Errorf("evaluations are %d bytes, want %d (%d CRT groups)", len(b), groups*evaluationBytes, groups)
	}
	out := make([]circuits.EncryptionEvaluation, groups)
	for g := range out {
		xs := []*fr.Element{&out[g].C0Gamma, &out[g].C1Gamma, &out[g].P0Gamma, &out[g].P1Gamma}
		for i, x := range xs {
			off := g*evaluationBytes + i*fr.Bytes
			if err := x.SetBytesCanonical(b[off : off+fr.Bytes]); err != nil {
				return nil, fmt.Errorf("evaluation %d of group %d is not a canonical field element", i, g)
			}
		}
	}
	return out, nil
}

// InputStatement is the statement of the input proof c claims.
func InputStatement(c *rights.InputClaim) (circuits.InputStatement, error) {
	var st circuits.InputStatement
	if err := st.Commitment.SetBytesCanonical(c.Commitment); err != nil {
		return st, fmt.Errorf("the chunk commitment is not a canonical 32-byte field element")
	}
	if c.Rows < 1 || c.Rows > c.Slots {
		return st, fmt.Errorf("%d rows in a chunk of %d", c.Rows, c.Slots)
	}
	st.Min, st.Max, st.Rows = c.Min, c.Max, int(c.Rows)
	st.Binding = zk.Binding(c.Key[:], mpc.InputLevel, c.Ciphertext)
	return st, nil
}

// Verifier is the chain's proof verifier (rights.Verifier): chunk proofs through zk.VerifyChunk,
// input proofs through zk.VerifyInput on the layout of the claim's ring and width.
type Verifier struct{}

// VerifyChunk calls zk.VerifyChunk.
func (Verifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	return zk.VerifyChunk(vk, proof, commitment, min, max)
}

// VerifyInput checks an input proof against its claim (see rights.Verifier).
func (Verifier) VerifyInput(vk []byte, c *rights.InputClaim, proof []byte) error {
	lay, err := InputLayout(c.Slots, c.Width)
	if err != nil {
		return err
	}
	st, err := InputStatement(c)
	if err != nil {
		return err
	}
	ev, err := DecodeEvaluations(c.Evaluations, lay.Encryption.Groups())
	if err != nil {
		return err
	}
	return zk.VerifyInput(vk, lay, st, ev, proof)
}

// InputChecker is a committee member's check of input proofs (mpc.InputChecker): the listed
// evaluations must be those of the stored ciphertext and the committee's key at the proof's
// challenge, on the layout of the claim's ring and width (zk.CheckInputEvaluations).
type InputChecker struct{}

// CheckInput checks one input proof's listed evaluations against polys, the T-scaled
// polynomials of the stored ciphertext and the committee's key (see mpc.InputChecker). Every
// error is the listing's fault.
func (InputChecker) CheckInput(c *mpc.InputClaim, proof []byte, polys []mpc.GroupPolys) error {
	lay, err := InputLayout(c.Slots, c.Width)
	if err != nil {
		return err
	}
	st, err := InputStatement(&rights.InputClaim{Slots: c.Slots, Width: c.Width, Commitment: c.Commitment, Min: c.Min, Max: c.Max,
		Rows: c.Rows, Key: c.Key, Ciphertext: c.Ciphertext, Evaluations: c.Evaluations})
	if err != nil {
		return err
	}
	groups := lay.Encryption.Groups()
	ev, err := DecodeEvaluations(c.Evaluations, groups)
	if err != nil {
		return err
	}
	if len(polys) != groups {
		return fmt.Errorf("%d CRT groups of polynomials, want %d", len(polys), groups)
	}
	gp := make([]circuits.GroupPolys, groups)
	for g, p := range polys {
		if p.Group.Modulus.Cmp(lay.Encryption.Moduli[g]) != 0 {
			return fmt.Errorf("CRT group %d of the polynomials is not the layout's", g)
		}
		gp[g] = circuits.GroupPolys{C0: p.C0, C1: p.C1, P0: p.P0, P1: p.P1}
	}
	return zk.CheckInputEvaluations(lay, st, ev, gp, proof)
}
