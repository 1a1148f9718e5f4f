package spec

// Participants is how many committee members post key-switch shares for a computation: the
// members the chain fixes once that many posted the same output digest. Without noise it is
// min(members, 2·threshold − 1): with at most threshold − 1 dishonest members, some threshold-subset
// of the participants is all honest, so a buyer that combines every threshold-subset (each
// participant posts one key-switch share per subset it belongs to) sees a wrong share as a
// disagreement between subsets. A computation with DP noise keeps exactly threshold participants
// and one subset: every subset would decrypt to a different noise draw, and the buyer could
// average them away (shared noise across subsets is not built yet, so a DP result is not checked
// this way).
func Participants(members, threshold int, dp bool) int {
	if dp || threshold < 1 {
		return threshold
	}
	return min(members, 2*threshold-1)
}
