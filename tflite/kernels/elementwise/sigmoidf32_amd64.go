//go:build amd64 && !noasm

package elementwise

import "golang.org/x/sys/cpu"

// hasSigmoidVec reports AVX-512 F, which logisticF32AVX512 and
// tanhF32AVX512 need (read-only after start-up).
var hasSigmoidVec = cpu.X86.HasAVX512F

//go:noescape
func logisticF32AVX512(in, out *float32, n int)

//go:noescape
func tanhF32AVX512(in, out *float32, n int)

// logisticF32Vec applies LOGISTIC to in on the vector kernel and reports
// whether it did. len(out) ≥ len(in).
func logisticF32Vec(in, out []float32) bool {
	if !hasSigmoidVec || len(in) == 0 {
		return false
	}
	_ = out[len(in)-1]
	logisticF32AVX512(&in[0], &out[0], len(in))
	return true
}

// tanhF32Vec applies TANH to in on the vector kernel and reports whether
// it did. len(out) ≥ len(in).
func tanhF32Vec(in, out []float32) bool {
	if !hasSigmoidVec || len(in) == 0 {
		return false
	}
	_ = out[len(in)-1]
	tanhF32AVX512(&in[0], &out[0], len(in))
	return true
}
