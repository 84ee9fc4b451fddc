package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// TestStemArgsLayout pins the offsets stem_amd64.s reads.
func TestStemArgsLayout(t *testing.T) {
	var a stemArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"in", unsafe.Offsetof(a.in), 0}, {"out", unsafe.Offsetof(a.out), 24}, {"tiles", unsafe.Offsetof(a.tiles), 32},
		{"inStep", unsafe.Offsetof(a.inStep), 40}, {"outStep", unsafe.Offsetof(a.outStep), 48},
		{"w", unsafe.Offsetof(a.w), 56}, {"params", unsafe.Offsetof(a.params), 64}, {"consts", unsafe.Offsetof(a.consts), 72},
		{"groups", unsafe.Offsetof(a.groups), 80}, {"outC", unsafe.Offsetof(a.outC), 88}, {"cr", unsafe.Offsetof(a.cr), 96},
		{"inXor", unsafe.Offsetof(a.inXor), 100}, {"outXor", unsafe.Offsetof(a.outXor), 104}, {"lo", unsafe.Offsetof(a.lo), 108}, {"hi", unsafe.Offsetof(a.hi), 112},
		{"scatter", unsafe.Offsetof(a.scatter), 120}, {"pend", unsafe.Offsetof(a.pend), 184},
		{"masks", unsafe.Offsetof(a.masks), 192}, {"pad", unsafe.Offsetof(a.pad), 240}, {"clamp", unsafe.Offsetof(a.clamp), 244},
	} {
		if f.got != f.want {
			t.Errorf("stemArgs.%s at %d, the assembly reads %d", f.name, f.got, f.want)
		}
	}
}

