package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// transposeGeom returns MediaPipe's Convolution2DTransposeBias geometry
// for an h×w×ic input, an oc×kh×kw×ic filter, stride s and SAME (same
// true) or VALID padding, as tflite/ops/custom derives it.
func transposeGeom(h, w, ic, oc, kh, kw, s int, same bool) Geom {
	g := Geom{Batch: 1, InH: h, InW: w, InC: ic, OutC: oc, KH: kh, KW: kw, StrideH: s, StrideW: s, DilH: 1, DilW: 1, FilterInC: ic}
	var ph, pw int
	if same {
		ph, pw = max(0, kh-(h-1)%s-1), max(0, kw-(w-1)%s-1)
	}
	g.OutH, g.OutW = s*(h-1)+kh-ph, s*(w-1)+kw-pw
	g.PadH, g.PadW = ph/2, pw/2
	return g
}

// TestTransposeConvF32MatchesRef checks the GEMM-based transpose
// convolution against TransposeConvBiasFloat (MediaPipe's order) over
// random geometries: direct (stride = kernel, incl. odd sizes whose last
// row or column is cropped) and overlapping windows, SAME and VALID,
// 1..40 input channels (vector tails), 1..20 output channels, batches and
// 1..3 parts. The GEMM reassociates each sum, so every output must agree
// within 2·2^-24·(k+1)·Σ|terms| for its k products and bias.
func TestTransposeConvF32MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	direct := 0
	for i := range 300 {
		h, w, s := 1+r.IntN(7), 1+r.IntN(7), 1+r.IntN(3)
		kh, kw := 1+r.IntN(4), 1+r.IntN(4)
		if i%3 == 0 {
			kh, kw = s, s
		}
		ic, oc := 1+r.IntN(40), 1+r.IntN(20)
		if i%4 == 0 {
			oc = 1
		}
		g := transposeGeom(h, w, ic, oc, kh, kw, s, r.IntN(2) == 0)
		g.Batch = 1 + r.IntN(2)
		in, f, bias := randF32s(r, g.Batch*h*w*ic), randF32s(r, oc*kh*kw*ic), randF32s(r, oc)
		tc := NewTransposeConvF32(g, f, bias)
		if tc.direct {
			direct++
		}
		n := 1 + r.IntN(3)
		got := make([]float32, g.Batch*g.OutH*g.OutW*oc)
		for j := range got {
			got[j] = float32(math.NaN()) // every output must be written
		}
		scratch := make([]float32, tc.ScratchBytes(n)/4)
		for p := range n {
			tc.RunParts(in, got, scratch, n, p, p+1)
		}
		ft := TransposeOHWI(f, oc, kh, kw, ic, make([]float32, len(f)))
		want := make([]float32, len(got))
		TransposeConvBiasFloat(&g, in, ft, bias, want, 0, g.Batch*g.OutH)
		abs := func(v []float32) []float32 {
			a := make([]float32, len(v))
			for j, x := range v {
				a[j] = float32(math.Abs(float64(x)))
			}
			return a
		}
		mag := make([]float32, len(got))
		TransposeConvBiasFloat(&g, abs(in), abs(ft), abs(bias), mag, 0, g.Batch*g.OutH)
		k := float64((kh+s-1)/s*((kw+s-1)/s)*ic + 1)
		for j := range want {
			tol := 2 * math.Ldexp(1, -24) * (k + 1) * float64(mag[j])
			if d := math.Abs(float64(got[j]) - float64(want[j])); !(d <= tol) {
				t.Fatalf("%+v parts %d [%d]: got %v, want %v (diff %g > %g)", g, n, j, got[j], want[j], d, tol)
			}
		}
	}
	if direct < 60 {
		t.Fatalf("only %d direct geometries", direct)
	}
}

// BenchmarkTransposeConvF32 times selfie_segmentation's head: 128x128x16
// to 256x256x1, 2x2 stride 2, against the gathering loop.
func BenchmarkTransposeConvF32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name            string
		h, ic, oc, k, s int
	}{{"selfie_128x16_k2s2_oc1", 128, 16, 1, 2, 2}, {"hair_16x8_k3s2_oc8", 16, 8, 8, 3, 2}} {
		g := transposeGeom(tc.h, tc.h, tc.ic, tc.oc, tc.k, tc.k, tc.s, true)
		in, f, bias := randF32s(r, tc.h*tc.h*tc.ic), randF32s(r, tc.oc*tc.k*tc.k*tc.ic), randF32s(r, tc.oc)
		out := make([]float32, g.OutH*g.OutW*tc.oc)
		macs := float64(len(in) * tc.oc * tc.k * tc.k)
		b.Run(tc.name+"/gemm", func(b *testing.B) {
			t := NewTransposeConvF32(g, f, bias)
			s := make([]float32, t.ScratchBytes(1)/4)
			b.ReportAllocs()
			for b.Loop() {
				t.RunParts(in, out, s, 1, 0, 1)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
		b.Run(tc.name+"/gather", func(b *testing.B) {
			ft := TransposeOHWI(f, tc.oc, tc.k, tc.k, tc.ic, make([]float32, len(f)))
			b.ReportAllocs()
			for b.Loop() {
				TransposeConvBiasFloat(&g, in, ft, bias, out, 0, g.OutH)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
