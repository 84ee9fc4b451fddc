package flex

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/ops/shape"
)

// Register adds the implemented Flex ops to r.
func Register(r *op.Resolver) {
	// STRIDED_SLICE from a resolver of its own: the builtin's Prepare
	// runs StridedSlice with constant begin, end and strides.
	builtins := op.NewResolver()
	shape.Register(builtins)
	slice, _ := builtins.Lookup("STRIDED_SLICE")
	r.Add("CUSTOM:FlexEqual", prepareEqual)
	r.Add("CUSTOM:FlexAddV2", prepareAddV2)
	r.Add("CUSTOM:FlexScatterNd", prepareScatterNd)
	r.Add("CUSTOM:FlexStridedSlice", func(n *op.Node) (op.Kernel, error) { return prepareStridedSlice(n, slice) })
}

// view returns t's data as a []T without copying.
func view[T any](t *tensor.Tensor) []T {
	var z T
	n := len(t.Data) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(t.Data))), n)
}

func binKernel[A, U any](plan ek.Plan, row func(a, b []A, out []U)) op.Kernel {
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		ek.Binary(&plan, view[A](in[0]), view[A](in[1]), view[U](out[0]), row)
		return nil
	}}
}

// broadcastInputs checks the two inputs of an element-wise op against attribute T
// and returns their broadcast shape, or ok false when they do not
// broadcast.
func broadcastInputs(n *op.Node, nd *nodeDef) (shape []int, ok bool, err error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return nil, false, err
	}
	a, b := n.Inputs[0], n.Inputs[1]
	if a.DType != b.DType {
		return nil, false, n.Invalidf("input dtypes %s and %s differ", a.DType, b.DType)
	}
	if err := nd.checkType(n, "T", a.DType); err != nil {
		return nil, false, err
	}
	s, berr := ek.BroadcastShape(a.Shape, b.Shape)
	if berr != nil {
		return nil, false, nil
	}
	if _, err := tensor.Shape(s).NumElements(); err != nil {
		return nil, false, n.Invalidf("output: %v", err)
	}
	return s, true, nil
}

// prepareEqual prepares TensorFlow's Equal: element-wise x == y with
// broadcasting, for float32, int8/16/32/64, uint8 and bool (raw values:
// Flex tensors carry no quantization). With incompatible_shape_error
// false, inputs that do not broadcast give a scalar false, as TensorFlow
// gives; with it true (the default) such a model is invalid.
func prepareEqual(n *op.Node) (op.Kernel, error) {
	nd, err := parseOptions(n, "Equal")
	if err != nil {
		return op.Kernel{}, err
	}
	strict, err := nd.boolAttr(n, "incompatible_shape_error", true)
	if err != nil {
		return op.Kernel{}, err
	}
	s, ok, err := broadcastInputs(n, nd)
	if err != nil {
		return op.Kernel{}, err
	}
	o := n.Outputs[0]
	if o.DType != tensor.Bool {
		return op.Kernel{}, n.Invalidf("output is %s, want bool", o.DType)
	}
	a, b := n.Inputs[0], n.Inputs[1]
	if !ok {
		if strict {
			return op.Kernel{}, n.Invalidf("inputs %v and %v do not broadcast", a.Shape, b.Shape)
		}
		o.Shape = tensor.Shape{}
		return op.Kernel{Eval: func(_ *op.Exec, _, out []*tensor.Tensor) error {
			out[0].Data[0] = 0
			return nil
		}}, nil
	}
	o.Shape = tensor.Shape(s)
	plan := ek.NewPlan(a.Shape, b.Shape, s)
	switch a.DType {
	case tensor.Float32:
		return binKernel(plan, ek.CompareRow[float32](ek.CmpEqual)), nil
	case tensor.Int32:
		return binKernel(plan, ek.CompareRow[int32](ek.CmpEqual)), nil
	case tensor.Int64:
		return binKernel(plan, ek.CompareRow[int64](ek.CmpEqual)), nil
	case tensor.Int16:
		return binKernel(plan, ek.CompareRow[int16](ek.CmpEqual)), nil
	case tensor.Int8:
		return binKernel(plan, ek.CompareRow[int8](ek.CmpEqual)), nil
	case tensor.Uint8, tensor.Bool:
		return binKernel(plan, ek.CompareRow[uint8](ek.CmpEqual)), nil
	}
	return op.Kernel{}, n.Errorf("dtype %s not supported", a.DType)
}

