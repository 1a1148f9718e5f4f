package rights

import (
	"fmt"
	"slices"
	"strings"
)

// attestInputs records a committee member's verdict on a pending dataset's stored inputs. The
// chain cannot read storage, so whether the objects a listing names exist, match their digests
// and are what the listing claims is checked by the members, who read them anyway to compute;
// the chain counts their verdicts. Threshold valid verdicts list the dataset; Threshold invalid
// verdicts refuse it for good, naming its holder and the members who found it. With at most
// Threshold−1 dishonest members, neither a false "valid" nor a false "invalid" reaches Threshold
// alone, and when the committee has 2·Threshold−1 members only one side can reach it. Verdicts
// that disagree with the outcome stay on the dataset for the audit.
func (x *exec) attestInputs(m *AttestInputs) error {
	committee, err := x.committee()
	if err != nil {
		return err
	}
	if committee.member(x.sender) < 0 {
		return refuse(CodeUnauthorized, "%s is not a committee member, so it cannot check a listing's inputs", x.sender)
	}
	reason := strings.TrimSpace(m.Reason)
	switch {
	case !m.Valid && reason == "":
		return refuse(CodeBadAttestation, "an invalid verdict needs a reason")
	case m.Valid && m.Reason != "":
		return refuse(CodeBadAttestation, "a valid verdict carries no reason")
	case len(m.Reason) > MaxRefusalReason:
		return refuse(CodeBadAttestation, "a verdict's reason is %d bytes, at most %d are allowed", len(m.Reason), MaxRefusalReason)
	}
	d, err := x.dataset(m.Dataset)
	if err != nil {
		return err
	}
	if d.Status != DatasetPending {
		return refuse(CodeInputsNotPending, "dataset %s is %s, not pending a check of its inputs", d.ID, d.Status)
	}
	if d.KeyEpoch != committee.Epoch {
		return refuse(CodeBadEpoch, "dataset %s is encrypted under key epoch %d, the committee is at epoch %d", d.ID, d.KeyEpoch, committee.Epoch)
	}
	if slices.ContainsFunc(d.Attestations, func(a InputAttestation) bool { return a.Member == x.sender }) {
		return refuse(CodeAlreadyAttested, "%s already gave its verdict on the inputs of dataset %s", x.sender, d.ID)
	}
	d.Attestations = append(slices.Clip(d.Attestations), InputAttestation{Member: x.sender, Valid: m.Valid, Reason: reason, Height: x.b.Height})
	attrs := []Attr{{"valid", fmt.Sprint(m.Valid)}}
	if !m.Valid {
		attrs = append(attrs, Attr{"reason", reason})
	}
	x.emit(Event{Action: "attest_inputs", Parties: []Address{x.sender, d.Holder}, Datasets: []string{d.ID}, Attrs: attrs})

	var valid, invalid []Address
	first := ""
	for _, a := range d.Attestations {
		if a.Valid {
			valid = append(valid, a.Member)
		} else {
			invalid = append(invalid, a.Member)
			if first == "" {
				first = a.Reason
			}
		}
	}
	t := int(committee.Threshold)
	if len(valid) >= t || len(invalid) >= t {
		if err := x.delIndex(prefixDatasetByStatus, string(DatasetPending), d.ID); err != nil {
			return err
		}
	}
	switch {
	case len(valid) >= t:
		d.Status = DatasetListed
		x.emit(Event{Action: "list_dataset", Parties: uniqueAddrs(append([]Address{d.Holder}, valid...)), Datasets: []string{d.ID},
			Attrs: []Attr{{"dissent", joinAddrs(invalid)}}})
	case len(invalid) >= t:
		d.Status = DatasetRefused
		d.Reason = fmt.Sprintf("inputs refused by %d committee members: %s", len(invalid), first)
		x.emit(Event{Action: "refuse_dataset", Parties: uniqueAddrs(append([]Address{d.Holder}, invalid...)), Datasets: []string{d.ID},
			Attrs: []Attr{{"holder", string(d.Holder)}, {"reason", d.Reason}, {"dissent", joinAddrs(valid)}}})
	}
	return save(x.s, key(prefixDataset, d.ID), d)
}
