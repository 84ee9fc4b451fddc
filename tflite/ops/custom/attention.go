package custom

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	kmp "github.com/edgeinfer/edgeinfer/tflite/kernels/mediapipe"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxSubset bounds Landmarks2TransformMatrix's subset_idxs.
const maxSubset = 1 << 16

// checkVersion2 refuses every version but 2: version 1 of these operators
// has other options and other arithmetic, and no model at hand uses it.
func checkVersion2(n *op.Node) error {
	if n.Version != 2 {
		return n.Errorf("version %d is not supported (only version 2)", n.Version)
	}
	return nil
}

// checkFloat checks that t is float32 of the given rank with positive,
// bounded dimensions.
func checkFloat(n *op.Node, t *op.TensorInfo, rank int, what string) error {
	if t.DType != tensor.Float32 {
		return n.Errorf("%s is %s; only float32 is supported", what, t.DType)
	}
	if len(t.Shape) != rank {
		return n.Invalidf("%s has shape %v, want rank %d", what, t.Shape, rank)
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

// checkMatrix checks a [1, 4, 4] float32 transform matrix input.
func checkMatrix(n *op.Node, t *op.TensorInfo) error {
	if err := checkFloat(n, t, 3, "matrix"); err != nil {
		return err
	}
	if t.Shape[0] != 1 || t.Shape[1] != 4 || t.Shape[2] != 4 {
		return n.Invalidf("matrix has shape %v, want [1, 4, 4]", t.Shape)
	}
	return nil
}

// finitePositive reports whether the option key is a finite number > 0.
func finitePositive(opts op.FlexMap, key string) (float32, bool) {
	v, ok := opts.Float(key, 0)
	return v, ok && v > 0 && !math.IsInf(float64(v), 0)
}

// PrepareLandmarksToTransformMatrix prepares MediaPipe's
// Landmarks2TransformMatrix (version 2): one input of xyz landmarks
// [1, N, 3], one output, the [1, 4, 4] matrix from crop pixels to landmark
// coordinates. Options (FlexBuffer map): subset_idxs (landmark indices),
// left_rotation_idx, right_rotation_idx, target_rotation_radians,
// output_height, output_width, scale_x, scale_y; absent keys read as 0,
// as MediaPipe's parser does, and every index must name a landmark.
func PrepareLandmarksToTransformMatrix(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := checkVersion2(n); err != nil {
		return op.Kernel{}, err
	}
	opts, err := op.ParseFlexMap(n.CustomOptions)
	if err != nil {
		return op.Kernel{}, n.Invalidf("custom options: %v", err)
	}
	in := n.Inputs[0]
	if err := checkFloat(n, in, 3, "landmarks"); err != nil {
		return op.Kernel{}, err
	}
	if in.Shape[0] != 1 || in.Shape[2] != 3 {
		return op.Kernel{}, n.Invalidf("landmarks have shape %v, want [1, N, 3]", in.Shape)
	}
	count := in.Shape[1]
	p := &kmp.TransformMatrixParams{}
	var ok bool
	if p.Subset, ok = opts.Ints("subset_idxs"); !ok || len(p.Subset) == 0 || len(p.Subset) > maxSubset {
		return op.Kernel{}, n.Invalidf("subset_idxs is not a non-empty vector of at most %d integers", maxSubset)
	}
	for _, k := range p.Subset {
		if k < 0 || k >= count {
			return op.Kernel{}, n.Invalidf("subset_idxs holds %d; the input has %d landmarks", k, count)
		}
	}
	for _, f := range []struct {
		key string
		v   *int
	}{{"left_rotation_idx", &p.Left}, {"right_rotation_idx", &p.Right}} {
		if *f.v, ok = opts.Int(f.key, 0); !ok || *f.v < 0 || *f.v >= count {
			return op.Kernel{}, n.Invalidf("%s is not a landmark index below %d", f.key, count)
		}
	}
	if p.OutHeight, ok = opts.Int("output_height", 0); !ok || p.OutHeight < 1 || p.OutHeight > maxDim {
		return op.Kernel{}, n.Invalidf("output_height is not in [1, %d]", maxDim)
	}
	if p.OutWidth, ok = opts.Int("output_width", 0); !ok || p.OutWidth < 1 || p.OutWidth > maxDim {
		return op.Kernel{}, n.Invalidf("output_width is not in [1, %d]", maxDim)
	}
	if p.ScaleX, ok = finitePositive(opts, "scale_x"); !ok {
		return op.Kernel{}, n.Invalidf("scale_x is not a positive number")
	}
	if p.ScaleY, ok = finitePositive(opts, "scale_y"); !ok {
		return op.Kernel{}, n.Invalidf("scale_y is not a positive number")
	}
	if p.TargetRotation, ok = opts.Float("target_rotation_radians", 0); !ok || math.IsNaN(float64(p.TargetRotation)) || math.IsInf(float64(p.TargetRotation), 0) {
		return op.Kernel{}, n.Invalidf("target_rotation_radians is not a finite number")
	}
	out := n.Outputs[0]
	out.Shape = tensor.Shape{1, 4, 4}
	if err := checkMatrix(n, out); err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(_ *op.Exec, ins, outs []*tensor.Tensor) error {
		kmp.LandmarksToTransformMatrix(p, ins[0].Float32s(), outs[0].Float32s())
		return nil
	}}, nil
}

// PrepareTransformTensorBilinear prepares MediaPipe's
// TransformTensorBilinear (version 2): inputs (data [1, H, W, C], matrix
// [1, 4, 4]), one output [1, output_height, output_width, C] (options of a
// FlexBuffer map), each pixel bilinearly sampled where the matrix maps its
// centre.
func PrepareTransformTensorBilinear(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := checkVersion2(n); err != nil {
		return op.Kernel{}, err
	}
	opts, err := op.ParseFlexMap(n.CustomOptions)
	if err != nil {
		return op.Kernel{}, n.Invalidf("custom options: %v", err)
	}
	in, m, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if err := checkFloat(n, in, 4, "input"); err != nil {
		return op.Kernel{}, err
	}
	if in.Shape[0] != 1 {
		return op.Kernel{}, n.Invalidf("input has shape %v; only batch 1 is supported", in.Shape)
	}
	if err := checkMatrix(n, m); err != nil {
		return op.Kernel{}, err
	}
	oh, ok := opts.Int("output_height", 0)
	if !ok || oh < 1 || oh > maxDim {
		return op.Kernel{}, n.Invalidf("output_height is not in [1, %d]", maxDim)
	}
	ow, ok := opts.Int("output_width", 0)
	if !ok || ow < 1 || ow > maxDim {
		return op.Kernel{}, n.Invalidf("output_width is not in [1, %d]", maxDim)
	}
	h, w, c := in.Shape[1], in.Shape[2], in.Shape[3]
	if len(out.Shape) == 4 && !out.Shape.Equal(tensor.Shape{1, oh, ow, c}) {
		return op.Kernel{}, n.Invalidf("output is declared %v; the options and input make it [1, %d, %d, %d]", out.Shape, oh, ow, c)
	}
	out.Shape = tensor.Shape{1, oh, ow, c}
	if err := checkFloat(n, out, 4, "output"); err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(_ *op.Exec, ins, outs []*tensor.Tensor) error {
		kmp.TransformTensorBilinear(ins[0].Float32s(), h, w, c, ins[1].Float32s(), outs[0].Float32s(), oh, ow)
		return nil
	}}, nil
}

