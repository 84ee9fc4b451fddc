package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvF32OneOutMatchesRef checks the one-output-channel float
// convolution against ConvFloatRef over kernel sizes, strides, dilations,
// padding, input depths 1..32 (8 takes the paired depthwise kernel) and
// clamps. The sums are reassociated, so each output must agree within
// 2·2^-24·(k+1)·Σ|x·w| + |bias| (a float32 summation error bound for the
// k = KH·KW·InC products in any order), computed from the absolute values.
func TestConvF32OneOutMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	acts := []FloatAct{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, 6}, {-1, 1}}
	tested := 0
	for i := 0; i < 300; i++ {
		g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(9), InC: 1 + r.IntN(32), OutC: 1,
			KH: 1 + r.IntN(3), KW: 1 + r.IntN(3), StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		if i%2 == 0 {
			g.InC, g.StrideW = 8, 1
		}
		g.FilterInC = g.InC
		g.PadH, g.PadW = r.IntN(g.KH), r.IntN(g.KW)
		g.OutH = (g.InH+2*g.PadH-(g.KH-1)*g.DilH-1)/g.StrideH + 1
		g.OutW = (g.InW+2*g.PadW-(g.KW-1)*g.DilW-1)/g.StrideW + 1
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		in, w := randF32s(r, g.Batch*g.InH*g.InW*g.InC), randF32s(r, g.KH*g.KW*g.InC)
		var bias []float32
		if i%3 != 0 {
			bias = randF32s(r, 1)
		}
		act := acts[r.IntN(len(acts))]
		c := NewConvF32OneOut(g, w, bias, act)
		if c == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		n := g.Batch * g.OutH * g.OutW
		want, got, mag := make([]float32, n), make([]float32, n), make([]float32, n)
		ConvFloatRef(&g, act, in, w, bias, want, 0, g.Batch*g.OutH)
		c.Run(in, got, make([]float32, c.ScratchBytes()/4))
		abs := func(v []float32) []float32 {
			if v == nil {
				return nil
			}
			a := make([]float32, len(v))
			for j, x := range v {
				a[j] = float32(math.Abs(float64(x)))
			}
			return a
		}
		free := FloatAct{float32(math.Inf(-1)), float32(math.Inf(1))}
		ConvFloatRef(&g, free, abs(in), abs(w), abs(bias), mag, 0, g.Batch*g.OutH)
		k := float64(g.KH*g.KW*g.InC + 1)
		for j := range want {
			tol := 2 * math.Ldexp(1, -24) * (k + 1) * float64(mag[j])
			if d := math.Abs(float64(got[j]) - float64(want[j])); d > tol {
				t.Fatalf("%+v [%d]: got %v, want %v (diff %g > %g)", g, j, got[j], want[j], d, tol)
			}
		}
		tested++
	}
	if tested < 100 {
		t.Fatalf("only %d geometries tested", tested)
	}
}

// BenchmarkConvF32OneOut times pose_landmark's segmentation head: 3x3,
// 256x256x8 to one channel.
func BenchmarkConvF32OneOut(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	g := Geom{Batch: 1, InH: 256, InW: 256, InC: 8, OutC: 1, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1,
		FilterInC: 8, OutH: 256, OutW: 256, PadH: 1, PadW: 1}
	in, f := randF32s(r, 256*256*8), randF32s(r, 72)
	c := NewConvF32OneOut(g, f, nil, FloatAct{Min: 0, Max: 6})
	if c == nil {
		b.Skip("no vector depthwise kernel on this machine")
	}
	out, s := make([]float32, 256*256), make([]float32, c.ScratchBytes()/4)
	b.ReportAllocs()
	for b.Loop() {
		c.Run(in, out, s)
	}
	b.ReportMetric(float64(256*256*72)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
