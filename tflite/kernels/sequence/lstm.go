package sequence

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// Gates are stacked in this order in the packed weights and biases: input,
// forget, cell, output (TensorFlow Lite's input order).
const (
	GateInput = iota
	GateForget
	GateCell
	GateOutput
	NumGates
)

// Dims are the sizes of a sequence operator: Time steps of Batch rows of
// Input values, Cell units of state. TimeMajor inputs are [Time, Batch,
// Input], others [Batch, Time, Input]; outputs follow the same layout.
type Dims struct {
	Time, Batch, Input, Cell int
	TimeMajor                bool
}

// row returns the row of the input (and output) that holds batch b at
// time t.
func (d *Dims) row(t, b int) int {
	if d.TimeMajor {
		return t*d.Batch + b
	}
	return b*d.Time + t
}

// LSTMFloat is a prepared float32 LSTM: the standard cell, optionally
// with TensorFlow Lite's variants (CIFG, peephole connections, layer
// normalisation of the gates, a projection of the output).
type LSTMFloat struct {
	Dims
	// Output is the size of the hidden state and of each output row:
	// Cell, or the projection's size.
	Output int
	// In holds the stacked gate weights [4·Cell, Input], the gate biases
	// folded in unless LayerNorm is set; Rec [4·Cell, Output], no bias.
	// A CIFG cell has zero input-gate rows.
	In, Rec  *gemm.PackedF32
	CellClip float32 // 0: none
	// CIFG: no input gate; it is 1 − the forget gate.
	CIFG bool
	// Peephole holds the diagonal cell-to-gate weights [Cell] of the
	// input, forget and output gates (nil: none; the input one is nil
	// with CIFG).
	Peephole [3][]float32
	// LayerNorm holds each gate's layer-normalisation coefficients
	// [Cell] (nil: none); with them, Bias [4·Cell] is added after the
	// normalisation instead of being folded into In.
	LayerNorm [NumGates][]float32
	Bias      []float32
	// Proj [Output, Cell] (its bias folded in) maps o·tanh(c) to the
	// hidden state when set; ProjClip bounds the result (0: none).
	Proj     *gemm.PackedF32
	ProjClip float32
	// Reverse runs the sequence from the last time step to the first
	// (the backward half of BIDIRECTIONAL_SEQUENCE_LSTM).
	Reverse bool
	// Hybrid, when set, replaces In, Rec and Proj: int8 weights, float32
	// activations (TensorFlow Lite's dynamic-range LSTM).
	Hybrid *HybridLSTM
}

// HybridLSTM holds the int8 weights of a hybrid LSTM. Each row of the
// input, of the hidden state and (with a projection) of o·tanh(c) is
// quantized on the fly, symmetrically or (Asymmetric) with a zero point;
// a product's int32 sum d becomes float32(d)·(rowScale·weightScale), added
// to the gate after its bias as TensorFlow Lite does.
type HybridLSTM struct {
	In, Rec           *gemm.PackedInt8 // [4·Cell, Input], [4·Cell, Output], for gemm.Int8Acc
	InScale, RecScale [NumGates]float32
	InSum, RecSum     []int32   // Σ weights per row [4·Cell] (asymmetric)
	Bias              []float32 // [4·Cell], folded into the input term unless layer norm
	Proj              *gemm.PackedInt8
	ProjScale         float32
	ProjSum           []int32
	ProjBias          []float32 // nil: none
	Asymmetric        bool
}

// ScratchBytes returns the scratch LSTMFloat.Run needs.
func (l *LSTMFloat) ScratchBytes() int {
	g := NumGates * l.Cell
	rows := l.Time * l.Batch
	n := 4 * (rows*g + l.Batch*g + l.Cell)
	if hy := l.Hybrid; hy != nil {
		mr := max(rows, l.Batch)
		n += 4*mr*g + 8*mr + rows*l.Input + hy.In.KP + l.Batch*l.Output + hy.Rec.KP + l.Cell + 64
		if hy.Proj != nil {
			n += 4*l.Output + hy.Proj.KP
		}
	}
	return n
}

