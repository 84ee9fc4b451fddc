package elementwise

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// view returns t's data as a []T without copying (the interpreter aligns
// every buffer for its element type).
func view[T any](t *tensor.Tensor) []T {
	var z T
	n := len(t.Data) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(t.Data))), n)
}

// qparams returns a tensor's per-tensor scale and zero point, checking the
// scale is positive and finite and the zero point fits the dtype.
func qparams(n *op.Node, t *op.TensorInfo, what string) (float32, int32, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return 0, 0, n.Errorf("%s (%s) has no quantization parameters", what, t.DType)
	}
	if len(t.Quant.Scale) != 1 || len(t.Quant.ZeroPoint) > 1 {
		return 0, 0, n.Errorf("%s has per-channel quantization (%d scales), only per-tensor is supported", what, len(t.Quant.Scale))
	}
	s := t.Quant.Scale[0]
	if !(s > 0) || math.IsInf(float64(s), 0) {
		return 0, 0, n.Invalidf("%s has scale %g, want a positive finite value", what, s)
	}
	var zp int64
	if len(t.Quant.ZeroPoint) == 1 {
		zp = t.Quant.ZeroPoint[0]
	}
	lo, hi, ok := op.IntRange(t.DType)
	if !ok {
		return 0, 0, n.Errorf("%s has dtype %s, not a quantized integer type", what, t.DType)
	}
	if zp < int64(lo) || zp > int64(hi) {
		return 0, 0, n.Invalidf("%s zero point %d outside %s range", what, zp, t.DType)
	}
	return s, int32(zp), nil
}

// quantized reports whether t carries quantization parameters.
func quantized(t *op.TensorInfo) bool { return t.Quant != nil && len(t.Quant.Scale) > 0 }

// activation returns the fused activation of ADD/SUB/MUL/DIV options.
func arithOptions(n *op.Node) (op.ArithOptions, error) {
	switch o := n.Options.(type) {
	case nil:
		return op.ArithOptions{}, nil
	case *op.ArithOptions:
		return *o, nil
	}
	return op.ArithOptions{}, n.Invalidf("options are %T, want *op.ArithOptions", n.Options)
}

// quantizeReal is TFLite's Quantize helper: zp + round(f/scale) in float32.
func quantizeReal(n *op.Node, scale float32, zp int32, f float32) (int32, error) {
	t := float32(math.Round(float64(f / scale)))
	if !(t >= math.MinInt32 && t <= math.MaxInt32) {
		return 0, n.Errorf("activation bound %g overflows at scale %g", f, scale)
	}
	return zp + int32(t), nil
}

// actRangeQuant is TFLite's CalculateActivationRangeQuantized.
func actRangeQuant(n *op.Node, act op.Activation, scale float32, zp, qlo, qhi int32) (int32, int32, error) {
	var flo, fhi float32
	switch act {
	case op.ActNone:
		return qlo, qhi, nil
	case op.ActRelu:
		flo, fhi = 0, float32(math.Inf(1))
	case op.ActRelu6:
		flo, fhi = 0, 6
	case op.ActReluN1To1:
		flo, fhi = -1, 1
	default:
		return 0, 0, n.Errorf("fused activation %d is not supported", act)
	}
	lo, err := quantizeReal(n, scale, zp, flo)
	if err != nil {
		return 0, 0, err
	}
	hi := qhi
	if !math.IsInf(float64(fhi), 1) {
		h, err := quantizeReal(n, scale, zp, fhi)
		if err != nil {
			return 0, 0, err
		}
		hi = min(qhi, h)
	}
	return max(qlo, lo), hi, nil
}

// actRangeFloat is TFLite's CalculateActivationRange for float: none
// clamps to the finite float range.
func actRangeFloat(n *op.Node, act op.Activation) (float32, float32, error) {
	switch act {
	case op.ActNone:
		return -math.MaxFloat32, math.MaxFloat32, nil
	case op.ActRelu:
		return 0, math.MaxFloat32, nil
	case op.ActRelu6:
		return 0, 6, nil
	case op.ActReluN1To1:
		return -1, 1, nil
	}
	return 0, 0, n.Errorf("fused activation %d is not supported", act)
}

// actRangeInt32 is TFLite's CalculateActivationRange for int32.
func actRangeInt32(n *op.Node, act op.Activation) (int32, int32, error) {
	switch act {
	case op.ActNone:
		return math.MinInt32, math.MaxInt32, nil
	case op.ActRelu:
		return 0, math.MaxInt32, nil
	case op.ActRelu6:
		return 0, 6, nil
	case op.ActReluN1To1:
		return -1, 1, nil
	}
	return 0, 0, n.Errorf("fused activation %d is not supported", act)
}

// checkElements validates a shape and returns its element count.
func checkElements(n *op.Node, t *op.TensorInfo, what string) (int, error) {
	e, err := t.Shape.NumElements()
	if err != nil {
		return 0, n.Invalidf("%s: %v", what, err)
	}
	return e, nil
}
