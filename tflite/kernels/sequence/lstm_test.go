package sequence

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
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