// prepareAddV2 prepares TensorFlow's AddV2: element-wise x + y with
// broadcasting, for float32 and int32/int64 (integers wrap, as
// TensorFlow's do).
func prepareAddV2(n *op.Node) (op.Kernel, error) {
	nd, err := parseOptions(n, "AddV2")
	if err != nil {
		return op.Kernel{}, err
	}
	s, ok, err := broadcastInputs(n, nd)
	if err != nil {
		return op.Kernel{}, err
	}
	a, b, o := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !ok {
		return op.Kernel{}, n.Invalidf("inputs %v and %v do not broadcast", a.Shape, b.Shape)
	}
	if o.DType != a.DType {
		return op.Kernel{}, n.Invalidf("output is %s, inputs %s", o.DType, a.DType)
	}
	o.Shape = tensor.Shape(s)
	plan := ek.NewPlan(a.Shape, b.Shape, s)
	switch a.DType {
	case tensor.Float32:
		inf := float32(math.Inf(1))
		return binKernel(plan, ek.PlainRow[float32](ek.OpAdd, -inf, inf)), nil
	case tensor.Int32:
		return binKernel(plan, ek.PlainRow[int32](ek.OpAdd, math.MinInt32, math.MaxInt32)), nil
	case tensor.Int64:
		return binKernel(plan, ek.PlainRow[int64](ek.OpAdd, math.MinInt64, math.MaxInt64)), nil
	}
	return op.Kernel{}, n.Errorf("dtype %s not supported (float32, int32, int64)", a.DType)
}

// Limits on shapes and index vectors.
const (
	maxRank     = 8
	maxElements = 1 << 28
)

// constIndex reads a constant int32 or int64 vector.
func constIndex(n *op.Node, t *op.TensorInfo, what string) ([]int64, error) {
	if t.DType != tensor.Int32 && t.DType != tensor.Int64 {
		return nil, n.Invalidf("%s is %s, want int32 or int64", what, t.DType)
	}
	if len(t.Shape) != 1 || t.Shape[0] > maxRank {
		return nil, n.Errorf("%s has shape %v, want a vector of at most %d", what, t.Shape, maxRank)
	}
	if !t.IsConst() {
		return nil, nil
	}
	size := t.DType.Size()
	if len(t.Const) != t.Shape[0]*size {
		return nil, n.Invalidf("%s holds %d bytes, want %d", what, len(t.Const), t.Shape[0]*size)
	}
	out := make([]int64, t.Shape[0])
	for i := range out {
		if size == 4 {
			out[i] = int64(int32(binary.LittleEndian.Uint32(t.Const[4*i:])))
		} else {
			out[i] = int64(binary.LittleEndian.Uint64(t.Const[8*i:]))
		}
	}
	return out, nil
}

// readIndex returns element i of an int32 or int64 tensor.
func readIndex(t *tensor.Tensor, i int) int64 {
	if t.DType == tensor.Int32 {
		return int64(t.Int32s()[i])
	}
	return t.Int64s()[i]
}

