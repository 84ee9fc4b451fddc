package elementwise

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// Int is the set of integer types QUANTIZE and DEQUANTIZE convert.
type Int interface {
	~int8 | ~uint8 | ~int16 | ~int32
}

func intRange[T Int]() (lo, hi int32) {
	var z T
	switch any(z).(type) {
	case int8:
		return math.MinInt8, math.MaxInt8
	case uint8:
		return 0, math.MaxUint8
	case int16:
		return math.MinInt16, math.MaxInt16
	}
	return math.MinInt32, math.MaxInt32
}

// QuantizeFloat quantizes float values with scale and zero point as
// TFLite's AffineQuantize does: round(v / scale) in float32, half away
// from zero, plus the zero point, clamped to T's range. Values beyond the
// int32 range (and NaN, taken as 0) saturate rather than being undefined.
func QuantizeFloat[T Int](in []float32, out []T, scale float32, zero int32) {
	lo, hi := intRange[T]()
	out = out[:len(in)]
	for i, v := range in {
		r := roundF32(v / scale)
		var q int64
		switch {
		case r != r:
			q = 0
		case r >= 1<<31:
			q = math.MaxInt32
		case r < -(1 << 31):
			q = math.MinInt32
		default:
			q = int64(r)
		}
		q += int64(zero)
		out[i] = T(min(max(q, int64(lo)), int64(hi)))
	}
}

// Requant holds the parameters of an integer-to-integer QUANTIZE.
type Requant struct {
	InZero, OutZero int32
	Mult            int32
	Shift           int
}

// NewRequant derives the parameters as tflite-micro's quantize_common.cc
// does: effective scale si/so in float64.
func NewRequant(si, so float32, zi, zo int32) (Requant, error) {
	p := Requant{InZero: zi, OutZero: zo}
	var err error
	p.Mult, p.Shift, err = multiplier(float64(si)/float64(so), "requantize")
	return p, err
}

// Requantize converts integer values between quantizations as TFLite's
// Requantize does, including its int8<->uint8 bit-flip shortcut when only
// the zero point differs by 128.
func Requantize[T, U Int](p Requant, in []T, out []U) {
	out = out[:len(in)]
	if p.Mult == 1<<30 && p.Shift == 1 {
		var t T
		var u U
		_, i8 := any(t).(int8)
		_, u8 := any(t).(uint8)
		_, oi8 := any(u).(int8)
		_, ou8 := any(u).(uint8)
		d := p.InZero - p.OutZero
		if (i8 && ou8 && d == -128) || (u8 && oi8 && d == 128) {
			for i, v := range in {
				out[i] = U(uint8(v) ^ 0x80)
			}
			return
		}
	}
	lo, hi := intRange[U]()
	for i, v := range in {
		o := kernels.MultiplyByQuantizedMultiplier(int32(v)-p.InZero, p.Mult, p.Shift) + p.OutZero
		out[i] = U(kernels.Clamp32(o, lo, hi))
	}
}

// Dequantize converts integer values to float32: scale × (v − zero),
// computed in float64 as TFLite does.
func Dequantize[T Int](in []T, out []float32, scale float64, zero int32) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = float32(scale * float64(int32(v)-zero))
	}
}

// DequantizePerChannel converts per-channel quantized values along axis of
// shape to float32.
func DequantizePerChannel[T Int](in []T, out []float32, shape []int, axis int, scales []float32, zeros []int64) {
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	ch := shape[axis]
	out = out[:len(in)]
	for i, v := range in {
		c := (i / inner) % ch
		out[i] = scales[c] * float32(int32(v)-int32(zeros[c])) // float32, as upstream
	}
}

// DequantizeHalf converts IEEE binary16 values to float32.
func DequantizeHalf(in []uint16, out []float32) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = tensor.HalfToFloat32(v)
	}
}
