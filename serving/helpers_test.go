package serving

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// testSource is a ModelSource over models loaded in memory. It stands in
// for the model cache so that these tests exercise serving alone; the
// models themselves are real TFLite files run by the real engine.
type testSource struct {
	mu       sync.Mutex
	models   map[string]*testEntry // guarded by mu
	pins     atomic.Int64
	gets     atomic.Uint64
	unloaded map[string]bool // guarded by mu
}

type testEntry struct {
	version int64
	model   Model
	cfg     ModelConfig
}

func newTestSource() *testSource {
	return &testSource{models: map[string]*testEntry{}, unloaded: map[string]bool{}}
}

func (s *testSource) add(name string, version int64, m Model, cfg ModelConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models[name] = &testEntry{version: version, model: m, cfg: cfg}
}

func (s *testSource) Get(ctx context.Context, ref Ref) (*Loaded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.gets.Add(1)
	s.mu.Lock()
	e, ok := s.models[ref.Model]
	gone := s.unloaded[ref.Model]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: model %q", ErrNotFound, ref.Model)
	}
	if gone {
		return nil, fmt.Errorf("%w: model %q is unloaded", ErrUnavailable, ref.Model)
	}
	if ref.Label != "" {
		v, ok := e.cfg.Labels[ref.Label]
		if !ok {
			return nil, fmt.Errorf("%w: label %q", ErrNotFound, ref.Label)
		}
		ref.Version = v
	}
	if ref.Version != 0 && ref.Version != e.version {
		return nil, fmt.Errorf("%w: %s version %d", ErrNotFound, ref.Model, ref.Version)
	}
	s.pins.Add(1)
	var once sync.Once
	return &Loaded{Name: ref.Model, Version: e.version, Model: e.model, Config: e.cfg,
		Release: func() { once.Do(func() { s.pins.Add(-1) }) }}, nil
}

func (s *testSource) Index(ctx context.Context) ([]ModelStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ModelStatus
	for name, e := range s.models {
		st := "READY"
		if s.unloaded[name] {
			st = "UNAVAILABLE"
		}
		out = append(out, ModelStatus{Name: name, Config: e.cfg, Versions: []VersionStatus{{Version: e.version, State: st}}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *testSource) Load(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.models[name]; !ok {
		return fmt.Errorf("%w: model %q", ErrNotFound, name)
	}
	delete(s.unloaded, name)
	return nil
}

func (s *testSource) Unload(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.models[name]; !ok {
		return fmt.Errorf("%w: model %q", ErrNotFound, name)
	}
	s.unloaded[name] = true
	return nil
}

func (s *testSource) Stats() CacheStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return CacheStats{Hits: s.gets.Load(), Models: int64(len(s.models))}
}

// hookModel wraps a real model so that every Run first calls hook: the
// injected slow or stuck runner of the deadline, overload and watchdog
// tests.
type hookModel struct {
	Model
	hook func(ctx context.Context) error
	op   string // what CurrentOp reports while the hook runs
}

func (h *hookModel) WithBatch(n int) (Model, error) {
	m, err := h.Model.WithBatch(n)
	if err != nil {
		return nil, err
	}
	return &hookModel{Model: m, hook: h.hook, op: h.op}, nil
}

func (h *hookModel) NewRunner() Runner { return &hookRunner{r: h.Model.NewRunner(), h: h} }

type hookRunner struct {
	r      Runner
	h      *hookModel
	inHook atomic.Bool
}

func (r *hookRunner) Run(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	r.inHook.Store(true)
	err := r.h.hook(ctx)
	r.inHook.Store(false)
	if err != nil {
		return nil, err
	}
	return r.r.Run(ctx, in)
}

func (r *hookRunner) CurrentOp() (int, string) {
	if r.inHook.Load() {
		return 7, r.h.op
	}
	return r.r.CurrentOp()
}

// buildLinear returns y = W·x + b with W = [[1,2,3],[-1,0.5,0]], b = [10,-10]
// as a FULLY_CONNECTED model; dynamic batch when dyn.
func buildLinear(t testing.TB, dyn bool) Model {
	t.Helper()
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 3}, nil, nil)
	w := b.Const("w", []int{2, 3}, nil, []float32{1, 2, 3, -1, 0.5, 0})
	bias := b.Const("b", []int{2}, nil, []float32{10, -10})
	y := b.Tensor("y", tensor.Float32, []int{1, 2}, nil, nil)
	if dyn {
		b.ShapeSignature(x, []int{-1, 3})
		b.ShapeSignature(y, []int{-1, 2})
	}
	b.Op("FULLY_CONNECTED", []int{x, w, bias}, []int{y}, &op.FullyConnectedOptions{})
	b.Inputs(x)
	b.Outputs(y)
	return loadBuilt(t, b)
}