// TestStemMatchesRef runs Stem against the uint8 reference convolution on
// random stems: sizes from one pixel through one tile to several (odd
// and even, so SAME padding puts the extra row and column at either end),
// VALID and SAME, batches, 8 to 64 channels, zero points at both ends and
// the middle, per-channel multipliers with left and right shifts or one
// for every channel (per-tensor: stemTilesU, and stemTilesC on the same
// stem), clamps, biases, and inputs and outputs in either byte domain
// (flipped or not).
func TestStemMatchesRef(t *testing.T) {
	if !hasStem {
		t.Skip("no AVX-512 VBMI/VNNI: NewStem returns nil here")
	}
	r := rand.New(rand.NewPCG(5, 9))
	ran, uniform := 0, 0
	for i := range 400 {
		h, w := 1+r.IntN(72), 1+r.IntN(92)
		if i%7 == 0 {
			h, w = 224, 224
		}
		outC := 8 * (1 + r.IntN(8))
		if i%3 == 0 {
			outC = 8
		}
		same := r.IntN(3) > 0
		g := Geom{Batch: 1 + r.IntN(2), InH: h, InW: w, InC: 3, OutC: outC, KH: 3, KW: 3, FilterInC: 3,
			StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
		g.OutH, g.OutW = OutSize(same, h, 3, 2, 1), OutSize(same, w, 3, 2, 1)
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		g.PadH, _ = Pad(2, 1, h, 3, g.OutH)
		g.PadW, _ = Pad(2, 1, w, 3, g.OutW)
		zw := []int32{0, 255, 128, 1, 254, 127, int32(r.IntN(256))}[i%7]
		zx := []int32{0, 255, 128, 1, 254, int32(r.IntN(256))}[r.IntN(6)]
		fw := make([]uint8, outC*27)
		for j := range fw {
			fw[j] = uint8(r.IntN(256))
		}
		q := &Requant{InputOffset: -zx, FilterOffset: -zw, OutputOffset: int32(r.IntN(256)),
			Mult: make([]int32, outC), Shift: make([]int, outC), Min: 0, Max: 255}
		if r.IntN(2) == 0 {
			q.Min, q.Max = int32(r.IntN(100)), int32(155+r.IntN(100))
		}
		perTensor := r.IntN(2) == 0
		for c := range outC {
			scale := 0.00002 + 0.0005*r.Float64()
			switch i % 5 {
			case 0:
				scale = 0.5 + 4*r.Float64() // no right shift, or left shifts
			case 1:
				scale *= 300
			case 2:
				scale = 1 / float64(int(1)<<r.IntN(12)) // ties: a power of two
			}
			q.Mult[c], q.Shift[c] = kernels.QuantizeMultiplier(scale)
			if perTensor && c > 0 {
				q.Mult[c], q.Shift[c] = q.Mult[0], q.Shift[0]
			}
		}
		var bias []int32
		if r.IntN(4) > 0 {
			bias = make([]int32, outC)
			for c := range bias {
				bias[c] = int32(r.IntN(200001) - 100000)
			}
		}
		in := make([]uint8, g.Batch*h*w*3)
		for j := range in {
			in[j] = uint8(r.IntN(256))
			if i%11 == 0 {
				in[j] = uint8(255 * (j % 2))
			}
		}
		want := make([]uint8, g.Batch*g.OutH*g.OutW*outC)
		ConvRef(&g, q, in, fw, bias, want, 0, g.Batch*g.OutH)
		fin, fout := i%2 == 1, (i/2)%2 == 1
		s := NewStem(g, fw, zw, q, bias, fin, fout)
		if s == nil {
			t.Fatalf("case %d: NewStem declined %+v", i, g)
		}
		src := append([]uint8(nil), in...)
		if fin {
			for j := range src {
				src[j] ^= 0x80
			}
		}
		if s.uniform != (perTensor && q.Shift[0] <= 0) {
			t.Fatalf("case %d: uniform %v for per-tensor %v, shift %d", i, s.uniform, perTensor, q.Shift[0])
		}
		kinds := []bool{s.uniform}
		if s.uniform {
			kinds = append(kinds, false) // stemTilesC on the same stem
			uniform++
		}
		for _, u := range kinds {
			s.uniform = u
			got := make([]uint8, len(want))
			scratch := make([]byte, s.ScratchBytes())
			// Two calls over a split of the rows, as parallel parts run.
			split := r.IntN(g.Batch*g.OutH + 1)
			s.Rows(src, got, scratch, 0, split)
			s.Rows(src, got, scratch, split, g.Batch*g.OutH)
			what := fmt.Sprintf("case %d (%dx%dx3 batch %d -> %dx%dx%d pad %d,%d zx %d zw %d in/out flipped %v/%v, uniform kernel %v)",
				i, h, w, g.Batch, g.OutH, g.OutW, outC, g.PadH, g.PadW, zx, zw, fin, fout, u)
			for j := range want {
				wv := want[j]
				if fout {
					wv ^= 0x80
				}
				if got[j] != wv {
					t.Fatalf("%s: output %d (pixel %d channel %d) = %d, reference %d", what, j, j/outC, j%outC, got[j], wv)
				}
			}
		}
		ran++
	}
	if ran < 300 || uniform < 100 {
		t.Fatalf("only %d cases ran, %d of them uniform", ran, uniform)
	}
}

// BenchmarkStem times Stem on the stems of MobileNetV1 0.25 (224×224×3 →
// 112×112×8) and the AutoML labeler (→ 112×112×16), one thread.
func BenchmarkStem(b *testing.B) {
	if !hasStem {
		b.Skip("no stem kernel here")
	}
	for _, outC := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("224x224x3_to_%d", outC), func(b *testing.B) {
			g := Geom{Batch: 1, InH: 224, InW: 224, InC: 3, OutH: 112, OutW: 112, OutC: outC, KH: 3, KW: 3, FilterInC: 3,
				StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
			q := &Requant{InputOffset: -128, FilterOffset: -120, OutputOffset: 0, Mult: make([]int32, outC), Shift: make([]int, outC), Min: 0, Max: 255}
			for c := range outC {
				q.Mult[c], q.Shift[c] = kernels.QuantizeMultiplier(0.0003)
			}
			w := make([]uint8, outC*27)
			for i := range w {
				w[i] = uint8(i * 37)
			}
			s := NewStem(g, w, 120, q, nil, false, true)
			in := make([]uint8, 224*224*3)
			for i := range in {
				in[i] = uint8(i * 13)
			}
			out := make([]uint8, 112*112*outC)
			scratch := make([]byte, s.ScratchBytes())
			for b.Loop() {
				s.Rows(in, out, scratch, 0, 112)
			}
			b.ReportMetric(float64(112*112*outC*27)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
