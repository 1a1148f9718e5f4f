package s3

import (
	"errors"
	"fmt"
	"net/url"
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
		return fmt.Errorf("storage/s3: endpoint %q must be host[:port] with no scheme, path or credentials (set Secure for https)", c.Endpoint)
	case c.Bucket == "":
		return fmt.Errorf("storage/s3: config for %s names no bucket", c.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("storage/s3: bucket name %q is not valid: %w", c.Bucket, err)
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return fmt.Errorf("storage/s3: no credentials for bucket %q at %s: both an access key and a secret key are needed", c.Bucket, c.Endpoint)
	}
	return nil
}

const urlForm = "s3://ACCESS:SECRET@HOST:PORT/BUCKET"

// ParseURL reads a bucket location of the form "s3://ACCESS:SECRET@HOST:PORT/BUCKET", with
// optional "?secure=true&region=REGION". The credentials may be left out ("s3://HOST/BUCKET")
// for the caller to fill in, from the environment for instance; Open refuses a Config without
// them. Credentials with reserved characters must be percent-encoded. Errors never repeat
// the secret key.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the whole URL, secret included; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Config{}, fmt.Errorf("storage/s3: the storage URL cannot be parsed (want %s): %w", urlForm, err)
	}
	if u.Opaque != "" {
		// "s3:AK:SECRET@host/b": the opaque part would carry the secret, so do not echo it.
		return Config{}, fmt.Errorf("storage/s3: the storage URL must have the form %s", urlForm)
	}
	where := redact(u)
	switch {
	case u.Scheme != "s3":
		return Config{}, fmt.Errorf("storage/s3: storage URL %s has scheme %q, want %s", where, u.Scheme, urlForm)
	case u.Host == "":
		return Config{}, fmt.Errorf("storage/s3: storage URL %s has no host (want %s)", where, urlForm)
	case u.Fragment != "":
		return Config{}, fmt.Errorf("storage/s3: storage URL %s has a #fragment, which means nothing here", where)
	}
	cfg := Config{Endpoint: u.Host, Bucket: strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/")}
	if cfg.Bucket == "" {
		return Config{}, fmt.Errorf("storage/s3: storage URL %s names no bucket (want %s)", where, urlForm)
	}
	if strings.Contains(cfg.Bucket, "/") {
		return Config{}, fmt.Errorf("storage/s3: storage URL %s has path %q, want just a bucket name (want %s)", where, u.Path, urlForm)
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return Config{}, fmt.Errorf("storage/s3: storage URL %s: bucket name %q is not valid: %w", where, cfg.Bucket, err)
	}
	if u.User != nil {
		secret, hasSecret := u.User.Password()
		cfg.AccessKey, cfg.SecretKey = u.User.Username(), secret
		if cfg.AccessKey == "" || !hasSecret || secret == "" {
			return Config{}, fmt.Errorf("storage/s3: storage URL %s gives only part of the credentials: use ACCESS:SECRET@ or neither", where)
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("storage/s3: storage URL %s has a malformed query: %w", where, err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("storage/s3: storage URL %s sets %q %d times", where, k, len(vs))
		}
		switch v := vs[0]; k {
		case "secure":
			if cfg.Secure, err = strconv.ParseBool(v); err != nil {
				return Config{}, fmt.Errorf("storage/s3: storage URL %s has secure=%q, want true or false", where, v)
			}
		case "region":
			if v == "" {
				return Config{}, fmt.Errorf("storage/s3: storage URL %s has an empty region", where)
			}
			cfg.Region = v
		default:
			return Config{}, fmt.Errorf("storage/s3: storage URL %s has unknown parameter %q (known: secure, region)", where, k)
		}
	}
	return cfg, nil
}

// redact returns u for an error message, with the secret key hidden.
func redact(u *url.URL) string {
	r := *u
	if _, ok := r.User.Password(); ok {
		r.User = url.UserPassword(r.User.Username(), "REDACTED")
	}
	return r.String()
}
