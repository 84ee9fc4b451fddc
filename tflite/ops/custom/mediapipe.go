package custom

import (
	"encoding/binary"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Register adds the custom operators of this package to r.
func Register(r *op.Resolver) {
	r.Add("CUSTOM:Convolution2DTransposeBias", PrepareTransposeConvBias)
	r.Add("CUSTOM:MaxPoolingWithArgmax2D", PrepareMaxPoolArgmax)
	r.Add("CUSTOM:MaxUnpooling2D", PrepareMaxUnpool)
	r.Add("CUSTOM:Landmarks2TransformMatrix", PrepareLandmarksToTransformMatrix)
	r.Add("CUSTOM:TransformTensorBilinear", PrepareTransformTensorBilinear)
	r.Add("CUSTOM:TransformLandmarks", PrepareTransformLandmarks)
	r.Add("DENSIFY", prepareDensify)
}

// maxDim bounds every size, stride and window so index arithmetic cannot
// overflow.
const maxDim = 1 << 24

// TfLitePadding values in the raw option structs.
const (
	paddingSame  = 1
	paddingValid = 2
)

// rawInts reads the first n little-endian int32 fields of a raw C options
// struct.
func rawInts(n *op.Node, count int) ([]int, error) {
	b := n.CustomOptions
	if len(b) < 4*count {
		return nil, n.Invalidf("custom options are %d bytes, want at least %d", len(b), 4*count)
	}
	v := make([]int, count)
	for i := range v {
		v[i] = int(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return v, nil
}

// checkFloat4D checks that t is a float32 tensor of rank 4 with positive,
// bounded dimensions.
func checkFloat4D(n *op.Node, t *op.TensorInfo, what string) error {
	if t.DType != tensor.Float32 {
		return n.Errorf("%s is %s; only float32 is supported", what, t.DType)
	}
	if len(t.Shape) != 4 {
		return n.Invalidf("%s has shape %v, want rank 4", what, t.Shape)
	}
	for _, d := range t.Shape {
		if d < 1 || d > maxDim {
			return n.Invalidf("%s has shape %v", what, t.Shape)
		}
	}
	if _, err := t.Shape.NumElements(); err != nil {
		return n.Invalidf("%s: %v", what, err)
	}
	return nil
}

// setOutput sets a float32 output's shape, checking its type and size.
func setOutput(n *op.Node, t *op.TensorInfo, shape tensor.Shape, what string) error {
	t.Shape = shape
	return checkFloat4D(n, t, what)
}

// PrepareTransposeConvBias prepares MediaPipe's Convolution2DTransposeBias:
// inputs (input [N,H,W,I], weights [O,KH,KW,I], bias [O]), one output
// [N, S·(H−1)+KH−P, S·(W−1)+KW−P, O] where P (SAME padding only) is
// max(0, K − (in−1) mod S − 1), of which P/2 comes before. Options:
// TfLiteTransposeConvParams {padding, stride_width, stride_height}.
func PrepareTransposeConvBias(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(3, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	o, err := rawInts(n, 3)
	if err != nil {
		return op.Kernel{}, err
	}
	padding, sw, sh := o[0], o[1], o[2]
	in, w, bias, out := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
	if err := checkFloat4D(n, in, "input"); err != nil {
		return op.Kernel{}, err
	}
	if err := checkFloat4D(n, w, "weights"); err != nil {
		return op.Kernel{}, err
	}
	if bias.DType != tensor.Float32 || len(bias.Shape) != 1 || bias.Shape[0] != w.Shape[0] {
		return op.Kernel{}, n.Invalidf("bias %s%v does not match weights %v", bias.DType, bias.Shape, w.Shape)
	}
	if w.Shape[3] != in.Shape[3] {
		return op.Kernel{}, n.Invalidf("weights %v do not fit input %v", w.Shape, in.Shape)
	}
	if padding != paddingSame && padding != paddingValid {
		return op.Kernel{}, n.Invalidf("padding %d", padding)
	}
	if sw < 1 || sh < 1 || sw > maxDim || sh > maxDim {
		return op.Kernel{}, n.Invalidf("stride %dx%d", sh, sw)
	}
	g := kconv.Geom{Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], InC: in.Shape[3],
		OutC: w.Shape[0], KH: w.Shape[1], KW: w.Shape[2], StrideH: sh, StrideW: sw, DilH: 1, DilW: 1, FilterInC: in.Shape[3]}
	var ph, pw int
	if padding == paddingSame {
		ph = max(0, g.KH-(g.InH-1)%sh-1)
		pw = max(0, g.KW-(g.InW-1)%sw-1)
	}
	g.OutH = sh*(g.InH-1) + g.KH - ph
	g.OutW = sw*(g.InW-1) + g.KW - pw
	g.PadH, g.PadW = ph/2, pw/2
	if err := setOutput(n, out, tensor.Shape{g.Batch, g.OutH, g.OutW, g.OutC}, "output"); err != nil {
		return op.Kernel{}, err
	}
	// Constant weights and bias (every MediaPipe model): matrix products
	// per filter row on the vector GEMM.
	if w.IsConst() && bias.IsConst() {
		t := kconv.NewTransposeConvF32(g, w.ConstTensor().Float32s(), bias.ConstTensor().Float32s())
		return op.Kernel{Scratch: t.ScratchBytes(kconv.MaxSlots), Eval: func(x *op.Exec, ins, outs []*tensor.Tensor) error {
			in, o := ins[0].Float32s(), outs[0].Float32s()
			s := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x.Scratch))), len(x.Scratch)/4)
			parts := t.Parts(x.Threads())
			x.Parallel(parts, func(lo, hi int) { t.RunParts(in, o, s, parts, lo, hi) })
			return nil
		}}, nil
	}
	// Otherwise the gathering loop over the filter laid out [KH][KW][I][O]:
	// transposed once when constant, into scratch at each run otherwise.
	var wt []float32
	scratch := 0
	if w.IsConst() {
		wt = kconv.TransposeOHWI(w.ConstTensor().Float32s(), g.OutC, g.KH, g.KW, g.InC, make([]float32, w.Shape.Elements()))
	} else {
		scratch = 4 * w.Shape.Elements()
	}
	return op.Kernel{Scratch: scratch, Eval: func(x *op.Exec, ins, outs []*tensor.Tensor) error {
		in, b, o := ins[0].Float32s(), ins[2].Float32s(), outs[0].Float32s()
		f := wt
		if f == nil {
			f = kconv.TransposeOHWI(ins[1].Float32s(), g.OutC, g.KH, g.KW, g.InC, unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x.Scratch))), scratch/4))
		}
		x.Parallel(g.Batch*g.OutH, func(lo, hi int) { kconv.TransposeConvBiasFloat(&g, in, f, b, o, lo, hi) })
		return nil
	}}, nil
}

