// Package zk compiles, sets up, proves, verifies and (de)serialises DXP's
// zk-SNARK proofs: Groth16 over BN254 with gnark. The circuits themselves
// live in package circuits.
//
// # Chunk proofs
//
// A dataset column is cut into chunks of n values. For
// each chunk the owner publishes a commitment and a proof that it knows n
// int64 values and a secret salt that hash to the commitment, with every
// value in the column's declared bounds [min, max]. The circuit is fixed by
// n and by the column's declared width w = [Width](min, max), the bit length
// of max-min: values are range-checked and packed by that width, which
// makes a 32-bit column cost about 11.7 R1CS constraints per value (see
// circuits.Chunk). A circuit of width w accepts any bounds at most w bits
// wide, so a chain registers keys for a few (n, w) only (rights.Circuit) and
// each column names the one it was proven with. The call sequence is:
//
//	w := zk.Width(min, max)                        // round up to a width the chain has keys for
//	pk, vk, err := zk.SetupChunkInsecure(n, w)     // devnet only, once; see Security
//	prover, err := zk.NewChunkProver(n, w, pk)     // once per process; compiles the circuit
//	cp, err := prover.Prove(values, min, max)      // per chunk; 1 <= len(values) <= n
//	// publish cp.Commitment and cp.Proof; keep cp.Salt secret
//	err = zk.VerifyChunk(vk, cp.Proof, cp.Commitment, min, max) // on chain
//
// A chunk with fewer than n values is padded with min. The commitment is the
// salted Poseidon2 sponge hash described at circuits.ChunkCommitment; the
// dataset commitment, which binds the chunk commitments, is the caller's
// (rights.DatasetCommitment). [Verifier] is the chain's verifier: the
// verifying key alone says which (n, w) circuit a proof is for.
//
// Many chunks are proved through [ChunkProver.ProveChunks], which keeps
// [ProofWorkers] proofs in flight (one on two cores: each gnark proof
// already keeps both cores busy, and a second one in flight adds memory,
// not throughput); the proving key is loaded once and shared. On 2 cores a
// 16,384-value chunk of a 32-bit column proves in about 3.1 s (5,200
// values/s, 550 MB peak); n = 22,000 fills the same 2^18-point FFT domain
// and gives about 5,800 values/s. BenchmarkProveChunk16K and its
// neighbours measure it beside the same chunks proven with plain gnark
// calls; `dxp bench publish` (internal/bench) makes the same comparison
// for a whole publish.
//
// # Setup ceremony
//
// Real networks take their keys from a Groth16 multi-party ceremony
// (gnark's backend/groth16/bn254/mpcsetup), here as pure functions over
// bytes; storage and the chain carry the contributions:
//
//	ccs, err := zk.CompileChunk(n, w)
//	domain := zk.CeremonyDomain(ccs)
//	c, err := zk.StartPhase1(domain)               // deterministic
//	c, err = zk.ContributePhase1(domain, c)        // each participant in turn
//	srs, err := zk.VerifyPhase1(domain, phase1, beacon1)
//	c, err = zk.StartPhase2(ccs, srs)              // deterministic
//	c, err = zk.ContributePhase2(ccs, c)           // each participant in turn
//	pk, vk, err := zk.VerifyPhase2(ccs, srs, phase2, beacon2)
//	t := zk.Transcript{Phase1: phase1, Phase1Beacon: beacon1, Phase2: phase2, Phase2Beacon: beacon2}
//	keys, err := zk.VerifyTranscript(ccs, &t)      // anyone: keys.VK must be the registered key
//	digest := t.Digest()                           // what the chain records
//
// The chain records each contribution's SHA-256 ([ContributionDigest]) and
// the transcript digest ([Transcript.Digest], computable from those digests
// with [TranscriptDigest]). Phase 2 start costs grow with the circuit: gnark
// evaluates every constraint term at τ, a scalar multiplication per term
// with a non-trivial coefficient, so for the 16,384-value circuit expect
// minutes per verification of a transcript.
//
// # Encryption proofs
//
// An encryption proof shows that a BGV ciphertext is a fresh public-key
// encryption, under a given key, with ternary u, noise within B_e and
// message coefficients below 2^51 (circuits.Encryption gives the relation
// and its soundness bound). The ciphertext and key enter as T-scaled
// coefficient-domain integers per CRT group (circuits.GroupPolys, computed
// by the caller from lattigo: this package does not import lattigo); the
// proof's public inputs are a Binding of the key, the level and the
// ciphertext's SHA-256 digest, and the polynomials' evaluations at the
// commitment challenge γ, never their N coefficients:
//
//	lay, err := circuits.NewEncryptionLayout(n, groupModuli, t, bound, true)
//	pk, vk, err := zk.SetupEncryptionInsecure(lay)   // devnet only, once
//	prover, err := zk.NewEncryptionProver(lay, pk)
//	binding := zk.Binding(keyDigest, level, sha256.Sum256(ciphertextBytes), holder)
//	ep, err := prover.Prove(polys, circuits.EncryptionWitness{U: u, E0: e0, E1: e1, M: m}, binding)
//	err = zk.VerifyEncryption(vk, lay, polys, binding, ep.Proof)
//
// γ is gnark's BSB22 commitment hash, which the prover cannot know before
// proving because gnark masks the commitment with a random value. Prove
// therefore proves twice with one mask it draws from crypto/rand (it
// overrides gnark's mask hint): the first pass, with placeholder
// evaluations, fails after the commitment and reveals γ; the second, with
// the evaluations at γ, commits to the same vector and succeeds. The
// verifier recomputes γ from the proof's commitment and Binding exactly as
// gnark does ([EncryptionChallenge]) and evaluates the polynomials itself;
// it must compute Binding from the digest of the very bytes it derived the
// polynomials from, or a prover could choose the ciphertext after seeing γ.
// At N = 16,384 the circuit has 307,264 constraints for one 220-bit group (18.75
// per coefficient) and 405,572 for two (q0..q3 and q4). On 2 cores one
// group proves in about 10.4 s (both passes; setup about 2.5 min, 950 MB
// peak with it), and the verifier's evaluations of two groups take about
// 9 ms on top of Groth16's ~2 ms.
//
// # Input proofs
//
// An input proof is what an owner proves per ciphertext: one witness for
// both the chunk statement (the chunk's N rows within [Min, Max], salted
// commitment) and the encryption relation, with the plaintext's slots
// linked to the committed values (circuits.Input gives the statement,
// padding and soundness). The chain verifies it from what a listing
// carries, the statement and the evaluations at γ, without the
// ciphertext; committee members, who hold the stored ciphertext and the
// key, check that these evaluate at γ to the listed values:
//
//	lay, err := circuits.NewInputLayout(w, encLayout, slotLink)
//	pk, vk, err := zk.SetupInputInsecure(lay)   // devnet only, once
//	prover, err := zk.NewInputProver(lay, pk)
//	ip, err := prover.Prove(rows, min, max, witness, polys, zk.Binding(keyDigest, level, ctDigest, holder))
//	st := circuits.InputStatement{Commitment: ip.Commitment, Min: min, Max: max, Rows: len(rows), Binding: binding}
//	err = zk.VerifyInput(vk, lay, st, ip.Evaluations, ip.Proof)                // the chain
//	err = zk.CheckInputEvaluations(lay, st, ip.Evaluations, polys, ip.Proof)   // a member
//
// γ hashes the proof's root commitment and the whole statement but the
// evaluations (Commitment, Min, Max, Rows, Binding); [InputChallenge]
// recomputes it. The proof carries three commitments (the slot link adds
// two after γ); the two-pass prover fixes one fresh mask per commitment and
// solves on one task so that the k-th mask goes to the k-th commitment in
// both passes, and its first pass stops as soon as γ is drawn.
// [NewInputProver] compiles the circuit while it decodes the proving key;
// [NewInputProverFrom] reads the key as a stream twice (a framing walk, then
// the decode), so that a key of hundreds of megabytes is never also held as
// bytes. At N = 16,384 and w = 32 the circuit has 54.3 constraints
// per row with one CRT group (889,069) and 60.3 with two (987,377): chunk
// 11.7, encryption 18.75 or 24.75, slot link (two points) and padding
// selector 23.8. On 2 cores a two-group input proves in about 15.3 s (both
// passes; each solve about 1.5 s), after a setup of about 4 min with a
// 2.6 GB peak; 62 proofs (a 1M-row column) take about 16 min.
//
// # Histogram proofs
//
// A column's frequency table (one input ciphertext whose slot k counts
// the values in [Min + k·Bin, Min + (k+1)·Bin)) is shown to be exactly
// the histogram of the column's committed values by a log-derivative sum
// at a point α drawn after every value and count is committed: each chunk
// proof of the column also exposes S_c = Σ_{real rows} 1/(α − b_i), with
// the bucket b_i = ⌊(v_i − Min)/Bin⌋ proven in the circuit, the table's
// proof exposes S_T = Σ_k h_k/(α − k), and the verifier checks Σ_c S_c =
// S_T. Both are options of the input circuit (circuits.HistogramLayout
// gives the argument and its bound, (N−1)/p per α), so a chunk's sum
// shares the witness of its values and ciphertext:
//
//	col, err := lay.WithHistogramColumn(K)      // the column's chunks
//	tab, err := lay.WithHistogramTable()        // the table
//	c, salt, err := zk.CommitInput(col, rows, min)   // every chunk, and the table (min 0), first
//	alpha := zk.HistogramChallenge(context, chunkCommitments, tableCommitment, hmin, bin)
//	h := circuits.HistogramStatement{Alpha: alpha, Min: hmin, Bin: bin}
//	ip, err := colProver.ProveHistogram(rows, min, max, salt, witness, polys, binding, h)   // per chunk
//	tp, err := tabProver.ProveHistogram(counts, 0, total, tableSalt, tw, tpolys, tbinding, circuits.HistogramStatement{Alpha: alpha})
//	h.Sum = ip.HistogramSum
//	err = zk.VerifyInputHistogram(colVK, col, st, ip.Evaluations, h, ip.Proof)   // the chain, per chunk and the table
//	err = zk.VerifyHistogram(chunkSums, tp.HistogramSum)                          // the chain: Σ S_c = S_T
//
// The chain computes α itself from the listed commitments; the sums are
// public inputs next to the evaluations, not hashed into γ, so
// [InputChallenge] and the members' check are unchanged. Measured with w
// = 32 and two CRT groups, the column side adds 13.59 constraints per row
// at N = 1,024 (on 72.7) and 12.33 at N = 16,384 (on 60.3: 1.19M
// constraints, past the plain circuit's 2^20-point domain, so 2^21), the
// table side 1.
//
// # Encodings
//
// Proofs and verifying keys are gnark's compressed binary encoding
// (WriteTo); proving keys are gnark's uncompressed encoding (WriteRawTo),
// twice the size but loaded without decompressing points (at n = 1024, 36 MB
// load in under 0.1 s, against 4.5 s for the 18 MB compressed form).
// Commitments and salts are 32-byte big-endian canonical BN254 scalar field
// elements. Ceremony contributions are mpcsetup's encoding with compressed
// points.
//
// [VerifyChunk] takes untrusted bytes: it bounds every length prefix before
// gnark allocates, refuses trailing bytes, checks that the key has the shape
// of a chunk key, and never panics. Parsed
// verifying keys are kept in a small in-memory cache keyed by their
// SHA-256; nothing is written to disk. The ceremony functions likewise check
// every length in a contribution against the domain or the circuit before
// gnark decodes it, and decode points with subgroup checks. Proving keys are
// the caller's own input: their framing and sizes are checked, their points
// are not.
//
// Importing this package silences gnark's logger (it writes to stdout by
// default), so that command-line output stays clean.
//
// # Security
//
// [SetupChunkInsecure] and [SetupEncryptionInsecure] are single-party
// Groth16 setups. The process that
// runs it samples the toxic waste, and ANYONE WHO
// RAN IT (or could read its memory) CAN FORGE PROOFS for any commitment and
// bounds. They exist for devnets and tests only; a chain whose genesis says
// it is not a devnet must refuse keys that do not come from a ceremony
// transcript it verified.
//
// The ceremony's keys are sound as long as at least one participant of
// phase 1 and one participant of phase 2 (the same party or not) drew its
// contribution honestly and destroyed it: the toxic waste is the product of
// every participant's secret, so all of them would have to collude to know
// it. Each contribution carries a proof of knowledge of its secret, bound to
// the contribution it builds on, so nobody can cancel earlier contributions;
// VerifyTranscript rejects a transcript in which any contribution was
// altered, replaced, reordered or built on something else. The beacons,
// public values nobody can predict before the last contribution of their
// phase is recorded, keep the last contributor from steering the result.
// What the ceremony cannot check: that a participant really used fresh
// randomness (ContributePhase1 and ContributePhase2 draw it from
// crypto/rand) and really erased it; Go cannot wipe memory, so contribute
// from a short-lived process on a machine you trust. A transcript that
// verifies to keys other than the registered ones (a prefix of the real
// transcript, another beacon) is valid but different: compare VK.
//
// The commitment hides the values only because of the salt: Prove draws 31
// bytes from crypto/rand for every chunk. Whoever learns a chunk's salt can
// brute-force its values one by one.
package zk
