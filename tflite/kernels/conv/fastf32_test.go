package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randF32s(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// closeF32 reports whether got is within float32 rounding of want for a
// sum of about terms products of magnitude ~1.
func closeF32(got, want float32, terms int) bool {
	return math.Abs(float64(got-want)) <= 1e-5*float64(terms+1)*math.Max(1, math.Abs(float64(want)))
}

func TestConvF32MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	seq := func(n int, fn func(lo, hi int)) { fn(0, n) }
	for i := range 300 {
		g := randGeom(r, false)
		if i%4 == 0 {
			g.KH, g.KW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.OutH, g.OutW = 1, 1, 1, 1, 0, 0, g.InH, g.InW
		}
		act := FloatAct{Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
		if r.IntN(2) == 0 {
			act = FloatAct{Min: 0, Max: 6}
		}
		in := randF32s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randF32s(r, g.OutC*g.KH*g.KW*g.InC)
		var bias []float32
		if r.IntN(2) == 0 {
			bias = randF32s(r, g.OutC)
		}
		want := make([]float32, g.Batch*g.OutH*g.OutW*g.OutC)
		ConvFloatRef(&g, act, in, f, bias, want, 0, g.Batch*g.OutH)
		c := NewConvF32(g, f, bias, act)
		got := make([]float32, len(want))
		if i%2 == 0 {
			c.Run(in, got, make([]float32, c.ScratchBytes()/4), 1, seq)
		} else {
			c.Run(in, got, make([]float32, c.ScratchBytes()/4), 3, goPar)
		}
		for j := range want {
			if !closeF32(got[j], want[j], g.KH*g.KW*g.InC) {
				t.Fatalf("%+v: fast[%d] = %v, reference %v", g, j, got[j], want[j])
			}
		}
	}
}

// TestConvF32SegMatchesIm2col: the in-place path (windows inside the
// input read by gemm.F32Seg) gives bit for bit what im2col + gemm.F32
// gives, over random geometries (strides, row dilation, padding, batches,
// 1..12 channels, 1..20 outputs), MediaPipe's 3-channel stems (3x3 and
// 5x5, stride 2, SAME) and 1..3 workers: the same products in the same
// order, only read where they lie.
func TestConvF32SegMatchesIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	tested := 0
	for i := range 300 {
		g := randGeom(r, false)
		g.DilW = 1
		if i%10 == 0 {
			k := 3 + 2*r.IntN(2)
			g = Geom{Batch: 1, InH: 20 + r.IntN(20), InW: 20 + r.IntN(20), InC: 3, OutC: 8 + r.IntN(30), KH: k, KW: k,
				StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, FilterInC: 3}
		}
		g.OutW = OutSize(true, g.InW, g.KW, g.StrideW, 1)
		g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
		if i%10 == 0 {
			g.OutH = OutSize(true, g.InH, g.KH, g.StrideH, 1)
			g.PadH, _ = Pad(g.StrideH, 1, g.InH, g.KH, g.OutH)
		}
		act := FloatAct{Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
		if r.IntN(2) == 0 {
			act = FloatAct{Min: 0, Max: 6}
		}
		in := randF32s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randF32s(r, g.OutC*g.KH*g.KW*g.InC)
		bias := randF32s(r, g.OutC)
		c := NewConvF32(g, f, bias, act)
		if !c.seg {
			if c.direct {
				continue
			}
			t.Skip("no segmented float GEMM on this machine")
		}
		im := *c
		im.seg = false
		workers := 1 + r.IntN(3)
		got, want := make([]float32, g.Batch*g.OutH*g.OutW*g.OutC), make([]float32, g.Batch*g.OutH*g.OutW*g.OutC)
		c.Run(in, got, make([]float32, c.ScratchBytes()/4), workers, goPar)
		im.Run(in, want, make([]float32, im.ScratchBytes()/4), workers, goPar)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%+v: in place [%d] = %v, im2col %v", g, j, got[j], want[j])
			}
		}
		tested++
	}
	if tested < 200 {
		t.Fatalf("only %d geometries took the in-place path", tested)
	}
}

func TestFCF32MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for range 200 {
		rows, k, o := 1+r.IntN(15), 1+r.IntN(70), 1+r.IntN(40)
		in, w, bias := randF32s(r, rows*k), randF32s(r, o*k), randF32s(r, o)
		act := FloatAct{Min: -1, Max: 1}
		want := make([]float32, rows*o)
		FullyConnectedFloat(k, o, act, in, w, bias, want, 0, rows)
		fc := NewFCF32(w, bias, o, k, act)
		got := make([]float32, rows*o)
		fc.Run(in, got, rows, 1+r.IntN(3), goPar)
		for j := range want {
			if !closeF32(got[j], want[j], k) {
				t.Fatalf("rows %d k %d o %d: fast[%d] = %v, reference %v", rows, k, o, j, got[j], want[j])
			}
		}
	}
}