// poolParams reads TfLitePoolParams {padding, stride_width, stride_height,
// filter_width, filter_height, activation}.
func poolParams(n *op.Node) (padding, sw, sh, fw, fh int, act kconv.FloatAct, err error) {
	o, err := rawInts(n, 6)
	if err != nil {
		return
	}
	padding, sw, sh, fw, fh = o[0], o[1], o[2], o[3], o[4]
	for _, v := range o[1:5] {
		if v < 1 || v > maxDim {
			err = n.Invalidf("pool options %v: strides and window must be positive", o[:5])
			return
		}
	}
	if padding != paddingSame && padding != paddingValid {
		err = n.Invalidf("padding %d", padding)
		return
	}
	lo, hi, ok := op.ActivationRangeFloat(op.Activation(o[5]))
	if !ok {
		err = n.Errorf("fused activation %d is not supported", o[5])
		return
	}
	return padding, sw, sh, fw, fh, kconv.FloatAct{Min: lo, Max: hi}, nil
}

// PrepareMaxPoolArgmax prepares MediaPipe's MaxPoolingWithArgmax2D: one
// input [N,H,W,C]; outputs the max pool [N,OH,OW,C] and the float index of
// each maximum in its window. Sizes and padding as TensorFlow's windowed
// output size (SAME: ⌈in/S⌉, VALID: (in−F+S)/S).
func PrepareMaxPoolArgmax(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 2); err != nil {
		return op.Kernel{}, err
	}
	padding, sw, sh, fw, fh, act, err := poolParams(n)
	if err != nil {
		return op.Kernel{}, err
	}
	in := n.Inputs[0]
	if err := checkFloat4D(n, in, "input"); err != nil {
		return op.Kernel{}, err
	}
	g := kconv.Geom{Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], InC: in.Shape[3], OutC: in.Shape[3],
		KH: fh, KW: fw, StrideH: sh, StrideW: sw, DilH: 1, DilW: 1}
	if padding == paddingSame {
		g.OutH, g.OutW = (g.InH+sh-1)/sh, (g.InW+sw-1)/sw
	} else {
		g.OutH, g.OutW = (g.InH-fh+sh)/sh, (g.InW-fw+sw)/sw
	}
	if g.OutH < 1 || g.OutW < 1 {
		return op.Kernel{}, n.Invalidf("window %dx%d is larger than the input %v", fh, fw, in.Shape)
	}
	g.PadH, _ = kconv.Pad(sh, 1, g.InH, fh, g.OutH)
	g.PadW, _ = kconv.Pad(sw, 1, g.InW, fw, g.OutW)
	// Every window must overlap the input (else it has no maximum).
	if (g.OutH-1)*sh-g.PadH >= g.InH || (g.OutW-1)*sw-g.PadW >= g.InW || g.PadH >= fh || g.PadW >= fw {
		return op.Kernel{}, n.Invalidf("a window of %dx%d misses the input %v", fh, fw, in.Shape)
	}
	shape := tensor.Shape{g.Batch, g.OutH, g.OutW, g.OutC}
	for i, what := range []string{"output", "indices"} {
		if err := setOutput(n, n.Outputs[i], shape.Clone(), what); err != nil {
			return op.Kernel{}, err
		}
	}
	return op.Kernel{Eval: func(x *op.Exec, ins, outs []*tensor.Tensor) error {
		in, o, idx := ins[0].Float32s(), outs[0].Float32s(), outs[1].Float32s()
		x.Parallel(g.Batch*g.OutH, func(lo, hi int) { kconv.MaxPoolArgmaxFloat(&g, act, in, o, idx, lo, hi) })
		return nil
	}}, nil
}

