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

//go:noescape
func addSubInt8Fast(a, b, out *int8, n int, p *addSubFast)

// addSubFast is the parameter block of addSubInt8Fast (layout fixed by the
// assembly; TestAddSubFastLayout checks the offsets).
type addSubFast struct {
	a2               int64 // 2A = 2^31 + [ro > 0]·2^(ro+31)
	off1, off2       int32
	mh1, ml1, c1     int32
	mh2, ml2, c2     int32
	mo               int32
	outOff, lo, hi   int32
	sub              int32
	sc1, r1, sc2, r2 int32 // sign shift (31, or 32 for r = 0) and right shift per input
	sco, ro          int32
	idx              [16]int32 // VPERMT2D index of the products' high halves
}

// addSubFastParams returns addSubInt8Fast's parameters, or ok=false when
// p is outside the range where its 32-bit input stage is exact.
//
// Input stage. TensorFlow Lite computes RoundingDivideByPOT(
// SaturatingRoundingDoublingHighMul(v·2^20, m), r) for v = x + offset.
// For m ≥ 0 the doubling high multiply of a·m is ⌊(a·m + 2^30)/2^31⌋ for
// either sign of a (its negative nudge 1 − 2^30 and truncation toward zero
// give the same floor), so with a = v·2^20 it is h = ⌊(v·m + 2^10)/2^11⌋,
// and with m = mh·2^11 + ml (0 ≤ ml < 2^11)
//
//	h = v·mh + ⌊(v·ml + 2^10)/2^11⌋,
//
// where |v| ≤ 256 keeps |v·mh| ≤ 2^28 and |v·ml| < 2^19: int32 products.
// The rounding divide is ⌊(h + 2^(r−1) − [h < 0])/2^r⌋ for r > 0 (ties
// away from zero); 2^(r−1) joins the inner floor as 2^(r+10) (r ≤ 19
// keeps that sum below 2^30), and [h < 0] may be replaced by [v < 0]:
// they differ only for v < 0 with h = 0, where both give 0.
//
// Output stage. raw = s1 ± s2 has |raw| < 2^29 + 2, so 2·raw is an int32
// and 2·raw·mo + 2A (A = 2^30 + [ro > 0]·2^(ro+30)) fits an int64; its
// high half is ⌊(raw·mo + A)/2^31⌋ = h + [ro > 0]·2^(ro−1), and the same
// sign argument gives the second rounding from [raw < 0].
func addSubFastParams(p *AddSub) (v addSubFast, ok bool) {
	if !hasAddSubVec || p.LeftShift != 20 || p.In1Mult < 0 || p.In2Mult < 0 || p.OutMult < 0 {
		return v, false
	}
	for _, s := range []int{p.In1Shift, p.In2Shift} {
		if s > 0 || s < -19 {
			return v, false
		}
	}
	if p.OutShift > 0 || p.OutShift < -31 {
		return v, false
	}
	for _, o := range []int32{p.In1Offset, p.In2Offset, p.OutOffset} {
		if o < -128 || o > 128 {
			return v, false
		}
	}
	input := func(m int32, shift int) (mh, ml, c, sc, r int32) {
		r = int32(-shift)
		mh, ml, c, sc = m>>11, m&(1<<11-1), 1<<10, 32
		if r > 0 {
			c += 1 << (r + 10)
			sc = 31
		}
		return
	}
	v.mh1, v.ml1, v.c1, v.sc1, v.r1 = input(p.In1Mult, p.In1Shift)
	v.mh2, v.ml2, v.c2, v.sc2, v.r2 = input(p.In2Mult, p.In2Shift)
	v.off1, v.off2, v.mo, v.outOff, v.lo, v.hi = p.In1Offset, p.In2Offset, p.OutMult, p.OutOffset, p.ActMin, p.ActMax
	v.ro, v.sco, v.a2 = int32(-p.OutShift), 32, 1<<31
	if v.ro > 0 {
		v.sco = 31
		v.a2 += 1 << (v.ro + 31)
	}
	if p.Sub {
		v.sub = 1
	}
	for j := range v.idx {
		if j%2 == 0 {
			v.idx[j] = int32(j + 1)
		} else {
			v.idx[j] = int32(j + 16)
		}
	}
	return v, true
}

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

// addSubKernels holds the vector kernels' parameters for one AddSub:
// fast when addSubFastParams accepted it, else general.
type addSubKernels struct {
	fast    addSubFast
	general addSubVec
	useFast bool
}

// addSubVectors returns the vector parameters of p, or ok=false when no
// vector kernel can apply them exactly.
func addSubVectors(p *AddSub) (k addSubKernels, ok bool) {
	if k.fast, k.useFast = addSubFastParams(p); k.useFast {
		return k, true
	}
	k.general, ok = addSubVector(p)
	return k, ok
}

// addSubInt8Vec runs the vector kernel over the largest multiple of 16
// elements of equal-length int8 rows and returns how many it did.
func addSubInt8Vec[T Quant](k *addSubKernels, a, b, out []T) int {
	var z T
	if unsafe.Sizeof(z) != 1 || ^z > 0 { // int8 only: ^0 is -1 < 0 for signed types
		return 0
	}
	n := len(out) &^ 15
	if n == 0 || len(a) < n || len(b) < n {
		return 0
	}
	pa, pb, po := (*int8)(unsafe.Pointer(&a[0])), (*int8)(unsafe.Pointer(&b[0])), (*int8)(unsafe.Pointer(&out[0]))
	if k.useFast {
		addSubInt8Fast(pa, pb, po, n, &k.fast)
	} else {
		addSubInt8AVX512(pa, pb, po, n, &k.general)
	}
	return n
}
