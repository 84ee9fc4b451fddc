//go:build amd64 && !noasm

package conv

//go:noescape
func flipSignAVX512(dst, src *byte, n int)

// flipSignVec flips src into dst (len(dst) ≥ len(src) ≥ 1) with AVX-512
// where the CPU has it (the rowSums subset), and reports whether it did.
func flipSignVec(dst, src []byte) bool {
	if !hasRowSums {
		return false
	}
	_ = dst[len(src)-1]
	flipSignAVX512(&dst[0], &src[0], len(src))
	return true
}
