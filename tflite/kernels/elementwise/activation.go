package elementwise

import (
	"fmt"
	"math"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// Unary applies f to every element of in, writing out.
func Unary[T, U any](in []T, out []U, f func(T) U) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = f(v)
	}
}

// ClampFloat writes in clamped to [lo, hi] to out (float RELU, RELU6,
// RELU_N1_TO_1). NaN passes through.
func ClampFloat(in, out []float32, lo, hi float32) {
	out = out[:len(in)]
	for i, v := range in {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		out[i] = v
	}
}

// Relu holds the parameters of quantized RELU, RELU6 and RELU_N1_TO_1:
// requantize from the input to the output scale, then clamp.
type Relu struct {
	InZero, OutZero int32
	Mult            int32
	Shift           int
	ActMin, ActMax  int32
}

// NewRelu derives the parameters as tflite-micro's CalculateReluOpData
// does (float32 arithmetic), for an activation clamping to [lo, hi] in
// real values (hi may be +Inf), and an output type with range [qlo, qhi].
func NewRelu(si, so float32, zi, zo int32, lo, hi float32, qlo, qhi int32) (Relu, error) {
	p := Relu{InZero: zi, OutZero: zo}
	var err error
	if p.Mult, p.Shift, err = multiplier(float64(si/so), "output"); err != nil {
		return p, err
	}
	p.ActMin = max(qlo, zo+int32(roundF32(lo/so)))
	p.ActMax = qhi
	if !math.IsInf(float64(hi), 1) {
		p.ActMax = min(qhi, zo+int32(roundF32(hi/so)))
	}
	return p, nil
}

// ReluQuant applies p to in.
func ReluQuant[T Quant](p Relu, in, out []T) {
	out = out[:len(in)]
	for i, v := range in {
		o := p.OutZero + kernels.MultiplyByQuantizedMultiplier(int32(v)-p.InZero, p.Mult, p.Shift)
		out[i] = T(kernels.Clamp32(o, p.ActMin, p.ActMax))
	}
}

// LeakyRelu holds the parameters of quantized LEAKY_RELU.
type LeakyRelu struct {
	InZero, OutZero int32
	MultAlpha       int32
	ShiftAlpha      int
	MultID          int32
	ShiftID         int
}

// NewLeakyRelu derives the parameters as tflite-micro's
// leaky_relu_common.cc does (multipliers computed in float32).
func NewLeakyRelu(si, so, alpha float32, zi, zo int32) (LeakyRelu, error) {
	p := LeakyRelu{InZero: zi, OutZero: zo}
	var err error
	if p.MultAlpha, p.ShiftAlpha, err = multiplier(float64(si*alpha/so), "alpha"); err != nil {
		return p, err
	}
	if p.MultID, p.ShiftID, err = multiplier(float64(si/so), "identity"); err != nil {
		return p, err
	}
	return p, nil
}

// LeakyReluQuant applies p to in.
func LeakyReluQuant[T Quant](p LeakyRelu, in, out []T) {
	qlo, qhi := Range[T]()
	neg := p.MultAlpha < 0
	ma := p.MultAlpha
	if neg {
		ma = -ma
	}
	out = out[:len(in)]
	for i, v := range in {
		x := int32(v) - p.InZero
		o := p.OutZero
		if x >= 0 {
			o += kernels.MultiplyByQuantizedMultiplier(x, p.MultID, p.ShiftID)
		} else {
			s := kernels.MultiplyByQuantizedMultiplier(x, ma, p.ShiftAlpha)
			if neg {
				s = -s
			}
			o += s
		}
		out[i] = T(kernels.Clamp32(o, qlo, qhi))
	}
}

// LeakyReluFloat applies LEAKY_RELU to float values.
func LeakyReluFloat(in, out []float32, alpha float32) {
	out = out[:len(in)]
	for i, v := range in {
		if v > 0 {
			out[i] = v
		} else {
			out[i] = v * alpha
		}
	}
}

// HardSwish holds the parameters of quantized HARD_SWISH.
type HardSwish struct {
	InZero, OutZero int32
	OutMult16       int16
	OutExp          int
	ReluishMult16   int16
	ReluishExp      int
}

func downscale16(m int32) int16 {
	if m >= math.MaxInt32-(1<<15) {
		return math.MaxInt16
	}
	return int16((m + 1<<15) >> 16)
}

// NewHardSwish derives the parameters as tflite-micro's
// hard_swish_common.cc does.
func NewHardSwish(si, so float32, zi, zo int32) (HardSwish, error) {
	p := HardSwish{InZero: zi, OutZero: zo}
	hires := (1.0 / 128.0) * si
	const reluish = float32(3.0 / 32768.0)
	m, e, err := multiplier(float64(hires/so), "output")
	if err != nil {
		return p, err
	}
	if e > 0 {
		return p, fmt.Errorf("%w: output multiplier exponent %d > 0", ErrParams, e)
	}
	if m < 0 {
		return p, fmt.Errorf("%w: negative output multiplier", ErrParams)
	}
	p.OutMult16, p.OutExp = downscale16(m), e
	m, e, err = multiplier(float64(hires/reluish), "reluish")
	if err != nil {
		return p, err
	}
	if m < 0 || e > 15 || e < -15 {
		return p, fmt.Errorf("%w: reluish multiplier exponent %d", ErrParams, e)
	}
	p.ReluishMult16, p.ReluishExp = downscale16(m), e
	return p, nil
}

