package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randDWVCase returns a random 3×3 depthwise layer aimed at the VNNI kernel
// and its borders: rows up to 42 pixels, horizontal dilations 1..4 (run lengths 1..40 and not
// multiples of four), 1..5 channel blocks, both horizontal strides,
// vertical strides and dilations, extreme zero points, full-range
// multipliers with right shifts 1..31 (now and then a left shift, which the
// VNNI kernel declines), clamps, full-range biases and, now and then, an
// input of only the zero point, so that the accumulator is the bias itself
// (requantization corners near ±2^31).
func randDWVCase(r *rand.Rand) (g Geom, q *Requant, in, f []int8, bias []int32) {
	return randDWVCaseBlocks(r, 0)
}

// randDWVCaseBlocks is randDWVCase with the given number of channel blocks
// (0: 1..5 at random).
func randDWVCaseBlocks(r *rand.Rand, blocks int) (g Geom, q *Requant, in, f []int8, bias []int32) {
	pickBlocks := func() int {
		if blocks > 0 {
			return blocks
		}
		return 1 + r.IntN(5)
	}
	g = Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(5), InW: 1 + r.IntN(42), InC: 16 * pickBlocks(),
		KH: 3, KW: 3, StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1 + r.IntN(2), DilW: 1, FilterInC: 1}
	if r.IntN(3) > 0 {
		g.StrideW = 1
	}
	if r.IntN(4) == 0 { // dilated rows: stride 1 as phases (stride 2 declines)
		g.DilW = 2 + r.IntN(3)
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
		wild := r.IntN(2) == 0 // else small: the fast kernels' accumulator bound holds
		for c := range bias {
			switch r.IntN(4) + 2*b2i(!wild) {
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkDWV runs one randDWVCase through DepthwiseInt8Fast and DepthwiseRef
// and reports which VNNI kernel ran: 0 none, 1 and 2 the general ones for
// strides 1 and 2, 3 and 4 the fast ones, 5 and 6 the general and fast
// stride-1 two-row ones (with the one-row kernel on an odd row left over);
// the row's pixels in its last group of four, 1..4 (the kernels' tail
// paths), 0 when none ran; and for kernels 5 and 6 the shape bits 1 (OutH odd), 2 (Batch > 1) and 4
// (PadH > 0: the first and last rows read the pad row); and whether the
// layer is dilated horizontally (its tails are per phase).
func checkDWV(t *testing.T, r *rand.Rand) (kernel, tail, shape int, dilated bool) {
	t.Helper()
	g, q, in, f, bias := randDWVCase(r)
	if g.OutH <= 0 || g.OutW <= 0 {
		return 0, 0, 0, false
	}
	d := NewDepthwiseInt8Fast(g, q, f, bias)
	if d == nil {
		return 0, 0, 0, false
	}
	want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
	DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
	for _, split := range []bool{true, false} {
		got := make([]int8, len(want))
		if split {
			goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
		} else {
			d.Rows(in, got, 0, g.Batch*g.OutH) // every row paired where the two-row kernel runs
		}
		if k := firstDiff(got, want); k >= 0 {
			c := k % g.OutC
			t.Fatalf("%+v in offset %d out offset %d clamp [%d, %d] channel %d mult %d shift %d (rows split %v): fast[%d] = %d, reference %d",
				g, q.InputOffset, q.OutputOffset, q.Min, q.Max, c, q.Mult[c], q.Shift[c], split, k, got[k], want[k])
		}
	}
	tail = g.OutW - 4*((g.OutW+3)/4-1)
	dilated = g.DilW > 1
	switch {
	case d.vnni == nil:
		return 0, 0, 0, false
	case dilated:
		tail = d.vnni.phases[0].tail
	}
	switch {
	case d.vnni.pairs(&g) && g.OutH >= 2:
		return 5 + b2i(d.vnni.fast), tail, b2i(g.OutH%2 == 1) | 2*b2i(g.Batch > 1) | 4*b2i(g.PadH > 0), dilated
	case d.vnni.fast:
		return 2 + d.vnni.stride, tail, 0, dilated
	}
	return d.vnni.stride, tail, 0, dilated
}

func TestDepthwiseInt8VNNIMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	var ran [7][5]int    // [kernel][tail]
	dilated := 0         // layers with DilW > 1 on a VNNI kernel
	var shapes [2][8]int // kernels 5 and 6's [shape bits]
	for range 8000 {
		k, tail, shape, dil := checkDWV(t, r)
		ran[k][tail]++
		if k > 0 && dil {
			dilated++
		}
		if k >= 5 {
			shapes[k-5][shape]++
		}
	}
	// Every kernel must have run with each tail (last group of 1..4
	// pixels: the half, three and full paths), the two-row ones also with
	// odd and even OutH, one and two images, and with and without padding.
	for k := 1; hasDWVNNI && k < 7; k++ {
		if min(ran[k][1], ran[k][2], ran[k][3], ran[k][4]) < 10 || ran[k][1]+ran[k][2]+ran[k][3]+ran[k][4] < 80 {
			t.Fatalf("VNNI kernels ran on %v layers ([none, general stride 1, 2, fast stride 1, 2, two-row general, fast][tail 0..4]): some too few", ran)
		}
	}
	if hasDWVNNI && dilated < 200 {
		t.Fatalf("VNNI kernels ran on %d dilated layers: too few", dilated)
	}
	for _, sh := range shapes {
		if hasDWVNNI && min(sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], sh[6], sh[7]) < 5 {
			t.Fatalf("two-row kernels ran on %v layers ([general, fast][OutH odd | Batch > 1 | PadH > 0]): some too few", shapes)
		}
	}
	t.Logf("VNNI kernels ran on %v layers ([none, general stride 1, 2, fast stride 1, 2, two-row general, fast][tail 0..4]), %d dilated; two-row shapes %v", ran, dilated, shapes)
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

// BenchmarkDepthwiseInt8FastShapes runs the MobileNet 3x3 depthwise shapes
// (output size, channels, stride) through the vector kernel.
func BenchmarkDepthwiseInt8FastShapes(b *testing.B) {
	for _, s := range []struct {
		name           string
		out, c, stride int
	}{
		{"112x32", 112, 32, 1}, {"56x144", 56, 144, 1}, {"28x192", 28, 192, 1}, {"14x512", 14, 512, 1},
		{"7x1024", 7, 1024, 1}, {"s2-56x96", 56, 96, 2}, {"s2-7x576", 7, 576, 2},
		// MobileNetV1 0.25 128 and the AutoML labeler.
		{"112x16", 112, 16, 1}, {"8x128", 8, 128, 1}, {"4x256", 4, 256, 1}, {"16x64", 16, 64, 1}, {"32x32", 32, 32, 1},
		{"s2-32x16", 32, 16, 2}, {"s2-16x32", 16, 32, 2}, {"s2-8x64", 8, 64, 2}, {"s2-4x128", 4, 128, 2},
		{"56x48", 56, 48, 1}, {"s2-56x48", 56, 48, 2}, {"s2-28x48", 28, 48, 2}, {"14x144", 14, 144, 1}, {"s2-7x192", 7, 192, 2},
	} {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 3))
			g := Geom{Batch: 1, InH: s.out * s.stride, InW: s.out * s.stride, InC: s.c, OutC: s.c, KH: 3, KW: 3,
				StrideH: s.stride, StrideW: s.stride, DilH: 1, DilW: 1, FilterInC: 1, OutH: s.out, OutW: s.out}
			g.PadH, _ = Pad(s.stride, 1, g.InH, 3, g.OutH)
			g.PadW, _ = Pad(s.stride, 1, g.InW, 3, g.OutW)
			q := randRequant(r, g.OutC)
			q.Min, q.Max = -128, 127
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
		})
	}
}

