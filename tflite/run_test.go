package tflite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// runModels returns models to exercise the runner with: the examples
// always, person detection when the conformance data is present.
func runModels(tb testing.TB) map[string][]byte {
	out := map[string][]byte{}
	ms, err := examples.Models()
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range ms {
		out[m.Name] = m.TFLite
	}
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "conformance", "person_detection", "person_detect.tflite")); err == nil {
		out["person_detect"] = b
	}
	return out
}

func zeroInputs(tb testing.TB, m *tflite.Model) []*tensor.Tensor {
	var ins []*tensor.Tensor
	for _, s := range m.Inputs() {
		shape := s.Shape.Clone()
		if len(shape) > 0 && shape[0] < 0 {
			shape[0] = m.Batch()
		}
		x, err := tensor.New(s.DType, shape)
		if err != nil {
			tb.Fatal(err)
		}
		for i := range x.Data {
			x.Data[i] = byte(i * 13)
		}
		ins = append(ins, x)
	}
	return ins
}

// TestRunHonoursContext: a cancelled context stops Run before the first
// operator, with the context's error.
func TestRunHonoursContext(t *testing.T) {
	for name, data := range runModels(t) {
		t.Run(name, func(t *testing.T) {
			m, err := tflite.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			r := m.NewRunner()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := r.Run(ctx, zeroInputs(t, m)); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run with a cancelled ctx = %v, want context.Canceled", err)
			}
			if i, op := r.CurrentOp(); i != -1 || op != "" {
				t.Fatalf("CurrentOp after Run = %d %q, want idle", i, op)
			}
		})
	}
}

// TestRunRejectsBadInputs: wrong count, dtype, shape or length are ErrInput.
func TestRunRejectsBadInputs(t *testing.T) {
	ms, err := examples.Models()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(ms[0].TFLite)
	if err != nil {
		t.Fatal(err)
	}
	good := zeroInputs(t, m)[0]
	wrongType := *good
	wrongType.DType = tensor.Int32
	wrongShape := *good
	wrongShape.Shape = tensor.Shape{good.Shape.Elements()}
	short := *good
	short.Data = good.Data[:len(good.Data)-1]
	tests := []struct {
		name string
		ins  []*tensor.Tensor
	}{
		{"too many", []*tensor.Tensor{good, good}},
		{"nil tensor", []*tensor.Tensor{nil}},
		{"dtype", []*tensor.Tensor{&wrongType}},
		{"shape", []*tensor.Tensor{&wrongShape}},
		{"short data", []*tensor.Tensor{&short}},
	}
	r := m.NewRunner()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.Run(context.Background(), tc.ins); !errors.Is(err, tflite.ErrInput) {
				t.Fatalf("Run = %v, want ErrInput", err)
			}
		})
	}
}

// TestConcurrentRunners: one Model, many Runners on many goroutines, same
// results as a lone Runner.
func TestConcurrentRunners(t *testing.T) {
	for name, data := range runModels(t) {
		t.Run(name, func(t *testing.T) {
			m, err := tflite.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			ins := zeroInputs(t, m)
			want, err := m.NewRunner().Run(context.Background(), ins)
			if err != nil {
				t.Fatal(err)
			}
			wantBytes := string(want[0].Data)
			errs := make(chan error, 4)
			for g := 0; g < 4; g++ {
				go func() {
					r := m.NewRunner()
					for i := 0; i < 5; i++ {
						out, err := r.Run(context.Background(), ins)
						if err != nil {
							errs <- err
							return
						}
						if string(out[0].Data) != wantBytes {
							errs <- errors.New("concurrent runner gave a different result")
							return
						}
					}
					errs <- nil
				}()
			}
			for g := 0; g < 4; g++ {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRun(b *testing.B) {
	for name, data := range runModels(b) {
		b.Run(name, func(b *testing.B) {
			m, err := tflite.Load(data)
			if err != nil {
				b.Fatal(err)
			}
			r := m.NewRunner()
			ins := zeroInputs(b, m)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Run(ctx, ins); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.MACs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// TestProfile: with profiling on, every Run is counted once, each operator
// is named in order, the per-operator MACs add up to Model.MACs, and
// time is attributed (each operator's shortest Run at most its mean); with it off, Profile is nil.
func TestProfile(t *testing.T) {
	for name, data := range runModels(t) {
		t.Run(name, func(t *testing.T) {
			m, err := tflite.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			r := m.NewRunner()
			if r.Profile() != nil {
				t.Fatal("Profile before EnableProfile is not nil")
			}
			ins := zeroInputs(t, m)
			if _, err := r.Run(context.Background(), ins); err != nil {
				t.Fatal(err)
			}
			r.EnableProfile()
			const runs = 3
			for range runs {
				if _, err := r.Run(context.Background(), ins); err != nil {
					t.Fatal(err)
				}
			}
			prof := r.Profile()
			if len(prof) != len(m.Operators()) {
				t.Fatalf("%d entries for %d operators", len(prof), len(m.Operators()))
			}
			var macs int64
			var total time.Duration
			for i, p := range prof {
				if p.Index != i || p.Name != m.Operators()[i] || p.Runs != runs || p.Total < 0 || p.Min < 0 || p.Min*runs > p.Total {
					t.Fatalf("entry %d = %+v", i, p)
				}
				macs += p.MACs
				total += p.Total
			}
			if macs != m.MACs() {
				t.Errorf("per-operator MACs sum to %d, Model.MACs = %d", macs, m.MACs())
			}
			if total <= 0 {
				t.Errorf("no time attributed over %d runs", runs)
			}
			r.EnableProfile()
			if p := r.Profile(); p[0].Runs != 0 || p[0].Total != 0 {
				t.Errorf("EnableProfile did not reset: %+v", p[0])
			}
		})
	}
}
