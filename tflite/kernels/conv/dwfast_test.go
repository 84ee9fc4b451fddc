package conv

import (
	"math/rand/v2"
	"testing"
)

// randDWGeom returns a random depthwise geometry with channels a multiple
// of 16, or smaller sizes where the window meets every border.
func randDWGeom(r *rand.Rand, k3 bool) Geom {
	g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(12), InW: 1 + r.IntN(12), InC: 16 * (1 + r.IntN(4)),
		KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2),
		DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2), FilterInC: 1}
	g.OutC = g.InC
	if k3 { // the unrolled 9-tap kernel
		g.KH, g.KW = 3, 3
	}
	same := r.IntN(4) > 0
	g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, g.DilH)
	g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, g.DilW)
	g.PadH, _ = Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
	g.PadW, _ = Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
	return g
}

func TestDepthwiseInt8FastMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	tested := 0
	for i := 0; i < 500; i++ {
		g := randDWGeom(r, i%3 == 0)
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randInt8s(r, g.KH*g.KW*g.OutC)
		var bias []int32
		if r.IntN(3) > 0 {
			bias = make([]int32, g.OutC)
			for c := range bias {
				bias[c] = int32(r.Uint32()) >> r.IntN(32)
			}
		}
		d := NewDepthwiseInt8Fast(g, q, f, bias)
		if d == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
		got := make([]int8, len(want))
		goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("%+v: fast[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		tested++
	}
	if tested < 100 {
		t.Fatalf("only %d geometries tested", tested)
	}
}

func TestNewDepthwiseInt8FastDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	g := Geom{Batch: 1, InH: 4, InW: 4, InC: 8, OutC: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OutH: 4, OutW: 4, PadH: 1, PadW: 1}
	if d := NewDepthwiseInt8Fast(g, randRequant(r, 8), randInt8s(r, 72), nil); d != nil {
		t.Fatal("accepted 8 channels")
	}
	g.InC, g.OutC = 16, 32
	if d := NewDepthwiseInt8Fast(g, randRequant(r, 32), randInt8s(r, 9*32), nil); d != nil {
		t.Fatal("accepted a depth multiplier of 2")
	}
}

// BenchmarkDepthwiseInt8Fast is BenchmarkDepthwiseInt8 through the vector
// kernel.
func BenchmarkDepthwiseInt8Fast(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	g := Geom{Batch: 1, InH: 56, InW: 56, InC: 144, OutC: 144, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, FilterInC: 1}
	g.OutH, g.OutW = 56, 56
	g.PadH, g.PadW = 1, 1
	q := randRequant(r, g.OutC)
	in, f := randInt8s(r, g.InH*g.InW*g.InC), randInt8s(r, 9*g.OutC)
	d := NewDepthwiseInt8Fast(g, q, f, nil)
	if d == nil {
		b.Skip("no vector depthwise kernel")
	}
	out := make([]int8, g.OutH*g.OutW*g.OutC)
	macs := float64(g.OutH * g.OutW * g.OutC * 9)
	b.ReportAllocs()
	for b.Loop() {
		d.Rows(in, out, 0, g.OutH)
	}
	b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
