//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

// hasMaxPoolVec reports AVX-512 F, which maxPoolPixelF32AVX512 and
// addPixelsF32AVX512 need (read-only after start-up).
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

//go:noescape
func addPixelsF32AVX512(acc, src *float32, n, stride, c int)

// addPixelsVec adds to acc[i], for each of n pixels j in order, src[j·stride
// + i], i in [0, len(acc)), and reports whether it did (n ≥ 1). The
// caller guarantees (n−1)·stride + len(acc) ≤ len(src).
func addPixelsVec(acc, src []float32, n, stride int) bool {
	if !hasMaxPoolVec || len(acc) == 0 || n < 1 {
		return false
	}
	_ = src[(n-1)*stride+len(acc)-1]
	addPixelsF32AVX512(&acc[0], &src[0], n, stride, len(acc))
	return true
}

//go:noescape
func maxPoolRowF32AVX512(out, in *float32, offs *int, k, c, n, instep, outstep int, lo, hi float32)

// maxPoolRowVec computes n output pixels of c channels whose windows have
// the same shape (window value j of pixel p at in[p·instep + offs[j]], the
// result at out[p·outstep]), clamped to act, and reports whether it did.
// The caller guarantees every read and write is in range.
func maxPoolRowVec(out, in []float32, offs []int, c, n, instep, outstep int, act FloatAct) bool {
	if !hasMaxPoolVec || n < 1 || c < 1 || len(offs) == 0 {
		return false
	}
	maxPoolRowF32AVX512(&out[0], &in[0], &offs[0], len(offs), c, n, 4*instep, 4*outstep, act.Min, act.Max)
	return true
}

//go:noescape
func maxPoolArgmaxRowF32AVX512(out, idx, in *float32, offs *int, pos *float32, k, c, n, instep, outstep int, lo, hi float32)

// maxPoolArgmaxRowVec computes n output pixels of MaxPoolArgmaxFloat whose
// windows have the same shape (window value j of pixel p at in[p·instep +
// offs[j]] with index pos[j]; results at out and idx [p·outstep]) and
// reports whether it did. The caller guarantees every read and write is in
// range.
func maxPoolArgmaxRowVec(out, idx, in []float32, offs []int, pos []float32, c, n, instep, outstep int, act FloatAct) bool {
	if !hasMaxPoolVec || n < 1 || c < 1 || len(offs) == 0 || len(pos) < len(offs) {
		return false
	}
	maxPoolArgmaxRowF32AVX512(&out[0], &idx[0], &in[0], &offs[0], &pos[0], len(offs), c, n, 4*instep, 4*outstep, act.Min, act.Max)
	return true
}
