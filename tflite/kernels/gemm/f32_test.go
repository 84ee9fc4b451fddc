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
