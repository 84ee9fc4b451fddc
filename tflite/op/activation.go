package op

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// IntRange returns the representable range of a quantized integer dtype
// (int8, uint8, int16, int32); ok is false for any other.
func IntRange(dt tensor.DType) (lo, hi int32, ok bool) {
	switch dt {
	case tensor.Int8:
		return math.MinInt8, math.MaxInt8, true
	case tensor.Uint8:
		return 0, math.MaxUint8, true
	case tensor.Int16:
		return math.MinInt16, math.MaxInt16, true
	case tensor.Int32:
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}

// ActivationRangeFloat returns the clamp bounds of a fused activation for
// float outputs. TANH and SIGN_BIT are not clamps: ok is false for them.
func ActivationRangeFloat(act Activation) (lo, hi float32, ok bool) {
	inf := float32(math.Inf(1))
	switch act {
	case ActNone:
		return -inf, inf, true
	case ActRelu:
		return 0, inf, true
	case ActRelu6:
		return 0, 6, true
	case ActReluN1To1:
		return -1, 1, true
	}
	return 0, 0, false
}

// ActivationRangeQuant returns the clamp bounds of a fused activation for a
// quantized output tensor, as TFLite's CalculateActivationRangeQuantized
// computes them: the dtype's range narrowed by the activation's real bounds
// quantized with the output's scale and zero point (rounding half away from
// zero).
func ActivationRangeQuant(act Activation, out *TensorInfo) (lo, hi int32, ok bool) {
	qlo, qhi, ok := IntRange(out.DType)
	if !ok {
		return 0, 0, false
	}
	scale, zp, ok := out.Scale()
	if !ok || scale <= 0 {
		return 0, 0, false
	}
	// TFLite divides in float32 (the scale's type) before rounding.
	s32 := float32(scale)
	q := func(f float32) int32 { return zp + int32(math.Round(float64(f/s32))) }
	switch act {
	case ActNone:
		return qlo, qhi, true
	case ActRelu:
		return max(qlo, q(0)), qhi, true
	case ActRelu6:
		return max(qlo, q(0)), min(qhi, q(6)), true
	case ActReluN1To1:
		return max(qlo, q(-1)), min(qhi, q(1)), true
	}
	return 0, 0, false
}
