package serving

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// TestLabelsBesideModel: a model without metadata (the float MobileNet
// of tflite-support) gets its labels from labels.txt beside it in the
// repository. 286 "Egyptian cat" is stock TensorFlow Lite's top-1 for the
// tensor our preprocessing makes of cat.bmp (see
// preprocess.TestTop1AgainstStockTFLite).
func TestLabelsBesideModel(t *testing.T) {
	model, err := os.ReadFile(sharedFile(t, "realmodels/tflsupport__mobilenet_v1_0.25_224_float/model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := os.ReadFile(sharedFile(t, "media/imagenet_labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(sharedFile(t, "media/cat.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for path, b := range map[string][]byte{"mnf/1/model.tflite": model, "mnf/labels.txt": labels, "nolabels/1/model.tflite": model} {
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo, err := modelcache.NewRepository(store, dir)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := modelcache.New(repo, modelcache.Options[*tflite.Model]{DiskMaxBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	src, err := NewCacheSource(cache, repo)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &testEnv{srv: srv, ts: ts}
	for _, tc := range []struct {
		model, label string
	}{{"mnf", "Egyptian cat"}, {"nolabels", ""}} {
		code, _, body := e.do(t, "POST", "/v1/models/"+tc.model+":predict?top_k=2", img, map[string]string{"Content-Type": "image/bmp"})
		var resp struct{ Predictions [][]Class }
		if code != 200 || json.Unmarshal(body, &resp) != nil || len(resp.Predictions) != 1 || len(resp.Predictions[0]) != 2 {
			t.Fatalf("%s: %d %s", tc.model, code, body)
		}
		if c := resp.Predictions[0][0]; c.Index != 286 || c.Label != tc.label {
			t.Fatalf("%s: top-1 %+v, want 286 %q", tc.model, c, tc.label)
		}
	}
}
