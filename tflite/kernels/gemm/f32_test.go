package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestF32 checks the float32 kernels against a float64 dot product: every
// result within a relative 1e-5 of the sum of |terms|.
func TestF32(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 300; i++ {
		rows, k, o := 1+r.IntN(20), 1+r.IntN(300), 1+r.IntN(90)
		lda, ldo := k+r.IntN(5), o+r.IntN(5)
		a := make([]float32, (rows-1)*lda+k)
		for j := range a {
			a[j] = float32(r.NormFloat64())
		}
		wr := make([]float32, o*k)
		for j := range wr {
			wr[j] = float32(r.NormFloat64() * 0.1)
		}
		bias := make([]float32, o)
		for j := range bias {
			bias[j] = float32(r.NormFloat64())
		}
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if r.IntN(2) == 0 {
			lo, hi = 0, 6
		}
		w := PackF32(wr, bias, o, k)
		for _, generic := range []bool{true, false} {
			out := make([]float32, (rows-1)*ldo+o)
			for j := range out {
				out[j] = 12345
			}
			p0, p1 := 0, w.Panels
			if r.IntN(4) == 0 && w.Panels > 1 {
				p0 = 1
			}
			if generic {
				F32Generic(a, lda, rows, w, p0, p1, lo, hi, out, ldo)
			} else {
				F32(a, lda, rows, w, p0, p1, lo, hi, out, ldo)
			}
			for rr := 0; rr < rows; rr++ {
				for c := 0; c < o; c++ {
					got := out[rr*ldo+c]
					if c < p0*PanelN {
						if got != 12345 {
							t.Fatalf("channel %d outside the panel range was written", c)
						}
						continue
					}
					want, mag := float64(bias[c]), math.Abs(float64(bias[c]))
					for j := 0; j < k; j++ {
						p := float64(a[rr*lda+j]) * float64(wr[c*k+j])
						want += p
						mag += math.Abs(p)
					}
					want = math.Min(math.Max(want, float64(lo)), float64(hi))
					if math.Abs(float64(got)-want) > 1e-5*mag+1e-6 {
						t.Fatalf("case %d generic=%v rows %d k %d o %d: out[%d,%d] = %v, want %v", i, generic, rows, k, o, rr, c, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkF32(b *testing.B) {
	rows, k, o := 28*28, 192, 64
	a := make([]float32, rows*k)
	wr := make([]float32, o*k)
	for i := range a {
		a[i] = float32(i%7) * 0.1
	}
	w := PackF32(wr, nil, o, k)
	out := make([]float32, rows*o)
	for _, impl := range []string{"generic", "fast"} {
		b.Run(impl, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if impl == "generic" {
					F32Generic(a, k, rows, w, 0, w.Panels, 0, 6, out, o)
				} else {
					F32(a, k, rows, w, 0, w.Panels, 0, 6, out, o)
				}
			}
			b.ReportMetric(float64(rows*k*o)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// TestF32Seg: F32Seg over rows made of segs runs spread through a (each
// run segStride after the last, rows lda apart) gives bit for bit what
// F32 gives on the same rows gathered contiguously, and F32SegGeneric
// what F32Generic gives: the same products in the same order. Random
// run lengths (1..40: vector tails), run counts, strides, tiles of 1..20
// rows, 1..90 channels, panel ranges and clamps.
func TestF32Seg(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 300; i++ {
		rows, seg, segs, o := 1+r.IntN(20), 1+r.IntN(40), 1+r.IntN(5), 1+r.IntN(90)
		k := seg * segs
		segStride := seg + r.IntN(50)
		lda := 1 + r.IntN(3*seg)
		ldo := o + r.IntN(5)
		a := make([]float32, (rows-1)*lda+(segs-1)*segStride+seg)
		for j := range a {
			a[j] = float32(r.NormFloat64())
		}
		gathered := make([]float32, rows*k)
		for rr := range rows {
			for j := range segs {
				copy(gathered[rr*k+j*seg:][:seg], a[rr*lda+j*segStride:])
			}
		}
		wr, bias := make([]float32, o*k), make([]float32, o)
		for j := range wr {
			wr[j] = float32(r.NormFloat64() * 0.1)
		}
		for j := range bias {
			bias[j] = float32(r.NormFloat64())
		}
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if r.IntN(2) == 0 {
			lo, hi = 0, 6
		}
		w := PackF32(wr, bias, o, k)
		p0, p1 := 0, w.Panels
		if r.IntN(4) == 0 && w.Panels > 1 {
			p0 = 1
		}
		for _, generic := range []bool{false, true} {
			got, want := make([]float32, (rows-1)*ldo+o), make([]float32, (rows-1)*ldo+o)
			if generic {
				F32SegGeneric(a, lda, rows, segs, segStride, w, p0, p1, lo, hi, got, ldo)
				F32Generic(gathered, k, rows, w, p0, p1, lo, hi, want, ldo)
			} else {
				F32Seg(a, lda, rows, segs, segStride, w, p0, p1, lo, hi, got, ldo)
				F32(gathered, k, rows, w, p0, p1, lo, hi, want, ldo)
			}
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("case %d generic=%v rows %d seg %d segs %d stride %d lda %d o %d: out[%d] = %v, gathered rows give %v",
						i, generic, rows, seg, segs, segStride, lda, o, j, got[j], want[j])
				}
			}
		}
	}
}
