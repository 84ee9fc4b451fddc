package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/internal/testserver"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// `edgeinfer serve --models s3://...` against a real S3-compatible server
// on 127.0.0.1: the repository is read from the bucket and served.
func TestServeFromS3(t *testing.T) {
	s3 := testserver.StartS3(t, "models-bucket")
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", s3.Access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3.Secret)
	t.Setenv("AWS_REGION", s3.Region)
	uploadDir(t, s3, dir, "repo")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--models", "s3://" + s3.Bucket + "/repo", "--s3-endpoint", s3.Endpoint, "--s3-path-style", "--addr", "127.0.0.1:0"}, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not listen")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Post("http://"+addr+"/v1/models/linear:predict", "application/json", strings.NewReader(`{"instances": [[-1, 0, 1, 4]]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"predictions":[[-1,1,3,9]]}` {
		t.Fatalf("predict: %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// uploadDir writes every file under dir to s3://bucket/prefix/... through
// the objstore Store.
func uploadDir(t *testing.T, s3 testserver.S3, dir, prefix string) {
	t.Helper()
	store := newTestStore(t, s3)
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		w, err := store.Create(context.Background(), "s3://"+s3.Bucket+"/"+prefix+"/"+filepath.ToSlash(rel), nil)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newTestStore(t *testing.T, s3 testserver.S3) *objstore.Store {
	t.Helper()
	st, err := objstore.New(objstore.Options{S3Endpoint: s3.Endpoint, S3PathStyle: true, S3Region: s3.Region,
		S3AccessKeyID: s3.Access, S3SecretAccessKey: s3.Secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
