package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHybridDepthwiseRowsMatches checks HybridDepthwiseRows against
// HybridDepthwise bit for bit: depth multipliers 1..3, channels past a
// chunk (hybridChunk), batches with their own scale and zero point,
// strides, dilations, paddings, with and without bias, clamps.
func TestHybridDepthwiseRowsMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for i := range 300 {
		g := randGeom(r, true)
		if i%10 == 0 {
			g.InC, g.OutC = 130+r.IntN(200), 0
			g.OutC = g.InC * (1 + r.IntN(2))
		}
		n := g.Batch * g.InH * g.InW * g.InC
		q := randInt8s(r, n)
		f := randInt8s(r, g.KH*g.KW*g.OutC)
		sf, off := make([]float32, g.Batch), make([]int32, g.Batch)
		for b := range sf {
			sf[b], off[b] = float32(r.Float64()*0.1), int32(r.IntN(256)-128)
		}
		fs := make([]float32, g.OutC)
		for c := range fs {
			fs[c] = float32(r.Float64() * 0.05)
		}
		var bias []float32
		if r.IntN(2) == 0 {
			bias = make([]float32, g.OutC)
			for c := range bias {
				bias[c] = float32(r.NormFloat64())
			}
		}
		act := FloatAct{Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
		if r.IntN(2) == 0 {
			act = FloatAct{Min: 0, Max: 6}
		}
		m := g.Batch * g.OutH * g.OutW * g.OutC
		want, got := make([]float32, m), make([]float32, m)
		HybridDepthwise(&g, act, q, sf, off, f, fs, bias, want, 0, g.Batch*g.OutH)
		goPar(g.Batch*g.OutH, func(lo, hi int) { HybridDepthwiseRows(&g, act, q, sf, off, f, fs, bias, got, lo, hi) })
		for k := range want {
			if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
				t.Fatalf("case %d %+v: rows[%d] = %v, HybridDepthwise %v", i, g, k, got[k], want[k])
			}
		}
	}
}
