//go:build amd64 && !noasm

package shape

import "golang.org/x/sys/cpu"

// hasArgBytes reports what argBytesAVX512 needs (read-only after start-up).
var hasArgBytes = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

//go:noescape
func argBytesAVX512(in *byte, rows, axis int, out *int32, xor int)

// argBytesVec writes into out the index of the first largest (max) or
// smallest byte of each of len(out) rows of axis bytes of in (int8 when
// signed, else uint8) and reports whether it could (AVX-512, 1 ≤ axis ≤
// 64, in holding the rows).
func argBytesVec(in []byte, axis int, out []int32, signed, max bool) bool {
	if !hasArgBytes || axis < 1 || axis > 64 || len(out) == 0 {
		return false
	}
	_ = in[len(out)*axis-1]
	var xor int
	if signed {
		xor = 0x80
	}
	if !max {
		xor ^= 0xFF
	}
	argBytesAVX512(&in[0], len(out), axis, &out[0], xor)
	return true
}
