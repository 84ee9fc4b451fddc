package conv

import (
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// accum is the accumulator type of an integer kernel: int32 for 8-bit
// activations (and 16x8 with int32 bias), int64 for 16x8 with int64 bias.
type accum interface{ ~int32 | ~int64 }

// scale applies the per-channel multiplier to an accumulator with the
// rounding TensorFlow Lite uses for its type: double rounding for int32,
// the reduced 16-bit multiplier with single rounding for int64.
func scale[A accum](acc A, m int32, shift int) int32 {
	if v, ok := any(acc).(int64); ok {
		return kernels.MultiplyByQuantizedMultiplier64(v, m, shift)
	}
	return gemm.MulQ(int32(acc), m, shift)
}

func clamp(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
