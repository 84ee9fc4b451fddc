package conv

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// naiveConvInt8 is the reference formula written as plainly as possible:
// out = clamp(MBQM(Σ w·(x - zpIn) + bias) + zpOut), the sum in int64.
func naiveConvInt8(g *Geom, zpIn, zpOut int32, mult []int32, shift []int, lo, hi int32, in, f []int8, bias []int32) []int8 {
	out := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
	groups := g.InC / g.FilterInC
	for b := 0; b < g.Batch; b++ {
		for oy := 0; oy < g.OutH; oy++ {
			for ox := 0; ox < g.OutW; ox++ {
				for oc := 0; oc < g.OutC; oc++ {
					grp := oc / (g.OutC / groups)
					var s int64
					for ky := 0; ky < g.KH; ky++ {
						for kx := 0; kx < g.KW; kx++ {
							iy := oy*g.StrideH - g.PadH + ky*g.DilH
							ix := ox*g.StrideW - g.PadW + kx*g.DilW
							if iy < 0 || ix < 0 || iy >= g.InH || ix >= g.InW {
								continue
							}
							for i := 0; i < g.FilterInC; i++ {
								x := int64(in[((b*g.InH+iy)*g.InW+ix)*g.InC+grp*g.FilterInC+i])
								w := int64(f[((oc*g.KH+ky)*g.KW+kx)*g.FilterInC+i])
								s += w * (x - int64(zpIn))
							}
						}
					}
					if bias != nil {
						s += int64(bias[oc])
					}
					v := kernels.MultiplyByQuantizedMultiplier(int32(s), mult[oc], shift[oc]) + zpOut
					out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC+oc] = int8(kernels.Clamp32(v, lo, hi))
				}
			}
		}
	}
	return out
}

func randInt8s(r *rand.Rand, n int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(r.IntN(256) - 128)
	}
	return s
}

// randGeom returns a random convolution geometry with output size and
// padding computed as TensorFlow Lite does.
func randGeom(r *rand.Rand, depthwise bool) Geom {
	g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(9), InC: 1 + r.IntN(12),
		KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
		DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
	if depthwise {
		g.OutC = g.InC * (1 + r.IntN(3))
		g.FilterInC = 1
	} else {
		g.OutC = 1 + r.IntN(20)
		g.FilterInC = g.InC
	}
	same := r.IntN(2) == 0
	if !same && ((g.KH-1)*g.DilH+1 > g.InH || (g.KW-1)*g.DilW+1 > g.InW) {
		same = true
	}
	g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, g.DilH)
	g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, g.DilW)
	g.PadH, _ = Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
	g.PadW, _ = Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
	return g
}

func randRequant(r *rand.Rand, oc int) *Requant {
	q := &Requant{InputOffset: int32(r.IntN(256) - 127), // minus an int8 zero point: [-127, 128]
		OutputOffset: int32(r.IntN(256) - 128),
		Mult:         make([]int32, oc), Shift: make([]int, oc), Min: -128, Max: 127}
	if r.IntN(2) == 0 {
		q.Min, q.Max = int32(r.IntN(100)-128), int32(r.IntN(100)+27)
	}
	for c := range q.Mult {
		q.Mult[c], q.Shift[c] = kernels.QuantizeMultiplier(math.Exp(-4 - 6*r.Float64()))
	}
	return q
}

// goPar runs every range on its own goroutine, like a multi-worker Exec.
func goPar(n int, fn func(lo, hi int)) {
	var wg sync.WaitGroup
	step := max(1, (n+2)/3)
	for lo := 0; lo < n; lo += step {
		wg.Go(func() { fn(lo, min(n, lo+step)) })
	}
	wg.Wait()
}

func TestGemmMulQ(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		x := int32(r.Uint32())
		if r.IntN(2) == 0 {
			x = int32(r.IntN(1<<20) - 1<<19)
		}
		m, s := kernels.QuantizeMultiplier(math.Exp(20*r.Float64() - 15))
		if got, want := gemm.MulQ(x, m, s), kernels.MultiplyByQuantizedMultiplier(x, m, s); got != want {
			t.Fatalf("gemm.MulQ(%d, %d, %d) = %d, want %d", x, m, s, got, want)
		}
	}
}

