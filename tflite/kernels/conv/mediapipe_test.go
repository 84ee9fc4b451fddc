package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPoolArgmaxFloatMatchesScalar checks MaxPoolArgmaxFloat (vector
// row kernel for interior columns) bit for bit against maxPoolArgmaxCols
// over every column (MediaPipe's loop) on random windows, strides,
// padding, 1..40 channels (masked tails), clamps, with NaN, ±Inf, ±0,
// -MaxFloat32 and ties in the input.
func TestMaxPoolArgmaxFloatMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -math.MaxFloat32, 1, 1}
	acts := []FloatAct{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, 6}, {-1, 1}}
	for range 300 {
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
			if r.IntN(6) == 0 {
				in[j] = special[r.IntN(len(special))]
			} else {
				in[j] = float32(r.IntN(7) - 3) // ties
			}
		}
		n := g.Batch * g.OutH * g.OutW * c
		want, wantIdx, got, gotIdx := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		act := acts[r.IntN(len(acts))]
		for row := range g.Batch * g.OutH {
			maxPoolArgmaxCols(&g, act, in, want, wantIdx, row/g.OutH, row%g.OutH, 0, g.OutW)
		}
		MaxPoolArgmaxFloat(&g, act, in, got, gotIdx, 0, g.Batch*g.OutH)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) || math.Float32bits(gotIdx[j]) != math.Float32bits(wantIdx[j]) {
				t.Fatalf("%+v [%d]: got %v at %v, want %v at %v", g, j, got[j], gotIdx[j], want[j], wantIdx[j])
			}
		}
	}
}

// BenchmarkMaxPoolArgmaxFloat times hair_segmentation's first pool:
// 128x128x32, 2x2 stride 2, against the pixel-at-a-time loop.
func BenchmarkMaxPoolArgmaxFloat(b *testing.B) {
	g := Geom{Batch: 1, InH: 128, InW: 128, InC: 32, OutC: 32, OutH: 64, OutW: 64, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
	in, out, idx := make([]float32, 128*128*32), make([]float32, 64*64*32), make([]float32, 64*64*32)
	for i := range in {
		in[i] = float32(i%101) - 50
	}
	act := FloatAct{float32(math.Inf(-1)), float32(math.Inf(1))}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MaxPoolArgmaxFloat(&g, act, in, out, idx, 0, 64)
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			for oy := range 64 {
				maxPoolArgmaxCols(&g, act, in, out, idx, 0, oy, 0, 64)
			}
		}
	})
}

// maxUnpoolFloatRef is MaxUnpoolFloat as first written: the window
// position of every index through a division, the reference the table
// path is held to.
func maxUnpoolFloatRef(g *Geom, in, idx, out []float32) {
	for row := 0; row < g.Batch*g.InH; row++ {
		b, iy := row/g.InH, row%g.InH
		for ix := 0; ix < g.InW; ix++ {
			p := ((b*g.InH+iy)*g.InW + ix) * g.InC
			for c := 0; c < g.InC; c++ {
				f := idx[p+c]
				if !(f > -1<<30 && f < 1<<30) {
					continue
				}
				k := int(f)
				oy := iy*g.StrideH - g.PadH + k/g.KW
				ox := ix*g.StrideW - g.PadW + k%g.KW
				if oy < 0 || oy >= g.OutH || ox < 0 || ox >= g.OutW {
					continue
				}
				out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC+c] = in[p+c]
			}
		}
	}
}

// TestMaxUnpoolFloatMatchesRef: the table path writes exactly what the
// division path writes, in the same order (overlapping windows: later
// inputs win), for valid, fractional, negative, out-of-window, huge and
// NaN indices over random geometries.
func TestMaxUnpoolFloatMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for range 300 {
		c := 1 + r.IntN(20)
		g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(8), InW: 1 + r.IntN(8), InC: c, OutC: c,
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), DilH: 1, DilW: 1}
		g.PadH, g.PadW = r.IntN(g.KH), r.IntN(g.KW)
		g.OutH, g.OutW = max(1, g.InH*g.StrideH-r.IntN(3)), max(1, g.InW*g.StrideW-r.IntN(3))
		n := g.Batch * g.InH * g.InW * c
		in, idx := randF32s(r, n), make([]float32, n)
		hostile := []float32{float32(math.NaN()), -0.5, -1, -7, 1e9, -1e30, 2.9, float32(g.KH * g.KW), float32(g.KH*g.KW + 3)}
		for j := range idx {
			if r.IntN(5) == 0 {
				idx[j] = hostile[r.IntN(len(hostile))]
			} else {
				idx[j] = float32(r.IntN(g.KH*g.KW)) + 0.1
			}
		}
		m := g.Batch * g.OutH * g.OutW * c
		got, want := make([]float32, m), make([]float32, m)
		MaxUnpoolFloat(&g, in, idx, got)
		maxUnpoolFloatRef(&g, in, idx, want)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%+v [%d]: got %v, want %v", g, j, got[j], want[j])
			}
		}
	}
}
