// Package zk compiles, sets up, proves, verifies and (de)serialises DXP's
// zk-SNARK proofs: Groth16 over BN254 with gnark. The circuits themselves
// live in package circuits.
//
// # Listing proofs
//
// A dataset column is cut into chunks of n values (n is fixed per chain). For
// each chunk the owner publishes a commitment and a proof that it knows n
// int64 values and a secret salt that hash to the commitment, with every
// value in the column's declared bounds [min, max]. The call sequence is:
//
//	pk, vk, err := zk.SetupListingInsecure(n)     // devnet only, once; see Security
//	prover, err := zk.NewListingProver(n, pk)     // once per process; compiles the circuit
//	cp, err := prover.Prove(values, min, max)     // per chunk; 1 <= len(values) <= n
//	// publish cp.Commitment and cp.Proof; keep cp.Salt secret
//	err = zk.VerifyListing(vk, cp.Proof, cp.Commitment, min, max) // on chain
//
// A chunk with fewer than n values is padded with min. The commitment is the
// salted Poseidon2 hash described at circuits.ListingCommitment.
//
// Encodings: proofs and verifying keys are gnark's compressed binary encoding
// (WriteTo); proving keys are gnark's uncompressed encoding (WriteRawTo),
// twice the size but loaded without decompressing points (at n = 1024, 36 MB
// load in under 0.1 s, against 4.5 s for the 18 MB compressed form).
// Commitments and salts are 32-byte big-endian canonical BN254 scalar field
// elements.
//
// [VerifyListing] takes untrusted bytes: it bounds every length prefix before
// gnark allocates, refuses trailing bytes, checks that the key has the shape
// of a listing key, and never panics. Parsed verifying keys are kept in a
// small in-memory cache keyed by their SHA-256; nothing is written to disk.
//
// Importing this package silences gnark's logger (it writes to stdout by
// default), so that command-line output stays clean.
//
// # Security
//
// [SetupListingInsecure] is a single-party Groth16 setup. The process that
// runs it samples the toxic waste, and ANYONE WHO RAN IT (or could read its
// memory) CAN FORGE PROOFS for any commitment and bounds. It exists for
// devnets and tests only. A real network must use keys from a multi-party
// ceremony (gnark's backend/groth16/bn254/mpcsetup), secure as long as one
// participant destroyed its contribution.
//
// The commitment hides the values only because of the salt: Prove draws 31
// bytes from crypto/rand for every chunk. Whoever learns a chunk's salt can
// brute-force its values one by one.
package zk
