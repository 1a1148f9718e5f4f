package rights

import (
	"errors"
	"strings"
	"testing"
)

// TestRegisterCircuit drives the registry's one writer as the setup ceremony's tx will: a new
// (n, w) is added and queryable, a registered one is never replaced, and an insecure setup is
// refused off a devnet.
func TestRegisterCircuit(t *testing.T) {
	register := func(l *Ledger, c Circuit) error {
		cache := newCache(l.Store)
		x := &exec{s: cache, b: Block{Height: 2}}
		if err := x.registerCircuit(c); err != nil {
			return err
		}
		return cache.write()
	}
	code := func(err error) uint32 {
		var te *TxError
		if errors.As(err, &te) {
			return te.Code
		}
		return 0
	}

	l := &Ledger{Store: NewMemStore()}
	if err := l.InitChain(testGenesis(), Block{Height: 1}); err != nil {
		t.Fatal(err)
	}
	if err := register(l, testCircuit(testChunk, 32)); err != nil {
		t.Fatalf("registerCircuit(n4-w32) = %v", err)
	}
	again := testCircuit(testChunk, 16)
	again.VK = []byte("another vk")
	if err := register(l, again); code(err) != CodeCircuitExists {
		t.Errorf("registerCircuit(n4-w16 again) = %v, want code %d", err, CodeCircuitExists)
	}
	bad := testCircuit(testChunk, 8)
	bad.Setup = "not a digest"
	if err := register(l, bad); code(err) != CodeBadCircuit {
		t.Errorf("registerCircuit(bad setup) = %v, want code %d", err, CodeBadCircuit)
	}

	got, err := l.Circuits()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID())
	}
	if want := "n4-w16 n4-w32 n4-w64"; strings.Join(ids, " ") != want {
		t.Errorf("Circuits() = %v, want %s", ids, want)
	}
	c, err := l.Circuit("n4-w16")
	if err != nil || string(c.VK) != "vk n4 w16" {
		t.Errorf("Circuit(n4-w16) = %+v, %v, want the genesis entry unchanged", c, err)
	}
	if _, _, err := l.Query("/circuit/n4-w32"); err != nil {
		t.Errorf("query /circuit/n4-w32 = %v", err)
	}
	if _, _, err := l.Query("/circuit/n4-w8"); !errors.Is(err, ErrNotFound) {
		t.Errorf("query /circuit/n4-w8 = %v, want ErrNotFound", err)
	}

	// Off a devnet, only ceremony setups are accepted, in genesis and afterwards.
	g := prodGenesis(DefaultProofFee)
	prod := &Ledger{Store: NewMemStore()}
	if err := prod.InitChain(g, Block{Height: 1}); err != nil {
		t.Fatal(err)
	}
	if err := register(prod, testCircuit(testChunk, 32)); code(err) != CodeInsecureSetup || !strings.Contains(err.Error(), "only on a devnet") {
		t.Errorf("registerCircuit(insecure, not a devnet) = %v, want code %d naming the devnet rule", err, CodeInsecureSetup)
	}
	ceremony := testCircuit(testChunk, 32)
	ceremony.Setup = digestOf("transcript 2").String()
	if err := register(prod, ceremony); err != nil {
		t.Errorf("registerCircuit(ceremony setup) = %v", err)
	}

	// Input circuits: keyed apart from the chunk circuit of the same (n, w), their chunk size the
	// chain's slots per ciphertext; an unknown kind is refused.
	input := testInputCircuit(testSlots, 16)
	if err := register(l, input); err != nil {
		t.Fatalf("registerCircuit(input n8 w16) = %v", err)
	}
	if c, err := l.Circuit(KindCircuitID(CircuitInput, testSlots, 16)); err != nil || c.Kind != CircuitInput || string(c.VK) != "vk input n8 w16" {
		t.Errorf("Circuit(input-n8-w16) = %+v, %v, want the input circuit", c, err)
	}
	if _, _, err := l.Query("/circuit/input-n8-w16"); err != nil {
		t.Errorf("query /circuit/input-n8-w16 = %v", err)
	}
	if err := register(l, input); code(err) != CodeCircuitExists {
		t.Errorf("registerCircuit(input n8 w16 again) = %v, want code %d", err, CodeCircuitExists)
	}
	if chunk := testCircuit(testSlots, 16); register(l, chunk) != nil {
		t.Errorf("registerCircuit(chunk n8 w16 beside the input circuit) refused")
	}
	if err := register(l, testInputCircuit(testChunk, 16)); code(err) != CodeBadCircuit || !strings.Contains(err.Error(), "holds 8 values on this chain") {
		t.Errorf("registerCircuit(input circuit of chunk size 4 on 8 slots) = %v, want code %d", err, CodeBadCircuit)
	}
	odd := testCircuit(testChunk, 16)
	odd.Kind = "magic"
	if err := register(l, odd); code(err) != CodeBadCircuit || !strings.Contains(err.Error(), `kind "magic" is unknown`) {
		t.Errorf("registerCircuit(kind magic) = %v, want code %d", err, CodeBadCircuit)
	}
}
