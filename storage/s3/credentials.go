package s3

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// The environment variables LoadCredentials reads. A credentials file holds the same names,
// one NAME=VALUE a line, so it can also be sourced by a shell or given to systemd as an
// EnvironmentFile.
const (
	EnvAccessKey       = "DXP_S3_ACCESS_KEY"
	EnvSecretKey       = "DXP_S3_SECRET_KEY"
	EnvCredentialsFile = "DXP_S3_CREDENTIALS_FILE"
)

// maxCredentialsFile bounds what LoadCredentials reads: a credentials file is two short lines.
const maxCredentialsFile = 64 << 10

// LoadCredentials fills in c's AccessKey and SecretKey when they are empty (a URL without
// credentials), from the first of these that is set:
//
//   - c.CredentialsFile (the URL's "credentials" parameter), else the file named by
//     DXP_S3_CREDENTIALS_FILE: lines DXP_S3_ACCESS_KEY=... and DXP_S3_SECRET_KEY=..., blank
//     lines and "#" comments allowed. The file must not be readable or writable by group or
//     others (chmod 600), or it is refused;
//   - the environment variables DXP_S3_ACCESS_KEY and DXP_S3_SECRET_KEY.
//
// Credentials already in c are kept. Nothing set is not an error here: Open refuses a Config
// without credentials. Errors never contain a secret or any line of the file.
func (c *Config) LoadCredentials() error {
	if c.AccessKey != "" || c.SecretKey != "" {
		return nil
	}
	path := c.CredentialsFile
	if path == "" {
		path = os.Getenv(EnvCredentialsFile)
	}
	if path != "" {
		ak, sk, err := readCredentialsFile(path)
		if err != nil {
			return err
		}
		c.AccessKey, c.SecretKey = ak, sk
		return nil
	}
	ak, sk := os.Getenv(EnvAccessKey), os.Getenv(EnvSecretKey)
	if (ak == "") != (sk == "") {
		return fmt.Errorf("storage/s3: only one of %s and %s is set: set both or neither", EnvAccessKey, EnvSecretKey)
	}
	c.AccessKey, c.SecretKey = ak, sk
	return nil
}

// readCredentialsFile reads a credentials file, refusing one that group or others may read.
// The mode is checked on the open file, so a swap between the check and the read cannot slip
// another file in.
func readCredentialsFile(path string) (access, secret string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("storage/s3: credentials file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("storage/s3: credentials file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", "", fmt.Errorf("storage/s3: credentials file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return "", "", fmt.Errorf("storage/s3: credentials file %s has mode %04o, so other users may read it: run chmod 600 on it", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialsFile+1))
	if err != nil {
		return "", "", fmt.Errorf("storage/s3: read credentials file %s: %w", path, err)
	}
	if len(data) > maxCredentialsFile {
		return "", "", fmt.Errorf("storage/s3: credentials file %s is larger than %d bytes", path, maxCredentialsFile)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, maxCredentialsFile+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The line is never quoted in an error: it may hold the secret.
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		name = strings.TrimSpace(name)
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		var dst *string
		switch {
		case !ok:
			return "", "", fmt.Errorf("storage/s3: credentials file %s: line %d is not NAME=VALUE", path, n)
		case name == EnvAccessKey:
			dst = &access
		case name == EnvSecretKey:
			dst = &secret
		default:
			return "", "", fmt.Errorf("storage/s3: credentials file %s: line %d sets neither %s nor %s", path, n, EnvAccessKey, EnvSecretKey)
		}
		if *dst != "" {
			return "", "", fmt.Errorf("storage/s3: credentials file %s: line %d sets %s a second time", path, n, name)
		}
		*dst = value
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("storage/s3: read credentials file %s: %w", path, err)
	}
	if access == "" || secret == "" {
		return "", "", fmt.Errorf("storage/s3: credentials file %s must set both %s and %s", path, EnvAccessKey, EnvSecretKey)
	}
	return access, secret, nil
}