// linearWant computes the linear model by hand.
func linearWant(x []float32) []float32 {
	var out []float32
	for i := 0; i+3 <= len(x); i += 3 {
		out = append(out, x[i]+2*x[i+1]+3*x[i+2]+10, -x[i]+0.5*x[i+1]-10)
	}
	return out
}

// buildPair returns a two-input, two-output model: cat = concat(a, b) along
// axis 1 ([-1,4]) and sum = a·[1,1] ([-1,1]).
func buildPair(t testing.TB) Model {
	t.Helper()
	b := tflitebuild.New()
	a := b.Tensor("a", tensor.Float32, []int{1, 2}, nil, nil)
	bb := b.Tensor("b", tensor.Float32, []int{1, 2}, nil, nil)
	cat := b.Tensor("cat", tensor.Float32, []int{1, 4}, nil, nil)
	w := b.Const("w", []int{1, 2}, nil, []float32{1, 1})
	bias := b.Const("bias", []int{1}, nil, []float32{0})
	sum := b.Tensor("sum", tensor.Float32, []int{1, 1}, nil, nil)
	b.ShapeSignature(a, []int{-1, 2})
	b.ShapeSignature(bb, []int{-1, 2})
	b.ShapeSignature(cat, []int{-1, 4})
	b.ShapeSignature(sum, []int{-1, 1})
	b.Op("CONCATENATION", []int{a, bb}, []int{cat}, &op.ConcatenationOptions{Axis: 1})
	b.Op("FULLY_CONNECTED", []int{a, w, bias}, []int{sum}, &op.FullyConnectedOptions{})
	b.Inputs(a, bb)
	b.Outputs(cat, sum)
	return loadBuilt(t, b)
}

func loadBuilt(t testing.TB, b *tflitebuild.Builder) Model {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return FromTFLite(m)
}

// conformanceModel loads a model of ../shared/conformance in place, or
// skips the test when the directory is absent.
func conformanceModel(t testing.TB, rel string) Model {
	t.Helper()
	dir, _ := os.Getwd()
	for range 6 {
		p := filepath.Join(dir, "shared", "conformance", rel)
		if _, err := os.Stat(p); err == nil {
			m, err := tflite.LoadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return FromTFLite(m)
		}
		dir = filepath.Dir(dir)
	}
	t.Skipf("shared/conformance/%s not found", rel)
	return nil
}

// testEnv is a Server over a testSource behind a real listener on
// 127.0.0.1.
type testEnv struct {
	src *testSource
	srv *Server
	ts  *httptest.Server
}

func newEnv(t testing.TB, cfg Config, setup func(*testSource)) *testEnv {
	t.Helper()
	src := newTestSource()
	if setup != nil {
		setup(src)
	}
	cfg.Source = src
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Start() // httptest listens on 127.0.0.1
	if !strings.HasPrefix(ts.Listener.Addr().String(), "127.0.0.1:") {
		t.Fatalf("test server listens on %s", ts.Listener.Addr())
	}
	e := &testEnv{src: src, srv: srv, ts: ts}
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return e
}

// do sends a request and returns status, headers and body.
func (e *testEnv) do(t testing.TB, method, path string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// metricValue returns the sum of a counter or gauge over label sets
// matching labels, or of a histogram's sample count (and sum).
func metricValue(t testing.TB, s *Server, name string, labels map[string]string) (value, sum float64) {
	t.Helper()
	mfs, err := s.met.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				value += m.Counter.GetValue()
			case m.Gauge != nil:
				value += m.Gauge.GetValue()
			case m.Histogram != nil:
				value += float64(m.Histogram.GetSampleCount())
				sum += m.Histogram.GetSampleSum()
			}
		}
	}
	return value, sum
}

// waitFor polls cond every millisecond for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// queueLen returns the number of requests waiting in a model's queue.
func queueLen(s *Server, name string, version int64) int {
	s.mu.Lock()
	q := s.queues[queueKey{name, version}]
	s.mu.Unlock()
	if q == nil {
		return 0
	}
	return len(q.ch)
}

// releaseAtEnd returns a function that closes ch (which hooks block on)
// once, and registers it to run when the test ends. Call it after newEnv:
// cleanups run last registered first, so ch is closed before the env's
// Close waits for the runs it holds, and a test that fails while a run
// waits on ch ends instead of hanging.
func releaseAtEnd(t testing.TB, ch chan struct{}) func() {
	release := sync.OnceFunc(func() { close(ch) })
	t.Cleanup(release)
	return release
}
