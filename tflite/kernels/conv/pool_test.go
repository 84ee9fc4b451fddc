package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// avgPoolRef is AvgPool as TensorFlow Lite's reference writes it: one
// channel at a time over its window.
func avgPoolRef[T int8 | uint8](g *Geom, actMin, actMax int32, in, out []T, lo, hi int) {
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
				o[c] = T(clamp(acc, actMin, actMax))
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

// TestAvgPoolLargeWindows covers windows of more pixels than the 16-bit
// byte sums hold before a flush (swarFlush), extreme values, uint8, and
// channel counts that are not multiples of 8, against the reference.
func TestAvgPoolLargeWindows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 40; i++ {
		h, w, c := 10+r.IntN(15), 10+r.IntN(15), 1+r.IntN(300)
		g := Geom{Batch: 1, InH: h, InW: w, InC: c, OutC: c, KH: h - r.IntN(3), KW: w - r.IntN(3),
			StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1, DilW: 1}
		g.OutH = OutSize(false, g.InH, g.KH, g.StrideH, 1)
		g.OutW = OutSize(false, g.InW, g.KW, g.StrideW, 1)
		in8 := randInt8s(r, h*w*c)
		switch i % 3 {
		case 1:
			for j := range in8 {
				in8[j] = 127
			}
		case 2:
			for j := range in8 {
				in8[j] = -128
			}
		}
		want := make([]int8, g.OutH*g.OutW*c)
		avgPoolRef(&g, -128, 127, in8, want, 0, g.OutH)
		got := make([]int8, len(want))
		AvgPool(&g, -128, 127, in8, got, 0, g.OutH)
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("int8 %+v: AvgPool[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		inU := make([]uint8, len(in8))
		for j, v := range in8 {
			inU[j] = uint8(v) ^ uint8(i%2*0x80)
		}
		wantU := make([]uint8, len(want))
		avgPoolRef(&g, 0, 255, inU, wantU, 0, g.OutH)
		gotU := make([]uint8, len(want))
		AvgPool(&g, 0, 255, inU, gotU, 0, g.OutH)
		if k := firstDiff(gotU, wantU); k >= 0 {
			t.Fatalf("uint8 %+v: AvgPool[%d] = %d, reference %d", g, k, gotU[k], wantU[k])
		}
	}
}

// avgPoolFloatRef is the float AVERAGE_POOL_2D as the reference writes it:
// one channel at a time, its window summed in row-major order.
func avgPoolFloatRef(g *Geom, act FloatAct, in, out []float32) {
	for oy := 0; oy < g.Batch*g.OutH; oy++ {
		b, y := oy/g.OutH, oy%g.OutH
		iy0, fy0, fy1 := window(y, g.StrideH, g.PadH, g.KH, g.InH)
		for ox := 0; ox < g.OutW; ox++ {
			ix0, fx0, fx1 := window(ox, g.StrideW, g.PadW, g.KW, g.InW)
			n := float32(max(0, fy1-fy0) * max(0, fx1-fx0))
			for c := 0; c < g.OutC; c++ {
				var s float32
				for fy := fy0; fy < fy1; fy++ {
					for fx := fx0; fx < fx1; fx++ {
						s += in[((b*g.InH+iy0+fy)*g.InW+ix0+fx)*g.InC+c]
					}
				}
				out[((b*g.OutH+y)*g.OutW+ox)*g.OutC+c] = clampF(s/n, act)
			}
		}
	}
}

// TestAvgPoolFloatMatchesRef: the channel-contiguous float sums are bit
// for bit the reference's per-channel sums (same order), NaN and Inf
// included.
func TestAvgPoolFloatMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 200; i++ {
		c := 1 + r.IntN(40)
		if i%5 == 0 {
			c = avgChunk + 1 + r.IntN(avgChunk)
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
		in := randF32s(r, g.Batch*g.InH*g.InW*g.InC)
		if i%7 == 0 {
			in[r.IntN(len(in))] = float32(math.NaN())
			in[r.IntN(len(in))] = float32(math.Inf(1))
		}
		act := FloatAct{Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
		if i%2 == 0 {
			act = FloatAct{Min: 0, Max: 6}
		}
		want := make([]float32, g.Batch*g.OutH*g.OutW*g.OutC)
		avgPoolFloatRef(&g, act, in, want)
		got := make([]float32, len(want))
		AvgPoolFloat(&g, act, in, got, 0, g.Batch*g.OutH)
		for k := range want {
			if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
				t.Fatalf("%+v: AvgPoolFloat[%d] = %v, reference %v", g, k, got[k], want[k])
			}
		}
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

// BenchmarkAvgPoolGlobalFloat is BenchmarkAvgPoolGlobal in float32, and
// selfie_segmentation's 128×128×16 squeeze-and-excite pool.
func BenchmarkAvgPoolGlobalFloat(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, s := range []struct{ hw, c int }{{7, 1280}, {128, 16}} {
		g := Geom{Batch: 1, InH: s.hw, InW: s.hw, InC: s.c, OutC: s.c, KH: s.hw, KW: s.hw, StrideH: 1, StrideW: 1,
			DilH: 1, DilW: 1, OutH: 1, OutW: 1}
		in, out := randF32s(r, s.hw*s.hw*s.c), make([]float32, s.c)
		act := FloatAct{Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
		b.Run(fmt.Sprintf("%dx%dx%d", s.hw, s.hw, s.c), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				AvgPoolFloat(&g, act, in, out, 0, 1)
			}
		})
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
