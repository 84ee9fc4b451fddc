package conv

import (
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

func benchConv(b *testing.B, g Geom) {
	r := rand.New(rand.NewPCG(1, 1))
	g.FilterInC = g.InC
	g.DilH, g.DilW = 1, 1
	g.OutH = OutSize(true, g.InH, g.KH, g.StrideH, 1)
	g.OutW = OutSize(true, g.InW, g.KW, g.StrideW, 1)
	g.PadH, _ = Pad(g.StrideH, 1, g.InH, g.KH, g.OutH)
	g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
	q := randRequant(r, g.OutC)
	in := randInt8s(r, g.Batch*g.InH*g.InW*g.InC)
	f := randInt8s(r, g.OutC*g.KH*g.KW*g.InC)
	c, err := NewConvInt8(g, gemm.PackInt8(f, g.OutC, g.KH*g.KW*g.InC), q, nil)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int8, g.Batch*g.OutH*g.OutW*g.OutC)
	scratch := make([]int8, c.ScratchBytes())
	seq := func(n int, fn func(lo, hi int)) { fn(0, n) }
	macs := float64(g.Batch * g.OutH * g.OutW * g.OutC * g.KH * g.KW * g.InC)
	b.ReportAllocs()
	for b.Loop() {
		c.Run(in, out, scratch, 1, seq)
	}
	b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// BenchmarkConvInt8_1x1 is a MobileNetV2 expansion layer: 28x28x32 → 192.
func BenchmarkConvInt8_1x1(b *testing.B) {
	benchConv(b, Geom{Batch: 1, InH: 28, InW: 28, InC: 32, OutC: 192, KH: 1, KW: 1, StrideH: 1, StrideW: 1})
}

// BenchmarkConvInt8_3x3 is MobileNetV2's stem: 224x224x3 → 112x112x32.
func BenchmarkConvInt8_3x3(b *testing.B) {
	benchConv(b, Geom{Batch: 1, InH: 224, InW: 224, InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2})
}

// BenchmarkConvInt8_3x3Deep is a 3x3 convolution over 64 channels.
func BenchmarkConvInt8_3x3Deep(b *testing.B) {
	benchConv(b, Geom{Batch: 1, InH: 28, InW: 28, InC: 64, OutC: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1})
}

// BenchmarkDepthwiseInt8 is a MobileNetV2 depthwise layer: 56x56x144, 3x3.
func BenchmarkDepthwiseInt8(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	g := Geom{Batch: 1, InH: 56, InW: 56, InC: 144, OutC: 144, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, FilterInC: 1}
	g.OutH, g.OutW = 56, 56
	g.PadH, g.PadW = 1, 1
	q := randRequant(r, g.OutC)
	in, f := randInt8s(r, g.InH*g.InW*g.InC), randInt8s(r, 9*g.OutC)
	out := make([]int8, g.OutH*g.OutW*g.OutC)
	macs := float64(g.OutH * g.OutW * g.OutC * 9)
	b.ReportAllocs()
	for b.Loop() {
		DepthwiseInt8(&g, q, in, f, nil, out, 0, g.OutH)
	}
	b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// BenchmarkFCInt8 is a 1280 → 1000 classifier head.
func BenchmarkFCInt8(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	k, o := 1280, 1000
	q := randRequant(r, o)
	in, w := randInt8s(r, k), randInt8s(r, o*k)
	q.OutputOffset, q.Min, q.Max = 0, -128, 127
	fc, err := NewFCInt8(gemm.PackInt8(w, o, k), q, nil)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int8, o)
	seq := func(n int, fn func(lo, hi int)) { fn(0, n) }
	b.ReportAllocs()
	for b.Loop() {
		fc.Run(in, out, 1, 1, seq)
	}
	b.ReportMetric(float64(k*o)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// BenchmarkConvF32Stem times MediaPipe's float stems (3-channel input,
// stride 2, SAME): selfie_segmentation and face_landmark (3x3), and
// face_detection_back and palm_detection (5x5).
func BenchmarkConvF32Stem(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct {
		name        string
		hw, k, outC int
	}{{"selfie_256_k3_16", 256, 3, 16}, {"face_landmark_192_k3_16", 192, 3, 16}, {"face_detection_back_256_k5_24", 256, 5, 24}, {"palm_192_k5_32", 192, 5, 32}} {
		g := Geom{Batch: 1, InH: s.hw, InW: s.hw, InC: 3, OutC: s.outC, KH: s.k, KW: s.k, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, FilterInC: 3}
		g.OutH = OutSize(true, g.InH, g.KH, g.StrideH, 1)
		g.OutW = OutSize(true, g.InW, g.KW, g.StrideW, 1)
		g.PadH, _ = Pad(g.StrideH, 1, g.InH, g.KH, g.OutH)
		g.PadW, _ = Pad(g.StrideW, 1, g.InW, g.KW, g.OutW)
		in, f := randF32s(r, s.hw*s.hw*3), randF32s(r, s.outC*s.k*s.k*3)
		c := NewConvF32(g, f, nil, FloatAct{Min: 0, Max: 6})
		out := make([]float32, g.OutH*g.OutW*g.OutC)
		scratch := make([]float32, c.ScratchBytes()/4)
		seq := func(n int, fn func(lo, hi int)) { fn(0, n) }
		macs := float64(len(out) * s.k * s.k * 3)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Run(in, out, scratch, 1, seq)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