func TestDepthwiseF32FastMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	tested := 0
	for i := range 400 {
		g := randDWGeom(r, i%3 == 0)
		if i%5 == 4 { // the unrolled 25-tap kernel
			g.KH, g.KW = 5, 5
			g.OutH = OutSize(true, g.InH, g.KH, g.StrideH, g.DilH)
			g.OutW = OutSize(true, g.InW, g.KW, g.StrideW, g.DilW)
			g.PadH, _ = Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
			g.PadW, _ = Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
		}
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		if i%2 == 1 { // channels that end in a partial block of 16
			g.InC = 1 + r.IntN(70)
			g.OutC = g.InC
		}
		act := FloatAct{Min: 0, Max: 6}
		in, f, bias := randF32s(r, g.Batch*g.InH*g.InW*g.InC), randF32s(r, g.KH*g.KW*g.OutC), randF32s(r, g.OutC)
		d := NewDepthwiseF32Fast(g, act, f, bias)
		if d == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		want := make([]float32, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseFloat(&g, act, in, f, bias, want, 0, g.Batch*g.OutH)
		got := make([]float32, len(want))
		goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
		for j := range want {
			if !closeF32(got[j], want[j], g.KH*g.KW) {
				t.Fatalf("%+v: fast[%d] = %v, reference %v", g, j, got[j], want[j])
			}
		}
		tested++
	}
	if tested < 100 {
		t.Fatalf("only %d geometries tested", tested)
	}
}

// TestConvF32PanelGroupsAgree checks that a 1x1 convolution split by
// weight panels across workers (late MobileNet layers) gives the same
// bits as one worker.
func TestConvF32PanelGroupsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, tc := range []struct {
		name          string
		hw, inC, outC int
	}{
		{name: "7x7 960 to 320", hw: 7, inC: 960, outC: 320},
		{name: "7x7 160 to 960", hw: 7, inC: 160, outC: 960},
		{name: "3x3 33 to 50", hw: 3, inC: 33, outC: 50},
		{name: "14x14 64 to 384", hw: 14, inC: 64, outC: 384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Geom{Batch: 1, InH: tc.hw, InW: tc.hw, InC: tc.inC, OutC: tc.outC, KH: 1, KW: 1,
				StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OutH: tc.hw, OutW: tc.hw, FilterInC: tc.inC}
			c := NewConvF32(g, randF32s(r, tc.outC*tc.inC), randF32s(r, tc.outC), FloatAct{Min: 0, Max: 6})
			in := randF32s(r, tc.hw*tc.hw*tc.inC)
			want := make([]float32, tc.hw*tc.hw*tc.outC)
			c.Run(in, want, nil, 1, func(n int, fn func(lo, hi int)) { fn(0, n) })
			for _, workers := range []int{2, 3} {
				if c.panelGroups(workers) < 2 && tc.outC >= tc.hw*tc.hw {
					t.Fatalf("%d workers: no panel split", workers)
				}
				got := make([]float32, len(want))
				c.Run(in, got, nil, workers, goPar)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%d workers: [%d] = %v, one worker %v", workers, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestDepthwiseF32PairsExact checks the 8-channel stride-1 float depthwise,
// which computes two output pixels per vector, bit for bit against the
// same kernel one pixel at a time (the masked 16-lane block): the fused
// multiply-adds per lane are the same, in the same tap order.
func TestDepthwiseF32PairsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for i := range 200 {
		g := randDWGeom(r, i%3 == 0)
		g.InC, g.OutC, g.StrideW = 8, 8, 1
		g.OutW = (g.InW+2*g.PadW-(g.KW-1)*g.DilW-1)/g.StrideW + 1
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		act := FloatAct{Min: -1, Max: 6}
		in, f, bias := randF32s(r, g.Batch*g.InH*g.InW*8), randF32s(r, g.KH*g.KW*8), randF32s(r, 8)
		d := NewDepthwiseF32Fast(g, act, f, bias)
		if d == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		if d.w2 == nil {
			t.Fatalf("%+v: no pair weights", g)
		}
		single := *d
		single.w2, single.bias2 = nil, nil
		n := g.Batch * g.OutH * g.OutW * 8
		want, got := make([]float32, n), make([]float32, n)
		single.Rows(in, want, 0, g.Batch*g.OutH)
		d.Rows(in, got, 0, g.Batch*g.OutH)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%+v: pairs[%d] = %v, single %v", g, j, got[j], want[j])
			}
		}
	}
}
