package elementwise

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// Float32 math functions of the unary operators, each as TFLite computes it
// in single precision: SQRT, RSQRT (1/sqrt), LOG, EXP, SQUARE, FLOOR, CEIL
// and ROUND (half to even, TFLite's RoundToNearest).
var (
	SqrtF32   = func(x float32) float32 { return float32(math.Sqrt(float64(x))) }
	RsqrtF32  = func(x float32) float32 { return 1 / float32(math.Sqrt(float64(x))) }
	LogF32    = func(x float32) float32 { return float32(math.Log(float64(x))) }
	ExpF32    = func(x float32) float32 { return float32(math.Exp(float64(x))) }
	SquareF32 = func(x float32) float32 { return x * x }
	FloorF32  = func(x float32) float32 { return float32(math.Floor(float64(x))) }
	CeilF32   = func(x float32) float32 { return float32(math.Ceil(float64(x))) }
	RoundF32  = func(x float32) float32 { return float32(math.RoundToEven(float64(x))) }
)

// Signed is the set of types ABS and NEG handle without quantization.
type Signed interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~float32
}

// Abs returns |x| (the most negative integer stays as it is, as in C).
func Abs[T Signed](x T) T {
	if x < 0 {
		return -x
	}
	return x
}

// Neg returns -x (wrapping for the most negative integer).
func Neg[T Signed](x T) T { return -x }

// Castable is the set of element types CAST converts between.
type Castable interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~float32 | ~float64
}

// Cast converts in to out element by element as TFLite's CAST does
// (static_cast): floats truncate toward zero, integers wrap. A float that
// does not fit the integer type (or NaN), where C leaves the result
// undefined, saturates here (NaN becomes 0).
func Cast[T, U Castable](in []T, out []U) {
	out = out[:len(in)]
	var u U
	switch any(u).(type) {
	case float32, float64:
		for i, v := range in {
			out[i] = U(v)
		}
		return
	}
	var t T
	switch any(t).(type) {
	case float32, float64:
		lo, hi := intLimits[U]()
		umin, umax := intMinMax[U]()
		for i, v := range in {
			f := float64(v)
			switch {
			case f != f:
				out[i] = 0
			case f <= lo:
				out[i] = umin
			case f >= hi:
				out[i] = umax
			default:
				f = math.Trunc(f)
				if f < 0 {
					out[i] = U(int64(f))
				} else {
					out[i] = U(uint64(f))
				}
			}
		}
		return
	}
	for i, v := range in {
		out[i] = U(v)
	}
}

// intLimits returns the range of integer type U as float64.
func intLimits[U Castable]() (lo, hi float64) {
	var u U
	switch any(u).(type) {
	case int8:
		return math.MinInt8, math.MaxInt8
	case uint8:
		return 0, math.MaxUint8
	case int16:
		return math.MinInt16, math.MaxInt16
	case uint16:
		return 0, math.MaxUint16
	case int32:
		return math.MinInt32, math.MaxInt32
	case uint32:
		return 0, math.MaxUint32
	case int64:
		return math.MinInt64, math.MaxInt64
	}
	return math.Inf(-1), math.Inf(1)
}

// intMinMax returns the smallest and largest values of integer type U.
func intMinMax[U Castable]() (U, U) {
	var lo, hi any
	var u U
	switch any(u).(type) {
	case int8:
		lo, hi = int8(math.MinInt8), int8(math.MaxInt8)
	case uint8:
		lo, hi = uint8(0), uint8(math.MaxUint8)
	case int16:
		lo, hi = int16(math.MinInt16), int16(math.MaxInt16)
	case uint16:
		lo, hi = uint16(0), uint16(math.MaxUint16)
	case int32:
		lo, hi = int32(math.MinInt32), int32(math.MaxInt32)
	case uint32:
		lo, hi = uint32(0), uint32(math.MaxUint32)
	case int64:
		lo, hi = int64(math.MinInt64), int64(math.MaxInt64)
	default:
		return 0, 0
	}
	return lo.(U), hi.(U)
}

// CastFromBool writes 1 for true (non-zero) and 0 for false.
func CastFromBool[U Castable](in []uint8, out []U) {
	out = out[:len(in)]
	for i, v := range in {
		if v != 0 {
			out[i] = 1
		} else {
			out[i] = 0
		}
	}
}

// CastToBool writes true (1) for every non-zero value.
func CastToBool[T Castable](in []T, out []uint8) {
	out = out[:len(in)]
	for i, v := range in {
		if v != 0 {
			out[i] = 1
		} else {
			out[i] = 0
		}
	}
}

