package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Config configures a gateway. Its zero value, with Home set, is a gateway on DefaultListen
// with the default limits.
type Config struct {
	Home string // the DXP home whose keys the gateway acts for
	// Listen is the address `dxp gateway start` listens on; New refuses an address that is not
	// loopback unless TLSCert and TLSKey are set.
	Listen          string
	TLSCert, TLSKey string
	// MaxBody bounds a JSON request body, MaxUpload a CSV upload (bytes).
	MaxBody, MaxUpload int64
	// ComputeTimeout bounds how long the gateway waits for the committee on a computation.
	ComputeTimeout time.Duration
	// PublishWorkers is how many publish jobs run at once (each uses every core while proving).
	PublishWorkers int
	// CometBFTMetrics is the URL of the node's own Prometheus metrics (node.Config.MetricsListen,
	// `--metrics` of `dxp devnet start`), re-exposed at /metrics beside DXP's; empty: none.
	CometBFTMetrics string
	Logger          *slog.Logger // nil: discard; make it with metrics.NewLogger, which redacts secrets
}

// Defaults.
const (
	DefaultListen         = "127.0.0.1:8480"
	DefaultMaxBody        = 1 << 20
	DefaultMaxUpload      = 256 << 20
	DefaultComputeTimeout = 10 * time.Minute
)

func (c *Config) validate() error {
	if c.Home == "" {
		return errors.New("the gateway needs a home (--home)")
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.ComputeTimeout <= 0 {
		c.ComputeTimeout = DefaultComputeTimeout
	}
	if c.PublishWorkers <= 0 {
		c.PublishWorkers = 1
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS needs both a certificate and a key (--tls-cert and --tls-key)")
	}
	return checkListen(c.Listen, c.TLSCert != "")
}

// checkListen refuses an address that is not loopback when there is no TLS: tokens would cross
// the network in the clear.
func checkListen(addr string, tls bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q is not HOST:PORT", addr)
	}
	if tls || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without TLS: bearer tokens would cross the network in the clear; give --tls-cert and --tls-key, or listen on 127.0.0.1", addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// FileConfig is HOME/gateway/config.toml. Flags and DXP_GATEWAY_* variables override it
// (`dxp gateway start` maps them).
type FileConfig struct {
	Listen          string `toml:"listen"`
	TLSCert         string `toml:"tls_cert"`
	TLSKey          string `toml:"tls_key"`
	MaxBodyBytes    int64  `toml:"max_body_bytes"`
	MaxUploadBytes  int64  `toml:"max_upload_bytes"`
	ComputeTimeout  string `toml:"compute_timeout"`
	PublishWorkers  int    `toml:"publish_workers"`
	LogFormat       string `toml:"log_format"`
	LogLevel        string `toml:"log_level"`
	CometBFTMetrics string `toml:"cometbft_metrics"`
}

// ConfigFile is where a home's gateway config is.
func ConfigFile(home string) string { return filepath.Join(home, "gateway", "config.toml") }

// defaultConfigFile is written at first start, every setting at its default, with why.
const defaultConfigFile = `# DXP gateway configuration (dxp gateway start). Flags and DXP_GATEWAY_* environment
# variables override these settings (e.g. --listen or DXP_GATEWAY_LISTEN).

# Where the gateway listens. An address that is not loopback is refused unless tls_cert and
# tls_key are set: bearer tokens must not cross a network in the clear.
listen = "127.0.0.1:8480"

# A PEM certificate and key to serve HTTPS with.
tls_cert = ""
tls_key = ""

# Largest JSON request body and largest CSV upload, in bytes.
max_body_bytes = 1048576
max_upload_bytes = 268435456

# How long the gateway waits for the committee to answer a computation.
compute_timeout = "10m"

# Publish jobs run at once (each proof already uses every core).
publish_workers = 1

# Logs on stderr: "text" or "json"; level "debug", "info", "warn" or "error". Tokens, keys and
# results are redacted.
log_format = "text"
log_level = "info"

# The node's own Prometheus metrics (a node started with --metrics 127.0.0.1:26660 serves them at
# "http://127.0.0.1:26660/metrics"), re-exposed at /metrics beside DXP's. Empty: none.
cometbft_metrics = ""
`

// LoadFileConfig reads the TOML config file at path, writing it with the defaults and their
// comments first if it does not exist. An unknown setting is an error.
func LoadFileConfig(path string) (*FileConfig, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(defaultConfigFile), 0o600); err != nil {
			return nil, fmt.Errorf("write the default gateway config: %w", err)
		}
		b = []byte(defaultConfigFile)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var fc FileConfig
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			var names []string
			for _, e := range strict.Errors {
				names = append(names, strings.Join(e.Key(), "."))
			}
			return nil, fmt.Errorf("%s has settings the gateway does not know: %s", path, strings.Join(names, ", "))
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &fc, nil
}

// Apply sets cfg's fields from the file's settings that are set.
func (fc *FileConfig) Apply(cfg *Config) error {
	if fc.Listen != "" {
		cfg.Listen = fc.Listen
	}
	if fc.TLSCert != "" {
		cfg.TLSCert = fc.TLSCert
	}
	if fc.TLSKey != "" {
		cfg.TLSKey = fc.TLSKey
	}
	if fc.MaxBodyBytes != 0 {
		cfg.MaxBody = fc.MaxBodyBytes
	}
	if fc.MaxUploadBytes != 0 {
		cfg.MaxUpload = fc.MaxUploadBytes
	}
	if fc.ComputeTimeout != "" {
		d, err := time.ParseDuration(fc.ComputeTimeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("compute_timeout %q is not a positive duration such as \"10m\"", fc.ComputeTimeout)
		}
		cfg.ComputeTimeout = d
	}
	if fc.PublishWorkers != 0 {
		cfg.PublishWorkers = fc.PublishWorkers
	}
	if fc.CometBFTMetrics != "" {
		cfg.CometBFTMetrics = fc.CometBFTMetrics
	}
	return nil
}
