package marketplace

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"

	"github.com/dxplabs/dxp/mpc"
	"github.com/dxplabs/dxp/rights"
)

// Key is a local identity: an ed25519 signing key, the roles it registers with, and for a buyer
// the RLWE key pair that results are re-encrypted to, made in the chain's ring when the key first
// meets a chain (withRLWEKey). It never leaves its home unencrypted.
type Key struct {
	Name    string
	Roles   []rights.Role
	Private ed25519.PrivateKey
	// RLWESecret and RLWEPublic are set for buyers once they met a chain: serialized lattigo keys.
	RLWESecret []byte
	RLWEPublic []byte
}

// Address is the key's on-chain address.
func (k *Key) Address() rights.Address {
	return rights.AddressOf(k.Private.Public().(ed25519.PublicKey))
}

// HasRole reports whether the key was created with role r.
func (k *Key) HasRole(r rights.Role) bool { return slices.Contains(k.Roles, r) }

type keyFile struct {
	Name       string         `json:"name"`
	Roles      []rights.Role  `json:"roles"`
	Address    rights.Address `json:"address"`
	Seed       []byte         `json:"ed25519_seed"`
	RLWESecret []byte         `json:"rlwe_secret_key,omitempty"`
	RLWEPublic []byte         `json:"rlwe_public_key,omitempty"`
}

var keyName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// KnownRoles are the roles `dxp keys add` accepts.
var KnownRoles = []rights.Role{rights.RoleOwner, rights.RoleBuyer, rights.RoleRegulator}

// KeyPath is where the identity named name is kept in home: home/keys/NAME.json.
func KeyPath(home, name string) string { return filepath.Join(home, "keys", name+".json") }

