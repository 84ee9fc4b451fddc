package conv

import (
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// ConvSplit runs a uint8 CONV_2D whose filter has outlier channels (some
// v = w − zw outside int8) as one int8 GEMM over the window rows (the
// input itself for a 1×1 stride-1 unpadded convolution, else im2col rows
// with the input zero point where the window leaves the input): every v
// is peeled into int8 parts (v = p0 + p1 [+ p2], each clamped to
// [−128, 127]); p0 stays in its window position's column and each further
// part goes to a column appended to the row that repeats that position.
// With x' the flipped input, Σ_k x'_k·v_k = Σ_k x'_k·p0_k + Σ_j
// x'_{c_j}·p_j, an exact int32 sum the GEMM computes in one pass with the
// output stage fused, instead of a separate pass per outlier channel
// (PointwiseOutliers, ConvOutliers). The input offset the GEMM folds into
// the bias, off·Σ weights, covers the appended columns too, since they
// hold copies of inputs and their parts sum to v (padding positions hold
// −off, contributing nothing in either place). Only the positions holding
// out-of-range weights are repeated. Immutable; safe for concurrent use.
type ConvSplit struct {
	g    Geom  // the convolution
	k, l int   // window values, augmented row length (a multiple of 4)
	cols []int // appended column j repeats window position cols[j]
	pad  int8  // the input zero point as int8
	conv *ConvInt8
}

// NewConvSplit prepares the convolution of geometry g (groups = 1) with
// the uint8 filter w ([OutC, KH·KW·InC], zero point zw), q its int8 output
// stage (Uint8AsInt8) and bias optional. It returns nil when no weight
// leaves int8 or when the appended columns would outnumber the window's
// values.
func NewConvSplit(g Geom, w []uint8, zw int32, q *Requant, bias []int32) (*ConvSplit, error) {
	k, o := g.KH*g.KW*g.InC, g.OutC
	if g.FilterInC != g.InC {
		return nil, nil
	}
	parts := func(v int32) int { // int8 parts peeling needs for v
		n := 1
		for v < -128 || v > 127 {
			v -= min(max(v, -128), 127)
			n++
		}
		return n
	}
	extra := make([]int, k) // appended columns per window position
	for oc := range o {
		for c := range k {
			extra[c] = max(extra[c], parts(int32(w[oc*k+c])-zw)-1)
		}
	}
	var cols []int
	first := make([]int, k) // first appended column of each window position
	for c, n := range extra {
		first[c] = len(cols)
		for range n {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 || len(cols) > k {
		return nil, nil
	}
	l := (k + len(cols) + 3) &^ 3
	wp := make([]int8, o*l)
	for oc := range o {
		row := wp[oc*l : (oc+1)*l]
		for c := range k {
			v := int32(w[oc*k+c]) - zw
			p := min(max(v, -128), 127)
			row[c], v = int8(p), v-p
			for j := first[c]; v != 0; j++ {
				p = min(max(v, -128), 127)
				row[k+j], v = int8(p), v-p
			}
		}
	}
	// The GEMM: a 1×1 convolution over the output pixels' rows.
	gp := Geom{Batch: g.Batch, InH: g.OutH, InW: g.OutW, InC: l, OutH: g.OutH, OutW: g.OutW, OutC: o,
		KH: 1, KW: 1, FilterInC: l, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	conv, err := NewConvInt8(gp, gemm.PackInt8(wp, o, l), q, bias)
	if err != nil {
		return nil, err
	}
	return &ConvSplit{g: g, k: k, l: l, cols: cols, pad: int8(-q.InputOffset), conv: conv}, nil
}

// Appended is the number of columns appended to each window row.
func (p *ConvSplit) Appended() int { return len(p.cols) }

// ScratchBytes is the scratch the augmented rows take.
func (p *ConvSplit) ScratchBytes() int {
	return p.g.Batch * p.g.OutH * p.g.OutW * p.l
}

// Augment writes the augmented window rows of the flipped input x into
// scratch: call it once before the RunParts of a run.
func (p *ConvSplit) Augment(x, scratch []int8) {
	g := &p.g
	k, l := p.k, p.l
	pointwise := g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.OutH == g.InH && g.OutW == g.InW
	dst := scratch[:p.ScratchBytes()]
	_ = x[g.Batch*g.InH*g.InW*g.InC-1]
	rows := g.Batch * g.OutH * g.OutW
	switch {
	case pointwise:
		for i := range rows {
			copyRow(dst[i*l:i*l+k], x[i*k:(i+1)*k])
		}
	case shortSegments(g, 1):
		im2colShort(g, x, 0, rows, dst, l, p.pad) // zeroes each row's tail
	default:
		im2colTile(g, x, 0, rows, dst, l, p.pad)
	}
	for i := range rows {
		row := dst[i*l : (i+1)*l]
		tail := row[k:]
		for j, c := range p.cols {
			tail[j] = row[c]
		}
		for j := len(p.cols); j < len(tail); j++ {
			tail[j] = 0
		}
	}
}

// Parts is ConvInt8.Parts.
func (p *ConvSplit) Parts(workers int) int { return p.conv.Parts(workers) }

// RunParts computes parts [lo, hi) of the n = Parts(workers) parts from
// the rows Augment left in scratch.
func (p *ConvSplit) RunParts(scratch, out []int8, n, lo, hi int) {
	p.conv.RunParts(scratch[:p.ScratchBytes()], out, nil, n, lo, hi)
}

// copyRow copies the short row src into dst (same length) eight bytes at a
// time (unaligned words), without the call of copy per row.
func copyRow(dst, src []int8) {
	n := len(src)
	if n != len(dst) {
		panic("copyRow: lengths differ")
	}
	w := n &^ 7
	if w > 0 {
		d, s := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
		for i := 0; i < w; i += 8 {
			*(*uint64)(unsafe.Add(d, i)) = *(*uint64)(unsafe.Add(s, i))
		}
	}
	copy(dst[w:], src[w:])
}
