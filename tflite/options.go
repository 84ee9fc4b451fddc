package tflite

// Padding is a convolution or pooling padding scheme.
type Padding int8

// Padding schemes, numbered as in the TFLite schema.
const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

// Activation is a fused activation function.
type Activation int8

// Fused activations, numbered as in the TFLite schema.
const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
	ActTanh      Activation = 4
	ActSignBit   Activation = 5
)

// Conv2DOptions are the options of CONV_2D.
type Conv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	Activation           Activation
	DilationW, DilationH int // default 1
}

// DepthwiseConv2DOptions are the options of DEPTHWISE_CONV_2D.
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	DepthMultiplier      int
	Activation           Activation
	DilationW, DilationH int // default 1
}

// TransposeConvOptions are the options of TRANSPOSE_CONV.
type TransposeConvOptions struct {
	Padding          Padding
	StrideW, StrideH int
	Activation       Activation
}

// FullyConnectedOptions are the options of FULLY_CONNECTED.
type FullyConnectedOptions struct {
	Activation               Activation
	WeightsFormat            int // 0 DEFAULT; others unsupported
	KeepNumDims              bool
	AsymmetricQuantizeInputs bool
}

// BatchMatMulOptions are the options of BATCH_MATMUL.
type BatchMatMulOptions struct {
	AdjX, AdjY bool
}

// Pool2DOptions are the options of AVERAGE_POOL_2D and MAX_POOL_2D.
type Pool2DOptions struct {
	Padding                   Padding
	StrideW, StrideH          int
	FilterWidth, FilterHeight int
	Activation                Activation
}

// ArithOptions are the options of ADD, SUB, MUL and DIV.
type ArithOptions struct {
	Activation Activation
	// PotScaleInt16 (ADD, SUB; default true) selects the power-of-two
	// int16 path; false selects the general int16 path.
	PotScaleInt16 bool
}

// SoftmaxOptions are the options of SOFTMAX.
type SoftmaxOptions struct{ Beta float32 }

// LeakyReluOptions are the options of LEAKY_RELU.
type LeakyReluOptions struct{ Alpha float32 }

// ConcatenationOptions are the options of CONCATENATION.
type ConcatenationOptions struct {
	Axis       int
	Activation Activation
}

// ReshapeOptions are the options of RESHAPE.
type ReshapeOptions struct{ NewShape []int }

// SqueezeOptions are the options of SQUEEZE.
type SqueezeOptions struct{ SqueezeDims []int }

// StridedSliceOptions are the options of STRIDED_SLICE.
type StridedSliceOptions struct {
	BeginMask, EndMask, EllipsisMask, NewAxisMask, ShrinkAxisMask int
	Offset                                                        bool
}

// PackOptions are the options of PACK.
type PackOptions struct{ ValuesCount, Axis int }

// UnpackOptions are the options of UNPACK.
type UnpackOptions struct{ Num, Axis int }

// SplitOptions are the options of SPLIT and SPLIT_V.
type SplitOptions struct{ NumSplits int }

// GatherOptions are the options of GATHER.
type GatherOptions struct{ Axis, BatchDims int }

// ReducerOptions are the options of MEAN, SUM and the other reductions.
type ReducerOptions struct{ KeepDims bool }

// ArgOptions are the options of ARG_MAX and ARG_MIN.
type ArgOptions struct{ OutputType int } // schema TensorType

// ResizeOptions are the options of RESIZE_BILINEAR and
// RESIZE_NEAREST_NEIGHBOR.
type ResizeOptions struct{ AlignCorners, HalfPixelCenters bool }

// ShapeOptions are the options of SHAPE.
type ShapeOptions struct{ OutType int } // schema TensorType

// optionsDecoder decodes one builtin options table.
type optionsDecoder struct {
	union  uint8 // BuiltinOptions union type
	decode func(r *fb, t table) any
}

