package elementwise

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// ErrParams reports quantization parameters a kernel cannot represent
// (a multiplier out of the range the fixed-point path supports).
var ErrParams = errors.New("quantization parameters out of range")

// Quant is the set of quantized element types the integer kernels handle.
type Quant interface{ ~int8 | ~uint8 | ~int16 }

// Number is the set of element types the plain (unquantized) kernels
// handle.
type Number interface {
	~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32
}

// Range returns the representable range of a quantized type T.
func Range[T Quant]() (lo, hi int32) {
	var z T
	switch any(z).(type) {
	case int8:
		return math.MinInt8, math.MaxInt8
	case uint8:
		return 0, math.MaxUint8
	}
	return math.MinInt16, math.MaxInt16
}

// smallerThanOne is TFLite's QuantizeMultiplierSmallerThanOneExp: it
// requires 0 < m < 1.
func smallerThanOne(m float64, what string) (int32, int, error) {
	if !(m > 0 && m < 1) {
		return 0, 0, fmt.Errorf("%w: %s multiplier %g not in (0, 1)", ErrParams, what, m)
	}
	q, s := kernels.QuantizeMultiplier(m)
	return q, s, nil
}

// multiplier is TFLite's QuantizeMultiplier, rejecting non-finite values
// and shifts the fixed-point helpers cannot apply.
func multiplier(m float64, what string) (int32, int, error) {
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return 0, 0, fmt.Errorf("%w: %s multiplier %g", ErrParams, what, m)
	}
	q, s := kernels.QuantizeMultiplier(m)
	if s > 30 || q == math.MinInt32 {
		return 0, 0, fmt.Errorf("%w: %s multiplier %g too large", ErrParams, what, m)
	}
	return q, s, nil
}

// wideMultiplier is multiplier without the bound on the shift: TFLite's
// double-rounding QuantizeMultiplier does not saturate real multipliers of
// 2^31 and more, and kernels.MultiplyByQuantizedMultiplier applies their
// shift as TFLite's reference runners do (modulo 32). Only kernels that
// apply the shift through that function may use it.
func wideMultiplier(m float64, what string) (int32, int, error) {
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return 0, 0, fmt.Errorf("%w: %s multiplier %g", ErrParams, what, m)
	}
	q, s := kernels.QuantizeMultiplier(m)
	return q, s, nil
}

// AddSub holds the parameters of quantized ADD and SUB on TFLite's general
// path: both inputs rescaled to a common scale with LeftShift extra bits,
// summed, and rescaled to the output.
type AddSub struct {
	Sub                       bool
	In1Offset, In2Offset      int32 // minus the input zero points
	OutOffset                 int32 // output zero point
	LeftShift                 int   // 20 for 8-bit, 15 for 16-bit
	In1Mult, In2Mult, OutMult int32
	In1Shift, In2Shift        int
	OutShift                  int
	ActMin, ActMax            int32
}

// NewAddSub derives the general-path parameters the way tflite-micro's
// add_common.cc does (in float64). int16 selects left shift 15, otherwise
// 20.
func NewAddSub(sub bool, s1, s2, so float32, z1, z2, zo int32, int16 bool, actMin, actMax int32) (AddSub, error) {
	p := AddSub{Sub: sub, In1Offset: -z1, In2Offset: -z2, OutOffset: zo, LeftShift: 20, ActMin: actMin, ActMax: actMax}
	if int16 {
		p.LeftShift = 15
	}
	// tflite-micro's sub_common.cc at 90b983c2b computes these in float32,
	// but the SUB goldens (produced upstream) match float64 arithmetic, as
	// ADD and TensorFlow Lite use; float64 it is.
	twice := 2 * float64(max(s1, s2))
	r1 := float64(s1) / twice
	r2 := float64(s2) / twice
	ro := twice / (float64(int32(1)<<p.LeftShift) * float64(so))
	var err error
	if p.In1Mult, p.In1Shift, err = smallerThanOne(r1, "input 1"); err != nil {
		return p, err
	}
	if p.In2Mult, p.In2Shift, err = smallerThanOne(r2, "input 2"); err != nil {
		return p, err
	}
	if p.OutMult, p.OutShift, err = smallerThanOne(ro, "output"); err != nil {
		return p, err
	}
	return p, nil
}

func (p *AddSub) scale1(v int32) int32 {
	return kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp((p.In1Offset+v)*(int32(1)<<p.LeftShift), p.In1Mult, p.In1Shift)
}

