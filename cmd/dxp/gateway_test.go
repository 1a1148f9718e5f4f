package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/gateway"
	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/rights"
)

// TestGatewayCommand checks what `dxp gateway` decides before it serves: the tokens it prints
// (made 0600 at first use), the config file it writes, and the order config file < environment
// < flags, through the refusal of a listen address beyond loopback without TLS.
func TestGatewayCommand(t *testing.T) {
	home := t.TempDir()
	if _, err := marketplace.CreateKey(home, "owner1", []rights.Role{rights.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(mustRun(t, "gateway", "token", "--home", home, "--key", "owner1"))
	homeTok := strings.TrimSpace(mustRun(t, "gateway", "token", "--home", home))
	b, err := os.ReadFile(gateway.TokensFile(home))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Tokens map[string]string }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || tok != f.Tokens["owner1"] || homeTok != f.Tokens["home"] || tok == homeTok {
		t.Errorf("tokens %q and %q, file %v", tok, homeTok, f.Tokens)
	}
	if st, err := os.Stat(gateway.TokensFile(home)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("tokens file %v, %v; want 0600", st, err)
	}
	if _, err := run(t, "gateway", "token", "--home", home, "--key", "nobody"); err == nil || !strings.Contains(err.Error(), `no key "nobody"`) {
		t.Errorf("token for an unknown key: %v", err)
	}

	// The config file is written at first start; the environment overrides it, and flags the
	// environment. Without a devnet in home the start fails after the listen check.
	t.Setenv("DXP_GATEWAY_LISTEN", "0.0.0.0:8480")
	if _, err := run(t, "gateway", "start", "--home", home); err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("start with DXP_GATEWAY_LISTEN=0.0.0.0:8480: %v, want refused without TLS", err)
	}
	if b, err := os.ReadFile(gateway.ConfigFile(home)); err != nil || !strings.Contains(string(b), `listen = "127.0.0.1:8480"`) {
		t.Errorf("config file: %v\n%s", err, b)
	}
	if _, err := run(t, "gateway", "start", "--home", home, "--listen", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "dxp devnet start") {
		t.Errorf("start on loopback without a devnet: %v, want the home's missing config named", err)
	}
	bad := filepath.Join(t.TempDir(), "gw.toml")
	if err := os.WriteFile(bad, []byte("listne = \"127.0.0.1:1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "gateway", "start", "--home", home, "--config", bad); err == nil || !strings.Contains(err.Error(), "listne") {
		t.Errorf("a misspelt setting: %v, want it named", err)
	}
}
