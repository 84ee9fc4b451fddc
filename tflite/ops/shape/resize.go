package shape

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxResizeDim bounds the output height and width of a resize.
const maxResizeDim = 1 << 16

// prepareResize handles RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR over
// 4-D NHWC inputs with a constant int32 size input [2] = (height, width).
// Bilinear: float32 and uint8 use TFLite's float reference, int8 and int16
// its integer reference. Nearest neighbour copies any movable dtype.
func prepareResize(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	if len(in.Shape) != 4 {
		return op.Kernel{}, n.Errorf("input rank %d, want 4 (NHWC)", len(in.Shape))
	}
	o, err := options[op.ResizeOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	if o.AlignCorners && o.HalfPixelCenters {
		return op.Kernel{}, n.Invalidf("align_corners and half_pixel_centers are both set")
	}
	size := n.Inputs[1]
	if size.DType != tensor.Int32 {
		return op.Kernel{}, n.Errorf("size dtype %s not supported (int32)", size.DType)
	}
	hw, err := constInts(n, size, "size")
	if err != nil {
		return op.Kernel{}, err
	}
	if len(hw) != 2 {
		return op.Kernel{}, n.Invalidf("size has %d values, want 2", len(hw))
	}
	if hw[0] <= 0 || hw[1] <= 0 || hw[0] > maxResizeDim || hw[1] > maxResizeDim {
		return op.Kernel{}, n.Invalidf("output size %dx%d out of range (1..%d)", hw[0], hw[1], maxResizeDim)
	}
	if in.Shape[1] > maxResizeDim || in.Shape[2] > maxResizeDim {
		return op.Kernel{}, n.Errorf("input %v too large to resize", in.Shape)
	}
	p := kshape.ResizeParams{
		Batch: in.Shape[0], InH: in.Shape[1], InW: in.Shape[2], Depth: in.Shape[3],
		OutH: hw[0], OutW: hw[1], AlignCorners: o.AlignCorners, HalfPixelCenters: o.HalfPixelCenters,
	}
	if err := setShape(n, out, []int{p.Batch, p.OutH, p.OutW, p.Depth}); err != nil {
		return op.Kernel{}, err
	}
	empty := p.Batch == 0 || p.Depth == 0
	if (p.InH == 0 || p.InW == 0) && !empty {
		return op.Kernel{}, n.Invalidf("cannot resize an empty image %v", in.Shape)
	}
	if n.Op == "RESIZE_NEAREST_NEIGHBOR" {
		ys := make([]int, p.OutH)
		xs := make([]int, p.OutW)
		for y := range ys {
			ys[y] = kshape.NearestIndex(y, p.InH, p.OutH, p.AlignCorners, p.HalfPixelCenters)
		}
		for x := range xs {
			xs[x] = kshape.NearestIndex(x, p.InW, p.OutW, p.AlignCorners, p.HalfPixelCenters)
		}
		es := in.DType.Size()
		return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
			if !empty {
				kshape.ResizeNearest(&p, out[0].Data, in[0].Data, ys, xs, es)
			}
			return nil
		}}, nil
	}
	var eval func(in, out *tensor.Tensor, scratch []byte)
	var scratchBytes int
	switch in.DType {
	case tensor.Float32:
		var r *kshape.BilinearF32
		if !empty {
			r = kshape.NewBilinearF32(p)
		}
		eval = func(in, out *tensor.Tensor, _ []byte) { r.Run(out.Float32s(), in.Float32s()) }
	case tensor.Uint8:
		var r *kshape.BilinearU8
		if !empty {
			r = kshape.NewBilinearU8(p)
			scratchBytes = 4 * r.ScratchFloats()
		}
		eval = func(in, out *tensor.Tensor, scratch []byte) {
			r.Run(out.Uint8s(), in.Uint8s(), (&tensor.Tensor{Data: scratch[:scratchBytes]}).Float32s())
		}
	case tensor.Int8:
		eval = func(in, out *tensor.Tensor, _ []byte) { kshape.ResizeBilinearInteger(&p, out.Int8s(), in.Int8s()) }
	case tensor.Int16:
		eval = func(in, out *tensor.Tensor, _ []byte) { kshape.ResizeBilinearInteger(&p, out.Int16s(), in.Int16s()) }
	default:
		return op.Kernel{}, n.Errorf("bilinear resize of %s not supported", in.DType)
	}
	if in.DType != tensor.Float32 && !sameQuant(in, out) {
		return op.Kernel{}, n.Errorf("input and output quantization differ")
	}
	return op.Kernel{Scratch: scratchBytes, Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		if !empty {
			eval(in[0], out[0], x.Scratch)
		}
		return nil
	}}, nil
}
