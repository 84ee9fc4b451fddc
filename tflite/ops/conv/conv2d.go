package conv

import (
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// PrepareConv2D prepares CONV_2D: inputs (input [N,H,W,I], filter
// [O,KH,KW,I/groups], optional bias [O]), one output [N,OH,OW,O].
func PrepareConv2D(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	o, _ := n.Options.(*op.Conv2DOptions)
	if o == nil {
		o = &op.Conv2DOptions{}
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
		OutC: f.Shape[0], KH: f.Shape[1], KW: f.Shape[2], FilterInC: f.Shape[3],
		StrideH: o.StrideH, StrideW: o.StrideW, DilH: o.DilationH, DilW: o.DilationW}
	if g.InC%g.FilterInC != 0 || g.OutC%(g.InC/g.FilterInC) != 0 {
		return op.Kernel{}, n.Invalidf("filter %s does not fit input %s", f.Shape, in.Shape)
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
		if f.IsConst() && (bias == nil || bias.IsConst()) && g.FilterInC == g.InC {
			var b []float32
			if bias != nil {
				b = bias.ConstTensor().Float32s()
			}
			if c1 := kconv.NewConvF32OneOut(g, f.ConstTensor().Float32s(), b, act); c1 != nil {
				return rowsKernel(c1.ScratchBytes(), 1, func(t *rangeTask, _, _ int) {
					c1.Run(t.ins[0].Float32s(), t.outs[0].Float32s(), scratchOf[float32](t.scratch, c1.ScratchBytes()/4))
				}), nil
			}
			c := kconv.NewConvF32(g, f.ConstTensor().Float32s(), b, act)
			return rangeKernel(c.ScratchBytes(), func(x *op.Exec, _, _ []*tensor.Tensor) int { return c.Parts(x.Threads()) },
				func(t *rangeTask, lo, hi int) {
					c.RunParts(t.ins[0].Float32s(), t.outs[0].Float32s(), scratchOf[float32](t.scratch, c.ScratchBytes()/4), t.parts, lo, hi)
				}), nil
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.ConvFloatRef(&g, act, t.ins[0].Float32s(), t.ins[1].Float32s(), float32sOrNil(opt(t.ins, 2)), t.outs[0].Float32s(), lo, hi)
		}), nil
	case in.DType == tensor.Int8 && f.DType == tensor.Int8:
		return prepareConvInt8(n, &g, o.Activation, in, f, bias, out)
	case in.DType == tensor.Float32 && f.DType == tensor.Int8:
		// Hybrid: per-channel scales that differ run TensorFlow Lite's
		// per-channel kernel (asymmetric input), others its per-tensor
		// one (symmetric input).
		fs, err := hybridScales(n, f, 0, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		act, err := actFloat(n, o.Activation)
		if err != nil {
			return op.Kernel{}, err
		}
		return prepareHybrid(n, bias, out, g.OutC, g.Batch, g.InH*g.InW*g.InC, rows, distinctScales(f.Quant),
			func(t *rangeTask, q []int8, sf []float32, off []int32, lo, hi int) {
				kconv.HybridConv(&g, act, q, sf, off, t.ins[1].Int8s(), fs, float32sOrNil(opt(t.ins, 2)), t.outs[0].Float32s(), lo, hi)
			})
	case in.DType == tensor.Uint8 && f.DType == tensor.Uint8:
		q, err := uint8Requant(n, in, f, bias, out, o.Activation, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		if k, ok, err := prepareConvUint8Fast(n, &g, q, in, f, bias, fl); ok || err != nil {
			return k, err
		}
		return fl.wrap(rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.ConvRef(&g, q, t.ins[0].Uint8s(), t.ins[1].Uint8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Uint8s(), lo, hi)
		})), nil
	case in.DType == tensor.Int16 && f.DType == tensor.Int8:
		q, wide, err := int16Requant(n, in, f, bias, out, o.Activation, 0, g.OutC)
		if err != nil {
			return op.Kernel{}, err
		}
		if !wide {
			return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
				kconv.ConvRef(&g, q, t.ins[0].Int16s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Int16s(), lo, hi)
			}), nil
		}
		return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
			kconv.ConvRef(&g, q, t.ins[0].Int16s(), t.ins[1].Int8s(), int64sOrNil(opt(t.ins, 2)), t.outs[0].Int16s(), lo, hi)
		}), nil
	}
	return op.Kernel{}, n.Errorf("input %s with filter %s is not supported", in.DType, f.DType)
}

// opt returns ins[i], or nil when the optional input is absent.
func opt(ins []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(ins) {
		return ins[i]
	}
	return nil
}

