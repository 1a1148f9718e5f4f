package rights

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// InsecureDevnetSetup is the Circuit.Setup of a development (single-party) proving key setup. It
// is accepted only on a chain whose genesis says Devnet.
const InsecureDevnetSetup = "insecure-devnet"

// SecureSlots is the ring degree, and so the SlotsPerCiphertext, of the committee's parameters at
// their secure size: mpc.SecureSlots (N = 2^14), restated here because rights imports no mpc. A
// smaller ring (mpc.NewParamsFor) is insecure and only a devnet may have it.
const SecureSlots = 16384

// maxChainIDLen is CometBFT's limit.
const maxChainIDLen = 50

// Validate reports the first thing wrong with g, or nil.
func (g *Genesis) Validate() error {
	if g.ChainID == "" || len(g.ChainID) > maxChainIDLen {
		return fmt.Errorf("rights: genesis: chain id must be 1 to %d bytes, got %d", maxChainIDLen, len(g.ChainID))
	}
	seen := map[Address]bool{}
	for _, r := range g.Regulators {
		if !validAddress(r) {
			return fmt.Errorf("rights: genesis: regulator %q is not an address (40 lower-case hex digits)", r)
		}
		if seen[r] {
			return fmt.Errorf("rights: genesis: regulator %s is listed twice", r)
		}
		seen[r] = true
	}
	if err := g.Committee.validate(); err != nil {
		return fmt.Errorf("rights: genesis: committee: %w", err)
	}
	if err := g.Params.validate(); err != nil {
		return fmt.Errorf("rights: genesis: params: %w", err)
	}
	switch g.Admission {
	case "", AdmissionRegulator:
	case AdmissionOpen:
		if !g.Devnet {
			return errors.New("rights: genesis: open admission (anyone registers itself as owner or buyer and is credited) is only for a devnet")
		}
	default:
		return fmt.Errorf("rights: genesis: admission rule %q is unknown (want %q or %q)", g.Admission, AdmissionOpen, AdmissionRegulator)
	}
	if len(g.Circuits) == 0 {
		return errors.New("rights: genesis: no proving circuit is registered, so no dataset could be listed")
	}
	if !g.Devnet && !g.Params.InputProofs {
		return errors.New("rights: genesis: params: input proofs are off, which only a devnet may have (nothing would tie a column's ciphertexts to its committed values)")
	}
	if !g.Devnet && g.Params.SlotsPerCiphertext != SecureSlots {
		return fmt.Errorf("rights: genesis: params: %d slots per ciphertext is a ring below the secure size, which only a devnet may have; want %d", g.Params.SlotsPerCiphertext, SecureSlots)
	}
	ids := map[string]bool{}
	inputCircuits := 0
	for i := range g.Circuits {
		c := &g.Circuits[i]
		if err := checkCircuit(c, g.Devnet, g.Params.SlotsPerCiphertext); err != nil {
			return fmt.Errorf("rights: genesis: %w", err)
		}
		if ids[c.ID()] {
			return fmt.Errorf("rights: genesis: circuit %s is listed twice", c.ID())
		}
		ids[c.ID()] = true
		if c.Kind == CircuitInput || c.Kind == CircuitInputHistogram { // a column's kinds; a table's circuit proves no column
			inputCircuits++
		}
	}
	if g.Params.InputProofs && inputCircuits == 0 {
		return errors.New("rights: genesis: input proofs are required but no input circuit is registered, so no dataset could be listed")
	}
	if !g.Devnet && g.Params.ProofFee == 0 {
		return fmt.Errorf("rights: genesis: params: proof fee is 0, which only a devnet may have (listings would make every validator verify proofs for free); the default is %d", DefaultProofFee)
	}
	return nil
}