// PrepareTransformLandmarks prepares MediaPipe's TransformLandmarks
// (version 2, no options): inputs (landmarks [1, N, D] with D = 2 or 3,
// matrix [1, 4, 4]), one output of the landmarks' shape with x and y
// mapped through the matrix and z copied.
func PrepareTransformLandmarks(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	if err := checkVersion2(n); err != nil {
		return op.Kernel{}, err
	}
	in, m, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if err := checkFloat(n, in, 3, "landmarks"); err != nil {
		return op.Kernel{}, err
	}
	if in.Shape[0] != 1 || (in.Shape[2] != 2 && in.Shape[2] != 3) {
		return op.Kernel{}, n.Invalidf("landmarks have shape %v, want [1, N, 2 or 3]", in.Shape)
	}
	if err := checkMatrix(n, m); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Float32 {
		return op.Kernel{}, n.Errorf("output is %s; only float32 is supported", out.DType)
	}
	out.Shape = in.Shape.Clone()
	count, d := in.Shape[1], in.Shape[2]
	return op.Kernel{Eval: func(_ *op.Exec, ins, outs []*tensor.Tensor) error {
		kmp.TransformLandmarks(ins[0].Float32s(), count, d, ins[1].Float32s(), outs[0].Float32s())
		return nil
	}}, nil
}