func satShl16(v int16, amount int) int16 {
	r := int64(v) * (int64(1) << uint(amount))
	return int16(min(max(r, math.MinInt16), math.MaxInt16))
}

// srdm16 is SaturatingDoublingHighMul without rounding (hard_swish.h).
func srdm16(a, b int16) int16 {
	if a == b && a == math.MinInt16 {
		return math.MaxInt16
	}
	return int16(int32(a) * int32(b) / (1 << 15))
}

// HardSwishQuant applies p to in (int8 or uint8).
func HardSwishQuant[T Quant](p HardSwish, in, out []T) {
	qlo, qhi := Range[T]()
	out = out[:len(in)]
	for i, v := range in {
		x := int16(int32(v) - p.InZero)
		hi := int16(int32(x) * (1 << 7))
		pre := srdhm16(hi, p.OutMult16)
		r := hi
		if p.ReluishExp > 0 {
			r = satShl16(r, p.ReluishExp-1)
		}
		r = srdhm16(r, p.ReluishMult16)
		if p.ReluishExp > 0 {
			r = satShl16(r, 1)
		}
		if p.ReluishExp < 0 {
			r = int16(rdpot(int32(r), -p.ReluishExp))
		}
		r = int16((int32(r) + (1 << 15)) >> 1)
		po := srdm16(r, pre)
		o := int16(rdpot(int32(po), -p.OutExp))
		o += int16(p.OutZero)
		out[i] = T(kernels.Clamp32(int32(o), qlo, qhi))
	}
}

// HardSwishFloat applies HARD_SWISH to float values: x·min(6, max(0,
// x+3))/6, on the vector kernel where the machine has one (bit-identical).
func HardSwishFloat(in, out []float32) {
	out = out[:len(in)]
	i := hardSwishF32Vec(in, out)
	hardSwishFloatRef(in[i:], out[i:])
}

// hardSwishFloatRef is the scalar HARD_SWISH, the reference of the vector
// kernel.
func hardSwishFloatRef(in, out []float32) {
	out = out[:len(in)]
	for i, v := range in {
		r := min(float32(6), max(float32(0), v+3))
		out[i] = float32(v*r) / 6
	}
}

// Sigmoidish holds the parameters of int8 LOGISTIC and TANH: the input
// (minus its zero point) is rescaled to Q4.27 and values beyond the radius
// saturate.
type Sigmoidish struct {
	InZero int32
	Radius int32
	Mult   int32
	Shift  int
}

// NewSigmoidish derives the int8 LOGISTIC/TANH parameters as
// tflite-micro's logistic_common.cc and tanh.cc do.
func NewSigmoidish(si float32, zi int32) (Sigmoidish, error) {
	p := Sigmoidish{InZero: zi}
	real := float64(si) * float64(int32(1)<<(31-4))
	q, e := math.Frexp(real)
	m := int64(math.Round(q * (1 << 31)))
	if m == 1<<31 {
		m /= 2
		e++
	}
	if e < 0 || e > 31 || m <= 0 {
		return p, fmt.Errorf("%w: input scale %g gives shift %d", ErrParams, si, e)
	}
	p.Mult, p.Shift = int32(m), e
	p.Radius = inputRadius(4, e, 31)
	return p, nil
}

// inputRadius is TFLite's CalculateInputRadius.
func inputRadius(intBits, leftShift, totalBits int) int32 {
	v := float64(int64(1)<<intBits-1) * float64(int64(1)<<(totalBits-intBits)) / math.Ldexp(1, leftShift)
	return int32(math.Floor(v))
}

// Byte is the set of 8-bit quantized element types.
type Byte interface{ ~int8 | ~uint8 }

// LogisticInt8 applies 8-bit LOGISTIC: output scale 1/256 and zero point
// -128 (int8) or 0 (uint8), as TFLite's reference kernels compute it (the
// uint8 kernel is the int8 one shifted by 128, saturating at 255).
func LogisticInt8[T Byte](p Sigmoidish, in, out []T) {
	lo, hi := Range[T]()
	out = out[:len(in)]
	for i, v := range in {
		x := int32(v) - p.InZero
		switch {
		case x <= -p.Radius:
			out[i] = T(lo)
		case x >= p.Radius:
			out[i] = T(hi)
		default:
			q4 := kernels.MultiplyByQuantizedMultiplier(x, p.Mult, p.Shift)
			o := rdpot(fixedLogistic(q4, 4), 31-8) + lo
			out[i] = T(kernels.Clamp32(o, lo, hi))
		}
	}
}

