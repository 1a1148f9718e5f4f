package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/profile"
	pprof "github.com/google/pprof/profile"

	"github.com/dxplabs/dxp/circuits"
)

// The relations an input circuit's constraints are counted under (RelationCount.Relation).
const (
	RelationChunk      = "chunk"      // the values' commitment (Poseidon2) and their range check
	RelationEncryption = "encryption" // c = p·u + e + [T⁻¹m]_Q at γ, with u, e and m bounded
	RelationSlotLink   = "slot link"  // m is the slot encoding of the values, at two points ρ
	RelationPadding    = "padding selector"
	RelationHistogram  = "histogram" // buckets and S_c (column side) or S_T (table side)
)

// relationOrder is the order relations are reported in.
var relationOrder = []string{RelationChunk, RelationEncryption, RelationSlotLink, RelationPadding, RelationHistogram}

// inputRelations compiles lay's circuit and returns its constraint count and how many of them
// each relation emits (RelationChunk ... RelationHistogram), adding up to the count.
//
// The histogram part is the difference between lay's circuit and the same circuit without it
// (two compilations; exact). The rest is counted on the circuit without it with gnark's
// constraint profiler, which records the Go call stack of every constraint: a constraint
// belongs to the innermost circuits function on it that is one relation's (the slot link's,
// the encryption's, the chunk's; what circuits.Input.Define emits itself is the padding
// selector). gnark drops closures from the stacks, and the commitment callbacks run after
// Define as closures, so their constraints reach no circuits function: of those, the bits of γ
// the slot link reads its points from (the one ToBinary) are the slot link's, the chunk's digit
// lookup (circuits' assertInTable: an inverse per query, a division per table entry, one
// equality) is the chunk's as its layout sizes it, and the rest, the encryption relation's
// callback (its range lookups and the evaluations at γ), the encryption's.
func inputRelations(lay circuits.InputLayout) (total int, byRelation map[string]int, err error) {
	plain := lay
	plain.Histogram = circuits.HistogramLayout{}
	total, byRelation, err = plainInputRelations(plain)
	if err != nil || lay.Histogram.Side == circuits.HistogramOff {
		return total, byRelation, err
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, lay.NewCircuit())
	if err != nil {
		return 0, nil, fmt.Errorf("compile the input circuit: %w", err)
	}
	if ccs.GetNbConstraints() < total {
		return 0, nil, fmt.Errorf("the histogram circuit has %d constraints, fewer than the plain one's %d", ccs.GetNbConstraints(), total)
	}
	byRelation[RelationHistogram] = ccs.GetNbConstraints() - total
	return ccs.GetNbConstraints(), byRelation, nil
}

// plainInputRelations is inputRelations for a layout without a histogram part, from the profile.
func plainInputRelations(lay circuits.InputLayout) (total int, byRelation map[string]int, err error) {
	dir, err := os.MkdirTemp("", "dxp-bench-profile-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "constraints.pprof")
	prof := profile.Start(profile.WithPath(path), profile.WithoutOperations())
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, lay.NewCircuit())
	prof.Stop()
	if err != nil {
		return 0, nil, fmt.Errorf("compile the input circuit: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	p, err := pprof.Parse(f)
	if err != nil {
		return 0, nil, fmt.Errorf("read the constraint profile: %w", err)
	}
	byRelation = map[string]int{}
	callbacks := 0
	for _, s := range p.Sample {
		if len(s.Value) == 0 {
			continue
		}
		rel := ""
		toBinary := false
	stack:
		for _, loc := range s.Location { // innermost first
			for _, line := range loc.Line {
				if line.Function == nil {
					continue
				}
				name := line.Function.SystemName // the full path; Name is its last element
				if strings.Contains(name, ").ToBinary") {
					toBinary = true
				}
				if rel = relationOf(name); rel != "" {
					break stack
				}
			}
		}
		switch {
		case rel != "":
			byRelation[rel] += int(s.Value[0])
		case toBinary:
			byRelation[RelationSlotLink] += int(s.Value[0])
		default:
			callbacks += int(s.Value[0])
		}
	}
	lookup := min(callbacks, chunkLookups(lay))
	byRelation[RelationChunk] += lookup
	byRelation[RelationEncryption] += callbacks - lookup
	total = ccs.GetNbConstraints()
	counted := 0
	for _, n := range byRelation {
		counted += n
	}
	if counted != total {
		return 0, nil, fmt.Errorf("the profile holds %d constraints, the circuit %d", counted, total)
	}
	return total, byRelation, nil
}

// chunkLookups is the cost of the chunk's digit lookup (circuits.Chunk.Define's assertInTable):
// the N·L digits of the values, their N·L slack digits, the L digits of Max − Min and, when L·b
// exceeds the width, its shifted top digit, each an inverse, into the table {0, …, 2^b − 1}, a
// division per entry, and one equality.
func chunkLookups(lay circuits.InputLayout) int {
	n, w, b, l := lay.Chunk.N, lay.Chunk.W, lay.Chunk.LimbBits, lay.Chunk.Limbs
	queries := 2*n*l + l
	if l*b > w {
		queries++
	}
	return queries + 1<<b + 1
}

// relationOf names the relation a circuits function emits constraints for, or "".
func relationOf(function string) string {
	const pkg = "github.com/dxplabs/dxp/circuits."
	name, ok := strings.CutPrefix(function, pkg)
	if !ok {
		return ""
	}
	switch {
	case strings.HasPrefix(name, "(*SlotLink)"), strings.HasPrefix(name, "(*slotLinkBuilder)"), strings.HasPrefix(name, "(*rangeRound)"):
		return RelationSlotLink
	case strings.HasPrefix(name, "(*Encryption)"):
		return RelationEncryption
	case strings.HasPrefix(name, "(*Chunk)"), strings.HasPrefix(name, "(*sponge)"):
		return RelationChunk
	case strings.HasPrefix(name, "(*Input).Define"):
		return RelationPadding
	}
	return ""
}
