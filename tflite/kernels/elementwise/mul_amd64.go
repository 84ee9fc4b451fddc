//go:build amd64 && !noasm

package elementwise

import "math"

// mulVec is the parameter block of mulInt8AVX512 (layout fixed by the
// assembly; TestMulVecLayout checks it).
type mulVec struct {
	off1, off2, left, m int32
	add, thr, sh        int64
	outOff, lo, hi      int32
	_                   int32
}

//go:noescape
func mulInt8AVX512(a, b, out *int8, n int, p *mulVec)

// mulVectors returns the vector kernel's parameters for p, or ok=false
// where it cannot apply them exactly (no AVX-512, a negative multiplier,
// or clamp bounds outside int8).
//
// With X = v·2^left (int32, wrapping as TFLite's does), P = X·m and R the
// right shift, MultiplyByQuantizedMultiplier's two roundings are
// ⌊(P + 2^30)/2^31⌋ then ⌊(h + 2^(R−1) − [h < 0])/2^R⌋ (R > 0), and
// h < 0 exactly when P < −2^30, so together
//
//	⌊(P + 2^30 + (2^(R−1) − [P < −2^30])·2^31) / 2^(31+R)⌋,
//
// (⌊(⌊y/B⌋ + c)/C⌋ = ⌊(y + cB)/(BC)⌋ for integer c); for R = 0 the
// threshold is never met and the addend is 2^30.
func mulVectors(p *Mul) (v mulVec, ok bool) {
	// A left shift of 32 or more is taken modulo 32, as
	// kernels.MultiplyByQuantizedMultiplier (and TFLite on x86) does.
	left, right := max(p.OutShift, 0)&31, max(-p.OutShift, 0)
	if !hasAddSubVec || p.OutMult < 0 || right > 31 ||
		p.ActMin < math.MinInt8 || p.ActMax > math.MaxInt8 || p.ActMin > p.ActMax {
		return v, false
	}
	v = mulVec{off1: p.In1Offset, off2: p.In2Offset, left: int32(left), m: p.OutMult,
		add: 1 << 30, thr: math.MinInt64, sh: int64(31 + right), outOff: p.OutOffset, lo: p.ActMin, hi: p.ActMax}
	if right > 0 {
		v.add += int64(1) << (right - 1) << 31
		v.thr = -(1 << 30)
	}
	return v, true
}

// mulInt8Vec runs the vector kernel over the whole of equal-length int8
// rows whose length is a multiple of 16 and returns it.
func mulInt8Vec(v *mulVec, a, b, out []int8) int {
	n := len(out)
	if n == 0 || n%16 != 0 || len(a) < n || len(b) < n {
		return 0
	}
	mulInt8AVX512(&a[0], &b[0], &out[0], n, v)
	return n
}
