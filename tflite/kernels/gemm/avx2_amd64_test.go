//go:build amd64 && !noasm

package gemm

import (
	"math/rand/v2"
	"testing"
)

// TestInt8AVX2 runs the AVX2 fallback directly (it is not the kernel Int8
// picks on a VNNI machine) against the naive formula.
func TestInt8AVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for i := 0; i < 300; i++ {
		p := newProblem(t, rng, 1+rng.IntN(20), 1+rng.IntN(200), 1+rng.IntN(90), rng.Int32N(256)-128, rng.IntN(4) == 0)
		p.w.widen()
		want := p.naive()
		got := make([]int8, len(want))
		if need := (p.rows-1)*p.lda + p.w.KP; len(p.a) < need {
			p.a = append(p.a, make([]int8, need-len(p.a))...)
		}
		int8AVX2(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, got, p.ldo)
		for r := 0; r < p.rows; r++ {
			for c := 0; c < p.o; c++ {
				if g, w := got[r*p.ldo+c], want[r*p.ldo+c]; g != w {
					t.Fatalf("case %d rows %d k %d o %d: out[%d,%d] = %d, want %d", i, p.rows, p.k, p.o, r, c, g, w)
				}
			}
		}
	}
}

func BenchmarkInt8AVX2(b *testing.B) {
	if !hasAVX2 {
		b.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	p := newProblem(b, rng, 28*28, 192, 32, 3, false)
	p.w.widen()
	out := make([]int8, (p.rows-1)*p.ldo+p.o)
	b.ReportAllocs()
	for b.Loop() {
		int8AVX2(p.a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo)
	}
	b.ReportMetric(float64(p.rows*p.k*p.o)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// extraImpls returns the kernels this machine can run besides the one Int8
// picks, for the differential tests.
func extraImpls() map[string]func(p *problem) []int8 {
	impls := map[string]func(p *problem) []int8{}
	if hasVNNI {
		// The general epilogue, which Int8 takes only for layers out of the
		// fast one's range.
		impls["vnni-general"] = func(p *problem) []int8 {
			a := p.a
			if need := (p.rows-1)*p.lda + p.w.KP; len(a) < need {
				a = append(a[:len(a):len(a)], make([]int8, need-len(a))...)
			}
			out := make([]int8, (p.rows-1)*p.ldo+p.o)
			int8VNNI(a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo, epiGeneral, 1, p.w.KP, nil)
			return out
		}
	}
	if !hasAVX2 {
		return impls
	}
	impls["avx2"] = func(p *problem) []int8 {
		if p.w.data16 == nil {
			p.w.widen()
		}
		a := p.a
		if need := (p.rows-1)*p.lda + p.w.KP; len(a) < need {
			a = append(a[:len(a):len(a)], make([]int8, need-len(a))...)
		}
		out := make([]int8, (p.rows-1)*p.ldo+p.o)
		int8AVX2(a, p.lda, p.rows, p.w, p.q, 0, p.w.Panels, out, p.ldo)
		return out
	}
	return impls
}
