package objstore_test

import (
	"fmt"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/testserver"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// s3Server is a real S3-compatible server (versitygw) on 127.0.0.1.
type s3Server struct {
	Endpoint string // http://127.0.0.1:port
	Bucket   string
	Access   string
	Secret   string
}

// startS3 starts a real S3-compatible server (versitygw) with one bucket
// for the life of the test; see testserver.StartS3 for skip/fail rules.
func startS3(tb testing.TB) s3Server {
	tb.Helper()
	s := testserver.StartS3(tb, "edgeinfer-test")
	return s3Server{Endpoint: s.Endpoint, Bucket: s.Bucket, Access: s.Access, Secret: s.Secret}
}

// options returns Store options that reach srv (endpoint may be a proxy in
// front of it).
func (srv s3Server) options(endpoint string) objstore.Options {
	if endpoint == "" {
		endpoint = srv.Endpoint
	}
	return objstore.Options{
		S3Endpoint:        endpoint,
		S3PathStyle:       true,
		S3Region:          "us-east-1",
		S3AccessKeyID:     srv.Access,
		S3SecretAccessKey: srv.Secret,
	}
}

func (srv s3Server) url(key string) string { return fmt.Sprintf("s3://%s/%s", srv.Bucket, key) }