// prepareScatterNd prepares TensorFlow's ScatterNd(indices, updates,
// shape): a zero tensor of the constant shape with each update added at
// its index (duplicates sum), for float32, int32 and int64 updates and
// int32 or int64 indices. An index outside the shape fails the run, as
// it fails TensorFlow's.
func prepareScatterNd(n *op.Node) (op.Kernel, error) {
	nd, err := parseOptions(n, "ScatterNd")
	if err != nil {
		return op.Kernel{}, err
	}
	if err := n.CheckArity(3, 3, 1); err != nil {
		return op.Kernel{}, err
	}
	idx, upd, shp, o := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
	if idx.DType != tensor.Int32 && idx.DType != tensor.Int64 {
		return op.Kernel{}, n.Invalidf("indices are %s, want int32 or int64", idx.DType)
	}
	if shp.DType != idx.DType {
		return op.Kernel{}, n.Invalidf("shape is %s, indices %s", shp.DType, idx.DType)
	}
	if err := nd.checkType(n, "Tindices", idx.DType); err != nil {
		return op.Kernel{}, err
	}
	if err := nd.checkType(n, "T", upd.DType); err != nil {
		return op.Kernel{}, err
	}
	dims, err := constIndex(n, shp, "shape")
	if err != nil {
		return op.Kernel{}, err
	}
	if dims == nil {
		return op.Kernel{}, n.Errorf("non-constant shape (a dynamic output) is not supported")
	}
	outShape := make(tensor.Shape, len(dims))
	total := int64(1)
	for i, d := range dims {
		if d < 0 || d > maxElements {
			return op.Kernel{}, n.Invalidf("shape %v has a dimension outside [0, %d]", dims, maxElements)
		}
		outShape[i] = int(d)
		total *= d
		if total > maxElements {
			return op.Kernel{}, n.Errorf("shape %v exceeds %d elements", dims, maxElements)
		}
	}
	if len(idx.Shape) < 1 || len(idx.Shape) > maxRank {
		return op.Kernel{}, n.Invalidf("indices have shape %v, want rank 1..%d", idx.Shape, maxRank)
	}
	depth := idx.Shape[len(idx.Shape)-1]
	if depth > len(dims) {
		return op.Kernel{}, n.Invalidf("index depth %d exceeds the output rank %d", depth, len(dims))
	}
	want := append(append(tensor.Shape{}, idx.Shape[:len(idx.Shape)-1]...), outShape[depth:]...)
	if !upd.Shape.Equal(want) {
		return op.Kernel{}, n.Invalidf("updates have shape %v, want %v", upd.Shape, want)
	}
	if o.DType != upd.DType {
		return op.Kernel{}, n.Invalidf("output is %s, updates %s", o.DType, upd.DType)
	}
	o.Shape = outShape
	count := 1
	for _, d := range idx.Shape[:len(idx.Shape)-1] {
		count *= d
	}
	slice := 1
	for _, d := range outShape[depth:] {
		slice *= d
	}
	var add func(out, upd *tensor.Tensor, dst, src, n int)
	switch upd.DType {
	case tensor.Float32:
		add = scatterAdd[float32]
	case tensor.Int32:
		add = scatterAdd[int32]
	case tensor.Int64:
		add = scatterAdd[int64]
	default:
		return op.Kernel{}, n.Errorf("updates dtype %s not supported (float32, int32, int64)", upd.DType)
	}
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		clear(out[0].Data)
		for i := 0; i < count; i++ {
			off := 0
			for d := 0; d < depth; d++ {
				v := readIndex(in[0], i*depth+d)
				if v < 0 || v >= int64(outShape[d]) {
					return fmt.Errorf("%w: ScatterNd: index %d of update %d is %d, outside dimension %d of size %d",
						op.ErrInput, d, i, v, d, outShape[d])
				}
				off = off*outShape[d] + int(v)
			}
			add(out[0], in[1], off*slice, i*slice, slice)
		}
		return nil
	}}, nil
}

func scatterAdd[T float32 | int32 | int64](out, upd *tensor.Tensor, dst, src, n int) {
	o, u := view[T](out)[dst:dst+n], view[T](upd)[src:src+n]
	for j, v := range u {
		o[j] += v
	}
}
