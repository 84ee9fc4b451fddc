package conv

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// uint8ConvCase is one random uint8 convolution for the tests of the
// kernels that run uint8 weights outside int8 (ConvRows, ConvSplit): its
// geometry, weights and their zero point, requantization, bias and input.
type uint8ConvCase struct {
	g    Geom
	fw   []uint8
	zw   int32
	q    *Requant
	bias []int32
	in   []uint8
}

// randUint8ConvCase draws case i: 1×1 stride-1 convolutions (the input's
// rows) and windows with strides, dilations and padding (im2col rows),
// weights spread over [0, 255] or near their zero point, zero points 0,
// 255, 1, 254 or random, extremes in channel 0. ok is false when the
// window leaves no output.
func randUint8ConvCase(r *rand.Rand, i int) (c uint8ConvCase, ok bool) {
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
			return uint8ConvCase{}, false
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
	return uint8ConvCase{g: g, fw: fw, zw: zw, q: q, bias: bias, in: in}, true
}

// want returns the uint8 reference kernel's output for c.
func (c *uint8ConvCase) want() []uint8 {
	g := &c.g
	out := make([]uint8, g.Batch*g.OutH*g.OutW*g.OutC)
	ConvRef(g, c.q, c.in, c.fw, c.bias, out, 0, g.Batch*g.OutH)
	return out
}

// checkFlipped fails t unless got8, an int8 kernel's output (y ^ 0x80),
// is want; what describes the case.
func checkFlipped(t *testing.T, got8 []int8, want []uint8, what string) {
	t.Helper()
	got := make([]uint8, len(got8))
	for k, v := range got8 {
		got[k] = uint8(v) ^ 0x80
	}
	if !slices.Equal(got, want) {
		k := 0
		for got[k] == want[k] {
			k++
		}
		t.Fatalf("%s: output %d = %d, reference %d", what, k, got[k], want[k])
	}
}
