package objstore_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// s3Server is a real S3-compatible server (versitygw) on 127.0.0.1.
type s3Server struct {
	Endpoint string // http://127.0.0.1:port
	Bucket   string
	Access   string
	Secret   string
}

// findVersitygw looks in ../bin (what `make tools` fills) and then $PATH.
func findVersitygw() (string, error) {
	if p, err := filepath.Abs(filepath.Join("..", "bin", "versitygw")); err == nil {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return exec.LookPath("versitygw")
}

// startS3 starts versitygw over a temporary directory with one bucket and
// stops it when the test ends. Without the binary it skips, unless
// EDGEINFER_REQUIRE_S3=1 (CI), where it fails.
func startS3(tb testing.TB) s3Server {
	tb.Helper()
	bin, err := findVersitygw()
	if err != nil {
		msg := "S3 server versitygw not found in ../bin or $PATH; run `make tools`"
		if os.Getenv("EDGEINFER_REQUIRE_S3") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	root := tb.TempDir()
	srv := s3Server{Bucket: "edgeinfer-test", Access: "testaccess", Secret: "testsecret123"}
	if err := os.Mkdir(filepath.Join(root, srv.Bucket), 0o755); err != nil {
		tb.Fatal(err)
	}
	for try := 0; ; try++ {
		addr := freeAddr(tb)
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "--access", srv.Access, "--secret", srv.Secret,
			"--region", "us-east-1", "--port", addr, "--quiet", "posix", root)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.WaitDelay = 5 * time.Second
		if err := cmd.Start(); err != nil {
			cancel()
			tb.Fatalf("start versitygw: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if waitListening(addr, exited, 15*time.Second) {
			tb.Cleanup(func() { cancel(); <-exited })
			srv.Endpoint = "http://" + addr
			return srv
		}
		cancel()
		<-exited
		if try == 2 {
			tb.Fatalf("versitygw did not start on %s: %s", addr, out.String())
		}
	}
}

func freeAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListening(addr string, exited <-chan struct{}, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
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