// hybridScratch carves the hybrid LSTM's buffers out of scratch after the
// float ones.
type hybridScratch struct {
	acc     []int32
	sf      []float32
	zp      []int32
	qx, qh  []int8
	qp      []int8
	projAcc []int32
}

func (l *LSTMFloat) hybridScratch(b []byte) hybridScratch {
	hy := l.Hybrid
	g := NumGates * l.Cell
	rows := l.Time * l.Batch
	mr := max(rows, l.Batch)
	var s hybridScratch
	s.acc = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), mr*g)
	b = b[4*mr*g:]
	s.sf = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), mr)
	b = b[4*mr:]
	s.zp = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), mr)
	b = b[4*mr:]
	i8 := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
	k := rows*l.Input + hy.In.KP
	s.qx, i8 = i8[:k], i8[k:]
	k = l.Batch*l.Output + hy.Rec.KP
	s.qh, i8 = i8[:k], i8[k:]
	if hy.Proj != nil {
		s.qp = i8[:l.Cell+hy.Proj.KP]
		s.projAcc = s.acc[:l.Output] // free by then: the step's gates are done
	}
	return s
}

// quantizeRow quantizes one row as TensorFlow Lite's BatchQuantizeFloats
// does for one batch.
func (hy *HybridLSTM) quantizeRow(src []float32, dst []int8, sf []float32, zp []int32, r int) {
	if hy.Asymmetric {
		sf[r], zp[r] = kconv.QuantizeAsymmetric(src, dst[:len(src)])
	} else {
		sf[r], zp[r] = kconv.QuantizeSymmetric(src, dst[:len(src)]), 0
	}
}

// Run runs the whole sequence x through the cell, updating the state h
// [Batch, Output] and c [Batch, Cell] in place and writing every step's
// hidden state to out at outStride floats per row (Output for a plain
// output; BIDIRECTIONAL_SEQUENCE_LSTM's merged output interleaves two
// directions). scratch holds ScratchBytes bytes.
func (l *LSTMFloat) Run(x, h, c, out []float32, outStride int, scratch []byte) {
	n, no, g := l.Cell, l.Output, NumGates*l.Cell
	rows := l.Time * l.Batch
	sc := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(scratch))), len(scratch)/4)
	pre, rec, tmp := sc[:rows*g], sc[rows*g:rows*g+l.Batch*g], sc[rows*g+l.Batch*g:rows*g+l.Batch*g+n]
	inf := float32(math.Inf(1))
	hy := l.Hybrid
	var hs hybridScratch
	if hy != nil {
		hs = l.hybridScratch(scratch[4*(rows*g+l.Batch*g+n):])
	}
	// Input projection of every step at once (it does not depend on the
	// state), gate biases included.
	if hy == nil {
		gemm.F32(x, l.Input, rows, l.In, 0, l.In.Panels, -inf, inf, pre, g)
	} else {
		for r := range rows {
			hy.quantizeRow(x[r*l.Input:(r+1)*l.Input], hs.qx[r*l.Input:], hs.sf, hs.zp, r)
		}
		gemm.Int8Acc(hs.qx, l.Input, rows, hy.In, hs.acc, g)
		for r := range rows {
			l.hybridTerm(hs.acc[r*g:(r+1)*g], hy.InSum, &hy.InScale, hs.sf[r], hs.zp[r], hy.Bias, pre[r*g:(r+1)*g])
		}
	}
	for s := range l.Time {
		t := s
		if l.Reverse {
			t = l.Time - 1 - s
		}
		if hy == nil {
			gemm.F32(h, no, l.Batch, l.Rec, 0, l.Rec.Panels, -inf, inf, rec, g)
		} else {
			for b := range l.Batch {
				hy.quantizeRow(h[b*no:(b+1)*no], hs.qh[b*no:], hs.sf, hs.zp, b)
			}
			gemm.Int8Acc(hs.qh, no, l.Batch, hy.Rec, hs.acc, g)
			for b := range l.Batch {
				l.hybridTerm(hs.acc[b*g:(b+1)*g], hy.RecSum, &hy.RecScale, hs.sf[b], hs.zp[b], nil, rec[b*g:(b+1)*g])
			}
		}
		for b := range l.Batch {
			r := l.row(t, b)
			gate := rec[b*g : b*g+g]
			p := pre[r*g : r*g+g]
			for k := range gate {
				gate[k] += p[k]
			}
			ig, fg, cg, og := gate[:n], gate[n:2*n], gate[2*n:3*n], gate[3*n:]
			cb := c[b*n : b*n+n]
			if !l.CIFG {
				l.gate(GateInput, ig, cb)
			}
			l.gate(GateForget, fg, cb)
			l.gate(GateCell, cg, nil)
			for k := range cb {
				i := float32(0)
				if l.CIFG {
					i = 1 - fg[k]
				} else {
					i = ig[k]
				}
				v := fg[k]*cb[k] + i*cg[k]
				if l.CellClip > 0 {
					v = min(max(v, -l.CellClip), l.CellClip)
				}
				cb[k] = v
			}
			l.gate(GateOutput, og, cb)
			ek.TanhFloat(cb, cg)
			hb := h[b*no : b*no+no]
			if l.Proj == nil && (hy == nil || hy.Proj == nil) {
				for k := range hb {
					hb[k] = cg[k] * og[k]
				}
			} else {
				for k := range tmp {
					tmp[k] = cg[k] * og[k]
				}
				lo, hi := -inf, inf
				if l.ProjClip > 0 {
					lo, hi = -l.ProjClip, l.ProjClip
				}
				if hy == nil {
					gemm.F32(tmp, n, 1, l.Proj, 0, l.Proj.Panels, lo, hi, hb, no)
				} else {
					hy.project(tmp, hb, hs, lo, hi)
				}
			}
			copy(out[r*outStride:r*outStride+no], hb)
		}
	}
}

