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
	twW  []complex128 // e^{-2πik/W}, k < W/2
	revH []int32
	revW []int32
}

// IsPowerOfTwo reports whether n is a positive power of two.
func IsPowerOfTwo(n int) bool { return n > 0 && n&(n-1) == 0 }

// NewPlan returns the plan for an H×W transform (powers of two).
func NewPlan(h, w int) *Plan {
	p := &Plan{H: h, W: w}
	p.twH, p.revH = tables(h)
	p.twW, p.revW = tables(w)
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

// fft transforms x (len n, a power of two) in place: bit reversal, then
// iterative radix-2 butterflies.
func fft(x []complex128, tw []complex128, rev []int32) {
	n := len(x)
	for i, r := range rev {
		if int(r) > i {
			x[i], x[r] = x[r], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := range half {
				t := x[start+k+half] * tw[k*step]
				u := x[start+k]
				x[start+k] = u + t
				x[start+k+half] = u - t
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
		row := line[:p.W]
		clear(row)
		if r < rows {
			for c := range cols {
				row[c] = complex(float64(in[r*inW+c]), 0)
			}
		}
		fft(row, p.twW, p.revW)
		copy(spec[r*bins:(r+1)*bins], row[:bins])
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