// Integer is the set of plain integer types FLOOR_DIV and FLOOR_MOD handle.
type Integer interface {
	~int8 | ~int16 | ~int32 | ~int64
}

// FloorDivInt is floor(x / y) for integers; y must not be 0.
func FloorDivInt[T Integer](x, y T) T {
	q := x / y
	if x%y != 0 && (x < 0) != (y < 0) {
		q--
	}
	return q
}

// FloorModInt is x - floor(x / y)·y for integers (the sign follows y); y
// must not be 0.
func FloorModInt[T Integer](x, y T) T {
	r := x % y
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

// FloorDivF32 is TFLite's float FLOOR_DIV: floor(x / y) in float32.
func FloorDivF32(x, y float32) float32 { return float32(math.Floor(float64(x / y))) }

// FloorModF32 is TFLite's float FLOOR_MOD: fmod with the sign of y.
func FloorModF32(x, y float32) float32 {
	r := float32(math.Mod(float64(x), float64(y)))
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

// PowF32 is x^y in single precision.
func PowF32(x, y float32) float32 { return float32(math.Pow(float64(x), float64(y))) }

// PowInt32 is x^y by repeated squaring with wrapping, for y ≥ 0 (TFLite
// rejects negative exponents).
func PowInt32(x, y int32) int32 {
	r := int32(1)
	for y > 0 {
		if y&1 != 0 {
			r *= x
		}
		x *= x
		y >>= 1
	}
	return r
}

// Compare names a comparison operator.
type Compare int

// The comparison operators.
const (
	CmpEqual Compare = iota
	CmpNotEqual
	CmpLess
	CmpLessEqual
	CmpGreater
	CmpGreaterEqual
)

// Ordered is the set of element types the comparisons handle.
type Ordered interface {
	~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32
}

func cmp[T Ordered](c Compare, x, y T) bool {
	switch c {
	case CmpEqual:
		return x == y
	case CmpNotEqual:
		return x != y
	case CmpLess:
		return x < y
	case CmpLessEqual:
		return x <= y
	case CmpGreater:
		return x > y
	}
	return x >= y
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// CompareRow returns the row function of comparison c over raw values,
// writing bools as 0/1 bytes.
func CompareRow[T Ordered](c Compare) func(a, b []T, out []uint8) {
	return RowFunc(func(x, y T) uint8 { return b2u(cmp(c, x, y)) })
}

// QuantCompare holds the rescaling TFLite applies before comparing 8-bit
// quantized values: (v - zero) << 8, times the input's scale as a
// multiplier below one.
type QuantCompare struct {
	Off1, Off2   int32
	Mult1, Mult2 int32
	Shift1       int
	Shift2       int
}

// NewQuantCompare derives the parameters as TFLite's comparisons.cc does
// (QuantizeMultiplierSmallerThanOneExp of each input scale, left shift 8).
func NewQuantCompare(s1, s2 float32, z1, z2 int32) (QuantCompare, error) {
	p := QuantCompare{Off1: -z1, Off2: -z2}
	var err error
	if p.Mult1, p.Shift1, err = smallerThanOne(float64(s1), "input 1 scale"); err != nil {
		return p, err
	}
	if p.Mult2, p.Shift2, err = smallerThanOne(float64(s2), "input 2 scale"); err != nil {
		return p, err
	}
	return p, nil
}

// QuantCompareRow returns the row function of comparison c over 8-bit
// quantized values.
func QuantCompareRow[T Quant](c Compare, p QuantCompare) func(a, b []T, out []uint8) {
	return RowFunc(func(x, y T) uint8 {
		v1 := kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp((p.Off1+int32(x))<<8, p.Mult1, p.Shift1)
		v2 := kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp((p.Off2+int32(y))<<8, p.Mult2, p.Shift2)
		return b2u(cmp(c, v1, v2))
	})
}

// AbsQuant applies quantized ABS as TFLite does: |v - InZero| rescaled by
// p's multiplier, plus OutZero, clamped to T's range.
func AbsQuant[T Quant](p Requant, in, out []T) {
	lo, hi := Range[T]()
	out = out[:len(in)]
	for i, v := range in {
		x := int32(v) - p.InZero
		if x < 0 {
			x = -x
		}
		o := kernels.MultiplyByQuantizedMultiplier(x, p.Mult, p.Shift) + p.OutZero
		out[i] = T(kernels.Clamp32(o, lo, hi))
	}
}
