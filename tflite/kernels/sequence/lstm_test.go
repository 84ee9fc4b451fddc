package sequence

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// TestMulQ: the single-rounding mulQ equals TensorFlow Lite's double
// rounding (kernels.MultiplyByQuantizedMultiplier) on edge values and
// random ones, for every shift the LSTM and SVDF multipliers can take.
func TestMulQ(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	edges := []int32{0, 1, -1, 2, -2, 1 << 15, -1 << 15, math.MaxInt32, math.MinInt32, math.MaxInt32 - 1, math.MinInt32 + 1, 1 << 30, -1 << 30}
	for shift := -31; shift <= 8; shift++ {
		for k := range 20000 {
			var x, m int32
			if k < len(edges)*len(edges) {
				x, m = edges[k/len(edges)], edges[k%len(edges)]
			} else {
				x, m = int32(r.Uint32()), int32(r.Uint32())
				if k%3 == 0 {
					x = int32(r.IntN(1<<17) - 1<<16)
				}
			}
			if m < 0 {
				m = -(m + 1) // multipliers are non-negative
			}
			if got, want := mulQ(x, m, shift), kernels.MultiplyByQuantizedMultiplier(x, m, shift); got != want {
				t.Fatalf("mulQ(%d, %d, %d) = %d, want %d", x, m, shift, got, want)
			}
		}
	}
}

// BenchmarkLSTMFloat: the float cell at MNIST-LSTM size (28 steps of 28
// inputs, 20 cells), one batch row.
func BenchmarkLSTMFloat(b *testing.B) {
	const t, in, n = 28, 28, 20
	r := rand.New(rand.NewPCG(1, 2))
	vals := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(r.Float64() - 0.5)
		}
		return v
	}
	l := &LSTMFloat{Dims: Dims{Time: t, Batch: 1, Input: in, Cell: n}, Output: n,
		In: gemm.PackF32(vals(4*n*in), vals(4*n), 4*n, in), Rec: gemm.PackF32(vals(4*n*n), nil, 4*n, n)}
	x, h, c, out := vals(t*in), make([]float32, n), make([]float32, n), make([]float32, t*n)
	scratch := make([]byte, l.ScratchBytes())
	b.ReportAllocs()
	for b.Loop() {
		clear(h)
		clear(c)
		l.Run(x, h, c, out, n, scratch)
	}
}