func TestPaddingMatchesTFLite(t *testing.T) {
	tests := []struct {
		name                         string
		same                         bool
		in, filter, stride, dil      int
		wantOut, wantPad, wantOffset int
	}{
		{"same 3x3 s1", true, 224, 3, 1, 1, 224, 1, 0},
		{"same 3x3 s2 even", true, 224, 3, 2, 1, 112, 0, 1},
		{"same 3x3 s2 odd", true, 225, 3, 2, 1, 113, 1, 0},
		{"valid 3x3 s2", false, 225, 3, 2, 1, 112, 0, 0},
		{"same dilated", true, 10, 3, 1, 2, 10, 2, 0},
		{"valid dilated", false, 10, 3, 1, 2, 6, 0, 0},
		{"same 1x1 s2", true, 7, 1, 2, 1, 4, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := OutSize(tc.same, tc.in, tc.filter, tc.stride, tc.dil)
			pad, off := Pad(tc.stride, tc.dil, tc.in, tc.filter, out)
			if out != tc.wantOut || pad != tc.wantPad || off != tc.wantOffset {
				t.Errorf("got out %d pad %d offset %d, want %d %d %d", out, pad, off, tc.wantOut, tc.wantPad, tc.wantOffset)
			}
		})
	}
}

// TestConvRefMatchesNaive checks the reference kernel, grouped
// convolutions included, against the plain formula.
func TestConvRefMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		g := randGeom(r, false)
		if i%3 == 0 {
			groups := 1 + r.IntN(3)
			g.InC = groups * (1 + r.IntN(4))
			g.FilterInC = g.InC / groups
			g.OutC = groups * (1 + r.IntN(4))
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randInt8s(r, g.OutC*g.KH*g.KW*g.FilterInC)
		bias := make([]int32, g.OutC)
		for c := range bias {
			bias[c] = int32(r.IntN(1<<16) - 1<<15)
		}
		want := naiveConvInt8(&g, -q.InputOffset, q.OutputOffset, q.Mult, q.Shift, q.Min, q.Max, in, f, bias)
		got := make([]int8, len(want))
		ConvRef(&g, q, in, f, bias, got, 0, g.Batch*g.OutH)
		if d := firstDiff(got, want); d >= 0 {
			t.Fatalf("case %d %+v: ConvRef[%d] = %d, naive %d", i, g, d, got[d], want[d])
		}
	}
}

func firstDiff[T comparable](a, b []T) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// checkConvFast runs the packed path and the reference path on one case.
func checkConvFast(t *testing.T, g Geom, q *Requant, in, f []int8, bias []int32, par Parallel, workers int) {
	t.Helper()
	want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
	ConvRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
	c, err := NewConvInt8(g, gemm.PackInt8(f, g.OutC, g.KH*g.KW*g.InC), q, bias)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int8, len(want))
	c.Run(in, got, make([]int8, c.ScratchBytes()), workers, par)
	if d := firstDiff(got, want); d >= 0 {
		t.Fatalf("%+v: fast[%d] = %d, reference %d", g, d, got[d], want[d])
	}
}

func TestConvInt8MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	seq := func(n int, fn func(lo, hi int)) { fn(0, n) }
	for i := range 400 {
		g := randGeom(r, false)
		if i%4 == 0 { // 1x1 stride 1: the direct GEMM path
			g.KH, g.KW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.OutH, g.OutW = 1, 1, 1, 1, 0, 0, g.InH, g.InW
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randInt8s(r, g.OutC*g.KH*g.KW*g.InC)
		var bias []int32
		if r.IntN(3) > 0 {
			bias = make([]int32, g.OutC)
			for c := range bias {
				bias[c] = int32(r.Uint32()) >> r.IntN(32)
			}
		}
		if i%2 == 0 {
			checkConvFast(t, g, q, in, f, bias, seq, 1)
		} else {
			checkConvFast(t, g, q, in, f, bias, goPar, 3)
		}
	}
}

