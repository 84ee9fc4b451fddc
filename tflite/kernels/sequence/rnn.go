package sequence

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// RNNFloat is a prepared float32 UNIDIRECTIONAL_SEQUENCE_RNN: per step
// h = act(W·x + b + R·h), Dims.Cell being the number of units.
type RNNFloat struct {
	Dims
	In  *gemm.PackedF32 // [Cell, Input], bias folded in
	Rec *gemm.PackedF32 // [Cell, Cell], no bias
	// Act applies the fused activation to a slice in place.
	Act func([]float32)
}

// ScratchBytes returns the scratch Run needs.
func (l *RNNFloat) ScratchBytes() int { return 4 * (l.Time*l.Batch*l.Cell + l.Batch*l.Cell) }

// Run runs the sequence x, updating the hidden state h [Batch, Cell] in
// place and writing every step's state to out.
func (l *RNNFloat) Run(x, h, out []float32, scratch []byte) {
	n := l.Cell
	rows := l.Time * l.Batch
	sc := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(scratch))), len(scratch)/4)
	pre, rec := sc[:rows*n], sc[rows*n:rows*n+l.Batch*n]
	inf := float32(math.Inf(1))
	gemm.F32(x, l.Input, rows, l.In, 0, l.In.Panels, -inf, inf, pre, n)
	for t := range l.Time {
		gemm.F32(h, n, l.Batch, l.Rec, 0, l.Rec.Panels, -inf, inf, rec, n)
		for b := range l.Batch {
			r := l.row(t, b)
			hb, rb, p := h[b*n:b*n+n], rec[b*n:b*n+n], pre[r*n:r*n+n]
			for k := range hb {
				hb[k] = p[k] + rb[k]
			}
			l.Act(hb)
			copy(out[r*n:r*n+n], hb)
		}
	}
}
