package mpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// TestAttackListingWithForgedObjects: an owner lists datasets whose digests name objects that are
// not what a listing claims: an object that is not in storage, bytes that are not a ciphertext,
// the committee's own public key, and a ciphertext too low in the modulus chain for the ops. Each
// member that checks a listing posts an invalid verdict naming the object, and Threshold of them
// refuse the dataset before any computation can touch it; an honest listing next to them is
// listed.
func TestAttackListingWithForgedObjects(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	put := func(b []byte) [32]byte {
		d, err := f.objs.Put(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	honest := encryptAndPut(t, f, smallValues(100, 7, -10, 10))
	table, err := EncryptFrequencies(f.params, f.pk, smallValues(100, 7, -10, 10), -10, 1)
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, len(mustGet(t, f, honest[0])))
	rand.Read(noise)
	pk, err := f.pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	low := heint.NewCiphertext(f.params, 1, 1)
	lowBytes, err := low.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	listings := map[string]struct {
		columns [][][32]byte
		table   [32]byte
		want    string // "" listed, else the reason's start
	}{
		"honest":     {[][][32]byte{honest}, put(table), ""},
		"missing":    {[][][32]byte{{honest[0], {7}}}, [32]byte{}, "column a ciphertext 1 (070000000000) is not in storage"},
		"noise":      {[][][32]byte{{put(noise)}}, [32]byte{}, "column a ciphertext 0"},
		"public-key": {[][][32]byte{honest}, put(pk), "column a frequency table"},
		"low-level":  {[][][32]byte{{put(lowBytes)}}, [32]byte{}, "column a ciphertext 0"},
	}
	for id, l := range listings {
		f.chain.addListing(Task{ID: id, Columns: l.columns, ColumnNames: []string{"a"}, Tables: [][32]byte{l.table}, Inputs: make([]InputColumn, 1)})
	}
	for _, m := range f.members {
		if _, err := m.Step(ctx); err != nil {
			t.Fatalf("member step: %v", err)
		}
	}
	for id, l := range listings {
		got := f.chain.listing(id)
		switch {
		case l.want == "" && got.status != "listed":
			t.Errorf("%s: %s with verdicts %v, want listed", id, got.status, got.verdicts)
		case l.want != "" && got.status != "refused":
			t.Errorf("%s: %s with verdicts %v, want refused", id, got.status, got.verdicts)
		}
		for member, reason := range got.verdicts {
			if l.want != "" && !strings.HasPrefix(reason, l.want) {
				t.Errorf("%s: %s's reason %q, want it to start %q", id, member, reason, l.want)
			}
		}
	}
}

func mustGet(tb testing.TB, f *fixture, d [32]byte) []byte {
	tb.Helper()
	b, err := f.objs.Get(context.Background(), d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestInputProofsReachTheChecker tests the plumbing of the input-proof check with a recording
// checker double (the check itself, with real proofs, is marketplace's
// TestAttackEvaluationsNotOfStoredCiphertext): for each ciphertext of an input column, the checker
// gets the chunk's claim (ring degree, width, bounds, rows, commitment, evaluations, proof, the
// committee key's and the ciphertext's digests) and the T-scaled polynomials of exactly the stored
// ciphertext and the committee's key; a refusal becomes an invalid verdict naming the column and
// the ciphertext, and so does a proof count that is not one per ciphertext or a ciphertext above
// the input level. A column of chunk proofs is not sent to the checker.
func TestInputProofsReachTheChecker(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	n := f.params.N()
	key := f.chain.view().Keys[0]
	provable := func(values []int64, level int) ([][32]byte, [][]byte) {
		cts, err := EncryptProvable(f.params, f.pk, values, level)
		if err != nil {
			t.Fatal(err)
		}
		var ds [][32]byte
		var bs [][]byte
		for _, ct := range cts {
			d, err := f.objs.Put(ctx, ct.Ciphertext)
			if err != nil {
				t.Fatal(err)
			}
			ds, bs = append(ds, d), append(bs, ct.Ciphertext)
		}
		return ds, bs
	}
	honest, honestBytes := provable(smallValues(n+5, 3, -10, 10), InputLevel)
	forged, _ := provable(smallValues(n+5, 4, -10, 10), InputLevel)
	high, _ := provable(smallValues(5, 5, -10, 10), InputLevel+1)
	plain := encryptAndPut(t, f, smallValues(20, 6, 0, 3))
	chunk := func(j int, rows uint64) InputChunk {
		return InputChunk{Commitment: []byte{byte(j), 1}, Proof: []byte{byte(j), 2}, Evaluations: []byte{byte(j), 3}, Rows: rows}
	}
	proofs := InputColumn{Kind: ProofKindInput, Width: 5, Min: -10, Max: 10, Chunks: []InputChunk{chunk(0, uint64(n)), chunk(1, 5)}}
	short := proofs
	short.Chunks = proofs.Chunks[:1]
	listings := map[string]struct {
		columns [][][32]byte
		inputs  []InputColumn
		want    string // "" listed, else the reason's start
	}{
		"input-honest":  {[][][32]byte{honest, plain}, []InputColumn{proofs, {}}, ""},
		"input-forged":  {[][][32]byte{plain, forged}, []InputColumn{{}, proofs}, "column b ciphertext 1 (" + hex.EncodeToString(forged[1][:6]) + "): its input proof's listed evaluations do not hold"},
		"input-short":   {[][][32]byte{honest, plain}, []InputColumn{short, {}}, "column a has 2 ciphertexts and 1 input proofs"},
		"input-high-ct": {[][][32]byte{high}, []InputColumn{{Kind: ProofKindInput, Width: 5, Min: -10, Max: 10, Chunks: []InputChunk{chunk(0, 5)}}}, "column a ciphertext 0 (" + hex.EncodeToString(high[0][:6]) + "): not a ciphertext at the input level"},
	}
	checker := &recordingChecker{refuse: map[[32]byte]bool{forged[1]: true}}
	for id, l := range listings {
		names := []string{"a", "b"}[:len(l.columns)]
		f.chain.addListing(Task{ID: id, Columns: l.columns, ColumnNames: names, Tables: make([][32]byte, len(l.columns)), Inputs: l.inputs, InputKey: key})
	}
	for i, name := range f.chain.members {
		m, err := NewMember(MemberConfig{Address: name, Dir: f.dirs[i], Params: f.params, Board: f.chain.board(name), Objects: f.objs, InputChecker: checker, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Step(ctx); err != nil {
			t.Fatalf("member step: %v", err)
		}
	}
	for id, l := range listings {
		got := f.chain.listing(id)
		switch {
		case l.want == "" && got.status != "listed":
			t.Errorf("%s: %s with verdicts %v, want listed", id, got.status, got.verdicts)
		case l.want != "" && got.status != "refused":
			t.Errorf("%s: %s with verdicts %v, want refused", id, got.status, got.verdicts)
		}
		for member, reason := range got.verdicts {
			if l.want != "" && !strings.HasPrefix(reason, l.want) {
				t.Errorf("%s: %s's reason %q, want it to start %q", id, member, reason, l.want)
			}
		}
	}

	// What reached the checker for the honest listing: both chunks, with the stored bytes'
	// polynomials under the committee's key.
	want := map[[32]byte]InputClaim{}
	for j, d := range honest {
		ch := proofs.Chunks[j]
		want[d] = InputClaim{Slots: uint64(n), Width: 5, Commitment: ch.Commitment, Min: -10, Max: 10, Rows: ch.Rows, Key: key, Ciphertext: d, Evaluations: ch.Evaluations}
	}
	seen := map[[32]byte]int{}
	for _, c := range checker.calls {
		j := slices.Index(honest, c.claim.Ciphertext)
		if j < 0 {
			continue
		}
		seen[c.claim.Ciphertext]++
		if w := want[c.claim.Ciphertext]; !reflect.DeepEqual(c.claim, w) {
			t.Errorf("chunk %d: the checker got claim %+v, want %+v", j, c.claim, w)
		}
		if !bytes.Equal(c.proof, proofs.Chunks[j].Proof) {
			t.Errorf("chunk %d: the checker got proof %x, want %x", j, c.proof, proofs.Chunks[j].Proof)
		}
		if seen[c.claim.Ciphertext] > 1 {
			continue // the polynomials are compared once per chunk
		}
		wantPolys, err := ProofPolys(f.params, f.pk, honestBytes[j], InputLevel)
		if err != nil {
			t.Fatal(err)
		}
		if !samePolys(c.polys, wantPolys) {
			t.Errorf("chunk %d: the checker got polynomials that are not the stored ciphertext's under the committee key", j)
		}
	}
	for j, d := range honest {
		if seen[d] < f.chain.threshold { // the listing is listed once Threshold members attested it
			t.Errorf("chunk %d of the honest listing was checked %d times, want once per attesting member (%d)", j, seen[d], f.chain.threshold)
		}
	}
	for _, c := range checker.calls {
		if slices.Contains(plain, c.claim.Ciphertext) {
			t.Errorf("the chunk-proof column's ciphertext %s reached the input checker", hex.EncodeToString(c.claim.Ciphertext[:6]))
		}
	}
}

func samePolys(a, b []GroupPolys) bool {
	if len(a) != len(b) {
		return false
	}
	eq := func(x, y []*big.Int) bool {
		return slices.EqualFunc(x, y, func(u, v *big.Int) bool { return u.Cmp(v) == 0 })
	}
	for g := range a {
		if a[g].Group.Modulus.Cmp(b[g].Group.Modulus) != 0 || !eq(a[g].C0, b[g].C0) || !eq(a[g].C1, b[g].C1) || !eq(a[g].P0, b[g].P0) || !eq(a[g].P1, b[g].P1) {
			return false
		}
	}
	return true
}

// TestListingCheckerRetriesWhatItCannotJudge: a task the member cannot judge is an error to retry,
// never a verdict against the owner: the committee's key missing from storage, no key named, and
// proofs of a kind the member does not know.
func TestListingCheckerRetriesWhatItCannotJudge(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	cts, err := EncryptProvable(f.params, f.pk, smallValues(5, 7, -10, 10), InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.objs.Put(ctx, cts[0].Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	checker := &recordingChecker{}
	l, err := NewListingChecker(f.params, f.objs, checker)
	if err != nil {
		t.Fatal(err)
	}
	proofs := InputColumn{Kind: ProofKindInput, Width: 5, Min: -10, Max: 10, Chunks: []InputChunk{{Rows: 5}}}
	task := func(in InputColumn, key [32]byte) *Task {
		return &Task{ID: "ds", Phase: PhaseInputs, Columns: [][][32]byte{{d}}, ColumnNames: []string{"a"}, Tables: make([][32]byte, 1), Inputs: []InputColumn{in}, InputKey: key}
	}
	unknown := proofs
	unknown.Kind = "plonk"
	tests := map[string]struct {
		task  *Task
		want  string
		found bool // errors.Is(err, ErrNotFound)
	}{
		"key not in storage": {task(proofs, [32]byte{9}), "load the committee's public key", true},
		"no key":             {task(proofs, [32]byte{}), "no committee key", false},
		"unknown kind":       {task(unknown, f.chain.view().Keys[0]), `proofs of kind "plonk"`, false},
		"no proof sets":      {&Task{ID: "ds", Columns: [][][32]byte{{d}}, ColumnNames: []string{"a"}, Tables: make([][32]byte, 1)}, "0 proof sets for 1 columns", false},
	}
	for name, tt := range tests {
		reason, err := l.Check(ctx, tt.task)
		if err == nil || reason != "" {
			t.Errorf("%s: Check() = %q, %v; want no verdict and an error", name, reason, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrNotFound) != tt.found {
			t.Errorf("%s: Check() error %q, want one containing %q (not found: %v)", name, err, tt.want, tt.found)
		}
	}
	if len(checker.calls) != 0 {
		t.Errorf("the input checker was called %d times for tasks the member cannot judge", len(checker.calls))
	}
	// The same task with the committee's key is judged.
	if reason, err := l.Check(ctx, task(proofs, f.chain.view().Keys[0])); reason != "" || err != nil || len(checker.calls) != 1 {
		t.Errorf("Check() with the committee's key = %q, %v after %d checker calls; want a valid verdict after 1", reason, err, len(checker.calls))
	}
}

// TestHistogramInputsReachTheChecker tests the plumbing of a histogram input column's check with
// the recording checker double (the check itself, with real proofs, is
// TestAttackTableEvaluationsNotOfStoredTable): each chunk reaches the checker as for an input
// column with the column side of the histogram check, and the frequency table with its claim
// (Min 0, Max the dataset's rows, every slot a real row, the table's width, commitment and
// evaluations, the table side) and the polynomials of exactly the stored table under the
// committee's key. A table that is missing, has no proof or lacks part of it, is not in storage,
// or whose evaluations the checker refuses is an invalid verdict naming the column's frequency
// table.
func TestHistogramInputsReachTheChecker(t *testing.T) {
	f := sharedFixture(t, 3, 2)
	ctx := context.Background()
	n := f.params.N()
	key := f.chain.view().Keys[0]
	const holder, rows = "owner-address", 5
	put := func(values []int64) ([32]byte, []byte) {
		cts, err := EncryptProvable(f.params, f.pk, values, InputLevel)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.objs.Put(ctx, cts[0].Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		return d, cts[0].Ciphertext
	}
	column, _ := put(smallValues(rows, 8, -10, 10))
	counts := make([]int64, n)
	counts[0], counts[3] = 2, 3
	table, tableBytes := put(counts)
	refused, _ := put(counts)
	chunk := InputChunk{Commitment: []byte{1}, Proof: []byte{2}, Evaluations: []byte{3}, Rows: rows}
	proven := &InputTable{Width: 3, Max: rows, Commitment: []byte{4}, Proof: []byte{5}, Evaluations: []byte{6}}
	input := func(tb *InputTable) InputColumn {
		return InputColumn{Kind: ProofKindInputHistogram, Width: 5, Min: -10, Max: 10, Chunks: []InputChunk{chunk}, Table: tb}
	}
	noProof := *proven
	noProof.Proof = nil
	checker := &recordingChecker{refuse: map[[32]byte]bool{refused: true}}
	l, err := NewListingChecker(f.params, f.objs, checker)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		table [32]byte
		in    InputColumn
		want  string // "" valid, else the verdict's start
	}{
		"honest":       {table, input(proven), ""},
		"no table":     {[32]byte{}, input(proven), "column a frequency table: missing"},
		"no proof":     {table, input(nil), "column a frequency table: its input proof is missing"},
		"partial":      {table, input(&noProof), "column a frequency table: its input proof lacks"},
		"not stored":   {[32]byte{7}, input(proven), "column a frequency table (070000000000) is not in storage"},
		"refused":      {refused, input(proven), "column a frequency table (" + hex.EncodeToString(refused[:6]) + "): its input proof's listed evaluations do not hold for the stored table"},
		"column first": {table, InputColumn{Kind: ProofKindInputHistogram, Width: 5, Min: -10, Max: 10, Table: proven}, "column a has 1 ciphertexts and 0 input proofs"},
	}
	for name, tt := range tests {
		task := &Task{ID: name, Phase: PhaseInputs, Columns: [][][32]byte{{column}}, ColumnNames: []string{"a"}, Tables: [][32]byte{tt.table},
			Inputs: []InputColumn{tt.in}, InputKey: key, InputHolder: holder}
		reason, err := l.Check(ctx, task)
		if err != nil {
			t.Fatalf("%s: Check: %v", name, err)
		}
		switch {
		case tt.want == "" && reason != "":
			t.Errorf("%s: verdict %q, want valid", name, reason)
		case tt.want != "" && !strings.HasPrefix(reason, tt.want):
			t.Errorf("%s: verdict %q, want one starting %q", name, reason, tt.want)
		}
	}

	wantChunk := InputClaim{Slots: uint64(n), Width: 5, Commitment: chunk.Commitment, Min: -10, Max: 10, Rows: rows, Key: key, Holder: holder,
		Ciphertext: column, Evaluations: chunk.Evaluations, Histogram: HistogramColumn}
	wantTable := InputClaim{Slots: uint64(n), Width: 3, Commitment: proven.Commitment, Min: 0, Max: rows, Rows: uint64(n), Key: key, Holder: holder,
		Ciphertext: table, Evaluations: proven.Evaluations, Histogram: HistogramTable}
	wantTablePolys, err := ProofPolys(f.params, f.pk, tableBytes, InputLevel)
	if err != nil {
		t.Fatal(err)
	}
	var chunks, tables int
	for _, c := range checker.calls {
		switch c.claim.Ciphertext {
		case column:
			chunks++
			if !reflect.DeepEqual(c.claim, wantChunk) || !bytes.Equal(c.proof, chunk.Proof) {
				t.Errorf("the checker got chunk claim %+v with proof %x, want %+v with %x", c.claim, c.proof, wantChunk, chunk.Proof)
			}
		case table:
			tables++
			if !reflect.DeepEqual(c.claim, wantTable) || !bytes.Equal(c.proof, proven.Proof) {
				t.Errorf("the checker got table claim %+v with proof %x, want %+v with %x", c.claim, c.proof, wantTable, proven.Proof)
			}
			if !samePolys(c.polys, wantTablePolys) {
				t.Error("the checker got polynomials that are not the stored table's under the committee key")
			}
		}
	}
	// A listing without a proven table is refused before any proof is checked; of the others,
	// all but "column first" reach the chunk, and only "honest" reaches the stored table.
	if chunks != 3 || tables != 1 {
		t.Errorf("the checker saw the chunk %d times and the table %d times, want 3 and 1", chunks, tables)
	}
}
