package serving

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// TestPreloadSurvivesBadModels: a preloaded model that panics while it
// warms (Server.warm had no recover: the server died at start-up) or fails
// to load is logged once and skipped; the server becomes ready and serves
// the others.
func TestPreloadSurvivesBadModels(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, Config{Logger: newTestLogger(logs), Preload: []string{"missing", "evil", "linear"}}, func(s *testSource) {
		s.add("evil", 1, &hookModel{Model: buildLinear(t, true), hook: func(context.Context) error {
			var none []int
			_ = none[len(none)] // index out of range
			return nil
		}}, ModelConfig{})
		s.add("linear", 1, buildLinear(t, true), ModelConfig{})
	})
	err := e.srv.Preload(context.Background())
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, errPanic) {
		t.Fatalf("Preload = %v, want the missing model's and the panic's errors", err)
	}
	if !e.srv.Ready() {
		t.Fatal("not ready after a preload with failed models")
	}
	if n := strings.Count(logs.String(), "model preload failed"); n != 2 {
		t.Fatalf("%d preload failures logged, want 2:\n%s", n, logs)
	}
	if n := strings.Count(logs.String(), "stack="); n != 1 {
		t.Fatalf("%d stacks logged, want the panic's", n)
	}
	if code, _, body := e.do(t, "POST", "/v1/models/linear:predict", []byte(`{"instances": [[1, 2, 3]]}`), nil); code != 200 {
		t.Fatalf("linear after the failed preloads: %d %s", code, body)
	}
}

// zeroSizeModel is the minimal form of ../shared/hardening/crash2.tflite:
// an input of shape [3,0] returned as the output.
func zeroSizeModel(t testing.TB) []byte {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{3, 0}, nil, nil)
	b.Inputs(x)
	b.Outputs(x)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCacheSourceHostileModelFiles runs the stack of `edgeinfer serve`
// over a repository holding the model files that killed it (crash2.tflite
// with preload set crashed the start-up; crash.tflite, read in place from
// ../shared/hardening when present, crashed the first request) next to a
// good model: the server starts, is ready, serves the good model, answers
// each bad one with an error while loading it once per backoff, and
// reports it in the index and the metrics.
func TestCacheSourceHostileModelFiles(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{"zerosize": zeroSizeModel(t)}
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "hardening", "crash.tflite")); err == nil {
		bad["crash"] = b
	} else if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
		t.Fatalf("hardening data required but absent: %v", err)
	}
	for name, data := range bad {
		if err := os.MkdirAll(filepath.Join(dir, name, "1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "1", "model.tflite"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "config.json"), []byte(`{"preload": true}`), 0o644); err != nil {
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
	cache, err := modelcache.New(repo, modelcache.Options[*tflite.Model]{DiskMaxBytes: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	src, err := NewCacheSource(cache, repo)
	if err != nil {
		t.Fatal(err)
	}
	preload := []string{examples.Linear}
	for name := range bad {
		preload = append(preload, name)
	}
	e := newEnvWith(t, Config{Source: src, Preload: preload, EnableAdmin: true})
	if err := e.srv.Preload(context.Background()); err == nil {
		t.Fatal("Preload of the bad models succeeded")
	}
	if code, _, _ := e.do(t, "GET", "/v2/health/ready", nil, nil); code != 200 {
		t.Fatalf("ready: %d", code)
	}
	if code, _, body := e.do(t, "POST", "/v1/models/linear:predict", []byte(`{"instances": [[1, 2, 3, 4]]}`), nil); code != 200 {
		t.Fatalf("linear: %d %s", code, body)
	}
	loadErrors := cache.Stats().LoadErrors
	for name := range bad {
		for range 3 {
			code, _, body := e.do(t, "POST", "/v2/models/"+name+"/infer", []byte(`{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}`), nil)
			if code < 400 || strings.Contains(string(body), "goroutine") {
				t.Fatalf("%s: %d %s", name, code, body)
			}
		}
	}
	if got := cache.Stats().LoadErrors; got != loadErrors {
		t.Fatalf("requests within the backoff loaded the bad models again: %d -> %d load errors", loadErrors, got)
	}
	code, _, body := e.do(t, "POST", "/v2/repository/index", []byte(`{}`), nil)
	if code != 200 {
		t.Fatalf("index: %d %s", code, body)
	}
	for name, want := range map[string]string{"zerosize": "does not support", "crash": "invalid model file"} {
		if _, ok := bad[name]; ok && !strings.Contains(string(body), want) {
			t.Fatalf("index does not report %s as %q: %s", name, want, body)
		}
	}
	if strings.Contains(string(body), dir) {
		t.Fatalf("index reveals the repository path: %s", body)
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_cache_failing_versions", nil); int(v) != len(bad) {
		t.Fatalf("edgeinfer_cache_failing_versions = %v, want %d", v, len(bad))
	}
}

// newEnvWith is newEnv over cfg.Source (a real source), logging nowhere
// unless cfg.Logger is set.
func newEnvWith(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv) // httptest listens on 127.0.0.1
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return &testEnv{srv: srv, ts: ts}
}

// newRunnerPanics is a model whose NewRunner panics: code a worker runs
// outside the engine run.
type newRunnerPanics struct{ Model }

func (newRunnerPanics) NewRunner() Runner { panic("runner setup failed") }

func (m newRunnerPanics) WithBatch(n int) (Model, error) {
	b, err := m.Model.WithBatch(n)
	if err != nil {
		return nil, err
	}
	return newRunnerPanics{b}, nil
}

// TestWorkerPanicIsRequestError: a panic in a model's worker goroutine
// outside the engine run (creating the runner) answers the request with an
// error instead of ending the process, and the worker serves on.
func TestWorkerPanicIsRequestError(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, Config{Logger: newTestLogger(logs)}, func(s *testSource) {
		s.add("bad", 1, newRunnerPanics{buildLinear(t, true)}, ModelConfig{MaxConcurrency: 1})
		s.add("linear", 1, buildLinear(t, true), ModelConfig{})
	})
	for range 3 { // the same worker goroutine each time
		if code, _, body := e.do(t, "POST", "/v1/models/bad:predict", []byte(`{"instances": [[1, 2, 3]]}`), nil); code != 500 || strings.Contains(string(body), "runner setup failed") {
			t.Fatalf("bad: %d %s", code, body)
		}
	}
	if n := strings.Count(logs.String(), "worker panic"); n != 3 {
		t.Fatalf("%d worker panics logged, want 3", n)
	}
	if code, _, body := e.do(t, "POST", "/v1/models/linear:predict", []byte(`{"instances": [[1, 2, 3]]}`), nil); code != 200 {
		t.Fatalf("linear: %d %s", code, body)
	}
}
