package tflite_test

import (
	"context"
	"math"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// TestFloatNaNPropagates: TFLite's float kernels clamp with std::max and
// std::min, which keep a NaN; the fast kernels must too (a vector max
// returns its second operand on NaN, so operand order matters).
func TestFloatNaNPropagates(t *testing.T) {
	ms, err := examples.Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range ms {
		if em.Name != examples.Linear {
			continue
		}
		m, err := tflite.Load(em.TFLite)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{2, 7, 64} { // NaN in the first row, +Inf in the last
			mb, err := m.WithBatch(batch)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := tensor.New(tensor.Float32, tensor.Shape{batch, 4})
			xs := in.Float32s()
			for i := range xs {
				xs[i] = float32(i % 5)
			}
			xs[0] = float32(math.NaN())
			xs[len(xs)-1] = float32(math.Inf(1))
			out, err := mb.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			ys := out[0].Float32s()
			if !math.IsNaN(float64(ys[0])) {
				t.Errorf("batch %d: y[0] = %v for x[0] = NaN, want NaN", batch, ys[0])
			}
			if !math.IsInf(float64(ys[len(ys)-1]), 1) {
				t.Errorf("batch %d: y[last] = %v for x[last] = +Inf, want +Inf", batch, ys[len(ys)-1])
			}
		}
	}
}
