package batch

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// exampleSource is a serving.ModelSource over the example models loaded by
// the real engine. It stands in for the model cache (tested in its own
// package) so that these tests exercise the pipeline and the serving core.
type exampleSource struct {
	models map[string]*tflite.Model
	cfgs   map[string]serving.ModelConfig
}

func (s *exampleSource) Get(ctx context.Context, ref serving.Ref) (*serving.Loaded, error) {
	m, ok := s.models[ref.Model]
	if !ok || (ref.Version != 0 && ref.Version != 1) {
		return nil, fmt.Errorf("%w: %v", serving.ErrNotFound, ref)
	}
	return &serving.Loaded{Name: ref.Model, Version: 1, Model: serving.FromTFLite(m), Config: s.cfgs[ref.Model], Release: func() {}}, nil
}

func (s *exampleSource) Index(ctx context.Context) ([]serving.ModelStatus, error) {
	var out []serving.ModelStatus
	for name := range s.models {
		out = append(out, serving.ModelStatus{Name: name, Versions: []serving.VersionStatus{{Version: 1, State: "READY"}}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// newServer returns a serving core over the example models and the models
// themselves, closed when the test ends.
func newServer(tb testing.TB) (*serving.Server, map[string]*tflite.Model) {
	tb.Helper()
	ms, err := examples.Models()
	if err != nil {
		tb.Fatal(err)
	}
	src := &exampleSource{models: map[string]*tflite.Model{}, cfgs: map[string]serving.ModelConfig{}}
	for _, m := range ms {
		tm, err := tflite.Load(m.TFLite)
		if err != nil {
			tb.Fatalf("load %s: %v", m.Name, err)
		}
		src.models[m.Name] = tm
		src.cfgs[m.Name] = serving.ModelConfig{MaxBatchSize: m.Config.MaxBatchSize}
	}
	// One intra-op thread, as s3fn configures its server: the pipeline's
	// own stages keep the cores busy.
	s, err := serving.New(serving.Config{Source: src, MaxQueue: 1024, IntraOpThreads: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, src.models
}

// linearConfig is a pipeline Config for the example model linear
// (y = 2x + 1 on 4 float32 values).
func linearConfig(tb testing.TB, f Format) Config {
	s, models := newServer(tb)
	return Config{Predictor: s, Model: serving.Ref{Model: examples.Linear, Version: 1}, Inputs: models[examples.Linear].Inputs(), Format: f}
}
