//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

// hasMaxPoolVec reports AVX-512 F, which maxPoolPixelF32AVX512 needs
// (read-only after start-up).
var hasMaxPoolVec = cpu.X86.HasAVX512F

//go:noescape
func maxPoolPixelF32AVX512(out, in *float32, offs *int, k, c int)

// maxPoolPixelVec sets out[i] to Go's max over j of in[offs[j]+i] (-Inf
// for no offsets) for i in [0, len(out)) and reports whether it did. The
// caller guarantees every offs[j]+len(out) is within in.
func maxPoolPixelVec(out, in []float32, offs []int) bool {
	if !hasMaxPoolVec || len(out) == 0 || len(offs) == 0 {
		return false
	}
	maxPoolPixelF32AVX512(&out[0], &in[0], &offs[0], len(offs), len(out))
	return true
}
