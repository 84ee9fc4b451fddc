package signal

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestSqrt checks the fixed-point square roots against exact integer
// square roots: the reference rounds to nearest (up when the remainder
// exceeds the root), saturating at the result's width.
func TestSqrt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	want := func(x uint64, limit uint64) uint64 {
		s := new(big.Int).Sqrt(new(big.Int).SetUint64(x)).Uint64()
		if x-s*s > s && s < limit {
			s++
		}
		return s
	}
	for i := range 50000 {
		var x uint64
		switch i % 3 {
		case 0:
			x = uint64(r.Uint32())
		case 1:
			x = r.Uint64() >> r.IntN(64)
		default:
			x = uint64(i)
		}
		lim := uint64(math.MaxUint32)
		if x>>32 == 0 {
			lim = 0xFFFF
		}
		if got := uint64(Sqrt64(x)); got != want(x, lim) {
			t.Fatalf("Sqrt64(%d) = %d, want %d", x, got, want(x, lim))
		}
	}
}

// TestLog32 checks the fixed-point log against math.Log, with an output
// scale small enough that the reference's 32-bit scaling does not wrap:
// within its interpolation and rounding error.
func TestLog32(t *testing.T) {
	for x64 := uint64(2); x64 < 1<<32; x64 = x64*3/2 + 1 {
		x := uint32(x64)
		got := float64(Log32(x, 1024)) / 1024
		if w := math.Log(float64(x)); math.Abs(got-w) > 1e-3+2e-4*w {
			t.Fatalf("Log32(%d) = %v, ln = %v", x, got, w)
		}
	}
}
