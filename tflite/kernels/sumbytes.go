package kernels

import (
	"encoding/binary"
)

// SumChunk is the most rows SumBytes adds per call: 16-bit lanes hold 257
// sums of bytes (257·255 = 65535) before they must be moved out.
const SumChunk = 256

// SumBytes adds column j of every row to acc[j] for the leading n&^7
// columns (n ≤ len(acc)) and returns how many columns it summed; the
// caller sums the rest. Row r starts at src[offs[r]] and holds at least n
// bytes; len(offs) ≤ SumChunk. Bytes are int8 when signed, else uint8.
// With AVX-512 the leading multiple of 16 columns are widened to int32
// and added 64 at a time (sumBytesAVX512). Otherwise eight columns go through one uint64: their bytes (biased by +128 when
// signed, so that every lane is in [0, 255]) split into even and odd
// 16-bit lanes summed there, moved to acc at the end with the bias taken
// off — integer sums, so the result is exactly Σ_r src[offs[r]+j].
func SumBytes(src []byte, offs []int, n int, signed bool, acc []int32) int {
	const lanes = 0x00FF00FF00FF00FF
	nc := n &^ 7
	if nc == 0 || len(offs) == 0 {
		return 0
	}
	if len(offs) > SumChunk || len(acc) < nc {
		panic("kernels: SumBytes: more than SumChunk rows or acc too short")
	}
	for _, off := range offs {
		_ = src[off+nc-1] // every row holds the columns summed (the vector kernel reads them unchecked)
	}
	if done := sumBytesVec(src, offs, nc, signed, acc); done > 0 {
		if done == nc {
			return nc
		}
		return done + SumBytes(src[done:], offs, n-done, signed, acc[done:])
	}
	var flip uint64
	if signed {
		flip = 0x8080808080808080
	}
	var even, odd [SumChunk / 8 * 4]uint64 // up to 1024 columns per pass
	for c0 := 0; c0 < nc; c0 += 8 * len(even) {
		w := min(len(even), (nc-c0)/8)
		ev, od := even[:w], odd[:w]
		clear(ev)
		clear(od)
		for _, off := range offs {
			row := src[off+c0 : off+c0+8*w]
			for k := range ev {
				v := binary.LittleEndian.Uint64(row[8*k:]) ^ flip
				ev[k] += v & lanes
				od[k] += v >> 8 & lanes
			}
		}
		bias := int32(0)
		if signed {
			bias = int32(128 * len(offs))
		}
		a := acc[c0 : c0+8*w]
		for k := range ev {
			e, o := ev[k], od[k]
			for l := 0; l < 4; l++ {
				a[8*k+2*l] += int32(e>>(16*l)&0xFFFF) - bias
				a[8*k+2*l+1] += int32(o>>(16*l)&0xFFFF) - bias
			}
		}
	}
	return nc
}