func (p *AddSub) scale2(v int32) int32 {
	return kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp((p.In2Offset+v)*(int32(1)<<p.LeftShift), p.In2Mult, p.In2Shift)
}

func (p *AddSub) out(s1, s2 int32) int32 {
	raw := s1 + s2
	if p.Sub {
		raw = s1 - s2
	}
	o := kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp(raw, p.OutMult, p.OutShift) + p.OutOffset
	return kernels.Clamp32(o, p.ActMin, p.ActMax)
}

// AddSubRow returns the row function of quantized ADD/SUB for Binary.
// 8-bit rows run on the int8 vector kernels where they apply, a scalar
// operand repeated, uint8 ones through the int8 kernels of the same
// operation on x ^ 0x80 = x − 128 (bytesVec).
func AddSubRow[T Quant](p AddSub) func(a, b, out []T) {
	vec, fast := addSubVectors(&p)
	var z T
	if _, u8 := any(z).(uint8); u8 {
		// The int8 operation on flipped bytes: x + off = x' + (off + 128),
		// and clamp(y + zo, lo, hi) − 128 = clamp(y + zo − 128, lo − 128, hi − 128).
		q := p
		q.In1Offset, q.In2Offset = p.In1Offset+128, p.In2Offset+128
		q.OutOffset, q.ActMin, q.ActMax = p.OutOffset-128, p.ActMin-128, p.ActMax-128
		vec, fast = addSubVectors(&q)
	}
	kern := byteKernel{add: &vec}
	return func(a, b, out []T) {
		if fast {
			a, b, out = bytesVecRows(a, b, out, kern)
		}
		switch {
		case len(a) == len(out) && len(b) == len(out):
			b = b[:len(a)]
			out = out[:len(a)]
			for i, x := range a {
				out[i] = T(p.out(p.scale1(int32(x)), p.scale2(int32(b[i]))))
			}
		case len(a) == 1:
			s1 := p.scale1(int32(a[0]))
			b = b[:len(out)]
			for i, y := range b {
				out[i] = T(p.out(s1, p.scale2(int32(y))))
			}
		default:
			s2 := p.scale2(int32(b[0]))
			a = a[:len(out)]
			for i, x := range a {
				out[i] = T(p.out(p.scale1(int32(x)), s2))
			}
		}
	}
}

// AddSubPOT holds the parameters of TFLite's int16 ADD/SUB path for
// power-of-two scales and zero zero points: each input is divided by a
// power of two (rounding) and the results added or subtracted.
type AddSubPOT struct {
	Sub                bool
	In1Right, In2Right int // right shifts, at least one of them 0
	ActMin, ActMax     int32
}

// AddSubPOTRow returns the row function of the int16 power-of-two path.
func AddSubPOTRow(p AddSubPOT) func(a, b, out []int16) {
	f := func(x, y int16) int16 {
		s1 := rdpot(int32(x), p.In1Right)
		s2 := rdpot(int32(y), p.In2Right)
		r := s1 + s2
		if p.Sub {
			r = s1 - s2
		}
		return int16(kernels.Clamp32(r, p.ActMin, p.ActMax))
	}
	return RowFunc(f)
}

// CheckedLog2 reports whether x is (within 1e-3 in the exponent) a power
// of two, and its rounded base-2 logarithm, computed in float32 as TFLite
// does.
func CheckedLog2(x float32) (int, bool) {
	l := float32(float32(math.Log(float64(x))) * (1 / float32(math.Log(2))))
	r := roundF32(l)
	f := l - r
	return int(r), f > -1e-3 && f < 1e-3
}

// Mul holds the parameters of quantized MUL.
type Mul struct {
	In1Offset, In2Offset, OutOffset int32
	OutMult                         int32
	OutShift                        int
	ActMin, ActMax                  int32
}

// NewMul derives MUL's parameters as tflite-micro's mul_common.cc does.
func NewMul(s1, s2, so float32, z1, z2, zo int32, actMin, actMax int32) (Mul, error) {
	p := Mul{In1Offset: -z1, In2Offset: -z2, OutOffset: zo, ActMin: actMin, ActMax: actMax}
	var err error
	p.OutMult, p.OutShift, err = wideMultiplier(float64(s1)*float64(s2)/float64(so), "output")
	return p, err
}

func (p *Mul) f(x, y int32) int32 {
	v := (p.In1Offset + x) * (p.In2Offset + y)
	o := kernels.MultiplyByQuantizedMultiplier(v, p.OutMult, p.OutShift) + p.OutOffset
	return kernels.Clamp32(o, p.ActMin, p.ActMax)
}

