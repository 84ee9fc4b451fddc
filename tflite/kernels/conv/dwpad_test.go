package conv

import (
	"math/rand/v2"
	"testing"
)

// TestDepthwiseInt8PaddedMatchesRef checks the channel-padded vector
// depthwise kernel against DepthwiseRef on channel counts that are not a
// multiple of 16 (1 to 47, a third 8 or 24), all window kinds and
// borders.
func TestDepthwiseInt8PaddedMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	tested := 0
	for i := 0; i < 400; i++ {
		g := randDWGeom(r, i%3 == 0)
		g.InC = 1 + r.IntN(47)
		if g.InC%16 == 0 {
			g.InC++
		}
		if i%3 == 0 { // 8 and 24: Pad and the copy out move 8 bytes at a time
			g.InC = []int{8, 24}[r.IntN(2)]
		}
		g.OutC = g.InC
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
		d := NewDepthwiseInt8Padded(g, q, f, bias)
		if d == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
		scratch := randInt8s(r, d.ScratchBytes()) // stale scratch must not matter
		d.Pad(in, scratch)
		got := make([]int8, len(want))
		goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(scratch, got, lo, hi) })
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("%+v: padded[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		tested++
	}
	if tested < 100 {
		t.Fatalf("only %d geometries tested", tested)
	}
}

func TestNewDepthwiseInt8PaddedDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	g := Geom{Batch: 1, InH: 4, InW: 4, InC: 16, OutC: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OutH: 4, OutW: 4, PadH: 1, PadW: 1}
	if d := NewDepthwiseInt8Padded(g, randRequant(r, 16), randInt8s(r, 9*16), nil); d != nil {
		t.Fatal("took 16 channels (DepthwiseInt8Fast's case)")
	}
	g.InC, g.OutC = 8, 24
	if d := NewDepthwiseInt8Padded(g, randRequant(r, 24), randInt8s(r, 9*24), nil); d != nil {
		t.Fatal("accepted a depth multiplier of 3")
	}
}

// BenchmarkDepthwiseInt8Padded is MobileNetV1 0.75's first depthwise
// layer (96x96x24, 3x3, stride 1), padding included.
func BenchmarkDepthwiseInt8Padded(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	g := Geom{Batch: 1, InH: 96, InW: 96, InC: 24, OutC: 24, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, FilterInC: 1}
	g.OutH, g.OutW = 96, 96
	g.PadH, g.PadW = 1, 1
	q := randRequant(r, g.OutC)
	in, f := randInt8s(r, g.InH*g.InW*g.InC), randInt8s(r, 9*g.OutC)
	d := NewDepthwiseInt8Padded(g, q, f, nil)
	if d == nil {
		b.Skip("no vector depthwise kernel")
	}
	scratch := make([]int8, d.ScratchBytes())
	out := make([]int8, g.OutH*g.OutW*g.OutC)
	macs := float64(g.OutH * g.OutW * g.OutC * 9)
	b.ReportAllocs()
	for b.Loop() {
		d.Pad(in, scratch)
		d.Rows(scratch, out, 0, g.OutH)
	}
	b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// TestDepthwiseWideMatchesRef checks the 16-bit weight kernels
// (NewDepthwiseWideFast, NewDepthwiseWidePadded) against DepthwiseRef with
// weights over [−255, 255] (a uint8 filter's w − zw), channel counts
// multiples of 16 and not.
func TestDepthwiseWideMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	tested := 0
	for i := 0; i < 300; i++ {
		g := randDWGeom(r, i%3 == 0)
		if i%2 == 0 {
			g.InC = 1 + r.IntN(47)
		}
		g.OutC = g.InC
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		f := make([]int16, g.KH*g.KW*g.OutC)
		for j := range f {
			f[j] = int16(r.IntN(511) - 255)
		}
		var bias []int32
		if r.IntN(3) > 0 {
			bias = make([]int32, g.OutC)
			for c := range bias {
				bias[c] = int32(r.Uint32()) >> r.IntN(32)
			}
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
		got := make([]int8, len(want))
		if g.OutC%16 == 0 {
			d := NewDepthwiseWideFast(g, q, f, bias)
			if d == nil {
				t.Skip("no vector depthwise kernel on this machine")
			}
			goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(in, got, lo, hi) })
		} else {
			d := NewDepthwiseWidePadded(g, q, f, bias)
			if d == nil {
				t.Skip("no vector depthwise kernel on this machine")
			}
			scratch := randInt8s(r, d.ScratchBytes())
			d.Pad(in, scratch)
			goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(scratch, got, lo, hi) })
		}
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("%+v: wide[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		tested++
	}
	if tested < 100 {
		t.Fatalf("only %d geometries tested", tested)
	}
}

