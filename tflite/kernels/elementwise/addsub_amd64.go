//go:build amd64 && !noasm

package elementwise

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAddSubVec reports the AVX-512 subset addSubInt8AVX512 needs
// (read-only after start-up).
var hasAddSubVec = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// addSubVec is the parameter block of addSubInt8AVX512 (layout fixed by
// the assembly).
type addSubVec struct {
	off1, off2, left    int32
	m1, r1, mask1, thr1 int32
	m2, r2, mask2, thr2 int32
	mo, ro, masko, thro int32
	outOff, lo, hi      int32
	sub                 int32
}

//go:noescape
func addSubInt8AVX512(a, b, out *int8, n int, p *addSubVec)

// rounding returns the right shift, mask and threshold of
// RoundingDivideByPOT for a non-positive shift.
func rounding(shift int) (r, mask, thr int32) {
	r = int32(-shift)
	mask = int32(uint32(1)<<uint(r) - 1)
	return r, mask, mask >> 1
}

// addSubVector returns the vector parameters of p, or ok=false when the
// vector kernel cannot apply them exactly.
func addSubVector(p *AddSub) (v addSubVec, ok bool) {
	if !hasAddSubVec {
		return v, false
	}
	for _, s := range []int{p.In1Shift, p.In2Shift, p.OutShift} {
		if s > 0 || s < -31 {
			return v, false
		}
	}
	if p.In1Mult < 0 || p.In2Mult < 0 || p.OutMult < 0 || p.LeftShift < 0 || p.LeftShift > 31 {
		return v, false
	}
	v = addSubVec{off1: p.In1Offset, off2: p.In2Offset, left: int32(p.LeftShift),
		m1: p.In1Mult, m2: p.In2Mult, mo: p.OutMult, outOff: p.OutOffset, lo: p.ActMin, hi: p.ActMax}
	v.r1, v.mask1, v.thr1 = rounding(p.In1Shift)
	v.r2, v.mask2, v.thr2 = rounding(p.In2Shift)
	v.ro, v.masko, v.thro = rounding(p.OutShift)
	if p.Sub {
		v.sub = 1
	}
	return v, true
}

// addSubInt8Vec runs the vector kernel over the largest multiple of 16
// elements of equal-length int8 rows and returns how many it did.
func addSubInt8Vec[T Quant](v *addSubVec, a, b, out []T) int {
	var z T
	if unsafe.Sizeof(z) != 1 || ^z > 0 { // int8 only: ^0 is -1 < 0 for signed types
		return 0
	}
	n := len(out) &^ 15
	if n == 0 || len(a) < n || len(b) < n {
		return 0
	}
	addSubInt8AVX512((*int8)(unsafe.Pointer(&a[0])), (*int8)(unsafe.Pointer(&b[0])), (*int8)(unsafe.Pointer(&out[0])), n, v)
	return n
}
