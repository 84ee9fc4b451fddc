package sequence

import (
	"math"
	"unsafe"

	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
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

// RNNHybrid is a prepared hybrid (dynamic-range) UNIDIRECTIONAL_SEQUENCE_RNN
// as TensorFlow Lite runs it: float32 activations and state, int8 weights
// with per-tensor scales. Every row of the input and of the hidden state
// is quantized to int8 on its own (symmetric, or asymmetric with a zero
// point), multiplied in int32 and scaled back: h = act(bias +
// float32(acc_x)·(s_x·s_W) + float32(acc_h)·(s_h·s_R)), in that order.
type RNNHybrid struct {
	Dims
	In, Rec           *gemm.PackedInt8 // [Cell, Input], [Cell, Cell], for gemm.Int8Acc
	InSum, RecSum     []int32          // per output row: Σ weights (asymmetric inputs)
	InScale, RecScale float32
	Bias              []float32
	Asymmetric        bool
	Act               func([]float32)
}

// ScratchBytes returns the scratch Run needs.
func (l *RNNHybrid) ScratchBytes() int {
	rows := l.Time * l.Batch
	n := l.Cell
	return 4*rows*n + 4*max(rows, l.Batch)*n + 8*max(rows, l.Batch) + rows*l.Input + l.Batch*n + l.In.KP + l.Rec.KP + 64
}

// Run runs the sequence x, updating the hidden state h [Batch, Cell] in
// place and writing every step's state to out.
func (l *RNNHybrid) Run(x, h, out []float32, scratch []byte) {
	n := l.Cell
	rows := l.Time * l.Batch
	mr := max(rows, l.Batch)
	f32 := func(b []byte, k int) ([]float32, []byte) {
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), k), b[4*k:]
	}
	i32 := func(b []byte, k int) ([]int32, []byte) {
		return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), k), b[4*k:]
	}
	pre, rest := f32(scratch, rows*n)
	acc, rest := i32(rest, mr*n)
	sf, rest := f32(rest, mr)
	zp, rest := i32(rest, mr)
	i8 := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(rest))), len(rest))
	qx, qh := i8[:rows*l.Input+l.In.KP], i8[rows*l.Input+l.In.KP:]
	quant := func(src []float32, dst []int8, k, r int) {
		if l.Asymmetric {
			sf[r], zp[r] = kconv.QuantizeAsymmetric(src, dst[:k])
		} else {
			sf[r], zp[r] = kconv.QuantizeSymmetric(src, dst[:k]), 0
		}
	}
	for r := range rows {
		quant(x[r*l.Input:(r+1)*l.Input], qx[r*l.Input:], l.Input, r)
	}
	gemm.Int8Acc(qx, l.Input, rows, l.In, acc, n)
	for r := range rows {
		s := sf[r] * l.InScale
		p, a := pre[r*n:(r+1)*n], acc[r*n:(r+1)*n]
		for k := range p {
			d := a[k] - l.InSum[k]*zp[r]
			p[k] = l.Bias[k] + float32(d)*s
		}
	}
	for t := range l.Time {
		for b := range l.Batch {
			quant(h[b*n:(b+1)*n], qh[b*n:], n, b)
		}
		gemm.Int8Acc(qh, n, l.Batch, l.Rec, acc, n)
		for b := range l.Batch {
			r := l.row(t, b)
			s := sf[b] * l.RecScale
			hb, a, p := h[b*n:(b+1)*n], acc[b*n:(b+1)*n], pre[r*n:(r+1)*n]
			for k := range hb {
				d := a[k] - l.RecSum[k]*zp[b]
				hb[k] = p[k] + float32(d)*s
			}
			l.Act(hb)
			copy(out[r*n:r*n+n], hb)
		}
	}
}
