package modelcache

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// panickingTransport panics on every request: a stand-in for a bug in the
// store's client reached while listing.
type panickingTransport struct{}

func (panickingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("listing bug")
}

// panickingRepository is an S3 repository whose every listing panics
// inside the store (nothing is contacted).
func panickingRepository(t *testing.T) *Repository {
	t.Helper()
	store, err := objstore.New(objstore.Options{
		S3Endpoint: "http://127.0.0.1:9", S3PathStyle: true, S3Region: "us-east-1",
		S3AccessKeyID: "test", S3SecretAccessKey: "test", MaxAttempts: 1,
		HTTPClient: &http.Client{Transport: panickingTransport{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	repo, err := NewRepository(store, "s3://models/repo/")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// A panic while the repository is listed (Scan, Index: what the
// server's rescan runs) is a *PanicError carrying the stack, not the end
// of the process.
func TestScanPanicIsError(t *testing.T) {
	repo := panickingRepository(t)
	for name, scan := range map[string]func() error{
		"Scan":  func() error { _, err := repo.Scan(context.Background()); return err },
		"Index": func() error { _, err := repo.Index(context.Background()); return err },
	} {
		err := scan()
		var pe *PanicError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "listing bug") || len(pe.Stack) == 0 {
			t.Fatalf("%s = %v, want a *PanicError with the panic and its stack", name, err)
		}
	}
}
