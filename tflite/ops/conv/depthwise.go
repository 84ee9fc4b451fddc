package conv

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// PrepareDepthwiseConv2D prepares DEPTHWISE_CONV_2D: inputs (input
// [N,H,W,I], filter [1,KH,KW,I·M], optional bias [I·M]), one output
// [N,OH,OW,I·M]. The depth multiplier M is taken from the shapes.
func PrepareDepthwiseConv2D(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.DepthwiseConv2DOptions)
	if o == nil {
		o = &op.DepthwiseConv2DOptions{}
	}
	in, f, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	bias := n.Input(2)
	if err := checkDims(n, in, "input", 4); err != nil {
		return op.Kernel{}, err
	}
	if err := checkDims(n, f, "filter", 4); err != nil {
		return op.Kernel{}, err
	}
	if err := checkWindow(n, o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW); err != nil {
		return op.Kernel{}, err
	}
	g := kconv.Geom{Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], InC: in.Shape[3],
		OutC: f.Shape[3], KH: f.Shape[1], KW: f.Shape[2], FilterInC: 1,
		StrideH: o.StrideH, StrideW: o.StrideW, DilH: o.DilationH, DilW: o.DilationW}
	if f.Shape[0] != 1 || g.OutC%g.InC != 0 {
		return op.Kernel{}, n.Invalidf("filter %s does not fit input %s", f.Shape, in.Shape)
	}
	if o.DepthMultiplier > 0 && o.DepthMultiplier != g.OutC/g.InC {
		return op.Kernel{}, n.Invalidf("depth multiplier %d does not match filter %s and input %s", o.DepthMultiplier, f.Shape, in.Shape)
	}
	if err := spatialPads(n, &g, o.Padding == op.PaddingSame, o.Pads); err != nil {
		return op.Kernel{}, err
	}
	out.Shape = tensor.Shape{g.Batch, g.OutH, g.OutW, g.OutC}
	if err := checkDims(n, out, "output", 4); err != nil {
		return op.Kernel{}, err
	}
	fl := flips{in: o.FlippedInput, out: o.FlippedOutput}
	in, out, err := flippedViews(n, in, out, f, fl)
	if err != nil {
		return op.Kernel{}, err
	}
	if in.DType != out.DType {
		return op.Kernel{}, n.Errorf("input %s and output %s differ", in.DType, out.DType)
	}
	rows := g.Batch * g.OutH
	switch {
	case in.DType == tensor.Float32 && f.DType == tensor.Float32:
		if err := checkBias(n, bias, g.OutC, tensor.Float32); err != nil {
			return op.Kernel{}, err
		}
		act, err := actFloat(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		if f.IsConst() && (bias == nil || bias.IsConst()) {
			var b []float32
			if bias != nil {
				b = bias.ConstTensor().Float32s()
			}
			if d := kconv.NewDepthwiseF32Fast(g, act, f.ConstTensor().Float32s(), b); d != nil {
				return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
					d.Rows(t.ins[0].Float32s(), t.outs[0].Float32s(), lo, hi)
				}), nil
			}
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.DepthwiseFloat(&g, act, t.ins[0].Float32s(), t.ins[1].Float32s(), float32sOrNil(opt(t.ins, 2)), t.outs[0].Float32s(), lo, hi)
		}), nil
	case in.DType == tensor.Int8 && f.DType == tensor.Int8:
		if err := checkBias(n, bias, g.OutC, tensor.Int32); err != nil {
			return op.Kernel{}, err
		}
		if g.InC == 1 && f.IsConst() && (bias == nil || bias.IsConst()) {
			// One input channel: a 3×3 window runs the padded vector
			// kernel on the channel repeated (person_detect's 1→8 layer),
			// others the convolution it is.
			if q, err := int8Requant(n, in, f, out, o.Activation, 3, g.OutC); err == nil && g.KH == 3 && g.KW == 3 {
				var b []int32
				if bias != nil {
					b = bias.ConstTensor().Int32s()
				}
				if d := kconv.NewDepthwiseInt8Padded(g, q, f.ConstTensor().Int8s(), b); d != nil {
					return paddedKernel(d, rows), nil
				}
			}
			return depthwiseAsConv(n, o, &g)
		}
		q, err := int8Requant(n, in, f, out, o.Activation, 3, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		if f.IsConst() && (bias == nil || bias.IsConst()) {
			var b []int32
			if bias != nil {
				b = bias.ConstTensor().Int32s()
			}
			if d := kconv.NewDepthwiseInt8Fast(g, q, f.ConstTensor().Int8s(), b); d != nil {
				return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
					d.Rows(t.ins[0].Int8s(), t.outs[0].Int8s(), lo, hi)
				}), nil
			}
			if d := kconv.NewDepthwiseInt8Padded(g, q, f.ConstTensor().Int8s(), b); d != nil {
				return paddedKernel(d, rows), nil
			}
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.DepthwiseInt8(&g, q, t.ins[0].Int8s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Int8s(), lo, hi)
		}), nil
	case in.DType == tensor.Float32 && f.DType == tensor.Int8:
		// Hybrid: TensorFlow Lite's per-channel kernel, asymmetric input.
		fs, err := hybridScales(n, f, 3, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		act, err := actFloat(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		return prepareHybrid(n, bias, out, g.OutC, g.Batch, g.InH*g.InW*g.InC, rows, true,
			func(t *rangeTask, q []int8, sf []float32, off []int32, lo, hi int) {
				kconv.HybridDepthwiseRows(&g, act, q, sf, off, t.ins[1].Int8s(), fs, float32sOrNil(opt(t.ins, 2)), t.outs[0].Float32s(), lo, hi)
			})
	case in.DType == tensor.Uint8 && f.DType == tensor.Uint8:
		q, err := uint8Requant(n, in, f, bias, out, o.Activation, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		if k, ok, err := prepareDepthwiseUint8Fast(n, &g, q, in, f, bias, fl); ok || err != nil {
			return k, err
		}
		return fl.wrap(rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.DepthwiseRef(&g, q, t.ins[0].Uint8s(), t.ins[1].Uint8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Uint8s(), lo, hi)
		})), nil
	case in.DType == tensor.Int16 && f.DType == tensor.Int8:
		q, wide, err := int16Requant(n, in, f, bias, out, o.Activation, 3, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		if !wide {
			return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
				kconv.DepthwiseRef(&g, q, t.ins[0].Int16s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Int16s(), lo, hi)
			}), nil
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.DepthwiseRef(&g, q, t.ins[0].Int16s(), t.ins[1].Int8s(), int64sOrNil(opt(t.ins, 2)), t.outs[0].Int16s(), lo, hi)
		}), nil
	}
	return op.Kernel{}, n.Errorf("input %s with filter %s is not supported", in.DType, f.DType)
}