// MulRow returns the row function of quantized MUL for Binary. 8-bit
// rows run on the int8 vector kernel where it applies, as AddSubRow's
// do (uint8 ones as the same operation on flipped bytes).
func MulRow[T Quant](p Mul) func(a, b, out []T) {
	q := p
	var z T
	if _, u8 := any(z).(uint8); u8 {
		q.In1Offset, q.In2Offset = p.In1Offset+128, p.In2Offset+128
		q.OutOffset, q.ActMin, q.ActMax = p.OutOffset-128, p.ActMin-128, p.ActMax-128
	}
	vec, fast := mulVectors(&q)
	kern := byteKernel{mul: &vec}
	return func(a, b, out []T) {
		if fast {
			a, b, out = bytesVecRows(a, b, out, kern)
		}
		switch {
		case len(a) == len(out) && len(b) == len(out):
			b = b[:len(a)]
			out = out[:len(a)]
			for i, x := range a {
				out[i] = T(p.f(int32(x), int32(b[i])))
			}
		case len(a) == 1:
			x := int32(a[0])
			b = b[:len(out)]
			for i, y := range b {
				out[i] = T(p.f(x, int32(y)))
			}
		default:
			y := int32(b[0])
			a = a[:len(out)]
			for i, x := range a {
				out[i] = T(p.f(int32(x), y))
			}
		}
	}
}

// Div holds the parameters of quantized DIV.
type Div struct {
	In1Offset, In2Offset, OutOffset int32
	OutMult                         int32
	OutShift                        int
	ActMin, ActMax                  int32
}

// NewDiv derives DIV's parameters as tflite-micro's div.cc does (the
// multiplier s1/(s2*so) is computed in float32).
func NewDiv(s1, s2, so float32, z1, z2, zo int32, actMin, actMax int32) (Div, error) {
	p := Div{In1Offset: -z1, In2Offset: -z2, OutOffset: zo, ActMin: actMin, ActMax: actMax}
	var err error
	p.OutMult, p.OutShift, err = multiplier(float64(s1/(s2*so)), "output")
	return p, err
}

func (p *Div) f(x, y int32) int32 {
	a := p.In1Offset + x
	b := p.In2Offset + y
	if b == 0 {
		// Undefined upstream; saturate by the sign of the dividend.
		switch {
		case a > 0:
			return p.ActMax
		case a < 0:
			return p.ActMin
		}
		return kernels.Clamp32(p.OutOffset, p.ActMin, p.ActMax)
	}
	if b < 0 {
		a, b = -a, -b
	}
	inv, recipShift := reciprocal(b, 31)
	headroom := countLeadingSignBits(a)
	q := kernels.MultiplyByQuantizedMultiplierGreaterThanOne(a, inv, headroom)
	total := p.OutShift - recipShift - headroom
	var o int32
	if total <= 0 {
		o = kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp(q, p.OutMult, total)
	} else {
		o = kernels.MultiplyByQuantizedMultiplier(q, p.OutMult, total)
	}
	return kernels.Clamp32(o+p.OutOffset, p.ActMin, p.ActMax)
}

// DivRow returns the row function of quantized DIV for Binary. A zero
// divisor gives the activation bound in the direction of the dividend's
// sign (upstream leaves it undefined).
func DivRow[T Quant](p Div) func(a, b, out []T) {
	return RowFunc(func(x, y T) T { return T(p.f(int32(x), int32(y))) })
}

// SquaredDiff holds the parameters of quantized SQUARED_DIFFERENCE.
type SquaredDiff struct {
	In1Offset, In2Offset, OutOffset int32
	LeftShift                       int
	In1Mult, In2Mult, OutMult       int32
	In1Shift, In2Shift, OutShift    int
	ActMin, ActMax                  int32
}

// NewSquaredDiff derives the parameters as tflite-micro's
// squared_difference.cc does: left shift 7 for int8, 0 for int16.
func NewSquaredDiff(s1, s2, so float32, z1, z2, zo int32, int16 bool, actMin, actMax int32) (SquaredDiff, error) {
	p := SquaredDiff{In1Offset: -z1, In2Offset: -z2, OutOffset: zo, LeftShift: 7, ActMin: actMin, ActMax: actMax}
	if int16 {
		p.LeftShift = 0
	}
	twice := 2 * float64(max(s1, s2))
	var err error
	if p.In1Mult, p.In1Shift, err = smallerThanOne(float64(s1)/twice, "input 1"); err != nil {
		return p, err
	}
	if p.In2Mult, p.In2Shift, err = smallerThanOne(float64(s2)/twice, "input 2"); err != nil {
		return p, err
	}
	den := float64(float32(int32(1)<<(2*p.LeftShift)) * so)
	p.OutMult, p.OutShift, err = multiplier(twice*twice/den, "output")
	return p, err
}

