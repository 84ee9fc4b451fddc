package tflite

import "github.com/edgeinfer/edgeinfer/tflite/op"

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
		return &op.ArithOptions{Activation: op.Activation(r.i8(t, 0)), PotScaleInt16: r.flag(t, 1, true)}
	}}
}

func poolDecoder() optionsDecoder {
	return optionsDecoder{5, func(r *fb, t table) any {
		return &op.Pool2DOptions{Padding: op.Padding(r.i8(t, 0)), StrideW: r.i(t, 1, 0), StrideH: r.i(t, 2, 0), FilterWidth: r.i(t, 3, 0), FilterHeight: r.i(t, 4, 0), Activation: op.Activation(r.i8(t, 5))}
	}}
}

func reducerDecoder() optionsDecoder {
	return optionsDecoder{27, func(r *fb, t table) any { return &op.ReducerOptions{KeepDims: r.flag(t, 0, false)} }}
}

func resizeDecoder(union uint8, first int) optionsDecoder {
	return optionsDecoder{union, func(r *fb, t table) any {
		return &op.ResizeOptions{AlignCorners: r.flag(t, first, false), HalfPixelCenters: r.flag(t, first+1, false)}
	}}
}

// optionDecoders maps operator names to the decoder of their options. Ops
// without options are absent.
var optionDecoders = map[string]optionsDecoder{
	"CONV_2D": {1, func(r *fb, t table) any {
		return &op.Conv2DOptions{Padding: op.Padding(r.i8(t, 0)), StrideW: r.i(t, 1, 0), StrideH: r.i(t, 2, 0), Activation: op.Activation(r.i8(t, 3)), DilationW: r.i(t, 4, 1), DilationH: r.i(t, 5, 1)}
	}},
	"DEPTHWISE_CONV_2D": {2, func(r *fb, t table) any {
		return &op.DepthwiseConv2DOptions{Padding: op.Padding(r.i8(t, 0)), StrideW: r.i(t, 1, 0), StrideH: r.i(t, 2, 0), DepthMultiplier: r.i(t, 3, 0), Activation: op.Activation(r.i8(t, 4)), DilationW: r.i(t, 5, 1), DilationH: r.i(t, 6, 1)}
	}},
	"TRANSPOSE_CONV": {49, func(r *fb, t table) any {
		return &op.TransposeConvOptions{Padding: op.Padding(r.i8(t, 0)), StrideW: r.i(t, 1, 0), StrideH: r.i(t, 2, 0), Activation: op.Activation(r.i8(t, 3))}
	}},
	"FULLY_CONNECTED": {8, func(r *fb, t table) any {
		return &op.FullyConnectedOptions{Activation: op.Activation(r.i8(t, 0)), WeightsFormat: int(r.i8(t, 1)), KeepNumDims: r.flag(t, 2, false), AsymmetricQuantizeInputs: r.flag(t, 3, false)}
	}},
	"BATCH_MATMUL": {101, func(r *fb, t table) any {
		return &op.BatchMatMulOptions{AdjX: r.flag(t, 0, false), AdjY: r.flag(t, 1, false), AsymmetricQuantizeInputs: r.flag(t, 2, false)}
	}},
	"AVERAGE_POOL_2D": poolDecoder(),
	"MAX_POOL_2D":     poolDecoder(),
	"ADD":             arithDecoder(11),
	"SUB":             arithDecoder(28),
	"MUL":             arithDecoder(21),
	"DIV":             arithDecoder(29),
	"SOFTMAX":         {9, func(r *fb, t table) any { return &op.SoftmaxOptions{Beta: r.getF32(t, 0, 0, "option")} }},
	"LEAKY_RELU":      {75, func(r *fb, t table) any { return &op.LeakyReluOptions{Alpha: r.getF32(t, 0, 0, "option")} }},
	"CONCATENATION": {10, func(r *fb, t table) any {
		return &op.ConcatenationOptions{Axis: r.i(t, 0, 0), Activation: op.Activation(r.i8(t, 1))}
	}},
	"RESHAPE": {17, func(r *fb, t table) any { return &op.ReshapeOptions{NewShape: r.ints(t, 0)} }},
	"SQUEEZE": {30, func(r *fb, t table) any { return &op.SqueezeOptions{SqueezeDims: r.ints(t, 0)} }},
	"STRIDED_SLICE": {32, func(r *fb, t table) any {
		return &op.StridedSliceOptions{BeginMask: r.i(t, 0, 0), EndMask: r.i(t, 1, 0), EllipsisMask: r.i(t, 2, 0), NewAxisMask: r.i(t, 3, 0), ShrinkAxisMask: r.i(t, 4, 0), Offset: r.flag(t, 5, false)}
	}},
	"PACK":                    {59, func(r *fb, t table) any { return &op.PackOptions{ValuesCount: r.i(t, 0, 0), Axis: r.i(t, 1, 0)} }},
	"UNPACK":                  {64, func(r *fb, t table) any { return &op.UnpackOptions{Num: r.i(t, 0, 0), Axis: r.i(t, 1, 0)} }},
	"SPLIT":                   {35, func(r *fb, t table) any { return &op.SplitOptions{NumSplits: r.i(t, 0, 0)} }},
	"SPLIT_V":                 {79, func(r *fb, t table) any { return &op.SplitOptions{NumSplits: r.i(t, 0, 0)} }},
	"GATHER":                  {23, func(r *fb, t table) any { return &op.GatherOptions{Axis: r.i(t, 0, 0), BatchDims: r.i(t, 1, 0)} }},
	"MEAN":                    reducerDecoder(),
	"SUM":                     reducerDecoder(),
	"REDUCE_MAX":              reducerDecoder(),
	"REDUCE_MIN":              reducerDecoder(),
	"REDUCE_PROD":             reducerDecoder(),
	"ARG_MAX":                 {40, func(r *fb, t table) any { return &op.ArgOptions{OutputType: int(r.i8(t, 0))} }},
	"ARG_MIN":                 {57, func(r *fb, t table) any { return &op.ArgOptions{OutputType: int(r.i8(t, 0))} }},
	"RESIZE_BILINEAR":         resizeDecoder(15, 2),
	"RESIZE_NEAREST_NEIGHBOR": resizeDecoder(74, 0),
	"SHAPE":                   {55, func(r *fb, t table) any { return &op.ShapeOptions{OutType: int(r.i8(t, 0))} }},
	"SPACE_TO_DEPTH":          {19, func(r *fb, t table) any { return &op.BlockSizeOptions{BlockSize: r.i(t, 0, 0)} }},
	"DEPTH_TO_SPACE":          {94, func(r *fb, t table) any { return &op.BlockSizeOptions{BlockSize: r.i(t, 0, 0)} }},
	"MIRROR_PAD":              {77, func(r *fb, t table) any { return &op.MirrorPadOptions{Mode: int(r.i8(t, 0))} }},
	"L2_NORMALIZATION":        {12, func(r *fb, t table) any { return &op.L2NormOptions{Activation: op.Activation(r.i8(t, 0))} }},
	"UNIDIRECTIONAL_SEQUENCE_LSTM": {71, func(r *fb, t table) any {
		return &op.SequenceLSTMOptions{Activation: op.Activation(r.i8(t, 0)), CellClip: r.getF32(t, 1, 0, "option"), ProjClip: r.getF32(t, 2, 0, "option"),
			TimeMajor: r.flag(t, 3, false), AsymmetricQuantizeInputs: r.flag(t, 4, false), DiagonalRecurrentTensors: r.flag(t, 5, false)}
	}},
	"BIDIRECTIONAL_SEQUENCE_LSTM": {69, func(r *fb, t table) any {
		return &op.BidirectionalSequenceLSTMOptions{Activation: op.Activation(r.i8(t, 0)), CellClip: r.getF32(t, 1, 0, "option"), ProjClip: r.getF32(t, 2, 0, "option"),
			MergeOutputs: r.flag(t, 3, false), TimeMajor: r.flag(t, 4, true), AsymmetricQuantizeInputs: r.flag(t, 5, false)}
	}},
	"UNIDIRECTIONAL_SEQUENCE_RNN": {31, func(r *fb, t table) any {
		return &op.SequenceRNNOptions{TimeMajor: r.flag(t, 0, false), Activation: op.Activation(r.i8(t, 1)), AsymmetricQuantizeInputs: r.flag(t, 2, false)}
	}},
	"SVDF": {6, func(r *fb, t table) any {
		return &op.SVDFOptions{Rank: r.i(t, 0, 0), Activation: op.Activation(r.i8(t, 1)), AsymmetricQuantizeInputs: r.flag(t, 2, false)}
	}},
	"IF": {92, func(r *fb, t table) any { return &op.IfOptions{ThenSubgraph: r.i(t, 0, 0), ElseSubgraph: r.i(t, 1, 0)} }},
	"WHILE": {93, func(r *fb, t table) any {
		return &op.WhileOptions{CondSubgraph: r.i(t, 0, 0), BodySubgraph: r.i(t, 1, 0)}
	}},
	"CALL_ONCE": {103, func(r *fb, t table) any { return &op.CallOnceOptions{InitSubgraph: r.i(t, 0, 0)} }},
	"VAR_HANDLE": {111, func(r *fb, t table) any {
		return &op.VarHandleOptions{Container: r.getString(t, 0, "option"), SharedName: r.getString(t, 1, "option")}
	}},
}
