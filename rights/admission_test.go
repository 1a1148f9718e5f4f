package rights

import (
	"errors"
	"sync/atomic"
	"testing"
)

// prodGenesis is testGenesis as a chain that is not a devnet: the secure ring (SecureSlots values
// per ciphertext), input proofs required with input circuits of widths 16 and 64 beside the
// chunk circuits, ceremony setups, a proof fee and (by default) regulator admission.
func prodGenesis(fee uint64) Genesis {
	g := testGenesis()
	g.Devnet = false
	g.Params.ProofFee = fee
	g.Params.SlotsPerCiphertext = SecureSlots
	g.Params.InputProofs = true
	g.Circuits = append(g.Circuits, testInputCircuit(SecureSlots, 16), testInputCircuit(SecureSlots, 64))
	for i := range g.Circuits {
		g.Circuits[i].Setup = digestOf("transcript").String()
	}
	return g
}

// newProdHarness is a harness over prodGenesis(fee) with v verifying proofs, the regulator
// registered and the committee's keys agreed.
func newProdHarness(t *testing.T, fee uint64, v Verifier) *harness {
	t.Helper()
	h := &harness{t: t, store: NewMemStore(), height: 1}
	h.l = &Ledger{Store: h.store, Verifier: v, Cache: NewCache()}
	if err := h.l.InitChain(prodGenesis(fee), Block{Height: 1}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	h.ok(testRegulatorKey, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	h.ok("m1", Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: "keys", Digests: testKeys}})
	h.ok("m2", Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: "keys", Digests: testKeys}})
	h.next()
	return h
}

