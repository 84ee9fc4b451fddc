package conv

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPointwiseOutliers checks PointwiseOutliers against ConvRefChannels
// on 1×1 convolutions whose outlier channels need two and three int8
// parts (v = w − zw of ±255 at zero points 0 and 255), with and without
// an output flip.
func TestPointwiseOutliers(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := range 40 {
		b, h, w, inC, outC := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9), 1+r.IntN(70), 2+r.IntN(20)
		zw := []int32{0, 255, int32(r.IntN(256))}[i%3]
		fw := make([]uint8, outC*inC)
		for j := range fw {
			fw[j] = uint8(r.IntN(256))
		}
		for j := 0; j < inC; j += 3 { // extremes in channel 0
			fw[j] = 255 - uint8(zw)
		}
		_, chans := OffsetUint8Filter(fw, zw, outC, inC, inC, 1)
		if len(chans) == 0 {
			continue
		}
		g := Geom{Batch: b, InH: h, InW: w, InC: inC, OutH: h, OutW: w, OutC: outC, KH: 1, KW: 1, FilterInC: inC, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
		mult, shift := make([]int32, outC), make([]int, outC)
		for j := range mult {
			mult[j], shift[j] = int32(1<<30+r.IntN(1<<30)), -8-r.IntN(4)
		}
		q := &Requant{InputOffset: -int32(r.IntN(256)), FilterOffset: -zw, OutputOffset: int32(r.IntN(256)), Mult: mult, Shift: shift, Min: 0, Max: 255}
		bias := make([]int32, outC)
		for j := range bias {
			bias[j] = int32(r.IntN(20001) - 10000)
		}
		in := make([]uint8, b*h*w*inC)
		for j := range in {
			in[j] = uint8(r.IntN(256))
		}
		x8 := make([]int8, len(in))
		FlipSign(x8, in)
		p := NewPointwiseOutliers(fw, zw, inC, chans)
		if p == nil {
			t.Fatalf("case %d: %d outlier channels refused", i, len(chans))
		}
		for _, xo := range []uint8{0, 0x80} {
			want := make([]uint8, b*h*w*outC)
			got := make([]uint8, len(want))
			ConvRefChannels(&g, q, in, fw, bias, want, chans, 0, xo, 0, b*h)
			p.Run(q, bias, x8, b*h*w, outC, got, xo)
			if !slices.Equal(got, want) {
				t.Fatalf("case %d (zw %d, %d outliers, out xor %#x): differs from ConvRefChannels", i, zw, len(chans), xo)
			}
		}
	}
}

// TestDepthwiseOutliers checks DepthwiseOutliers against
// DepthwiseRefChannels on random windows (strides, dilations, padding,
// depth multipliers) with outlier channels, with and without an output
// flip.
func TestDepthwiseOutliers(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	ran := 0
	for i := range 60 {
		b, h, w, inC := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9), 1+r.IntN(20)
		kh, kw := 1+r.IntN(3), 1+r.IntN(3)
		g := Geom{Batch: b, InH: h, InW: w, InC: inC, OutC: inC * (1 + r.IntN(2)), KH: kh, KW: kw, FilterInC: 1,
			StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		g.PadH, g.PadW = r.IntN(kh), r.IntN(kw)
		g.OutH = (h+2*g.PadH-(kh-1)*g.DilH-1)/g.StrideH + 1
		g.OutW = (w+2*g.PadW-(kw-1)*g.DilW-1)/g.StrideW + 1
		if g.OutH < 1 || g.OutW < 1 {
			continue
		}
		zw := []int32{0, 255, int32(r.IntN(256))}[i%3]
		taps := kh * kw
		fw := make([]uint8, g.OutC*taps)
		for j := range fw {
			fw[j] = uint8(r.IntN(256))
		}
		fw[0] = 255 - uint8(zw) // an extreme in the first channel
		_, chans := OffsetUint8Filter(fw, zw, g.OutC, taps, 1, g.OutC)
		if len(chans) > 0 {
			ran++
		}
		mult, shift := make([]int32, g.OutC), make([]int, g.OutC)
		for j := range mult {
			mult[j], shift[j] = int32(1<<30+r.IntN(1<<30)), -6-r.IntN(4)
		}
		zx := int32(r.IntN(256))
		q := &Requant{InputOffset: -zx, FilterOffset: -zw, OutputOffset: int32(r.IntN(256)), Mult: mult, Shift: shift, Min: 0, Max: 255}
		bias := make([]int32, g.OutC)
		for j := range bias {
			bias[j] = int32(r.IntN(2001) - 1000)
		}
		in := make([]uint8, b*h*w*inC)
		for j := range in {
			in[j] = uint8(r.IntN(256))
		}
		x8 := make([]int8, len(in))
		FlipSign(x8, in)
		d := NewDepthwiseOutliers(&g, fw, zw, chans)
		for _, xo := range []uint8{0, 0x80} {
			want := make([]uint8, b*g.OutH*g.OutW*g.OutC)
			got := make([]uint8, len(want))
			DepthwiseRefChannels(&g, q, in, fw, bias, want, chans, 0, xo, 0, b*g.OutH)
			d.Run(q, bias, x8, got, xo)
			if !slices.Equal(got, want) {
				t.Fatalf("case %d (%+v, zw %d, outliers %v): differs from the reference", i, g, zw, chans)
			}
		}
	}
	if ran < 20 {
		t.Fatalf("only %d of 60 cases had outlier channels", ran)
	}
}

