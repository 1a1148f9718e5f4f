package s3

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Config says where a bucket is and how to reach it.
type Config struct {
	// Endpoint is the server's host[:port], without a scheme: "127.0.0.1:9000", "s3.amazonaws.com".
	Endpoint string
	// AccessKey and SecretKey are the S3 credentials; both are required.
	AccessKey, SecretKey string
	// Bucket is created on Open if it does not exist.
	Bucket string
	// Secure selects https.
	Secure bool
	// Region is the bucket's region; empty lets the client discover it (MinIO needs none).
	Region string
	// CredentialsFile, if set, is where LoadCredentials reads AccessKey and SecretKey.
	CredentialsFile string
}

// String describes c without its secret key, so a Config can be logged or put in an error.
func (c Config) String() string {
	u := url.URL{Scheme: "s3", Host: c.Endpoint, Path: "/" + c.Bucket}
	if c.AccessKey != "" || c.SecretKey != "" {
		u.User = url.UserPassword(c.AccessKey, "REDACTED")
	}
	q := url.Values{}
	if c.Secure {
		q.Set("secure", "true")
	}
	if c.Region != "" {
		q.Set("region", c.Region)
	}
	if c.CredentialsFile != "" {
		q.Set("credentials", c.CredentialsFile)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// validate checks c in one place before anything connects. Its errors never contain the
// secret key.
func (c Config) validate() error {
	switch {
	case c.Endpoint == "":
		return errors.New("storage/s3: config has no endpoint")
	case strings.Contains(c.Endpoint, "://") || strings.ContainsAny(c.Endpoint, "/?#@"):
		// Not quoted: a misplaced credential may be in it.
		return errors.New("storage/s3: the endpoint must be host[:port] with no scheme, path or credentials (set Secure for https)")
	case c.Bucket == "":
		return fmt.Errorf("storage/s3: config for %s names no bucket", c.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("storage/s3: bucket name %q is not valid: %w", c.Bucket, err)
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return fmt.Errorf("storage/s3: no credentials for bucket %q at %s: both an access key and a secret key are needed (in %s and %s, or a credentials file)", c.Bucket, c.Endpoint, EnvAccessKey, EnvSecretKey)
	}
	return nil
}

const urlForm = "s3://HOST:PORT/BUCKET"

// ParseURL reads a bucket location of the form "s3://HOST:PORT/BUCKET", with optional
// "?secure=true", "&region=REGION" and "&credentials=/ABSOLUTE/PATH" (a credentials file, see
// LoadCredentials). The URL should carry no secret: LoadCredentials then fills the credentials
// in from the file or the environment. The older form "s3://ACCESS:SECRET@HOST:PORT/BUCKET"
// (credentials percent-encoded) is still read, but it puts the secret wherever the URL goes:
// into argv, which `ps` shows to every local user, and into config files.
//
// An error never repeats any part of s, whatever it is: a malformed URL may have its secret
// anywhere (a misplaced ":" turns it into a port, a typo into a host), and url.Parse's own
// errors quote the raw text, so they are reduced to which part is wrong.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, fmt.Errorf("storage/s3: the storage URL cannot be parsed: %s (want %s; percent-encode reserved characters)", parseProblem(err), urlForm)
	}
	switch {
	case u.Opaque != "" || u.Scheme != "s3":
		return Config{}, fmt.Errorf("storage/s3: the storage URL must have the scheme and form %s", urlForm)
	case u.Host == "":
		return Config{}, fmt.Errorf("storage/s3: the storage URL has no host (want %s)", urlForm)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return Config{}, errors.New("storage/s3: the storage URL has a #fragment, which means nothing here")
	}
	cfg := Config{Endpoint: u.Host, Bucket: strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/")}
	if cfg.Bucket == "" {
		return Config{}, fmt.Errorf("storage/s3: the storage URL names no bucket (want %s)", urlForm)
	}
	if strings.Contains(cfg.Bucket, "/") {
		return Config{}, fmt.Errorf("storage/s3: the storage URL's path must be just a bucket name (want %s)", urlForm)
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return Config{}, errors.New("storage/s3: the storage URL's bucket name is not valid: 3 to 63 lower-case letters, digits, '.' and '-'")
	}
	if u.User != nil {
		secret, hasSecret := u.User.Password()
		cfg.AccessKey, cfg.SecretKey = u.User.Username(), secret
		if cfg.AccessKey == "" || !hasSecret || secret == "" {
			return Config{}, errors.New("storage/s3: the storage URL gives only part of the credentials: use ACCESS:SECRET@ or (better) neither")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, errors.New("storage/s3: the storage URL has a malformed query")
	}
	for k, vs := range q {
		if k != "secure" && k != "region" && k != "credentials" {
			return Config{}, errors.New("storage/s3: the storage URL has an unknown parameter (known: secure, region, credentials)")
		}
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("storage/s3: the storage URL sets %s %d times", k, len(vs))
		}
		switch v := vs[0]; k {
		case "secure":
			if cfg.Secure, err = strconv.ParseBool(v); err != nil {
				return Config{}, errors.New("storage/s3: the storage URL's secure parameter must be true or false")
			}
		case "region":
			if v == "" {
				return Config{}, errors.New("storage/s3: the storage URL has an empty region")
			}
			cfg.Region = v
		case "credentials":
			if !filepath.IsAbs(v) {
				// A storage URL is copied into other homes (a committee member's), which run
				// from other directories.
				return Config{}, errors.New("storage/s3: the storage URL's credentials file path must be absolute")
			}
			cfg.CredentialsFile = v
		}
	}
	if cfg.CredentialsFile != "" && cfg.AccessKey != "" {
		return Config{}, errors.New("storage/s3: the storage URL carries credentials and also names a credentials file: give one")
	}
	return cfg, nil
}

// parseProblem says which part of a URL url.Parse refused, without any of its text: the
// error's own message quotes the input.
func parseProblem(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var esc url.EscapeError
	var host url.InvalidHostError
	switch msg := err.Error(); {
	case errors.As(err, &esc):
		return "a malformed %-escape"
	case errors.As(err, &host):
		return "a character not allowed in a host"
	case strings.Contains(msg, "control character"):
		return "a control character"
	case strings.Contains(msg, "port"):
		return "a port that is not a number (a ':' in the wrong place?)"
	case strings.Contains(msg, "userinfo"):
		return "a character not allowed before '@' (percent-encode it)"
	case strings.Contains(msg, "scheme"):
		return "a missing or malformed scheme"
	default:
		return "malformed"
	}
}
