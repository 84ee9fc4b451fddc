package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// dft is the textbook 2-D DFT of the cropped/zero-padded input.
func dft(in []float32, inH, inW, h, w int) []complex128 {
	out := make([]complex128, h*(w/2+1))
	for k1 := range h {
		for k2 := 0; k2 <= w/2; k2++ {
			var s complex128
			for n1 := 0; n1 < min(h, inH); n1++ {
				for n2 := 0; n2 < min(w, inW); n2++ {
					ph := -2 * math.Pi * (float64(k1*n1)/float64(h) + float64(k2*n2)/float64(w))
					s += complex(float64(in[n1*inW+n2]), 0) * cmplx.Exp(complex(0, ph))
				}
			}
			out[k1*(w/2+1)+k2] = s
		}
	}
	return out
}

// TestRfft2DAgainstDFT checks the plan against the textbook transform
// over sizes, crops and pads (the fast path must stay the same function).
func TestRfft2DAgainstDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ inH, inW, h, w int }{
		{1, 1, 1, 1}, {1, 2, 1, 2}, {1, 3, 1, 4}, {1, 16, 1, 16}, {2, 5, 4, 8}, {5, 10, 4, 8}, {3, 64, 8, 64}, {1, 400, 1, 512},
	} {
		in := make([]float32, c.inH*c.inW)
		for i := range in {
			in[i] = float32(r.NormFloat64())
		}
		p := NewPlan(c.h, c.w)
		out := make([]float32, 2*c.h*(c.w/2+1))
		p.Rfft2D(in, c.inH, c.inW, out, make([]complex128, p.WorkLen()))
		want := dft(in, c.inH, c.inW, c.h, c.w)
		for i, v := range want {
			got := complex(float64(out[2*i]), float64(out[2*i+1]))
			if cmplx.Abs(got-v) > 1e-4*(1+cmplx.Abs(v)) {
				t.Fatalf("%+v: bin %d = %v, want %v", c, i, got, v)
			}
		}
	}
}

// BenchmarkRfft2D is YAMNet's STFT: 96 frames of 512 points.
func BenchmarkRfft2D(b *testing.B) {
	const frames, w = 96, 512
	in := make([]float32, frames*w)
	for i := range in {
		in[i] = float32(math.Sin(float64(i)))
	}
	p := NewPlan(1, w)
	out := make([]float32, 2*(w/2+1))
	work := make([]complex128, p.WorkLen())
	b.ReportAllocs()
	for b.Loop() {
		for f := range frames {
			p.Rfft2D(in[f*w:(f+1)*w], 1, w, out, work)
		}
	}
}
