package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randDWVCase returns a random 3×3 depthwise layer aimed at the VNNI kernel
// and its borders: rows up to 42 pixels (run lengths 1..40 and not
// multiples of four), 1..5 channel blocks, both horizontal strides,
// vertical strides and dilations, extreme zero points, full-range
// multipliers with right shifts 1..31 (now and then a left shift, which the
// VNNI kernel declines), clamps, full-range biases and, now and then, an
// input of only the zero point, so that the accumulator is the bias itself
// (requantization corners near ±2^31).
func randDWVCase(r *rand.Rand) (g Geom, q *Requant, in, f []int8, bias []int32) {
	g = Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(5), InW: 1 + r.IntN(42), InC: 16 * (1 + r.IntN(5)),
		KH: 3, KW: 3, StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1 + r.IntN(2), DilW: 1, FilterInC: 1}
	if r.IntN(4) > 0 {
		g.StrideW = 1
	}
	g.OutC = g.InC
	same := r.IntN(4) > 0
	g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, g.DilH)
	g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, g.DilW)
	g.PadH, _ = Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
	g.PadW, _ = Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
	pick := func(vals ...int32) int32 { return vals[r.IntN(len(vals))] }
	q = &Requant{InputOffset: pick(-127, 128, int32(r.IntN(256)-127)), OutputOffset: pick(-128, 127, int32(r.IntN(256)-128)),
		Mult: make([]int32, g.OutC), Shift: make([]int, g.OutC), Min: -128, Max: 127}
	switch r.IntN(3) {
	case 0:
		q.Min, q.Max = int32(r.IntN(100)-128), int32(r.IntN(100)+27)
	case 1:
		q.Min = pick(-128, int32(r.IntN(256)-128))
		q.Max = max(q.Min, pick(127, int32(r.IntN(256)-128)))
	}
	big := r.IntN(3) == 0 // multipliers and shifts anywhere, else realistic
	for c := range q.Mult {
		if big {
			q.Mult[c] = pick(0, 1<<30, math.MaxInt32, int32(r.Uint32()>>1))
			q.Shift[c] = -1 - r.IntN(31)
			if r.IntN(3) == 0 {
				q.Shift[c] = -int(pick(1, 31))
			}
		} else {
			q.Mult[c], q.Shift[c] = int32(1<<30+r.IntN(1<<30)), -4-r.IntN(10)
		}
	}
	if r.IntN(20) == 0 {
		q.Shift[r.IntN(g.OutC)] = r.IntN(3) // 0..2: the VNNI kernel declines
	}
	in = randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
	if r.IntN(4) == 0 {
		for i := range in {
			in[i] = int8(-q.InputOffset)
		}
	}
	f = randInt8s(r, 9*g.OutC)
	if r.IntN(8) == 0 {
		for i := range f {
			f[i] = int8(pick(-128, 127))
		}
	}
	if r.IntN(4) > 0 {
		bias = make([]int32, g.OutC)
		for c := range bias {
			switch r.IntN(4) {
			case 0:
				bias[c] = pick(math.MinInt32, math.MaxInt32, math.MinInt32+1000, math.MaxInt32-1000, 1<<30, -1<<30)
			case 1:
				bias[c] = int32(r.Uint32())
			default:
				bias[c] = int32(r.Uint32()) >> (12 + r.IntN(20))
			}
		}
	}
	return g, q, in, f, bias
}

// checkDWV runs one randDWVCase through DepthwiseInt8Fast and DepthwiseRef
// and reports the stride of the VNNI kernel that ran, 0 for none.
func checkDWV(t *testing.T, r *rand.Rand) (vnniStride int) {
	t.Helper()
	g, q, in, f, bias := randDWVCase(r)
	if g.OutH <= 0 || g.OutW <= 0 {
		return 0
	}
	d := NewDepthwiseInt8Fast(g, q, f, bias)
	if d == nil {
		return 0
	}
	want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
	DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
	got := make([]int8, len(want))
	goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
	if k := firstDiff(got, want); k >= 0 {
		c := k % g.OutC
		t.Fatalf("%+v in offset %d out offset %d clamp [%d, %d] channel %d mult %d shift %d: fast[%d] = %d, reference %d",
			g, q.InputOffset, q.OutputOffset, q.Min, q.Max, c, q.Mult[c], q.Shift[c], k, got[k], want[k])
	}
	if d.vnni == nil {
		return 0
	}
	return d.vnni.stride
}

func TestDepthwiseInt8VNNIMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	var ran [3]int
	for range 1500 {
		ran[checkDWV(t, r)]++
	}
	if hasDWVNNI && (ran[1] < 500 || ran[2] < 150) {
		t.Fatalf("the VNNI kernels ran on only %d (stride 1) and %d (stride 2) layers", ran[1], ran[2])
	}
	t.Logf("VNNI kernels on %d (stride 1) and %d (stride 2) layers", ran[1], ran[2])
}

func FuzzDepthwiseInt8Fast(f *testing.F) {
	for _, s := range []uint64{0, 1, 2, 3, 42, 1 << 40} {
		f.Add(s, s^0x9e3779b97f4a7c15)
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		checkDWV(t, rand.New(rand.NewPCG(a, b)))
	})
}

// BenchmarkDepthwiseInt8FastS2 is the MobileNetV2 stride-2 depthwise layer
// 112x112x96 -> 56x56x96, 3x3, through the vector kernel.
func BenchmarkDepthwiseInt8FastS2(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	g := Geom{Batch: 1, InH: 112, InW: 112, InC: 96, OutC: 96, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, FilterInC: 1}
	g.OutH, g.OutW = 56, 56
	g.PadH, _ = Pad(2, 1, g.InH, 3, g.OutH)
	g.PadW, _ = Pad(2, 1, g.InW, 3, g.OutW)
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
