package shape

import (
	"encoding/binary"
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Limits on what this package accepts.
const (
	// maxRank bounds the rank of every tensor these operators touch (TFLite
	// itself stops at 6 for TRANSPOSE and lower for most others).
	maxRank = 6
	// maxOutRank bounds STRIDED_SLICE outputs, which new_axis_mask may grow.
	maxOutRank = kshape.MaxRank
	// maxParamLen bounds constant index vectors (begin, axes, sizes ...).
	maxParamLen = 64
)

// moveTypes are the dtypes data-movement operators copy.
func isMoveType(dt tensor.DType) bool {
	switch dt {
	case tensor.Float32, tensor.Int8, tensor.Uint8, tensor.Int16, tensor.Int32, tensor.Int64, tensor.Bool, tensor.Complex64:
		return true
	}
	return false
}

// checkShape validates a tensor's shape against the package limits.
func checkShape(n *op.Node, t *op.TensorInfo, what string, rankMax int) error {
	if len(t.Shape) > rankMax {
		return n.Errorf("%s has rank %d, at most %d supported", what, len(t.Shape), rankMax)
	}
	if _, err := t.Shape.NumElements(); err != nil {
		return n.Invalidf("%s: %v", what, err)
	}
	return nil
}

// checkMove validates the data input and output of a data-movement op: a
// supported dtype, equal dtypes, bounded shape.
func checkMove(n *op.Node, in, out *op.TensorInfo) error {
	if !isMoveType(in.DType) {
		return n.Errorf("input dtype %s not supported", in.DType)
	}
	if out.DType != in.DType {
		return n.Invalidf("output dtype %s differs from input dtype %s", out.DType, in.DType)
	}
	return checkShape(n, in, "input", maxRank)
}

// setShape sets out's shape after checking the element bound.
func setShape(n *op.Node, out *op.TensorInfo, s []int) error {
	sh := tensor.Shape(s).Clone()
	if _, err := sh.NumElements(); err != nil {
		return n.Invalidf("output shape: %v", err)
	}
	out.Shape = sh
	return nil
}

// constInts reads a constant int32 or int64 tensor of at most maxParamLen
// elements. what names the input in errors.
func constInts(n *op.Node, t *op.TensorInfo, what string) ([]int, error) {
	if t == nil {
		return nil, n.Invalidf("%s input is missing", what)
	}
	if !t.IsConst() {
		return nil, n.Errorf("non-constant %s input is not supported", what)
	}
	cnt, err := t.Shape.NumElements()
	if err != nil {
		return nil, n.Invalidf("%s: %v", what, err)
	}
	if cnt > maxParamLen {
		return nil, n.Errorf("%s has %d elements, at most %d supported", what, cnt, maxParamLen)
	}
	var size int
	switch t.DType {
	case tensor.Int32:
		size = 4
	case tensor.Int64:
		size = 8
	default:
		return nil, n.Errorf("%s dtype %s not supported (int32 or int64)", what, t.DType)
	}
	if len(t.Const) != cnt*size {
		return nil, n.Invalidf("%s holds %d bytes, want %d", what, len(t.Const), cnt*size)
	}
	out := make([]int, cnt)
	for i := range out {
		if size == 4 {
			out[i] = int(int32(binary.LittleEndian.Uint32(t.Const[4*i:])))
		} else {
			v := int64(binary.LittleEndian.Uint64(t.Const[8*i:]))
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, n.Invalidf("%s value %d out of int32 range", what, v)
			}
			out[i] = int(v)
		}
	}
	return out, nil
}

// constScalarInt reads a constant int tensor holding exactly one value.
func constScalarInt(n *op.Node, t *op.TensorInfo, what string) (int, error) {
	v, err := constInts(n, t, what)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, n.Invalidf("%s has %d values, want 1", what, len(v))
	}
	return v[0], nil
}

// normAxis maps axis in [-rank, rank) to [0, rank).
func normAxis(n *op.Node, axis, rank int, what string) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, n.Invalidf("%s %d out of range for rank %d", what, axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// options returns n.Options as *T, or a pointer to T's zero value when the
// file gives none; a different type is a malformed model.
func options[T any](n *op.Node) (*T, error) {
	if n.Options == nil {
		return new(T), nil
	}
	o, ok := n.Options.(*T)
	if !ok {
		return nil, n.Invalidf("options have type %T", n.Options)
	}
	return o, nil
}

// product returns the product of s[lo:hi].
func product(s []int, lo, hi int) int {
	p := 1
	for _, d := range s[lo:hi] {
		p *= d
	}
	return p
}

// sameQuant reports whether a and b have identical per-tensor quantization
// (or neither is quantized).
func sameQuant(a, b *op.TensorInfo) bool {
	as, az, aok := a.Scale()
	bs, bz, bok := b.Scale()
	if aok != bok {
		return a.Quant == nil && b.Quant == nil
	}
	return !aok || (as == bs && az == bz)
}

// copyKernel returns a kernel that runs a copy plan from input 0 to output 0.
func copyKernel(p kshape.CopyPlan) op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		p.Run(out[0].Data, in[0].Data)
		return nil
	}}
}

// flatCopyKernel copies input 0's bytes to output 0 (RESHAPE and friends).
func flatCopyKernel() op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		copy(out[0].Data, in[0].Data)
		return nil
	}}
}