// hybridTerm writes out[c] = base[c] + float32(acc[c] − sum[c]·zp)·(sf ·
// scale of c's gate), base nil meaning 0.
func (l *LSTMFloat) hybridTerm(acc, sum []int32, scale *[NumGates]float32, sf float32, zp int32, base, out []float32) {
	n := l.Cell
	for q := range NumGates {
		s := sf * scale[q]
		for k := q * n; k < (q+1)*n; k++ {
			v := float32(acc[k]-sum[k]*zp) * s
			if base != nil {
				v = base[k] + v
			}
			out[k] = v
		}
	}
}

// project maps v = o·tanh(c) through the int8 projection into the hidden
// state h: the bias (or 0), plus the product of v quantized on the fly,
// clamped to [lo, hi].
func (hy *HybridLSTM) project(v, h []float32, hs hybridScratch, lo, hi float32) {
	hy.quantizeRow(v, hs.qp, hs.sf, hs.zp, 0)
	gemm.Int8Acc(hs.qp, len(v), 1, hy.Proj, hs.projAcc, len(h))
	s := hs.sf[0] * hy.ProjScale
	for k := range h {
		b := float32(0)
		if hy.ProjBias != nil {
			b = hy.ProjBias[k]
		}
		h[k] = min(max(b+float32(hs.projAcc[k]-hy.ProjSum[k]*hs.zp[0])*s, lo), hi)
	}
}

// gate finishes gate q's pre-activation v (input and recurrent products
// summed): peephole term from the cell state c, layer normalisation and
// bias, activation (tanh for the cell gate, sigmoid for the others).
func (l *LSTMFloat) gate(q int, v, c []float32) {
	var pw []float32
	switch q {
	case GateInput:
		pw = l.Peephole[0]
	case GateForget:
		pw = l.Peephole[1]
	case GateOutput:
		pw = l.Peephole[2]
	}
	for k, w := range pw {
		v[k] += w * c[k]
	}
	if ln := l.LayerNorm[q]; ln != nil {
		normalize(v)
		bias := l.Bias[q*l.Cell : (q+1)*l.Cell]
		for k := range v {
			v[k] = v[k]*ln[k] + bias[k]
		}
	}
	if q == GateCell {
		ek.TanhFloat(v, v)
	} else {
		ek.LogisticFloat(v, v)
	}
}

