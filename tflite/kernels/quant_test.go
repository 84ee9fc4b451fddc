package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestQuantizeMultiplier(t *testing.T) {
	tests := []struct {
		name  string
		real  float64
		mult  int32
		shift int
	}{
		{"zero", 0, 0, 0},
		{"one", 1, 1 << 30, 1},
		{"half", 0.5, 1 << 30, 0},
		{"quarter", 0.25, 1 << 30, -1},
		{"three quarters", 0.75, 3 << 29, 0},
		{"rounds up to next power", 1 - 1e-12, 1 << 30, 1},
		{"tiny flushes to zero", 1e-12, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, s := QuantizeMultiplier(tc.real)
			if m != tc.mult || s != tc.shift {
				t.Fatalf("QuantizeMultiplier(%v) = (%d, %d), want (%d, %d)", tc.real, m, s, tc.mult, tc.shift)
			}
		})
	}
	// Property: multiplier in [2^30, 2^31) and m*2^(s-31) within 2^-31
	// relative of the real value.
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i++ {
		r := math.Exp(rng.Float64()*40 - 30)
		m, s := QuantizeMultiplier(r)
		if m == 0 {
			continue
		}
		if m < 1<<30 {
			t.Fatalf("QuantizeMultiplier(%v) multiplier %d below 2^30", r, m)
		}
		got := math.Ldexp(float64(m), s-31)
		if math.Abs(got-r)/r > 1.0/(1<<30) {
			t.Fatalf("QuantizeMultiplier(%v) = %d·2^%d = %v", r, m, s-31, got)
		}
	}
}

// srdhmExact computes round-half-away(2ab / 2^32) ... as TFLite defines it,
// with big integers, for cross-checking.
func srdhmExact(a, b int32) int32 {
	if a == math.MinInt32 && b == math.MinInt32 {
		return math.MaxInt32
	}
	ab := new(big.Int).Mul(big.NewInt(int64(a)), big.NewInt(int64(b)))
	nudge := big.NewInt(1 << 30)
	if ab.Sign() < 0 {
		nudge = big.NewInt(1 - (1 << 30))
	}
	ab.Add(ab, nudge)
	// Division truncating toward zero, as C++ does.
	q := new(big.Int).Quo(ab, big.NewInt(1<<31))
	return int32(q.Int64())
}

func TestSaturatingRoundingDoublingHighMul(t *testing.T) {
	edge := []int32{0, 1, -1, 2, -2, 1 << 30, -(1 << 30), math.MaxInt32, math.MinInt32, 12345, -12345}
	for _, a := range edge {
		for _, b := range edge {
			if got, want := SaturatingRoundingDoublingHighMul(a, b), srdhmExact(a, b); got != want {
				t.Errorf("SRDHM(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 100000; i++ {
		a, b := int32(rng.Uint32()), int32(rng.Uint32())
		if got, want := SaturatingRoundingDoublingHighMul(a, b), srdhmExact(a, b); got != want {
			t.Fatalf("SRDHM(%d, %d) = %d, want %d", a, b, got, want)
		}
	}
}

func TestRoundingDivideByPOT(t *testing.T) {
	tests := []struct {
		x    int32
		e    int
		want int32
	}{
		{3, 1, 2}, {-3, 1, -2}, {5, 2, 1}, {-5, 2, -1}, {6, 2, 2}, {-6, 2, -2},
		{7, 0, 7}, {math.MaxInt32, 31, 1}, {math.MinInt32, 31, -1}, {1, 1, 1}, {-1, 1, -1},
	}
	for _, tc := range tests {
		if got := RoundingDivideByPOT(tc.x, tc.e); got != tc.want {
			t.Errorf("RoundingDivideByPOT(%d, %d) = %d, want %d", tc.x, tc.e, got, tc.want)
		}
	}
}

func TestMultiplyByQuantizedMultiplier(t *testing.T) {
	// With the exact multiplier of a power of two the double rounding is a
	// plain rounded shift.
	m, s := QuantizeMultiplier(0.25)
	for _, c := range [][2]int32{{8, 2}, {10, 3}, {-10, -3}, {6, 2}, {-6, -2}, {0, 0}} {
		if got := MultiplyByQuantizedMultiplier(c[0], m, s); got != c[1] {
			t.Errorf("MBQM(%d, 0.25) = %d, want %d", c[0], got, c[1])
		}
	}
	// Against float: within one of x*real for random values.
	rng := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 10000; i++ {
		r := math.Exp(rng.Float64()*10 - 8)
		m, s := QuantizeMultiplier(r)
		x := int32(rng.Int32N(1<<20)) - 1<<19
		got := MultiplyByQuantizedMultiplier(x, m, s)
		if want := float64(x) * r; math.Abs(float64(got)-want) > 1 {
			t.Fatalf("MBQM(%d, %v) = %d, float gives %v", x, r, got, want)
		}
	}
}