func (r *fb) i(t table, slot int, def int32) int { return int(r.getI32(t, slot, def, "option")) }
func (r *fb) flag(t table, slot int, def bool) bool {
	d := uint8(0)
	if def {
		d = 1
	}
	return r.getU8(t, slot, d, "option") != 0
}
func (r *fb) i8(t table, slot int) int8 { return int8(r.getU8(t, slot, 0, "option")) }
func (r *fb) ints(t table, slot int) []int {
	v := r.getI32s(t, slot, "option")
	if v == nil {
		return nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func arithDecoder(union uint8) optionsDecoder {
	return optionsDecoder{union, func(r *fb, t table) any {
		return &ArithOptions{Activation: Activation(r.i8(t, 0)), PotScaleInt16: r.flag(t, 1, true)}
	}}
}

func poolDecoder() optionsDecoder {
	return optionsDecoder{5, func(r *fb, t table) any {
		return &Pool2DOptions{Padding(r.i8(t, 0)), r.i(t, 1, 0), r.i(t, 2, 0), r.i(t, 3, 0), r.i(t, 4, 0), Activation(r.i8(t, 5))}
	}}
}

func reducerDecoder() optionsDecoder {
	return optionsDecoder{27, func(r *fb, t table) any { return &ReducerOptions{KeepDims: r.flag(t, 0, false)} }}
}

func resizeDecoder(union uint8, first int) optionsDecoder {
	return optionsDecoder{union, func(r *fb, t table) any {
		return &ResizeOptions{AlignCorners: r.flag(t, first, false), HalfPixelCenters: r.flag(t, first+1, false)}
	}}
}

// optionDecoders maps operator names to the decoder of their options. Ops
// without options are absent.
var optionDecoders = map[string]optionsDecoder{
	"CONV_2D": {1, func(r *fb, t table) any {
		return &Conv2DOptions{Padding(r.i8(t, 0)), r.i(t, 1, 0), r.i(t, 2, 0), Activation(r.i8(t, 3)), r.i(t, 4, 1), r.i(t, 5, 1)}
	}},
	"DEPTHWISE_CONV_2D": {2, func(r *fb, t table) any {
		return &DepthwiseConv2DOptions{Padding(r.i8(t, 0)), r.i(t, 1, 0), r.i(t, 2, 0), r.i(t, 3, 0), Activation(r.i8(t, 4)), r.i(t, 5, 1), r.i(t, 6, 1)}
	}},
	"TRANSPOSE_CONV": {49, func(r *fb, t table) any {
		return &TransposeConvOptions{Padding(r.i8(t, 0)), r.i(t, 1, 0), r.i(t, 2, 0), Activation(r.i8(t, 3))}
	}},
	"FULLY_CONNECTED": {8, func(r *fb, t table) any {
		return &FullyConnectedOptions{Activation(r.i8(t, 0)), int(r.i8(t, 1)), r.flag(t, 2, false), r.flag(t, 3, false)}
	}},
	"BATCH_MATMUL":    {101, func(r *fb, t table) any { return &BatchMatMulOptions{r.flag(t, 0, false), r.flag(t, 1, false)} }},
	"AVERAGE_POOL_2D": poolDecoder(),
	"MAX_POOL_2D":     poolDecoder(),
	"ADD":             arithDecoder(11),
	"SUB":             arithDecoder(28),
	"MUL":             arithDecoder(21),
	"DIV":             arithDecoder(29),
	"SOFTMAX":         {9, func(r *fb, t table) any { return &SoftmaxOptions{r.getF32(t, 0, 0, "option")} }},
	"LEAKY_RELU":      {75, func(r *fb, t table) any { return &LeakyReluOptions{r.getF32(t, 0, 0, "option")} }},
	"CONCATENATION": {10, func(r *fb, t table) any {
		return &ConcatenationOptions{r.i(t, 0, 0), Activation(r.i8(t, 1))}
	}},
	"RESHAPE": {17, func(r *fb, t table) any { return &ReshapeOptions{r.ints(t, 0)} }},
	"SQUEEZE": {30, func(r *fb, t table) any { return &SqueezeOptions{r.ints(t, 0)} }},
	"STRIDED_SLICE": {32, func(r *fb, t table) any {
		return &StridedSliceOptions{r.i(t, 0, 0), r.i(t, 1, 0), r.i(t, 2, 0), r.i(t, 3, 0), r.i(t, 4, 0), r.flag(t, 5, false)}
	}},
	"PACK":                    {59, func(r *fb, t table) any { return &PackOptions{r.i(t, 0, 0), r.i(t, 1, 0)} }},
	"UNPACK":                  {64, func(r *fb, t table) any { return &UnpackOptions{r.i(t, 0, 0), r.i(t, 1, 0)} }},
	"SPLIT":                   {35, func(r *fb, t table) any { return &SplitOptions{r.i(t, 0, 0)} }},
	"SPLIT_V":                 {79, func(r *fb, t table) any { return &SplitOptions{r.i(t, 0, 0)} }},
	"GATHER":                  {23, func(r *fb, t table) any { return &GatherOptions{r.i(t, 0, 0), r.i(t, 1, 0)} }},
	"MEAN":                    reducerDecoder(),
	"SUM":                     reducerDecoder(),
	"REDUCE_MAX":              reducerDecoder(),
	"REDUCE_MIN":              reducerDecoder(),
	"REDUCE_PROD":             reducerDecoder(),
	"ARG_MAX":                 {40, func(r *fb, t table) any { return &ArgOptions{int(r.i8(t, 0))} }},
	"ARG_MIN":                 {57, func(r *fb, t table) any { return &ArgOptions{int(r.i8(t, 0))} }},
	"RESIZE_BILINEAR":         resizeDecoder(15, 2),
	"RESIZE_NEAREST_NEIGHBOR": resizeDecoder(74, 0),
	"SHAPE":                   {55, func(r *fb, t table) any { return &ShapeOptions{int(r.i8(t, 0))} }},
}