// normalize subtracts the mean of v and divides by its standard deviation
// (variance + 1e-8 under the root), as TensorFlow Lite's layer-norm LSTM
// does.
func normalize(v []float32) {
	var sum float32
	for _, x := range v {
		sum += x
	}
	mean := sum / float32(len(v))
	var sq float32
	for _, x := range v {
		d := x - mean
		sq += d * d
	}
	inv := 1 / float32(math.Sqrt(float64(sq/float32(len(v))+1e-8)))
	for k, x := range v {
		v[k] = (x - mean) * inv
	}
}

// Mul is a requantized element-wise product of two symmetric int16
// operands (TensorFlow Lite's MulElementwise with zero input offsets):
// clamp(MultiplyByQuantizedMultiplier(a·b, Mult, Shift) + Offset, Min,
// Max).
type Mul struct {
	Mult     int32
	Shift    int
	Offset   int32
	Min, Max int32
}

// NewMul returns the product of operands of scales s1 and s2 into an
// output of scale so and zero point zo, clamped to [lo, hi].
func NewMul(s1, s2, so float32, zo, lo, hi int32) Mul {
	m, s := kernels.QuantizeMultiplier(float64(s1) * float64(s2) / float64(so))
	return Mul{Mult: m, Shift: s, Offset: zo, Min: lo, Max: hi}
}

func (p *Mul) apply(a, b int16) int32 {
	v := mulQ(int32(a)*int32(b), p.Mult, p.Shift) + p.Offset
	return min(max(v, p.Min), p.Max)
}

// GateFC is the output stage of one gate's fully connected product in an
// integer LSTM: the gate pre-activation in Q3.12 is
// clamp16(MultiplyByQuantizedMultiplier(acc + Bias[c], Mult, Shift)).
type GateFC struct {
	Mult  int32
	Shift int
}

// LSTMInt is a prepared integer LSTM as TensorFlow Lite Micro runs it:
// int8 (or int16) activations and hidden state, int8 weights, int16 cell
// state, gates in Q3.12 before and Q0.15 after their activation.
type LSTMInt struct {
	Dims
	// In and Rec are the stacked gate weights ([4·Cell, Input] and
	// [4·Cell, Cell]) packed for gemm.Int8Acc (int8 activations), nil
	// for int16 activations, which use In16/Rec16 row-major.
	In, Rec     *gemm.PackedInt8
	In16, Rec16 []int8
	// InBias and RecBias [4·Cell] hold the gate biases with the input
	// (hidden state) zero point folded in: bias + offset·Σw.
	InBias, RecBias     []int64
	InFC, RecFC         [NumGates]GateFC
	ForgetMul, InputMul Mul // f·c → c, i·g → c (int16)
	OutputMul           Mul // tanh(c)·o → h (the hidden state's dtype)
	// CellClip is the quantized cell clip (0: none).
	CellClip int16
	// CellTanhMult and CellTanhShift scale the cell state into Tanh16.
	CellTanhMult, CellTanhShift int32
}

// NewCellTanh returns Tanh16's multiplier and shift for a cell state of
// scale 2^power, as TensorFlow Lite Micro derives them.
func NewCellTanh(power int) (mult, shift int32) {
	shift = int32(15+power) - 3
	if shift < 0 {
		return 3, -shift
	}
	return 0, shift
}

// ScratchBytes returns the scratch Run8 and Run16 need.
func (l *LSTMInt) ScratchBytes() int {
	g := NumGates * l.Cell
	rows := l.Time * l.Batch
	chunk := min(rows, accRows)
	return 2*rows*g + 4*max(chunk, l.Batch)*g + 2*l.Batch*g + l.padBytes() + 64
}

