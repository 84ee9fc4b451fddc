package elementwise

import (
	"math"
	"math/bits"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// L2NormFloat divides each row of depth elements by its L2 norm (at least
// 1e-6), in float32 as TFLite's reference kernel does.
func L2NormFloat(in, out []float32, depth int) {
	const eps = float32(1e-6)
	for r := 0; r+depth <= len(in); r += depth {
		x, y := in[r:r+depth], out[r:r+depth]
		var sq float32
		for _, v := range x {
			sq += v * v
		}
		n := max(float32(math.Sqrt(float64(sq))), eps)
		for c, v := range x {
			y[c] = v / n
		}
	}
}

// invSqrtMultiplier is TFLite's GetInvSqrtQuantizedMultiplierExp with a
// reverse shift of -1: a multiplier and left shift approximating 1/√x by
// five Newton-Raphson steps in Q3.28.
func invSqrtMultiplier(x int32) (int32, int) {
	if x <= 1 {
		return math.MaxInt32, 0
	}
	shift := 11
	for x >= 1<<29 {
		x /= 4
		shift++
	}
	pairs := (bits.LeadingZeros32(uint32(x))-1)/2 - 1
	shift -= pairs
	x <<= 2 * uint(pairs)
	in := x >> 1                    // Q3.28
	halfIn := rdpot(in, 1)          // x/2
	const halfThree = 1<<28 + 1<<27 // 1.5 in Q3.28
	v := int32(1 << 28)             // 1.0
	for range 5 {
		v3 := satShl(srdhm(srdhm(v, v), v), 6)               // Q9 → Q3
		v = satShl(srdhm(halfThree, v)-srdhm(halfIn, v3), 3) // Q6 → Q3
	}
	const halfSqrt2 = 1518500250 // √2/2 in Q0.31
	v = srdhm(v, halfSqrt2)
	if shift < 0 {
		v <<= uint(-shift)
		shift = 0
	}
	return v, -shift
}

// L2NormInt8 is TFLite's int8 L2_NORMALIZATION: output scale 1/128, zero
// point 0.
func L2NormInt8(in, out []int8, depth int, zero int32) {
	for r := 0; r+depth <= len(in); r += depth {
		x, y := in[r:r+depth], out[r:r+depth]
		var acc int32
		for _, v := range x {
			d := int32(v) - zero
			acc += d * d
		}
		m, s := invSqrtMultiplier(acc)
		for c, v := range x {
			o := kernels.MultiplyByQuantizedMultiplier(int32(v)-zero, m, s+7)
			y[c] = int8(kernels.Clamp32(o, math.MinInt8, math.MaxInt8))
		}
	}
}

// RsqrtInt8 is TFLite's quantized RSQRT of one value x - zero ≥ 0: 0 maps
// to the largest output, others to 1/√(x-zero) through the inverse-sqrt
// multiplier, rescaled by mult·2^shift (1/(√si·so)) plus the output zero
// point, clamped to int8.
func RsqrtInt8(x, zero, mult int32, shift int, outZero int32) int8 {
	v := x - zero
	if v == 0 {
		return math.MaxInt8
	}
	const k = 20
	m, s := invSqrtMultiplier(v)
	d := kernels.MultiplyByQuantizedMultiplier(1, m, s+k)
	o := kernels.MultiplyByQuantizedMultiplier(d, mult, shift-k) + outZero
	return int8(kernels.Clamp32(o, math.MinInt8, math.MaxInt8))
}
