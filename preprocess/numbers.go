package preprocess

import (
	"errors"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
)

// ErrQuant reports a tensor that cannot be quantized or dequantized as
// asked.
var ErrQuant = errors.New("preprocess: cannot convert numbers")

// IsQuantized reports whether values of dt with q are quantized integers
// that Quantize and Dequantize convert: int8, uint8 or int16 with at
// least one positive scale.
func IsQuantized(dt tensor.DType, q *tensor.Quant) bool {
	switch dt {
	case tensor.Int8, tensor.Uint8, tensor.Int16:
	default:
		return false
	}
	return q != nil && len(q.Scale) > 0 && len(q.Scale) == len(q.ZeroPoint)
}

// Quantize converts a float32 tensor of real values to dt with one scale
// and zero point, as TensorFlow Lite's QUANTIZE does: round(v / scale)
// computed in float32, half away from zero, plus the zero point, clamped
// to dt's range (NaN becomes the zero point). The result keeps src's name
// and shape and carries q.
func Quantize(src *tensor.Tensor, dt tensor.DType, q *tensor.Quant) (*tensor.Tensor, error) {
	if src.DType != tensor.Float32 {
		return nil, fmt.Errorf("%w: %q is %s; only float32 values are quantized", ErrQuant, src.Name, src.DType)
	}
	if err := src.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQuant, err)
	}
	if !IsQuantized(dt, q) {
		return nil, fmt.Errorf("%w: %q: %s without quantization parameters", ErrQuant, src.Name, dt)
	}
	if len(q.Scale) != 1 {
		return nil, fmt.Errorf("%w: %q: per-channel quantized inputs (%d scales) are not supported", ErrQuant, src.Name, len(q.Scale))
	}
	if !(q.Scale[0] > 0) {
		return nil, fmt.Errorf("%w: %q: scale %v is not positive", ErrQuant, src.Name, q.Scale[0])
	}
	t, err := tensor.New(dt, src.Shape)
	if err != nil {
		return nil, err
	}
	t.Name, t.Quant = src.Name, q
	return t, quantizeInto(t, src.Float32s(), q.Scale[0], int32(q.ZeroPoint[0]))
}

// Dequantize returns the real values of a quantized tensor as float32, as
// TensorFlow Lite's DEQUANTIZE does: scale × (q − zero point), the product
// in float64 rounded once to float32. Per-channel parameters apply along
// q.Axis.
func Dequantize(t *tensor.Tensor, q *tensor.Quant) (*tensor.Tensor, error) {
	if !IsQuantized(t.DType, q) {
		return nil, fmt.Errorf("%w: %q is %s without quantization parameters", ErrQuant, t.Name, t.DType)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQuant, err)
	}
	out, err := tensor.New(tensor.Float32, t.Shape)
	if err != nil {
		return nil, err
	}
	out.Name = t.Name
	f := out.Float32s()
	if len(q.Scale) == 1 {
		s, z := float64(q.Scale[0]), int32(q.ZeroPoint[0])
		switch t.DType {
		case tensor.Int8:
			ek.Dequantize(t.Int8s(), f, s, z)
		case tensor.Uint8:
			ek.Dequantize(t.Uint8s(), f, s, z)
		case tensor.Int16:
			ek.Dequantize(t.Int16s(), f, s, z)
		}
		return out, nil
	}
	if q.Axis < 0 || q.Axis >= len(t.Shape) || t.Shape[q.Axis] != len(q.Scale) {
		return nil, fmt.Errorf("%w: %q: %d scales along axis %d of shape %s", ErrQuant, t.Name, len(q.Scale), q.Axis, t.Shape)
	}
	shape := []int(t.Shape)
	switch t.DType {
	case tensor.Int8:
		ek.DequantizePerChannel(t.Int8s(), f, shape, q.Axis, q.Scale, q.ZeroPoint)
	case tensor.Uint8:
		ek.DequantizePerChannel(t.Uint8s(), f, shape, q.Axis, q.Scale, q.ZeroPoint)
	case tensor.Int16:
		ek.DequantizePerChannel(t.Int16s(), f, shape, q.Axis, q.Scale, q.ZeroPoint)
	}
	return out, nil
}