// padBytes is the size of the padded copy of the input's last rows.
func (l *LSTMInt) padBytes() int {
	if l.In == nil {
		return 0
	}
	return (accRows*l.Input + l.In.KP + 63) &^ 63
}

// padBuffer returns the end of scratch, where Run8 copies the input's last
// rows with padding.
func (l *LSTMInt) padBuffer(scratch []byte) []int8 {
	n := l.padBytes()
	b := scratch[len(scratch)-n:]
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// accRows is how many rows of the input projection Run8 accumulates at a
// time.
const accRows = 16

// scratchInt splits scratch into the pre-activations of every row, an
// int32 accumulator block and the gates of one step.
func (l *LSTMInt) scratchInt(scratch []byte) (pre []int16, acc []int32, gates []int16) {
	g := NumGates * l.Cell
	rows := l.Time * l.Batch
	na := max(min(rows, accRows), l.Batch) * g
	acc = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(scratch))), na)
	rest := scratch[4*na:]
	s16 := unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(rest))), len(rest)/2)
	return s16[:rows*g], acc, s16[rows*g : rows*g+l.Batch*g]
}

// requant16 writes clamp16(MultiplyByQuantizedMultiplier(acc + bias)) of
// one row's four gates.
func requant16(acc []int32, bias []int64, fc *[NumGates]GateFC, n int, out []int16) {
	for q := range NumGates {
		m, s := fc[q].Mult, fc[q].Shift
		a, b, o := acc[q*n:q*n+n], bias[q*n:q*n+n], out[q*n:q*n+n]
		for k := range o {
			v := mulQ(a[k]+int32(b[k]), m, s)
			o[k] = int16(min(max(v, math.MinInt16), math.MaxInt16))
		}
	}
}

// Run8 runs an int8-activation LSTM over the sequence x, updating the
// hidden state h [Batch, Cell] (int8) and the cell state c (int16) in
// place and writing every step's hidden state to out.
func (l *LSTMInt) Run8(x, h []int8, c []int16, out []int8, scratch []byte) {
	n, g := l.Cell, NumGates*l.Cell
	rows := l.Time * l.Batch
	pre, acc, gates := l.scratchInt(scratch)
	pad := l.padBuffer(scratch)
	for r0 := 0; r0 < rows; r0 += accRows {
		nr := min(accRows, rows-r0)
		a := x[r0*l.Input:]
		if r0+nr == rows && len(a) < (nr-1)*l.Input+l.In.KP {
			// The vector kernel reads KP bytes of a row: give the last
			// rows the padding the input tensor lacks.
			a = pad[:copy(pad, a)+l.In.KP]
		}
		gemm.Int8Acc(a, l.Input, nr, l.In, acc, g)
		for r := range nr {
			requant16(acc[r*g:r*g+g], l.InBias, &l.InFC, n, pre[(r0+r)*g:(r0+r)*g+g])
		}
	}
	for t := range l.Time {
		gemm.Int8Acc(h, n, l.Batch, l.Rec, acc, g)
		for b := range l.Batch {
			gb := gates[b*g : b*g+g]
			requant16(acc[b*g:b*g+g], l.RecBias, &l.RecFC, n, gb)
			r := l.row(t, b)
			l.cell(pre[r*g:r*g+g], gb, c[b*n:b*n+n])
			hb := h[b*n : b*n+n]
			tc, og := gb[2*n:3*n], gb[3*n:]
			for k := range hb {
				hb[k] = int8(l.OutputMul.apply(tc[k], og[k]))
			}
			copy(out[r*n:r*n+n], hb)
		}
	}
}

