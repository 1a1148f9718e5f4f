package rights

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("dxp test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func signedTx(t testing.TB, key ed25519.PrivateKey, chainID string, nonce uint64, msg Msg) []byte {
	t.Helper()
	tx := &Tx{ChainID: chainID, Nonce: nonce, Msg: msg}
	if err := Sign(key, tx); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	b, err := EncodeTx(tx)
	if err != nil {
		t.Fatalf("EncodeTx: %v", err)
	}
	return b
}

func TestAddressOf(t *testing.T) {
	pub := testKey("a").Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	want := Address(hex.EncodeToString(sum[:20]))
	if got := AddressOf(pub); got != want || len(got) != 40 {
		t.Errorf("AddressOf() = %q, want %q", got, want)
	}
}

func TestTxRoundTripAndSignature(t *testing.T) {
	key := testKey("a")
	msg := Msg{RequestGrant: &RequestGrant{Datasets: []string{"ds-1"}, Ops: []Op{OpSum}, Columns: []string{"x"}, Uses: 3}}
	raw := signedTx(t, key, "dxp-test", 7, msg)
	tx, err := DecodeTx(raw)
	if err != nil {
		t.Fatalf("DecodeTx: %v", err)
	}
	if tx.Nonce != 7 || tx.ChainID != "dxp-test" || tx.Msg.RequestGrant.Uses != 3 || tx.Sender() != AddressOf(key.Public().(ed25519.PublicKey)) {
		t.Errorf("DecodeTx() = %+v, want the signed fields back", tx)
	}
	if err := VerifySig(tx); err != nil {
		t.Errorf("VerifySig() = %v, want nil", err)
	}
	again, err := EncodeTx(tx)
	if err != nil || !bytes.Equal(again, raw) {
		t.Errorf("EncodeTx(DecodeTx(b)) differs from b (err %v)", err)
	}
	sb, err := SignBytes(tx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sb, tx.Sig) {
		t.Errorf("SignBytes contains the signature")
	}
	tx.Nonce++
	if err := VerifySig(tx); err == nil {
		t.Errorf("VerifySig() after changing the nonce = nil, want an error")
	}
}

func TestMsgExactlyOneField(t *testing.T) {
	key := testKey("a")
	for _, m := range []Msg{{}, {ApproveGrant: &ApproveGrant{Grant: "g"}, RejectGrant: &RejectGrant{Grant: "g"}}} {
		if err := Sign(key, &Tx{Msg: m}); err == nil {
			t.Errorf("Sign(%+v) = nil, want an error", m)
		}
		b, err := encMode.Marshal(&Tx{Msg: m})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeTx(b); err == nil || !strings.Contains(err.Error(), "exactly one") {
			t.Errorf("DecodeTx(%+v) error = %v, want exactly-one error", m, err)
		}
	}
}

// TestDecodeTxStrict feeds DecodeTx encodings that a lax decoder would accept.
func TestDecodeTxStrict(t *testing.T) {
	raw := signedTx(t, testKey("a"), "c", 0, Msg{ApproveGrant: &ApproveGrant{Grant: "gr-1"}})
	var generic map[string]any
	if err := cbor.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	withExtra := map[string]any{}
	for k, v := range generic {
		withExtra[k] = v
	}
	withExtra["Extra"] = 1
	unknown, err := encMode.Marshal(withExtra)
	if err != nil {
		t.Fatal(err)
	}
	lowercase := map[string]any{}
	for k, v := range generic {
		lowercase[strings.ToLower(k)] = v
	}
	caseFolded, err := encMode.Marshal(lowercase)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != 0xa5 {
		t.Fatalf("a tx encodes as %#x, want a map of 5 (0xa5)", raw[0])
	}
	nonce0 := append([]byte{0x65}, "Nonce"...) // text string of 5: the key "Nonce"
	// Duplicate key: a sixth entry "Nonce": 0.
	dup := append(append(append([]byte{0xa6}, raw[1:]...), nonce0...), 0x00)
	// Indefinite-length map: 0xbf ... 0xff.
	indef := append(append([]byte{0xbf}, raw[1:]...), 0xff)
	// Non-canonical: the nonce 0 encoded in two bytes (0x18 0x00).
	i := bytes.Index(raw, nonce0)
	if i < 0 {
		t.Fatal("no Nonce key in the encoding")
	}
	j := i + len(nonce0)
	long := append(append(append([]byte{}, raw[:j]...), 0x18, 0x00), raw[j+1:]...)

	for name, b := range map[string][]byte{
		"empty":          nil,
		"garbage":        []byte("hello"),
		"trailing bytes": append(append([]byte{}, raw...), 0x00),
		"unknown field":  unknown,
		"case folded":    caseFolded,
		"duplicate key":  dup,
		"indefinite":     indef,
		"non-canonical":  long,
		"truncated":      raw[:len(raw)-1],
		"tagged":         append([]byte{0xd8, 0x20}, raw...),
	} {
		if _, err := DecodeTx(b); err == nil {
			t.Errorf("DecodeTx(%s) = nil error, want a refusal", name)
		}
	}
	if _, err := DecodeTx(raw); err != nil {
		t.Errorf("DecodeTx(valid) = %v", err)
	}
}

