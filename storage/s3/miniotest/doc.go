// Package miniotest runs a real MinIO server for tests, so the s3 driver and everything built
// on it are tested against the server users run rather than a fake.
//
//	func TestSomething(t *testing.T) {
//		cfg := miniotest.Start(t) // skips (or fails when $CI is set) without a minio binary
//		cfg.Bucket = "things"
//		b, err := s3.Open(t.Context(), cfg)
//		if err != nil {
//			t.Fatal(err)
//		}
//		...
//	}
//
// Start looks for "minio" on PATH, then in $GOBIN, $GOPATH/bin and ~/go/bin; build it with
// `go install github.com/minio/minio@latest` (about three minutes). Each call starts its own
// server (under a second) on free loopback ports with random root credentials and a data
// directory under t.TempDir; the server is killed when the test ends, and its log's tail is
// shown if the test failed. Share one server among subtests by calling Start once in the
// parent test and using a bucket per subtest.
package miniotest
