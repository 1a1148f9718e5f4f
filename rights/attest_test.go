package rights

import (
	"strings"
	"testing"
)

// TestAttestInputsRules: only committee members give verdicts, once each, on pending datasets,
// with a reason exactly when invalid; every refused verdict changes nothing.
func TestAttestInputsRules(t *testing.T) {
	w := newWorld(t, 2)
	id := w.ok("owner1", Msg{RegisterDataset: listing("new", 4, 1, column("a", TypeInteger, 0, 0, 9, 4))})
	if d, _ := w.l.Dataset(id); d.Status != DatasetPending {
		t.Fatalf("a new listing is %s, want pending until the committee checks its inputs", d.Status)
	}
	pending := func() []string {
		ds, err := w.l.DatasetsByStatus(DatasetPending)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		return ids
	}
	if got := pending(); len(got) != 1 || got[0] != id {
		t.Fatalf("pending datasets = %v, want [%s]", got, id)
	}
	attest := func(ds string, valid bool, reason string) Msg {
		return Msg{AttestInputs: &AttestInputs{Dataset: ds, Valid: valid, Reason: reason}}
	}
	w.refused("owner1", attest(id, true, ""), CodeUnauthorized, "not a committee member")
	w.refused("buyer", attest(id, false, "I do not like it"), CodeUnauthorized, "not a committee member")
	w.refused("m1", attest(id, false, "  "), CodeBadAttestation, "needs a reason")
	w.refused("m1", attest(id, true, "fine"), CodeBadAttestation, "carries no reason")
	w.refused("m1", attest(id, false, strings.Repeat("x", MaxRefusalReason+1)), CodeBadAttestation, "at most")
	w.refused("m1", attest("ds-9999999999999999", true, ""), CodeUnknownDataset, "does not exist")
	w.refused("m1", attest(w.ds1, true, ""), CodeInputsNotPending, "is listed, not pending")

	// A pending dataset is not usable, and its holder cannot change it yet.
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{id}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}},
		CodeDatasetNotListed, "is pending, not listed")
	w.refused("owner1", Msg{RetireDataset: &RetireDataset{Dataset: id, Reason: "changed my mind"}}, CodeDatasetNotListed, "is pending")

	w.ok("m1", attest(id, true, ""))
	w.refused("m1", attest(id, true, ""), CodeAlreadyAttested, "already gave its verdict")
	w.refused("m1", attest(id, false, "second thoughts"), CodeAlreadyAttested, "already gave its verdict")
	if d, _ := w.l.Dataset(id); d.Status != DatasetPending || len(d.Attestations) != 1 {
		t.Fatalf("after one valid verdict of a 2-of-3 committee: %s with %d verdicts, want pending with 1", d.Status, len(d.Attestations))
	}
	w.ok("m3", attest(id, true, ""))
	d, _ := w.l.Dataset(id)
	if d.Status != DatasetListed || len(d.Attestations) != 2 {
		t.Fatalf("after Threshold valid verdicts: %s with %d verdicts, want listed with 2", d.Status, len(d.Attestations))
	}
	w.refused("m2", attest(id, true, ""), CodeInputsNotPending, "is listed, not pending")
	if got := pending(); len(got) != 0 {
		t.Errorf("pending datasets after the listing = %v, want none", got)
	}
	w.ok("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{id}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}})
}

// TestAttackForgedInputsRefused: an owner lists a dataset whose stored ciphertexts are not what
// the listing claims. Honest members (Threshold of them) say so: the dataset is refused for good,
// its holder named, its listing fee not refunded; no grant or computation can ever use it, so no buyer
// pays for it. A dishonest member vouching for it changes nothing, and stays on record.
func TestAttackForgedInputsRefused(t *testing.T) {
	w := newWorld(t, 2)
	id := w.ok("owner1", Msg{RegisterDataset: listing("forged", 4, 1, column("a", TypeInteger, 0, 0, 9, 4))})
	balance := w.party("owner1").Balance
	const why = "column a ciphertext 0 is not a well-formed encryption under the committee's key"
	w.ok("m2", Msg{AttestInputs: &AttestInputs{Dataset: id, Valid: true}}) // the owner's accomplice
	w.ok("m1", Msg{AttestInputs: &AttestInputs{Dataset: id, Reason: why}})
	if d, _ := w.l.Dataset(id); d.Status != DatasetPending {
		t.Fatalf("one dishonest and one honest verdict: %s, want still pending", d.Status)
	}
	w.ok("m3", Msg{AttestInputs: &AttestInputs{Dataset: id, Reason: why}})
	d, _ := w.l.Dataset(id)
	if d.Status != DatasetRefused || !strings.Contains(d.Reason, why) || !strings.Contains(d.Reason, "2 committee members") {
		t.Fatalf("after Threshold invalid verdicts: %s (%q), want refused naming the reason", d.Status, d.Reason)
	}
	var named bool
	for _, e := range w.events {
		if e.Action == "refuse_dataset" {
			named = strings.Contains(attrsOf(e), "holder="+string(addr("owner1"))) && strings.Contains(attrsOf(e), "dissent="+string(addr("m2")))
		}
	}
	if !named {
		t.Errorf("the refusal event does not name the holder and the dissenting member: %+v", w.events)
	}
	if got := w.party("owner1").Balance; got != balance {
		t.Errorf("the refused holder's balance went from %d to %d, want its listing fee kept", balance, got)
	}
	w.refused("buyer", Msg{RequestGrant: &RequestGrant{Datasets: []string{id}, Ops: []Op{OpSum}, Columns: []string{"a"}, Uses: 1}},
		CodeDatasetNotListed, "is refused, not listed")
	w.refused("m2", Msg{AttestInputs: &AttestInputs{Dataset: id, Valid: true}}, CodeInputsNotPending, "is refused, not pending")
	w.refused("owner1", Msg{UpdateDataset: &UpdateDataset{Dataset: id, Price: new(uint64)}}, CodeDatasetNotListed, "is refused")
}

// TestAttackDishonestMemberRefusesHonestListing: Threshold−1 members cannot refuse an honest
// listing; the honest majority lists it and the false verdict stays on the dataset.
func TestAttackDishonestMemberRefusesHonestListing(t *testing.T) {
	w := newWorld(t, 2)
	id := w.ok("owner2", Msg{RegisterDataset: listing("honest", 4, 1, column("a", TypeInteger, 0, 0, 9, 4))})
	w.ok("m3", Msg{AttestInputs: &AttestInputs{Dataset: id, Reason: "column a ciphertext 1 does not match its digest"}})
	w.ok("m1", Msg{AttestInputs: &AttestInputs{Dataset: id, Valid: true}})
	w.ok("m2", Msg{AttestInputs: &AttestInputs{Dataset: id, Valid: true}})
	d, _ := w.l.Dataset(id)
	if d.Status != DatasetListed {
		t.Fatalf("an honest listing with one false refusal is %s, want listed", d.Status)
	}
	if len(d.Attestations) != 3 || d.Attestations[0].Member != addr("m3") || d.Attestations[0].Valid {
		t.Errorf("the false refusal is not on record: %+v", d.Attestations)
	}
}

func attrsOf(e Event) string {
	var b strings.Builder
	for _, a := range e.Attrs {
		b.WriteString(a.Key + "=" + a.Value + " ")
	}
	return b.String()
}
