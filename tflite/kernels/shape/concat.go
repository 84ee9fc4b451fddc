package shape

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// Requantize rewrites quantized values from one scale and zero point to
// another as TensorFlow Lite's ConcatenationWithScaling does, in float32:
// out = round(in·scale + bias) + outZP clamped to [lo, hi], where
// scale = inScale·(1/outScale) and bias = -inZP·scale (see RequantParams).
// Long 8-bit runs compute the output once per byte value (the same
// expression) and look it up.
func Requantize[T int8 | uint8 | int16](dst, src []T, scale, bias float32, outZP, lo, hi int32) {
	dst = dst[:len(src)]
	var z T
	if unsafe.Sizeof(z) == 1 && len(src) > 1024 {
		var tab [256]byte
		for b := range 256 {
			v := T(b) // every byte value once (wrapping for int8)
			tab[b] = byte(requant1(v, scale, bias, outZP, lo, hi))
		}
		kernels.LookupBytes(&tab, asBytes(src), asBytes(dst))
		return
	}
	for i, v := range src {
		dst[i] = requant1(v, scale, bias, outZP, lo, hi)
	}
}

// requant1 is Requantize of one value.
func requant1[T int8 | uint8 | int16](v T, scale, bias float32, outZP, lo, hi int32) T {
	// The explicit float32 conversion forbids fusing into an FMA, so the
	// rounding matches C++'s separate multiply and add.
	f := float32(float32(v)*scale) + bias
	r := math.Round(float64(f)) + float64(outZP)
	if r < float64(lo) {
		r = float64(lo)
	} else if r > float64(hi) {
		r = float64(hi)
	}
	return T(r)
}

// RequantParams returns the float32 scale and bias Requantize takes.
func RequantParams(inScale, outScale float32, inZP int32) (scale, bias float32) {
	inv := 1 / outScale
	scale = inScale * inv
	bias = float32(-inZP) * scale
	return scale, bias
}

// ClampRun limits every value of v to [lo, hi].
func ClampRun[T Number](v []T, lo, hi T) {
	for i, x := range v {
		if x < lo {
			v[i] = lo
		} else if x > hi {
			v[i] = hi
		}
	}
}

// asBytes is s's memory as bytes.
func asBytes[T int8 | uint8 | int16](s []T) []byte {
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}
