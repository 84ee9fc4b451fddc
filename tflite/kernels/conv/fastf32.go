package conv

import (
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// ConvF32 is a prepared float32 CONV_2D (groups = 1): im2col into scratch
// tiles, or the input itself for a 1x1 stride-1 unpadded convolution,
// followed by gemm.F32 with bias and activation fused. Immutable and safe
// for concurrent use. Results agree with ConvFloatRef within float32
// rounding (the sums are fused multiply-adds in filter order).
type ConvF32 struct {
	G        Geom
	W        *gemm.PackedF32
	Act      FloatAct
	direct   bool
	seg      bool // windows inside the input are read in place (gemm.F32Seg), one run per filter row
	tileRows int
}

// NewConvF32 prepares a float convolution from the [OutC, KH, KW, InC]
// filter and optional bias.
func NewConvF32(g Geom, filter, bias []float32, act FloatAct) *ConvF32 {
	k := g.KH * g.KW * g.InC
	c := &ConvF32{G: g, W: gemm.PackF32(filter, bias, g.OutC, k), Act: act}
	c.direct = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.InH == g.OutH && g.InW == g.OutW
	c.seg = !c.direct && g.DilW == 1 && gemm.SegmentedF32Fast()
	c.tileRows = max(1, min(96, tileBytes/(4*k))/gemmRows) * gemmRows
	return c
}

// ScratchBytes returns the scratch Run needs.
func (c *ConvF32) ScratchBytes() int {
	if c.direct {
		return 0
	}
	return MaxSlots * c.tileRows * c.W.K * 4
}

// Run computes the convolution of in into out using up to workers
// concurrent calls through par. scratch must hold ScratchBytes/4 values.
func (c *ConvF32) Run(in, out, scratch []float32, workers int, par Parallel) {
	n := c.Parts(workers)
	par(n, func(lo, hi int) { c.RunParts(in, out, scratch, n, lo, hi) })
}

// Parts returns the number of independent parts the convolution splits
// into for up to workers concurrent callers (at least 1).
func (c *ConvF32) Parts(workers int) int {
	m := c.G.Batch * c.G.OutH * c.G.OutW
	if c.direct {
		return (m + gemmRows - 1) / gemmRows * c.panelGroups(workers)
	}
	return max(1, min(workers, MaxSlots, (m+c.tileRows-1)/c.tileRows))
}

// panelGroups returns how many groups of weight panels a 1x1 convolution
// splits into for workers: one per worker when the weights outweigh the
// input rows (late layers, where each worker streaming all the weights
// would double the memory traffic), else 1.
func (c *ConvF32) panelGroups(workers int) int {
	m := c.G.Batch * c.G.OutH * c.G.OutW
	if workers < 2 || c.G.OutC < m || c.W.Panels < workers {
		return 1
	}
	return min(workers, MaxSlots)
}

// RunParts computes parts [lo, hi) of the n = Parts(workers) parts of
// the convolution of in into out; calls on disjoint ranges may run
// concurrently. Run is RunParts over [0, n) through par.
func (c *ConvF32) RunParts(in, out, scratch []float32, n, lo, hi int) {
	g := &c.G
	m := g.Batch * g.OutH * g.OutW
	if c.direct {
		// Parts run panel group by panel group, row chunks inside, so
		// that contiguous ranges of parts share the group's weights.
		rows := (m + gemmRows - 1) / gemmRows
		groups := max(1, n/rows)
		for p := lo; p < hi; {
			grp := p / rows
			end := min(hi, (grp+1)*rows)
			r0, r1 := (p-grp*rows)*gemmRows, min(m, (end-grp*rows)*gemmRows)
			p0, p1 := grp*c.W.Panels/groups, (grp+1)*c.W.Panels/groups
			gemm.F32(in[r0*g.InC:], g.InC, r1-r0, c.W, p0, p1, c.Act.Min, c.Act.Max, out[r0*g.OutC:], g.OutC)
			p = end
		}
		return
	}
	tiles := (m + c.tileRows - 1) / c.tileRows
	slots := n
	k := c.W.K
	for s := lo; s < hi; s++ {
		buf := scratch[s*c.tileRows*k : (s+1)*c.tileRows*k]
		for t := s; t < tiles; t += slots {
			r0, r1 := t*c.tileRows, min(m, (t+1)*c.tileRows)
			if c.seg {
				c.runSeg(in, out, r0, r1, buf)
				continue
			}
			if shortSegments(g, 4) {
				im2colShortRuns(g, in, r0, r1, buf, k, 0)
			} else {
				im2colTile(g, in, r0, r1, buf, k, 0)
			}
			gemm.F32(buf, k, r1-r0, c.W, 0, c.W.Panels, c.Act.Min, c.Act.Max, out[r0*g.OutC:], g.OutC)
		}
	}
}

// runSeg computes output pixels [r0, r1): runs of pixels whose windows
// lie inside the input go straight to gemm.F32Seg (KH runs of KW·InC
// values, read where they lie: no im2col copy), the others through
// im2colAt into buf and gemm.F32. Both sum the same products in the same
// order, so the results do not depend on the path.
func (c *ConvF32) runSeg(in, out []float32, r0, r1 int, buf []float32) {
	g := &c.G
	k := c.W.K
	pixStep := g.StrideW * g.InC
	rowStep := g.DilH * g.InW * g.InC
	ox := r0 % g.OutW
	oy := (r0 / g.OutW) % g.OutH
	b := r0 / (g.OutW * g.OutH)
	for r := r0; r < r1; {
		n := min(g.OutW-ox, r1-r)
		iy0 := oy*g.StrideH - g.PadH
		rowInside := iy0 >= 0 && iy0+(g.KH-1)*g.DilH < g.InH
		// inside returns the window offset of pixel x of this row and
		// the number of pixels from x on whose windows are inside.
		inside := func(x int) (off, run int) {
			ix0 := x*g.StrideW - g.PadW
			if !rowInside || ix0 < 0 || ix0+g.KW > g.InW {
				return 0, 0
			}
			return ((b*g.InH+iy0)*g.InW + ix0) * g.InC, (g.InW-g.KW-ix0)/g.StrideW + 1
		}
		for j := 0; j < n; {
			if off, run := inside(ox + j); run > 0 {
				run = min(run, n-j)
				gemm.F32Seg(in[off:], pixStep, run, g.KH, rowStep, c.W, 0, c.W.Panels, c.Act.Min, c.Act.Max,
					out[(r+j)*g.OutC:], g.OutC)
				j += run
				continue
			}
			nb := 0
			for j+nb < n {
				if _, run := inside(ox + j + nb); run > 0 {
					break
				}
				im2colAt(g, in, b, oy, ox+j+nb, buf[nb*k:(nb+1)*k], 0)
				nb++
			}
			gemm.F32(buf, k, nb, c.W, 0, c.W.Panels, c.Act.Min, c.Act.Max, out[(r+j)*g.OutC:], g.OutC)
			j += nb
		}
		r += n
		if ox += n; ox == g.OutW {
			ox = 0
			if oy++; oy == g.OutH {
				oy = 0
				b++
			}
		}
	}
}

// FCF32 is a prepared float32 FULLY_CONNECTED over packed weights.
type FCF32 struct {
	W   *gemm.PackedF32
	Act FloatAct
}

// Run computes rows input rows of W.K values into rows × W.O outputs.
func (f *FCF32) Run(in, out []float32, rows, workers int, par Parallel) {
	par(f.Parts(rows, workers), func(lo, hi int) { f.RunParts(in, out, rows, workers, lo, hi) })
}

// Parts returns the number of independent parts the product of rows input
// rows splits into for up to workers concurrent callers.
func (f *FCF32) Parts(rows, workers int) int {
	if fcByRows(rows, workers, f.W.Panels) {
		return (rows + gemmRows - 1) / gemmRows
	}
	return f.W.Panels
}

// RunParts computes parts [lo, hi) of the Parts(rows, workers) parts of
// the product; calls on disjoint ranges may run concurrently. Run is
// RunParts over every part through par.
func (f *FCF32) RunParts(in, out []float32, rows, workers, lo, hi int) {
	k, o := f.W.K, f.W.O
	if fcByRows(rows, workers, f.W.Panels) {
		r0, r1 := lo*gemmRows, min(rows, hi*gemmRows)
		gemm.F32(in[r0*k:], k, r1-r0, f.W, 0, f.W.Panels, f.Act.Min, f.Act.Max, out[r0*o:], o)
		return
	}
	gemm.F32(in, k, rows, f.W, lo, hi, f.Act.Min, f.Act.Max, out, o)
}

// NewFCF32 packs [o, k] weights and an optional bias.
func NewFCF32(w, bias []float32, o, k int, act FloatAct) *FCF32 {
	return &FCF32{W: gemm.PackF32(w, bias, o, k), Act: act}
}
