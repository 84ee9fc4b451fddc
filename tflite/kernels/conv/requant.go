package conv

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// mulQ is kernels.MultiplyByQuantizedMultiplier written out so that it
// inlines into the output loops; TestMulQ checks the two agree.
func mulQ(x, m int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	x <<= uint(left)
	var hi int32
	if x == math.MinInt32 && m == math.MinInt32 {
		hi = math.MaxInt32
	} else {
		ab := int64(x) * int64(m)
		if ab >= 0 {
			hi = int32((ab + 1<<30) >> 31)
		} else {
			hi = int32((ab + 1 - 1<<30) / (1 << 31))
		}
	}
	mask := int32(1)<<uint(right) - 1
	rem := hi & mask
	thr := mask >> 1
	if hi < 0 {
		thr++
	}
	r := hi >> uint(right)
	if rem > thr {
		r++
	}
	return r
}

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
	return mulQ(int32(acc), m, shift)
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
