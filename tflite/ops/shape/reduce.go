package shape

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// reduceAxes reads the constant axis input and returns the per-dimension
// reduce flags (negative axes allowed, duplicates ignored) and the output
// shape.
func reduceAxes(n *op.Node, in *op.TensorInfo, keep bool) ([]bool, []int, error) {
	axes, err := constInts(n, n.Inputs[1], "axis")
	if err != nil {
		return nil, nil, err
	}
	rank := len(in.Shape)
	red := make([]bool, rank)
	for _, a := range axes {
		ax, err := normAxis(n, a, rank, "axis")
		if err != nil {
			return nil, nil, err
		}
		red[ax] = true
	}
	oshape := []int{}
	for i, d := range in.Shape {
		switch {
		case !red[i]:
			oshape = append(oshape, d)
		case keep:
			oshape = append(oshape, 1)
		}
	}
	return red, oshape, nil
}

// prepareReduce handles MEAN, SUM, REDUCE_MAX and REDUCE_MIN.
//
// float32 and int32/int64 reduce in their own type (int sums wrap; an
// integer mean truncates). int8, uint8 and int16 MEAN and SUM follow
// TensorFlow Lite's QuantizedMeanOrSum: 32-bit sums, zero point times count
// subtracted, rescaled by input_scale/output_scale (folded with 1/count
// for a mean). Quantized MAX and MIN need equal input and output
// quantization, as in TensorFlow Lite.
func prepareReduce(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkShape(n, in, "input", maxRank); err != nil {
		return op.Kernel{}, err
	}
	if out.DType != in.DType {
		return op.Kernel{}, n.Invalidf("output dtype %s differs from input dtype %s", out.DType, in.DType)
	}
	o, err := options[op.ReducerOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	red, oshape, err := reduceAxes(n, in, o.KeepDims)
	if err != nil {
		return op.Kernel{}, err
	}
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	plan, _ := kshape.NewReducePlan(in.Shape, red)
	kind := kshape.ReduceSum
	switch n.Op {
	case "REDUCE_MAX":
		kind = kshape.ReduceMax
	case "REDUCE_MIN":
		kind = kshape.ReduceMin
	}
	mean := n.Op == "MEAN"
	switch in.DType {
	case tensor.Float32:
		return reduceKernel[float32](&plan, kind, mean), nil
	case tensor.Int32:
		return reduceKernel[int32](&plan, kind, mean), nil
	case tensor.Int64:
		return reduceKernel[int64](&plan, kind, mean), nil
	case tensor.Int8:
		return reduceQuant[int8](n, &plan, kind, mean)
	case tensor.Uint8:
		return reduceQuant[uint8](n, &plan, kind, mean)
	case tensor.Int16:
		return reduceQuant[int16](n, &plan, kind, mean)
	}
	return op.Kernel{}, n.Errorf("input dtype %s not supported", in.DType)
}

func initValue[T kshape.Number](kind kshape.ReduceKind) T {
	var v T
	switch any(v).(type) {
	case float32:
		switch kind {
		case kshape.ReduceMax:
			return T(math.Inf(-1))
		case kshape.ReduceMin:
			return T(math.Inf(1))
		}
		return 0
	}
	// Integer types: all bits set is -1 for signed and max for unsigned.
	switch kind {
	case kshape.ReduceMax:
		return minOf[T]()
	case kshape.ReduceMin:
		return maxOf[T]()
	}
	return 0
}

func minOf[T kshape.Number]() T {
	var v T
	switch any(v).(type) {
	case int8:
		v := int64(math.MinInt8)
		return T(v)
	case int16:
		v := int64(math.MinInt16)
		return T(v)
	case int32:
		v := int64(math.MinInt32)
		return T(v)
	case int64:
		v := int64(math.MinInt64)
		return T(v)
	}
	return 0
}

func maxOf[T kshape.Number]() T {
	var v T
	switch any(v).(type) {
	case int8:
		v := int64(math.MaxInt8)
		return T(v)
	case uint8:
		v := int64(math.MaxUint8)
		return T(v)
	case int16:
		v := int64(math.MaxInt16)
		return T(v)
	case int32:
		v := int64(math.MaxInt32)
		return T(v)
	case int64:
		v := int64(math.MaxInt64)
		return T(v)
	}
	return 0
}

// typed views a tensor's data as []T without copying or allocating.
func typed[T any](t *tensor.Tensor) []T { return viewOf[T](t.Data) }

// viewOf views raw bytes as []T without copying or allocating; tensor data
// and scratch memory are aligned for every element type.
func viewOf[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// reduceKernel reduces float32, int32 or int64 data in place in the output.
func reduceKernel[T float32 | int32 | int64](p *kshape.ReducePlan, kind kshape.ReduceKind, mean bool) op.Kernel {
	init := initValue[T](kind)
	cnt := p.PerOutput()
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		acc := typed[T](out[0])[:p.Outputs()]
		for i := range acc {
			acc[i] = init
		}
		kshape.Reduce(p, kind, typed[T](in[0]), acc)
		if mean && cnt > 0 {
			for i := range acc {
				acc[i] /= T(cnt)
			}
		}
		return nil
	}}
}

