package conv

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// PrepareAveragePool2D prepares AVERAGE_POOL_2D over an NHWC input.
func PrepareAveragePool2D(n *op.Node) (op.Kernel, error) { return preparePool(n, false) }

// PrepareMaxPool2D prepares MAX_POOL_2D over an NHWC input.
func PrepareMaxPool2D(n *op.Node) (op.Kernel, error) { return preparePool(n, true) }

func preparePool(n *op.Node, isMax bool) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.Pool2DOptions)
	if o == nil {
		o = &op.Pool2DOptions{}
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkDims(n, in, "input", 4); err != nil {
		return op.Kernel{}, err
	}
	if err := checkWindow(n, o.Padding, o.StrideH, o.StrideW, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	if o.FilterHeight < 1 || o.FilterWidth < 1 || o.FilterHeight > maxDim || o.FilterWidth > maxDim {
		return op.Kernel{}, n.Invalidf("filter %dx%d is not positive", o.FilterHeight, o.FilterWidth)
	}
	g := kconv.Geom{Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], InC: in.Shape[3], OutC: in.Shape[3],
		KH: o.FilterHeight, KW: o.FilterWidth, StrideH: o.StrideH, StrideW: o.StrideW, DilH: 1, DilW: 1, FilterInC: 1}
	if err := spatial(n, &g, o.Padding == op.PaddingSame); err != nil {
		return op.Kernel{}, err
	}
	out.Shape = tensor.Shape{g.Batch, g.OutH, g.OutW, g.OutC}
	if in.DType != out.DType {
		return op.Kernel{}, n.Errorf("input %s and output %s differ", in.DType, out.DType)
	}
	rows := g.Batch * g.OutH
	if in.DType == tensor.Float32 {
		act, err := actFloat(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			xs, ys := t.ins[0].Float32s(), t.outs[0].Float32s()
			if isMax {
				kconv.MaxPoolFloat(&g, act, xs, ys, lo, hi)
			} else {
				kconv.AvgPoolFloat(&g, act, xs, ys, lo, hi)
			}
		}), nil
	}
	if in.DType != tensor.Int8 && in.DType != tensor.Uint8 && in.DType != tensor.Int16 {
		return op.Kernel{}, n.Errorf("dtype %s is not supported", in.DType)
	}
	iq, err := perTensor(n, in, "input")
	if err != nil {
		return op.Kernel{}, err
	}
	oq, err := perTensor(n, out, "output")
	if err != nil {
		return op.Kernel{}, err
	}
	if iq != oq {
		return op.Kernel{}, n.Errorf("input and output quantization differ (%v/%d vs %v/%d)", iq.scale, iq.zp, oq.scale, oq.zp)
	}
	if in.DType == tensor.Int16 {
		if err := zpIs0(n, iq, "input"); err != nil {
			return op.Kernel{}, err
		}
	}
	lo, hi, err := actQuant(n, o.Activation, out)
	if err != nil {
		return op.Kernel{}, err
	}
	switch in.DType {
	case tensor.Int8:
		return poolKernel(&g, isMax, lo, hi, rows, (*tensor.Tensor).Int8s), nil
	case tensor.Uint8:
		return poolKernel(&g, isMax, lo, hi, rows, (*tensor.Tensor).Uint8s), nil
	}
	return poolKernel(&g, isMax, lo, hi, rows, (*tensor.Tensor).Int16s), nil
}

func poolKernel[T int8 | uint8 | int16](g *kconv.Geom, isMax bool, lo, hi int32, rows int, data func(*tensor.Tensor) []T) op.Kernel {
	gg := *g
	return rowsKernel(0, rows, func(t *rangeTask, r0, r1 int) {
		xs, ys := data(t.ins[0]), data(t.outs[0])
		if isMax {
			kconv.MaxPool(&gg, lo, hi, xs, ys, r0, r1)
		} else {
			kconv.AvgPool(&gg, lo, hi, xs, ys, r0, r1)
		}
	})
}
