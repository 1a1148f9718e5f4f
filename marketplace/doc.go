// Package marketplace joins the chain (rights), storage, the committee (mpc) and the proofs (zk)
// into the flows DXP's users run: publishing, the catalog, grants, private computation,
// decryption, settlement, audit, keys, sessions and zk setup ceremonies.
//
// It imports rights, storage, mpc and zk, and is imported by devnet (which sets up and runs
// development networks: a devnet, a localnet, committee member processes, the demo), by the
// benches in internal/bench and by cmd. It never imports devnet; its tests that need a running
// network are package marketplace_test and start one with devnet/devnettest.
//
// A participant works through a Session opened on its home, which reaches the node over RPC
// and storage directly. On a devnet (see package devnet) every participant may share the
// devnet's home:
//
//	s, err := marketplace.Open(ctx, dir)
//	owner, err := marketplace.CreateKey(dir, "owner1", []rights.Role{rights.RoleOwner})
//	params, err := s.Params() // the committee's BGV parameters in the chain's ring
//	schema, err := marketplace.ParseSchema(schemaFile)
//	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner1", Name: "survey",
//		Schema: schema, CSV: marketplace.FileSource("data.csv"), Price: 5}) // read 2 or 3 times, as a stream
//	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: []string{pub.Dataset}, ...})
//	g, err = s.ActOnGrant(ctx, "owner1", g.ID, marketplace.Approve, "")
//	entries, err := s.Catalog(ctx, marketplace.CatalogFilter{}) // what `dxp dataset list` shows
//	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpMean, Columns: []string{"income"}})
//	report, err := s.Audit(ctx, "regulator")
//
// # What each flow guarantees
//
// Publish reads the CSV twice as a stream (three times with histogram columns, below). The first
// pass checks every row (an error names the line and column) before anything leaves the machine.
// The last cuts each column into chunks
// of the registered circuit it is proven with (the narrowest width that holds its bounds),
// and runs a pipeline: proof workers commit to and prove each chunk (values within the declared
// bounds, matching a salted Poseidon2 commitment) while an encrypter encrypts the values under
// the committee's collective key and an uploader stores the content-addressed ciphertexts.
// Finished chunks are journalled in the owner's home (publishing/KEY.json, 0600, keyed by the
// input's SHA-256, the schema, the name, the owner and the circuits), so a rerun after an
// interruption reuses them, after reading back every journalled ciphertext. Only when every
// chunk is proven and uploaded is the dataset registered; the chain verifies every proof against
// its registered circuit before it accepts it. The salts stay in the owner's home
// (published/ID.json, 0600); the journal is removed.
//
// Where the chain registers an input circuit for its ring (rights.CircuitInput, ChunkSize =
// SlotsPerCiphertext) wide enough for a column, the column is an input column and that circuit
// is preferred over any chunk circuit: one chunk per ciphertext, and each proof job is the whole
// of it. A proof worker encrypts the chunk with mpc.EncryptProvable at mpc.InputLevel, takes the
// ciphertext's polynomials from the publish's one mpc.ProofKey, binds the proof to the committee's
// key digest (Committee.Keys[0]), the level and the ciphertext's SHA-256 (zk.Binding), proves the
// values and the ciphertext with one witness (zk.InputProver), drops the witness and uploads
// exactly the bytes proven; the chunk carries the proof's evaluations (EncodeEvaluations). A
// chunk and its ciphertext are journalled together once uploaded, and a resumed run keeps both or
// neither: a ciphertext cannot be made again without its witness, nor proven without it. Memory
// holds one witness per worker. inputs.go holds this glue: InputLayout (KindLayout, ClaimLayout
// for the histogram sides), InputStatement, InputWitness, InputGroupPolys and the evaluations'
// encoding, and Verifier, the chain's verifier.
//
// Where the chain also registers the input circuit with the histogram column side
// (rights.CircuitInputHistogram) and a frequency-table circuit (rights.CircuitFrequencyTable)
// whose width holds counts up to the dataset's rows, that circuit is preferred for a column whose
// bin width fits it: a histogram column, whose frequency table is proven to be the histogram of
// its values. Between the two passes a commit pass commits every chunk and the table's counts and
// journals them with their salts; α is the chain's challenge over those commitments
// (Verifier.HistogramChallenge, rights.HistogramContext of the owner and the column); each chunk
// is proven at α with its journalled salt (its S_c in Chunk.HistogramSum) and the table, encrypted
// with mpc.EncryptProvable at mpc.InputLevel like a chunk, with the table circuit
// (FrequencyTable.Width, Commitment, Proof, Evaluations, Sum). histogram.go holds this and the
// argument for it.
//
// Compute first refuses, before anything is escrowed, what the chain would refuse by package
// spec's rules (the op's arguments, histogram edges on the frequency tables' bins, the overflow
// rule with its noise tail), then submits a request the chain checks against the grant and waits
// for the committee: each member evaluates the requested op (sum, mean, variance, stddev,
// histogram, regression, dot product, or a count with differential-privacy noise) on the
// ciphertexts itself and posts the output's digest; once the threshold of members agree on it,
// the chain fixes who switches, and each of them posts its key-switch share toward the buyer's
// RLWE key (with its share of the DP noise, if any). The buyer aggregates the shares and decrypts
// alone, and the chain settles the payment. A count without noise is answered by the chain from
// the registered row counts. Compute is SubmitComputation (which returns once the chain
// committed the request) then AwaitComputation (which waits and decrypts, and can be called again
// from the SubmittedComputation's exported fields, as the gateway does after a restart);
// QuoteComputation says, with nothing submitted, what a request would cost and why the chain
// would refuse it. For the gateway and the audit explorer, Catalog takes search and filters,
// VerifyDataset re-verifies one dataset as Audit does every dataset, and Flows finds the
// transactions touching a dataset, party or grant in the node's tx index. The committee's view of the chain (which listings and computations
// wait for a member, and its posts) is MemberBoard; package devnet runs members over it, with
// InputChecker (inputs.go) as the check of input proofs: before attesting a pending listing a
// member checks that each input proof's listed evaluations are those of the stored ciphertext and
// the committee's key at the proof's challenge (zk.CheckInputEvaluations), which the chain, not
// holding the ciphertexts, cannot.
//
// A setup ceremony makes real proving keys for a chunk circuit (zkceremony.go): a regulator
// opens it, each participant contributes from its own home in turn, anyone finishes it, and
// anyone verifies it from the chain and storage alone:
//
//	c, err := s.StartZKCeremony(ctx, "regulator", 1024, 32, participants)
//	made, err := alice.ContributeZKCeremony(ctx, "alice", c.ID, true, nil) // both phases, waiting for her turns
//	c, err = s.FinishZKCeremony(ctx, "regulator", c.ID, nil)
//	verdict, err := s.VerifyZKCeremony(ctx, c.ID)
//
// # Security
//
// Buyer RLWE secret keys and ed25519 keys live in the home's key files (0600) and are never
// logged. A development network's chunk circuits use an insecure single-party setup (package
// devnet, cached across devnets in the user's cache directory): whoever ran it, or can read the
// cache, could forge proofs; the audit report says so. Real networks take their proving keys from
// a setup ceremony (above).
//
// Every party takes the committee's BGV parameters from the chain (ChainParams: the ring of
// genesis Params.SlotsPerCiphertext, Session.Params), never from a local default; a buyer's RLWE
// key pair is made in that ring when its key first meets the chain. A development network may
// run a ring smaller than mpc.SecureSlots for speed: it is INSECURE (the same moduli over a
// smaller ring leave the encryption breakable), and `dxp status` and the audit report say so.
package marketplace