// TanhInt8 applies 8-bit TANH: output scale 1/128 and zero point 0 (int8)
// or 128 (uint8).
func TanhInt8[T Byte](p Sigmoidish, in, out []T) {
	lo, hi := Range[T]()
	out = out[:len(in)]
	for i, v := range in {
		x := int32(v) - p.InZero
		switch {
		case x <= -p.Radius:
			out[i] = T(lo)
		case x >= p.Radius:
			out[i] = T(hi)
		default:
			q4 := kernels.MultiplyByQuantizedMultiplier(x, p.Mult, p.Shift)
			o := rdpot(fixedTanh(q4, 4), 31-7) + lo + 128
			out[i] = T(kernels.Clamp32(o, lo, hi))
		}
	}
}

// LogisticFloat applies LOGISTIC to float values with TFLite's cutoffs.
// Where the machine has the vector kernel, e^x is a float32 polynomial
// (see sigmoidf32_amd64.s) and results are within 2 units in the last
// place of LogisticFloatRef (TestLogisticFloatMatchesRef sweeps the
// range); elsewhere it is LogisticFloatRef.
func LogisticFloat(in, out []float32) {
	if logisticF32Vec(in, out) {
		return
	}
	LogisticFloatRef(in, out)
}

// LogisticFloatRef is LOGISTIC through float64 exp, rounded to float32
// before the float32 add and divide, as TFLite's reference: above
// 16.619047 the result is 1, below -9 it is e^x.
func LogisticFloatRef(in, out []float32) {
	const upper = float32(16.619047164916992188)
	const lower = float32(-9)
	out = out[:len(in)]
	for i, v := range in {
		switch {
		case v > upper:
			out[i] = 1
		case v < lower:
			out[i] = float32(math.Exp(float64(v)))
		default:
			out[i] = 1 / (1 + float32(math.Exp(float64(-v))))
		}
	}
}

// TanhFloat applies TANH to float values. Where the machine has the
// vector kernel, results are within 4 units in the last place of
// TanhFloatRef (TestTanhFloatMatchesRef); elsewhere it is TanhFloatRef.
func TanhFloat(in, out []float32) {
	if tanhF32Vec(in, out) {
		return
	}
	TanhFloatRef(in, out)
}

// TanhFloatRef is TANH through float64 math.Tanh, rounded to float32.
func TanhFloatRef(in, out []float32) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = float32(math.Tanh(float64(v)))
	}
}

// Prelu holds the parameters of quantized PRELU.
type Prelu struct {
	InOffset, AlphaOffset, OutOffset int32
	Mult1                            int32
	Shift1                           int
	Mult2                            int32
	Shift2                           int
}

// NewPrelu derives PRELU's parameters as tflite-micro's prelu_common.cc
// does.
func NewPrelu(si, sa, so float32, zi, za, zo int32) (Prelu, error) {
	p := Prelu{InOffset: -zi, AlphaOffset: -za, OutOffset: zo}
	var err error
	if p.Mult1, p.Shift1, err = multiplier(float64(si)/float64(so), "identity"); err != nil {
		return p, err
	}
	if p.Mult2, p.Shift2, err = multiplier(float64(si)*float64(sa)/float64(so), "alpha"); err != nil {
		return p, err
	}
	return p, nil
}

// PreluRow returns the row function of quantized PRELU for Binary, with
// the input as the first operand and alpha as the second.
func PreluRow[T, A Quant](p Prelu) func(a []T, b []A, out []T) {
	qlo, qhi := Range[T]()
	return RowFunc(func(x T, al A) T {
		v := p.InOffset + int32(x)
		var o int32
		if v >= 0 {
			o = kernels.MultiplyByQuantizedMultiplier(v, p.Mult1, p.Shift1)
		} else {
			o = kernels.MultiplyByQuantizedMultiplier(v*(p.AlphaOffset+int32(al)), p.Mult2, p.Shift2)
		}
		return T(kernels.Clamp32(o+p.OutOffset, qlo, qhi))
	})
}

// PreluFloatRow returns the row function of float PRELU: x where x >= 0,
// else x*alpha. Equal-length rows (alpha per element of the row, as in
// MediaPipe's per-channel PRELU) run on the vector kernel where the
// machine has one, the rest on a direct loop; a broadcast scalar on
// either side takes the generic row.
func PreluFloatRow() func(a, b, out []float32) {
	bcast := RowFunc(preluF32)
	return func(a, b, out []float32) {
		if len(a) != len(out) || len(b) != len(out) {
			bcast(a, b, out)
			return
		}
		i := preluF32Vec(a, b, out)
		a, b, out = a[i:], b[i:len(a)], out[i:len(a)]
		for j, x := range a {
			if x < 0 {
				x *= b[j]
			}
			out[j] = x
		}
	}
}

// preluF32 is float PRELU of one element, the reference the row kernels
// match bit for bit.
func preluF32(x, al float32) float32 {
	if x >= 0 {
		return x
	}
	return x * al
}
