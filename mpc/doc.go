// Package mpc is DXP's compute committee: a collective BGV key that no single party knows, owners'
// columns encrypted under it, and aggregate queries that the members evaluate on the ciphertexts
// and re-encrypt to the buyer's own key, so that only the buyer reads the answer and nobody reads
// the rows. Any t of the N members complete a computation (t-of-N threshold), every result is
// exact (integers or fixed-point decimals, BGV) before optional differential-privacy noise that
// the members add without anyone knowing its total. It is built on lattigo v5 (he/heint for BGV,
// mhe for the multiparty protocols).
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
//	m, _ := mpc.NewMember(mpc.MemberConfig{Address: addr, Dir: dir, Params: params, Board: board, Objects: objs,
//		InputChecker: checker}) // marketplace.InputChecker{}: the input proofs' evaluations (see below)
//	go m.Run(ctx) // ceremony first, then every listing and computation that waits for this member
//
// An owner, once the committee is ready, encrypts its columns under the collective public key, and
// for a column it allows histograms of, the column's frequency table:
//
//	pk, _ := mpc.LoadPublicKey(ctx, objs, params, committee.Keys)
//	cts, _ := mpc.EncryptColumn(params, pk, values)                  // Slots(params) rows per ciphertext
//	table, _ := mpc.EncryptFrequencies(params, pk, values, min, bin) // one ciphertext
//	// put each ciphertext in storage; register the digests on chain
//
// or, reading rows as they stream past, bin by bin:
//
//	bin, _ := mpc.DefaultBin(min, max, mpc.Slots(params)) // or the schema's, checked by CheckBin
//	t, _ := mpc.NewFrequencyTable(min, bin, mpc.Slots(params))
//	for _, v := range chunk { t.Add(v) }                  // for every chunk
//	table, _ := t.Encrypt(params, pk)
//
// Column ciphertexts are at InputLevel (4), the highest level an evaluation builds at.
//
// Provable encryption (prov.go; issue 15, being integrated): EncryptProvable encrypts like
// EncryptColumn, by textbook RLWE public-key encryption at a level instead of lattigo's
// QP-and-round encryption, and returns each ciphertext with the witness of its encryption (the
// ternary u, the errors e0, e1 with |e| ≤ ErrorBound, the plaintext polynomial m) for the owner's
// proof. CRTGroups splits the level's primes into groups of product below 2^236 (two at
// InputLevel: q_0..q_3 and q_4); ProofPolys gives the relation's public polynomials per group,
// [T·c0], [T·c1], [T·p0], [T·p1] mod Q_g; SlotRoots gives the roots ψ_i of X^N+1 mod T at which
// m is evaluated to give slot i:
//
//	pcs, _ := mpc.EncryptProvable(params, pk, values, mpc.InputLevel) // pcs[i].Ciphertext, .Witness
//	key, _ := mpc.NewProofKey(params, pk, mpc.InputLevel)             // once per key: P0, P1
//	polys, _ := key.Polys(pcs[0].Ciphertext)                          // or mpc.ProofPolys(...)
//
// What a request may be (its ops, arguments, output layout, the overflow rule and the DP limits)
// is package spec's, the one rule the chain applies before it escrows a request and the client
// before it asks; the committee follows the chain's verdict:
//
//	q := spec.Query{Op: spec.OpVariance, Rows: n, Columns: []spec.Bound{{Min: lo, Max: hi}}, Epsilon: e, Members: t}
//	k, _ := q.Outputs()             // values in the output: 2 here
//	err := mpc.CheckOverflow(q)     // spec's rule with T = PlaintextModulus
//	dp, _ := mpc.NewDP(q)           // the task's DP: spec's mechanism and sensitivities
//
// A buyer makes an RLWE key pair once, registers the public key (and, for a dot product, seals its
// weights to the members' box keys with SealWeights: the members check them, see weights.go), and
// opens each result from the agreed output and the active members' share objects, in the chain's
// participant order:
//
//	sk, pk, _ := mpc.NewBuyerKey(params)
//	values, _ := mpc.OpenValues(params, sk, output, shares, t, k) // or mpc.Open for one value
//	// a *VerifyError: the subsets disagree, the answer is refused, Suspects are named
//
// # The key ceremony
//
// All N members take part in the ceremony. A member's Step advances it as far as the board
// allows. Steps and their posts (C: committed, see below):
//
//	"box"     one digest: the member's X25519 public key (a 32-byte object, nacl/box)
//	"ckg"     C one digest: its public-key (CKG) share
//	"rkg1"    C one digest: its relinearization-key (RKG) round-1 share
//	"gkg"     C 14 digests: its Galois-key (GKG) share for each Galois element, in the order below
//	"rkg2"    C one digest: its RKG round-2 share, once every member revealed rkg1
//	"shamir"  N digests, once every member posted box: the member's Shamir shares of its key
//	          share, entry j for member j (committee order, its own included), each sealed to
//	          member j's box key (object layout in ceremony.go: nonce || box.Seal(header || share))
//	"kat"     C one digest per window of the known-answer check it is in (member_kat.go), once
//	          every member posted ckg, rkg1, rkg2, gkg and shamir and revealed them, after the
//	          member opened the Shamir shares sent to it, saved its threshold share and aggregated
//	          the collective keys: its decryption shares of a known-answer ciphertext under them
//	"keys"    16 digests, once every member revealed kat and the member's known-answer check
//	          passed: the collective keys aggregated from all members' shares, in this order:
//	            [0]     public key (rlwe.PublicKey, 2.1 MB)
//	            [1]     relinearization key (rlwe.RelinearizationKey, 6.3 MB)
//	            [2..15] Galois keys (rlwe.GaloisKey, 6.3 MB each) for the column rotations by
//	                    1, 2, 4, ..., 4096 (Galois elements 5^k mod 2N) and then the row rotation
//	                    (element 2N-1)
//
// Commit then reveal (member_commit.go): a committed step's objects stay in the member's private
// directory while it posts their digests, and go to storage only once the board shows every
// member's post for the step. So no member sees another's share before its own is fixed, and none
// can choose or bias a collective key (the rogue share "target − Σ others" needs the others);
// the chain refuses a digest another member already posted (a copied commitment). A member that
// committed and does not reveal stalls the ceremony: the others wait 30 s, then each pass's error
// names it.
//
// The known-answer check (member_kat.go): before voting for the keys a member threshold-decrypts,
// for every window of Threshold consecutive members, a known plaintext encrypted under the new
// public key, squared with the new relinearization key and rotated by every new Galois key, and
// compares the slots; it votes only if every window decrypts right. A rogue or corrupted share
// fails every window; a bad Shamir dealing fails the windows of the member it was dealt to (or
// every window, if the dealer's polynomial is not of its key share); the error names the failed
// windows and the members in no passing window. The chain marks the committee ready on Threshold identical votes, and at most
// Threshold−1 members are malicious, so an honest member's check stands behind every ready
// committee.
//
// Aggregation is deterministic, so every member posts identical "keys" digests, and the chain marks
// the committee ready when Threshold members agree (the others need not post keys). Common
// reference polynomials come from a keyed PRNG per protocol instance, keyed by SHA-256 of the
// committee's public seed, the epoch and the instance ("ckg", "rkg", "gkg/<element>"; "kat" draws
// the known plaintext), so no ordering of draws needs agreeing on.
//
// Thresholdizing (mhe.Thresholdizer): each member's Shamir polynomial has degree Threshold−1 and
// its key share as constant term; member j (Shamir point j+1) adds the N evaluations it receives
// into its threshold share of the collective secret s = Σ key shares. Any Threshold members derive
// additive shares of s for a computation (mhe.Combiner.GenAdditiveShare over exactly the active
// set). Threshold == N uses the same path. Threshold 1 is refused for N > 1 (every member would
// hold s).
//
// A member writes each secret before the post that depends on it, once, never overwriting (see
// state.go for the files): its key share before its first ckg share, its box key before posting
// it, the RKG ephemeral secret with the digest of the round-1 share made with it, the digests of
// its sealed Shamir shares before posting them, each committed step's objects before posting their
// digests, its threshold share before its known-answer shares. It
// never posts a step the board already shows, and re-posts what it saved rather than making a new
// share, so a member restarted at any point with Dir intact resumes and never posts a second share
// for a step. Once the committee is ready it keeps only its threshold share: the additive key
// share, the box key, the ephemeral secret and the committed objects are deleted. Secrets are per epoch
// (Dir/epoch-<n>/).
//
// # Checking a new listing's inputs
//
// A dataset the chain registers is pending until Threshold members have checked the objects it
// names, which the chain cannot read (member_inputs.go, a PhaseInputs task whose ID is the
// dataset's; ListingChecker does the check): every column ciphertext and frequency table must be
// in storage and parse as a ciphertext under the committee's parameters at a level every op
// starts from. For a column proven with input proofs (InputColumn, Kind ProofKindInput: one proof
// per ciphertext), the chain has verified each proof with the evaluations the listing carries;
// the member checks that those are the evaluations, at the proof's challenge γ, of the T-scaled
// polynomials of the stored ciphertext and of the committee's public key object Task.InputKey
// (ProofKey, made once per key; the InputChecker, zk.CheckInputEvaluations in marketplace). Only
// both checks together show the ciphertext is a fresh encryption of the committed values: the
// circuit sees the polynomials only at γ, so an owner can prove the relation for polynomials of
// its choosing and bind the proof to another stored ciphertext (InputChecker says why that is
// then sound). A column whose frequency table is proven (Kind ProofKindInputHistogram: its chunks
// also carry the column side of the histogram check, and InputColumn.Table the table's own input
// proof) is checked the same way, chunk by chunk on the histogram column layout, and then its
// table against the stored table ciphertext and the same key: the chain's sum check makes the
// table's committed counts the histogram of the column's values, and only this check makes the
// stored table an encryption of those counts. A histogram column without a proven table is
// refused. A member without an InputChecker refuses to start. The member posts its verdict
// (Board.AttestInputs): "" or one sentence naming the first object that is not what the listing
// claims (for a failed input check, the column and the ciphertext's index and digest, or the
// column's frequency table and its digest); the chain lists the dataset on Threshold valid
// verdicts and refuses it on Threshold invalid ones. A storage error, the committee's key
// missing, or a proof kind the member does not know is retried, never judged. At N = 16,384 the check costs 35–50 ms per ciphertext on one core
// (polynomials and evaluation at γ; up to 93 ms on a loaded machine), and the key's polynomials
// about 20 ms once per key (BenchmarkMemberInputCheck in marketplace): a 1M-row column's 62
// ciphertexts take a member 2–3 s.
//
// # Computations
//
// A computation has two phases on chain. In PhaseEvaluate every member evaluates the query on the
// input ciphertexts (a pure function of the inputs and the collective keys: every member puts a
// byte-identical output) and posts the output's digest (Board.PostOutput). Once
// spec.Participants members (min(N, 2t−1)) posted the same digest, the
// chain fixes Active (the first of them, in post order) and moves to PhaseSwitch, recording who
// disagreed. Each active member then, for every t-subset of Active it is in (subsets.go), derives
// its additive share of the collective secret for that subset and makes its public-key-switch
// (PCKS) share of the agreed output toward the buyer's key with fresh smudging noise (below),
// adds its part of the shared DP noise if the task asks for DP (below), saves the concatenated share
// object, puts it in storage and posts its digest (Board.PostShare). A restarted member re-posts
// its saved object, never a second one (which would carry fresh noise). The buyer combines every
// subset, decrypts each alone, and accepts only if all agree (OpenValues).
// Before it posts an output, and before it puts a share in storage (a new one or a saved one), a
// member asks the chain whether the computation is still live (Board.Live: grant active and not
// about to expire, nothing frozen, datasets listed); if not, it posts and stores nothing, so no
// share of a computation the chain refunds reaches the buyer.
//
// Evaluations end at level 1 (two Q primes), so outputs and PCKS shares are 0.5 MB (a share
// object is C(q−1, t−1) of them: 1 MB for a 2-of-3 committee); the level plan is
// in params.go. Every output value is a total over all slots (an inner sum over the 2 x N/2 slot
// matrix: 13 column rotations and the row rotation). Output layouts:
//
//	sum, mean          every slot holds Σx (the caller divides by the row count for a mean)
//	dot                every slot holds Σ x·w (w: the buyer's plaintext weights, checked)
//	variance, stddev   slot 0 Σx, slot 1 Σx², zero elsewhere
//	regression         columns z_0..z_d (features, then the target): slots 0..d hold Σz_a, then
//	                   Σz_a·z_b for 0 ≤ a ≤ b ≤ d row by row; zero elsewhere. XᵀX, Xᵀy and yᵀy
//	                   are sub-blocks; the sums give the intercept's row and column.
//	histogram          slot b holds the count of bucket b, zero elsewhere; a histogram of one
//	                   bucket holds its count in every slot
//	count              every slot holds the number of rows: all bins of the frequency tables
//	                   (the chain answers a count without noise itself; this is the noisy count)
//
// that is: a single value fills every slot, k ≥ 2 values sit in slots 0..k-1 (spec.Layout is
// the order, spec.Outputs gives k). Multi-valued outputs mask each value into its slot with a 0/1 plaintext. A histogram
// uses the owners' frequency tables (EncryptFrequencies): the committee adds the datasets' tables
// slot by slot and, per bucket, multiplies the sum by the 0/1 mask of the bucket's bins and sums
// it. ct×ct products (variance, regression) are relinearized with the collective key; a dot
// product multiplies the column by the buyer's weights as plaintexts (no relinearization), after
// each member opened them, checked them against the request's commitment, the row count and the
// declared bound, or refused the computation (Board.RefuseComputation) for its requester's fault,
// as it does when the buyer's key object is missing or does not parse.
//
// # Overflow
//
// Arithmetic is modulo T = PlaintextModulus (about 2^50); a total is exact while its magnitude
// stays below ⌊T/2⌋. The rule that refuses a query whose output value, DP noise tail included,
// could reach ⌊T/2⌋ is spec.Query.CheckOverflow, in exact integers and rationals: the chain's
// rule, the only one (CheckOverflow applies it with this package's T). Intermediate slot values
// may wrap; only the final totals matter. The members sample noise at the scales DP.noise derives
// in floats; spec.NoiseTail bounds their tail from above, and no scale the chain admits is
// refused by the samplers (TestNoiseTailBoundsSampler).
//
// # Smudging
//
// The output's noise depends on the collective secret, so each active member adds smudging noise
// to its key-switch share, sized from the output's noise (noise.go has the model and the
// derivation): σ_smudge = 2^40·B, truncated at 6σ_smudge, where B is the larger of 9·σ_out
// (σ_out² the output's estimated noise variance) and the output noise bound that holds whatever
// owners chose within their proven encryption bounds (prov.go). Every evaluation ends with
// rescales that leave only their own rounding noise, so σ_out² ≈ (1 + N·2/3·members)/12 (σ_out ≈
// 2^5.7 for 3 members, 2^6.1 for 5), and σ_smudge ≈ 2^49; the proven bound is the same for the
// linear ops and larger for products (2^12.7 for a variance over a million rows, 3 members). Each
// share alone is within statistical distance 2^-34 of a share made from a noiseless output. When
// 6σ_smudge would reach the smallest Q prime at the output level (2^55; lattigo's sampler silently
// corrupts results beyond it) the margin 2^40 is lowered as far as 2^34 (distance 2^-28), and
// below that, or if the active members' smudging would not decrypt, the task is refused; with the
// full margin both limits hold for linear ops up to about 400 members. Smudging(params, task, members,
// active) gives the distribution, for a baseline that must do a member's key switch exactly.
//
// # Differential privacy
//
// A task's DP (mechanism, ε, δ, per-output sensitivity) makes every one of the q =
// spec.Participants participants contribute a share η_i of discrete Gaussian or discrete Laplace
// noise, so the buyer decrypts exact + Σ η_i and nobody knows the total. The noise is shared so
// that every key-switch subset adds the same total (dpdeal.go): with its output each member deals
// η_i, Shamir-shared over Z_T (degree t−1, the key's evaluation points) and sealed to every
// member's box key, and posts the dealing's digest with its output (the chain keeps it on the
// output post); in the switch participant j opens the q participants' dealings addressed to it,
// sums them into σ_j and adds λ_j^S·σ_j (Lagrange at 0 over Z_T) to its share for subset S, in
// the plaintext domain at the output's scale. A dealing that does not open stops the participant
// from posting (it logs the dealer; the computation expires, refunded). ε and δ cover the whole
// release. Laplace: output j gets scale b_j = Sensitivity[j]·k'/ε (k' = k, or 1 for a
// histogram's disjoint buckets), each dealer draws a difference of two Pólya variables of shape
// 1/q. Gaussian: ρ = (sqrt(ln(1/δ)+ε) − sqrt(ln(1/δ)))² (zCDP), σ_j² = Sensitivity[j]²·k'/(2ρ), each
// dealer draws a discrete Gaussian of variance max(σ_j²/q, 4). Details and references in dp.go.
//
// # Security
//
// Lattigo's protocols carry no proofs that shares were made correctly (mhe/README), so the checks
// are commitments and redundancy. Ceremony shares are committed before any is revealed, so no
// member can fit its share to the others' (a rogue key), and the keys are voted only after a
// known-answer check decrypts under them in every window of t members. A member that evaluates a
// different query holds the output vote back (every participant must agree). A wrong key-switch
// share, with or without DP noise (the noise is shared so every subset adds the same), is
// detected by the buyer: with at most t−1
// dishonest members among 2t−1 participants some t-subset is all honest, so a share that moves
// the answer makes subsets disagree; OpenValues refuses the answer and names the members whose
// exclusion makes the rest agree (exactly the cheaters when that set is unique; on a 2-of-3
// committee any one member's cheating looks like another's, so all three are named). A
// participant that leaves its part of the shared noise out, or deals a dealing that is not on one
// polynomial, makes subsets disagree the same way. Still open: members that collude subtract
// their own DP noise, and a dishonest dealer may deal η_i = 0 (the noise left is the honest
// dealers'). OpenValues also checks the layout (equal slots, or zeros past k), which catches a
// wrong buyer key, but not t members that evaluate a different query consistently. Shamir shares travel sealed
// (nacl/box, authenticated to the sender, bound to the committee, epoch and both members).
//
// Keys, noise and nonces come from crypto/rand (lattigo's samplers are seeded from it; DP noise
// reads it directly). Secrets are never logged. Every object read from storage or handed to the
// API is checked against the exact size and structure of a well-formed object before lattigo
// decodes it (or nacl/box opens it), and panics are recovered at the package boundary.
package mpc
