package conv

import (
	"math/rand/v2"
	"testing"
)

// avgPoolRef is AvgPool as TensorFlow Lite's reference writes it: one
// channel at a time over its window.
func avgPoolRef(g *Geom, actMin, actMax int32, in, out []int8, lo, hi int) {
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy0, fy0, fy1 := window(oy, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			o := out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC:][:g.OutC]
			n := int32(max(0, fy1-fy0) * max(0, fx1-fx0))
			for c := range o {
				var acc int32
				for fy := fy0; fy < fy1; fy++ {
					base := (b*g.InH+iy0+fy)*g.InW + ix0
					for fx := fx0; fx < fx1; fx++ {
						acc += int32(in[(base+fx)*g.InC+c])
					}
				}
				if n > 0 {
					if acc > 0 {
						acc = (acc + n/2) / n
					} else {
						acc = (acc - n/2) / n
					}
				}
				o[c] = int8(clamp(acc, actMin, actMax))
			}
		}
	}
}

func TestAvgPoolMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tested := 0
	for i := 0; i < 400; i++ {
		c := 1 + r.IntN(40)
		if i%5 == 0 { // more than one accumulator chunk
			c = avgChunk + 1 + r.IntN(2*avgChunk)
		}
		g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(9), InC: c, OutC: c,
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), DilH: 1, DilW: 1}
		same := r.IntN(2) == 0
		g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, 1)
		g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, 1)
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		g.PadH, _ = Pad(g.StrideH, 1, g.InH, g.KH, g.OutH)
		g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
		lo, hi := int32(-128), int32(127)
		if r.IntN(2) == 0 {
			lo, hi = int32(r.IntN(100)-120), int32(r.IntN(100)+20)
		}
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		avgPoolRef(&g, lo, hi, in, want, 0, g.Batch*g.OutH)
		got := make([]int8, len(want))
		AvgPool(&g, lo, hi, in, got, 0, g.Batch*g.OutH)
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("%+v: AvgPool[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		tested++
	}
	if tested < 200 {
		t.Fatalf("only %d geometries tested", tested)
	}
}

// BenchmarkAvgPoolGlobal is MobileNetV2's global average pool: 7×7×1280.
func BenchmarkAvgPoolGlobal(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	g := Geom{Batch: 1, InH: 7, InW: 7, InC: 1280, OutC: 1280, KH: 7, KW: 7, StrideH: 1, StrideW: 1,
		DilH: 1, DilW: 1, OutH: 1, OutW: 1}
	in, out := randInt8s(r, 7*7*1280), make([]int8, 1280)
	b.ReportAllocs()
	for b.Loop() {
		AvgPool(&g, -128, 127, in, out, 0, 1)
	}
}

// BenchmarkAvgPoolGlobalRef is BenchmarkAvgPoolGlobal through avgPoolRef.
func BenchmarkAvgPoolGlobalRef(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	g := Geom{Batch: 1, InH: 7, InW: 7, InC: 1280, OutC: 1280, KH: 7, KW: 7, StrideH: 1, StrideW: 1,
		DilH: 1, DilW: 1, OutH: 1, OutW: 1}
	in, out := randInt8s(r, 7*7*1280), make([]int8, 1280)
	b.ReportAllocs()
	for b.Loop() {
		avgPoolRef(&g, -128, 127, in, out, 0, 1)
	}
}