func FuzzDecodeTx(f *testing.F) {
	key := testKey("fuzz")
	for _, m := range []Msg{
		{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: Digest{1}}},
		{PostCeremonyShare: &PostCeremonyShare{Epoch: 1, Step: "keys", Digests: []Digest{{2}}}},
		{RegisterDataset: &RegisterDataset{Name: "d", Rows: 1, Columns: []Column{{Name: "a", Type: TypeInteger, Ciphertexts: []Digest{{3}}, Chunks: []Chunk{{Commitment: make([]byte, 32), Proof: []byte("p")}}}}}},
		{RequestGrant: &RequestGrant{Datasets: []string{"ds-1"}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}},
		{RequestComputation: &RequestComputation{Grant: "gr-1", Op: OpCount, Columns: []string{"a"}}},
		{SubmitOutput: &SubmitOutput{Computation: "cp-1", Output: Digest{4}}},
		{SubmitShare: &SubmitShare{Computation: "cp-1", Share: Digest{5}}},
	} {
		f.Add(signedTx(f, key, "dxp-fuzz", 3, m))
	}
	for _, m := range fuzzMsgs() {
		f.Add(signedTx(f, key, "dxp-fuzz", 3, m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			return
		}
		again, err := EncodeTx(tx)
		if err != nil {
			t.Fatalf("EncodeTx of a decoded tx: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decoded tx re-encodes differently")
		}
		if err := VerifySig(tx); err == nil && len(tx.Sig) == 0 {
			t.Fatalf("a tx without a signature verified")
		}
	})
}

// fuzzMsgs are seeds for the kinds added with the ledger model; testdata/fuzz/FuzzDecodeTx holds
// their signed encodings too.
func fuzzMsgs() map[string]Msg {
	price := uint64(3)
	return map[string]Msg{
		"request_computation_multi": {RequestComputation: &RequestComputation{Grant: "gr-1", Op: OpRegression, Columns: []string{"x", "y"}, Epsilon: 500_000, Delta: 10}},
		"request_computation_dot":   {RequestComputation: &RequestComputation{Grant: "gr-1", Op: OpDot, Columns: []string{"x"}, Weights: []Digest{{6}}, WeightBound: 9}},
		"request_computation_hist":  {RequestComputation: &RequestComputation{Grant: "gr-1", Op: OpHistogram, Columns: []string{"x"}, Edges: []int64{-5, 0, 5}}},
		"request_grant_terms":       {RequestGrant: &RequestGrant{Datasets: []string{"ds-1"}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1, Purpose: "research", Epsilon: 1_000_000, Expiry: Expiry{Height: 9, Time: 1_700_000_000}}},
		"update_dataset":            {UpdateDataset: &UpdateDataset{Dataset: "ds-1", Tags: &[]string{"a"}, Price: &price}},
		"set_policy": {SetPolicy: &SetPolicy{Dataset: "ds-1", Policy: Policy{AllowedOps: []Op{OpSum}, AllowedColumns: []string{"a"}, MinRows: 10,
			EpsilonTotal: 5_000_000, EpsilonPerQuery: 1_000_000, DPRequired: true, Purposes: []string{"research"}, Expiry: Expiry{Height: 100},
			Approval: ApprovalOffer, Offer: OfferTerms{MaxUses: 3, PricePerUse: 2, Epsilon: 1_000_000, MaxBlocks: 50, MaxSeconds: 3600}}}},
		"retire_dataset":           {RetireDataset: &RetireDataset{Dataset: "ds-1", Reason: "old"}},
		"transfer_holding":         {TransferHolding: &TransferHolding{Dataset: "ds-1", To: Address("00112233445566778899aabbccddeeff00112233")}},
		"transfer_product":         {TransferProduct: &TransferProduct{Product: "pd-1", To: Address("00112233445566778899aabbccddeeff00112233")}},
		"license_product":          {LicenseProduct: &LicenseProduct{Product: "pd-1", To: Address("00112233445566778899aabbccddeeff00112233")}},
		"freeze":                   {Freeze: &Freeze{Kind: HoldDataset, ID: "ds-1", Reason: "inquiry"}},
		"unfreeze":                 {Unfreeze: &Unfreeze{Kind: HoldDataset, ID: "ds-1", Reason: "cleared"}},
		"propose_regulator_change": {ProposeRegulatorChange: &ProposeRegulatorChange{Change: RegulatorAdd, Address: Address("00112233445566778899aabbccddeeff00112233"), Reason: "r"}},
		"vote_regulator_change":    {VoteRegulatorChange: &VoteRegulatorChange{Proposal: "rp-1"}},
		"submit_output":            {SubmitOutput: &SubmitOutput{Computation: "cp-1", Output: Digest{4}}},
		"submit_share":             {SubmitShare: &SubmitShare{Computation: "cp-1", Share: Digest{5}}},
	}
}

// TestFuzzCorpusCoversKinds: the committed seed corpus holds a signed tx of every kind, and each
// decodes.
func TestFuzzCorpusCoversKinds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeTx")
	key := testKey("fuzz")
	for name, m := range fuzzMsgs() {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", signedTx(t, key, "dxp-fuzz", 3, m))
		path := filepath.Join(dir, name)
		if os.Getenv("DXP_WRITE_FUZZ_CORPUS") != "" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("seed %s is missing or stale (%v); rerun with DXP_WRITE_FUZZ_CORPUS=1", path, err)
		}
	}
}

// TestUnmarshalState: stored state written before a field existed still reads; a field the
// reader does not know is refused.
func TestUnmarshalState(t *testing.T) {
	b, err := Marshal(&Computation{ID: "cp-1", Prices: []uint64{3}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := cbor.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "Prices")
	older, err := encMode.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var c Computation
	if err := Unmarshal(older, &c); err != nil || c.ID != "cp-1" || c.Prices != nil {
		t.Errorf("Unmarshal(without Prices) = %+v, %v", c, err)
	}
	m["Future"] = 1
	newer, err := encMode.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal(newer, &c); err == nil {
		t.Errorf("Unmarshal(with an unknown field) = nil, want an error")
	}
}