// Run16 is Run8 for int16 activations and hidden state (the 16x8 LSTM,
// int64 biases).
func (l *LSTMInt) Run16(x, h []int16, c []int16, out []int16, scratch []byte) {
	n, g := l.Cell, NumGates*l.Cell
	rows := l.Time * l.Batch
	pre, _, gates := l.scratchInt(scratch)
	for r := range rows {
		fc16(x[r*l.Input:r*l.Input+l.Input], l.In16, l.InBias, &l.InFC, n, pre[r*g:r*g+g])
	}
	for t := range l.Time {
		for b := range l.Batch {
			gb := gates[b*g : b*g+g]
			fc16(h[b*n:b*n+n], l.Rec16, l.RecBias, &l.RecFC, n, gb)
		}
		for b := range l.Batch {
			gb := gates[b*g : b*g+g]
			r := l.row(t, b)
			l.cell(pre[r*g:r*g+g], gb, c[b*n:b*n+n])
			hb := h[b*n : b*n+n]
			tc, og := gb[2*n:3*n], gb[3*n:]
			for k := range hb {
				hb[k] = int16(l.OutputMul.apply(tc[k], og[k]))
			}
			copy(out[r*n:r*n+n], hb)
		}
	}
}

// fc16 is one row of the 16x8 gate products: 64-bit accumulation, the
// reference's single-rounding 64-bit requantization, int16 clamp.
func fc16(x []int16, w []int8, bias []int64, fc *[NumGates]GateFC, n int, out []int16) {
	k := len(x)
	for q := range NumGates {
		for j := range n {
			c := q*n + j
			wr := w[c*k : c*k+k]
			var s int64
			for i, v := range x {
				s += int64(v) * int64(wr[i])
			}
			v := kernels.MultiplyByQuantizedMultiplier64(s+bias[c], fc[q].Mult, fc[q].Shift)
			out[c] = int16(min(max(v, math.MinInt16), math.MaxInt16))
		}
	}
}

// cell adds the input pre-activations p to the recurrent ones in gates
// (saturating), applies the gate activations in place, updates the cell
// state c and leaves tanh(c) in the cell gate's slot of gates (the output
// gate stays in its own).
func (l *LSTMInt) cell(p, gates []int16, c []int16) {
	n := l.Cell
	for k, v := range gates {
		gates[k] = int16(min(max(int32(v)+int32(p[k]), math.MinInt16), math.MaxInt16))
	}
	ig, fg, cg, og := gates[:n], gates[n:2*n], gates[2*n:3*n], gates[3*n:]
	Logistic16(0, 0, ig, ig)
	Logistic16(0, 0, fg, fg)
	Tanh16(0, 0, cg, cg)
	Logistic16(0, 0, og, og)
	for k := range c {
		fc := l.ForgetMul.apply(fg[k], c[k])
		ic := l.InputMul.apply(ig[k], cg[k])
		v := min(max(fc+ic, math.MinInt16), math.MaxInt16)
		if l.CellClip > 0 {
			v = min(max(v, -int32(l.CellClip)), int32(l.CellClip))
		}
		c[k] = int16(v)
	}
	Tanh16(l.CellTanhMult, l.CellTanhShift, c, cg)
}

// mulQ is kernels.MultiplyByQuantizedMultiplier (TensorFlow Lite's double
// rounding) computed with one 64-bit rounding: for P = (x·2^left)·m the
// rounding doubling high multiply is ⌊(P + 2^30) / 2^31⌋ for either sign,
// and the rounding right shift by r of that value h is
// ⌊(h + 2^(r-1) − [h < 0]) / 2^r⌋; both floors nest into one.
func mulQ(x, m int32, shift int) int32 {
	if shift > 0 {
		x <<= uint(shift)
		shift = 0
	}
	if x == math.MinInt32 && m == math.MinInt32 {
		return kernels.MultiplyByQuantizedMultiplier(x, m, shift)
	}
	p := int64(x)*int64(m) + 1<<30
	if shift == 0 {
		return int32(p >> 31)
	}
	r := uint(-shift)
	neg := p >> 63 // -1 when h = ⌊p/2^31⌋ < 0
	return int32((p + (int64(1)<<(r-1)+neg)<<31) >> (31 + r))
}
