package sequence

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	ks "github.com/edgeinfer/edgeinfer/tflite/kernels/sequence"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Input positions of BIDIRECTIONAL_SEQUENCE_LSTM: the forward cell's
// tensors at the unidirectional op's positions 1..17, the backward cell's
// 17 later, then the four states and the auxiliary input and weights.
const (
	biBackward = 17 // offset of the backward cell's tensors
	biFwHidden = 35
	biFwCell   = 36
	biBwHidden = 37
	biBwCell   = 38
	biAux      = 39 // 39..47: auxiliary input and its weights
)

// prepareBidirectionalLSTM prepares BIDIRECTIONAL_SEQUENCE_LSTM with
// float32 activations (float32 or hybrid int8 weights): a forward and a
// backward LSTM cell (standard, CIFG, peephole, projection) over the same
// input
// (the backward one from the last time step to the first), each with its
// own state; outputs [.., .., fw] and [.., .., bw], or one merged [.., ..,
// fw+bw] with merge_outputs. TensorFlow Lite runs it; TensorFlow Lite
// Micro does not.
func prepareBidirectionalLSTM(n *op.Node) (op.Kernel, error) {
	if len(n.Inputs) != 48 {
		return op.Kernel{}, n.Invalidf("has %d inputs, want 48", len(n.Inputs))
	}
	o, _ := n.Options.(*op.BidirectionalSequenceLSTMOptions)
	if o == nil {
		o = &op.BidirectionalSequenceLSTMOptions{TimeMajor: true}
	}
	nOut := 2
	if o.MergeOutputs {
		nOut = 1
	}
	if len(n.Outputs) != nOut || n.Inputs[0] == nil {
		return op.Kernel{}, n.Invalidf("has %d outputs, want %d (merge_outputs %v), and needs its input", len(n.Outputs), nOut, o.MergeOutputs)
	}
	for _, t := range n.Outputs {
		if t == nil {
			return op.Kernel{}, n.Invalidf("an output is missing")
		}
	}
	for i := biAux; i < 48; i++ {
		if n.Input(i) != nil {
			return op.Kernel{}, n.Errorf("auxiliary inputs are not supported")
		}
	}
	if o.Activation != op.ActTanh {
		return op.Kernel{}, n.Errorf("cell activation %d is not supported (TANH only)", o.Activation)
	}
	if !(o.CellClip >= 0) || math.IsInf(float64(o.CellClip), 0) {
		return op.Kernel{}, n.Invalidf("cell clip %v", o.CellClip)
	}
	in := n.Inputs[0]
	if in.DType != tensor.Float32 {
		return op.Kernel{}, n.Errorf("input %s is not supported (float32 only)", in.DType)
	}
	var dirs [2]*ks.LSTMFloat
	for k, base := range []int{0, biBackward} {
		h, c := n.Input(biFwHidden+2*k), n.Input(biFwCell+2*k)
		if err := checkState(n, h, "hidden", tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		if err := checkState(n, c, "cell", tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		wf, rf := n.Input(base+lstmInputWeights+1), n.Input(base+lstmRecWeights+1)
		if wf == nil || len(wf.Shape) != 2 || wf.Shape[0] <= 0 || rf == nil || len(rf.Shape) != 2 || rf.Shape[1] <= 0 {
			return op.Kernel{}, n.Invalidf("forget gate weights of direction %d are missing or not matrices", k)
		}
		scratchOut := &op.TensorInfo{}
		d, err := lstmDims(n, in, h, c, scratchOut, wf.Shape[0], rf.Shape[1], o.TimeMajor)
		if err != nil {
			return op.Kernel{}, err
		}
		l, err := newLSTMFloat(n, d, base, rf.Shape[1], o.CellClip, o.ProjClip, false)
		if err != nil {
			return op.Kernel{}, err
		}
		l.Reverse = k == 1
		dirs[k] = l
	}
	fw, bw := dirs[0], dirs[1]
	for _, t := range n.Outputs {
		if t.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("output %s is not float32", t.DType)
		}
	}
	if o.MergeOutputs {
		n.Outputs[0].Shape = tensor.Shape{in.Shape[0], in.Shape[1], fw.Output + bw.Output}
	} else {
		n.Outputs[0].Shape = tensor.Shape{in.Shape[0], in.Shape[1], fw.Output}
		n.Outputs[1].Shape = tensor.Shape{in.Shape[0], in.Shape[1], bw.Output}
	}
	merge := o.MergeOutputs
	return op.Kernel{Scratch: max(fw.ScratchBytes(), bw.ScratchBytes()), Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		xs := in[0].Float32s()
		if merge {
			y, stride := out[0].Float32s(), fw.Output+bw.Output
			fw.Run(xs, in[biFwHidden].Float32s(), in[biFwCell].Float32s(), y, stride, x.Scratch)
			bw.Run(xs, in[biBwHidden].Float32s(), in[biBwCell].Float32s(), y[fw.Output:], stride, x.Scratch)
			return nil
		}
		fw.Run(xs, in[biFwHidden].Float32s(), in[biFwCell].Float32s(), out[0].Float32s(), fw.Output, x.Scratch)
		bw.Run(xs, in[biBwHidden].Float32s(), in[biBwCell].Float32s(), out[1].Float32s(), bw.Output, x.Scratch)
		return nil
	}}, nil
}
