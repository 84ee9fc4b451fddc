package serving

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// threadModel wraps a real model so that its runners record the thread
// counts the Server gives them (and forward them to the engine's runner).
type threadModel struct {
	Model
	mu    sync.Mutex
	sized []int // SetThreads calls
	runs  []int // the active thread count of every Run, in start order
	hook  func()
}

func (m *threadModel) NewRunner() Runner {
	r := m.Model.NewRunner()
	tr, ok := r.(threadedRunner)
	if !ok {
		panic("the engine's runner does not take thread counts")
	}
	return &threadRunner{Runner: r, t: tr, m: m}
}

type threadRunner struct {
	Runner
	t      threadedRunner
	m      *threadModel
	active int
}

func (r *threadRunner) SetThreads(n int) {
	r.m.mu.Lock()
	r.m.sized = append(r.m.sized, n)
	r.m.mu.Unlock()
	r.t.SetThreads(n)
}

func (r *threadRunner) SetActiveThreads(n int) { r.active = n; r.t.SetActiveThreads(n) }
func (r *threadRunner) Close()                 { r.t.Close() }

func (r *threadRunner) Run(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	r.m.mu.Lock()
	r.m.runs = append(r.m.runs, r.active)
	hook := r.m.hook
	r.m.mu.Unlock()
	if hook != nil {
		hook()
	}
	return r.Runner.Run(ctx, in)
}

func (m *threadModel) record() (sized, runs []int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sized), slices.Clone(m.runs)
}

// TestIntraOpThreads: a run alone on an idle server uses every intra-op
// thread; a run that starts while another is in flight uses one; with
// IntraOpThreads 1 no pool is started. Results are the same either way.
func TestIntraOpThreads(t *testing.T) {
	x := f32tensor("x", tensor.Shape{1, 3}, 1, 2, 3)
	want := linearWant([]float32{1, 2, 3})
	predict := func(t *testing.T, s *Server) {
		resp, err := s.Predict(context.Background(), &Request{Ref: Ref{Model: "m"}, Inputs: []*tensor.Tensor{x}})
		if err != nil {
			t.Error(err)
			return
		}
		if got := resp.Outputs[0].Float32s(); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	t.Run("idle", func(t *testing.T) {
		m := &threadModel{Model: buildLinear(t, false)}
		e := newEnv(t, Config{IntraOpThreads: 2}, func(s *testSource) { s.add("m", 1, m, ModelConfig{MaxConcurrency: 2}) })
		predict(t, e.srv)
		predict(t, e.srv)
		sized, runs := m.record()
		// Each worker sizes its own runner once: one or two calls of 2.
		if len(sized) == 0 || len(sized) > 2 || slices.ContainsFunc(sized, func(n int) bool { return n != 2 }) || !slices.Equal(runs, []int{2, 2}) {
			t.Fatalf("SetThreads %v, runs %v; want 2 per runner and [2 2]", sized, runs)
		}
	})
	t.Run("busy", func(t *testing.T) {
		release := make(chan struct{})
		var started atomic.Int32
		m := &threadModel{Model: buildLinear(t, false)}
		m.hook = func() {
			if started.Add(1) == 1 {
				<-release // the first run stays in flight
			}
		}
		e := newEnv(t, Config{IntraOpThreads: 2}, func(s *testSource) { s.add("m", 1, m, ModelConfig{MaxConcurrency: 2}) })
		unblock := releaseAtEnd(t, release)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); predict(t, e.srv) }()
		waitFor(t, 2*time.Second, "the first run", func() bool { return started.Load() == 1 })
		predict(t, e.srv) // starts while the first is in flight
		unblock()
		wg.Wait()
		if _, runs := m.record(); !slices.Equal(runs, []int{2, 1}) {
			t.Fatalf("runs used %v threads, want [2 1]", runs)
		}
	})
	t.Run("off", func(t *testing.T) {
		m := &threadModel{Model: buildLinear(t, false)}
		e := newEnv(t, Config{IntraOpThreads: 1}, func(s *testSource) { s.add("m", 1, m, ModelConfig{}) })
		predict(t, e.srv)
		if sized, runs := m.record(); len(sized) != 0 || !slices.Equal(runs, []int{1}) {
			t.Fatalf("SetThreads %v, runs %v; want none and [1]", sized, runs)
		}
	})
}
