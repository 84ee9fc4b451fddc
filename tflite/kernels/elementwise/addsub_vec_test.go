package elementwise

import (
	"math/rand/v2"
	"testing"
)

// TestAddSubRowInt8Vector checks the row function (vector kernel where the
// machine has one) against the scalar formula, element by element, for
// random scales, zero points, clamps and lengths around the vector width.
func TestAddSubRowInt8Vector(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for i := 0; i < 400; i++ {
		s1, s2, so := float32(0.001+r.Float64()), float32(0.001+r.Float64()), float32(0.001+r.Float64())
		z1, z2, zo := r.Int32N(256)-128, r.Int32N(256)-128, r.Int32N(256)-128
		lo, hi := int32(-128), int32(127)
		if r.IntN(3) == 0 {
			lo = zo
		}
		p, err := NewAddSub(r.IntN(2) == 0, s1, s2, so, z1, z2, zo, false, lo, hi)
		if err != nil {
			continue
		}
		n := 1 + r.IntN(70)
		a, b := make([]int8, n), make([]int8, n)
		for j := range a {
			a[j], b[j] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
		}
		got := make([]int8, n)
		AddSubRow[int8](p)(a, b, got)
		for j := range a {
			want := int8(p.out(p.scale1(int32(a[j])), p.scale2(int32(b[j]))))
			if got[j] != want {
				t.Fatalf("case %d %+v: element %d of %d: %d, want %d", i, p, j, n, got[j], want)
			}
		}
	}
}

func BenchmarkAddSubRowInt8(b *testing.B) {
	p, err := NewAddSub(false, 0.05, 0.07, 0.09, 3, -5, 1, false, -128, 127)
	if err != nil {
		b.Fatal(err)
	}
	row := AddSubRow[int8](p)
	n := 56 * 56 * 24
	x, y, out := make([]int8, n), make([]int8, n), make([]int8, n)
	for i := range x {
		x[i], y[i] = int8(i*7), int8(i*13)
	}
	b.ReportAllocs()
	b.SetBytes(int64(n))
	for b.Loop() {
		row(x, y, out)
	}
}
