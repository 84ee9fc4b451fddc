package conv

import (
	"unsafe"

	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/kernels"
	kconv "github.com/edgeinfer/edgeinfer/tflite/kernels/conv"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// maxDim bounds every spatial size, stride, dilation and filter size, so
// that index arithmetic cannot overflow.
const maxDim = 1 << 24

// qparams is a per-tensor scale and zero point.
type qparams struct {
	scale float32
	zp    int32
}

// perTensor returns t's per-tensor quantization, checking that the scale is
// positive and finite and the zero point fits dt (and is 0 for int16).
func perTensor(n *op.Node, t *op.TensorInfo, what string) (qparams, error) {
	if t.Quant == nil || len(t.Quant.Scale) != 1 || len(t.Quant.ZeroPoint) > 1 {
		return qparams{}, n.Errorf("%s must be quantized per tensor", what)
	}
	s := t.Quant.Scale[0]
	if !(s > 0) || math.IsInf(float64(s), 0) {
		return qparams{}, n.Invalidf("%s scale %v is not positive", what, s)
	}
	var zp int64
	if len(t.Quant.ZeroPoint) == 1 {
		zp = t.Quant.ZeroPoint[0]
	}
	lo, hi := int64(0), int64(0)
	switch t.DType {
	case tensor.Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case tensor.Uint8:
		lo, hi = 0, math.MaxUint8
	case tensor.Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case tensor.Int32, tensor.Int64:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	if zp < lo || zp > hi {
		return qparams{}, n.Invalidf("%s zero point %d is out of range for %s", what, zp, t.DType)
	}
	return qparams{scale: s, zp: int32(zp)}, nil
}

// filterScales returns the filter's scales, one per output channel (the
// single per-tensor scale repeated), after checking a per-channel
// quantization runs along axis with one scale per channel and that every
// zero point is zero (int8 weights are symmetric).
func filterScales(n *op.Node, f *op.TensorInfo, axis, channels int) ([]float32, error) {
	q := f.Quant
	if q == nil || len(q.Scale) == 0 {
		return nil, n.Errorf("filter is not quantized")
	}
	if len(q.Scale) != 1 {
		if len(q.Scale) != channels {
			return nil, n.Invalidf("filter has %d scales for %d channels", len(q.Scale), channels)
		}
		if q.Axis != axis {
			return nil, n.Errorf("filter is quantized along axis %d, want %d", q.Axis, axis)
		}
	}
	if len(q.ZeroPoint) != 0 && len(q.ZeroPoint) != 1 && len(q.ZeroPoint) != len(q.Scale) {
		return nil, n.Invalidf("filter has %d zero points for %d scales", len(q.ZeroPoint), len(q.Scale))
	}
	for _, z := range q.ZeroPoint {
		if z != 0 {
			return nil, n.Errorf("int8 filter zero point %d is not 0", z)
		}
	}
	out := make([]float32, channels)
	for c := range out {
		s := q.Scale[0]
		if len(q.Scale) > 1 {
			s = q.Scale[c]
		}
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, n.Invalidf("filter scale %v is not positive", s)
		}
		out[c] = s
	}
	return out, nil
}

// channelMultipliers derives per-channel multipliers as TensorFlow Lite's
// PopulateConvolutionQuantizationParams does: in·filter/out in double.
func channelMultipliers(in, out float32, filter []float32) ([]int32, []int) {
	m, s := make([]int32, len(filter)), make([]int, len(filter))
	for c, f := range filter {
		m[c], s[c] = kernels.QuantizeMultiplier(float64(in) * float64(f) / float64(out))
	}
	return m, s
}

// tensorMultiplier derives the single multiplier of a per-tensor uint8 or
// FULLY_CONNECTED kernel as GetQuantizedConvolutionMultipler does: the
// input·filter product in float32, divided by out in double.
func tensorMultiplier(in, filter, out float32, channels int) ([]int32, []int) {
	m, s := kernels.QuantizeMultiplier(float64(in*filter) / float64(out))
	ms, ss := make([]int32, channels), make([]int, channels)
	for c := range ms {
		ms[c], ss[c] = m, s
	}
	return ms, ss
}

// checkBiasScale rejects a per-tensor bias whose scale differs from
// input·filter by more than 2% of the output scale, as TensorFlow Lite
// does for per-tensor quantization.
func checkBiasScale(n *op.Node, bias *op.TensorInfo, in, filter, out float32) error {
	if bias == nil || bias.Quant == nil || len(bias.Quant.Scale) != 1 {
		return nil
	}
	prod := float64(in) * float64(filter)
	if math.Abs(prod-float64(bias.Quant.Scale[0]))/float64(out) > 0.02 {
		return n.Invalidf("bias scale %v does not match input·filter scale %v", bias.Quant.Scale[0], prod)
	}
	return nil
}

// actQuant returns the clamp bounds of act for a quantized output.
func actQuant(n *op.Node, act op.Activation, out *op.TensorInfo) (int32, int32, error) {
	lo, hi, ok := op.ActivationRangeQuant(act, out)
	if !ok || lo > hi {
		return 0, 0, n.Errorf("fused activation %d is not supported for %s", act, out.DType)
	}
	return lo, hi, nil
}

// actFloat returns the clamp bounds of act for a float output.
func actFloat(n *op.Node, act op.Activation) (kconv.FloatAct, error) {
	lo, hi, ok := op.ActivationRangeFloat(act)
	if !ok {
		return kconv.FloatAct{}, n.Errorf("fused activation %d is not supported", act)
	}
	return kconv.FloatAct{Min: lo, Max: hi}, nil
}

// checkBias checks an optional bias: a vector of channels values of one
// of the dtypes allowed.
func checkBias(n *op.Node, b *op.TensorInfo, channels int, allowed ...tensor.DType) error {
	if b == nil {
		return nil
	}
	ok := false
	for _, d := range allowed {
		ok = ok || b.DType == d
	}
	if !ok {
		return n.Errorf("bias dtype %s is not supported here (want %v)", b.DType, allowed)
	}
	if b.Shape.Elements() != channels {
		return n.Invalidf("bias shape %s does not have %d elements", b.Shape, channels)
	}
	return nil
}

// checkDims checks that every dimension of t is positive and bounded.
func checkDims(n *op.Node, t *op.TensorInfo, what string, rank int) error {
	if rank >= 0 && len(t.Shape) != rank {
		return n.Invalidf("%s has shape %s, want rank %d", what, t.Shape, rank)
	}
	for _, d := range t.Shape {
		if d <= 0 || d > maxDim {
			return n.Invalidf("%s has shape %s", what, t.Shape)
		}
	}
	if _, err := t.Shape.NumElements(); err != nil {
		return n.Invalidf("%s: %v", what, err)
	}
	return nil
}

// checkWindow validates strides, dilations and a padding scheme.
func checkWindow(n *op.Node, pad op.Padding, sh, sw, dh, dw int) error {
	if pad != op.PaddingSame && pad != op.PaddingValid {
		return n.Invalidf("unknown padding %d", pad)
	}
	if sh < 1 || sw < 1 || sh > maxDim || sw > maxDim {
		return n.Invalidf("stride %dx%d is not positive", sh, sw)
	}
	if dh < 1 || dw < 1 || dh > maxDim || dw > maxDim {
		return n.Invalidf("dilation %dx%d is not positive", dh, dw)
	}
	return nil
}

// nilIfAbsent returns the typed data of an optional tensor, or nil.
func int32sOrNil(t *tensor.Tensor) []int32 {
	if t == nil {
		return nil
	}
	return t.Int32s()
}

func int64sOrNil(t *tensor.Tensor) []int64 {
	if t == nil {
		return nil
	}
	return t.Int64s()
}

func float32sOrNil(t *tensor.Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Float32s()
}

// widenBias returns an int16 or int32 bias widened to int64 (for 16x8
// kernels with int64 accumulators), or an int64 bias as is.
func widenBias(t *tensor.Tensor, dst []int64) []int64 {
	if t == nil {
		return nil
	}
	switch t.DType {
	case tensor.Int64:
		return t.Int64s()
	case tensor.Int32:
		for i, v := range t.Int32s() {
			dst[i] = int64(v)
		}
	case tensor.Int16:
		for i, v := range t.Int16s() {
			dst[i] = int64(v)
		}
	}
	return dst
}

// scratchInt8 views the first n bytes of scratch as int8.
func scratchInt8(b []byte, n int) []int8 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// scratchOf views scratch as n values of T. The interpreter aligns scratch
// to 64 bytes.
func scratchOf[T int32 | int64 | float32](b []byte, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// zpIs0 checks that an int16 tensor has zero point 0.
func zpIs0(n *op.Node, q qparams, what string) error {
	if q.zp != 0 {
		return n.Errorf("int16 %s zero point %d is not 0", what, q.zp)
	}
	return nil
}
