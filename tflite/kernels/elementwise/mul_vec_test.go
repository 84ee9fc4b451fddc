package elementwise

import (
	"math/rand/v2"
	"testing"
)

// TestMulRowVector checks MulRow's 8-bit rows (the vector kernel where the
// machine has one, uint8 through flipped bytes) against the scalar
// formula for random scales (right shifts, none, left shifts below and
// above 32, and multipliers that round to zero), zero points, clamps, lengths around
// the vector width and the chunk, and either operand a broadcast scalar.
func TestMulRowVector(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := 0; i < 600; i++ {
		s1, s2, so := float32(0.001+r.Float64()), float32(0.001+r.Float64()), float32(0.001+r.Float64())
		switch i % 4 {
		case 1:
			so /= 3000 // left shifts
		case 2:
			s1 = float32(1e-35 * r.Float64()) // the multiplier rounds to zero
		case 3:
			if i%16 == 3 {
				so = float32(1e-35 * r.Float64()) // left shifts of 32 and more (taken modulo 32)
			}
		}
		n := 1 + r.IntN(70)
		if i%2 == 0 {
			n = 1000 + r.IntN(1200)
		}
		if i%8 < 4 {
			z1, z2, zo := r.Int32N(256)-128, r.Int32N(256)-128, r.Int32N(256)-128
			lo, hi := int32(-128), int32(127)
			if r.IntN(3) == 0 {
				lo, hi = zo/2, 100+zo/5
			}
			p, err := NewMul(s1, s2, so, z1, z2, zo, lo, hi)
			if err != nil {
				continue
			}
			a, b, got := make([]int8, n), make([]int8, n), make([]int8, n)
			for j := range a {
				a[j], b[j] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
			}
			ra, rb := scalarOperand(a, b, i/8)
			MulRow[int8](p)(ra, rb, got)
			for j := range got {
				if want := int8(p.f(int32(ra[min(j, len(ra)-1)]), int32(rb[min(j, len(rb)-1)]))); got[j] != want {
					t.Fatalf("int8 case %d %+v: element %d of %d (operand lengths %d, %d): %d, want %d", i, p, j, n, len(ra), len(rb), got[j], want)
				}
			}
			continue
		}
		z1, z2, zo := r.Int32N(256), r.Int32N(256), r.Int32N(256)
		lo, hi := int32(0), int32(255)
		if r.IntN(3) == 0 {
			lo, hi = zo/2, 200+zo/5
		}
		p, err := NewMul(s1, s2, so, z1, z2, zo, lo, hi)
		if err != nil {
			continue
		}
		a, b, got := make([]uint8, n), make([]uint8, n), make([]uint8, n)
		for j := range a {
			a[j], b[j] = uint8(r.IntN(256)), uint8(r.IntN(256))
		}
		ra, rb := scalarOperand(a, b, i/8)
		MulRow[uint8](p)(ra, rb, got)
		for j := range got {
			if want := uint8(p.f(int32(ra[min(j, len(ra)-1)]), int32(rb[min(j, len(rb)-1)]))); got[j] != want {
				t.Fatalf("uint8 case %d %+v: element %d of %d (operand lengths %d, %d): %d, want %d", i, p, j, n, len(ra), len(rb), got[j], want)
			}
		}
	}
}

// TestByteRowsDoNotAllocate checks that the 8-bit row functions keep their
// chunk buffers on the stack (uint8 rows, a scalar operand).
func TestByteRowsDoNotAllocate(t *testing.T) {
	add, err := NewAddSub(false, 0.02, 0.03, 0.04, 3, 200, 7, false, 0, 255)
	if err != nil {
		t.Fatal(err)
	}
	mul, err := NewMul(0.02, 0.03, 0.04, 3, 200, 7, 0, 255)
	if err != nil {
		t.Fatal(err)
	}
	a, b, out := make([]uint8, 3000), []uint8{9}, make([]uint8, 3000)
	for name, row := range map[string]func(a, b, out []uint8){"ADD": AddSubRow[uint8](add), "MUL": MulRow[uint8](mul)} {
		if n := testing.AllocsPerRun(20, func() { row(a, b, out) }); n != 0 {
			t.Errorf("%s allocates %v times per row", name, n)
		}
	}
}
