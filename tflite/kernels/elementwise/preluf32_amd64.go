//go:build amd64 && !noasm

package elementwise

import "golang.org/x/sys/cpu"

// hasPreluF32Vec reports AVX-512 F, which preluF32AVX512 needs (read-only
// after start-up).
var hasPreluF32Vec = cpu.X86.HasAVX512F

//go:noescape
func preluF32AVX512(a, alpha, out *float32, n int)

// preluF32Vec applies float PRELU to the largest multiple of 16 leading
// elements of equal-length rows and returns how many it did.
func preluF32Vec(a, alpha, out []float32) int {
	n := len(out) &^ 15
	if !hasPreluF32Vec || n == 0 || len(a) < n || len(alpha) < n {
		return 0
	}
	preluF32AVX512(&a[0], &alpha[0], &out[0], n)
	return n
}

//go:noescape
func hardSwishF32AVX512(in, out *float32, n int)

// hardSwishF32Vec applies float HARD_SWISH to the largest multiple of 16
// leading elements and returns how many it did.
func hardSwishF32Vec(in, out []float32) int {
	n := len(in) &^ 15
	if !hasPreluF32Vec || n == 0 || len(out) < n {
		return 0
	}
	hardSwishF32AVX512(&in[0], &out[0], n)
	return n
}
