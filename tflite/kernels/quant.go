package kernels

import "math"

// QuantizeMultiplier expresses a real multiplier as a Q31 fixed-point
// multiplier and a power-of-two shift (positive = left), so that
// real ≈ multiplier * 2^(shift-31). It matches TensorFlow Lite's
// QuantizeMultiplier, including flushing multipliers below 2^-31 to zero.
func QuantizeMultiplier(real float64) (multiplier int32, shift int) {
	if real == 0 {
		return 0, 0
	}
	q, e := math.Frexp(real)
	qf := int64(math.Round(q * (1 << 31)))
	if qf == 1<<31 {
		qf /= 2
		e++
	}
	if e < -31 {
		return 0, 0
	}
	return int32(qf), e
}

// SaturatingRoundingDoublingHighMul returns the high 32 bits of 2*a*b,
// rounded to nearest, saturating the single overflow case a == b == MinInt32.
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	// Division truncating toward zero, as in C.
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT divides x by 2^exponent rounding to nearest, ties away
// from zero. exponent must be in [0, 31].
func RoundingDivideByPOT(x int32, exponent int) int32 {
	mask := int32(uint32(1)<<uint(exponent) - 1)
	remainder := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	r := x >> uint(exponent)
	if remainder > threshold {
		r++
	}
	return r
}

// MultiplyByQuantizedMultiplier applies a multiplier from QuantizeMultiplier
// to x with TensorFlow Lite's double rounding. A left shift of 32 or more
// (a real multiplier of 2^31 or more, which QuantizeMultiplier does not
// saturate in TFLite's double-rounding build) is taken modulo 32, as
// TFLite's x * (1 << shift) computes it on x86 and WebAssembly: both
// reference runners give exactly that.
func MultiplyByQuantizedMultiplier(x, multiplier int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift & 31
	} else {
		right = -shift
	}
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x*(int32(1)<<uint(left)), multiplier), right)
}

// MultiplyByQuantizedMultiplier64 is the 64-bit-accumulator variant used by
// the 16x8 kernels: the multiplier is reduced to 16 bits and applied with a
// single rounding, as TensorFlow Lite does.
func MultiplyByQuantizedMultiplier64(x int64, multiplier int32, shift int) int32 {
	reduced := int64(0x7FFF)
	if multiplier < 0x7FFF0000 {
		reduced = (int64(multiplier) + (1 << 15)) >> 16
	}
	total := uint(15 - shift)
	x = x*reduced + int64(1)<<(total-1)
	return int32(x >> total)
}

// MultiplyByQuantizedMultiplierSmallerThanOneExp is the variant TFLite uses
// where the shift is known to be non-positive (pooling, softmax helpers).
func MultiplyByQuantizedMultiplierSmallerThanOneExp(x, multiplier int32, leftShift int) int32 {
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, multiplier), -leftShift)
}

// MultiplyByQuantizedMultiplierGreaterThanOne is the variant TFLite uses
// where the shift is known to be non-negative.
func MultiplyByQuantizedMultiplierGreaterThanOne(x, multiplier int32, leftShift int) int32 {
	return SaturatingRoundingDoublingHighMul(x*(int32(1)<<uint(leftShift)), multiplier)
}

// Clamp32 limits v to [lo, hi].
func Clamp32(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
