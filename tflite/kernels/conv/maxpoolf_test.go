package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPoolFloatMatchesRef checks the channel-inner float MAX_POOL_2D bit
// for bit against the channel-outer maxPoolFloatRef over window sizes,
// strides, padding and fused clamps, with NaN, ±Inf and ±0 in the input.
func TestMaxPoolFloatMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	acts := []FloatAct{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, 6}, {-1, 1}}
	for i := 0; i < 300; i++ {
		c := 1 + r.IntN(40)
		g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(10), InW: 1 + r.IntN(10), InC: c, OutC: c,
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), DilH: 1, DilW: 1}
		g.PadH, g.PadW = r.IntN(g.KH), r.IntN(g.KW)
		g.OutH = (g.InH+2*g.PadH-g.KH)/g.StrideH + 1
		g.OutW = (g.InW+2*g.PadW-g.KW)/g.StrideW + 1
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		in := make([]float32, g.Batch*g.InH*g.InW*c)
		for j := range in {
			if r.IntN(8) == 0 {
				in[j] = special[r.IntN(len(special))]
			} else {
				in[j] = float32(r.NormFloat64() * 3)
			}
		}
		n := g.Batch * g.OutH * g.OutW * c
		want, got := make([]float32, n), make([]float32, n)
		act := acts[r.IntN(len(acts))]
		maxPoolFloatRef(&g, act, in, want, 0, g.Batch*g.OutH)
		MaxPoolFloat(&g, act, in, got, 0, g.Batch*g.OutH)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) && !(math.IsNaN(float64(got[j])) && math.IsNaN(float64(want[j]))) {
				t.Fatalf("%+v [%d]: got %v, want %v", g, j, got[j], want[j])
			}
		}
	}
}

// BenchmarkMaxPoolFloat times palm_detection_lite's 2x2 stride-2 pool of
// 96x96x32.
func BenchmarkMaxPoolFloat(b *testing.B) {
	g := Geom{Batch: 1, InH: 96, InW: 96, InC: 32, OutC: 32, OutH: 48, OutW: 48, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
	in, out := make([]float32, 96*96*32), make([]float32, 48*48*32)
	for i := range in {
		in[i] = float32(i%101) - 50
	}
	act := FloatAct{float32(math.Inf(-1)), float32(math.Inf(1))}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			MaxPoolFloat(&g, act, in, out, 0, 48)
		}
	})
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			maxPoolFloatRef(&g, act, in, out, 0, 48)
		}
	})
}