// TestDepthwiseInt8VNNIFastBound drives the fast kernels' accumulators to
// exactly ±dwVMaxAcc (the bound of the proof; at the top h + 2^(r−1)
// reaches 2^31 − 1 for r = 31) and one past it (the general kernels then run), with the
// largest multiplier and shifts 1, 2, 30 and 31, against DepthwiseRef.
func TestDepthwiseInt8VNNIFastBound(t *testing.T) {
	const c = 16
	g := Geom{Batch: 1, InH: 3, InW: 6, InC: c, OutC: c, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1,
		FilterInC: 1, OutH: 1, OutW: 4}
	for _, tc := range []struct {
		name string
		w    int8  // every tap
		past int32 // added to the bias beyond the bound
		fast bool
	}{
		{"max", 127, 0, true}, {"min", -128, 0, true}, {"past max", 127, 1, false}, {"past min", -128, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &Requant{InputOffset: 128, Mult: make([]int32, c), Shift: make([]int, c), Min: -128, Max: 127}
			bias := make([]int32, c)
			f := make([]int8, 9*c)
			for i := range f {
				f[i] = tc.w
			}
			for ch := range c {
				q.Mult[ch], q.Shift[ch] = math.MaxInt32, -[]int{1, 2, 30, 31}[ch%4]
				// Input 127 (+128: 255) meets every tap: the accumulator is bias + 9·255·w.
				if tc.w > 0 {
					bias[ch] = dwVMaxAcc - 9*255*127 + tc.past
				} else {
					bias[ch] = -dwVMaxAcc + 9*255*128 + tc.past
				}
			}
			in := make([]int8, g.InH*g.InW*c)
			for i := range in {
				in[i] = 127
			}
			d := NewDepthwiseInt8Fast(g, q, f, bias)
			if d == nil || d.vnni == nil {
				t.Skip("no VNNI depthwise kernel on this machine")
			}
			if d.vnni.fast != tc.fast {
				t.Fatalf("fast = %v, want %v", d.vnni.fast, tc.fast)
			}
			want := make([]int8, g.OutH*g.OutW*c)
			DepthwiseRef(&g, q, in, f, bias, want, 0, g.OutH)
			got := make([]int8, len(want))
			d.Rows(in, got, 0, g.OutH)
			if k := firstDiff(got, want); k >= 0 {
				t.Fatalf("fast[%d] = %d, reference %d", k, got[k], want[k])
			}
		})
	}
}