func (p *SquaredDiff) f(x, y int32) int32 {
	s1 := kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp((p.In1Offset+x)*(int32(1)<<p.LeftShift), p.In1Mult, p.In1Shift)
	s2 := kernels.MultiplyByQuantizedMultiplierSmallerThanOneExp((p.In2Offset+y)*(int32(1)<<p.LeftShift), p.In2Mult, p.In2Shift)
	d := s1 - s2
	o := kernels.MultiplyByQuantizedMultiplier(d*d, p.OutMult, p.OutShift) + p.OutOffset
	return kernels.Clamp32(o, p.ActMin, p.ActMax)
}

// SquaredDiffRow returns the row function of quantized SQUARED_DIFFERENCE.
func SquaredDiffRow[T Quant](p SquaredDiff) func(a, b, out []T) {
	return RowFunc(func(x, y T) T { return T(p.f(int32(x), int32(y))) })
}

// RowFunc lifts an elementwise function to a row function for Binary.
func RowFunc[A, B, U any](f func(x A, y B) U) func(a []A, b []B, out []U) {
	return func(a []A, b []B, out []U) {
		switch {
		case len(a) == len(out) && len(b) == len(out):
			b = b[:len(a)]
			out = out[:len(a)]
			for i, x := range a {
				out[i] = f(x, b[i])
			}
		case len(a) == 1:
			x := a[0]
			b = b[:len(out)]
			for i, y := range b {
				out[i] = f(x, y)
			}
		default:
			y := b[0]
			a = a[:len(out)]
			for i, x := range a {
				out[i] = f(x, y)
			}
		}
	}
}

// Op names a plain arithmetic binary operator.
type Op int

// The plain binary operators.
const (
	OpAdd Op = iota
	OpSub
	OpMul
	OpDiv
	OpSquaredDiff
	OpMax
	OpMin
)

func clampT[T Number](v, lo, hi T) T {
	if v < lo {
		v = lo
	}
	if v > hi {
		v = hi
	}
	return v
}

// PlainRow returns the row function of op over unquantized values,
// clamping results to [lo, hi] (the fused activation; pass the type's full
// range for none). Integer arithmetic wraps. Integer DIV by zero yields 0.
func PlainRow[T Number](op Op, lo, hi T) func(a, b, out []T) {
	switch op {
	case OpAdd:
		return func(a, b, out []T) {
			if len(a) == len(out) && len(b) == len(out) {
				if fa, ok := any(a).([]float32); ok {
					n := addF32Vec(fa, any(b).([]float32), any(out).([]float32), any(lo).(float32), any(hi).(float32))
					a, b, out = a[n:], b[n:], out[n:]
				}
				b = b[:len(a)]
				out = out[:len(a)]
				for i, x := range a {
					out[i] = clampT(x+b[i], lo, hi)
				}
				return
			}
			RowFunc(func(x, y T) T { return clampT(x+y, lo, hi) })(a, b, out)
		}
	case OpSub:
		return RowFunc(func(x, y T) T { return clampT(x-y, lo, hi) })
	case OpMul:
		return func(a, b, out []T) {
			if len(a) == len(out) && len(b) == len(out) {
				if fa, ok := any(a).([]float32); ok {
					n := mulF32Vec(fa, any(b).([]float32), any(out).([]float32), any(lo).(float32), any(hi).(float32))
					a, b, out = a[n:], b[n:], out[n:]
				}
				b = b[:len(a)]
				out = out[:len(a)]
				for i, x := range a {
					out[i] = clampT(x*b[i], lo, hi)
				}
				return
			}
			RowFunc(func(x, y T) T { return clampT(x*y, lo, hi) })(a, b, out)
		}
	case OpDiv:
		return RowFunc(func(x, y T) T {
			var z T
			if y == z && !isFloat[T]() {
				return clampT(z, lo, hi)
			}
			return clampT(x/y, lo, hi)
		})
	case OpSquaredDiff:
		return RowFunc(func(x, y T) T { d := x - y; return clampT(d*d, lo, hi) })
	case OpMax:
		return RowFunc(func(x, y T) T { return clampT(max2(x, y), lo, hi) })
	default:
		return RowFunc(func(x, y T) T { return clampT(min2(x, y), lo, hi) })
	}
}

