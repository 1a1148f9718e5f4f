// Package mpc is DXP's compute committee: a collective BGV key that no single party knows, owners'
// columns encrypted under it, and aggregate queries that the members evaluate on the ciphertexts
// and re-encrypt to the buyer's own key, so that only the buyer reads the answer and nobody reads
// the rows. It is built on lattigo v5 (he/heint for BGV, mhe for the multiparty protocols).
//
// The chain is the bulletin board and storage the mailbox: members never talk to each other. Each
// member puts its protocol shares in storage (Objects, addressed by SHA-256) and posts their digests
// on chain (Board); anyone can aggregate posted shares deterministically.
//
// # Call sequence
//
// Every member runs a Member daemon over its view of the chain:
//
//	params, _ := mpc.NewParams()
//	m, _ := mpc.NewMember(mpc.MemberConfig{Address: addr, Dir: dir, Params: params, Board: board, Objects: objs})
//	go m.Run(ctx) // ceremony first, then every pending computation
//
// An owner, once the committee is ready, encrypts a column under the collective public key:
//
//	pk, _ := mpc.LoadPublicKey(ctx, objs, params, committee.Keys)
//	cts, _ := mpc.EncryptColumn(params, pk, values) // Slots(params) values per ciphertext
//	// put each ciphertext in storage; register their digests on chain
//
// A buyer makes an RLWE key pair once, registers the public key, and opens each result:
//
//	sk, pk, _ := mpc.NewBuyerKey(params) // sk stays with the buyer; pk goes to storage
//	// ... request a computation; every member posts (output digest, share digest) ...
//	total, _ := mpc.Open(params, sk, output, shares) // one share from every member
//
// # The key ceremony
//
// A member's Step advances the ceremony as far as the board allows. Steps and their posts:
//
//	"ckg"   one digest: the member's public-key (CKG) share
//	"rkg1"  one digest: its relinearization-key (RKG) round-1 share
//	"gkg"   14 digests: its Galois-key (GKG) share for each Galois element, in the order below
//	"rkg2"  one digest: its RKG round-2 share, once every member posted rkg1
//	"keys"  16 digests, once every member posted ckg, rkg1, rkg2 and gkg: the collective keys
//	        aggregated from all members' shares, in this order:
//	          [0]     public key (rlwe.PublicKey, 2.1 MB)
//	          [1]     relinearization key (rlwe.RelinearizationKey, 6.3 MB)
//	          [2..15] Galois keys (rlwe.GaloisKey, 6.3 MB each) for the column rotations by
//	                  1, 2, 4, ..., 4096 (Galois elements 5^k mod 2N) and then the row rotation
//	                  (element 2N-1)
//
// Aggregation is deterministic, so every member posts identical "keys" digests, and the chain marks
// the committee ready when Threshold members agree. Common reference polynomials come from a keyed
// PRNG per protocol instance, keyed by SHA-256 of the committee's public seed, the epoch and the
// instance ("ckg", "rkg", "gkg/<element>"), so no ordering of draws needs agreeing on.
//
// A member writes its secret key share (before its first post) and its RKG ephemeral secret (with
// the digest of the round-1 share made with it, before posting that share) to Dir, 0600 in a 0700
// directory, each once and never overwritten; it never posts a step the board already shows; so a
// member restarted at any point with Dir intact resumes and completes the ceremony. The ephemeral
// secret is deleted once the member's round-2 share is on the board. Secret key shares are kept
// per epoch (Dir/epoch-<n>/secret-key).
//
// # Computations
//
// For a Task ("sum" or "mean"; both evaluate the column total), every member loads the input
// ciphertexts, adds them, and sums all slots with InnerSum over each row of the 2 x N/2 slot matrix
// (13 rotations) plus one row rotation, so every slot holds the total and the buyer learns nothing
// but the aggregate. The arithmetic runs at level 1 (two Q primes; owners' ciphertexts are at the
// top level, and adding drops the rest), which makes the output and each share 0.5 MB. Evaluation
// uses no randomness, so all members put byte-identical outputs; each then puts its public-key-
// switch (PCKS) share of the output toward the buyer's key and posts both digests. The evaluation
// keys (about 90 MB) are loaded once per epoch and kept in memory. Tasks are evaluated under the
// current epoch's keys.
//
// # Security
//
// Passive (honest-but-curious) security only: lattigo's protocols carry no proofs that shares were
// made correctly (mhe/README), so a malicious member can bias keys or results. Open checks that
// every slot of the decryption agrees, which catches a missing, extra, duplicated or corrupted share
// and a wrong buyer key, but not a member that evaluates a different query consistently.
//
// The collective key is an N-of-N additive sharing: every member's share is needed for every
// result, and losing one member's Dir loses the key. Committees whose Threshold is below the number
// of members are refused until t-of-N sharing (mhe.Thresholdizer/Combiner) lands; Member.shareKey
// is where a member's Shamir-derived additive share will plug in.
//
// Each member adds smudging noise to its PCKS share to hide the output's noise, which depends on the
// secret key: a discrete Gaussian with sigma 2^30 and bound 6·2^30, below the smallest Q prime
// (2^54) as lattigo's sampler requires, and far below what level 1 leaves for noise (see smudging
// in params.go for the arithmetic). It is a fixed constant for now, not yet sized from the
// ciphertext noise with a statistical security margin.
//
// Keys and noise come from crypto/rand (lattigo's default samplers). Secrets are never logged.
// Every object read from storage or handed to the API is checked against the exact size and
// structure of a well-formed object before lattigo decodes it, and lattigo panics are recovered at
// the package boundary.
package mpc