// BenchmarkDepthwiseInt8FastDilated is DeepLabV3's dilated depthwise layer
// 33x33x960, 3x3, dilation 2, SAME, through the vector kernel.
func BenchmarkDepthwiseInt8FastDilated(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	g := Geom{Batch: 1, InH: 33, InW: 33, InC: 960, OutC: 960, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 2, DilW: 2, FilterInC: 1,
		OutH: 33, OutW: 33, PadH: 2, PadW: 2}
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

// TestDepthwiseMixedMatchesRef checks 16-bit weight layers whose weights
// leave int8 in a few channels (a uint8 filter's w − zw): the blocks that
// fit run on the VNNI kernels, the others one at a time on the split VNNI
// kernels (w = a + b) or, where a weight is 255 (no int8 split) or the
// fast kernels do not apply, on the 16-bit ones; against DepthwiseRef,
// over randDWVCase's geometries with 1-12 blocks (16-bit mixing takes at
// most a sixth of them).
func TestDepthwiseMixedMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	mixed := 0
	var split [4][5]int // [one-row stride 1, stride 2, two-row, dilated][tail]
	multi := 0          // layers with two or more split blocks
	for range 2500 {
		g, q, in, f8, bias := randDWVCaseBlocks(r, 1+r.IntN(12))
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		f := make([]int16, len(f8))
		for i, v := range f8 {
			f[i] = int16(v)
		}
		for range 1 + r.IntN(4) { // wide channels
			ch, tap := r.IntN(g.OutC), r.IntN(9)
			v := int16(128 + r.IntN(127))
			if r.IntN(2) == 0 {
				v = -v - 1 + int16(r.IntN(2))
			}
			if r.IntN(6) == 0 {
				v = []int16{255, -255, -256, 254}[r.IntN(4)] // 255 has no int8 split
			}
			f[tap*g.OutC+ch] = v
		}
		d := NewDepthwiseWideFast(g, q, f, bias)
		if d == nil {
			continue
		}
		if d.vnni != nil && len(d.wide) > 0 {
			mixed++
		}
		if d.vnni != nil && len(d.vnni.split) > 0 {
			k := 0
			switch {
			case g.DilW > 1:
				k = 3
			case d.vnni.stride == 2:
				k = 1
			case d.vnni.pairs(&g) && g.OutH >= 2:
				k = 2
			}
			split[k][d.vnni.phases[0].tail]++
			if len(d.vnni.split) > 1 {
				multi++
			}
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
		for _, split := range []bool{true, false} {
			got := make([]int8, len(want))
			if split {
				goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
			} else {
				d.Rows(in, got, 0, g.Batch*g.OutH)
			}
			if k := firstDiff(got, want); k >= 0 {
				t.Fatalf("%+v wide blocks %v (rows split %v): fast[%d] = %d, reference %d", g, d.wide, split, k, got[k], want[k])
			}
		}
	}
	if hasDWVNNI && mixed < 100 {
		t.Fatalf("only %d layers mixed VNNI and 16-bit blocks", mixed)
	}
	for k := range split {
		if hasDWVNNI && min(split[k][1], split[k][2], split[k][3], split[k][4]) < 10 {
			t.Fatalf("split kernels ran on %v layers ([stride 1, stride 2, two-row, dilated][tail]): some too few", split)
		}
	}
	if hasDWVNNI && multi < 100 {
		t.Fatalf("only %d layers with several split blocks", multi)
	}
	t.Logf("%d layers mixed VNNI and 16-bit blocks; split kernels on %v layers, %d with several split blocks", mixed, split, multi)
}

// TestDepthwiseVNNIC16MatchesRef checks the 16-channel kernels (C16: a Y's
// four pixels from one 64-byte VPERMB) against DepthwiseRef: one channel
// block, no dilation, 8-bit weights and split 16-bit ones, every fast
// kernel (stride 1 one- and two-row, stride 2) with every tail.
func TestDepthwiseVNNIC16MatchesRef(t *testing.T) {
	checkDWVChannels(t, rand.New(rand.NewPCG(41, 42)), 1)
}

// TestDepthwiseVNNIC32MatchesRef is TestDepthwiseVNNIC16MatchesRef for the
// 32-channel kernels (C32: a Y's four pieces from two loads by one
// VPERMT2B; either block or both split).
func TestDepthwiseVNNIC32MatchesRef(t *testing.T) {
	checkDWVChannels(t, rand.New(rand.NewPCG(43, 44)), 2)
}

// TestDepthwiseVNNIC48MatchesRef is TestDepthwiseVNNIC16MatchesRef for the
// 48-channel kernels (C48: a Y's pieces from loads at 0 and 96 by one
// VPERMT2B; runs of one and two blocks beside a split one).
func TestDepthwiseVNNIC48MatchesRef(t *testing.T) {
	checkDWVChannels(t, rand.New(rand.NewPCG(45, 46)), 3)
}

// checkDWVChannels runs undilated layers of the given channel blocks
// through the fast VNNI kernels, narrow and split, against DepthwiseRef
// and checks every kernel ran with every tail.
func checkDWVChannels(t *testing.T, r *rand.Rand, blocks int) {
	var ran [2][3][5]int // [split][stride 1, stride 2, two-row][tail]
	for i := range 3000 {
		g, q, in, f8, bias := randDWVCaseBlocks(r, blocks)
		g.DilW = 1
		same := r.IntN(4) > 0
		g.OutW = OutSize(same, g.InW, g.KW, g.StrideW, g.DilW)
		g.PadW, _ = Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		f := make([]int16, len(f8))
		for j, v := range f8 {
			f[j] = int16(v)
		}
		split := i%2 == 0
		if split {
			for range 1 + r.IntN(3) {
				v := int16(128 + r.IntN(127))
				if r.IntN(2) == 0 {
					v = -v - 1
				}
				f[r.IntN(len(f))] = v
			}
		}
		var d *DepthwiseInt8Fast
		if split {
			d = NewDepthwiseWideFast(g, q, f, bias)
		} else {
			d = NewDepthwiseInt8Fast(g, q, f8, bias)
		}
		if d == nil {
			continue
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
		for _, par := range []bool{true, false} {
			got := make([]int8, len(want))
			if par {
				goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
			} else {
				d.Rows(in, got, 0, g.Batch*g.OutH)
			}
			if k := firstDiff(got, want); k >= 0 {
				t.Fatalf("%+v split %v (rows split %v): fast[%d] = %d, reference %d", g, split, par, k, got[k], want[k])
			}
		}
		if d.vnni == nil || !d.vnni.fast || split != (len(d.vnni.split) > 0) {
			continue
		}
		k := d.vnni.stride - 1
		if d.vnni.pairs(&g) && g.OutH >= 2 {
			k = 2
		}
		ran[b2i(split)][k][d.vnni.phases[0].tail]++
	}
	for _, s := range ran {
		for _, k := range s {
			if hasDWVNNI && min(k[1], k[2], k[3], k[4]) < 5 {
				t.Fatalf("kernels ran on %v layers ([split][stride 1, 2, two-row][tail]): some too few", ran)
			}
		}
	}
	t.Logf("kernels ran on %v layers ([split][stride 1, 2, two-row][tail])", ran)
}

// TestDepthwiseVNNIFastShifts runs the fast requantization (RQF, PRQF) at
// every right shift 1..31 with multipliers over [2^30, 2^31) and small
// accumulators (rounding ties are frequent at small shifts; h < 0 and
// h = 0 both occur), through the 16-, 48- (stride 1 and 2) and 8-channel
// (pair) kernels, against DepthwiseRef.
func TestDepthwiseVNNIFastShifts(t *testing.T) {
	if !hasDWVNNI {
		t.Skip("no VNNI depthwise kernels on this machine")
	}
	r := rand.New(rand.NewPCG(41, 42))
	for shift := 1; shift <= 31; shift++ {
		for _, c := range []struct{ ch, stride int }{{16, 1}, {48, 1}, {48, 2}, {8, 1}} {
			g := Geom{Batch: 1, InH: 6, InW: 11, InC: c.ch, OutC: c.ch, KH: 3, KW: 3, StrideH: c.stride, StrideW: c.stride,
				DilH: 1, DilW: 1, FilterInC: 1}
			g.OutH, g.OutW = OutSize(true, g.InH, 3, c.stride, 1), OutSize(true, g.InW, 3, c.stride, 1)
			g.PadH, _ = Pad(c.stride, 1, g.InH, 3, g.OutH)
			g.PadW, _ = Pad(c.stride, 1, g.InW, 3, g.OutW)
			q := &Requant{InputOffset: int32(r.IntN(256) - 127), OutputOffset: int32(r.IntN(256) - 128),
				Mult: make([]int32, c.ch), Shift: make([]int, c.ch), Min: -128, Max: 127}
			if shift > 23 {
				// RQF folds the output zero point z into its threshold
				// 2^(r−1) + z·2^r (ozFolds), which must fit int32.
				span := 1 << (31 - shift)
				q.OutputOffset = int32(r.IntN(span) - span/2)
			}
			bias := make([]int32, c.ch)
			for ch := range c.ch {
				q.Mult[ch], q.Shift[ch] = int32(1<<30+r.IntN(1<<30)), -shift
				bias[ch] = int32(r.IntN(1<<(shift%20+2))) - 1<<(shift%20+1)
			}
			// Small weights and inputs keep the accumulators near zero
			// (either sign) at the small shifts.
			f, in := make([]int8, 9*c.ch), make([]int8, g.InH*g.InW*c.ch)
			for i := range f {
				f[i] = int8(r.IntN(7) - 3)
			}
			for i := range in {
				in[i] = int8(int(-q.InputOffset) + r.IntN(9) - 4)
			}
			want := make([]int8, g.OutH*g.OutW*c.ch)
			DepthwiseRef(&g, q, in, f, bias, want, 0, g.OutH)
			got := make([]int8, len(want))
			if c.ch == 8 {
				d := NewDepthwiseInt8Padded(g, q, f, bias)
				if d == nil || d.pairs == nil {
					t.Fatalf("shift %d %+v: no pair kernel", shift, c)
				}
				if d.Direct() {
					d.RowsDirect(in, got, 0, g.OutH)
				} else {
					s := make([]int8, d.ScratchBytes())
					d.Pad(in, s)
					d.Rows(s, got, 0, g.OutH)
				}
			} else {
				d := NewDepthwiseInt8Fast(g, q, f, bias)
				if d == nil || d.vnni == nil || !d.vnni.fast {
					t.Fatalf("shift %d %+v: no fast VNNI kernel", shift, c)
				}
				d.Rows(in, got, 0, g.OutH)
			}
			if k := firstDiff(got, want); k >= 0 {
				t.Fatalf("shift %d %+v: channel %d mult %d: fast[%d] = %d, reference %d", shift, c, k%c.ch, q.Mult[k%c.ch], k, got[k], want[k])
			}
		}
	}
}
