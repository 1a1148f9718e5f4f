package marketplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dxplabs/dxp/internal/atomicfile"
	"github.com/dxplabs/dxp/storage"
	fsstore "github.com/dxplabs/dxp/storage/fs"
	s3store "github.com/dxplabs/dxp/storage/s3"
)

// A home directory holds everything one participant (or a whole devnet) keeps locally:
//
//	config.json          chain id, node RPC address, storage URL (0600: it may hold S3 credentials);
//	                     a localnet validator's also its P2P address and peers
//	node/                the CometBFT home of the devnet's validator, and the app state
//	storage/             the fs bucket, unless storage is S3
//	keys/NAME.json       identities (0600)
//	committee/member-K/  a devnet committee member's identity and secret key share (0700)
//	published/ID.json    an owner's secret salts of the commitments of a dataset it published (0600)
//
// The node/ and committee/ parts are written by the devnet package, which sets up and runs
// development networks.
//
// ConfigFile is the name of a home's config.json.
const ConfigFile = "config.json"

// Config is what every command reads from a home.
type Config struct {
	ChainID string `json:"chain_id"`
	RPC     string `json:"rpc"`     // e.g. tcp://127.0.0.1:26657
	Storage string `json:"storage"` // a directory (fs) or s3://HOST:PORT/BUCKET (credentials: see OpenBucket)
	// P2P and Peers are set in the home of a localnet validator: where its node meets the
	// others, and the others' "NODE_ID@127.0.0.1:PORT".
	P2P   string   `json:"p2p,omitempty"`
	Peers []string `json:"peers,omitempty"`
}

// ErrNoHome means the directory was never set up by `dxp devnet start`.
var ErrNoHome = errors.New("no DXP home here")

// LoadConfig reads home/config.json.
func LoadConfig(home string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(home, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s; run `dxp devnet start --home %s` first", ErrNoHome, home, ConfigFile, home)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", filepath.Join(home, ConfigFile), err)
	}
	return &c, nil
}

// SaveConfig writes c as home/config.json (0600: it may hold S3 credentials), atomically.
func SaveConfig(home string, c *Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(home, ConfigFile), append(b, '\n'), 0o600)
}

// writeFileAtomic writes a temp file beside path and renames it, so a crash leaves the old file
// or the new one, never a torn one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}

// OpenBucket opens storage from a home's storage setting: an s3:// URL or a directory. An S3
// URL without credentials takes them from a credentials file or the environment (see
// s3.Config.LoadCredentials). Anything that looks like a URL (it has "://" or starts with
// "s3:") is read as one, so a mistyped URL is refused rather than made into a directory whose
// name holds the secret.
func OpenBucket(ctx context.Context, where string) (storage.Bucket, error) {
	if IsStorageURL(where) {
		cfg, err := s3store.ParseURL(where)
		if err != nil {
			return nil, err
		}
		if err := cfg.LoadCredentials(); err != nil {
			return nil, err
		}
		return s3store.Open(ctx, cfg)
	}
	return fsstore.Open(where)
}

// IsStorageURL reports whether a storage setting is read as a URL rather than a directory.
func IsStorageURL(where string) bool {
	return strings.Contains(where, "://") || strings.HasPrefix(strings.ToLower(where), "s3:")
}

// RedactURL returns a storage setting fit to print or log: a directory as it is, an S3 URL
// with its secret key replaced by REDACTED, and a URL that does not parse as a placeholder,
// since its secret could be anywhere in it.
func RedactURL(where string) string {
	if !IsStorageURL(where) {
		return where
	}
	cfg, err := s3store.ParseURL(where)
	if err != nil {
		return "(a malformed s3 URL)"
	}
	return cfg.String()
}
