package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// TestConvRows checks ConvRows against ConvRef (the uint8 reference
// kernel) on 1×1 stride-1 convolutions (the input's rows) and windows with
// strides, dilations and padding (im2col rows), weights spread over
// [0, 255] or near their zero point, zero points 0, 1, 254, 255.
func TestConvRows(t *testing.T) {
	if !gemm.RowTermsFast() {
		t.Skip("no vector row-term GEMM on this machine")
	}
	r := rand.New(rand.NewPCG(41, 42))
	ran := 0
	for i := range 120 {
		c, ok := randUint8ConvCase(r, i)
		if !ok {
			continue
		}
		p, err := NewConvRows(c.g, c.fw, c.zw, Uint8AsInt8(c.q), c.bias)
		if err != nil || p == nil {
			t.Fatalf("case %d: NewConvRows: %v", i, err)
		}
		x8 := make([]int8, len(c.in))
		FlipSign(x8, c.in)
		want := c.want()
		scratch := randInt8s(r, p.ScratchBytes()) // stale scratch must not matter
		got8 := make([]int8, len(want))
		n := p.Parts(3)
		goPar(n, func(lo, hi int) { p.RunParts(x8, got8, scratch, n, lo, hi) })
		checkFlipped(t, got8, want, fmt.Sprintf("case %d (zw %d, %+v)", i, c.zw, c.g))
		ran++
	}
	if ran < 80 {
		t.Fatalf("only %d cases ran", ran)
	}
}

// TestConvRowsLong checks ConvRows against ConvRef on 1×1 layers of many
// pixels (289 to 1764 rows: several directRowTile chunks, each several
// full GEMM tiles and a remainder), one part and three.
func TestConvRowsLong(t *testing.T) {
	if !gemm.RowTermsFast() {
		t.Skip("no vector row-term GEMM on this machine")
	}
	r := rand.New(rand.NewPCG(43, 44))
	for i := 0; i < 12; i++ {
		c, _ := randUint8ConvCase(r, 3*i) // i%3 == 0: a 1×1 stride-1 layer
		c.g.Batch = 1
		c.g.InH, c.g.InW = 17+r.IntN(26), 17+r.IntN(26)
		c.g.OutH, c.g.OutW = c.g.InH, c.g.InW
		c.in = make([]uint8, c.g.InH*c.g.InW*c.g.InC)
		for j := range c.in {
			c.in[j] = uint8(r.IntN(256))
		}
		p, err := NewConvRows(c.g, c.fw, c.zw, Uint8AsInt8(c.q), c.bias)
		if err != nil || p == nil {
			t.Fatalf("case %d: NewConvRows: %v", i, err)
		}
		x8 := make([]int8, len(c.in))
		FlipSign(x8, c.in)
		want := c.want()
		for _, workers := range []int{1, 3} {
			got8 := make([]int8, len(want))
			n := p.Parts(workers)
			goPar(n, func(lo, hi int) { p.RunParts(x8, got8, nil, n, lo, hi) })
			checkFlipped(t, got8, want, fmt.Sprintf("case %d, %d workers (zw %d, %+v)", i, workers, c.zw, c.g))
		}
	}
}

// BenchmarkConvRows times ConvRows on the narrow uint8 layers of
// MobileNetV1 0.25 224 and the AutoML labeler (one thread).
func BenchmarkConvRows(b *testing.B) {
	for _, s := range []struct {
		name                    string
		h, inC, outC, kh, strid int
	}{
		{"stem112x3to8", 224, 3, 8, 3, 2},
		{"stem112x3to16", 224, 3, 16, 3, 2},
		{"pw112x8to16", 112, 8, 16, 1, 1},
		{"pw112x16to8", 112, 16, 8, 1, 1},
		{"pw112x8to48", 112, 8, 48, 1, 1},
		{"pw56x48to8", 56, 48, 8, 1, 1},
		{"pw56x16to32", 56, 16, 32, 1, 1},
		{"pw56x32to32", 56, 32, 32, 1, 1},
	} {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			g := Geom{Batch: 1, InH: s.h, InW: s.h, InC: s.inC, OutC: s.outC, KH: s.kh, KW: s.kh, FilterInC: s.inC,
				StrideH: s.strid, StrideW: s.strid, DilH: 1, DilW: 1}
			g.OutH, g.OutW = OutSize(true, s.h, s.kh, s.strid, 1), OutSize(true, s.h, s.kh, s.strid, 1)
			g.PadH, _ = Pad(s.strid, 1, s.h, s.kh, g.OutH)
			g.PadW, _ = Pad(s.strid, 1, s.h, s.kh, g.OutW)
			k := s.kh * s.kh * s.inC
			fw := make([]uint8, s.outC*k)
			for j := range fw {
				fw[j] = uint8(r.IntN(256))
			}
			q := &Requant{InputOffset: -128, FilterOffset: -120, OutputOffset: 0,
				Mult: make([]int32, s.outC), Shift: make([]int, s.outC), Min: 0, Max: 255}
			for j := range q.Mult {
				q.Mult[j], q.Shift[j] = 1<<30, -8
			}
			p, err := NewConvRows(g, fw, 120, Uint8AsInt8(q), nil)
			if err != nil || p == nil {
				b.Fatalf("NewConvRows: %v", err)
			}
			in := randInt8s(r, s.h*s.h*s.inC)
			out := make([]int8, g.OutH*g.OutW*s.outC)
			scratch := make([]int8, p.ScratchBytes())
			n := p.Parts(1)
			for b.Loop() {
				p.RunParts(in, out, scratch, n, 0, n)
			}
			b.ReportMetric(float64(g.OutH*g.OutW*s.outC*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
