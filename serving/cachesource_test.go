package serving

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// The whole stack `edgeinfer serve` runs: the example repository on disk,
// objstore, the model cache and the Server, over a real listener.
func TestCacheSourceExampleRepository(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
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
	logs := &syncBuffer{}
	srv, err := New(Config{Source: src, Logger: newTestLogger(logs), Preload: []string{examples.Linear, examples.TinyCNN}, EnableAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &testEnv{srv: srv, ts: ts}

	if code, _, _ := e.do(t, "GET", "/v2/health/ready", nil, nil); code != 503 {
		t.Fatalf("ready before preload: %d", code)
	}
	if err := srv.Preload(context.Background()); err != nil {
		t.Fatal(err)
	}
	img := "[" + strings.TrimSuffix(strings.Repeat("1,", 64), ",") + "]"
	steps := []struct {
		name, method, path, body string
		want                     int
		substr                   string
	}{
		{name: "ready", method: "GET", path: "/v2/health/ready", want: 200},
		{name: "linear v1", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3, 4], [0, -1, 0.5, 10]]}`, want: 200,
			substr: `{"predictions":[[3,5,7,9],[1,-1,2,21]]}`},
		{name: "linear version", method: "POST", path: "/v1/models/linear/versions/1:predict", body: `{"instances": [[1, 2, 3, 4]]}`, want: 200},
		{name: "linear missing version", method: "POST", path: "/v1/models/linear/versions/2:predict", body: `{"instances": [[1, 2, 3, 4]]}`, want: 404},
		{name: "tiny_cnn v2", method: "POST", path: "/v2/models/tiny_cnn/infer",
			body: `{"id": "a", "inputs": [{"name": "image", "shape": [1, 8, 8, 1], "datatype": "INT8", "data": ` + img + `}]}`, want: 200,
			substr: `"shape":[1,3]`},
		{name: "tiny_cnn metadata", method: "GET", path: "/v2/models/tiny_cnn", want: 200, substr: `"datatype":"INT8","shape":[-1,8,8,1]`},
		{name: "status", method: "GET", path: "/v1/models/tiny_cnn", want: 200, substr: `"state":"AVAILABLE"`},
		{name: "unknown", method: "GET", path: "/v1/models/nope", want: 404},
		{name: "traversal", method: "GET", path: "/v2/models/..%2f..%2fetc", want: 400},
		{name: "index", method: "POST", path: "/v2/repository/index", want: 200, substr: `{"name":"linear","version":"1","state":"READY","reason":""}`},
		{name: "unload", method: "POST", path: "/v2/repository/models/linear/unload", want: 200},
		{name: "unloaded", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3, 4]]}`, want: 503},
		{name: "index after unload", method: "POST", path: "/v2/repository/index", want: 200, substr: `{"name":"linear","version":"1","state":"UNAVAILABLE","reason":"unloaded"}`},
		{name: "load", method: "POST", path: "/v2/repository/models/linear/load", want: 200},
		{name: "loaded", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3, 4]]}`, want: 200},
		{name: "load unknown", method: "POST", path: "/v2/repository/models/nope/load", want: 404},
		{name: "metrics", method: "GET", path: "/metrics", want: 200, substr: "edgeinfer_cache_loads_total"},
	}
	for _, st := range steps {
		code, _, body := e.do(t, st.method, st.path, []byte(st.body), nil)
		if code != st.want {
			t.Fatalf("%s: status %d, want %d: %s", st.name, code, st.want, body)
		}
		if !bytes.Contains(body, []byte(st.substr)) {
			t.Fatalf("%s: body %s lacks %s", st.name, body, st.substr)
		}
	}
	// An unknown model is a 404 that does not show where the repository
	// is; the log has the cause, with the request ID.
	for _, p := range []string{"/v2/models/nosuch", "/v1/models/nosuch/metadata", "/v2/models/nosuch/versions/7"} {
		code, hdr, body := e.do(t, "GET", p, nil, nil)
		if code != 404 || bytes.Contains(body, []byte(dir)) || !bytes.Contains(body, []byte(`nosuch`)) {
			t.Fatalf("GET %s: %d %s (repository %s)", p, code, body, dir)
		}
		if id := hdr.Get("X-Request-Id"); !strings.Contains(logs.String(), "request_id="+id) {
			t.Fatalf("no log line for request %s", id)
		}
	}
}

// Tensor renames in config.json give the public input and output names.
func TestCacheSourceRenames(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	cfg := `{"max_batch_size": 4, "inputs": {"x": "features"}, "outputs": {"y": "scores"}}`
	if err := os.WriteFile(filepath.Join(dir, examples.Linear, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
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
	l1, err := src.Get(context.Background(), Ref{Model: examples.Linear})
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Release()
	l2, err := src.Get(context.Background(), Ref{Model: examples.Linear})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Release()
	if l1.Model != l2.Model {
		t.Fatal("two Gets of one loaded model give different Models: workers would rebuild runners")
	}
	srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := srv.Predict(context.Background(), &Request{Ref: Ref{Model: examples.Linear}, Outputs: []string{"scores"},
		Inputs: []*tensor.Tensor{f32tensor("features", tensor.Shape{1, 4}, 1, 2, 3, 4)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Outputs[0]; got.Name != "scores" || !slices.Equal(got.Float32s(), []float32{3, 5, 7, 9}) {
		t.Fatalf("output %s = %v", got.Name, got.Float32s())
	}
	if _, err := srv.Predict(context.Background(), &Request{Ref: Ref{Model: examples.Linear}, Outputs: []string{"y"},
		Inputs: []*tensor.Tensor{f32tensor("features", tensor.Shape{1, 4}, 1, 2, 3, 4)}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("old output name: %v", err)
	}
}

// A broken config.json is a server fault: the model is unavailable (503,
// never 400) and every status endpoint says why; the other models serve.
func TestCacheSourceBrokenConfig(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, examples.Linear, "config.json"), []byte(`{"max_batch_size": 16,}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A model with a broken config.json and no version at all.
	if err := os.MkdirAll(filepath.Join(dir, "orphan"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orphan", "config.json"), []byte(`{"warmup": 1}`), 0o644); err != nil {
		t.Fatal(err)
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
	srv, err := New(Config{Source: src, Logger: newTestLogger(io.Discard), EnableAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Preload(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &testEnv{srv: srv, ts: ts}
	const reason = `config.json of model \"linear\": invalid JSON`
	steps := []struct {
		name, method, path, body string
		want                     int
		substr                   string
	}{
		{name: "v1 predict", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3, 4]]}`, want: 503, substr: reason},
		{name: "v2 infer", method: "POST", path: "/v2/models/linear/infer", body: `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[0,0,0,0]}]}`, want: 503, substr: reason},
		{name: "v1 status", method: "GET", path: "/v1/models/linear", want: 200, substr: `"state":"END","status":{"error_code":"UNAVAILABLE","error_message":"modelcache: ` + reason},
		{name: "v1 metadata", method: "GET", path: "/v1/models/linear/metadata", want: 503, substr: reason},
		{name: "v2 ready", method: "GET", path: "/v2/models/linear/ready", want: 503, substr: reason},
		{name: "v2 metadata", method: "GET", path: "/v2/models/linear", want: 503, substr: reason},
		{name: "index", method: "POST", path: "/v2/repository/index", want: 200, substr: `{"name":"linear","version":"1","state":"UNAVAILABLE","reason":"modelcache: ` + reason},
		{name: "index orphan", method: "POST", path: "/v2/repository/index", want: 200, substr: `{"name":"orphan","state":"UNAVAILABLE","reason":"modelcache: config.json of model \"orphan\": field \"warmup\": unknown field`},
		{name: "v1 status orphan", method: "GET", path: "/v1/models/orphan", want: 503, substr: `field \"warmup\": unknown field`},
		{name: "v2 ready orphan", method: "GET", path: "/v2/models/orphan/ready", want: 503, substr: `field \"warmup\": unknown field`},
		{name: "other model serves", method: "GET", path: "/v2/models/tiny_cnn/ready", want: 200},
		{name: "server ready", method: "GET", path: "/v2/health/ready", want: 200},
	}
	for _, st := range steps {
		code, hdr, body := e.do(t, st.method, st.path, []byte(st.body), nil)
		if code != st.want || !bytes.Contains(body, []byte(st.substr)) {
			t.Errorf("%s: status %d, body %s; want %d containing %s", st.name, code, body, st.want, st.substr)
		}
		if code == 503 && hdr.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", st.name)
		}
	}
}
