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
// # Listing
//
// [Listing] proves that a chunk of n int64 values lies within the public
// bounds [Min, Max] and that the values, together with a secret salt, hash to
// the public Commitment. [ListingCommitment] computes the same commitment
// natively; a witness is built as:
//
//	salt := ...                               // random, secret, kept by the owner
//	c := circuits.ListingCommitment(values, salt) // values already padded to n
//	assignment := circuits.Listing{Values: ..., Salt: salt, Commitment: c, Min: min, Max: max}
//
// # Security
//
// Range soundness relies on the BN254 scalar field being about 2^254: both
// v-Min and Max-v are constrained to 64 bits, so no wrap-around modulo the
// field can make an out-of-range value pass. The commitment hides the values
// only because of the salt: a salt that is known or low-entropy lets anyone
// brute-force the values one by one.
package circuits
