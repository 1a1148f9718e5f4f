package rights

import (
	"fmt"
	"slices"
)

const maxShareDigests = 64

// member returns the index of a in the committee, or -1.
func (c *Committee) member(a Address) int {
	return slices.IndexFunc(c.Members, func(m Member) bool { return m.Address == a })
}

func validStep(s string) bool {
	if len(s) < 1 || len(s) > 16 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// checkDigests refuses an empty, too long, or zero-containing digest list.
func checkDigests(what string, ds []Digest, max int) error {
	if len(ds) < 1 || len(ds) > max {
		return refuse(CodeBadDigests, "%s must carry 1 to %d digests, got %d", what, max, len(ds))
	}
	for i, d := range ds {
		if d.IsZero() {
			return refuse(CodeBadDigests, "%s digest %d is zero", what, i)
		}
	}
	return nil
}

// checkNotCopied refuses share digests that another member already posted in this epoch, at any
// step but KeysStep (where members post identical key digests on purpose). A share is a commitment:
// its SHA-256 content address hides the object (each share carries fresh secret randomness) and
// binds the member to it, and members reveal (upload) their objects only once every member's
// commitment for the step is on chain. A member that posts a copy of another member's commitment
// would have its share revealed for it, without knowing its secret, and weight the collective key
// by the copied share; honest shares never collide.
func (c *Committee) checkNotCopied(sender Address, step string, ds []Digest) error {
	for _, s := range c.Shares {
		if s.Member == sender || s.Step == KeysStep {
			continue
		}
		for _, d := range ds {
			if slices.Contains(s.Digests, d) {
				return refuse(CodeCopiedShare, "ceremony step %q digest %x is a copy of the %q share %s posted in epoch %d", step, d[:6], s.Step, s.Member, c.Epoch)
			}
		}
	}
	return nil
}

// postCeremonyShare records a member's share digests for one ceremony step. When Threshold
// members posted identical digest lists for KeysStep, those are the committee's keys.
func (x *exec) postCeremonyShare(m *PostCeremonyShare) error {
	c, err := x.committee()
	if err != nil {
		return err
	}
	if c.member(x.sender) < 0 {
		return refuse(CodeUnauthorized, "%s is not a committee member", x.sender)
	}
	if m.Epoch != c.Epoch {
		return refuse(CodeBadEpoch, "ceremony share is for epoch %d, the committee is at epoch %d", m.Epoch, c.Epoch)
	}
	if !validStep(m.Step) {
		return refuse(CodeBadStep, "ceremony step %q must be 1 to 16 characters of a-z and 0-9", m.Step)
	}
	if err := checkDigests(fmt.Sprintf("ceremony step %q", m.Step), m.Digests, maxShareDigests); err != nil {
		return err
	}
	for _, s := range c.Shares {
		if s.Member == x.sender && s.Step == m.Step {
			return refuse(CodeDuplicateShare, "%s already posted ceremony step %q in epoch %d", x.sender, m.Step, c.Epoch)
		}
	}
	if m.Step != KeysStep {
		if err := c.checkNotCopied(x.sender, m.Step, m.Digests); err != nil {
			return err
		}
	}
	if c.Ready {
		return refuse(CodeCommitteeReady, "the committee already agreed its keys for epoch %d", c.Epoch)
	}
	c.Shares = append(slices.Clip(c.Shares), CeremonyShare{Member: x.sender, Step: m.Step, Digests: m.Digests, Height: x.b.Height})
	x.emit(Event{
		Action:  "post_ceremony_share",
		Parties: []Address{x.sender},
		Attrs:   []Attr{{"step", m.Step}, {"epoch", fmt.Sprint(c.Epoch)}},
	})
	if m.Step == KeysStep {
		var agree []Address
		for _, s := range c.Shares {
			if s.Step == KeysStep && slices.Equal(s.Digests, m.Digests) {
				agree = append(agree, s.Member)
			}
		}
		if len(agree) >= int(c.Threshold) {
			c.Keys = m.Digests
			c.Ready = true
			slices.Sort(agree)
			x.emit(Event{Action: "committee_ready", Parties: agree, Attrs: []Attr{{"epoch", fmt.Sprint(c.Epoch)}}})
		}
	}
	return save(x.s, keyCommittee, c)
}