// paddedKernel runs d (channels not a multiple of 16): on the input itself
// where the pair kernels read its rows as they are (d.Direct), else on
// the input padded into scratch (serially, before the rows run).
func paddedKernel(d *kconv.DepthwiseInt8Padded, rows int) op.Kernel {
	if d.Direct() {
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			d.RowsDirect(t.ins[0].Int8s(), t.outs[0].Int8s(), lo, hi)
		})
	}
	return rangeKernel(d.ScratchBytes(), func(x *op.Exec, ins, _ []*tensor.Tensor) int {
		d.Pad(ins[0].Int8s(), scratchInt8(x.Scratch, d.ScratchBytes()))
		return rows
	}, func(t *rangeTask, lo, hi int) {
		d.Rows(scratchInt8(t.scratch, d.ScratchBytes()), t.outs[0].Int8s(), lo, hi)
	})
}

// depthwiseAsConv prepares a DEPTHWISE_CONV_2D of one input channel (every
// output channel filters that channel: micro_speech's 1→8 layer) as the
// CONV_2D it is, with the filter [1,KH,KW,M] transposed to [M,KH,KW,1] and
// per-channel scales moved to axis 0: the same sums and the same
// per-channel requantization, on the packed convolution kernels instead
// of the generic depthwise loop.
func depthwiseAsConv(n *op.Node, o *op.DepthwiseConv2DOptions, g *kconv.Geom) (op.Kernel, error) {
	f := n.Inputs[1]
	src := f.ConstTensor().Int8s()
	kk := g.KH * g.KW
	data := make([]byte, len(src))
	for k := range kk {
		for oc := range g.OutC {
			data[oc*kk+k] = byte(src[k*g.OutC+oc])
		}
	}
	ft := *f
	ft.Shape = tensor.Shape{g.OutC, g.KH, g.KW, 1}
	ft.Const = data
	if q := f.Quant; q != nil {
		qc := *q
		if len(q.Scale) > 1 {
			if q.Axis != 3 {
				return op.Kernel{}, n.Invalidf("per-channel filter quantization on axis %d, want 3", q.Axis)
			}
			qc.Axis = 0
		}
		ft.Quant = &qc
	}
	c := &op.Node{Index: n.Index, Op: n.Op, Version: n.Version,
		Options: &op.Conv2DOptions{Padding: o.Padding, StrideW: o.StrideW, StrideH: o.StrideH, Activation: o.Activation,
			DilationW: o.DilationW, DilationH: o.DilationH, Pads: o.Pads},
		Inputs: append([]*op.TensorInfo{n.Inputs[0], &ft}, n.Inputs[2:]...), Outputs: n.Outputs}
	c.SetShared(n.Shared)
	return PrepareConv2D(c)
}
