//go:build amd64 && !noasm

package conv

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestDWF32T9MatchesGeneric checks the 9-tap float32 depthwise kernel bit
// for bit against the any-tap one (same fused multiply-adds in the same
// order) on random taps, runs, strides and block counts.
func TestDWF32T9MatchesGeneric(t *testing.T) {
	if !hasDW {
		t.Skip("no vector depthwise kernel on this machine")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 300 {
		cb, n := 1+r.IntN(4), 1+r.IntN(9)
		c := 16 * cb
		ps := 4 * c * (r.IntN(3))
		in := randF32s(r, 4*c+(n+2)*c*3)
		in[r.IntN(len(in))] = float32(math.NaN())
		w, bias := randF32s(r, 9*c), randF32s(r, c)
		var taps [9]uintptr
		for i := range taps {
			taps[i] = uintptr(unsafe.Pointer(&in[r.IntN(4)*c]))
		}
		lo, hi := float32(-1+r.Float64()), float32(1+r.Float64())
		want, got := make([]float32, n*c), make([]float32, n*c)
		dwF32AVX512(&taps[0], 9, n, ps, &w[0], cb, &bias[0], &want[0], lo, hi)
		dwF32AVX512T9(&taps[0], n, ps, &w[0], cb, &bias[0], &got[0], lo, hi)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("blocks %d n %d ps %d: [%d] = %v, generic %v", cb, n, ps, j, got[j], want[j])
			}
		}
	}
}

// TestDWF32T9MMatchesGeneric checks the 9-tap float32 depthwise kernel for
// channel counts that end in a partial block bit for bit against the
// any-tap masked one, on random taps, runs, strides and channel counts
// (taps at the end of the input: masked lanes past it are not read).
func TestDWF32T9MMatchesGeneric(t *testing.T) {
	if !hasDW {
		t.Skip("no vector depthwise kernel on this machine")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for range 300 {
		c := 1 + r.IntN(70)
		if c%16 == 0 {
			c++
		}
		cb, n := (c+15)/16, 1+r.IntN(9)
		ps := 4 * c * (r.IntN(3))
		in := randF32s(r, 4*c+(n+2)*c*3)
		in[r.IntN(len(in))] = float32(math.NaN())
		w, bias := make([]float32, 9*16*cb), make([]float32, 16*cb)
		for b := range cb {
			for j := range min(16, c-16*b) {
				bias[16*b+j] = float32(r.NormFloat64())
				for k := range 9 {
					w[(b*9+k)*16+j] = float32(r.NormFloat64())
				}
			}
		}
		var taps [9]uintptr
		for i := range taps {
			taps[i] = uintptr(unsafe.Pointer(&in[r.IntN(4)*c]))
		}
		taps[8] = uintptr(unsafe.Pointer(&in[len(in)-c-(n-1)*ps/4]))
		lo, hi := float32(-1+r.Float64()), float32(1+r.Float64())
		want, got := make([]float32, n*c+1), make([]float32, n*c+1)
		want[n*c], got[n*c] = 7, 7
		mask := 1<<(c%16) - 1
		dwF32AVX512M(&taps[0], 9, n, ps, &w[0], cb, &bias[0], &want[0], lo, hi, 4*c, mask)
		dwF32AVX512T9M(&taps[0], n, ps, &w[0], cb, &bias[0], &got[0], lo, hi, 4*c, mask)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("channels %d n %d ps %d: [%d] = %v, generic %v", c, n, ps, j, got[j], want[j])
			}
		}
	}
}

// TestDWF32T25MMatchesGeneric checks the 25-tap (5x5) float32 depthwise
// kernel bit for bit against the any-tap masked one, over channel counts
// that fill their blocks and that end in a partial one, random taps, runs
// and strides (the last tap ending at the input's end).
func TestDWF32T25MMatchesGeneric(t *testing.T) {
	if !hasDW {
		t.Skip("no vector depthwise kernel on this machine")
	}
	r := rand.New(rand.NewPCG(13, 14))
	for i := range 300 {
		c := 1 + r.IntN(70)
		if i%3 == 0 {
			c = 16 * (1 + r.IntN(4))
		}
		cb, n := (c+15)/16, 1+r.IntN(9)
		ps := 4 * c * (r.IntN(3))
		in := randF32s(r, 6*c+(n+2)*c*3)
		in[r.IntN(len(in))] = float32(math.NaN())
		w, bias := make([]float32, 25*16*cb), make([]float32, 16*cb)
		for b := range cb {
			for j := range min(16, c-16*b) {
				bias[16*b+j] = float32(r.NormFloat64())
				for k := range 25 {
					w[(b*25+k)*16+j] = float32(r.NormFloat64())
				}
			}
		}
		var taps [25]uintptr
		for i := range taps {
			taps[i] = uintptr(unsafe.Pointer(&in[r.IntN(6)*c]))
		}
		taps[24] = uintptr(unsafe.Pointer(&in[len(in)-c-(n-1)*ps/4]))
		lo, hi := float32(-1+r.Float64()), float32(1+r.Float64())
		want, got := make([]float32, n*c+1), make([]float32, n*c+1)
		want[n*c], got[n*c] = 7, 7
		mask := 0xffff
		if c%16 != 0 {
			mask = 1<<(c%16) - 1
		}
		dwF32AVX512M(&taps[0], 25, n, ps, &w[0], cb, &bias[0], &want[0], lo, hi, 4*c, mask)
		dwF32AVX512T25M(&taps[0], n, ps, &w[0], cb, &bias[0], &got[0], lo, hi, 4*c, mask)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("channels %d n %d ps %d: [%d] = %v, generic %v", c, n, ps, j, got[j], want[j])
			}
		}
	}
}
