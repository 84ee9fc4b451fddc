package conv

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// PrepareFullyConnected prepares FULLY_CONNECTED: inputs (input [..., K]
// flattened to rows of K, weights [O,K], optional bias [O]), one output
// [rows, O], or the input's shape with its last dimension set to O when
// keep_num_dims is set.
func PrepareFullyConnected(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.FullyConnectedOptions)
	if o == nil {
		o = &op.FullyConnectedOptions{}
	}
	if o.WeightsFormat != 0 {
		return op.Kernel{}, n.Errorf("weights format %d is not supported", o.WeightsFormat)
	}
	in, w, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	bias := n.Input(2)
	if err := checkDims(n, w, "weights", 2); err != nil {
		return op.Kernel{}, err
	}
	if len(in.Shape) == 0 {
		return op.Kernel{}, n.Invalidf("input is a scalar")
	}
	if err := checkDims(n, in, "input", -1); err != nil {
		return op.Kernel{}, err
	}
	oc, k := w.Shape[0], w.Shape[1]
	elems := in.Shape.Elements()
	if elems%k != 0 {
		return op.Kernel{}, n.Invalidf("input %s is not a multiple of the weights' depth %d", in.Shape, k)
	}
	rows := elems / k
	if o.KeepNumDims {
		if in.Shape[len(in.Shape)-1] != k {
			return op.Kernel{}, n.Invalidf("keep_num_dims: input %s does not end in %d", in.Shape, k)
		}
		out.Shape = append(in.Shape.Clone()[:len(in.Shape)-1], oc)
	} else {
		out.Shape = tensor.Shape{rows, oc}
	}
	if _, err := out.Shape.NumElements(); err != nil {
		return op.Kernel{}, n.Invalidf("output: %v", err)
	}
	if in.DType != out.DType {
		return op.Kernel{}, n.Errorf("input %s and output %s differ", in.DType, out.DType)
	}
	switch {
	case in.DType == tensor.Float32 && w.DType == tensor.Float32:
		if err := checkBias(n, bias, oc, tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		act, err := actFloat(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		if w.IsConst() && (bias == nil || bias.IsConst()) {
			var b []float32
			if bias != nil {
				b = bias.ConstTensor().Float32s()
			}
			fc := kconv.NewFCF32(w.ConstTensor().Float32s(), b, oc, k, act)
			return rangeKernel(0, func(x *op.Exec, _, _ []*tensor.Tensor) int { return fc.Parts(rows, x.Threads()) },
				func(t *rangeTask, lo, hi int) {
					fc.RunParts(t.ins[0].Float32s(), t.outs[0].Float32s(), rows, t.workers, lo, hi)
				}), nil
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.FullyConnectedFloat(k, oc, act, t.ins[0].Float32s(), t.ins[1].Float32s(), float32sOrNil(opt(t.ins, 2)), t.outs[0].Float32s(), lo, hi)
		}), nil
	case in.DType == tensor.Int8 && w.DType == tensor.Int8:
		if err := checkBias(n, bias, oc, tensor.Int32); err != nil {
			return op.Kernel{}, err
		}
		q, err := fcRequant(n, in, w, bias, out, o.Activation, oc)
		if err != nil {
			return op.Kernel{}, err
		}
		if w.IsConst() && (bias == nil || bias.IsConst()) {
			p, err := packInt8(n, w, oc, k)
			if err != nil {
				return op.Kernel{}, err
			}
			var b []int32
			if bias != nil {
				b = bias.ConstTensor().Int32s()
			}
			fc, err := kconv.NewFCInt8(p, q, b)
			if err != nil {
				return op.Kernel{}, n.Errorf("%v", err)
			}
			return rangeKernel(0, func(x *op.Exec, _, _ []*tensor.Tensor) int { return fc.Parts(rows, x.Threads()) },
				func(t *rangeTask, lo, hi int) {
					fc.RunParts(t.ins[0].Int8s(), t.outs[0].Int8s(), rows, t.workers, lo, hi)
				}), nil
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.FullyConnectedRef(k, oc, q, t.ins[0].Int8s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Int8s(), lo, hi)
		}), nil
	case in.DType == tensor.Float32 && w.DType == tensor.Int8:
		// Hybrid: each row quantized on its own, asymmetrically when
		// asymmetric_quantize_inputs is set. Per-channel weights are
		// refused: the TensorFlow Lite we check against ignores their
		// scales (its output is the bias alone).
		if w.Quant.PerChannel() {
			return op.Kernel{}, n.Errorf("hybrid weights quantized per channel are not supported")
		}
		fs, err := hybridScales(n, w, 0, oc)
		if err != nil {
			return op.Kernel{}, err
		}
		act, err := actFloat(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		return prepareHybrid(n, bias, out, oc, rows, k, rows, o.AsymmetricQuantizeInputs,
			func(t *rangeTask, q []int8, sf []float32, off []int32, lo, hi int) {
				kconv.HybridFC(k, oc, act, q, sf, off, t.ins[1].Int8s(), fs, float32sOrNil(opt(t.ins, 2)), t.outs[0].Float32s(), lo, hi)
			})
	case in.DType == tensor.Uint8 && w.DType == tensor.Uint8:
		q, err := uint8Requant(n, in, w, bias, out, o.Activation, oc)
		if err != nil {
			return op.Kernel{}, err
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.FullyConnectedRef(k, oc, q, t.ins[0].Uint8s(), t.ins[1].Uint8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Uint8s(), lo, hi)
		}), nil
	case in.DType == tensor.Int16 && w.DType == tensor.Int8:
		if err := checkBias(n, bias, oc, tensor.Int32, tensor.Int64); err != nil {
			return op.Kernel{}, err
		}
		q, err := fcRequant(n, in, w, bias, out, o.Activation, oc)
		if err != nil {
			return op.Kernel{}, err
		}
		if q.InputOffset != 0 || q.OutputOffset != 0 {
			return op.Kernel{}, n.Errorf("int16 input and output zero points must be 0")
		}
		if bias != nil && bias.DType == tensor.Int32 {
			return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
				kconv.FullyConnectedRef(k, oc, q, t.ins[0].Int16s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Int16s(), lo, hi)
			}), nil
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.FullyConnectedRef(k, oc, q, t.ins[0].Int16s(), t.ins[1].Int8s(), int64sOrNil(opt(t.ins, 2)), t.outs[0].Int16s(), lo, hi)
		}), nil
	}
	return op.Kernel{}, n.Errorf("input %s with weights %s is not supported", in.DType, w.DType)
}

// fcRequant derives the output stage of an int8 or 16x8
// FULLY_CONNECTED as TensorFlow Lite does: per-channel weights get
// per-channel multipliers (in double), per-tensor weights one multiplier
// from the float32 input·weights product, with the bias scale checked.
func fcRequant(n *op.Node, in, w, bias, out *op.TensorInfo, act op.Activation, oc int) (*kconv.Requant, error) {
	q, err := int8Requant(n, in, w, out, act, 0, oc)
	if err != nil || w.Quant.PerChannel() {
		return q, err
	}
	iq, _ := perTensor(n, in, "input")
	oq, _ := perTensor(n, out, "output")
	fs := w.Quant.Scale[0]
	if err := checkBiasScale(n, bias, iq.scale, fs, oq.scale); err != nil {
		return nil, err
	}
	q.Mult, q.Shift = tensorMultiplier(iq.scale, fs, oq.scale, oc)
	return q, nil
}
