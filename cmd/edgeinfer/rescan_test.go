package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// panickingTransport panics on every request: a stand-in for a bug in the
// store's client reached while the repository is listed.
type panickingTransport struct{}

func (panickingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("listing bug")
}

// A rescan whose listing panics logs the panic with its stack, once per
// attempt, and goes on (the server process stays alive); it stops when
// its context ends.
func TestRescanSurvivesPanic(t *testing.T) {
	store, err := objstore.New(objstore.Options{
		S3Endpoint: "http://127.0.0.1:9", S3PathStyle: true, S3Region: "us-east-1",
		S3AccessKeyID: "test", S3SecretAccessKey: "test", MaxAttempts: 1,
		HTTPClient: &http.Client{Transport: panickingTransport{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo, err := modelcache.NewRepository(store, "s3://models/repo/")
	if err != nil {
		t.Fatal(err)
	}
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rescan(ctx, log, repo, 5*time.Millisecond, &modelcache.ScanResult{}) }()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(buf.String(), `msg="rescan failed"`) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("no two failed rescans logged:\n%s", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	got := buf.String()
	if !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "listing bug") || !strings.Contains(got, "panic=true") || !strings.Contains(got, "stack=") {
		t.Fatalf("the panic is not logged as an error with its stack:\n%.2000s", got)
	}
}
