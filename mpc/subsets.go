package mpc

import (
	"fmt"
	"slices"
	"strings"
)

// Redundant key-switch subsets. A computation without noise has spec.Participants =
// min(n, 2t−1) participants. Each posts one share object: its PCKS share for every t-subset of
// the participants that contains it, in the order subsets lists them, concatenated (every share
// has the same size at the output level, and each carries fresh smudging; the additive key share
// depends on the subset through its Lagrange coefficient). The buyer combines every subset and
// accepts only when all decrypt to the same values: with at most t−1 dishonest members some
// subset is all honest, so a share that moves the answer makes subsets disagree, and the members
// whose exclusion makes the rest agree are named (VerifyError).

// subsets returns every size-t subset of positions 0..q−1 in lexicographic order.
func subsets(q, t int) [][]int {
	if t < 1 || t > q {
		return nil
	}
	var out [][]int
	cur := make([]int, t)
	var rec func(i, from int)
	rec = func(i, from int) {
		if i == t {
			out = append(out, slices.Clone(cur))
			return
		}
		for p := from; p <= q-(t-i); p++ {
			cur[i] = p
			rec(i+1, p+1)
		}
	}
	rec(0, 0)
	return out
}

// subsetsWith returns the subsets of subsets(q, t) that contain position p, in the same order.
func subsetsWith(q, t, p int) [][]int {
	var out [][]int
	for _, s := range subsets(q, t) {
		if slices.Contains(s, p) {
			out = append(out, s)
		}
	}
	return out
}

// VerifyError reports key-switch shares whose subsets decrypt to different answers: the answer is
// refused. Suspects are the participants (indices into the shares OpenValues was given, which are
// in participant order) that appear in a smallest set whose exclusion makes every remaining subset
// agree. Certain is true when there is exactly one such set: its members then certainly posted a
// wrong share, whoever else cheated. When several sets explain the disagreement equally (with
// q = 2t − 1 participants a single wrong member can always mimic another, for t = 2), Suspects
// is their union and the disagreement alone does not tell which of them cheated.
type VerifyError struct {
	Subsets  int   // subsets combined
	Distinct int   // distinct answers among them
	Suspects []int // participant positions, ascending
	Certain  bool
}

func (e *VerifyError) Error() string {
	who := "one of participants"
	if e.Certain {
		who = "participant"
		if len(e.Suspects) > 1 {
			who = "participants"
		}
	}
	ps := make([]string, len(e.Suspects))
	for i, p := range e.Suspects {
		ps[i] = fmt.Sprint(p)
	}
	return fmt.Sprintf("mpc: open: the %d key-switch subsets decrypt to %d different answers: %s %s posted a wrong share; the answer is refused",
		e.Subsets, e.Distinct, who, strings.Join(ps, ", "))
}

// attribute finds the smallest sets of participant positions whose exclusion leaves at least one
// subset and makes every remaining subset's answer (class[i] for subsets[i]) the same.
func attribute(q int, subs [][]int, class []int) (suspects []int, certain bool) {
	for size := 1; size <= q; size++ {
		var found [][]int
		for _, x := range subsets(q, size) {
			first, ok := -1, true
			for i, s := range subs {
				if slices.ContainsFunc(s, func(p int) bool { return slices.Contains(x, p) }) {
					continue
				}
				if first < 0 {
					first = class[i]
				} else if class[i] != first {
					ok = false
					break
				}
			}
			if ok && first >= 0 {
				found = append(found, x)
			}
		}
		if len(found) == 0 {
			continue
		}
		for _, x := range found {
			for _, p := range x {
				if !slices.Contains(suspects, p) {
					suspects = append(suspects, p)
				}
			}
		}
		slices.Sort(suspects)
		return suspects, len(found) == 1
	}
	return nil, false
}

// maxParticipants bounds the participants a buyer combines: the subsets grow as C(q, t).
const maxParticipants = 15
