package s3_test

import (
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/dxplabs/dxp/storage/s3"
)

func minioListVersions(key string) minio.ListObjectsOptions {
	return minio.ListObjectsOptions{Prefix: key, WithVersions: true}
}

// countVersions counts the versions and delete markers stored under exactly key.
func countVersions(t *testing.T, b *s3.Bucket, key string) int {
	t.Helper()
	var n int
	for obj := range b.Client().ListObjects(t.Context(), b.Config().Bucket, minioListVersions(key)) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		if obj.Key == key {
			n++
		}
	}
	return n
}
