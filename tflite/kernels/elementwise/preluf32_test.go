package elementwise

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPreluRowFloat32 checks the float32 PRELU row (vector kernel where the
// machine has one) bit for bit against the scalar reference preluF32 for
// lengths around the vector widths, NaN, ±Inf and signed zeros in both
// operands, and for a broadcast scalar on either side.
func TestPreluRowFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 0.25, -1}
	row := PreluFloatRow()
	for i := 0; i < 400; i++ {
		n := 1 + r.IntN(300)
		if i < 100 {
			n = i + 1
		}
		a, b := make([]float32, n), make([]float32, n)
		for j := range a {
			a[j], b[j] = float32(r.NormFloat64()*4), float32(r.NormFloat64())
			if r.IntN(10) == 0 {
				a[j] = special[r.IntN(len(special))]
			}
			if r.IntN(10) == 0 {
				b[j] = special[r.IntN(len(special))]
			}
		}
		var la, lb int
		switch i % 3 {
		case 0, 1:
			la, lb = n, n
		case 2:
			la, lb = n, 1
			if r.IntN(2) == 0 {
				la, lb = 1, n
			}
		}
		got := make([]float32, n)
		row(a[:la], b[:lb], got)
		for j := range got {
			x, y := a[0], b[0]
			if la == n {
				x = a[j]
			}
			if lb == n {
				y = b[j]
			}
			want := preluF32(x, y)
			if math.Float32bits(got[j]) != math.Float32bits(want) && !(math.IsNaN(float64(got[j])) && math.IsNaN(float64(want))) {
				t.Fatalf("n=%d la=%d lb=%d [%d]: prelu(%v, %v) = %v (%#x), want %v (%#x)", n, la, lb, j, x, y, got[j], math.Float32bits(got[j]), want, math.Float32bits(want))
			}
		}
	}
}

// BenchmarkPreluRowFloat32 times one 96x96x32 float PRELU with per-channel
// alpha, as MediaPipe's palm detector runs it (rows of 32 channels).
func BenchmarkPreluRowFloat32(b *testing.B) {
	const rows, c = 96 * 96, 32
	r := rand.New(rand.NewPCG(1, 2))
	a, al, out := make([]float32, rows*c), make([]float32, c), make([]float32, rows*c)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	for i := range al {
		al[i] = float32(r.Float64())
	}
	row := PreluFloatRow()
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < rows; i++ {
			row(a[i*c:(i+1)*c], al, out[i*c:(i+1)*c])
		}
	}
}

// TestHardSwishFloat checks HardSwishFloat (vector kernel where the
// machine has one) bit for bit against the scalar reference for lengths
// around the vector width, with NaN, ±Inf, ±0 and the knees at -3 and 3.
func TestHardSwishFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), -3, 3, -2.9999998, 3.0000002}
	for i := 0; i < 300; i++ {
		n := r.IntN(200)
		if i < 80 {
			n = i
		}
		in := make([]float32, n)
		for j := range in {
			in[j] = float32(r.NormFloat64() * 4)
			if r.IntN(8) == 0 {
				in[j] = special[r.IntN(len(special))]
			}
		}
		got, want := make([]float32, n), make([]float32, n)
		HardSwishFloat(in, got)
		hardSwishFloatRef(in, want)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) && !(math.IsNaN(float64(got[j])) && math.IsNaN(float64(want[j]))) {
				t.Fatalf("n=%d [%d]: hard_swish(%v) = %v, want %v", n, j, in[j], got[j], want[j])
			}
		}
	}
}