// ParseRoles reads a comma-separated role list such as "owner,buyer".
func ParseRoles(s string) ([]rights.Role, error) {
	var roles []rights.Role
	for _, part := range strings.Split(s, ",") {
		r := rights.Role(strings.TrimSpace(part))
		if !slices.Contains(KnownRoles, r) {
			return nil, fmt.Errorf("role %q is not one of owner, buyer, regulator", part)
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles, nil
}

// CreateKey makes a new identity named name in home/keys. A buyer's RLWE key pair is not made
// here but when the key first meets a chain (Session.Key, Session.Register), in that chain's
// ring: a key file does not know which chain it will be used on, and a pair in another ring
// could not decrypt that chain's results.
func CreateKey(home, name string, roles []rights.Role) (*Key, error) {
	if !keyName.MatchString(name) {
		return nil, fmt.Errorf("key name %q must be 1 to 32 lower-case letters, digits, '-' or '_'", name)
	}
	if len(roles) == 0 {
		return nil, errors.New("a key needs at least one role")
	}
	if _, err := os.Stat(KeyPath(home, name)); err == nil {
		return nil, fmt.Errorf("a key named %q already exists in %s", name, home)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &Key{Name: name, Roles: roles, Private: priv}
	if err := saveKey(KeyPath(home, name), k); err != nil {
		return nil, err
	}
	return k, nil
}

// rlweKeyMu serialises withRLWEKey in this process, so that two flows loading the same new buyer
// at once do not each make and save a different pair. Two processes doing so for the same home
// at the same moment are not guarded against: the key's first registration is one process's.
var rlweKeyMu sync.Mutex

// withRLWEKey makes sure the buyer key k (kept in home/keys) holds an RLWE key pair in the ring of
// params. A key without one takes the pair its key file holds by now (another flow may have made
// it), or else a new pair, saved to the key file before it is used. A pair in another ring (a key
// file copied from another chain's home) is refused: results for it could not be decrypted.
func withRLWEKey(home string, k *Key, params heint.Parameters) error {
	rlweKeyMu.Lock()
	defer rlweKeyMu.Unlock()
	if len(k.RLWEPublic) == 0 {
		saved, err := LoadKey(home, k.Name)
		if err != nil {
			return err
		}
		if saved.Address() != k.Address() {
			return fmt.Errorf("key %q in %s is not the key in use (its address changed)", k.Name, home)
		}
		k.RLWESecret, k.RLWEPublic = saved.RLWESecret, saved.RLWEPublic
	}
	if len(k.RLWEPublic) == 0 {
		sk, pk, err := mpc.NewBuyerKey(params)
		if err != nil {
			return fmt.Errorf("generate the RLWE key pair of buyer %q: %w", k.Name, err)
		}
		withPair := *k
		withPair.RLWESecret, withPair.RLWEPublic = sk, pk
		if err := saveKey(KeyPath(home, k.Name), &withPair); err != nil {
			return fmt.Errorf("save the RLWE key pair of buyer %q: %w", k.Name, err)
		}
		*k = withPair
		return nil
	}
	if len(k.RLWESecret) == 0 {
		return fmt.Errorf("buyer %q has an RLWE public key but no secret key to decrypt with", k.Name)
	}
	// A public key's serialized size is fixed by the ring degree and the moduli, so a pair made
	// under other parameters has another size.
	if want := rlwe.NewPublicKey(params).BinarySize(); len(k.RLWEPublic) != want {
		return fmt.Errorf("the RLWE key pair of buyer %q was not made for this chain's ring of %d slots; use a new key", k.Name, params.N())
	}
	return nil
}

func saveKey(path string, k *Key) error {
	b, err := json.Marshal(keyFile{Name: k.Name, Roles: k.Roles, Address: k.Address(), Seed: k.Private.Seed(),
		RLWESecret: k.RLWESecret, RLWEPublic: k.RLWEPublic})
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o600)
}

// LoadKey reads the identity named name from home/keys.
func LoadKey(home, name string) (*Key, error) {
	if !keyName.MatchString(name) {
		return nil, fmt.Errorf("key name %q must be 1 to 32 lower-case letters, digits, '-' or '_'", name)
	}
	return LoadKeyFile(KeyPath(home, name), name)
}

// LoadKeyFile reads the identity kept in the key file at path (a home's KeyPath, or a committee
// member's identity.json); name is how an error names it.
func LoadKeyFile(path, name string) (*Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no key named %q in %s (see `dxp keys list`)", name, filepath.Dir(path))
	}
	if err != nil {
		return nil, err
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil || len(f.Seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s is damaged", path)
	}
	k := &Key{Name: f.Name, Roles: f.Roles, Private: ed25519.NewKeyFromSeed(f.Seed), RLWESecret: f.RLWESecret, RLWEPublic: f.RLWEPublic}
	if k.Address() != f.Address {
		return nil, fmt.Errorf("key file %s is damaged: its address does not match its key", path)
	}
	return k, nil
}

// LoadOrCreateKeyFile reads the key file at path, or makes a new identity named name with roles
// (no RLWE key pair) and writes it there (0600). It is for the keys a development network makes
// for itself at first start: its regulator and its committee members.
func LoadOrCreateKeyFile(path, name string, roles []rights.Role) (*Key, error) {
	if _, err := os.Stat(path); err == nil {
		return LoadKeyFile(path, name)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &Key{Name: name, Roles: roles, Private: priv}
	return k, saveKey(path, k)
}

// KeyInfo is the public part of a key, for listing.
type KeyInfo struct {
	Name    string         `json:"name"`
	Address rights.Address `json:"address"`
	Roles   []rights.Role  `json:"roles"`
}

// ListKeys lists the identities in home/keys, by name.
func ListKeys(home string) ([]KeyInfo, error) {
	entries, err := os.ReadDir(filepath.Join(home, "keys"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []KeyInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !keyName.MatchString(name) {
			continue
		}
		k, err := LoadKey(home, name)
		if err != nil {
			return nil, err
		}
		out = append(out, KeyInfo{Name: k.Name, Address: k.Address(), Roles: k.Roles})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
