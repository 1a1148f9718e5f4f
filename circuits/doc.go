// Package circuits holds DXP's zk-SNARK circuits, one circuit per file, and
// the native (out-of-circuit) counterpart of every gadget they use.
//
// A circuit is a struct of [frontend.Variable] fields whose public inputs are
// tagged `gnark:",public"`, with a Define method that emits the constraints.
// This package holds constraints only: compiling, the Groth16 setup, proving,
// verifying and (de)serialisation live in package zk.
//
// The circuits are written for BN254 and Groth16 (R1CS).
//
// # Chunk
//
// [Chunk] proves that a chunk of n int64 values lies within the public
// bounds [Min, Max] and that the values, with a secret salt, hash to the
// public Commitment. It is fixed by n and the column's declared width w (the
// bit length of Max-Min, see [Width]) and costs about 11.7 R1CS constraints
// per value for a 32-bit column at n = 16,384: 6 lookups per value for two
// 33-bit range checks, and 5.4 for hashing, with values packed 7 per field
// element and a width-16 Poseidon2 sponge absorbing 15 elements per
// permutation. [NewChunkLayout] gives the shape; a witness is built as:
//
//	a, err := circuits.NewChunkAssignment(n, w, values, min, max, salt) // values padded to n
//	// a.Commitment == circuits.ChunkCommitment(n, w, values, min, salt)
//
// # Encryption
//
// [Encryption] proves that a BGV ciphertext is a fresh public-key
// encryption under a given key: per CRT group of moduli (product Q_g <
// 2^236), c' = p'·u + T·e [+ m] - Q_g·r1 - (X^N+1)·r2 over Z[X] on the
// T-scaled polynomials (centred representatives), checked at one random
// point γ, the commitment to every witness polynomial, with exact
// log-derivative range checks on u, e, m and r1. [EncryptionLayout] fixes the shape; its NewAssignment computes
// the quotients natively and refuses any witness outside the relation or
// its bounds; its Evaluate computes the public inputs at γ. A circuit that
// needs randomness tied to the same commitment (the slot link) embeds
// Encryption and calls [Encryption.DefineWith], which hands it γ. At N =
// 16,384 it costs 18.75 constraints per coefficient with one group and
// 24.75 with two.
//
// # Slot link
//
// [SlotLink] is a gadget, not a circuit: it checks inside another circuit
// that a BGV plaintext's coefficients m (mod T) are the inverse transform
// of its slot values v, without an NTT, by evaluating both sides at random
// points ρ mod T (Lagrange on the roots of X^N+1; the caller supplies the
// roots in the encoder's slot order). The caller range-checks m and v,
// commits to them, draws the ρ's from that commitment and calls Assert in
// the commitment's callback; Assert adds two commitments of its own for
// its range checks and a batch check. Each repetition errs with
// probability below N/T (2^-36 at N = 2^14 with DXP's T), the batch check
// below 2^-69 (two repetitions); at N = 16,384 it costs about 10.4
// constraints per slot for one repetition and 9.9 for each of two:
//
//	link, err := circuits.NewSlotLink(T, psi)  // psi[i]: the root of slot i
//	// in Define, inside multicommit.WithCommitment(api, func(api, c) { ... }, m..., v...):
//	err = link.Assert(api, m, v, rho1, rho2)   // rho1, rho2 < 2^50 from c
//	// natively: link.Check(m, v, rho) (no inverse NTT either)
//
// # Input
//
// [Input] is the circuit an owner proves per ciphertext: [Chunk],
// [Encryption] (with the message) and [SlotLink] over one witness. The
// encryption callback is multicommit's first, so γ is the root commitment
// over the whole witness (values' digits, salt, u, e, message limbs,
// quotients) and the statement except the evaluations (Commitment, Min,
// Max, Rows, Binding); inside it, the link checks the message against the
// values at two points read from γ's canonical bits. Rows says how many of
// the N rows are real: padding rows are offset 0 (the value Min) in the
// commitment and 0 in the plaintext slot, as zk's chunk prover and mpc's
// encoder pad. At N = 16,384 and w = 32 it costs 54.3 constraints per row
// with one CRT group and 60.3 with two:
//
//	lay, err := circuits.NewInputLayout(w, encLayout, slotLink)
//	a, err := lay.NewAssignment(rows, min, max, salt, encWitness, polys, binding)
//
// # Histogram
//
// [Input] has an optional histogram part ([HistogramLayout]): on the
// column side a chunk's proof also shows each real row's bucket b_i =
// ⌊(v_i − Min_h)/Bin⌋ < K and exposes S_c = Σ 1/(α − b_i); on the table
// side (the frequency table's ciphertext) it exposes S_T = Σ_k h_k/(α −
// k). Σ_c S_c = S_T at an α drawn after every commitment (zk) shows the
// table is the histogram of the values, except with probability (N−1)/p;
// HistogramLayout's documentation gives the argument and its bounds. Its
// public inputs ([HistogramStatement]) come after every other, and a
// layout without it compiles to the plain input circuit:
//
//	col, err := lay.WithHistogramColumn(K)
//	a, err := col.NewHistogramAssignment(rows, min, max, salt, encWitness, polys, binding, h)
//
// # Security
//
// Range soundness relies on the BN254 scalar field being about 2^254: in
// Chunk the offset and slack digits bound v-Min and Max-v to far less than
// the field, so no
// wrap-around modulo the field can make an out-of-range value pass (Chunk's
// type documentation gives the argument step by step). Chunk's range checks
// are a log-derivative lookup whose challenge comes from gnark's BSB22
// commitment to every digit; gnark's commitments are masked, which is why
// the public commitment is a hash and not that.
//
// SlotLink's arithmetic mod T is witnessed by the prover and checked as
// integer identities in the field: every witnessed integer is range-checked
// (a log-derivative lookup) so that both sides of each identity stay below
// p/2 and equality modulo p is equality over the integers (SlotLink's type
// documentation lists the bounds; NewSlotLink's parameters are checked
// against them when the circuit is built). Its soundness also needs each ρ
// drawn after m and v are committed: that is the caller's part.
//
// Binding rests on Poseidon2's collision resistance. Chunk's sponge uses
// gnark-crypto's width-16 BN254 parameters (generated by the Poseidon2
// authors' script for 128-bit security with their margin; 8 full and 57
// partial rounds), and one capacity element, about 127 bits of generic
// collision resistance; its IV encodes the circuit's (n, w) and a format
// version, which makes the zero padding of the last block unambiguous. The
// commitment hides the values only because of the salt: a salt that is known
// or low-entropy lets anyone brute-force the values one by one.
package circuits
