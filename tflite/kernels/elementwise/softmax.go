package elementwise

import (
	"fmt"
	"math"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// SoftmaxFloat applies SOFTMAX over rows of depth elements, in float32 as
// TFLite's reference kernel does.
func SoftmaxFloat(in, out []float32, depth int, beta float32) {
	for r := 0; r+depth <= len(in); r += depth {
		x := in[r : r+depth]
		y := out[r : r+depth]
		m := float32(-math.MaxFloat32)
		for _, v := range x {
			m = max(m, v)
		}
		var sum float32
		for c, v := range x {
			e := float32(math.Exp(float64(float32((v - m) * beta))))
			y[c] = e
			sum += e
		}
		for c := range y {
			y[c] /= sum
		}
	}
}

// SoftmaxInt8 holds the parameters of SOFTMAX with int8 input.
type SoftmaxInt8 struct {
	Mult    int32
	Shift   int
	DiffMin int32
	// tab, built by NewSoftmaxInt8, holds the per-difference values
	// SoftmaxQuant8 would otherwise compute per element.
	tab *softmaxTab
}

// softmaxTab tabulates, for every difference d = x − max of 8-bit inputs
// (index −d, 0..255), the fixed-point exponential e(d) =
// expNeg(MultiplyByQuantizedMultiplierGreaterThanOne(d, Mult, Shift), 5)
// and its contribution to the sum, rdpot(e, 12); both 0 where d < DiffMin
// (skipped: no contribution, output the minimum). e depends on d alone,
// so reading it from the table gives the same sums and outputs.
type softmaxTab struct {
	exp, sum [256]int32
	skip     [256]bool
}

func newSoftmaxTab(p *SoftmaxInt8) *softmaxTab {
	t := &softmaxTab{}
	for i := range 256 {
		d := int32(-i)
		if d < p.DiffMin {
			t.skip[i] = true
			continue
		}
		s := kernels.MultiplyByQuantizedMultiplierGreaterThanOne(d, p.Mult, p.Shift)
		t.exp[i] = expNeg(s, 5)
		t.sum[i] = rdpot(t.exp[i], 12)
	}
	return t
}

// NewSoftmaxInt8 derives the parameters as TFLite's
// PreprocessSoftmaxScaling and CalculateInputRadius do.
func NewSoftmaxInt8(beta, si float32) (SoftmaxInt8, error) {
	var p SoftmaxInt8
	m := min(float64(beta)*float64(si)*float64(int64(1)<<(31-5)), float64(int64(1)<<31)-1)
	if !(m > 1) {
		return p, fmt.Errorf("%w: softmax input multiplier %g not above 1", ErrParams, m)
	}
	p.Mult, p.Shift = kernels.QuantizeMultiplier(m)
	if p.Shift < 0 || p.Shift > 31 {
		return p, fmt.Errorf("%w: softmax shift %d", ErrParams, p.Shift)
	}
	p.DiffMin = -inputRadius(5, p.Shift, 31)
	p.tab = newSoftmaxTab(&p)
	return p, nil
}

// SoftmaxQuant8 applies 8-bit-input SOFTMAX over rows of depth elements,
// writing int8 (scale 1/256, zero point -128), uint8 (scale 1/256, zero
// point 0) or int16 (scale 1/65536, zero point -32768) outputs, as TFLite's
// reference kernel does.
func SoftmaxQuant8[T Byte, U int8 | uint8 | int16](p SoftmaxInt8, in []T, out []U, depth int) {
	var z U
	bitsOut, lo, hi := 8, int32(math.MinInt8), int32(math.MaxInt8)
	switch any(z).(type) {
	case int16:
		bitsOut, lo, hi = 16, math.MinInt16, math.MaxInt16
	case uint8:
		lo, hi = 0, math.MaxUint8
	}
	inLo, _ := Range[T]()
	if t := p.tab; t != nil {
		for r := 0; r+depth <= len(in); r += depth {
			x := in[r : r+depth]
			y := out[r : r+depth]
			mx := inLo
			for _, v := range x {
				mx = max(mx, int32(v))
			}
			var sum int32 // Q12.19
			for _, v := range x {
				sum += t.sum[uint8(mx-int32(v))]
			}
			scale, nbou := reciprocal(sum, 12)
			exp := nbou + 31 - bitsOut
			if depth > len(t.exp) {
				// More elements than differences: the output is a
				// function of the difference alone, so compute it once
				// per difference (the same expression) and look it up.
				var row [256]U
				for i := range row {
					row[i] = U(lo)
					if !t.skip[i] {
						row[i] = U(kernels.Clamp32(rdpot(srdhm(scale, t.exp[i]), exp)+lo, lo, hi))
					}
				}
				for c, v := range x {
					y[c] = row[uint8(mx-int32(v))]
				}
				continue
			}
			for c, v := range x {
				i := uint8(mx - int32(v))
				if t.skip[i] {
					y[c] = U(lo)
					continue
				}
				o := rdpot(srdhm(scale, t.exp[i]), exp) + lo
				y[c] = U(kernels.Clamp32(o, lo, hi))
			}
		}
		return
	}
	for r := 0; r+depth <= len(in); r += depth {
		x := in[r : r+depth]
		y := out[r : r+depth]
		mx := inLo
		for _, v := range x {
			mx = max(mx, int32(v))
		}
		var sum int32 // Q12.19
		for _, v := range x {
			d := int32(v) - mx
			if d >= p.DiffMin {
				s := kernels.MultiplyByQuantizedMultiplierGreaterThanOne(d, p.Mult, p.Shift)
				sum += rdpot(expNeg(s, 5), 12)
			}
		}
		scale, nbou := reciprocal(sum, 12)
		exp := nbou + 31 - bitsOut
		for c, v := range x {
			d := int32(v) - mx
			if d < p.DiffMin {
				y[c] = U(lo)
				continue
			}
			s := kernels.MultiplyByQuantizedMultiplierGreaterThanOne(d, p.Mult, p.Shift)
			e := expNeg(s, 5)
			o := rdpot(srdhm(scale, e), exp) + lo
			y[c] = U(kernels.Clamp32(o, lo, hi))
		}
	}
}

// SoftmaxInt16 holds the parameters and lookup tables of int16 SOFTMAX.
type SoftmaxInt16 struct {
	Mult   int32
	Shift  int
	ExpLUT [513]int16
	RecLUT [513]int16
}

// NewSoftmaxInt16 derives the parameters and tables as tflite-micro's
// softmax_common.cc does (tables computed in float32).
func NewSoftmaxInt16(beta, si float32) (*SoftmaxInt16, error) {
	p := &SoftmaxInt16{}
	m := float64(si) * float64(beta) / (10.0 / 65535.0)
	var err error
	if p.Mult, p.Shift, err = multiplier(m, "input"); err != nil {
		return nil, err
	}
	const rng = float32(65535)
	lutPopulate16(10/rng, math.MaxInt16, 2/rng, 0, func(v float32) float32 {
		return float32(math.Exp(float64(v)))
	}, &p.ExpLUT)
	lutPopulate16(1/rng, math.MinInt16, 2/rng, 0, func(v float32) float32 {
		return 1 / (1 + v)
	}, &p.RecLUT)
	return p, nil
}

// lutPopulate16 fills a 513-entry interpolation table of f over the int16
// input range, as TFLite's LUTPopulateInt16<float> does.
func lutPopulate16(si float32, zi int32, so float32, zo int32, f func(float32) float32, lut *[513]int16) {
	inMin := si * float32(math.MinInt16-zi)
	inMax := si * float32(math.MaxInt16-zi)
	outMin := so * float32(math.MinInt16-zo)
	outMax := so * float32(math.MaxInt16-zo)
	const steps = 512
	step := (inMax - inMin) / steps
	half := step / 2
	inv := float32(65536) / (outMax - outMin)
	clamp := func(v float32) int16 { return int16(min(max(v, math.MinInt16), math.MaxInt16)) }
	for i := range steps {
		x := inMin + float32(float32(i)*step)
		val := f(x)
		mid := f(x + half)
		next := f(inMin + float32(float32(i+1)*step))
		sample := roundF32(float32(val * inv))
		interp := roundF32((float32(next*inv) + roundF32(float32(val*inv))) / 2)
		midVal := roundF32(float32(mid * inv))
		bias := roundF32((interp - midVal) / 2)
		lut[i] = clamp(sample - bias)
	}
	lut[steps] = clamp(roundF32(float32(f(inMax) * inv)))
}

// lutLookup16 interpolates an int16 table (TFLite LUTLookup).
func lutLookup16(v int16, lut *[513]int16) int16 {
	idx := 256 + int(v>>7)
	off := int32(v & 0x7f)
	base := lut[idx]
	slope := int32(int16(lut[idx+1] - lut[idx]))
	return int16(int32(base) + (slope*off+64)>>7)
}

// SoftmaxQuant16 applies int16 SOFTMAX (output scale 1/32768, zero point
// 0) over rows of depth elements.
func SoftmaxQuant16(p *SoftmaxInt16, in, out []int16, depth int) {
	for r := 0; r+depth <= len(in); r += depth {
		x := in[r : r+depth]
		y := out[r : r+depth]
		mx := int16(math.MinInt16)
		for _, v := range x {
			mx = max(mx, v)
		}
		var sum int32
		for c, v := range x {
			d := int32(v) - int32(mx)
			s := kernels.MultiplyByQuantizedMultiplier(d, p.Mult, p.Shift) + 32767
			e := lutLookup16(int16(kernels.Clamp32(s, math.MinInt16, math.MaxInt16)), &p.ExpLUT)
			y[c] = e
			sum += int32(e)
		}
		hp1 := clz32(uint32(sum))
		shifted := int32((int64(sum)<<uint(hp1-1) + 1<<13) >> 14)
		sym := shifted - (1<<15 + 1<<16)
		rec := int64(lutLookup16(int16(kernels.Clamp32(sym, math.MinInt16, math.MaxInt16)), &p.RecLUT))
		rs := uint(31 - hp1)
		round := int64(1) << (rs - 1)
		for c := range y {
			o := int32((int64(y[c])*rec + round) >> rs)
			y[c] = int16(kernels.Clamp32(o, 0, math.MaxInt16))
		}
	}
}