// PrepareMaxUnpool prepares MediaPipe's MaxUnpooling2D: inputs (values
// [N,H,W,C], indices of the same shape, as MaxPoolingWithArgmax2D makes
// them), one output [N, H·FH, W·FW, C], zero except where an index puts a
// value.
func PrepareMaxUnpool(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	_, sw, sh, fw, fh, _, err := poolParams(n)
	if err != nil {
		return op.Kernel{}, err
	}
	in, idx := n.Inputs[0], n.Inputs[1]
	if err := checkFloat4D(n, in, "input"); err != nil {
		return op.Kernel{}, err
	}
	if err := checkFloat4D(n, idx, "indices"); err != nil {
		return op.Kernel{}, err
	}
	if !idx.Shape.Equal(in.Shape) {
		return op.Kernel{}, n.Invalidf("indices %v do not match input %v", idx.Shape, in.Shape)
	}
	g := kconv.Geom{Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], InC: in.Shape[3], OutC: in.Shape[3],
		OutH: in.Shape[1] * fh, OutW: in.Shape[2] * fw, KH: fh, KW: fw, StrideH: sh, StrideW: sw, DilH: 1, DilW: 1}
	if g.OutH > maxDim || g.OutW > maxDim {
		return op.Kernel{}, n.Invalidf("output %dx%d is too large", g.OutH, g.OutW)
	}
	g.PadH, _ = kconv.Pad(sh, 1, g.OutH, fh, g.InH)
	g.PadW, _ = kconv.Pad(sw, 1, g.OutW, fw, g.InW)
	if err := setOutput(n, n.Outputs[0], tensor.Shape{g.Batch, g.OutH, g.OutW, g.OutC}, "output"); err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(_ *op.Exec, ins, outs []*tensor.Tensor) error {
		o := outs[0].Float32s()
		clear(o)
		kconv.MaxUnpoolFloat(&g, ins[0].Float32s(), ins[1].Float32s(), o)
		return nil
	}}, nil
}

// prepareDensify prepares DENSIFY of a constant (the loader has already
// densified it; it usually computes it at load instead): a copy.
func prepareDensify(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if !in.IsConst() {
		return op.Kernel{}, n.Invalidf("input is not a constant")
	}
	if out.DType != in.DType {
		return op.Kernel{}, n.Invalidf("output %s differs from input %s", out.DType, in.DType)
	}
	out.Shape = in.Shape.Clone()
	return op.Kernel{Eval: func(_ *op.Exec, ins, outs []*tensor.Tensor) error {
		copy(outs[0].Data, ins[0].Data)
		return nil
	}}, nil
}