// TestDepthwiseGroupedMatchesRef checks the grouped layout (C divides 16,
// horizontal stride 1: 16/C pixels per vector over row-padded input)
// against DepthwiseRef: 1, 2, 4 and 8 channels, 8-bit and 16-bit weights
// (8 channels 3×3: the VNNI pair kernels, one and two rows a call, with
// and without residual weights, then the 16-bit kernel for the pixels
// after their groups of eight), widths that leave a partial last group, every padding, vertical
// stride, dilation and window size, batches, rows split across goroutines
// and stale scratch.
func TestDepthwiseGroupedMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	tested, partial := 0, 0
	var paired [2][8]int // VNNI pair kernel [residual weights][OutW%8]
	var twoRow [2]int    // layers where dwInt8VNNIPairs2 runs [residual weights]
	var direct [3]int    // layers run by RowsDirect [PadW 0, 1, 2+]
	var someRows [8]int  // pair kernel layers by kernel rows with residual weights (bits)
	for i := 0; i < 2000; i++ {
		g := randDWGeom(r, i%2 == 0 || r.IntN(2) == 0)
		g.InC = []int{1, 2, 4, 8, 8, 8}[r.IntN(6)]
		g.OutC = g.InC
		g.StrideW = 1
		if g.InC == 8 && r.IntN(2) == 0 {
			g.DilW = 1
		}
		if g.InC == 8 && r.IntN(2) == 0 { // the two-row pair kernel
			g.StrideH, g.DilH = 1, 1
			g.OutH = OutSize(r.IntN(4) > 0, g.InH, g.KH, 1, 1)
			g.PadH, _ = Pad(1, 1, g.InH, g.KH, g.OutH)
		}
		if i%5 == 0 || (g.InC == 8 && i%3 > 0) {
			g.InW = 1 + r.IntN(40)
		}
		same := r.IntN(4) > 0
		g.OutW = OutSize(same, g.InW, g.KW, 1, g.DilW)
		g.PadW, _ = Pad(1, g.DilW, g.InW, g.KW, g.OutW)
		if r.IntN(8) == 0 || (g.InC == 8 && r.IntN(4) == 0) { // explicit padding, 0..3 columns each side
			g.PadW = r.IntN(4)
			g.OutW = g.InW + 2*g.PadW - (g.KW-1)*g.DilW
		}
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		var bias []int32
		if r.IntN(3) > 0 {
			bias = make([]int32, g.OutC)
			for c := range bias {
				bias[c] = int32(r.Uint32()) >> r.IntN(32)
			}
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		var d *DepthwiseInt8Padded
		if i%3 == 0 || (g.InC == 8 && r.IntN(2) == 0) {
			f := make([]int16, g.KH*g.KW*g.OutC)
			outliers := r.IntN(2) == 0 // int8 weights but a tap or two (some kernel rows' residuals zero)
			for j := range f {
				if outliers {
					f[j] = int16(r.IntN(256) - 128)
				} else {
					f[j] = int16(r.IntN(511) - 255)
				}
			}
			if outliers {
				for range 1 + r.IntN(2) {
					f[r.IntN(len(f))] = int16(128+r.IntN(127)) * int16(1-2*r.IntN(2))
				}
			}
			DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
			d = NewDepthwiseWidePadded(g, q, f, bias)
		} else {
			f := randInt8s(r, g.KH*g.KW*g.OutC)
			DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
			d = NewDepthwiseInt8Padded(g, q, f, bias)
		}
		if d == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		if d.k != 16/g.InC {
			t.Fatalf("%+v: %d pixels per vector, want %d", g, d.k, 16/g.InC)
		}
		if d.pairs != nil && g.OutW >= 8 {
			paired[b2i(d.pairs.rows != 0)][g.OutW%8]++
			someRows[d.pairs.rows]++
			if g.StrideH == 1 && g.DilH == 1 && g.OutH >= 2 {
				twoRow[b2i(d.pairs.rows != 0)]++
			}
		}
		scratch := randInt8s(r, d.ScratchBytes())
		d.Pad(in, scratch)
		got := randInt8s(r, len(want))
		goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(scratch, got, lo, hi) })
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("%+v: grouped[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		if d.Direct() != (d.pairs != nil && g.OutW%8 == 0) {
			t.Fatalf("%+v: Direct() = %v with pair kernel %v", g, d.Direct(), d.pairs != nil)
		}
		if d.Direct() {
			// The input alone, in a buffer with stale bytes around it
			// (the masked loads must not take them).
			buf := randInt8s(r, len(in)+256)
			src := buf[128 : 128+len(in)]
			copy(src, in)
			got := randInt8s(r, len(want))
			goPar(g.Batch*g.OutH, func(lo, hi int) { d.RowsDirect(src, got, lo, hi) })
			if k := firstDiff(got, want); k >= 0 {
				t.Fatalf("%+v: direct[%d] = %d, reference %d", g, k, got[k], want[k])
			}
			direct[min(g.PadW, 2)]++
		}
		tested++
		if g.OutW%d.k != 0 {
			partial++
		}
	}
	if tested < 600 || partial < 100 {
		t.Fatalf("only %d geometries tested, %d with a partial group", tested, partial)
	}
	for _, p := range paired {
		if hasDWVNNI && (min(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]) < 2 || p[0]+p[1]+p[2]+p[3]+p[4]+p[5]+p[6]+p[7] < 40) {
			t.Fatalf("VNNI pair kernel ran on %v layers ([residual][OutW%%8]): too few", paired)
		}
	}
	if hasDWVNNI && min(someRows[0], someRows[1], someRows[2], someRows[3], someRows[4], someRows[5], someRows[6], someRows[7]) < 5 {
		t.Fatalf("VNNI pair kernel ran on %v layers (by kernel rows with residual weights): some too few", someRows)
	}
	if hasDWVNNI && min(twoRow[0], twoRow[1]) < 20 {
		t.Fatalf("two-row VNNI pair kernel ran on %v layers ([residual]): too few", twoRow)
	}
	if hasDWVNNI && min(direct[0], direct[1], direct[2]) < 5 {
		t.Fatalf("RowsDirect ran on %v layers ([PadW 0, 1, 2+]): too few", direct)
	}
	t.Logf("VNNI pair kernel ran on %v layers ([residual][OutW%%8]), two-row on %v, direct on %v", paired, twoRow, direct)
}

