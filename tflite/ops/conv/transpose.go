package conv

import (
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// PrepareTransposeConv prepares TRANSPOSE_CONV: inputs (output_shape
// int32[4] constant, weights [O,KH,KW,I], input [N,H,W,I], optional bias
// [O]), one output of output_shape (its batch taken from the input, so a
// re-planned batch size works).
func PrepareTransposeConv(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(3, 4, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.TransposeConvOptions)
	if o == nil {
		o = &op.TransposeConvOptions{}
	}
	shp, f, in, out := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
	bias := n.Input(3)
	if shp.DType != tensor.Int32 || shp.Shape.Elements() != 4 {
		return op.Kernel{}, n.Invalidf("output_shape must be an int32 vector of 4 values")
	}
	if err := checkDims(n, in, "input", 4); err != nil {
		return op.Kernel{}, err
	}
	if err := checkDims(n, f, "filter", 4); err != nil {
		return op.Kernel{}, err
	}
	if err := checkWindow(n, o.Padding, o.StrideH, o.StrideW, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	// A constant output_shape gives the output's shape; a computed one must
	// equal the output shape declared in the file, checked at each Eval.
	var os []int32
	if shp.IsConst() {
		os = shp.ConstTensor().Int32s()
	} else if len(out.Shape) == 4 {
		os = []int32{int32(out.Shape[0]), int32(min(out.Shape[1], maxDim)), int32(min(out.Shape[2], maxDim)), int32(min(out.Shape[3], maxDim))}
	} else {
		return op.Kernel{}, n.Errorf("output_shape is computed and the output has no declared 4-D shape")
	}
	dynamic := !shp.IsConst()
	g := kconv.Geom{Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], InC: in.Shape[3],
		OutH: int(os[1]), OutW: int(os[2]), OutC: int(os[3]), KH: f.Shape[1], KW: f.Shape[2], FilterInC: f.Shape[3],
		StrideH: o.StrideH, StrideW: o.StrideW, DilH: 1, DilW: 1}
	if f.Shape[0] != g.OutC || f.Shape[3] != g.InC {
		return op.Kernel{}, n.Invalidf("filter %s does not fit input %s and output_shape %v", f.Shape, in.Shape, os)
	}
	out.Shape = tensor.Shape{g.Batch, g.OutH, g.OutW, g.OutC}
	if err := checkDims(n, out, "output", 4); err != nil {
		return op.Kernel{}, err
	}
	same := o.Padding == op.PaddingSame
	g.PadH, _ = kconv.Pad(g.StrideH, 1, g.OutH, g.KH, kconv.OutSize(same, g.OutH, g.KH, g.StrideH, 1))
	g.PadW, _ = kconv.Pad(g.StrideW, 1, g.OutW, g.KW, kconv.OutSize(same, g.OutW, g.KW, g.StrideW, 1))
	if in.DType != out.DType {
		return op.Kernel{}, n.Errorf("input %s and output %s differ", in.DType, out.DType)
	}
	elems := out.Shape.Elements()
	want := [4]int32{int32(g.Batch), int32(g.OutH), int32(g.OutW), int32(g.OutC)}
	k, err := transposeKernel(n, &g, o.Activation, in, f, bias, out, elems)
	if err != nil || !dynamic {
		return k, err
	}
	eval := k.Eval
	k.Eval = func(x *op.Exec, ins, outs []*tensor.Tensor) error {
		if got := ins[0].Int32s(); len(got) != 4 || [4]int32(got) != want {
			return fmt.Errorf("output_shape %v differs from the planned %v: %w", got, want, op.ErrInput)
		}
		return eval(x, ins, outs)
	}
	return k, nil
}

func transposeKernel(n *op.Node, gp *kconv.Geom, act op.Activation, in, f, bias, out *op.TensorInfo, elems int) (op.Kernel, error) {
	g := *gp
	switch {
	case in.DType == tensor.Float32 && f.DType == tensor.Float32:
		if err := checkBias(n, bias, g.OutC, tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		act, err := actFloat(n, act)
		if err != nil {
			return op.Kernel{}, err
		}
		return rowsKernel(0, g.OutC, func(t *rangeTask, lo, hi int) {
			kconv.TransposeFloat(&g, act, t.ins[2].Float32s(), t.ins[1].Float32s(), float32sOrNil(opt(t.ins, 3)), t.outs[0].Float32s(), lo, hi)
		}), nil
	case in.DType == tensor.Int8 && f.DType == tensor.Int8:
		if err := checkBias(n, bias, g.OutC, tensor.Int32); err != nil {
			return op.Kernel{}, err
		}
		q, err := int8Requant(n, in, f, out, act, 0, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		return rowsKernel(elems*4, g.OutC, func(t *rangeTask, lo, hi int) {
			acc := scratchOf[int32](t.scratch, elems)
			kconv.TransposeRef(&g, q, t.ins[2].Int8s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 3)), t.outs[0].Int8s(), acc, lo, hi)
		}), nil
	case in.DType == tensor.Int16 && f.DType == tensor.Int8:
		if err := checkBias(n, bias, g.OutC, tensor.Int16, tensor.Int32, tensor.Int64); err != nil {
			return op.Kernel{}, err
		}
		q, err := int8Requant(n, in, f, out, act, 0, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		if q.InputOffset != 0 || q.OutputOffset != 0 {
			return op.Kernel{}, n.Errorf("int16 input and output zero points must be 0")
		}
		// The bias is widened into scratch once, before the parts run;
		// each part then reads it from there (or from the int64 input).
		wideBias := func(t *rangeTask, all []int64) []int64 {
			b := opt(t.ins, 3)
			if b != nil && b.DType == tensor.Int64 {
				return b.Int64s()
			}
			if b == nil {
				return nil
			}
			return all[elems:]
		}
		return rangeKernel((elems+g.OutC)*8, func(x *op.Exec, ins, _ []*tensor.Tensor) int {
			widenBias(opt(ins, 3), scratchOf[int64](x.Scratch, elems+g.OutC)[elems:])
			return g.OutC
		}, func(t *rangeTask, lo, hi int) {
			all := scratchOf[int64](t.scratch, elems+g.OutC)
			kconv.TransposeRef(&g, q, t.ins[2].Int16s(), t.ins[1].Int8s(), wideBias(t, all), t.outs[0].Int16s(), all[:elems], lo, hi)
		}), nil
	}
	return op.Kernel{}, n.Errorf("input %s with filter %s is not supported", in.DType, f.DType)
}
