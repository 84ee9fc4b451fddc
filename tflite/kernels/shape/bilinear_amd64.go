//go:build amd64 && !noasm

package shape

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasBilinearVec reports AVX-512 F, which bilinearRowAVX512 needs
// (read-only after start-up).
var hasBilinearVec = cpu.X86.HasAVX512F

//go:noescape
func bilinearRowAVX512(r0, r1 *float32, x0, x1 *int, dx, ndx *float32, n, d int, dy, ndy, add float32, out unsafe.Pointer, u8 int)

// bilinearRowVec computes one output row of n pixels of d channels from
// input rows r0 (weight ndy) and r1 (weight dy) with the column tables, in
// the arithmetic order of BilinearF32.Run, and reports whether it did.
// float32 out gets the values (+ 0, as the reference); uint8 out gets
// BilinearU8's rounding (+ 0.5, truncation), the interpolated values
// lying in [0, 255] (uint8 rows, weights in [0, 1]). The caller
// guarantees every x0[i]+d, x1[i]+d is within r0 and r1, and that out
// holds n*d elements.
func bilinearRowVec[T float32 | uint8](r0, r1 []float32, x0, x1 []int, dx, ndx []float32, d int, dy, ndy float32, out []T) bool {
	n := len(x0)
	if !hasBilinearVec || n == 0 || d == 0 {
		return false
	}
	var add float32
	u8 := 0
	if unsafe.Sizeof(out[0]) == 1 {
		add, u8 = 0.5, 1
	}
	bilinearRowAVX512(&r0[0], &r1[0], &x0[0], &x1[0], &dx[0], &ndx[0], n, d, dy, ndy, add, unsafe.Pointer(&out[0]), u8)
	return true
}
