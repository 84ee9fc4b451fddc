package conv

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
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
		b, h, w, inC, outC := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9), 1+r.IntN(70), 1+r.IntN(40)
		zw := []int32{0, 255, 1, 254, int32(r.IntN(256))}[i%5]
		g := Geom{Batch: b, InH: h, InW: w, InC: inC, OutH: h, OutW: w, OutC: outC, KH: 1, KW: 1, FilterInC: inC, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
		if i%3 > 0 { // a window
			inC = 1 + r.IntN(8)
			g = Geom{Batch: b, InH: h, InW: w, InC: inC, OutC: outC, KH: 1 + r.IntN(3), KW: 1 + r.IntN(3), FilterInC: inC,
				StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
			same := r.IntN(2) == 0
			g.OutH, g.OutW = OutSize(same, h, g.KH, g.StrideH, g.DilH), OutSize(same, w, g.KW, g.StrideW, g.DilW)
			if g.OutH <= 0 || g.OutW <= 0 {
				continue
			}
			g.PadH, _ = Pad(g.StrideH, g.DilH, h, g.KH, g.OutH)
			g.PadW, _ = Pad(g.StrideW, g.DilW, w, g.KW, g.OutW)
		}
		k := g.KH * g.KW * inC
		fw := make([]uint8, outC*k)
		for j := range fw {
			if i%2 == 0 {
				fw[j] = uint8(r.IntN(256)) // outliers everywhere
			} else {
				fw[j] = uint8(min(255, max(0, int(zw)+r.IntN(200)-100)))
			}
		}
		for j := 0; j < k; j += 7 { // extremes in channel 0
			fw[j] = 255 - uint8(zw)
		}
		q := &Requant{InputOffset: -int32(r.IntN(256)), FilterOffset: -zw, OutputOffset: int32(r.IntN(256)),
			Mult: make([]int32, outC), Shift: make([]int, outC), Min: 0, Max: 255}
		if r.IntN(2) == 0 {
			q.Min, q.Max = int32(r.IntN(100)), int32(155+r.IntN(100))
		}
		m, s := kernels.QuantizeMultiplier(0.0005 + 0.002*r.Float64())
		for j := range q.Mult {
			q.Mult[j], q.Shift[j] = m, s // uint8: one multiplier per tensor
		}
		var bias []int32
		if r.IntN(4) > 0 {
			bias = make([]int32, outC)
			for j := range bias {
				bias[j] = int32(r.IntN(20001) - 10000)
			}
		}
		in := make([]uint8, b*h*w*inC)
		for j := range in {
			in[j] = uint8(r.IntN(256))
		}
		p, err := NewConvRows(g, fw, zw, Uint8AsInt8(q), bias)
		if err != nil || p == nil {
			t.Fatalf("case %d: NewConvRows: %v", i, err)
		}
		x8 := make([]int8, len(in))
		FlipSign(x8, in)
		want := make([]uint8, b*g.OutH*g.OutW*outC)
		ConvRef(&g, q, in, fw, bias, want, 0, b*g.OutH)
		scratch := randInt8s(r, p.ScratchBytes()) // stale scratch must not matter
		got8 := make([]int8, len(want))
		n := p.Parts(3)
		goPar(n, func(lo, hi int) { p.RunParts(x8, got8, scratch, n, lo, hi) })
		got := make([]uint8, len(want))
		for k, v := range got8 {
			got[k] = uint8(v) ^ 0x80
		}
		if !slices.Equal(got, want) {
			k := 0
			for got[k] == want[k] {
				k++
			}
			t.Fatalf("case %d (zw %d, %+v): output %d = %d, reference %d", i, zw, g, k, got[k], want[k])
		}
		ran++
	}
	if ran < 80 {
		t.Fatalf("only %d cases ran", ran)
	}
}
