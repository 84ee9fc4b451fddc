package shape

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBilinearF32MatchesReference checks the table-driven float32 bilinear
// resize bit for bit against ResizeBilinearFloat over up- and downsampling,
// batches, depths, align_corners and half_pixel_centers, with ±0, ±Inf and
// NaN in the input; depths up to 40 cover the vector kernel's full and
// masked chunks.
func TestBilinearF32MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for i := 0; i < 300; i++ {
		p := ResizeParams{
			Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(9), Depth: 1 + r.IntN(40),
			OutH: 1 + r.IntN(20), OutW: 1 + r.IntN(20),
			AlignCorners: r.IntN(2) == 0,
		}
		p.HalfPixelCenters = !p.AlignCorners && r.IntN(2) == 0
		in := make([]float32, p.Batch*p.InH*p.InW*p.Depth)
		negZero := i%4 == 0 // an all -0 image: the reference's +0 must turn the -0 sums into +0
		for j := range in {
			switch {
			case negZero:
				in[j] = float32(math.Copysign(0, -1))
			case r.IntN(30) == 0:
				in[j] = special[r.IntN(len(special))]
			default:
				in[j] = float32(r.NormFloat64() * 3)
			}
		}
		n := p.Batch * p.OutH * p.OutW * p.Depth
		want, got := make([]float32, n), make([]float32, n)
		ResizeBilinearFloat(&p, want, in)
		NewBilinearF32(p).Run(got, in)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) && !(math.IsNaN(float64(got[j])) && math.IsNaN(float64(want[j]))) {
				t.Fatalf("%+v [%d]: got %v (%#x), want %v (%#x)", p, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
			}
		}
	}
}

// BenchmarkBilinearF32 times pose_landmark_lite's largest resize,
// 128x128x8 -> 256x256x8, table-driven against the reference.
func BenchmarkBilinearF32(b *testing.B) {
	p := ResizeParams{Batch: 1, InH: 128, InW: 128, Depth: 8, OutH: 256, OutW: 256}
	in, out := make([]float32, 128*128*8), make([]float32, 256*256*8)
	for i := range in {
		in[i] = float32(i%97) * 0.01
	}
	b.Run("tables", func(b *testing.B) {
		r := NewBilinearF32(p)
		b.ReportAllocs()
		for b.Loop() {
			r.Run(out, in)
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ResizeBilinearFloat(&p, out, in)
		}
	})
}

// TestBilinearU8MatchesReference checks BilinearU8 against
// ResizeBilinearFloat[uint8] byte for byte: up- and downscaling, odd
// sizes, depths 1 to 40, every corner/half-pixel mode, the extremes 0 and
// 255.
func TestBilinearU8MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for i := range 203 {
		p := ResizeParams{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(12), InW: 1 + r.IntN(12), Depth: 1 + r.IntN(40),
			OutH: 1 + r.IntN(30), OutW: 1 + r.IntN(30)}
		if i >= 200 { // DeepLabV3's last resize (33x33x21 to 513x513), fewer rows
			p = ResizeParams{Batch: 1, InH: 33, InW: 33, Depth: 21, OutH: 40, OutW: 513}
		}
		switch i % 3 {
		case 1:
			p.AlignCorners = true
		case 2:
			p.HalfPixelCenters = true
		}
		in := make([]uint8, p.Batch*p.InH*p.InW*p.Depth)
		for j := range in {
			switch r.IntN(4) {
			case 0:
				in[j] = 0
			case 1:
				in[j] = 255
			default:
				in[j] = uint8(r.IntN(256))
			}
		}
		want := make([]uint8, p.Batch*p.OutH*p.OutW*p.Depth)
		ResizeBilinearFloat(&p, want, in)
		b := NewBilinearU8(p)
		got := make([]uint8, len(want))
		scratch := make([]float32, b.ScratchFloats())
		for j := range scratch {
			scratch[j] = r.Float32() * 1000 // stale scratch must not matter
		}
		b.Run(got, in, scratch)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("case %d %+v: out[%d] = %d, reference %d", i, p, j, got[j], want[j])
			}
		}
	}
}
