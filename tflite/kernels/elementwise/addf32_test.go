package elementwise

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddRowFloat32 checks the float32 ADD row (vector kernel where the
// machine has one) bit for bit against the scalar clamp(a+b, lo, hi) for
// lengths around the vector widths, NaN, ±Inf and signed zeros, with and
// without a fused activation.
func TestAddRowFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 6, -1}
	clamps := [][2]float32{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, 6}, {-1, 1}, {0, float32(math.Inf(1))}}
	for i := 0; i < 300; i++ {
		n := r.IntN(200)
		if i < 80 {
			n = i
		}
		a, b := make([]float32, n), make([]float32, n)
		for j := range a {
			a[j], b[j] = float32(r.NormFloat64()*4), float32(r.NormFloat64()*4)
			if r.IntN(10) == 0 {
				a[j] = special[r.IntN(len(special))]
			}
			if r.IntN(10) == 0 {
				b[j] = special[r.IntN(len(special))]
			}
		}
		c := clamps[r.IntN(len(clamps))]
		got := make([]float32, n)
		PlainRow[float32](OpAdd, c[0], c[1])(a, b, got)
		for j := range a {
			want := a[j] + b[j]
			if want < c[0] {
				want = c[0]
			}
			if want > c[1] {
				want = c[1]
			}
			if math.Float32bits(got[j]) != math.Float32bits(want) && !(want != want && got[j] != got[j]) {
				t.Fatalf("n=%d clamp %v: element %d: %v + %v = %v, want %v", n, c, j, a[j], b[j], got[j], want)
			}
		}
	}
}

// TestMulRowFloat32 is TestAddRowFloat32 for MUL (the vector multiply
// with the same clamp).
func TestMulRowFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 6, -1}
	clamps := [][2]float32{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, 6}, {-1, 1}, {0, float32(math.Inf(1))}}
	for i := 0; i < 300; i++ {
		n := r.IntN(200)
		if i < 80 {
			n = i
		}
		a, b := make([]float32, n), make([]float32, n)
		for j := range a {
			a[j], b[j] = float32(r.NormFloat64()*4), float32(r.NormFloat64()*4)
			if r.IntN(10) == 0 {
				a[j] = special[r.IntN(len(special))]
			}
			if r.IntN(10) == 0 {
				b[j] = special[r.IntN(len(special))]
			}
		}
		c := clamps[r.IntN(len(clamps))]
		got := make([]float32, n)
		PlainRow[float32](OpMul, c[0], c[1])(a, b, got)
		for j := range a {
			want := a[j] * b[j]
			if want < c[0] {
				want = c[0]
			}
			if want > c[1] {
				want = c[1]
			}
			if math.Float32bits(got[j]) != math.Float32bits(want) && !(want != want && got[j] != got[j]) {
				t.Fatalf("n=%d clamp %v: element %d: %v * %v = %v, want %v", n, c, j, a[j], b[j], got[j], want)
			}
		}
	}
}

func BenchmarkAddRowFloat32(b *testing.B) {
	n := 56 * 56 * 24
	x, y, out := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%97)*0.25, float32(i%89)*-0.5
	}
	row := PlainRow[float32](OpAdd, float32(math.Inf(-1)), float32(math.Inf(1)))
	b.ReportAllocs()
	b.SetBytes(int64(4 * n))
	for b.Loop() {
		row(x, y, out)
	}
}
