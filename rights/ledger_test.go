package rights

import (
	"crypto/ed25519"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGenesisValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Genesis)
		want   string
	}{
		{"no chain id", func(g *Genesis) { g.ChainID = "" }, "chain id"},
		{"threshold zero", func(g *Genesis) { g.Committee.Threshold = 0 }, "threshold 0 is outside 1..3"},
		{"threshold above members", func(g *Genesis) { g.Committee.Threshold = 4 }, "threshold 4"},
		{"no members", func(g *Genesis) { g.Committee.Members = nil }, "no members"},
		{"duplicate member", func(g *Genesis) { g.Committee.Members[1] = g.Committee.Members[0] }, "listed twice"},
		{"member address mismatch", func(g *Genesis) { g.Committee.Members[0].Address = addr("x") }, "not the address of its public key"},
		{"short member key", func(g *Genesis) { g.Committee.Members[0].PubKey = []byte{1} }, "public key is 1 bytes"},
		{"bad regulator", func(g *Genesis) { g.Regulators = []Address{"nope"} }, "not an address"},
		{"duplicate regulator", func(g *Genesis) { g.Regulators = append(g.Regulators, g.Regulators[0]) }, "listed twice"},
		{"no deadline", func(g *Genesis) { g.Params.ComputationDeadline = 0 }, "deadline"},
		{"no modulus", func(g *Genesis) { g.Params.PlaintextModulus = 0 }, "plaintext modulus"},
		{"no slots", func(g *Genesis) { g.Params.SlotsPerCiphertext = 0 }, "slots"},
		{"no circuits", func(g *Genesis) { g.Circuits = nil }, "no proving circuit"},
		{"circuit chunk size 0", func(g *Genesis) { g.Circuits[0].ChunkSize = 0 }, "chunk size 0 is outside"},
		{"circuit width 65", func(g *Genesis) { g.Circuits[0].Width = 65 }, "width 65 is outside"},
		{"no vk", func(g *Genesis) { g.Circuits[0].VK = nil }, "verifying key is 0 bytes"},
		{"no pk", func(g *Genesis) { g.Circuits[1].PK = Digest{} }, "proving key digest is zero"},
		{"duplicate circuit", func(g *Genesis) { g.Circuits[1] = g.Circuits[0] }, "circuit n4-w16 is listed twice"},
		{"no max datasets", func(g *Genesis) { g.Params.MaxGrantDatasets = 0 }, "max grant datasets"},
		{"insecure setup off devnet", func(g *Genesis) { *g = prodGenesis(DefaultProofFee); g.Circuits[3].Setup = InsecureDevnetSetup }, "only on a devnet"},
		{"bad setup", func(g *Genesis) { g.Circuits[1].Setup = "whatever" }, "ceremony transcript digest"},
		{"ready without keys", func(g *Genesis) { g.Committee.Ready = true }, "ready exactly when"},
		{"unknown admission", func(g *Genesis) { g.Admission = "anyone" }, "admission rule \"anyone\" is unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := testGenesis()
			tc.mutate(&g)
			err := g.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
			l := &Ledger{Store: NewMemStore()}
			if err := l.InitChain(g, Block{Height: 1}); err == nil {
				t.Errorf("InitChain accepted an invalid genesis")
			}
		})
	}
	g := testGenesis()
	if err := g.Validate(); err != nil {
		t.Fatalf("Validate(test genesis) = %v", err)
	}
	g = prodGenesis(DefaultProofFee)
	if err := g.Validate(); err != nil {
		t.Errorf("Validate(ceremony setup) = %v", err)
	}
	if g.AdmissionRule() != AdmissionRegulator {
		t.Errorf("AdmissionRule(not a devnet) = %q, want %q", g.AdmissionRule(), AdmissionRegulator)
	}
	g.Params.ProofFee = 0
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "proof fee is 0") {
		t.Errorf("Validate(no proof fee, not a devnet) = %v, want the proof fee refused", err)
	}
	g.Params.ProofFee = DefaultProofFee
	g.Admission = AdmissionOpen
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "only for a devnet") {
		t.Errorf("Validate(open admission, not a devnet) = %v, want open admission refused", err)
	}
}

func TestInitChain(t *testing.T) {
	h := newHarness(t)
	for _, m := range testMembers {
		p := h.party(m)
		if p.Balance != testCredit || !slices.Equal(p.Roles, []Role{RoleMember}) || p.Nonce != 0 {
			t.Errorf("member %s = %+v, want a member with the opening credit", m, p)
		}
	}
	g, err := h.l.Genesis()
	if err != nil || g.ChainID != testChainID {
		t.Errorf("Genesis() = %v, %v", g, err)
	}
	if err := h.l.InitChain(testGenesis(), Block{Height: 1}); err == nil {
		t.Errorf("a second InitChain was accepted")
	}
	h.checkCredits()
}

