package rights

import (
	"testing"
)

// TestAttackCopiedCeremonyCommitment: a rogue member waits for an honest member's ckg commitment
// and posts the same digest as its own. Once the honest member reveals, the copy would be revealed
// too, so the rogue would count the honest share twice in the collective key without holding any
// secret of its own. The chain refuses the copy, at the same step or another, and records nothing;
// identical key digests at KeysStep (the vote) stay allowed.
func TestAttackCopiedCeremonyCommitment(t *testing.T) {
	w := newWorld(t, 0)
	share := func(step string, ds ...Digest) Msg {
		return Msg{PostCeremonyShare: &PostCeremonyShare{Epoch: testEpoch, Step: step, Digests: ds}}
	}
	honest := digestOf("m1 ckg share")
	w.ok("m1", share("ckg", honest))
	w.ok("m1", share("gkg", digestOf("m1 gkg 1"), digestOf("m1 gkg 2")))

	w.refused("m2", share("ckg", honest), CodeCopiedShare, `copy of the "ckg" share`)
	w.refused("m2", share("rkg1", honest), CodeCopiedShare, `copy of the "ckg" share`)
	w.refused("m2", share("gkg", digestOf("m2 gkg 1"), digestOf("m1 gkg 2")), CodeCopiedShare, `copy of the "gkg" share`)
	for _, s := range w.committee().Shares {
		if s.Member == addr("m2") {
			t.Fatalf("a refused copy was recorded: %+v", s)
		}
	}
	// The rogue's own share is fine, and members still vote identical keys.
	w.ok("m2", share("ckg", digestOf("m2 ckg share")))
	w.ok("m1", share(KeysStep, testKeys...))
	w.ok("m2", share(KeysStep, testKeys...))
	if !w.committee().Ready {
		t.Error("the committee is not ready after two identical key votes")
	}
}
