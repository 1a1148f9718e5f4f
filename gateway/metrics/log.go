package metrics

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
)

// Log formats NewLogger writes.
const (
	LogText = "text" // logfmt-like key=value lines, for a terminal
	LogJSON = "json" // one JSON object per line, for a log collector (--log-format json)
)

// Redacted replaces a secret in a log line.
const Redacted = "[REDACTED]"

// NewLogger returns the gateway's structured logger writing to w in format (LogText, or LogJSON;
// "" means LogText) at level and above. Whatever a caller logs through it, an attribute whose
// key names a secret (a token, an authorization header, a key, a password, a result, rows,
// weights) is written as [REDACTED], and so is any value carrying a bearer credential
// ("Bearer X") or a secret as key=value ("token=X", as in a query string): a request's secrets
// must not reach a log even by mistake. Middleware already logs none of them.
func NewLogger(w io.Writer, format string, level slog.Leveler) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	switch strings.ToLower(format) {
	case "", LogText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case LogJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q is neither %q nor %q", format, LogText, LogJSON)
}

// secretKeys are the words that mark an attribute's key as naming a secret; a key matches
// when one of its words (split at '_', '-', '.' and case changes) is one of them.
var secretKeys = map[string]bool{
	"token": true, "tokens": true, "authorization": true, "auth": true, "bearer": true, "cookie": true,
	"secret": true, "password": true, "passphrase": true, "private": true, "key": true, "keys": true,
	"sk": true, "seed": true, "credential": true, "credentials": true,
	"result": true, "results": true, "answer": true, "plaintext": true, "rows": true, "row": true,
	"csv": true, "weights": true, "body": true,
}

// Credentials inside a value: a bearer token ("Authorization: Bearer X" quoted in an error),
// and a secret passed as key=value (a query string, a form, a URL).
var (
	bearer     = regexp.MustCompile(`(?i)(bearer\s+)[^\s"',;]+`)
	keyedValue = regexp.MustCompile(`(?i)((?:token|access_token|key|secret|password|authorization|credentials?)=)[^&\s"',;]+`)
)

// redactValue replaces the credentials a text value carries.
func redactValue(s string) (string, bool) {
	if !bearer.MatchString(s) && !keyedValue.MatchString(s) {
		return s, false
	}
	s = bearer.ReplaceAllString(s, "${1}"+Redacted)
	return keyedValue.ReplaceAllString(s, "${1}"+Redacted), true
}

// redact is the handlers' ReplaceAttr.
func redact(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey || a.Key == slog.SourceKey) {
		return a
	}
	if secretKey(a.Key) || slices.ContainsFunc(groups, secretKey) {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s, ok := redactValue(a.Value.String()); ok {
			return slog.String(a.Key, s)
		}
	case slog.KindAny:
		// An error or a value of another type prints as text; check that text.
		if s, ok := redactValue(fmt.Sprint(a.Value.Any())); ok {
			return slog.String(a.Key, s)
		}
	}
	return a
}

func secretKey(key string) bool {
	for _, w := range keyWords(key) {
		if secretKeys[w] {
			return true
		}
	}
	return false
}

// keyWords splits an attribute key into lower-case words: "buyerSecretKey" and
// "buyer_secret_key" both give buyer, secret, key.
func keyWords(key string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, strings.ToLower(cur.String()))
			cur.Reset()
		}
	}
	for i, r := range key {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case r >= 'A' && r <= 'Z' && i > 0 && !(key[i-1] >= 'A' && key[i-1] <= 'Z'):
			flush()
			cur.WriteRune(r)
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return words
}
