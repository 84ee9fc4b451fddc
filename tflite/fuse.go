package tflite

import (
	"encoding/binary"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// padFusion is a PAD whose only reader is a VALID convolution that pads
// exactly as SAME would: the convolution reads the PAD's input with SAME
// padding instead, and the PAD step does nothing. Converted Keras models
// (ZeroPadding2D before a stride-2 convolution) are full of them.
type padFusion struct {
	pad, conv int // op indices
	src       int // the PAD's input tensor
	// pads are the PAD's spatial amounts when they differ from SAME's (the
	// convolution then takes them explicitly), nil when SAME matches.
	pads *op.Pads
}

// padFusions finds the PADs newPlan folds into their convolution. The
// result is exact: a VALID convolution over a tensor padded with its zero
// point (0 for float) equals the convolution of the unpadded tensor with
// those amounts as its padding (SAME when they are SAME's), whose kernels
// read the zero point outside the input; the planner checks that the
// fused convolution's output shape is still the declared one.
func padFusions(f *subgraph, infos []*op.TensorInfo) []padFusion {
	readers := make([]int, len(infos))
	writer := make([]int, len(infos))
	for i := range writer {
		writer[i] = -1
	}
	for i, o := range f.ops {
		for _, ti := range o.inputs {
			if ti >= 0 {
				readers[ti]++
			}
		}
		for _, ti := range o.outputs {
			if ti >= 0 {
				writer[ti] = i
			}
		}
	}
	for _, ti := range f.outputs {
		readers[ti] += 2 // a graph output is never folded away
	}
	for _, ti := range f.inputs {
		readers[ti] += 2
	}
	var out []padFusion
	for j, o := range f.ops {
		if (o.name != "CONV_2D" && o.name != "DEPTHWISE_CONV_2D") || len(o.inputs) < 2 || o.inputs[0] < 0 || o.inputs[1] < 0 {
			continue
		}
		y := o.inputs[0]
		i := writer[y]
		if i < 0 || i >= j || readers[y] != 1 {
			continue
		}
		pad := f.ops[i]
		if pad.name != "PAD" || len(pad.inputs) != 2 || len(pad.outputs) != 1 || pad.inputs[0] < 0 || pad.inputs[1] < 0 {
			continue
		}
		x := pad.inputs[0]
		if x == y || !sameLayout(infos[x], infos[y]) {
			continue
		}
		amounts, ok := padAmounts(infos[pad.inputs[1]])
		if !ok || amounts[0] != [2]int{} || amounts[3] != [2]int{} {
			continue
		}
		sh, sw, dh, dw, ok := validWindow(o.options)
		if !ok {
			continue
		}
		w := infos[o.inputs[1]].Shape
		if len(w) != 4 || len(infos[x].Shape) != 4 {
			continue
		}
		fu := padFusion{pad: i, conv: j, src: x}
		if samePads(infos[x].Shape[1], int(w[1]), sh, dh) != amounts[1] || samePads(infos[x].Shape[2], int(w[2]), sw, dw) != amounts[2] {
			// Explicit amounts, as long as every window still overlaps
			// the input (the kernels' border handling assumes it).
			rh, rw := (int(w[1])-1)*dh, (int(w[2])-1)*dw
			if amounts[1][0] > rh || amounts[1][1] > rh || amounts[2][0] > rw || amounts[2][1] > rw {
				continue
			}
			fu.pads = &op.Pads{Top: amounts[1][0], Bottom: amounts[1][1], Left: amounts[2][0], Right: amounts[2][1]}
		}
		out = append(out, fu)
	}
	return out
}

// sameLayout reports whether a and b have the same dtype and quantization
// (so that PAD's fill value, the zero point, is the convolution's).
func sameLayout(a, b *op.TensorInfo) bool {
	if a.DType != b.DType || len(a.Shape) != 4 || len(b.Shape) != 4 {
		return false
	}
	switch a.DType {
	case tensor.Float32:
		return true
	case tensor.Int8, tensor.Uint8, tensor.Int16:
	default:
		return false
	}
	qa, qb := a.Quant, b.Quant
	if qa == nil || qb == nil || len(qa.Scale) != 1 || len(qb.Scale) != 1 || len(qa.ZeroPoint) != 1 || len(qb.ZeroPoint) != 1 {
		return false
	}
	return qa.Scale[0] == qb.Scale[0] && qa.ZeroPoint[0] == qb.ZeroPoint[0]
}

// padAmounts reads a constant [4, 2] int32 or int64 paddings tensor.
func padAmounts(t *op.TensorInfo) (a [4][2]int, ok bool) {
	if !t.IsConst() || len(t.Shape) != 2 || t.Shape[0] != 4 || t.Shape[1] != 2 {
		return a, false
	}
	for k := 0; k < 8; k++ {
		var v int64
		switch t.DType {
		case tensor.Int32:
			if len(t.Const) < 32 {
				return a, false
			}
			v = int64(int32(binary.LittleEndian.Uint32(t.Const[4*k:])))
		case tensor.Int64:
			if len(t.Const) < 64 {
				return a, false
			}
			v = int64(binary.LittleEndian.Uint64(t.Const[8*k:]))
		default:
			return a, false
		}
		if v < 0 || v > 1<<20 {
			return a, false
		}
		a[k/2][k%2] = int(v)
	}
	return a, true
}

// validWindow returns the strides and dilations of a VALID CONV_2D or
// DEPTHWISE_CONV_2D.
func validWindow(opts any) (sh, sw, dh, dw int, ok bool) {
	switch o := opts.(type) {
	case *op.Conv2DOptions:
		sh, sw, dh, dw, ok = o.StrideH, o.StrideW, o.DilationH, o.DilationW, o.Padding == op.PaddingValid
	case *op.DepthwiseConv2DOptions:
		sh, sw, dh, dw, ok = o.StrideH, o.StrideW, o.DilationH, o.DilationW, o.Padding == op.PaddingValid
	}
	return sh, sw, dh, dw, ok && sh > 0 && sw > 0 && dh > 0 && dw > 0
}

// samePads returns TensorFlow's SAME padding (before, after) of one
// spatial dimension of size in for a filter k, stride s and dilation d.
func samePads(in, k, s, d int) [2]int {
	if in <= 0 || k <= 0 {
		return [2]int{-1, -1}
	}
	out := (in + s - 1) / s
	total := max((out-1)*s+(k-1)*d+1-in, 0)
	return [2]int{total / 2, total - total/2}
}

// foldedOptions returns a copy of a convolution's options with SAME
// padding (pads nil) or the explicit pads.
func foldedOptions(opts any, pads *op.Pads) any {
	switch o := opts.(type) {
	case *op.Conv2DOptions:
		c := *o
		c.Padding, c.Pads = op.PaddingSame, pads
		return &c
	case *op.DepthwiseConv2DOptions:
		c := *o
		c.Padding, c.Pads = op.PaddingSame, pads
		return &c
	}
	return opts
}

// flippedOptions returns a copy of a convolution's options with its
// planner-set sign flips.
func flippedOptions(opts any, in, out bool) any {
	switch o := opts.(type) {
	case *op.Conv2DOptions:
		c := *o
		c.FlippedInput, c.FlippedOutput = in, out
		return &c
	case *op.DepthwiseConv2DOptions:
		c := *o
		c.FlippedInput, c.FlippedOutput = in, out
		return &c
	}
	return opts
}
