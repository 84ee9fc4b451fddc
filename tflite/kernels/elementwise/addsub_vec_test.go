package elementwise

import (
	"math/rand/v2"
	"testing"
)

// TestAddSubRowInt8Vector checks the row function (vector kernel where the
// machine has one) against the scalar formula, element by element, for
// random scales, zero points, clamps, lengths around the vector width, and
// either operand a broadcast scalar.
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
		ra, rb := scalarOperand(a, b, i)
		AddSubRow[int8](p)(ra, rb, got)
		for j := range got {
			want := int8(p.out(p.scale1(int32(ra[min(j, len(ra)-1)])), p.scale2(int32(rb[min(j, len(rb)-1)]))))
			if got[j] != want {
				t.Fatalf("case %d %+v: element %d of %d (operand lengths %d, %d): %d, want %d", i, p, j, n, len(ra), len(rb), got[j], want)
			}
		}
	}
}

// TestAddSubRowUint8Vector checks the uint8 row function (the int8 vector
// kernels on flipped bytes, a chunk at a time) against the scalar formula
// for random scales (down to multipliers that round to zero), zero
// points, clamps, lengths around the vector width and the chunk, and
// either operand a broadcast scalar.
func TestAddSubRowUint8Vector(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for i := 0; i < 400; i++ {
		s1, s2, so := float32(0.001+r.Float64()), float32(0.001+r.Float64()), float32(0.001+r.Float64())
		if i%5 == 0 { // an LSTM cell's products: the output multiplier is 0
			s1, s2 = float32(3e-35*r.Float64()), float32(1e-35)
		}
		z1, z2, zo := r.Int32N(256), r.Int32N(256), r.Int32N(256)
		lo, hi := int32(0), int32(255)
		if r.IntN(3) == 0 {
			lo, hi = zo/2, 200+zo/5
		}
		p, err := NewAddSub(r.IntN(2) == 0, s1, s2, so, z1, z2, zo, false, lo, hi)
		if err != nil {
			continue
		}
		n := 1 + r.IntN(70)
		if i%2 == 0 {
			n = 1000 + r.IntN(1200)
		}
		a, b := make([]uint8, n), make([]uint8, n)
		for j := range a {
			a[j], b[j] = uint8(r.IntN(256)), uint8(r.IntN(256))
		}
		got := make([]uint8, n)
		ra, rb := scalarOperand(a, b, i)
		AddSubRow[uint8](p)(ra, rb, got)
		for j := range got {
			want := uint8(p.out(p.scale1(int32(ra[min(j, len(ra)-1)])), p.scale2(int32(rb[min(j, len(rb)-1)]))))
			if got[j] != want {
				t.Fatalf("case %d %+v: element %d of %d (operand lengths %d, %d): %d, want %d", i, p, j, n, len(ra), len(rb), got[j], want)
			}
		}
	}
}

// scalarOperand returns a and b, or, for every third case i, one of them
// cut to its first element (a broadcast scalar, as ADD with a constant).
func scalarOperand[T int8 | uint8](a, b []T, i int) ([]T, []T) {
	switch i % 3 {
	case 1:
		return a[:1], b
	case 2:
		return a, b[:1]
	}
	return a, b
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