func TestFCInt8MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		rows, k, o := 1+r.IntN(9), 1+r.IntN(70), 1+r.IntN(40)
		q := randRequant(r, o)
		in, w := randInt8s(r, rows*k), randInt8s(r, o*k)
		bias := make([]int32, o)
		for c := range bias {
			bias[c] = int32(r.IntN(1<<20) - 1<<19)
		}
		want := make([]int8, rows*o)
		FullyConnectedRef(k, o, q, in, w, bias, want, 0, rows)
		fc, err := NewFCInt8(gemm.PackInt8(w, o, k), q, bias)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int8, rows*o)
		fc.Run(in, got, rows, 1+r.IntN(4), goPar)
		if d := firstDiff(got, want); d >= 0 {
			t.Fatalf("rows %d k %d o %d: fast[%d] = %d, reference %d", rows, k, o, d, got[d], want[d])
		}
	}
}

func TestDepthwiseInt8MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 300 {
		g := randGeom(r, true)
		if i%5 == 0 {
			g.InC = 60 + r.IntN(80) // more than one 64-channel chunk
			g.OutC = g.InC
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randInt8s(r, g.KH*g.KW*g.OutC)
		var bias []int32
		if r.IntN(2) == 0 {
			bias = make([]int32, g.OutC)
			for c := range bias {
				bias[c] = int32(r.IntN(1<<16) - 1<<15)
			}
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
		got := make([]int8, len(want))
		goPar(g.Batch*g.OutH, func(lo, hi int) { DepthwiseInt8(&g, q, in, f, bias, got, lo, hi) })
		if d := firstDiff(got, want); d >= 0 {
			t.Fatalf("%+v: fast[%d] = %d, reference %d", g, d, got[d], want[d])
		}
	}
}

// naiveDepthwise is the depthwise formula in plain loops.
func naiveDepthwise(g *Geom, q *Requant, in, f []int8, bias []int32) []int8 {
	out := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
	m := g.OutC / g.InC
	for b := 0; b < g.Batch; b++ {
		for oy := 0; oy < g.OutH; oy++ {
			for ox := 0; ox < g.OutW; ox++ {
				for oc := 0; oc < g.OutC; oc++ {
					var s int64
					for ky := 0; ky < g.KH; ky++ {
						for kx := 0; kx < g.KW; kx++ {
							iy, ix := oy*g.StrideH-g.PadH+ky*g.DilH, ox*g.StrideW-g.PadW+kx*g.DilW
							if iy >= 0 && ix >= 0 && iy < g.InH && ix < g.InW {
								s += int64(f[(ky*g.KW+kx)*g.OutC+oc]) * (int64(in[((b*g.InH+iy)*g.InW+ix)*g.InC+oc/m]) + int64(q.InputOffset))
							}
						}
					}
					if bias != nil {
						s += int64(bias[oc])
					}
					v := kernels.MultiplyByQuantizedMultiplier(int32(s), q.Mult[oc], q.Shift[oc]) + q.OutputOffset
					out[((b*g.OutH+oy)*g.OutW+ox)*g.OutC+oc] = int8(kernels.Clamp32(v, q.Min, q.Max))
				}
			}
		}
	}
	return out
}

func TestDepthwiseRefMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 200 {
		g := randGeom(r, true)
		q := randRequant(r, g.OutC)
		in, f := randInt8s(r, g.Batch*g.InH*g.InW*g.InC), randInt8s(r, g.KH*g.KW*g.OutC)
		bias := make([]int32, g.OutC)
		want := naiveDepthwise(&g, q, in, f, bias)
		got := make([]int8, len(want))
		DepthwiseRef(&g, q, in, f, bias, got, 0, g.Batch*g.OutH)
		if d := firstDiff(got, want); d >= 0 {
			t.Fatalf("%+v: ref[%d] = %d, naive %d", g, d, got[d], want[d])
		}
	}
}