// spatialPads is spatial, or with explicit pads (which must keep every
// window overlapping the input) the output size those pads give.
func spatialPads(n *op.Node, g *kconv.Geom, same bool, p *op.Pads) error {
	if p == nil {
		return spatial(n, g, same)
	}
	reachH, reachW := (g.KH-1)*g.DilH, (g.KW-1)*g.DilW
	for _, v := range [][2]int{{p.Top, reachH}, {p.Bottom, reachH}, {p.Left, reachW}, {p.Right, reachW}} {
		if v[0] < 0 || v[0] > v[1] {
			return n.Invalidf("explicit padding %+v exceeds the filter reach %dx%d", *p, reachH, reachW)
		}
	}
	g.OutH = (g.InH+p.Top+p.Bottom-reachH-1)/g.StrideH + 1
	g.OutW = (g.InW+p.Left+p.Right-reachW-1)/g.StrideW + 1
	if g.InH+p.Top+p.Bottom-reachH <= 0 || g.InW+p.Left+p.Right-reachW <= 0 {
		return n.Invalidf("window %dx%d (dilation %dx%d) is larger than the padded input", g.KH, g.KW, g.DilH, g.DilW)
	}
	g.PadH, g.PadW = p.Top, p.Left
	return nil
}

// spatial computes the output size and padding of g from its input,
// filter, strides and dilations.
func spatial(n *op.Node, g *kconv.Geom, same bool) error {
	g.OutH = kconv.OutSize(same, g.InH, g.KH, g.StrideH, g.DilH)
	g.OutW = kconv.OutSize(same, g.InW, g.KW, g.StrideW, g.DilW)
	if g.OutH <= 0 || g.OutW <= 0 {
		return n.Invalidf("window %dx%d (dilation %dx%d) is larger than the input %dx%d", g.KH, g.KW, g.DilH, g.DilW, g.InH, g.InW)
	}
	g.PadH, _ = kconv.Pad(g.StrideH, g.DilH, g.InH, g.KH, g.OutH)
	g.PadW, _ = kconv.Pad(g.StrideW, g.DilW, g.InW, g.KW, g.OutW)
	return nil
}

// int8Requant derives the output stage of an int8 kernel with int8
// weights quantized per channel along axis (or per tensor).
func int8Requant(n *op.Node, in, f, out *op.TensorInfo, act op.Activation, axis, channels int) (*kconv.Requant, error) {
	iq, err := perTensor(n, in, "input")
	if err != nil {
		return nil, err
	}
	oq, err := perTensor(n, out, "output")
	if err != nil {
		return nil, err
	}
	fs, err := filterScales(n, f, axis, channels)
	if err != nil {
		return nil, err
	}
	lo, hi, err := actQuant(n, act, out)
	if err != nil {
		return nil, err
	}
	m, s := channelMultipliers(iq.scale, oq.scale, fs)
	return &kconv.Requant{InputOffset: -iq.zp, OutputOffset: oq.zp, Mult: m, Shift: s, Min: lo, Max: hi}, nil
}

// int16Requant is int8Requant for 16x8 kernels: zero points must be 0;
// wide reports int64 accumulators (an int64 bias or none, unless the bias
// is int32).
func int16Requant(n *op.Node, in, f, bias, out *op.TensorInfo, act op.Activation, axis, channels int) (*kconv.Requant, bool, error) {
	if err := checkBias(n, bias, channels, tensor.Int32, tensor.Int64); err != nil {
		return nil, false, err
	}
	q, err := int8Requant(n, in, f, out, act, axis, channels)
	if err != nil {
		return nil, false, err
	}
	if q.InputOffset != 0 || q.OutputOffset != 0 {
		return nil, false, n.Errorf("int16 input and output zero points must be 0")
	}
	return q, bias == nil || bias.DType == tensor.Int64, nil
}

// uint8Requant derives the output stage of a legacy per-tensor uint8
// kernel.
func uint8Requant(n *op.Node, in, f, bias, out *op.TensorInfo, act op.Activation, channels int) (*kconv.Requant, error) {
	if err := checkBias(n, bias, channels, tensor.Int32); err != nil {
		return nil, err
	}
	iq, err := perTensor(n, in, "input")
	if err != nil {
		return nil, err
	}
	fq, err := perTensor(n, f, "filter")
	if err != nil {
		return nil, err
	}
	oq, err := perTensor(n, out, "output")
	if err != nil {
		return nil, err
	}
	if err := checkBiasScale(n, bias, iq.scale, fq.scale, oq.scale); err != nil {
		return nil, err
	}
	lo, hi, err := actQuant(n, act, out)
	if err != nil {
		return nil, err
	}
	m, s := tensorMultiplier(iq.scale, fq.scale, oq.scale, channels)
	return &kconv.Requant{InputOffset: -iq.zp, FilterOffset: -fq.zp, OutputOffset: oq.zp, Mult: m, Shift: s, Min: lo, Max: hi}, nil
}

