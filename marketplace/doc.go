// Package marketplace joins the chain (rights), storage, the committee (mpc) and the proofs (zk)
// into the flows DXP's users run: a devnet, publishing, grants, private computation and audit.
//
// A devnet is one validator, an in-process committee and storage in one process:
//
//	dn, err := marketplace.StartDevnet(ctx, marketplace.DevnetConfig{Home: dir})
//	err = dn.WaitReady(ctx) // the committee's key ceremony, carried over the chain and storage
//	defer dn.Stop()
//
// Every other participant works through a Session opened on the same home, which reaches the
// node over RPC and storage directly:
//
//	s, err := marketplace.Open(ctx, dir)
//	owner, err := marketplace.CreateKey(dir, "owner1", []rights.Role{rights.RoleOwner})
//	schema, err := marketplace.ParseSchema(schemaFile)
//	table, err := marketplace.ReadTable("data.csv", csvFile, schema) // every row checked first
//	pub, err := s.Publish(ctx, marketplace.PublishRequest{From: "owner1", Name: "survey", Table: table, Price: 5})
//	g, err := s.RequestGrant(ctx, marketplace.GrantRequest{From: "buyer1", Datasets: []string{pub.Dataset}, ...})
//	g, err = s.ActOnGrant(ctx, "owner1", g.ID, marketplace.Approve, "")
//	res, err := s.Compute(ctx, marketplace.ComputeRequest{From: "buyer1", Grant: g.ID, Op: rights.OpMean, Columns: []string{"income"}})
//	report, err := s.Audit(ctx, "regulator")
//
// # What each flow guarantees
//
// Publish validates every row before anything leaves the machine, proves every chunk of every
// column (values within the declared bounds, matching a salted Poseidon2 commitment), encrypts
// every column under the committee's collective key, uploads content-addressed objects, and only
// then registers the dataset; the chain verifies every proof before it accepts it. The salts stay
// in the owner's home (published/ID.json, 0600).
//
// Compute submits a request the chain checks against the grant, then waits for the committee:
// each member evaluates the sum on the ciphertexts itself and posts the output digest with its
// key-switch share toward the buyer's RLWE key; the chain completes the computation when the
// threshold of members agree, and settles the payment. The buyer aggregates the shares and
// decrypts alone. A count is answered by the chain from the registered row counts.
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
// logged. A devnet's listing proofs use an insecure single-party setup: whoever ran it could forge
// proofs; the audit report says so.
package marketplace