// FuzzConvInt8 checks the packed path against the reference path on
// geometries and data drawn from the fuzzer.
func FuzzConvInt8(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(99), uint64(7))
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		r := rand.New(rand.NewPCG(s1, s2))
		g := randGeom(r, false)
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		fl := randInt8s(r, g.OutC*g.KH*g.KW*g.InC)
		bias := make([]int32, g.OutC)
		for c := range bias {
			bias[c] = int32(r.Uint32())
		}
		checkConvFast(t, g, q, in, fl, bias, goPar, 1+r.IntN(4))
	})
}

// TestConvInt8SegMatchesRef drives the in-place path (short filter rows
// read where they lie, gemm.Int8Seg) against the reference: the stem
// shape, random small-channel geometries with row dilation, padding and
// batches, one and several workers.
func TestConvInt8SegMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	seq := func(n int, fn func(lo, hi int)) { fn(0, n) }
	stem := Geom{Batch: 1, InH: 40, InW: 38, InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, FilterInC: 3}
	stem.OutH, stem.OutW = OutSize(true, 40, 3, 2, 1), OutSize(true, 38, 3, 2, 1)
	stem.PadH, _ = Pad(2, 1, 40, 3, stem.OutH)
	stem.PadW, _ = Pad(2, 1, 38, 3, stem.OutW)
	segs := 0
	for i := range 300 {
		g := stem
		if i > 0 {
			g = randGeom(r, false)
			g.InC, g.DilW = 1+r.IntN(5), 1
			g.InH, g.InW = 1+r.IntN(20), 1+r.IntN(20)
			g.FilterInC = g.InC
			same := r.IntN(2) == 0 || (g.KH-1)*g.DilH+1 > g.InH || g.KW > g.InW
			g.OutH = OutSize(same, g.InH, g.KH, g.StrideH, g.DilH)
			g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, 1)
			g.PadH, _ = Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
			g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		f := randInt8s(r, g.OutC*g.KH*g.KW*g.InC)
		bias := make([]int32, g.OutC)
		for c := range bias {
			bias[c] = int32(r.IntN(1<<16) - 1<<15)
		}
		c, err := NewConvInt8(g, gemm.PackInt8(f, g.OutC, g.KH*g.KW*g.InC), q, bias)
		if err != nil {
			t.Fatal(err)
		}
		if c.seg != nil {
			segs++
		}
		if i%2 == 0 {
			checkConvFast(t, g, q, in, f, bias, seq, 1)
		} else {
			checkConvFast(t, g, q, in, f, bias, goPar, 3)
		}
	}
	if gemm.SegmentedFast() && segs < 100 {
		t.Fatalf("in-place path on only %d of 300 geometries", segs)
	}
}

// TestFlipSign checks the uint8 ↔ int8 byte flip on every length up to
// 280 and alignment (vector blocks and masked tails, or word and byte
// paths) against the byte definition, and that nothing past the end is
// written.
func TestFlipSign(t *testing.T) {
	src := make([]uint8, 300)
	for i := range src {
		src[i] = uint8(i * 37)
	}
	for off := range 9 {
		for n := range 280 {
			s := src[off : off+n]
			dst := make([]int8, n+3)
			FlipSign(dst[1:], s)
			for i, v := range s {
				if dst[1+i] != int8(v^0x80) || int(dst[1+i]) != int(v)-128 {
					t.Fatalf("off %d n %d: [%d] = %d, want %d", off, n, i, dst[1+i], int(v)-128)
				}
			}
			if dst[0] != 0 || dst[n+1] != 0 {
				t.Fatalf("off %d n %d: wrote outside", off, n)
			}
			b := append([]byte(nil), s...)
			FlipSignInPlace(b)
			FlipSignInPlace(b)
			if string(b) != string(s) {
				t.Fatalf("off %d n %d: flipping twice changed the bytes", off, n)
			}
		}
	}
}
