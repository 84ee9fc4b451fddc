//go:build amd64 && !noasm

package elementwise

import "golang.org/x/sys/cpu"

// hasAddF32Vec reports AVX-512 F, which addF32AVX512 needs (read-only
// after start-up).
var hasAddF32Vec = cpu.X86.HasAVX512F

//go:noescape
func addF32AVX512(a, b, out *float32, n int, lo, hi float32)

// addF32Vec adds the largest multiple of 16 leading elements of
// equal-length float32 rows with the clamp and returns how many it did.
func addF32Vec(a, b, out []float32, lo, hi float32) int {
	n := len(out) &^ 15
	if !hasAddF32Vec || n == 0 || len(a) < n || len(b) < n {
		return 0
	}
	addF32AVX512(&a[0], &b[0], &out[0], n, lo, hi)
	return n
}

//go:noescape
func mulF32AVX512(a, b, out *float32, n int, lo, hi float32)

// mulF32Vec multiplies the largest multiple of 16 leading elements of
// equal-length float32 rows with the clamp and returns how many it did.
func mulF32Vec(a, b, out []float32, lo, hi float32) int {
	n := len(out) &^ 15
	if !hasAddF32Vec || n == 0 || len(a) < n || len(b) < n {
		return 0
	}
	mulF32AVX512(&a[0], &b[0], &out[0], n, lo, hi)
	return n
}
