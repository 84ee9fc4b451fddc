//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// hasSumBytes reports the AVX-512 subset sumBytesAVX512 needs (read-only
// after start-up).
var hasSumBytes = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

//go:noescape
func sumBytesAVX512(src *byte, offs *int, rows int, n int, signed bool, acc *int32)

// sumBytesVec sums the leading multiple of 16 of n columns as SumBytes
// does, with AVX-512 where the CPU has it, and returns how many it summed.
// The caller has checked len(offs) ≥ 1, len(acc) ≥ n and every row.
func sumBytesVec(src []byte, offs []int, n int, signed bool, acc []int32) int {
	nv := n &^ 15
	if !hasSumBytes || nv == 0 {
		return 0
	}
	sumBytesAVX512(&src[0], &offs[0], len(offs), nv, signed, &acc[0])
	return nv
}
