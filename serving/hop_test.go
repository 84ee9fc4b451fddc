package serving

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// TestJobReuse: requests reuse the job (and its answer channel) of
// requests answered before them, while others give up at their deadline
// and leave theirs to be answered late. Every answer must be the
// requester's own: concurrent callers with distinct inputs, some with a
// deadline shorter than the queue wait, batching off and on, and a run
// that fails now and then.
func TestJobReuse(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  ModelConfig
	}{
		{"unbatched", ModelConfig{MaxConcurrency: 2, MaxQueue: 256}},
		{"batched", ModelConfig{MaxConcurrency: 2, MaxQueue: 256, MaxBatchSize: 8, BatchDelay: time.Millisecond}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var runs atomic.Int64
			m := &hookModel{Model: buildLinear(t, true), hook: func(ctx context.Context) error {
				n := runs.Add(1)
				time.Sleep(100 * time.Microsecond) // long enough for queues to form
				if n%17 == 0 {
					return errors.New("kernel failed")
				}
				return nil
			}}
			e := newEnv(t, Config{}, func(s *testSource) { s.add("m", 1, m, c.cfg) })
			var ok, late, failed atomic.Int64
			var wg sync.WaitGroup
			for g := range 16 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(g), 7))
					for k := range 40 {
						x := []float32{float32(g), float32(k), float32(rng.IntN(100))}
						timeout := time.Second
						if rng.IntN(4) == 0 {
							timeout = time.Duration(1+rng.IntN(300)) * time.Microsecond
						}
						resp, err := e.srv.Predict(context.Background(), &Request{
							Ref: Ref{Model: "m"}, Inputs: []*tensor.Tensor{f32tensor("x", tensor.Shape{1, 3}, x...)}, Timeout: timeout})
						switch {
						case err == nil:
							if got, want := resp.Outputs[0].Float32s(), linearWant(x); !slices.Equal(got, want) {
								t.Errorf("input %v: got %v, want %v", x, got, want)
								return
							}
							ok.Add(1)
						case errors.Is(err, context.DeadlineExceeded):
							late.Add(1)
						case errors.Is(err, ErrOverloaded):
							t.Errorf("shed with room in the queue: %v", err)
							return
						case strings.Contains(err.Error(), "kernel failed"):
							failed.Add(1) // the injected failure
						default:
							t.Errorf("input %v: %v", x, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if ok.Load() == 0 {
				t.Fatalf("no request answered: %d late, %d failed", late.Load(), failed.Load())
			}
			t.Logf("%d answered, %d past their deadline, %d failed runs", ok.Load(), late.Load(), failed.Load())
		})
	}
}

// TestIdleWorkerReleasesRunners: a worker that holds a model's runners
// and gets no work for Config.idleRelease lets go of them (closing their
// intra-op threads), and a later request gets new ones.
func TestIdleWorkerReleasesRunners(t *testing.T) {
	m := &closeModel{Model: buildLinear(t, true)}
	e := newEnv(t, Config{idleRelease: 50 * time.Millisecond, StallMargin: 20 * time.Millisecond, IntraOpThreads: 2},
		func(s *testSource) { s.add("m", 1, m, ModelConfig{MaxConcurrency: 1}) })
	x := f32tensor("x", tensor.Shape{1, 3}, 1, 2, 3)
	for i := range 2 {
		if _, err := e.srv.Predict(context.Background(), &Request{Ref: Ref{Model: "m"}, Inputs: []*tensor.Tensor{x}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, fmt.Sprintf("runner %d to be closed", i+1), func() bool { return m.closed.Load() == int64(i+1) })
	}
	if n := m.created.Load(); n != 2 {
		t.Fatalf("%d runners created, want 2 (one per request, the first released)", n)
	}
}

// closeModel counts the runners created and closed.
type closeModel struct {
	Model
	created, closed atomic.Int64
}

func (m *closeModel) WithBatch(n int) (Model, error) {
	b, err := m.Model.WithBatch(n)
	if err != nil {
		return nil, err
	}
	return &closeModelBatch{Model: b, parent: m}, nil
}

// closeModelBatch is a closeModel planned for one batch size; it counts
// into its parent.
type closeModelBatch struct {
	Model
	parent *closeModel
}

func (m *closeModelBatch) NewRunner() Runner {
	m.parent.created.Add(1)
	r := m.Model.NewRunner()
	return &closeRunner{Runner: r, t: r.(threadedRunner), m: m.parent}
}

type closeRunner struct {
	Runner
	t threadedRunner
	m *closeModel
}

func (r *closeRunner) SetThreads(n int)       { r.t.SetThreads(n) }
func (r *closeRunner) SetActiveThreads(n int) { r.t.SetActiveThreads(n) }
func (r *closeRunner) Close()                 { r.m.closed.Add(1); r.t.Close() }
