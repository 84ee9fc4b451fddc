// Package fft holds the float FFT behind TensorFlow Lite's RFFT2D: a
// radix-2 transform in double precision (TFLite runs RFFT2D in double
// through Ooura's fft2d and rounds the result to complex64), so the results
// agree with TFLite's to float32 rounding.
//
// A Plan is immutable and safe for concurrent use; the work buffer is the
// caller's.
package fft

import (
	"math"
	"math/bits"
)

// Plan computes 2-D real FFTs of one size: H rows of W real values in,
// H×(W/2+1) complex values out. H and W are powers of two.
type Plan struct {
	H, W int
	twH  []complex128 // e^{-2πik/H}, k < H/2
	revH []int32
	// Rows are real: one complex FFT of W/2 points over (even, odd)
	// pairs, then a post-pass with twR.
	twM  []complex128 // e^{-2πik/(W/2)}, k < W/4
	revM []int32
	twR  []complex128 // e^{-2πik/W}, k ≤ W/2
}

// IsPowerOfTwo reports whether n is a positive power of two.
func IsPowerOfTwo(n int) bool { return n > 0 && n&(n-1) == 0 }

// NewPlan returns the plan for an H×W transform (powers of two).
func NewPlan(h, w int) *Plan {
	p := &Plan{H: h, W: w}
	p.twH, p.revH = tables(h)
	if w >= 2 {
		p.twM, p.revM = tables(w / 2)
		p.twR = make([]complex128, w/2+1)
		for k := range p.twR {
			s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(w))
			p.twR[k] = complex(c, s)
		}
	}
	return p
}

func tables(n int) ([]complex128, []int32) {
	tw := make([]complex128, n/2)
	for k := range tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		tw[k] = complex(c, s)
	}
	rev := make([]int32, n)
	shift := 64 - bits.Len(uint(n-1))
	for i := range rev {
		if n > 1 {
			rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
		}
	}
	return tw, rev
}

// WorkLen returns the complex128 values of work Rfft2D needs.
func (p *Plan) WorkLen() int { return p.H*(p.W/2+1) + max(p.W, p.H) }

func cmplxConj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// fft transforms x (len n, a power of two) in place: bit reversal, then
// iterative radix-2 butterflies (the first two stages, whose twiddles are
// 1 and −i, without multiplications).
func fft(x []complex128, tw []complex128, rev []int32) {
	n := len(x)
	for i, r := range rev[:n] {
		if int(r) > i {
			x[i], x[r] = x[r], x[i]
		}
	}
	if n >= 2 {
		for i := 0; i+1 < n; i += 2 {
			a, b := x[i], x[i+1]
			x[i], x[i+1] = a+b, a-b
		}
	}
	if n >= 4 {
		for i := 0; i+3 < n; i += 4 {
			q := x[i : i+4 : i+4]
			a, b := q[0], q[2]
			q[0], q[2] = a+b, a-b
			c := q[3]
			d := complex(imag(c), -real(c)) // c·(−i)
			a = q[1]
			q[1], q[3] = a+d, a-d
		}
	}
	for size := 8; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			lo := x[start : start+half : start+half]
			hi := x[start+half : start+size : start+size]
			for k := range lo {
				t := hi[k] * tw[k*step]
				u := lo[k]
				lo[k] = u + t
				hi[k] = u - t
			}
		}
	}
}

// Rfft2D writes the H×(W/2+1) transform of in (rows of inW values, inH
// rows; cropped or zero-padded to H×W as TFLite does) to out as interleaved
// float32 (real, imaginary) pairs. work holds WorkLen values.
func (p *Plan) Rfft2D(in []float32, inH, inW int, out []float32, work []complex128) {
	bins := p.W/2 + 1
	spec := work[:p.H*bins]
	line := work[p.H*bins : p.H*bins+max(p.W, p.H)]
	rows, cols := min(inH, p.H), min(inW, p.W)
	for r := range p.H {
		out := spec[r*bins : (r+1)*bins]
		if p.W == 1 {
			out[0] = 0
			if r < rows && cols > 0 {
				out[0] = complex(float64(in[r*inW]), 0)
			}
			continue
		}
		// z[n] = x[2n] + i·x[2n+1], zero-padded.
		m := p.W / 2
		z := line[:m]
		clear(z)
		if r < rows {
			src := in[r*inW : r*inW+cols]
			j := 0
			for ; j+1 < len(src); j += 2 {
				z[j>>1] = complex(float64(src[j]), float64(src[j+1]))
			}
			if j < len(src) {
				z[j>>1] = complex(float64(src[j]), 0)
			}
		}
		fft(z, p.twM, p.revM)
		// X[k] = E[k] + w^k·O[k] with E = (Z[k] + conj(Z[m-k]))/2 and
		// O = (Z[k] − conj(Z[m-k]))/2i; at k = 0 (and m) E and O are
		// Z[0]'s real and imaginary parts.
		z0 := z[0]
		out[0] = complex(real(z0)+imag(z0), 0)
		out[m] = complex(real(z0)-imag(z0), 0)
		for k := 1; k <= m/2; k++ {
			j := m - k
			a, b := z[k], cmplxConj(z[j])
			out[k] = (a+b)*0.5 + p.twR[k]*((a-b)*complex(0, -0.5))
			if j != k {
				// X[m-k] from the same pair: Z[m-k] and conj(Z[k]).
				a2, b2 := z[j], cmplxConj(z[k])
				out[j] = (a2+b2)*0.5 + p.twR[j]*((a2-b2)*complex(0, -0.5))
			}
		}
	}
	if p.H > 1 {
		col := line[:p.H]
		for b := range bins {
			for r := range p.H {
				col[r] = spec[r*bins+b]
			}
			fft(col, p.twH, p.revH)
			for r := range p.H {
				spec[r*bins+b] = col[r]
			}
		}
	}
	for i, v := range spec {
		out[2*i] = float32(real(v))
		out[2*i+1] = float32(imag(v))
	}
}