// TestConvOutliers checks ConvOutliers against ConvRefChannels on random
// windows (strides, dilations, padding) with outlier channels, with and
// without an output flip.
func TestConvOutliers(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	ran := 0
	for i := range 60 {
		b, h, w, inC := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9), 1+r.IntN(20)
		kh, kw := 1+r.IntN(3), 1+r.IntN(3)
		g := Geom{Batch: b, InH: h, InW: w, InC: inC, OutC: 1 + r.IntN(20), KH: kh, KW: kw, FilterInC: inC,
			StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		g.PadH, g.PadW = r.IntN(kh), r.IntN(kw)
		g.OutH = (h+2*g.PadH-(kh-1)*g.DilH-1)/g.StrideH + 1
		g.OutW = (w+2*g.PadW-(kw-1)*g.DilW-1)/g.StrideW + 1
		if g.OutH < 1 || g.OutW < 1 {
			continue
		}
		zw := []int32{0, 255, int32(r.IntN(256))}[i%3]
		k := kh * kw * inC
		fw := make([]uint8, g.OutC*k)
		for j := range fw {
			fw[j] = uint8(r.IntN(256))
		}
		fw[0] = 255 - uint8(zw) // an extreme in the first channel
		_, chans := OffsetUint8Filter(fw, zw, g.OutC, k, k, 1)
		if len(chans) > 0 {
			ran++
		}
		mult, shift := make([]int32, g.OutC), make([]int, g.OutC)
		for j := range mult {
			mult[j], shift[j] = int32(1<<30+r.IntN(1<<30)), -8-r.IntN(4)
		}
		zx := int32(r.IntN(256))
		q := &Requant{InputOffset: -zx, FilterOffset: -zw, OutputOffset: int32(r.IntN(256)), Mult: mult, Shift: shift, Min: 0, Max: 255}
		bias := make([]int32, g.OutC)
		for j := range bias {
			bias[j] = int32(r.IntN(2001) - 1000)
		}
		in := make([]uint8, b*h*w*inC)
		for j := range in {
			in[j] = uint8(r.IntN(256))
		}
		x8 := make([]int8, len(in))
		FlipSign(x8, in)
		c := NewConvOutliers(&g, fw, zw, chans)
		for _, xo := range []uint8{0, 0x80} {
			want := make([]uint8, b*g.OutH*g.OutW*g.OutC)
			got := make([]uint8, len(want))
			ConvRefChannels(&g, q, in, fw, bias, want, chans, 0, xo, 0, b*g.OutH)
			c.Run(q, bias, x8, got, xo)
			if !slices.Equal(got, want) {
				t.Fatalf("case %d (%+v, zw %d, outliers %v): differs from the reference", i, g, zw, chans)
			}
		}
	}
	if ran < 20 {
		t.Fatalf("only %d of 60 cases had outlier channels", ran)
	}
}