// TestCommonChecks covers the checks every tx goes through, in order.
func TestCommonChecks(t *testing.T) {
	w := newWorld(t, 0)
	approve := Msg{ApproveGrant: &ApproveGrant{Grant: "gr-none"}}

	w.refusedRaw([]byte{0xa0}, CodeDecode, "not a canonical DXP transaction")
	w.refusedRaw(signedTx(t, testKey("owner1"), "other-chain", w.nonce("owner1"), approve), CodeChainID, `this chain is "dxp-test"`)

	tx := &Tx{ChainID: testChainID, Nonce: w.nonce("owner1"), Msg: approve}
	if err := Sign(testKey("owner1"), tx); err != nil {
		t.Fatal(err)
	}
	tx.Sig[0] ^= 1
	w.refusedRaw(mustEncode(t, tx), CodeSignature, "signature")
	tx.Sig = tx.Sig[:10]
	w.refusedRaw(mustEncode(t, tx), CodeSignature, "signature is 10 bytes")
	// Signed by another key than the one it names.
	tx.Sig = ed25519.Sign(testKey("owner2"), mustSignBytes(t, tx))
	w.refusedRaw(mustEncode(t, tx), CodeSignature, "does not verify")

	w.refused("stranger", approve, CodeUnregistered, "is not a registered party")

	n := w.nonce("owner1")
	w.refusedRaw(signedTx(t, testKey("owner1"), testChainID, n-1, approve), CodeReplay, "already used")
	w.refusedRaw(signedTx(t, testKey("owner1"), testChainID, n+1, approve), CodeNonceGap, "ahead of its next nonce")
	// A tx refused by its kind's rules does not use up the nonce.
	w.refused("owner2", Msg{RevokeGrant: &RevokeGrant{Grant: "gr-x"}}, CodeUnknownGrant, "grant gr-x does not exist")
	if got := w.nonce("owner2"); got != 1 {
		t.Errorf("nonce after a refused tx = %d, want 1", got)
	}
}

