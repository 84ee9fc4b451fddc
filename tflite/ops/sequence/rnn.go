package sequence

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
	ks "github.com/edgeinfer/edgeinfer/tflite/kernels/sequence"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepareRNN prepares UNIDIRECTIONAL_SEQUENCE_RNN in float32: input [B, T,
// I] (or [T, B, I] time major), weights [U, I], recurrent weights [U, U],
// bias [U], hidden state [B, U] (variable); output [.., .., U], each step
// h = act(W·x + b + R·h); hybrid (int8 weights, float32 activations,
// rows quantized on the fly, symmetric or asymmetric) as TensorFlow Lite
// runs it. TensorFlow Lite Micro has no RNN.
func prepareRNN(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(5, 5, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.SequenceRNNOptions)
	if o == nil {
		o = &op.SequenceRNNOptions{}
	}
	in, w, rw, bias, h, out := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Inputs[3], n.Inputs[4], n.Outputs[0]
	hybrid := w.DType == tensor.Int8 && rw.DType == tensor.Int8
	for _, t := range []*op.TensorInfo{in, w, rw, bias, h, out} {
		if t.DType != tensor.Float32 && !(hybrid && (t == w || t == rw)) {
			return op.Kernel{}, n.Errorf("%q is %s: float32, or int8 weights (hybrid), only", t.Name, t.DType)
		}
	}
	if err := checkState(n, h, "hidden", tensor.Float32); err != nil {
		return op.Kernel{}, err
	}
	if len(w.Shape) != 2 || w.Shape[0] <= 0 {
		return op.Kernel{}, n.Invalidf("weights have shape %s, want a matrix", w.Shape)
	}
	units := w.Shape[0]
	d, err := lstmDims(n, in, h, h, out, units, units, o.TimeMajor)
	if err != nil {
		return op.Kernel{}, err
	}
	if w.Shape[1] != d.Input {
		return op.Kernel{}, n.Invalidf("weights %s do not fit input %s", w.Shape, in.Shape)
	}
	if len(rw.Shape) != 2 || rw.Shape[0] != units || rw.Shape[1] != units {
		return op.Kernel{}, n.Invalidf("recurrent weights have shape %s, want [%d,%d]", rw.Shape, units, units)
	}
	if len(bias.Shape) != 1 || bias.Shape[0] != units {
		return op.Kernel{}, n.Invalidf("bias has shape %s, want [%d]", bias.Shape, units)
	}
	if !w.IsConst() || !rw.IsConst() || !bias.IsConst() {
		return op.Kernel{}, n.Errorf("weights and bias must be constant")
	}
	act, err := sliceActivation(n, o.Activation)
	if err != nil {
		return op.Kernel{}, err
	}
	if hybrid {
		return prepareRNNHybrid(n, d, w, rw, bias, o.AsymmetricQuantizeInputs, act)
	}
	v, err := n.Shared("rnn-float", func() (any, error) {
		return &packedFloat{
			in:  gemm.PackF32(w.ConstTensor().Float32s(), bias.ConstTensor().Float32s(), units, d.Input),
			rec: gemm.PackF32(rw.ConstTensor().Float32s(), nil, units, units),
		}, nil
	})
	if err != nil {
		return op.Kernel{}, err
	}
	p := v.(*packedFloat)
	l := &ks.RNNFloat{Dims: d, In: p.in, Rec: p.rec, Act: act}
	return op.Kernel{Scratch: l.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		l.Run(in[0].Float32s(), in[4].Float32s(), out[0].Float32s(), x.Scratch)
		return nil
	}}, nil
}

// sliceActivation returns a fused activation applied in place to a slice,
// as TensorFlow Lite's ApplyActivationToVector does (NONE, RELU,
// RELU_N1_TO_1, RELU6, TANH; SIGN_BIT is not an activation there).
func sliceActivation(n *op.Node, act op.Activation) (func([]float32), error) {
	if act == op.ActTanh {
		return func(v []float32) {
			for i, x := range v {
				v[i] = float32(math.Tanh(float64(x)))
			}
		}, nil
	}
	lo, hi, ok := op.ActivationRangeFloat(act)
	if !ok {
		return nil, n.Errorf("activation %d is not supported", act)
	}
	return func(v []float32) {
		for i, x := range v {
			v[i] = min(max(x, lo), hi)
		}
	}, nil
}

// prepareRNNHybrid prepares the hybrid RNN: int8 weights quantized per
// tensor (zero point 0), float32 everything else.
func prepareRNNHybrid(n *op.Node, d ks.Dims, w, rw, bias *op.TensorInfo, asym bool, act func([]float32)) (op.Kernel, error) {
	ws, err := scaleOf(n, w, "weights")
	if err != nil {
		return op.Kernel{}, err
	}
	rs, err := scaleOf(n, rw, "recurrent weights")
	if err != nil {
		return op.Kernel{}, err
	}
	if ws.zero != 0 || rs.zero != 0 {
		return op.Kernel{}, n.Errorf("hybrid weights need zero point 0")
	}
	sums := func(m []int8, cols int) []int32 {
		out := make([]int32, len(m)/cols)
		for r := range out {
			for _, v := range m[r*cols : (r+1)*cols] {
				out[r] += int32(v)
			}
		}
		return out
	}
	wv, rv := w.ConstTensor().Int8s(), rw.ConstTensor().Int8s()
	v, err := n.Shared("rnn-hybrid", func() (any, error) {
		return &packedInt{in: gemm.PackInt8Acc(wv, d.Cell, d.Input), rec: gemm.PackInt8Acc(rv, d.Cell, d.Cell)}, nil
	})
	if err != nil {
		return op.Kernel{}, err
	}
	p := v.(*packedInt)
	l := &ks.RNNHybrid{Dims: d, In: p.in, Rec: p.rec, InSum: sums(wv, d.Input), RecSum: sums(rv, d.Cell),
		InScale: ws.scale, RecScale: rs.scale, Bias: bias.ConstTensor().Float32s(), Asymmetric: asym, Act: act}
	return op.Kernel{Scratch: l.ScratchBytes(), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		l.Run(in[0].Float32s(), in[4].Float32s(), out[0].Float32s(), x.Scratch)
		return nil
	}}, nil
}
