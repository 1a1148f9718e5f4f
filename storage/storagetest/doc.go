// Package storagetest is the conformance suite for storage.Bucket drivers. Every driver's tests
// run it, so the drivers are interchangeable:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Bucket {
//			b, err := fs.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return b
//		})
//	}
//
// The suite covers round trips from empty to multi-part sizes, overwrite, Stat, List order
// and prefixes, Delete, refusal of invalid keys, missing keys, context cancellation, atomicity
// when the writer's reader fails, Move (native and generic), and the content-addressed layer:
// PutObject idempotence and concurrency, and detection of tampered and truncated objects.
package storagetest
