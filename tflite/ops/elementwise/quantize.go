package elementwise

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

func prepareQuantize(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, false)
	if err != nil {
		return op.Kernel{}, err
	}
	so, zo, err := qparams(n, out, "output")
	if err != nil {
		return op.Kernel{}, err
	}
	if in.DType == tensor.Float32 {
		switch out.DType {
		case tensor.Int8:
			return unaryKernel(func(a []float32, b []int8) { ek.QuantizeFloat(a, b, so, zo) }), nil
		case tensor.Uint8:
			return unaryKernel(func(a []float32, b []uint8) { ek.QuantizeFloat(a, b, so, zo) }), nil
		case tensor.Int16:
			return unaryKernel(func(a []float32, b []int16) { ek.QuantizeFloat(a, b, so, zo) }), nil
		}
		return op.Kernel{}, n.Errorf("float32 to %s is not supported", out.DType)
	}
	si, zi, err := qparams(n, in, "input")
	if err != nil {
		return op.Kernel{}, err
	}
	p, err := ek.NewRequant(si, so, zi, zo)
	if err != nil {
		return op.Kernel{}, n.Errorf("%v", err)
	}
	// The integer pairs TFLite's QUANTIZE accepts.
	type pair struct{ in, out tensor.DType }
	switch (pair{in.DType, out.DType}) {
	case pair{tensor.Int8, tensor.Int8}:
		return requant[int8, int8](p), nil
	case pair{tensor.Int8, tensor.Uint8}:
		return requant[int8, uint8](p), nil
	case pair{tensor.Int8, tensor.Int16}:
		return requant[int8, int16](p), nil
	case pair{tensor.Int8, tensor.Int32}:
		return requant[int8, int32](p), nil
	case pair{tensor.Uint8, tensor.Int8}:
		return requant[uint8, int8](p), nil
	case pair{tensor.Uint8, tensor.Uint8}:
		return requant[uint8, uint8](p), nil
	case pair{tensor.Int16, tensor.Int8}:
		return requant[int16, int8](p), nil
	case pair{tensor.Int16, tensor.Int16}:
		return requant[int16, int16](p), nil
	case pair{tensor.Int16, tensor.Int32}:
		return requant[int16, int32](p), nil
	case pair{tensor.Int32, tensor.Int8}:
		return requant[int32, int8](p), nil
	case pair{tensor.Int32, tensor.Int16}:
		return requant[int32, int16](p), nil
	}
	return op.Kernel{}, n.Errorf("%s to %s is not supported", in.DType, out.DType)
}

func requant[T, U ek.Int](p ek.Requant) op.Kernel {
	f := func(a []T, b []U) { ek.Requantize(p, a, b) }
	// 8-bit to 8-bit: tabulated (ek.LUT8), the same bytes.
	switch g := any(f).(type) {
	case func(a []int8, b []int8):
		return unaryKernel(ek.NewLUT8(g).Apply)
	case func(a []int8, b []uint8):
		return unaryKernel(ek.NewLUT8(g).Apply)
	case func(a []uint8, b []int8):
		return unaryKernel(ek.NewLUT8(g).Apply)
	case func(a []uint8, b []uint8):
		return unaryKernel(ek.NewLUT8(g).Apply)
	}
	return unaryKernel(f)
}

func prepareDequantize(n *op.Node) (op.Kernel, error) {
	in, out, err := prepareUnary(n, false)
	if err != nil {
		return op.Kernel{}, err
	}
	if out.DType != tensor.Float32 {
		return op.Kernel{}, n.Errorf("output dtype %s, want float32", out.DType)
	}
	if in.DType == tensor.Float16 {
		return unaryKernel(ek.DequantizeHalf), nil
	}
	if q := in.Quant; q.PerChannel() {
		return prepareDequantizePerChannel(n, in)
	}
	s, z, err := qparams(n, in, "input")
	if err != nil {
		return op.Kernel{}, err
	}
	scale := float64(s)
	switch in.DType {
	case tensor.Int8:
		return unaryKernel(func(a []int8, b []float32) { ek.Dequantize(a, b, scale, z) }), nil
	case tensor.Uint8:
		return unaryKernel(func(a []uint8, b []float32) { ek.Dequantize(a, b, scale, z) }), nil
	case tensor.Int16:
		return unaryKernel(func(a []int16, b []float32) { ek.Dequantize(a, b, scale, z) }), nil
	}
	return op.Kernel{}, n.Errorf("%s to float32 is not supported", in.DType)
}

func prepareDequantizePerChannel(n *op.Node, in *op.TensorInfo) (op.Kernel, error) {
	q := in.Quant
	if in.DType != tensor.Int8 && in.DType != tensor.Int16 && in.DType != tensor.Uint8 {
		return op.Kernel{}, n.Errorf("per-channel %s is not supported", in.DType)
	}
	if q.Axis < 0 || q.Axis >= len(in.Shape) || in.Shape[q.Axis] != len(q.Scale) || len(q.ZeroPoint) != len(q.Scale) {
		return op.Kernel{}, n.Invalidf("per-channel quantization: %d scales, %d zero points, axis %d of shape %v", len(q.Scale), len(q.ZeroPoint), q.Axis, in.Shape)
	}
	lo, hi, _ := op.IntRange(in.DType)
	for i, s := range q.Scale {
		if !(s > 0) || q.ZeroPoint[i] < int64(lo) || q.ZeroPoint[i] > int64(hi) {
			return op.Kernel{}, n.Invalidf("channel %d has scale %g, zero point %d", i, s, q.ZeroPoint[i])
		}
	}
	shape := in.Shape.Clone()
	scales := append([]float32(nil), q.Scale...)
	zeros := append([]int64(nil), q.ZeroPoint...)
	axis := q.Axis
	switch in.DType {
	case tensor.Int8:
		return unaryKernel(func(a []int8, b []float32) { ek.DequantizePerChannel(a, b, shape, axis, scales, zeros) }), nil
	case tensor.Uint8:
		return unaryKernel(func(a []uint8, b []float32) { ek.DequantizePerChannel(a, b, shape, axis, scales, zeros) }), nil
	}
	return unaryKernel(func(a []int16, b []float32) { ek.DequantizePerChannel(a, b, shape, axis, scales, zeros) }), nil
}
