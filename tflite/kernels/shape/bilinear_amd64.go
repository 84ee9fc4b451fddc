//go:build amd64 && !noasm

package shape

import "golang.org/x/sys/cpu"

// hasBilinearVec reports AVX-512 F, which bilinearRowF32AVX512 needs
// (read-only after start-up).
var hasBilinearVec = cpu.X86.HasAVX512F

//go:noescape
func bilinearRowF32AVX512(r0, r1 *float32, x0, x1 *int, dx, ndx *float32, n, d int, dy, ndy float32, out *float32)

// bilinearRowVec computes one output row of n pixels of d channels from
// input rows r0 (weight ndy) and r1 (weight dy) with the column tables, in
// the arithmetic order of BilinearF32.Run, and reports whether it did.
// The caller guarantees every x0[i]+d, x1[i]+d is within r0 and r1, and
// that out holds n*d elements.
func bilinearRowVec(r0, r1 []float32, x0, x1 []int, dx, ndx []float32, d int, dy, ndy float32, out []float32) bool {
	n := len(x0)
	if !hasBilinearVec || n == 0 || d == 0 {
		return false
	}
	bilinearRowF32AVX512(&r0[0], &r1[0], &x0[0], &x1[0], &dx[0], &ndx[0], n, d, dy, ndy, &out[0])
	return true
}

//go:noescape
func roundU8AVX512(src *float32, n int, dst *uint8)

// roundU8 sets dst[i] = uint8(src[i] + 0.5) for src values in [0, 255.5)
// (BilinearU8's final rounding), on AVX-512 where present.
func roundU8(src []float32, dst []uint8) {
	if len(src) == 0 {
		return
	}
	_ = dst[len(src)-1]
	if hasBilinearVec {
		roundU8AVX512(&src[0], len(src), &dst[0])
		return
	}
	roundU8Generic(src, dst)
}
