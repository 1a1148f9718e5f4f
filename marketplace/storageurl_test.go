package marketplace_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dxplabs/dxp/marketplace"
	"github.com/dxplabs/dxp/storage/s3/miniotest"
)

// TestAttackSecretInMalformedStorageURL: a home's storage setting that fails to parse must not
// show its secret through OpenBucket's error or through RedactURL, which every "open storage
// %s" error and the devnet's log lines print. RedactURL used to return an unparsable URL
// whole, and a mistyped scheme ("s3:/") made a directory named after the secret.
func TestAttackSecretInMalformedStorageURL(t *testing.T) {
	urls := append(miniotest.MalformedURLs(),
		"s3:/AK:"+miniotest.URLSecret+"@h:9000/bkt",  // one slash
		"S3://AK:"+miniotest.URLSecret+"@h:9000/bkt", // upper case
		"ftp://AK:"+miniotest.URLSecret+"@h/bkt")
	for _, u := range urls {
		if r := marketplace.RedactURL(u); miniotest.ShowsSecret(r) {
			t.Errorf("RedactURL(%q) = %q shows the secret", u, r)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // nothing may be dialled
		b, err := marketplace.OpenBucket(ctx, u)
		if err == nil {
			t.Errorf("OpenBucket(%q) opened %T, want an error", u, b)
			continue
		}
		if msg := err.Error(); miniotest.ShowsSecret(msg) || strings.Contains(msg, "\n") {
			t.Errorf("OpenBucket(%q) = %q shows the secret or spans lines", u, msg)
		}
	}
	const good = "s3://AK:" + miniotest.URLSecret + "@h:9000/bkt"
	if r := marketplace.RedactURL(good); miniotest.ShowsSecret(r) || !strings.Contains(r, "h:9000/bkt") {
		t.Errorf("RedactURL(%q) = %q, want the location without the secret", good, r)
	}
}