// max2 and min2 follow TFLite's MaximumOp and MinimumOp: the first
// argument if it compares greater (less), else the second; with a NaN they
// return the second.
func max2[T Number](x, y T) T {
	if x > y {
		return x
	}
	return y
}

func min2[T Number](x, y T) T {
	if x < y {
		return x
	}
	return y
}

func isFloat[T Number]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// addSubChunk is how many elements bytesVec prepares at a time.
const addSubChunk = 1024

// bytesVecRows runs bytesVec over rows a, b (each of len(out) or a scalar)
// and returns what is left of them for the scalar loop.
func bytesVecRows[T Quant](a, b, out []T, kern byteKernel) ([]T, []T, []T) {
	n := bytesVec(a, b, out, kern)
	if n == 0 {
		return a, b, out
	}
	if len(a) != 1 {
		a = a[n:]
	}
	if len(b) != 1 {
		b = b[n:]
	}
	return a, b, out[n:]
}

// byteKernel is the int8 vector kernel of ADD/SUB (add) or MUL (mul): a
// concrete type, so that the stack buffers bytesVec passes it stay on the
// stack.
type byteKernel struct {
	add *addSubKernels
	mul *mulVec
}

// run applies the kernel to equal-length rows and returns how many
// elements it did: all of rows that are a multiple of 16 long, or none.
func (k byteKernel) run(a, b, out []int8) int {
	if k.add != nil {
		return addSubInt8Vec(k.add, a, b, out)
	}
	return mulInt8Vec(k.mul, a, b, out)
}

// bytesVec runs kern over the largest multiple of 16
// elements of out for 8-bit rows a and b, each of len(out) or a scalar,
// and returns how many it did: int8 rows of full length go to kern as
// they are; scalars are repeated into a stack buffer, and uint8 rows are
// flipped into (and the result out of) stack buffers a chunk at a time,
// kern being built for the flipped operation.
func bytesVec[T Quant](a, b, out []T, kern byteKernel) int {
	n := len(out) &^ 15
	if n == 0 || (len(a) != len(out) && len(a) != 1) || (len(b) != len(out) && len(b) != 1) {
		return 0
	}
	var z T
	var u8 bool
	switch any(z).(type) {
	case int8:
	case uint8:
		u8 = true
	default:
		return 0
	}
	// Every T here is one byte: the rows as int8, without copies.
	bytes := func(x []T) []int8 { return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(x))), len(x)) }
	ia, ib, io := bytes(a), bytes(b), bytes(out)
	if !u8 && len(a) == len(out) && len(b) == len(out) {
		return kern.run(ia, ib, io)
	}
	var fa, fb, fo [addSubChunk]int8
	if len(a) == 1 {
		fill(&fa, ia[0], u8)
	}
	if len(b) == 1 {
		fill(&fb, ib[0], u8)
	}
	for i := 0; i < n; i += addSubChunk {
		m := min(addSubChunk, n-i)
		pa, pb, po := operand(ia, &fa, i, m, u8), operand(ib, &fb, i, m, u8), io[i:i+m]
		if u8 {
			po = fo[:m]
		}
		if kern.run(pa, pb, po) != m {
			return i // no vector kernel here: the caller's loop does the rest
		}
		if u8 {
			flipBytes(io[i:i+m], fo[:m])
		}
	}
	return n
}

// fill sets every element of buf to v, flipped when u8 (a scalar operand).
func fill(buf *[addSubChunk]int8, v int8, u8 bool) {
	if u8 {
		v ^= -128
	}
	for j := range buf {
		buf[j] = v
	}
}

// operand is bytesVec's int8 operand for elements [i, i+m) of the row x:
// the scalar's buffer, the flipped copy of a uint8 row in buf, or the int8
// row itself.
func operand(x []int8, buf *[addSubChunk]int8, i, m int, u8 bool) []int8 {
	switch {
	case len(x) == 1:
		return buf[:m]
	case u8:
		flipBytes(buf[:m], x[i:i+m])
		return buf[:m]
	}
	return x[i : i+m]
}

// flipBytes writes src with every byte's top bit flipped into dst
// (len(dst) ≥ len(src)): a uint8 x as the int8 x − 128, or back.
func flipBytes[D, S Byte](dst []D, src []S) {
	d := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(src))
	s := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
	i := 0
	for ; i+8 <= len(s); i += 8 {
		binary.LittleEndian.PutUint64(d[i:], binary.LittleEndian.Uint64(s[i:])^0x8080808080808080)
	}
	for ; i < len(s); i++ {
		d[i] = s[i] ^ 0x80
	}
}
