package miniotest

import (
	"net/url"
	"strings"
)

// URLSecret is the secret key that MalformedURLs hides in storage URLs.
const URLSecret = "Zq9SECRETkey7"

// ShowsSecret reports whether s shows URLSecret: plainly, percent-encoded or in another case
// (url.Parse lower-cases a scheme).
func ShowsSecret(s string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(URLSecret)) || strings.Contains(s, url.QueryEscape(URLSecret))
}

// MalformedURLs are storage URLs that fail to parse with URLSecret in every position a user's
// mistake or an attacker's input can put it: userinfo with a bad port or character, the host,
// the port, the path, the query (name and value), a fragment, the scheme, an opaque URL,
// percent-encoding errors and control characters. The attack tests of the s3 driver, the
// marketplace and the CLI feed them in and check that no error or log shows the secret.
func MalformedURLs() []string {
	s := URLSecret
	return []string{
		"s3://AK:" + s + "/bkt",                       // "@host" forgotten: the secret is a port
		"s3://AK:" + s + "@h:9000",                    // no bucket
		"s3://AK:" + s + "@h:9000/Bad_Bucket",         // bad bucket
		"s3://AK:" + s + "@h:port/bkt",                // bad port
		"s3://AK:" + s + "@h:9000/bkt/extra",          // a path
		"s3://AK:" + s + "%zz@h:9000/bkt",             // a bad %-escape in the secret
		"s3://AK:" + s + "%4@h:9000/bkt",              // a truncated %-escape
		"s3://AK:" + s + "\x01@h:9000/bkt",            // a control character
		"s3://AK:" + s + "\n@h:9000/bkt",              // a newline
		"s3://AK:" + s + "@h:9000/bkt\x7f",            // DEL
		"s3://AK:" + s + " x@h:9000/bkt",              // a space
		"s3://AK:" + s + "[@h:9000/bkt",               // a bracket in userinfo
		"s3://" + s + "/bkt/x",                        // the secret as a host
		"s3://" + s,                                   // the secret as a host, no bucket
		"s3://[" + s + "]/bkt",                        // the secret as an IPv6 host
		"s3://h:" + s + "/bkt",                        // the secret as a port
		"s3://h:9000/" + s,                            // the secret as a bucket
		"s3://h:9000/bkt/" + s,                        // the secret in the path
		"s3://h:9000/bkt?" + s + "=1",                 // the secret as a parameter name
		"s3://h:9000/bkt?secret=" + s,                 // the secret as an unknown parameter's value
		"s3://h:9000/bkt?secure=" + s,                 // the secret as a known parameter's value
		"s3://h:9000/bkt?region=" + s + "&region=x",   // repeated
		"s3://h:9000/bkt?a=" + s + "%zz",              // a bad %-escape in the query
		"s3://h:9000/bkt?a=" + s + ";b",               // a semicolon in the query
		"s3://h:9000/bkt#" + s,                        // a fragment
		"s3://AK:" + s + "@h:9000/bkt#x",              // a fragment beside the secret
		"s3://AK@h:9000/bkt?x=" + s,                   // half the credentials
		"s3:AK:" + s + "@h/bkt",                       // opaque
		"http://AK:" + s + "@h:9000/bkt",              // another scheme
		s + "://h/bkt",                                // the secret as a scheme
		"1" + s + "://h/bkt",                          // a malformed scheme
		"s3://AK:" + s + "@h:9000/bkt?credentials=/x", // credentials twice
	}
}