// TestAttackFreeIdentityOffDevnet: on a chain that is not a devnet, an outsider registers itself
// as owner and buyer to get the opening credits and load the chain and committee for free. It is
// refused and credited nothing; only what a regulator admitted registers, with the roles, key
// and credit the regulator named.
func TestAttackFreeIdentityOffDevnet(t *testing.T) {
	h := newProdHarness(t, DefaultProofFee, testVerifier{})
	if g, _ := h.l.Genesis(); g.AdmissionRule() != AdmissionRegulator {
		t.Fatalf("admission rule = %q, want %q", g.AdmissionRule(), AdmissionRegulator)
	}
	if reg := h.party(testRegulatorKey); reg.Balance != 0 || reg.Credited != 0 {
		t.Errorf("a regulator registering without an admission was credited %d (balance %d), want 0", reg.Credited, reg.Balance)
	}

	// The attack: register as owner and buyer with a key of one's own choosing.
	h.refused("mallory", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner, RoleBuyer}, RLWEKey: digestOf("mallory rlwe")}},
		CodeNotAdmitted, "a regulator must first admit it")
	h.refused("mallory", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}}, CodeNotAdmitted, "AdmitParty")
	if _, err := h.l.Party(addr("mallory")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mallory registered: %v", err)
	}
	// Nor may it admit itself, or have a party that is not a regulator admit it.
	h.refused("mallory", Msg{AdmitParty: &AdmitParty{Address: addr("mallory"), Roles: []Role{RoleOwner}, Credit: 1000}},
		CodeUnregistered, "not a registered party")
	h.ok(testRegulatorKey, Msg{AdmitParty: &AdmitParty{Address: addr("owner1"), Roles: []Role{RoleOwner}, Credit: 300}})
	h.ok("owner1", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	h.refused("owner1", Msg{AdmitParty: &AdmitParty{Address: addr("mallory"), Roles: []Role{RoleOwner}, Credit: 1000}},
		CodeUnauthorized, "is not a regulator")

	// Malformed admissions.
	reg := func(m AdmitParty, code uint32, want string) {
		t.Helper()
		h.refused(testRegulatorKey, Msg{AdmitParty: &m}, code, want)
	}
	reg(AdmitParty{Address: "nope", Roles: []Role{RoleOwner}}, CodeBadAdmission, "not an address")
	reg(AdmitParty{Address: addr("buyer"), Roles: []Role{RoleRegulator}}, CodeBadAdmission, "only the owner and buyer roles")
	reg(AdmitParty{Address: addr("buyer"), Roles: []Role{RoleBuyer}}, CodeMissingRLWEKey, "RLWE public key")
	reg(AdmitParty{Address: addr("buyer"), Roles: []Role{RoleOwner}, RLWEKey: digestOf("k")}, CodeBadAdmission, "names no RLWE key")
	reg(AdmitParty{Address: addr("buyer"), Roles: []Role{RoleBuyer, RoleBuyer}, RLWEKey: digestOf("k")}, CodeBadAdmission, "listed twice")
	reg(AdmitParty{Address: addr("owner1"), Roles: []Role{RoleBuyer}, RLWEKey: digestOf("k")}, CodeAlreadyRegistered, "already registered")
	reg(AdmitParty{Address: addr("buyer"), Roles: []Role{RoleBuyer}, RLWEKey: digestOf("k"), Credit: maxAdmitCredit + 1}, CodeBadAdmission, "credits at most")

	// An admitted buyer registers with exactly what was admitted.
	h.ok(testRegulatorKey, Msg{AdmitParty: &AdmitParty{Address: addr("buyer"), Roles: []Role{RoleBuyer}, Credit: 500, RLWEKey: digestOf("buyer rlwe")}})
	if a, err := h.l.Admission(addr("buyer")); err != nil || a.Regulator != addr(testRegulatorKey) || a.Credit != 500 {
		t.Fatalf("Admission(buyer) = %+v, %v", a, err)
	}
	h.refused("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer, RoleOwner}, RLWEKey: digestOf("buyer rlwe")}},
		CodeBadAdmission, "admitted it only as")
	h.refused("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: digestOf("another rlwe")}},
		CodeBadAdmission, "its admission names")
	h.ok("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: digestOf("buyer rlwe")}})
	if p := h.party("buyer"); p.Balance != 500 || p.Credited != 500 || p.RLWEKey != digestOf("buyer rlwe") {
		t.Errorf("admitted buyer = balance %d credited %d key %s, want 500, 500 and its admitted key", p.Balance, p.Credited, p.RLWEKey)
	}
	if _, err := h.l.Admission(addr("buyer")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the admission outlived its registration: %v", err)
	}
	if p := h.party("owner1"); p.Balance != 300 {
		t.Errorf("admitted owner balance = %d, want 300", p.Balance)
	}
}

// TestDevnetOpenAdmission: a devnet keeps open admission, said so by its genesis: anyone
// registers as owner and buyer and is credited the opening credit, and an admission, where a
// regulator made one, still decides the credit.
func TestDevnetOpenAdmission(t *testing.T) {
	h := newHarness(t)
	if g, _ := h.l.Genesis(); g.AdmissionRule() != AdmissionOpen {
		t.Fatalf("devnet admission rule = %q, want %q", g.AdmissionRule(), AdmissionOpen)
	}
	h.ok("anyone", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner, RoleBuyer}, RLWEKey: digestOf("anyone rlwe")}})
	if p := h.party("anyone"); p.Balance != testCredit || p.Credited != testCredit {
		t.Errorf("open registration = balance %d credited %d, want %d", p.Balance, p.Credited, testCredit)
	}
	h.ok(testRegulatorKey, Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleRegulator}}})
	h.ok(testRegulatorKey, Msg{AdmitParty: &AdmitParty{Address: addr("rich"), Roles: []Role{RoleOwner}, Credit: 5000}})
	h.ok("rich", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	if p := h.party("rich"); p.Balance != 5000 {
		t.Errorf("admitted owner on a devnet = balance %d, want 5000", p.Balance)
	}
}

// countingVerifier counts the chunk proofs it is asked to verify (every one verifies).
type countingVerifier struct{ n atomic.Int64 }

func (v *countingVerifier) VerifyChunk(vk, proof, commitment []byte, min, max int64) error {
	v.n.Add(1)
	return testVerifier{}.VerifyChunk(vk, proof, commitment, min, max)
}

func (v *countingVerifier) VerifyInput(vk []byte, c *InputClaim, proof []byte) error {
	v.n.Add(1)
	return testVerifier{}.VerifyInput(vk, c, proof)
}

func (*countingVerifier) HistogramChallenge(context []byte, chunkCommitments [][]byte, tableCommitment []byte, min, bin int64) ([]byte, error) {
	return testVerifier{}.HistogramChallenge(context, chunkCommitments, tableCommitment, min, bin)
}

func (*countingVerifier) CheckHistogram(chunkSums [][]byte, tableSum []byte) error {
	return testVerifier{}.CheckHistogram(chunkSums, tableSum)
}