func (c *Committee) validate() error {
	n := len(c.Members)
	if n == 0 {
		return errors.New("it has no members")
	}
	if c.Threshold < 1 || int(c.Threshold) > n {
		return fmt.Errorf("threshold %d is outside 1..%d (the number of members)", c.Threshold, n)
	}
	seen := map[Address]bool{}
	for i, m := range c.Members {
		if len(m.PubKey) != ed25519.PublicKeySize {
			return fmt.Errorf("member %d: public key is %d bytes, want %d", i, len(m.PubKey), ed25519.PublicKeySize)
		}
		if want := AddressOf(m.PubKey); m.Address != want {
			return fmt.Errorf("member %d: address %q is not the address of its public key (%s)", i, m.Address, want)
		}
		if seen[m.Address] {
			return fmt.Errorf("member %s is listed twice", m.Address)
		}
		seen[m.Address] = true
	}
	if len(c.Shares) != 0 {
		return errors.New("genesis cannot carry ceremony shares")
	}
	if c.Ready != (len(c.Keys) > 0) {
		return errors.New("a committee is ready exactly when it has keys")
	}
	for i, k := range c.Keys {
		if k.IsZero() {
			return fmt.Errorf("key %d is the zero digest", i)
		}
	}
	return nil
}

func (p *Params) validate() error {
	switch {
	case p.ComputationDeadline < 1:
		return fmt.Errorf("computation deadline %d must be at least 1 block", p.ComputationDeadline)
	case p.DisputeWindow < 0:
		return fmt.Errorf("dispute window %d must not be negative", p.DisputeWindow)
	case p.PlaintextModulus < 2:
		return fmt.Errorf("plaintext modulus %d must be at least 2", p.PlaintextModulus)
	case p.SlotsPerCiphertext < 1:
		return errors.New("slots per ciphertext must be at least 1")
	case p.MaxGrantDatasets < 1:
		return errors.New("max grant datasets must be at least 1")
	case p.ProductNoiseBudget < 1:
		return errors.New("product noise budget must be at least 1 (mpc.ProductNoiseBudget derives it from the ring)")
	}
	return nil
}

// AdmissionRule is the admission rule in force: g.Admission, or when it is empty AdmissionOpen
// on a devnet and AdmissionRegulator otherwise.
func (g *Genesis) AdmissionRule() string {
	switch {
	case g.Admission != "":
		return g.Admission
	case g.Devnet:
		return AdmissionOpen
	}
	return AdmissionRegulator
}

// regulatorsOf is genesis' regulator list as stored: never nil, so it encodes as a list.
func regulatorsOf(g Genesis) []Address {
	if g.Regulators == nil {
		return []Address{}
	}
	return g.Regulators
}

func validAddress(a Address) bool {
	if len(a) != 40 {
		return false
	}
	for _, c := range []byte(a) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// InitChain writes the genesis state at height b.Height (the chain's initial height): genesis,
// params, committee and circuit registry, and a member Party with the opening credit for every committee member.
func (l *Ledger) InitChain(gen Genesis, b Block) error {
	if err := gen.Validate(); err != nil {
		return &TxError{Code: CodeBadGenesis, Log: err.Error()}
	}
	old, err := l.Store.Get(keyGenesis)
	if err != nil {
		return fmt.Errorf("rights: init chain: %w", err)
	}
	if old != nil {
		return refuse(CodeBadGenesis, "the chain already has a genesis")
	}
	cache := newCache(l.Store)
	x := &exec{s: cache, b: b, gen: &gen}
	for _, k := range []struct {
		key []byte
		v   any
	}{{keyGenesis, &gen}, {keyParams, &gen.Params}, {keyCommittee, &gen.Committee}, {keyRegulators, regulatorsOf(gen)}} {
		if err := save(cache, k.key, k.v); err != nil {
			return fmt.Errorf("rights: init chain: %w", err)
		}
	}
	for _, c := range gen.Circuits {
		if err := x.registerCircuit(c); err != nil {
			return fmt.Errorf("rights: init chain: %w", err)
		}
	}
	for _, m := range gen.Committee.Members {
		p := &Party{
			Address:    m.Address,
			PubKey:     m.PubKey,
			Roles:      []Role{RoleMember},
			Balance:    gen.Params.OpeningCredit,
			Credited:   gen.Params.OpeningCredit,
			Registered: b.Height,
		}
		if err := x.putParty(p); err != nil {
			return fmt.Errorf("rights: init chain: %w", err)
		}
	}
	if err := cache.write(); err != nil {
		return fmt.Errorf("rights: init chain: %w", err)
	}
	return nil
}