func mustEncode(t *testing.T, tx *Tx) []byte {
	t.Helper()
	b, err := EncodeTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSignBytes(t *testing.T, tx *Tx) []byte {
	t.Helper()
	b, err := SignBytes(tx)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReplayOfAcceptedTx(t *testing.T) {
	w := newWorld(t, 0)
	raw := w.raw("newowner", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	if _, err := w.deliver(raw); err != nil {
		t.Fatalf("RegisterParty: %v", err)
	}
	if got := w.party("newowner").Nonce; got != 1 {
		t.Errorf("nonce after registering = %d, want 1", got)
	}
	w.refusedRaw(raw, CodeReplay, "replayed")
}

func TestRegisterParty(t *testing.T) {
	w := newWorld(t, 0)
	p := w.party("buyer")
	if p.Balance != testCredit || p.Registered != 1 || p.RLWEKey != digestOf("buyer rlwe") || p.Nonce != 1 || !slices.Equal(p.Roles, []Role{RoleBuyer}) {
		t.Errorf("buyer = %+v", p)
	}
	if got := w.party(testRegulatorKey).Roles; !slices.Equal(got, []Role{RoleRegulator}) {
		t.Errorf("regulator roles = %v", got)
	}
	w.checkCredits()

	for _, tc := range []struct {
		name, sender string
		m            RegisterParty
		code         uint32
		want         string
	}{
		{"already registered", "owner1", RegisterParty{Roles: []Role{RoleOwner}}, CodeAlreadyRegistered, "already registered"},
		{"member already registered", "m1", RegisterParty{Roles: []Role{RoleMember}}, CodeAlreadyRegistered, "already registered"},
		{"no roles", "new", RegisterParty{}, CodeBadRoles, "at least one role"},
		{"unknown role", "new", RegisterParty{Roles: []Role{"king"}}, CodeBadRoles, `role "king" is unknown`},
		{"duplicate role", "new", RegisterParty{Roles: []Role{RoleOwner, RoleOwner}}, CodeBadRoles, "listed twice"},
		{"regulator not in genesis", "new", RegisterParty{Roles: []Role{RoleRegulator}}, CodeRoleNotAllowed, "role regulator"},
		{"member not in committee", "new", RegisterParty{Roles: []Role{RoleMember, RoleOwner}}, CodeRoleNotAllowed, "role member"},
		{"buyer without key", "new", RegisterParty{Roles: []Role{RoleBuyer}}, CodeMissingRLWEKey, "RLWE public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, Msg{RegisterParty: &tc.m}, tc.code, tc.want)
		})
	}
}

func TestCeremony(t *testing.T) {
	w := newWorld(t, 0)
	share := func(epoch uint64, step string, ds ...Digest) Msg {
		return Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: epoch, Step: step, Digests: ds}}
	}
	w.ok("m1", share(testEpoch, "ckg", digestOf("m1 ckg")))
	w.ok("m2", share(testEpoch, "ckg", digestOf("m2 ckg")))

	var many []Digest
	for i := 0; i < 65; i++ {
		many = append(many, digestOf(string(rune('a'+i))))
	}
	for _, tc := range []struct {
		name, sender string
		m            Msg
		code         uint32
		want         string
	}{
		{"not a member", "owner1", share(testEpoch, "ckg", digestOf("x")), CodeUnauthorized, "not a committee member"},
		{"wrong epoch", "m3", share(testEpoch+1, "ckg", digestOf("x")), CodeBadEpoch, "epoch 2, the committee is at epoch 1"},
		{"empty step", "m3", share(testEpoch, "", digestOf("x")), CodeBadStep, "1 to 16 characters"},
		{"long step", "m3", share(testEpoch, "abcdefghijklmnopq", digestOf("x")), CodeBadStep, "1 to 16"},
		{"upper-case step", "m3", share(testEpoch, "CKG", digestOf("x")), CodeBadStep, "a-z"},
		{"no digests", "m3", share(testEpoch, "ckg"), CodeBadDigests, "1 to 64 digests, got 0"},
		{"too many digests", "m3", share(testEpoch, "ckg", many...), CodeBadDigests, "got 65"},
		{"zero digest", "m3", share(testEpoch, "ckg", digestOf("x"), Digest{}), CodeBadDigests, "digest 1 is zero"},
		{"twice", "m1", share(testEpoch, "ckg", digestOf("again")), CodeDuplicateShare, `already posted ceremony step "ckg"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t

	// Two members disagree on the keys: not ready. The third agrees with one: ready.
	other := []Digest{digestOf("other")}
	w.ok("m1", share(testEpoch, KeysStep, testKeys...))
	w.ok("m2", share(testEpoch, KeysStep, other...))
	if c := w.committee(); c.Ready || len(c.Keys) != 0 {
		t.Fatalf("committee ready after two disagreeing key posts: %+v", c)
	}
	w.ok("m3", share(testEpoch, KeysStep, testKeys...))
	c := w.committee()
	if !c.Ready || !slices.Equal(c.Keys, testKeys) {
		t.Errorf("committee = ready %v keys %v, want ready with %v", c.Ready, c.Keys, testKeys)
	}
	if len(c.Shares) != 5 || c.Shares[4].Member != addr("m3") || c.Shares[4].Height != w.height {
		t.Errorf("shares = %+v", c.Shares)
	}
	if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == "committee_ready" }) {
		t.Errorf("no committee_ready event in %+v", w.events)
	}
	w.refused("m3", share(testEpoch, "late", digestOf("x")), CodeCommitteeReady, "already agreed its keys")
}

func TestRegisterDataset(t *testing.T) {
	w := newWorld(t, 0)
	good := func() *RegisterDataset {
		return listing("good", 10, 7, column("a", TypeInteger, 0, -5, 5, 10), column("b", TypeDecimal, 3, 0, 999, 10))
	}
	w.refused("owner1", Msg{RegisterDataset: good()}, CodeCommitteeNotReady, "has not agreed its keys")

	w = newWorld(t, 1)
	id := w.list("owner1", Msg{RegisterDataset: good()})
	if id != "ds-0000000000000001" {
		t.Errorf("the first dataset's id = %q, want ds-0000000000000001 (objects are numbered as they are made)", id)
	}
	d, err := w.l.Dataset(id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Holder != addr("owner1") || d.Status != DatasetListed || d.Rows != 10 || d.Price != 7 || d.KeyEpoch != testEpoch || d.Registered != w.height {
		t.Errorf("dataset = %+v", d)
	}
	// The chain computes the commitment over every chunk commitment, column then chunk order.
	if want := DatasetCommitment(good().Columns); d.Commitment != want {
		t.Errorf("Commitment = %v, want %v", d.Commitment, want)
	}
	for name, change := range map[string]func(cols []Column){
		"a chunk commitment": func(cols []Column) { cols[1].Chunks[2].Commitment[31] ^= 1 },
		"the chunk order":    func(cols []Column) { cols[0].Chunks[0], cols[0].Chunks[1] = cols[0].Chunks[1], cols[0].Chunks[0] },
		"the column split": func(cols []Column) {
			cols[1].Chunks = append([]Chunk{cols[0].Chunks[2]}, cols[1].Chunks...)
			cols[0].Chunks = cols[0].Chunks[:2]
		},
		"a bound":        func(cols []Column) { cols[0].Max++ },
		"a circuit":      func(cols []Column) { cols[0].Width = 64 },
		"a circuit kind": func(cols []Column) { cols[0].Kind = CircuitInput },
	} {
		cols := good().Columns
		change(cols)
		if DatasetCommitment(cols) == d.Commitment {
			t.Errorf("changing %s left the dataset commitment unchanged", name)
		}
	}

	mut := func(f func(*RegisterDataset)) Msg {
		m := good()
		f(m)
		return Msg{RegisterDataset: m}
	}
	for _, tc := range []struct {
		name   string
		sender string
		m      Msg
		code   uint32
		want   string
	}{
		{"not an owner", "buyer", mut(func(*RegisterDataset) {}), CodeUnauthorized, "owner role"},
		{"member is no owner", "m1", mut(func(*RegisterDataset) {}), CodeUnauthorized, "owner role"},
		{"wrong key epoch", "owner1", mut(func(m *RegisterDataset) { m.KeyEpoch = 0 }), CodeBadEpoch, "key epoch 0"},
		{"empty name", "owner1", mut(func(m *RegisterDataset) { m.Name = "" }), CodeBadDataset, "name must be 1 to 128"},
		{"long name", "owner1", mut(func(m *RegisterDataset) { m.Name = strings.Repeat("é", 129) }), CodeBadDataset, "got 129"},
		{"long description", "owner1", mut(func(m *RegisterDataset) { m.Description = strings.Repeat("x", 4097) }), CodeBadText, "description"},
		{"no rows", "owner1", mut(func(m *RegisterDataset) { m.Rows = 0 }), CodeBadDataset, "has no rows"},
		{"zero manifest", "owner1", mut(func(m *RegisterDataset) { m.Manifest = Digest{} }), CodeBadDigests, "manifest"},
		{"no columns", "owner1", mut(func(m *RegisterDataset) { m.Columns = nil }), CodeBadDataset, "1 to 64 columns, got 0"},
		{"too many columns", "owner1", mut(func(m *RegisterDataset) {
			for i := 0; i < 63; i++ {
				m.Columns = append(m.Columns, column(strings.Repeat("c", i+1), TypeInteger, 0, 0, 1, 10))
			}
		}), CodeBadDataset, "got 65"},
		{"empty column name", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Name = "" }), CodeBadDataset, "column 1 name"},
		{"long column name", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Name = strings.Repeat("n", 65) }), CodeBadDataset, "got 65"},
		{"duplicate column", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Name = "a" }), CodeBadDataset, `column "a" is declared twice`},
		{"unknown type", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Type = "float" }), CodeBadDataset, `unknown type "float"`},
		{"integer with scale", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Scale = 2 }), CodeBadDataset, "integers have scale 0"},
		{"decimal scale 0", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Scale = 0 }), CodeBadDataset, "decimals have scale 1 to 18"},
		{"decimal scale 19", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Scale = 19 }), CodeBadDataset, "scale 19"},
		{"min above max", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Min = 6 }), CodeBadDataset, "min 6 above max 5"},
		{"missing ciphertext", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Ciphertexts = m.Columns[0].Ciphertexts[:1] }), CodeBadDataset, "has 1 ciphertexts, 10 rows need 2"},
		{"zero ciphertext", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Ciphertexts[1] = Digest{} }), CodeBadDigests, "ciphertext 1 digest is zero"},
		{"missing chunk", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Chunks = m.Columns[1].Chunks[:2] }), CodeBadDataset, "has 2 proof chunks, 10 rows need 3"},
		{"short commitment", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Chunks[0].Commitment = []byte{1} }), CodeBadDataset, "commitment is 1 bytes"},
		{"no proof", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Chunks[2].Proof = nil }), CodeBadProof, "chunk 2 has no proof"},
		{"bad proof", "owner1", mut(func(m *RegisterDataset) { m.Columns[1].Chunks[2].Proof = markedBadProof }), CodeBadProof, `column "b" chunk 2: the proof does not verify under circuit n4-w16: proof is marked bad`},
		{"unregistered width", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Width = 32 }), CodeUnknownCircuit, "no circuit n4-w32 (chunk size 4, width 32) is registered"},
		{"unregistered chunk size", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].ChunkSize = 8 }), CodeUnknownCircuit, "no circuit n8-w16"},
		{"too narrow", "owner1", mut(func(m *RegisterDataset) { m.Columns[0].Max = 1 << 20 }), CodeUnknownCircuit, "need width 21, but it names circuit n4-w16 of width 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	// The refused listings took no number.
	w.t = t
	if id := w.list("owner1", Msg{RegisterDataset: good()}); id != "ds-0000000000000002" {
		t.Errorf("the second dataset's id = %q, want ds-0000000000000002", id)
	}
}

func TestGrants(t *testing.T) {
	w := newWorld(t, 2)
	g := w.grant(w.active)
	if g.State != GrantActive || g.Grantee != addr("buyer") || g.Used != 0 || g.Uses != 2 {
		t.Errorf("active grant = %+v", g)
	}
	holders := []Address{addr("owner1"), addr("owner2")}
	slices.Sort(holders)
	if !slices.Equal(g.Holders, holders) || !slices.Equal(g.Approvals, holders) {
		t.Errorf("holders %v approvals %v, want both %v", g.Holders, g.Approvals, holders)
	}
	if a := w.grant(w.asked); a.State != GrantRequested || !slices.Equal(a.Holders, []Address{addr("owner1")}) || a.Requested != a.Updated {
		t.Errorf("asked grant = %+v", a)
	}

	// Two holders: the first approval does not activate.
	two := w.ok("buyer2", Msg{RequestGrant: &RequestGrant{Datasets: []string{w.ds2, w.ds1}, Ops: []Op{OpCount}, Columns: []string{"a"}, Uses: 1}})
	w.ok("owner2", Msg{ApproveGrant: &ApproveGrant{Grant: two}})
	if s := w.grant(two).State; s != GrantRequested {
		t.Errorf("state after one of two approvals = %s, want requested", s)
	}

	req := func(ds []string, ops []Op, cols []string, uses uint64) Msg {
		return Msg{RequestGrant: &RequestGrant{Datasets: ds, Ops: ops, Columns: cols, Uses: uses}}
	}
	sum := []Op{OpSum}
	a := []string{"a"}
	for _, tc := range []struct {
		name   string
		sender string
		m      Msg
		code   uint32
		want   string
	}{
		{"request: not a buyer", "owner1", req([]string{w.ds1}, sum, a, 1), CodeUnauthorized, "buyer role"},
		{"request: no datasets", "buyer", req(nil, sum, a, 1), CodeBadGrantRequest, "1 to 3 datasets, got 0"},
		{"request: too many datasets", "buyer", req([]string{w.ds1, w.ds2, "ds-3", "ds-4"}, sum, a, 1), CodeBadGrantRequest, "got 4"},
		{"request: duplicate dataset", "buyer", req([]string{w.ds1, w.ds1}, sum, a, 1), CodeBadGrantRequest, "named twice"},
		{"request: unknown dataset", "buyer", req([]string{w.ds1, "ds-nope"}, sum, a, 1), CodeUnknownDataset, "dataset ds-nope does not exist"},
		{"request: no ops", "buyer", req([]string{w.ds1}, nil, a, 1), CodeBadGrantRequest, "at least one op"},
		{"request: unknown op", "buyer", req([]string{w.ds1}, []Op{"median"}, a, 1), CodeBadGrantRequest, `op "median" is unknown`},
		{"request: duplicate op", "buyer", req([]string{w.ds1}, []Op{OpSum, OpSum}, a, 1), CodeBadGrantRequest, "op sum is named twice"},
		{"request: no columns", "buyer", req([]string{w.ds1}, sum, nil, 1), CodeBadGrantRequest, "at least one column"},
		{"request: duplicate column", "buyer", req([]string{w.ds1}, sum, []string{"a", "a"}, 1), CodeBadGrantRequest, `column "a" is named twice`},
		{"request: column missing", "buyer", req([]string{w.ds1, w.ds2}, sum, []string{"b"}, 1), CodeBadGrantRequest, `column "b" is not in dataset ` + w.ds2},
		{"request: zero uses", "buyer", req([]string{w.ds1}, sum, a, 0), CodeBadGrantRequest, "1 to 1000000 uses, got 0"},
		{"request: too many uses", "buyer", req([]string{w.ds1}, sum, a, 1_000_001), CodeBadGrantRequest, "got 1000001"},
		{"approve: unknown grant", "owner1", Msg{ApproveGrant: &ApproveGrant{Grant: "gr-nope"}}, CodeUnknownGrant, "grant gr-nope does not exist"},
		{"approve: not a holder", "owner2", Msg{ApproveGrant: &ApproveGrant{Grant: w.asked}}, CodeUnauthorized, "holds none of grant"},
		{"approve: grantee is no holder", "buyer", Msg{ApproveGrant: &ApproveGrant{Grant: w.asked}}, CodeUnauthorized, "holds none"},
		{"approve: already active", "owner1", Msg{ApproveGrant: &ApproveGrant{Grant: w.active}}, CodeGrantState, "is active; only a requested grant can be approved"},
		{"approve: twice", "owner2", Msg{ApproveGrant: &ApproveGrant{Grant: two}}, CodeAlreadyApproved, "already approved grant " + two},
		{"reject: not a holder", "owner2", Msg{RejectGrant: &RejectGrant{Grant: w.asked}}, CodeUnauthorized, "cannot reject"},
		{"reject: active", "owner1", Msg{RejectGrant: &RejectGrant{Grant: w.active}}, CodeGrantState, "only a requested grant can be rejected"},
		{"reject: long reason", "owner1", Msg{RejectGrant: &RejectGrant{Grant: w.asked, Reason: strings.Repeat("r", 513)}}, CodeBadText, "reason is 513 bytes"},
		{"revoke: unknown", "owner1", Msg{RevokeGrant: &RevokeGrant{Grant: "gr-nope"}}, CodeUnknownGrant, "does not exist"},
		{"revoke: not a holder", "buyer", Msg{RevokeGrant: &RevokeGrant{Grant: w.active}}, CodeUnauthorized, "cannot revoke"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t

	w.ok("owner1", Msg{RejectGrant: &RejectGrant{Grant: w.asked, Reason: "not for you"}})
	if r := w.grant(w.asked); r.State != GrantRejected || r.Reason != "not for you" || r.Updated != w.height {
		t.Errorf("rejected grant = %+v", r)
	}
	w.refused("owner1", Msg{RevokeGrant: &RevokeGrant{Grant: w.asked}}, CodeGrantState, "only a requested or active grant can be revoked")
	w.refused("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: w.asked}}, CodeGrantState, "is rejected")

	w.ok("owner1", Msg{RevokeGrant: &RevokeGrant{Grant: two, Reason: "changed my mind"}})
	if r := w.grant(two); r.State != GrantRevoked || r.Reason != "changed my mind" {
		t.Errorf("revoked grant = %+v", r)
	}
	w.checkCredits()
}

func TestCountCompletesAtOnce(t *testing.T) {
	w := newWorld(t, 2)
	before1, before2, beforeB := w.party("owner1").Balance, w.party("owner2").Balance, w.party("buyer").Balance
	id := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}})
	c := w.computation(id)
	if c.Status != ComputationCompleted || c.Rows != 16 || c.Finished != w.height || c.Escrow != 50 || !c.Output.IsZero() || len(c.Participants) != 0 {
		t.Errorf("count computation = %+v", c)
	}
	if !strings.HasPrefix(id, "cp-") {
		t.Errorf("id = %q", id)
	}
	if got := w.party("owner1").Balance - before1; got != 30 {
		t.Errorf("owner1 earned %d, want 30", got)
	}
	if got := w.party("owner2").Balance - before2; got != 20 {
		t.Errorf("owner2 earned %d, want 20", got)
	}
	if got := beforeB - w.party("buyer").Balance; got != 50 {
		t.Errorf("buyer paid %d, want 50", got)
	}
	ps := w.payments()
	if len(ps) != 3 || ps[0].Kind != PaymentEscrow || ps[1].Kind != PaymentRelease || ps[2].Kind != PaymentRelease ||
		ps[0].Seq != 1 || ps[2].Seq != 3 || ps[1].To != addr("owner1") || ps[2].To != addr("owner2") || ps[0].From != addr("buyer") {
		t.Errorf("payments = %+v", ps)
	}
	if g := w.grant(w.active); g.Used != 1 {
		t.Errorf("grant used = %d, want 1", g.Used)
	}
	w.checkCredits()
}

func TestRequestComputationRefusals(t *testing.T) {
	w := newWorld(t, 2)
	// Extra datasets for the schema, overflow and funds refusals.
	dec := w.list("buyer2", Msg{RegisterDataset: listing("decimal a", 4, 1, column("a", TypeDecimal, 2, 0, 100, 4))})
	huge := w.list("buyer2", Msg{RegisterDataset: listing("huge", 1000, 1, column("a", TypeInteger, 0, -(1<<40), 1<<40, 1000))})
	dear := w.list("buyer2", Msg{RegisterDataset: listing("dear", 1, 5000, column("a", TypeInteger, 0, 0, 1, 1))})
	w.next()
	grant := func(ds ...string) string {
		id := w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: ds, Ops: []Op{OpSum, OpMean, OpCount}, Columns: []string{"a"}, Uses: 5}})
		w.ok("buyer2", Msg{ApproveGrant: &ApproveGrant{Grant: id}})
		if slices.Contains(ds, w.ds1) {
			w.ok("owner1", Msg{ApproveGrant: &ApproveGrant{Grant: id}})
		}
		return id
	}
	mixed := grant(w.ds1, dec)
	overflow := grant(huge)
	costly := grant(dear)
	// Use up the active grant: a count completes, a sum holds the last use while pending.
	w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}})
	w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})

	rc := func(g string, op Op, col string) Msg {
		return Msg{RequestComputation: &RequestComputation{Grant: g, Op: op, Columns: []string{col}}}
	}
	for _, tc := range []struct {
		name   string
		sender string
		m      Msg
		code   uint32
		want   string
	}{
		{"unknown grant", "buyer", rc("gr-nope", OpSum, "a"), CodeUnknownGrant, "does not exist"},
		{"not the grantee", "buyer2", rc(w.active, OpSum, "a"), CodeUnauthorized, "is not the grantee of grant " + w.active},
		{"grant not active", "buyer", rc(w.asked, OpMean, "b"), CodeGrantState, "is requested, not active"},
		{"op not granted", "buyer", rc(w.active, OpMean, "a"), CodeOpNotGranted, `does not allow op "mean" (it allows sum, count)`},
		{"column not granted", "buyer", rc(w.active, OpSum, "b"), CodeColumnNotGranted, `does not cover column "b"`},
		{"no uses left", "buyer", rc(w.active, OpSum, "a"), CodeNoUsesLeft, "grant " + w.active + " has no uses left (2 of 2 used)"},
		{"schema mismatch", "buyer", rc(mixed, OpSum, "a"), CodeSchemaMismatch, `column "a" is integer with scale 0 in ` + w.ds1 + " but decimal with scale 2 in " + dec},
		{"overflow", "buyer", rc(overflow, OpSum, "a"), CodeOverflow, "a sum over 1000 rows could reach 1099511627776000 (column \"a\" with values up to 1099511627776 in magnitude), not below half the plaintext modulus (562949954011136)"},
		{"overflow mean", "buyer", rc(overflow, OpMean, "a"), CodeOverflow, "a mean over 1000 rows"},
		{"insufficient funds", "buyer", rc(costly, OpCount, "a"), CodeInsufficientFunds, "has 900 credits but the computation costs 5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	// A count has no overflow risk: the chain answers it from the row counts.
	w.ok("buyer", rc(overflow, OpCount, "a"))
	w.checkCredits()
}

// output and share are a member's two posts.
func output(id string, d Digest) Msg {
	return Msg{SubmitOutput: &SubmitOutput{Computation: id, Output: d}}
}

// noisyOutput is a member's output post with its noise dealing digest (a computation with noise).
func noisyOutput(id string, d, noise Digest) Msg {
	return Msg{SubmitOutput: &SubmitOutput{Computation: id, Output: d, Noise: noise}}
}

func share(id string, d Digest) Msg { return Msg{SubmitShare: &SubmitShare{Computation: id, Share: d}} }

func TestSumCompletesInTwoPhases(t *testing.T) {
	w := newWorld(t, 2)
	id := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	c := w.computation(id)
	if c.Status != ComputationPending || c.Deadline != w.height+testDeadline || c.Escrow != 50 || !slices.Equal(c.Prices, []uint64{30, 20}) {
		t.Fatalf("pending computation = %+v", c)
	}
	w.checkCredits()
	w.next()
	out := digestOf("output")
	w.ok("m3", output(id, out))
	w.ok("m2", output(id, out))
	// Without noise all three members of a 2-of-3 committee must agree (spec.Participants).
	if c := w.computation(id); c.Status != ComputationPending || len(c.Outputs) != 2 {
		t.Fatalf("after two of three outputs: %+v", c)
	}
	for _, tc := range []struct {
		name   string
		sender string
		m      Msg
		code   uint32
		want   string
	}{
		{"not a member", "buyer", output(id, out), CodeUnauthorized, "is not a committee member"},
		{"unknown computation", "m1", output("cp-nope", out), CodeUnknownComputation, "computation cp-nope does not exist"},
		{"twice", "m3", output(id, out), CodeAlreadySubmitted, "already posted an output for computation " + id},
		{"zero output", "m1", output(id, Digest{}), CodeBadDigests, "output digest is zero"},
		{"share before agreement", "m3", share(id, digestOf("s")), CodeComputationState, "has no agreed output yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.refused(tc.sender, tc.m, tc.code, tc.want)
		})
	}
	w.t = t
	w.ok("m1", output(id, out))
	c = w.computation(id)
	// The members that posted the agreed output, in post order.
	if c.Status != ComputationSwitching || c.Output != out || !slices.Equal(c.Participants, []Address{addr("m3"), addr("m2"), addr("m1")}) ||
		len(c.Disagreed) != 0 || len(c.Outputs) != 3 {
		t.Fatalf("after agreement: %+v", c)
	}
	if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == "agree_output" && e.Computation == id }) {
		t.Errorf("no agree_output event: %+v", w.events)
	}
	w.checkCredits()
	w.refused("m1", share(id, Digest{}), CodeBadDigests, "share digest is zero")
	b1, b2 := w.party("owner1").Balance, w.party("owner2").Balance
	w.ok("m1", share(id, digestOf("m1 share")))
	w.refused("m1", share(id, digestOf("again")), CodeAlreadySubmitted, "already posted a key-switch share")
	w.ok("m3", share(id, digestOf("m3 share")))
	if c := w.computation(id); c.Status != ComputationSwitching {
		t.Fatalf("completed with two of three shares: %+v", c)
	}
	w.ok("m2", share(id, digestOf("m2 share")))
	c = w.computation(id)
	if c.Status != ComputationCompleted || c.Finished != w.height || len(c.Shares) != 3 || c.Shares[1].Member != addr("m3") || c.Product == "" {
		t.Errorf("completed computation = %+v", c)
	}
	if w.party("owner1").Balance != b1 || w.party("owner2").Balance != b2 || c.SettleAt != w.height+DefaultDisputeWindow || c.Settled != 0 {
		t.Errorf("holders paid at completion, before the dispute window: %+v", c)
	}
	w.checkCredits()
	p, err := w.l.Product(c.Product)
	if err != nil {
		t.Fatal(err)
	}
	if p.Holder != addr("buyer") || p.Computation != id || p.Grant != w.active || !slices.Equal(p.Datasets, []string{w.ds1, w.ds2}) ||
		p.Output != out || p.Op != OpSum || !slices.Equal(p.Columns, []string{"a"}) || p.Issued != w.height {
		t.Errorf("product = %+v", p)
	}
	w.refused("m2", output(id, digestOf("late")), CodeComputationState, "is completed, no longer under way")
	for _, action := range []string{"complete_computation", "issue_product"} {
		if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == action && e.Computation == id }) {
			t.Errorf("no %s event: %+v", action, w.events)
		}
	}
	w.checkCredits()
	for w.height < c.SettleAt {
		w.next()
	}
	if w.party("owner1").Balance != b1 {
		t.Errorf("holders paid before the end of the dispute window's last block")
	}
	w.next()
	if w.party("owner1").Balance-b1 != 30 || w.party("owner2").Balance-b2 != 20 {
		t.Errorf("holders were not paid their prices")
	}
	if c := w.computation(id); c.Settled != c.SettleAt {
		t.Errorf("settled at %d, want %d", c.Settled, c.SettleAt)
	}
	w.checkCredits()
}

func TestExpiryRefundsAtDeadline(t *testing.T) {
	for _, phase := range []string{"pending", "switching"} {
		t.Run(phase, func(t *testing.T) {
			w := newWorld(t, 2)
			start := w.party("buyer").Balance
			id := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
			deadline := w.computation(id).Deadline
			w.ok("m1", output(id, digestOf("o")))
			for w.height < deadline {
				w.next()
			}
			// At the deadline height posts are still accepted, and the end of that block keeps it.
			wantReason := "no output agreed by the committee by height " + strconv.FormatInt(deadline, 10)
			if phase == "switching" {
				w.ok("m2", output(id, digestOf("o")))
				w.ok("m3", output(id, digestOf("o")))
				w.ok("m1", share(id, digestOf("s1")))
				w.ok("m3", share(id, digestOf("s3")))
				wantReason = "key-switch shares missing by height " + strconv.FormatInt(deadline, 10) + " from " + string(addr("m2"))
			} else {
				w.ok("m2", output(id, digestOf("different")))
				wantReason += "; no output from " + string(addr("m3"))
			}
			w.next()
			if c := w.computation(id); c.Status == ComputationExpired {
				t.Fatalf("status after the deadline block = %s, want still under way", c.Status)
			}
			// One past the deadline: a post is refused, and the end of the block expires it.
			w.refused("m3", output(id, digestOf("o")), CodeDeadlinePassed, "took posts until height")
			w.next()
			c := w.computation(id)
			if c.Status != ComputationExpired || c.Reason != wantReason || c.Finished != deadline+1 {
				t.Errorf("expired computation = status %s reason %q finished %d, want expired %q at %d", c.Status, c.Reason, c.Finished, wantReason, deadline+1)
			}
			if got := w.party("buyer").Balance; got != start {
				t.Errorf("buyer balance after refund = %d, want %d", got, start)
			}
			if g := w.grant(w.active); g.Used != 0 {
				t.Errorf("grant used after expiry = %d, want 0", g.Used)
			}
			ps := w.payments()
			if last := ps[len(ps)-1]; last.Kind != PaymentRefund || last.To != addr("buyer") || last.Amount != 50 || last.Height != deadline+1 {
				t.Errorf("last payment = %+v, want a refund of 50 to the buyer", last)
			}
			if !slices.ContainsFunc(w.events, func(e Event) bool { return e.Action == "expire_computation" && e.Sender == "" }) {
				t.Errorf("no expire_computation event at the end of the block: %+v", w.events)
			}
			// The index is gone: later blocks do nothing.
			n := len(ps)
			w.next()
			if len(w.payments()) != n {
				t.Errorf("a later block refunded again")
			}
			w.checkCredits()
		})
	}
}

func TestRevokeAbortsPending(t *testing.T) {
	w := newWorld(t, 2)
	start := w.party("buyer").Balance
	a := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	b := w.ok("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}})
	if w.party("buyer").Balance != start-100 {
		t.Fatalf("escrow not taken")
	}
	w.next()
	// a is in its second phase: the output is agreed and one share is in.
	w.ok("m1", output(a, digestOf("o")))
	w.ok("m2", output(a, digestOf("o")))
	w.ok("m3", output(a, digestOf("o")))
	w.ok("m1", share(a, digestOf("s1")))
	w.ok("owner2", Msg{RevokeGrant: &RevokeGrant{Grant: w.active, Reason: "breach"}})
	for _, id := range []string{a, b} {
		c := w.computation(id)
		if c.Status != ComputationAborted || c.Finished != w.height || !strings.Contains(c.Reason, "revoked by "+string(addr("owner2"))+": breach") {
			t.Errorf("computation %s = status %s reason %q", id, c.Status, c.Reason)
		}
	}
	if got := w.party("buyer").Balance; got != start {
		t.Errorf("buyer balance after abort = %d, want %d", got, start)
	}
	g := w.grant(w.active)
	if g.State != GrantRevoked || g.Used != 0 {
		t.Errorf("grant = %+v", g)
	}
	w.refused("buyer", Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}}, CodeGrantState, "is revoked, not active")
	w.refused("m2", share(a, digestOf("s2")), CodeComputationState, "is aborted")
	w.refused("m1", output(b, digestOf("o")), CodeComputationState, "is aborted")
	// Nothing is left to expire.
	n := len(w.payments())
	for i := 0; i < testDeadline+2; i++ {
		w.next()
	}
	if len(w.payments()) != n {
		t.Errorf("aborted computations were refunded again at their deadline")
	}
	w.checkCredits()
}

// TestCreditConservation scripts a flow with every kind of payment and checks the invariants
// after every block.
func TestCreditConservation(t *testing.T) {
	w := newWorld(t, 2)
	w.checkCredits()
	count := Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpCount, Columns: []string{"a"}}}
	sum := Msg{RequestComputation: &RequestComputation{Grant: w.active, Op: OpSum, Columns: []string{"a"}}}
	w.ok("buyer", count)
	w.checkCredits()
	s := w.ok("buyer", sum)
	w.checkCredits()
	for i := 0; i < testDeadline+2; i++ { // the end of block deadline+1 expires it
		w.next()
		w.checkCredits()
	}
	if c := w.computation(s); c.Status != ComputationExpired {
		t.Fatalf("sum status = %s, want expired", c.Status)
	}
	s = w.ok("buyer", sum)
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, output(s, digestOf("o")))
		w.checkCredits()
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		w.ok(m, share(s, digestOf(m)))
		w.checkCredits()
	}
	w.ok("newcomer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	w.checkCredits()
	ps := w.payments()
	for i, p := range ps {
		if p.Seq != uint64(i+1) {
			t.Errorf("payment %d has Seq %d, want %d", i, p.Seq, i+1)
		}
	}
}

// TestIDsDeterministic runs the same script twice and expects the same ids and state.
func TestIDsDeterministic(t *testing.T) {
	a, b := newWorld(t, 2), newWorld(t, 2)
	if a.ds1 != b.ds1 || a.active != b.active {
		t.Errorf("ids differ between identical runs")
	}
	sa, sb := a.store.Snapshot(), b.store.Snapshot()
	if len(sa) != len(sb) {
		t.Fatalf("state sizes differ")
	}
	for k, v := range sa {
		if string(sb[k]) != string(v) {
			t.Errorf("state differs at %q", k)
		}
	}
}
