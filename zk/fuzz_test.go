package zk

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the valid seeds in testdata/fuzz/FuzzVerifyChunk")

// FuzzVerifyChunk feeds VerifyChunk arbitrary keys, proofs, commitments
// and bounds: it must never panic, and every failure must wrap ErrInvalidKey
// or ErrInvalidProof. The committed corpus holds a valid statement (n = 16, w = 16)
// and mutations of it, so the fuzzer starts from well-formed encodings.
func FuzzVerifyChunk(f *testing.F) {
	f.Add([]byte{}, []byte{}, []byte{}, int64(0), int64(0))
	f.Fuzz(func(t *testing.T, vk, proof, commitment []byte, min, max int64) {
		err := VerifyChunk(vk, proof, commitment, min, max)
		if err != nil && !errors.Is(err, ErrInvalidKey) && !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("VerifyChunk = %v, want nil, ErrInvalidKey or ErrInvalidProof", err)
		}
	})
}

// TestWriteFuzzCorpus regenerates the valid seeds of FuzzVerifyChunk with
// -update-corpus. Regenerate them when the circuit changes.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite the fuzz corpus")
	}
	fx := chunkSetup(t, "fuzz")
	const min, max = -300, 40_000
	cp, err := fx.prover.Prove([]int64{-300, 0, 7, 39_999, 40_000}, min, max)
	if err != nil {
		t.Fatal(err)
	}
	p := struct {
		cp       ChunkProof
		min, max int64
	}{cp, min, max}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerifyChunk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, vk, proof, commitment []byte, min, max int64) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n[]byte(%q)\nint64(%d)\nint64(%d)\n",
			vk, proof, commitment, min, max)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := VerifyChunk(fx.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max); err != nil {
		t.Fatalf("seed does not verify: %v", err)
	}
	write("valid", fx.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max)
	write("wrong-bounds", fx.vk, p.cp.Proof, p.cp.Commitment, p.min, p.max+1)
	write("truncated-proof", fx.vk, p.cp.Proof[:100], p.cp.Commitment, p.min, p.max)
	write("truncated-vk", fx.vk[:300], p.cp.Proof, p.cp.Commitment, p.min, p.max)
	huge := append([]byte(nil), p.cp.Proof...)
	copy(huge[128:132], []byte{0xff, 0xff, 0xff, 0xff})
	write("huge-count", fx.vk, huge, p.cp.Commitment, p.min, p.max)
	write("swapped", p.cp.Proof, fx.vk, p.cp.Commitment, p.max, p.min)
}

// TestFuzzCorpusValid keeps the committed corpus meaningful: its "valid"
// seed must verify, so the fuzzer mutates a real statement. If the circuit
// changes, regenerate the corpus with -update-corpus.
func TestFuzzCorpusValid(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzVerifyChunk", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 6 || lines[0] != "go test fuzz v1" {
		t.Fatalf("unexpected corpus file:\n%s", body)
	}
	var args [3][]byte
	for i := range args {
		s, ok := strings.CutPrefix(lines[1+i], "[]byte(")
		if !ok {
			t.Fatalf("line %d = %q, want []byte(...)", 2+i, lines[1+i])
		}
		u, err := strconv.Unquote(strings.TrimSuffix(s, ")"))
		if err != nil {
			t.Fatalf("line %d: %v", 2+i, err)
		}
		args[i] = []byte(u)
	}
	var bounds [2]int64
	for i := range bounds {
		if _, err := fmt.Sscanf(lines[4+i], "int64(%d)", &bounds[i]); err != nil {
			t.Fatalf("line %d: %v", 5+i, err)
		}
	}
	if err := VerifyChunk(args[0], args[1], args[2], bounds[0], bounds[1]); err != nil {
		t.Errorf("VerifyChunk(valid seed) = %v, want nil; regenerate with -update-corpus", err)
	}
}