// reduceQuant prepares a quantized reduction.
func reduceQuant[T int8 | uint8 | int16](n *op.Node, p *kshape.ReducePlan, kind kshape.ReduceKind, mean bool) (op.Kernel, error) {
	in, out := n.Inputs[0], n.Outputs[0]
	is, izp, ok1 := in.Scale()
	os, ozp, ok2 := out.Scale()
	if !ok1 || !ok2 || !(is > 0) || !(os > 0) || math.IsInf(is, 0) || math.IsInf(os, 0) {
		return op.Kernel{}, n.Errorf("%s reduction needs per-tensor quantization with positive scales", in.DType)
	}
	if kind != kshape.ReduceSum {
		if float32(is) != float32(os) || izp != ozp {
			return op.Kernel{}, n.Errorf("input and output quantization differ")
		}
		init := initValue[T](kind)
		return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
			acc := typed[T](out[0])[:p.Outputs()]
			for i := range acc {
				acc[i] = init
			}
			kshape.Reduce(p, kind, typed[T](in[0]), acc)
			return nil
		}}, nil
	}
	if in.DType == tensor.Int16 && (izp != 0 || ozp != 0) {
		return op.Kernel{}, n.Errorf("int16 reduction needs zero points of 0")
	}
	mult, shift := kernels.QuantizeMultiplier(float64(float32(is)) / float64(float32(os)))
	cnt := int64(p.PerOutput())
	mult, shift = kshape.QuantizedMeanParams(mult, shift, cnt, mean)
	q := kshape.QuantMeanParams{
		Multiplier: mult, Shift: shift, InputZP: izp, OutputZP: ozp, Count: cnt,
		Lo: int32(minOf[T]()), Hi: int32(maxOf[T]()),
	}
	nOut := p.Outputs()
	empty := cnt == 0 || p.Outputs() == 0
	return op.Kernel{Scratch: 4 * nOut, Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		res := typed[T](out[0])[:nOut]
		if empty {
			clear(res)
			return nil
		}
		sums := viewOf[int32](x.Scratch[:4*nOut])
		clear(sums)
		kshape.Reduce(p, kshape.ReduceSum, typed[T](in[0]), sums)
		kshape.FinishQuantMean(&q, sums, res)
		return nil
	}}, nil
}

// prepareArgMinMax handles ARG_MAX and ARG_MIN.
func prepareArgMinMax(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkShape(n, in, "input", maxRank); err != nil {
		return op.Kernel{}, err
	}
	o, err := options[op.ArgOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	switch {
	case out.DType == tensor.Int32 && (o.OutputType == schemaInt32 || o.OutputType == 0):
	case out.DType == tensor.Int64 && (o.OutputType == schemaInt64 || o.OutputType == 0):
	default:
		return op.Kernel{}, n.Errorf("output dtype %s with output_type %d not supported", out.DType, o.OutputType)
	}
	a, err := constScalarInt(n, n.Inputs[1], "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	rank := len(in.Shape)
	axis, err := normAxis(n, a, rank, "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	if in.Shape[axis] == 0 {
		return op.Kernel{}, n.Invalidf("cannot take the arg of an empty axis")
	}
	oshape := append(in.Shape[:axis:axis], in.Shape[axis+1:]...)
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	outer, size, inner := product(in.Shape, 0, axis), in.Shape[axis], product(in.Shape, axis+1, rank)
	isMax := n.Op == "ARG_MAX"
	wide := out.DType == tensor.Int64
	var eval func(in, out *tensor.Tensor)
	switch in.DType {
	case tensor.Float32:
		eval = argEval[float32](outer, size, inner, isMax, wide)
	case tensor.Int8:
		eval = argEval[int8](outer, size, inner, isMax, wide)
	case tensor.Uint8:
		eval = argEval[uint8](outer, size, inner, isMax, wide)
	case tensor.Int16:
		eval = argEval[int16](outer, size, inner, isMax, wide)
	case tensor.Int32:
		eval = argEval[int32](outer, size, inner, isMax, wide)
	case tensor.Int64:
		eval = argEval[int64](outer, size, inner, isMax, wide)
	default:
		return op.Kernel{}, n.Errorf("input dtype %s not supported", in.DType)
	}
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		eval(in[0], out[0])
		return nil
	}}, nil
}

func argEval[T kshape.Number](outer, size, inner int, isMax, wide bool) func(in, out *tensor.Tensor) {
	return func(in, out *tensor.Tensor) {
		if wide {
			kshape.ArgMinMax(typed[T](in), out.Int64s(), outer, size, inner, isMax)
		} else {
			kshape.ArgMinMax(typed[T](in), out.Int32s(), outer, size, inner, isMax)
		}
	}
}
