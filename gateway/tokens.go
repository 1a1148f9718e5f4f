package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/marketplace"
)

// HomeToken is the name of the token that acts for every key in the home.
const HomeToken = "home"

// TokensFile is where a home's gateway tokens are kept (0600).
func TokensFile(home string) string { return filepath.Join(home, "gateway", "tokens.json") }

// tokenFile is tokens.json: token name (a key name, or "home") to token.
type tokenFile struct {
	Tokens map[string]string `json:"tokens"`
}

// tokens holds a home's tokens. A token is 32 bytes from crypto/rand, base64url; it is compared
// in constant time through its SHA-256, so neither its length nor its bytes leak by timing.
type tokens struct {
	home string

	mu     sync.RWMutex
	byName map[string]string
	hashes map[string][32]byte // name to SHA-256 of its token
}

// principal is who a request acts as: the name of its token and the keys it may sign with.
type principal struct {
	name string // a key name, or HomeToken
}

// loadTokens reads home's tokens.json, making it (0600) with a token per key and the home token
// at first start, and adding a token for every key made since. A key named "home" gets no token
// of its own: the home token acts for it, and for every other key.
func loadTokens(home string) (*tokens, error) {
	t := &tokens{home: home, byName: map[string]string{}, hashes: map[string][32]byte{}}
	path := TokensFile(home)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	default:
		var f tokenFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s is not a gateway tokens file: %w", path, err)
		}
		for name, tok := range f.Tokens {
			t.byName[name] = tok
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("%s is readable by others and cannot be made 0600: %w", path, err)
			}
		}
	}
	keys, err := marketplace.ListKeys(home)
	if err != nil {
		return nil, fmt.Errorf("list the keys in %s: %w", home, err)
	}
	changed := false
	for _, name := range append([]string{HomeToken}, keyNames(keys)...) {
		if t.byName[name] == "" {
			tok, err := newToken()
			if err != nil {
				return nil, err
			}
			t.byName[name], changed = tok, true
		}
	}
	if changed {
		if err := t.save(); err != nil {
			return nil, err
		}
	}
	for name, tok := range t.byName {
		t.hashes[name] = sha256.Sum256([]byte(tok))
	}
	return t, nil
}

func keyNames(keys []marketplace.KeyInfo) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	return names
}

func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (t *tokens) save() error {
	if err := os.MkdirAll(filepath.Dir(TokensFile(t.home)), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(tokenFile{Tokens: t.byName}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(TokensFile(t.home), append(b, '\n'), 0o600)
}

// authenticate finds the token's principal, comparing against every token in constant time.
func (t *tokens) authenticate(token string) (principal, bool) {
	h := sha256.Sum256([]byte(token))
	t.mu.RLock()
	defer t.mu.RUnlock()
	var found string
	for name, want := range t.hashes {
		if subtle.ConstantTimeCompare(h[:], want[:]) == 1 {
			found = name
		}
	}
	return principal{name: found}, found != ""
}

// Token returns the token named name (a key name, or "home") from home's tokens file, making
// the file first if the gateway never started there.
func Token(home, name string) (string, error) {
	t, err := loadTokens(home)
	if err != nil {
		return "", err
	}
	tok, ok := t.byName[name]
	if !ok {
		names := make([]string, 0, len(t.byName))
		for n := range t.byName {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", fmt.Errorf("%s has no key %q; its tokens are for %s", home, name, strings.Join(names, ", "))
	}
	return tok, nil
}

// keys are the keys p acts for: its own key, or every key in the home for the home token.
func (p principal) keys(home string) ([]marketplace.KeyInfo, error) {
	all, err := marketplace.ListKeys(home)
	if err != nil {
		return nil, err
	}
	if p.name == HomeToken {
		return all, nil
	}
	i := slices.IndexFunc(all, func(k marketplace.KeyInfo) bool { return k.Name == p.name })
	if i < 0 {
		return nil, nil // the key was removed from the home: its token acts for nothing
	}
	return all[i : i+1], nil
}

// signer resolves from (a key name or address) to the name of a key p acts for, or says why not
// (403). Nothing is read from the chain.
func (p principal) signer(home, from string) (string, error) {
	if from == "" {
		return "", invalid(`a write names its signer in "from": a key name or address`)
	}
	keys, err := p.keys(home)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.Name == from || string(k.Address) == from {
			return k.Name, nil
		}
	}
	return "", forbidden(fmt.Sprintf("the %s token does not act for %q", p.name, from))
}

// actsFor reports whether p acts for the key with address a.
func (p principal) actsFor(home string, a string) bool {
	keys, err := p.keys(home)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(keys, func(k marketplace.KeyInfo) bool { return string(k.Address) == a })
}