// BenchmarkDepthwiseGrouped is MobileNetV1 0.25's first depthwise layer
// (112x112x8, 3x3, stride 1) with 16-bit weights, padding included.
func BenchmarkDepthwiseGrouped(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	g := Geom{Batch: 1, InH: 112, InW: 112, InC: 8, OutC: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, FilterInC: 1}
	g.OutH, g.OutW = 112, 112
	g.PadH, g.PadW = 1, 1
	q := randRequant(r, g.OutC)
	in := randInt8s(r, g.InH*g.InW*g.InC)
	f := make([]int16, 9*g.OutC)
	for j := range f {
		f[j] = int16(r.IntN(511) - 255)
	}
	d := NewDepthwiseWidePadded(g, q, f, nil)
	if d == nil {
		b.Skip("no vector depthwise kernel")
	}
	scratch := make([]int8, d.ScratchBytes())
	out := make([]int8, g.OutH*g.OutW*g.OutC)
	macs := float64(g.OutH * g.OutW * g.OutC * 9)
	b.ReportAllocs()
	for b.Loop() {
		d.Pad(in, scratch)
		d.Rows(scratch, out, 0, g.OutH)
	}
	b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// TestDepthwiseExpandMatchesRef checks the channel-padded layout on one
// input channel with a depth multiplier of 2..15 (Pad repeats the
// channel; 3×3 windows, both strides, dilation, padding, 8-bit and 16-bit
// weights; times 8 with OutW a multiple of 8 on the pair kernels, from
// the input itself) and on 8 channels at horizontal stride 2 (Pad's and
// the copy out's eight-byte moves) against DepthwiseRef.
func TestDepthwiseExpandMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	tested, eight, plain := 0, 0, 0
	var paired [2]int // one channel times 8 on the pair kernels [stride 1, 2]
	for i := 0; i < 600; i++ {
		g := randDWGeom(r, true)
		g.InC, g.OutC = 1, 2+r.IntN(14)
		if i%3 == 0 {
			g.OutC = 8
			if r.IntN(2) == 0 { // widths the pair kernels cover (OutW a multiple of 8)
				g.InW = 8 * (1 + r.IntN(4)) * g.StrideW
				g.OutW = OutSize(true, g.InW, g.KW, g.StrideW, g.DilW)
				g.PadW, _ = Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
			}
		}
		if i%3 == 1 { // 8 channels, depth multiplier 1, stride 2
			g.InC, g.OutC, g.StrideW = 8, 8, 2
			g.OutW = OutSize(r.IntN(2) == 0, g.InW, g.KW, 2, g.DilW)
			g.PadW, _ = Pad(2, g.DilW, g.InW, g.KW, g.OutW)
		}
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		q := randRequant(r, g.OutC)
		in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
		var bias []int32
		if r.IntN(3) > 0 {
			bias = make([]int32, g.OutC)
			for c := range bias {
				bias[c] = int32(r.Uint32()) >> (8 + r.IntN(24))
			}
		}
		want := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
		var d *DepthwiseInt8Padded
		if i%3 == 0 {
			f := make([]int16, 9*g.OutC)
			for j := range f {
				f[j] = int16(r.IntN(511) - 255)
			}
			DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
			d = NewDepthwiseWidePadded(g, q, f, bias)
		} else {
			f := randInt8s(r, 9*g.OutC)
			DepthwiseRef(&g, q, in, f, bias, want, 0, g.Batch*g.OutH)
			d = NewDepthwiseInt8Padded(g, q, f, bias)
		}
		if d == nil {
			t.Skip("no vector depthwise kernel on this machine")
		}
		if d.expand != (g.InC == 1) || (d.k != 0) != d.directOnly() {
			t.Fatalf("%+v: expand %v, %d pixels per vector, direct only %v", g, d.expand, d.k, d.directOnly())
		}
		if d.directOnly() {
			if !d.Direct() {
				t.Fatalf("%+v: the pair kernels without Direct", g)
			}
			got := randInt8s(r, len(want))
			goPar(g.Batch*g.OutH, func(lo, hi int) { d.RowsDirect(in, got, lo, hi) })
			if k := firstDiff(got, want); k >= 0 {
				t.Fatalf("%+v: one channel on the pair kernels [%d] = %d, reference %d", g, k, got[k], want[k])
			}
			paired[g.StrideW-1]++
		}
		scratch := randInt8s(r, d.ScratchBytes())
		d.Pad(in, scratch)
		got := randInt8s(r, len(want))
		goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(scratch, got, lo, hi) })
		if k := firstDiff(got, want); k >= 0 {
			t.Fatalf("%+v: expanded[%d] = %d, reference %d", g, k, got[k], want[k])
		}
		tested++
		switch {
		case g.InC == 8:
			plain++
		case g.OutC == 8:
			eight++
		}
	}
	if tested < 450 || eight < 150 || plain < 150 {
		t.Fatalf("only %d geometries tested, %d with one channel times 8, %d with 8 channels", tested, eight, plain)
	}
	if hasDWVNNI && min(paired[0], paired[1]) < 20 {
		t.Fatalf("pair kernels ran on %v one-channel layers ([stride 1, 2]): too few", paired)
	}
	g := Geom{Batch: 1, InH: 6, InW: 6, InC: 1, OutC: 8, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OutH: 6, OutW: 6}
	if d := NewDepthwiseInt8Padded(g, randRequant(r, 8), randInt8s(r, 8), nil); d != nil {
		t.Fatal("took a 1x1 window of one channel (the convolution's case)")
	}
}
