package conv

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// TransposeConvF32 is a prepared MediaPipe Convolution2DTransposeBias with
// constant weights and bias, computed as matrix products: for each input
// row and filter row ky, the input pixels times the [KW·OutC, InC] weights
// of that filter row (gemm.F32) give every pixel's contribution to KW
// output pixels of output row iy·StrideH + ky − PadH.
//
// When the windows tile the output exactly (stride equal to the kernel,
// no leading padding, every output column covered once) the products are
// written straight into the output with the bias fused; otherwise each
// output row starts from the bias and adds the contributions of its input
// rows from scratch. Either way the sums are reassociated (fused
// multiply-adds over input channels, then one add per tap) relative to
// TransposeConvBiasFloat, so results agree with it within float32
// summation error, not bit for bit. Immutable and safe for concurrent use.
type TransposeConvF32 struct {
	G      Geom
	W      []*gemm.PackedF32 // per filter row ky: [KW·OutC, InC], bias per tap when direct
	Bias   []float32
	direct bool
}

// NewTransposeConvF32 prepares the operator from the [OutC, KH, KW, InC]
// filter and the OutC biases. g is the geometry the operator derived
// (output size and leading padding included).
func NewTransposeConvF32(g Geom, filter, bias []float32) *TransposeConvF32 {
	t := &TransposeConvF32{G: g, Bias: bias}
	t.direct = g.StrideH == g.KH && g.StrideW == g.KW && g.PadH == 0 && g.PadW == 0 && g.OutW == g.InW*g.KW
	o := g.KW * g.OutC
	w := make([]float32, o*g.InC)
	var b []float32
	if t.direct {
		b = make([]float32, o)
		for kx := range g.KW {
			copy(b[kx*g.OutC:], bias)
		}
	}
	for ky := range g.KH {
		// Row (kx, c) of the product's weights is filter[c][ky][kx][:].
		for kx := range g.KW {
			for c := range g.OutC {
				copy(w[(kx*g.OutC+c)*g.InC:][:g.InC], filter[((c*g.KH+ky)*g.KW+kx)*g.InC:][:g.InC])
			}
		}
		t.W = append(t.W, gemm.PackF32(w, b, o, g.InC))
	}
	return t
}

// rowScratch is the number of floats one part's scratch holds: the
// contributions of one input row to one filter row.
func (t *TransposeConvF32) rowScratch() int {
	if t.direct {
		return 0
	}
	return t.G.InW * t.G.KW * t.G.OutC
}

// Parts returns the number of independent parts the operator splits into
// for up to workers concurrent callers (at least 1).
func (t *TransposeConvF32) Parts(workers int) int {
	return max(1, min(workers, MaxSlots, t.G.Batch*t.G.OutH))
}

// ScratchBytes returns the scratch RunParts needs for n parts.
func (t *TransposeConvF32) ScratchBytes(n int) int { return 4 * n * t.rowScratch() }

// RunParts computes parts [lo, hi) of n: part p is output rows
// [p·R/n, (p+1)·R/n) of R = Batch·OutH and uses the p-th slice of
// scratch (ScratchBytes(n)/4 values). Calls on disjoint ranges may run
// concurrently.
func (t *TransposeConvF32) RunParts(in, out, scratch []float32, n, lo, hi int) {
	rows := t.G.Batch * t.G.OutH
	for p := lo; p < hi; p++ {
		r0, r1 := p*rows/n, (p+1)*rows/n
		if t.direct {
			t.direct1(in, out, r0, r1)
			continue
		}
		s := t.rowScratch()
		t.general(in, out, scratch[p*s:(p+1)*s], r0, r1)
	}
}

func (t *TransposeConvF32) direct1(in, out []float32, r0, r1 int) {
	g := &t.G
	inf := float32(math.Inf(1))
	rowIn, rowOut := g.InW*g.InC, g.OutW*g.OutC
	for row := r0; row < r1; row++ {
		b, oy := row/g.OutH, row%g.OutH
		iy, ky := oy/g.KH, oy%g.KH
		w := t.W[ky]
		gemm.F32(in[(b*g.InH+iy)*rowIn:], g.InC, g.InW, w, 0, w.Panels, -inf, inf,
			out[(b*g.OutH+oy)*rowOut:][:rowOut], g.KW*g.OutC)
	}
}

func (t *TransposeConvF32) general(in, out, cols []float32, r0, r1 int) {
	g := &t.G
	inf := float32(math.Inf(1))
	oc := g.OutC
	rowIn, rowOut, tap := g.InW*g.InC, g.OutW*oc, g.KW*oc
	for row := r0; row < r1; row++ {
		b, oy := row/g.OutH, row%g.OutH
		o := out[(b*g.OutH+oy)*rowOut:][:rowOut]
		for x := 0; x < len(o); x += oc {
			copy(o[x:x+oc], t.Bias)
		}
		iyLo := max(0, ceilDiv(oy+g.PadH-g.KH+1, g.StrideH))
		iyHi := min(g.InH-1, floorDiv(oy+g.PadH, g.StrideH))
		for iy := iyLo; iy <= iyHi; iy++ {
			ky := oy + g.PadH - iy*g.StrideH
			w := t.W[ky]
			gemm.F32(in[(b*g.InH+iy)*rowIn:], g.InC, g.InW, w, 0, w.Panels, -inf, inf, cols, tap)
			// Input pixel ix, tap kx lands on output column
			// ix·StrideW + kx − PadW.
			for ix := range g.InW {
				src := cols[ix*tap:][:tap]
				ox0 := ix*g.StrideW - g.PadW
				kx0, kx1 := max(0, -ox0), min(g.KW, g.OutW-ox0)
				if kx0 >= kx1 {
					continue
				}
				dst := o[(ox0+kx0)*oc : (ox0+kx1)*oc]
				for i, v := range src[kx0*oc : kx1*oc] {
					dst[i] += v
				}
			}
		}
	}
}