// packInt8 returns the packed form of the constant int8 weight matrix f
// ([o, k] row-major), built once per model.
func packInt8(n *op.Node, f *op.TensorInfo, o, k int) (*gemm.PackedInt8, error) {
	key := fmt.Sprintf("conv/packed-int8-16x4/t%d/%dx%d", f.Index, o, k)
	v, err := n.Shared(key, func() (any, error) {
		return gemm.PackInt8(f.ConstTensor().Int8s(), o, k), nil
	})
	if err != nil {
		return nil, err
	}
	p, ok := v.(*gemm.PackedInt8)
	if !ok {
		return nil, n.Invalidf("shared weights %q have type %T", key, v)
	}
	return p, nil
}

// int8Rows returns an int8 CONV_2D on kconv.ConvRows, or nil where that
// does not apply: the int8 weights w as the uint8 w + 128 with zero
// point 128 (the GEMM's unsigned operand, so its loop reads the
// activations as they are), the term −128·Σ_k a_k per output pixel.
// Strided or padded 1×1 layers and windows over fewer than 8 channels
// stay on ConvInt8, which reads their rows in place or copies short
// window rows well (measured: resnet8's 1×1 stride-2 0.0025 vs 0.0031
// ms, movenet's 3×3×3 stem 0.103 vs 0.111, kws's 10×4×1 0.0097 vs
// 0.0120; resnet8's 3×3×16-32 gain 10%).
func int8Rows(g *kconv.Geom, f *op.TensorInfo, q *kconv.Requant, b []int32) *kconv.ConvRows {
	pointwise := g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.OutH == g.InH && g.OutW == g.InW
	if !gemm.RowTermsFast() || (!pointwise && (g.KH*g.KW == 1 || g.InC < 8)) {
		return nil
	}
	w := f.ConstTensor().Int8s()
	u := make([]uint8, len(w))
	for i, v := range w {
		u[i] = uint8(v) ^ 0x80 // v + 128
	}
	cr, err := kconv.NewConvRows(*g, u, 128, q, b)
	if err != nil {
		return nil
	}
	return cr
}

func prepareConvInt8(n *op.Node, g *kconv.Geom, act op.Activation, in, f, bias, out *op.TensorInfo) (op.Kernel, error) {
	if err := checkBias(n, bias, g.OutC, tensor.Int32); err != nil {
		return op.Kernel{}, err
	}
	q, err := int8Requant(n, in, f, out, act, 0, g.OutC)
	if err != nil {
		return op.Kernel{}, err
	}
	gg := *g
	if f.IsConst() && (bias == nil || bias.IsConst()) && g.FilterInC == g.InC {
		w, err := packInt8(n, f, g.OutC, g.KH*g.KW*g.InC)
		if err != nil {
			return op.Kernel{}, err
		}
		var b []int32
		if bias != nil {
			b = bias.ConstTensor().Int32s()
		}
		if cr := int8Rows(&gg, f, q, b); cr != nil {
			return rangeKernel(cr.ScratchBytes(), func(x *op.Exec, _, _ []*tensor.Tensor) int { return cr.Parts(x.Threads()) },
				func(t *rangeTask, lo, hi int) {
					cr.RunParts(t.ins[0].Int8s(), t.outs[0].Int8s(), scratchInt8(t.scratch, cr.ScratchBytes()), t.parts, lo, hi)
				}), nil
		}
		c, err := kconv.NewConvInt8(gg, w, q, b)
		if err != nil {
			return op.Kernel{}, n.Errorf("%v", err)
		}
		return rangeKernel(c.ScratchBytes(), func(x *op.Exec, _, _ []*tensor.Tensor) int { return c.Parts(x.Threads()) },
			func(t *rangeTask, lo, hi int) {
				c.RunParts(t.ins[0].Int8s(), t.outs[0].Int8s(), scratchInt8(t.scratch, c.ScratchBytes()), t.parts, lo, hi)
			}), nil
	}
	rows := g.Batch * g.OutH
	return rowsKernel(0, rows, func(t *rangeTask, lo, hi int) {
		kconv.ConvRef(&gg, q, t.ins[0].Int8s(), t.ins[1].Int8s(), int32sOrNil(opt(t.ins, 2)), t.outs[0].Int8s(), lo, hi)
	}), nil
}
