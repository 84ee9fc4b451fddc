package sequence

import (
	"cmp"
	"fmt"
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
	ks "github.com/edgeinfer/edgeinfer/tflite/kernels/sequence"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Input positions of UNIDIRECTIONAL_SEQUENCE_LSTM (TensorFlow Lite's
// lstm_shared.h).
const (
	lstmInput        = 0
	lstmInputWeights = 1 // 1..4: input, forget, cell, output gates
	lstmRecWeights   = 5 // 5..8
	lstmPeephole     = 9 // 9..11
	lstmBias         = 12
	lstmProjection   = 16 // 16: weights, 17: bias
	lstmHidden       = 18
	lstmCell         = 19
	lstmLayerNorm    = 20 // 20..23
)

// gateScaleQ3_12 is the scale of the integer LSTM's gate pre-activations
// (Q3.12) and gateScaleQ0_15 that of the activated gates.
const (
	gateScaleQ3_12 = 1.0 / 4096
	gateScaleQ0_15 = 1.0 / 32768
)

// lstmDims checks the input [T, B, I] (time major) or [B, T, I] and the
// state tensors (hidden [B, output], cell [B, cell]), and sets the
// output's shape [.., .., output].
func lstmDims(n *op.Node, in, h, c, out *op.TensorInfo, cell, output int, timeMajor bool) (ks.Dims, error) {
	if len(in.Shape) != 3 {
		return ks.Dims{}, n.Invalidf("input has shape %s, want rank 3", in.Shape)
	}
	for _, d := range in.Shape {
		if d <= 0 {
			return ks.Dims{}, n.Invalidf("input has shape %s", in.Shape)
		}
	}
	d := ks.Dims{Time: in.Shape[1], Batch: in.Shape[0], Input: in.Shape[2], Cell: cell, TimeMajor: timeMajor}
	if timeMajor {
		d.Time, d.Batch = d.Batch, d.Time
	}
	for k, s := range []*op.TensorInfo{h, c} {
		if want := []int{output, cell}[k]; s.Shape.Elements() != d.Batch*want {
			return ks.Dims{}, n.Invalidf("state %q has shape %s, want %d×%d values", s.Name, s.Shape, d.Batch, want)
		}
	}
	out.Shape = tensor.Shape{in.Shape[0], in.Shape[1], output}
	return d, nil
}

// checkState requires a state input to be a variable tensor of dtype dt.
func checkState(n *op.Node, t *op.TensorInfo, what string, dt tensor.DType) error {
	if t == nil {
		return n.Invalidf("%s state is missing", what)
	}
	if !t.Variable {
		return n.Invalidf("%s state %q is not a variable tensor", what, t.Name)
	}
	if t.DType != dt {
		return n.Errorf("%s state is %s, want %s", what, t.DType, dt)
	}
	return nil
}

// gateWeights returns the four gate weight matrices starting at input
// first, each [rows, cols] of dtype dt and constant.
func gateWeights(n *op.Node, first, rows, cols int, dt tensor.DType) ([4]*op.TensorInfo, error) {
	var ws [4]*op.TensorInfo
	for q := range 4 {
		w := n.Input(first + q)
		if w == nil {
			return ws, n.Errorf("input %d (gate weights) is missing: CIFG LSTMs are not supported", first+q)
		}
		if w.DType != dt {
			return ws, n.Errorf("gate weights %d are %s, want %s", first+q, w.DType, dt)
		}
		if len(w.Shape) != 2 || w.Shape[0] != rows || w.Shape[1] != cols {
			return ws, n.Invalidf("gate weights %d have shape %s, want [%d,%d]", first+q, w.Shape, rows, cols)
		}
		if !w.IsConst() {
			return ws, n.Errorf("gate weights %d are not constant", first+q)
		}
		ws[q] = w
	}
	return ws, nil
}

// stack concatenates the four gates' row-major matrices.
func stack[T any](ws [4]*op.TensorInfo, view func(*tensor.Tensor) []T) []T {
	var out []T
	for _, w := range ws {
		out = append(out, view(w.ConstTensor())...)
	}
	return out
}

// prepareUnidirectionalLSTM prepares UNIDIRECTIONAL_SEQUENCE_LSTM: the
// standard LSTM cell (TensorFlow Lite Micro's: every gate, no peephole,
// projection or layer norm) in float32, int8 (int16 cell state) and 16x8.
func prepareUnidirectionalLSTM(n *op.Node) (op.Kernel, error) {
	if len(n.Inputs) != 20 && len(n.Inputs) != 24 {
		return op.Kernel{}, n.Invalidf("has %d inputs, want 20 or 24", len(n.Inputs))
	}
	if len(n.Outputs) != 1 || n.Outputs[0] == nil || n.Inputs[0] == nil {
		return op.Kernel{}, n.Invalidf("needs its input and one output")
	}
	o, _ := n.Options.(*op.SequenceLSTMOptions)
	if o == nil {
		o = &op.SequenceLSTMOptions{}
	}
	if o.Activation != op.ActTanh {
		return op.Kernel{}, n.Errorf("cell activation %d is not supported (TANH only)", o.Activation)
	}
	if o.DiagonalRecurrentTensors {
		return op.Kernel{}, n.Errorf("diagonal recurrent weights are not supported")
	}
	if !(o.CellClip >= 0) || math.IsInf(float64(o.CellClip), 0) {
		return op.Kernel{}, n.Invalidf("cell clip %v", o.CellClip)
	}
	in, out := n.Inputs[0], n.Outputs[0]
	h, c := n.Input(lstmHidden), n.Input(lstmCell)
	if h == nil || c == nil {
		return op.Kernel{}, n.Invalidf("state inputs are missing")
	}
	w1 := n.Input(lstmInputWeights + 1)
	if w1 == nil || len(w1.Shape) != 2 || w1.Shape[0] <= 0 {
		return op.Kernel{}, n.Invalidf("forget gate weights are missing or not a matrix")
	}
	cell, output := w1.Shape[0], w1.Shape[0]
	if r := n.Input(lstmRecWeights + 1); r != nil && in.DType == tensor.Float32 {
		// TensorFlow Lite: the hidden state's size is the recurrent
		// weights' width (the projection's size when there is one).
		if len(r.Shape) != 2 || r.Shape[1] <= 0 {
			return op.Kernel{}, n.Invalidf("recurrent weights have shape %s", r.Shape)
		}
		output = r.Shape[1]
	}
	d, err := lstmDims(n, in, h, c, out, cell, output, o.TimeMajor)
	if err != nil {
		return op.Kernel{}, err
	}
	if in.DType != out.DType {
		return op.Kernel{}, n.Errorf("input %s and output %s differ", in.DType, out.DType)
	}
	switch in.DType {
	case tensor.Float32:
		if err := checkState(n, h, "hidden", tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		if err := checkState(n, c, "cell", tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		l, err := newLSTMFloat(n, d, 0, output, o.CellClip, o.ProjClip, true)
		if err != nil {
			return op.Kernel{}, err
		}
		return op.Kernel{Scratch: l.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			l.Run(in[0].Float32s(), in[lstmHidden].Float32s(), in[lstmCell].Float32s(), out[0].Float32s(), output, x.Scratch)
			return nil
		}}, nil
	case tensor.Int8, tensor.Int16:
		if err := checkVariant(n); err != nil {
			return op.Kernel{}, err
		}
		if err := checkState(n, h, "hidden", in.DType); err != nil {
			return op.Kernel{}, err
		}
		if err := checkState(n, c, "cell", tensor.Int16); err != nil {
			return op.Kernel{}, err
		}
		l, err := newLSTMInt(n, d, in, h, c, o.CellClip)
		if err != nil {
			return op.Kernel{}, err
		}
		if in.DType == tensor.Int8 {
			return op.Kernel{Scratch: l.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
				l.Run8(in[0].Int8s(), in[lstmHidden].Int8s(), in[lstmCell].Int16s(), out[0].Int8s(), x.Scratch)
				return nil
			}}, nil
		}
		return op.Kernel{Scratch: l.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			l.Run16(in[0].Int16s(), in[lstmHidden].Int16s(), in[lstmCell].Int16s(), out[0].Int16s(), x.Scratch)
			return nil
		}}, nil
	}
	return op.Kernel{}, n.Errorf("input %s is not supported (float32, int8 and int16 are)", in.DType)
}

// checkVariant rejects, for an integer LSTM, the variants TensorFlow Lite
// Micro does not run: peephole (inputs 9-11), projection (16-17) and layer
// norm (20-23).
func checkVariant(n *op.Node) error {
	for i := lstmPeephole; i < lstmPeephole+3; i++ {
		if n.Input(i) != nil {
			return n.Errorf("peephole connections in an integer LSTM are not supported")
		}
	}
	for i := lstmProjection; i < lstmProjection+2; i++ {
		if n.Input(i) != nil {
			return n.Errorf("projection in an integer LSTM is not supported")
		}
	}
	for i := lstmLayerNorm; i < lstmLayerNorm+4; i++ {
		if n.Input(i) != nil {
			return n.Errorf("layer normalisation in an integer LSTM is not supported")
		}
	}
	return nil
}

// newLSTMFloat checks and packs a float LSTM cell whose tensors start at
// input base+1 (base is 0 for the unidirectional op, 17 for the backward
// half of the bidirectional one) with TensorFlow Lite's variants: CIFG
// (no input-gate weights, recurrent weights or bias), peephole weights
// (base+9..11), projection (base+16, 17) and, with layerNorm (the
// unidirectional op), layer-norm coefficients (20..23). output is the
// hidden state's size.
func newLSTMFloat(n *op.Node, d ks.Dims, base, output int, clip, projClip float32, layerNorm bool) (*ks.LSTMFloat, error) {
	if !(projClip >= 0) || math.IsInf(float64(projClip), 0) {
		return nil, n.Invalidf("projection clip %v", projClip)
	}
	cifg := n.Input(base+lstmInputWeights) == nil
	if cifg && (n.Input(base+lstmRecWeights) != nil || n.Input(base+lstmBias) != nil || n.Input(base+lstmPeephole) != nil) {
		return nil, n.Invalidf("CIFG (no input-gate weights) with input-gate recurrent weights, bias or peephole")
	}
	if cifg && layerNorm && n.Input(lstmLayerNorm) != nil {
		return nil, n.Invalidf("CIFG with input-gate layer norm coefficients")
	}
	// Hybrid (dynamic range): int8 weights quantized per tensor.
	hybrid := false
	if w := n.Input(base + lstmInputWeights + 1); w != nil && w.DType == tensor.Int8 {
		hybrid = true
	}
	wantW := tensor.Float32
	if hybrid {
		wantW = tensor.Int8
	}
	// weights returns a constant weight tensor of shape want (nil when
	// absent) as float32, or as int8 with its scale when hybrid.
	type weights struct {
		f     []float32
		q     []int8
		scale float32
	}
	mat := func(i int, want tensor.Shape, what string) (weights, bool, error) {
		t := n.Input(i)
		if t == nil {
			return weights{}, false, nil
		}
		if t.DType != wantW || !t.Shape.Equal(want) || !t.IsConst() {
			return weights{}, false, n.Invalidf("%s (input %d) must be a constant %s%s, is %s%s", what, i, wantW, want, t.DType, t.Shape)
		}
		if !hybrid {
			return weights{f: t.ConstTensor().Float32s()}, true, nil
		}
		sc, err := scaleOf(n, t, what)
		if err != nil {
			return weights{}, false, err
		}
		if sc.zero != 0 {
			return weights{}, false, n.Errorf("%s zero point %d, want 0", what, sc.zero)
		}
		return weights{q: t.ConstTensor().Int8s(), scale: sc.scale}, true, nil
	}
	vec := func(i, size int, what string) ([]float32, error) {
		t := n.Input(i)
		if t == nil {
			return nil, nil
		}
		if t.DType != tensor.Float32 || len(t.Shape) != 1 || t.Shape[0] != size || !t.IsConst() {
			return nil, n.Invalidf("%s (input %d) must be a constant float32 [%d], is %s%s", what, i, size, t.DType, t.Shape)
		}
		return t.ConstTensor().Float32s(), nil
	}
	l := &ks.LSTMFloat{Dims: d, Output: output, CellClip: clip, CIFG: cifg}
	first := 0
	if cifg {
		first = 1
	}
	var ws, rs [4]weights
	var bs [4][]float32
	for q := first; q < ks.NumGates; q++ {
		var ok bool
		var err error
		if ws[q], ok, err = mat(base+lstmInputWeights+q, tensor.Shape{d.Cell, d.Input}, "gate weights"); err != nil || !ok {
			return nil, cmp.Or(err, n.Invalidf("gate weights %d are missing", base+lstmInputWeights+q))
		}
		if rs[q], ok, err = mat(base+lstmRecWeights+q, tensor.Shape{d.Cell, output}, "recurrent weights"); err != nil || !ok {
			return nil, cmp.Or(err, n.Invalidf("recurrent weights %d are missing", base+lstmRecWeights+q))
		}
		b, err := vec(base+lstmBias+q, d.Cell, "gate bias")
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, n.Invalidf("gate bias %d is missing", base+lstmBias+q)
		}
		bs[q] = b
	}
	peep := 0
	for k := range 3 {
		p, ok, err := mat(base+lstmPeephole+k, tensor.Shape{d.Cell}, "peephole weights")
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		peep++
		if hybrid {
			// TensorFlow Lite recovers float weights: scale·w.
			p.f = make([]float32, d.Cell)
			for i, v := range p.q {
				p.f[i] = p.scale * float32(v)
			}
		}
		l.Peephole[k] = p.f
	}
	if want := 3 - first; peep != 0 && peep != want {
		return nil, n.Invalidf("%d of %d peephole weights", peep, want)
	}
	norms := 0
	if layerNorm {
		for q := range ks.NumGates {
			c, err := vec(lstmLayerNorm+q, d.Cell, "layer norm coefficients")
			if err != nil {
				return nil, err
			}
			l.LayerNorm[q] = c
			if c != nil {
				norms++
			}
		}
	}
	if want := ks.NumGates - first; norms != 0 && norms != want {
		return nil, n.Invalidf("%d of %d layer norm coefficients", norms, want)
	}
	pw, hasProj, err := mat(base+lstmProjection, tensor.Shape{output, d.Cell}, "projection weights")
	if err != nil {
		return nil, err
	}
	pb, err := vec(base+lstmProjection+1, output, "projection bias")
	if err != nil {
		return nil, err
	}
	switch {
	case !hasProj && pb != nil:
		return nil, n.Invalidf("projection bias without projection weights")
	case !hasProj && output != d.Cell:
		return nil, n.Invalidf("hidden state of %d values for %d cells without a projection", output, d.Cell)
	}
	g := ks.NumGates * d.Cell
	flat := func(m [4][]float32, size int) []float32 {
		out := make([]float32, size*ks.NumGates)
		for q, v := range m {
			copy(out[q*size:], v) // absent (CIFG input gate): zeros
		}
		return out
	}
	bias := flat(bs, d.Cell)
	if norms > 0 {
		l.Bias = bias
	}
	inBias := bias
	if norms > 0 {
		inBias = nil
	}
	l.ProjClip = projClip
	if hybrid {
		flat8 := func(m [4]weights, size int) ([]int8, [ks.NumGates]float32) {
			out := make([]int8, size*ks.NumGates)
			var sc [ks.NumGates]float32
			for q, v := range m {
				copy(out[q*size:], v.q)
				sc[q] = v.scale
			}
			return out, sc
		}
		in8, inScale := flat8(ws, d.Cell*d.Input)
		rec8, recScale := flat8(rs, d.Cell*output)
		v, err := n.Shared(fmt.Sprintf("lstm-hybrid-%d", base), func() (any, error) {
			p := &packedInt{in: gemm.PackInt8Acc(in8, g, d.Input), rec: gemm.PackInt8Acc(rec8, g, output)}
			if hasProj {
				p.proj = gemm.PackInt8Acc(pw.q, output, d.Cell)
			}
			return p, nil
		})
		if err != nil {
			return nil, err
		}
		p := v.(*packedInt)
		hy := &ks.HybridLSTM{In: p.in, Rec: p.rec, InScale: inScale, RecScale: recScale,
			InSum: rowSums(in8, d.Input), RecSum: rowSums(rec8, output), Bias: inBias, Asymmetric: hybridAsym(n)}
		if hasProj {
			hy.Proj, hy.ProjScale, hy.ProjSum, hy.ProjBias = p.proj, pw.scale, rowSums(pw.q, d.Cell), pb
		}
		l.Hybrid = hy
		return l, nil
	}
	fl := func(m [4]weights) [4][]float32 {
		var out [4][]float32
		for q, v := range m {
			out[q] = v.f
		}
		return out
	}
	v, err := n.Shared(fmt.Sprintf("lstm-float-%d", base), func() (any, error) {
		p := &packedFloat{rec: gemm.PackF32(flat(fl(rs), d.Cell*output), nil, g, output)}
		p.in = gemm.PackF32(flat(fl(ws), d.Cell*d.Input), inBias, g, d.Input)
		if hasProj {
			p.proj = gemm.PackF32(pw.f, pb, output, d.Cell)
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	p := v.(*packedFloat)
	l.In, l.Rec, l.Proj = p.in, p.rec, p.proj
	return l, nil
}

// rowSums returns the sum of each row of the row-major matrix m.
func rowSums(m []int8, cols int) []int32 {
	out := make([]int32, len(m)/cols)
	for r := range out {
		for _, v := range m[r*cols : (r+1)*cols] {
			out[r] += int32(v)
		}
	}
	return out
}

// hybridAsym reports whether a hybrid LSTM quantizes its inputs
// asymmetrically (the options' asymmetric_quantize_inputs).
func hybridAsym(n *op.Node) bool {
	switch o := n.Options.(type) {
	case *op.SequenceLSTMOptions:
		return o.AsymmetricQuantizeInputs
	case *op.BidirectionalSequenceLSTMOptions:
		return o.AsymmetricQuantizeInputs
	}
	return false
}

type packedFloat struct{ in, rec, proj *gemm.PackedF32 }

// SizeBytes reports the packed weights' size.
func (p *packedFloat) SizeBytes() int64 {
	n := len(p.in.Data) + len(p.rec.Data) + len(p.in.Bias)
	if p.proj != nil {
		n += len(p.proj.Data) + len(p.proj.Bias)
	}
	return 4 * int64(n)
}

type packedInt struct{ in, rec, proj *gemm.PackedInt8 }

// SizeBytes reports the packed weights' size.
func (p *packedInt) SizeBytes() int64 {
	n := len(p.in.Data) + len(p.rec.Data)
	if p.proj != nil {
		n += len(p.proj.Data)
	}
	return int64(n)
}

// newLSTMInt derives TensorFlow Lite Micro's integer LSTM parameters.
func newLSTMInt(n *op.Node, d ks.Dims, in, h, c *op.TensorInfo, clip float32) (*ks.LSTMInt, error) {
	ws, err := gateWeights(n, lstmInputWeights, d.Cell, d.Input, tensor.Int8)
	if err != nil {
		return nil, err
	}
	rs, err := gateWeights(n, lstmRecWeights, d.Cell, d.Cell, tensor.Int8)
	if err != nil {
		return nil, err
	}
	biasType := tensor.Int32
	if in.DType == tensor.Int16 {
		biasType = tensor.Int64
	}
	bs, err := gateBiasesAt(n, lstmBias, d.Cell, biasType)
	if err != nil {
		return nil, err
	}
	inQ, err := scaleOf(n, in, "input")
	if err != nil {
		return nil, err
	}
	hQ, err := scaleOf(n, h, "hidden state")
	if err != nil {
		return nil, err
	}
	cQ, err := scaleOf(n, c, "cell state")
	if err != nil {
		return nil, err
	}
	if cQ.zero != 0 {
		return nil, n.Errorf("cell state zero point %d, want 0", cQ.zero)
	}
	l := &ks.LSTMInt{Dims: d}
	g := ks.NumGates * d.Cell
	l.InBias, l.RecBias = make([]int64, g), make([]int64, g)
	var inW, recW []int8
	for q := range ks.NumGates {
		for _, pair := range []struct {
			w     *op.TensorInfo
			xs    float32
			fc    *ks.GateFC
			bias  []int64
			off   int64
			cols  int
			isRec bool
		}{
			{ws[q], inQ.scale, &l.InFC[q], l.InBias[q*d.Cell : (q+1)*d.Cell], -int64(inQ.zero), d.Input, false},
			{rs[q], hQ.scale, &l.RecFC[q], l.RecBias[q*d.Cell : (q+1)*d.Cell], -int64(hQ.zero), d.Cell, true},
		} {
			wq, err := scaleOf(n, pair.w, "gate weights")
			if err != nil {
				return nil, err
			}
			if wq.zero != 0 {
				return nil, n.Errorf("gate weights zero point %d, want 0", wq.zero)
			}
			// TensorFlow Lite: the float32 product of the scales, then
			// divided in double by the Q3.12 scale.
			m, s := kernels.QuantizeMultiplier(float64(pair.xs*wq.scale) / gateScaleQ3_12)
			pair.fc.Mult, pair.fc.Shift = m, s
			w := pair.w.ConstTensor().Int8s()
			for r := range d.Cell {
				var sum int64
				for _, v := range w[r*pair.cols : (r+1)*pair.cols] {
					sum += int64(v)
				}
				pair.bias[r] = pair.off * sum
			}
		}
		b := bs[q].ConstTensor()
		for r := range d.Cell {
			if biasType == tensor.Int32 {
				l.InBias[q*d.Cell+r] += int64(b.Int32s()[r])
			} else {
				l.InBias[q*d.Cell+r] += b.Int64s()[r]
			}
		}
	}
	if in.DType == tensor.Int8 {
		for _, b := range [][]int64{l.InBias, l.RecBias} {
			for _, v := range b {
				if v < math.MinInt32 || v > math.MaxInt32 {
					return nil, n.Invalidf("gate bias %d with the zero point folded in overflows int32", v)
				}
			}
		}
		v, err := n.Shared("lstm-int8", func() (any, error) {
			return &packedInt{
				in:  gemm.PackInt8Acc(stack(ws, (*tensor.Tensor).Int8s), g, d.Input),
				rec: gemm.PackInt8Acc(stack(rs, (*tensor.Tensor).Int8s), g, d.Cell),
			}, nil
		})
		if err != nil {
			return nil, err
		}
		p := v.(*packedInt)
		l.In, l.Rec = p.in, p.rec
	} else {
		inW, recW = stack(ws, (*tensor.Tensor).Int8s), stack(rs, (*tensor.Tensor).Int8s)
		l.In16, l.Rec16 = inW, recW
	}
	hlo, hhi, _ := op.IntRange(h.DType)
	l.ForgetMul = ks.NewMul(gateScaleQ0_15, cQ.scale, cQ.scale, 0, math.MinInt16, math.MaxInt16)
	l.InputMul = ks.NewMul(gateScaleQ0_15, gateScaleQ0_15, cQ.scale, 0, math.MinInt16, math.MaxInt16)
	l.OutputMul = ks.NewMul(gateScaleQ0_15, gateScaleQ0_15, hQ.scale, hQ.zero, hlo, hhi)
	power, _ := ek.CheckedLog2(cQ.scale)
	if power < -40 || power > 12 {
		return nil, n.Errorf("cell state scale %g is out of range", cQ.scale)
	}
	l.CellTanhMult, l.CellTanhShift = ks.NewCellTanh(power)
	if clip > 0 {
		q := float64(clip) / float64(cQ.scale)
		l.CellClip = int16(min(max(q, -32768), 32767))
	}
	return l, nil
}

// gateBiasesAt is gateBiases for biases starting at input first.
func gateBiasesAt(n *op.Node, first, cell int, dt tensor.DType) ([4]*op.TensorInfo, error) {
	var bs [4]*op.TensorInfo
	for q := range 4 {
		b := n.Input(first + q)
		if b == nil {
			return bs, n.Errorf("gate bias %d is missing", first+q)
		}
		if b.DType != dt {
			return bs, n.Errorf("gate bias %d is %s, want %s", first+q, b.DType, dt)
		}
		if len(b.Shape) != 1 || b.Shape[0] != cell {
			return bs, n.Invalidf("gate bias %d has shape %s, want [%d]", first+q, b.Shape, cell)
		}
		if !b.IsConst() {
			return bs, n.Errorf("gate bias %d is not constant", first+q)
		}
		bs[q] = b
	}
	return bs, nil
}

// qscale is a per-tensor scale and zero point.
type qscale struct {
	scale float32
	zero  int32
}

// scaleOf returns t's per-tensor quantization.
func scaleOf(n *op.Node, t *op.TensorInfo, what string) (qscale, error) {
	s, z, ok := t.Scale()
	if !ok || !(s > 0) || math.IsInf(s, 0) {
		return qscale{}, n.Errorf("%s %q must be quantized per tensor with a positive scale", what, t.Name)
	}
	return qscale{float32(s), z}, nil
}
