package conv

import (
	"math/rand/v2"
	"testing"
)

// TestIm2colShortRunsMatchesTile checks the short-segment im2col (int8 and
// float32) against the per-pixel one on random geometries and row ranges
// that start and end inside output rows.
func TestIm2colShortRunsMatchesTile(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	tested, testedF := 0, 0
	for i := 0; i < 600; i++ {
		g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(30), InW: 1 + r.IntN(30), InC: 1 + r.IntN(8),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			DilH: 1 + r.IntN(2), DilW: 1}
		same := r.IntN(3) > 0
		g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, g.DilH)
		g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, 1)
		if g.OutH <= 0 || g.OutW <= 0 || !shortSegments(&g, 1) {
			continue
		}
		g.PadH, _ = Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
		g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
		kp := g.KH*g.KW*g.InC + r.IntN(12)
		m := g.Batch * g.OutH * g.OutW
		r0 := r.IntN(m)
		r1 := r0 + 1 + r.IntN(m-r0)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		pad := int8(r.IntN(256) - 128)
		want := randInt8s(r, (r1-r0)*kp)
		got := randInt8s(r, len(want))
		im2colTile(&g, in, r0, r1, want, kp, pad)
		im2colShortRuns(&g, in, r0, r1, got, kp, pad)
		if d := firstDiff(got, want); d >= 0 {
			t.Fatalf("%+v kp %d rows [%d, %d): [%d] = %d, want %d", g, kp, r0, r1, d, got[d], want[d])
		}
		if g4 := g; shortSegments(&g4, 4) {
			inF := make([]float32, len(in))
			for j, v := range in {
				inF[j] = float32(v) * 0.5
			}
			wantF, gotF := make([]float32, len(want)), make([]float32, len(want))
			for j := range gotF {
				gotF[j] = float32(j) // overwritten: the tail must be zeroed
			}
			im2colTile(&g, inF, r0, r1, wantF, kp, 0)
			im2colShortRuns(&g, inF, r0, r1, gotF, kp, 0)
			if d := firstDiff(gotF, wantF); d >= 0 {
				t.Fatalf("float32 %+v kp %d rows [%d, %d): [%d] = %v, want %v", g, kp, r0, r1, d, gotF[d], wantF[d])
			}
			testedF++
		}
		tested++
	}
	if tested < 100 || testedF < 20 {
		t.Fatalf("only %d geometries tested (%d float32)", tested, testedF)
	}
}

// TestIm2colStem checks the fixed-shape copy of 3×3×3 int8 windows into
// 28-byte rows (stemRun) against the per-pixel im2col on random image
// sizes, strides, paddings and row ranges.
func TestIm2colStem(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 300; i++ {
		g := Geom{Batch: 1 + r.IntN(2), InH: 3 + r.IntN(30), InW: 3 + r.IntN(30), InC: 3,
			KH: 3, KW: 3, StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1, DilW: 1}
		same := r.IntN(2) == 0
		g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, 1)
		g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, 1)
		g.PadH, _ = Pad(g.StrideH, 1, g.InH, g.KH, g.OutH)
		g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
		const kp = 28
		m := g.Batch * g.OutH * g.OutW
		r0 := r.IntN(m)
		r1 := r0 + 1 + r.IntN(m-r0)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		pad := int8(r.IntN(256) - 128)
		want := randInt8s(r, (r1-r0)*kp)
		got := randInt8s(r, len(want))
		im2colTile(&g, in, r0, r1, want, kp, pad)
		im2colShortRuns(&g, in, r0, r1, got, kp, pad)
		if d := firstDiff(got, want); d >= 0 {
			t.Fatalf("%+v rows [%d, %d): [%d] = %d, want %d", g, r0, r1, d, got[d], want[d])
		}
	}
}