// TestAttackUnpaidListingVerifiesProofs: a party that cannot pay sends a big listing so that
// every validator verifies its proofs in CheckTx and the block for nothing. Admission refuses it
// before a single proof is verified, as does the block; a listing it can pay is charged, the fee
// burned and on record.
func TestAttackUnpaidListingVerifiesProofs(t *testing.T) {
	v := &countingVerifier{}
	h := newProdHarness(t, 2, v)
	h.ok(testRegulatorKey, Msg{AdmitParty: &AdmitParty{Address: addr("owner1"), Roles: []Role{RoleOwner}, Credit: 20}})
	h.ok(testRegulatorKey, Msg{AdmitParty: &AdmitParty{Address: addr("buyer"), Roles: []Role{RoleBuyer}, Credit: 1000, RLWEKey: digestOf("buyer rlwe")}})
	h.ok("owner1", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleOwner}}})
	h.ok("buyer", Msg{RegisterParty: &RegisterParty{Roles: []Role{RoleBuyer}, RLWEKey: digestOf("buyer rlwe")}})
	h.next()

	const rows = 1000 * SecureSlots // 1,000 input proofs per column, one per ciphertext
	big := listing("big", rows, 1, inputColumn("a", 0, 10, rows, SecureSlots), inputColumn("b", 0, 10, rows, SecureSlots))
	raw := h.raw("owner1", Msg{RegisterDataset: big})
	if _, err := h.l.Admit(raw, h.block(), nil); refusalCode(err) != CodeFeeUnpaid {
		t.Fatalf("Admit(unpaid listing of 2,000 proofs) = %v, want code %d", err, CodeFeeUnpaid)
	}
	if n := v.n.Load(); n != 0 {
		t.Fatalf("admission verified %d proofs of a listing its sender cannot pay for, want 0", n)
	}
	h.refusedRaw(raw, CodeFeeUnpaid, "costs 4000 credits (2 per proof) and "+string(addr("owner1"))+" holds 20")
	if n := v.n.Load(); n != 0 {
		t.Fatalf("the block verified %d proofs of a listing its sender cannot pay for, want 0", n)
	}

	// A buyer with credits but no owner role is refused before any proof too.
	braw := h.raw("buyer", Msg{RegisterDataset: big})
	if _, err := h.l.Admit(braw, h.block(), nil); refusalCode(err) != CodeUnauthorized {
		t.Fatalf("Admit(listing by a buyer) = %v, want code %d", err, CodeUnauthorized)
	}
	if n := v.n.Load(); n != 0 {
		t.Fatalf("admission verified %d proofs of a listing by a party that is not an owner, want 0", n)
	}

	// Listings already waiting in the mempool count: their fees are reserved, and a party may
	// have at most MaxQueuedListings.
	small := listing("small", 2*SecureSlots, 1, inputColumn("a", 0, 10, 2*SecureSlots, SecureSlots)) // 2 proofs, fee 4
	sraw := h.raw("owner1", Msg{RegisterDataset: small})
	h.l.Queued = func(a Address) (int, uint64) { return 1, 17 }
	if _, err := h.l.Admit(sraw, h.block(), nil); refusalCode(err) != CodeFeeUnpaid {
		t.Errorf("Admit(listing past the balance with 17 reserved) = %v, want code %d", err, CodeFeeUnpaid)
	}
	h.l.Queued = func(a Address) (int, uint64) { return MaxQueuedListings, 0 }
	if _, err := h.l.Admit(sraw, h.block(), nil); refusalCode(err) != CodeTooManyHeavyTxs {
		t.Errorf("Admit(listing past MaxQueuedListings) = %v, want code %d", err, CodeTooManyHeavyTxs)
	}
	if n := v.n.Load(); n != 0 {
		t.Fatalf("admission verified %d proofs of refused listings, want 0", n)
	}
	h.l.Queued = nil

	// One it can pay: admitted, listed, charged 4 and the fee burned.
	if _, err := h.l.Admit(sraw, h.block(), nil); err != nil {
		t.Fatalf("Admit(paid listing) = %v", err)
	}
	h.ok("owner1", Msg{RegisterDataset: small})
	if p := h.party("owner1"); p.Balance != 16 || p.FeesPaid != 4 || p.Credited != 20 {
		t.Errorf("owner after a paid listing = balance %d fees %d credited %d, want 16, 4, 20", p.Balance, p.FeesPaid, p.Credited)
	}
	if len(h.events) == 0 || h.events[0].Action != "fee" {
		t.Errorf("the listing's first event is not its fee: %+v", h.events)
	}
}

// refusalCode is err's refusal code, 0 if it is not a *TxError.
func refusalCode(err error) uint32 {
	var te *TxError
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
