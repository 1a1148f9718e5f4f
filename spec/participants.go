package spec

// Participants is how many committee members post key-switch shares for a computation: the
// members the chain fixes once that many posted the same output digest. It is
// min(members, 2·threshold − 1): with at most threshold − 1 dishonest members, some
// threshold-subset of the participants is all honest, so a buyer that combines every
// threshold-subset (each participant posts one key-switch share per subset it belongs to) sees a
// wrong share as a disagreement between subsets. A computation with DP noise has as many
// participants: each deals its noise share to the committee (Shamir over Z_T), so every subset
// adds the same total noise and decrypts to the same answer.
func Participants(members, threshold int) int {
	if threshold < 1 {
		return threshold
	}
	return min(members, 2*threshold-1)
}
