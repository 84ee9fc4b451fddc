package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// TestDepthwiseUint8VNNIMatchesRef runs random uint8 3×3 depthwise layers
// the way a uint8 model's depthwise runs (weights w − zw as 16 bits,
// input and output flipped to int8: NewDepthwiseWideFast, or
// NewDepthwiseInt8Fast where w − zw fits int8) against the uint8
// reference kernel: 16, 32, 48 and more channels (the C16, C32, C48 and
// general Y builds), strides 1 and 2, SAME and VALID padding, widths
// giving every tail, weight and input zero points 0, 1, 127, 128, 254,
// 255 (outlier weights and so split blocks where zw is far from the
// middle), per-tensor multipliers and shifts over the realistic range and
// output zero points over all of [0, 255] (which the fast requantization
// folds into its constants).
func TestDepthwiseUint8VNNIMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	zps := []int32{0, 1, 127, 128, 254, 255}
	var ran, split, fast [3]int // [C16, C32 or C48, other]
	for i := range 1500 {
		blocks := 1 + r.IntN(7)
		c := 16 * blocks
		g := Geom{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(23), InC: c, OutC: c, KH: 3, KW: 3,
			StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilH: 1, DilW: 1, FilterInC: 1}
		same := r.IntN(4) > 0
		g.OutH, g.OutW = OutSize(same, g.InH, 3, g.StrideH, 1), OutSize(same, g.InW, 3, g.StrideW, 1)
		if g.OutH <= 0 || g.OutW <= 0 {
			continue
		}
		g.PadH, _ = Pad(g.StrideH, 1, g.InH, 3, g.OutH)
		g.PadW, _ = Pad(g.StrideW, 1, g.InW, 3, g.OutW)
		zw, zx := zps[r.IntN(len(zps))], zps[r.IntN(len(zps))]
		if r.IntN(4) == 0 {
			zw = int32(r.IntN(256))
		}
		fw := make([]uint8, 9*c)
		for j := range fw {
			switch r.IntN(8) {
			case 0:
				fw[j] = uint8(r.IntN(2) * 255) // extremes: outliers unless zw is near the middle
			default:
				fw[j] = uint8(min(255, max(0, int(zw)+r.IntN(161)-80)))
			}
		}
		q := &Requant{InputOffset: -zx, FilterOffset: -zw, OutputOffset: int32(r.IntN(256)),
			Mult: make([]int32, c), Shift: make([]int, c), Min: 0, Max: 255}
		if r.IntN(3) == 0 {
			q.Min, q.Max = int32(r.IntN(100)), int32(155+r.IntN(100))
		}
		m, s := kernels.QuantizeMultiplier(0.0002 + 0.02*r.Float64())
		for j := range q.Mult {
			q.Mult[j], q.Shift[j] = m, s
		}
		var bias []int32
		if r.IntN(4) > 0 {
			bias = make([]int32, c)
			for j := range bias {
				bias[j] = int32(r.IntN(40001) - 20000)
			}
		}
		in := make([]uint8, g.Batch*g.InH*g.InW*c)
		for j := range in {
			in[j] = uint8(r.IntN(256))
		}
		if r.IntN(5) == 0 { // the input zero point only: the bias and rounding alone
			for j := range in {
				in[j] = uint8(zx)
			}
		}
		want := make([]uint8, g.Batch*g.OutH*g.OutW*c)
		DepthwiseRef(&g, q, in, fw, bias, want, 0, g.Batch*g.OutH)

		w16, w8, fits := make([]int16, len(fw)), make([]int8, len(fw)), true
		for j, v := range fw {
			w16[j] = int16(int32(v) - zw)
			w8[j] = int8(w16[j])
			fits = fits && w16[j] >= -128 && w16[j] <= 127
		}
		qi := Uint8AsInt8(q)
		var d *DepthwiseInt8Fast
		if fits {
			d = NewDepthwiseInt8Fast(g, qi, w8, bias)
		} else {
			d = NewDepthwiseWideFast(g, qi, w16, bias)
		}
		if d == nil {
			if hasDWInt8 {
				t.Fatalf("%+v: no fast depthwise kernel", g)
			}
			continue // no vector kernels (noasm)
		}
		x8 := make([]int8, len(in))
		FlipSign(x8, in)
		what := fmt.Sprintf("case %d %+v zw %d zx %d oz %d mult %d shift %d clamp [%d, %d]", i, g, zw, zx, q.OutputOffset, m, s, q.Min, q.Max)
		for _, par := range []bool{false, true} {
			got := make([]int8, len(want))
			if par {
				goPar(g.Batch*g.OutH, func(lo, hi int) { d.Rows(x8, got, lo, hi) })
			} else {
				d.Rows(x8, got, 0, g.Batch*g.OutH)
			}
			checkFlipped(t, got, want, what)
		}
		k := 2
		switch c {
		case 16:
			k = 0
		case 32, 48:
			k = 1
		}
		ran[k]++
		if d.vnni != nil && len(d.vnni.split) > 0 {
			split[k]++
		}
		if d.vnni != nil && d.vnni.fast {
			fast[k]++
		}
	}
	if hasDWVNNI && (min(split[0], split[1], split[2]) < 50 || min(fast[0], fast[1], fast[2]) < 100) {
		t.Fatalf("layers %v: split blocks in %v, fast kernels in %v ([C16, C32 or C48, other]): too few", ran, split, fast)
	}
	t.Logf("layers %v: split blocks in %v, fast kernels in %v ([C16, C32 or C48, other])", ran, split, fast)
}
