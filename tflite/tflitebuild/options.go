package tflitebuild

import (
	"fmt"
	"reflect"

	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// encodeOptions returns the BuiltinOptions union type and table of opName's
// options o (a pointer to, or a value of, the matching type in package op).
// A nil o (or a nil pointer) writes no options: union type 0. Every field
// is written explicitly, defaults included, at the slot the schema gives it.
func encodeOptions(opName string, o any) (uint8, *table, error) {
	if o == nil {
		return 0, nil, nil
	}
	v := reflect.ValueOf(o)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0, nil, nil
		}
	} else {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		o = p.Interface()
	}
	t := &table{}
	bad := func(want string) (uint8, *table, error) {
		return 0, nil, fmt.Errorf("%w: %s takes *op.%s, got %T", ErrBuild, opName, want, o)
	}
	switch opName {
	case "CONV_2D":
		x, ok := o.(*op.Conv2DOptions)
		if !ok {
			return bad("Conv2DOptions")
		}
		t.u8(0, uint8(x.Padding)).i32(1, int32(x.StrideW)).i32(2, int32(x.StrideH)).
			u8(3, uint8(x.Activation)).i32(4, int32(x.DilationW)).i32(5, int32(x.DilationH))
		return 1, t, nil
	case "DEPTHWISE_CONV_2D":
		x, ok := o.(*op.DepthwiseConv2DOptions)
		if !ok {
			return bad("DepthwiseConv2DOptions")
		}
		t.u8(0, uint8(x.Padding)).i32(1, int32(x.StrideW)).i32(2, int32(x.StrideH)).i32(3, int32(x.DepthMultiplier)).
			u8(4, uint8(x.Activation)).i32(5, int32(x.DilationW)).i32(6, int32(x.DilationH))
		return 2, t, nil
	case "TRANSPOSE_CONV":
		x, ok := o.(*op.TransposeConvOptions)
		if !ok {
			return bad("TransposeConvOptions")
		}
		t.u8(0, uint8(x.Padding)).i32(1, int32(x.StrideW)).i32(2, int32(x.StrideH)).u8(3, uint8(x.Activation))
		return 49, t, nil
	case "FULLY_CONNECTED":
		x, ok := o.(*op.FullyConnectedOptions)
		if !ok {
			return bad("FullyConnectedOptions")
		}
		t.u8(0, uint8(x.Activation)).u8(1, uint8(x.WeightsFormat)).boolean(2, x.KeepNumDims).boolean(3, x.AsymmetricQuantizeInputs)
		return 8, t, nil
	case "BATCH_MATMUL":
		x, ok := o.(*op.BatchMatMulOptions)
		if !ok {
			return bad("BatchMatMulOptions")
		}
		t.boolean(0, x.AdjX).boolean(1, x.AdjY).boolean(2, x.AsymmetricQuantizeInputs)
		return 101, t, nil
	case "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D":
		x, ok := o.(*op.Pool2DOptions)
		if !ok {
			return bad("Pool2DOptions")
		}
		t.u8(0, uint8(x.Padding)).i32(1, int32(x.StrideW)).i32(2, int32(x.StrideH)).
			i32(3, int32(x.FilterWidth)).i32(4, int32(x.FilterHeight)).u8(5, uint8(x.Activation))
		return 5, t, nil
	case "ADD", "SUB":
		x, ok := o.(*op.ArithOptions)
		if !ok {
			return bad("ArithOptions")
		}
		t.u8(0, uint8(x.Activation)).boolean(1, x.PotScaleInt16)
		if opName == "ADD" {
			return 11, t, nil
		}
		return 28, t, nil
	case "MUL", "DIV":
		x, ok := o.(*op.ArithOptions)
		if !ok {
			return bad("ArithOptions")
		}
		// MulOptions and DivOptions have no pot_scale_int16 field.
		t.u8(0, uint8(x.Activation))
		if opName == "MUL" {
			return 21, t, nil
		}
		return 29, t, nil
	case "SOFTMAX":
		x, ok := o.(*op.SoftmaxOptions)
		if !ok {
			return bad("SoftmaxOptions")
		}
		t.f32(0, x.Beta)
		return 9, t, nil
	case "LEAKY_RELU":
		x, ok := o.(*op.LeakyReluOptions)
		if !ok {
			return bad("LeakyReluOptions")
		}
		t.f32(0, x.Alpha)
		return 75, t, nil
	case "CONCATENATION":
		x, ok := o.(*op.ConcatenationOptions)
		if !ok {
			return bad("ConcatenationOptions")
		}
		t.i32(0, int32(x.Axis)).u8(1, uint8(x.Activation))
		return 10, t, nil
	case "RESHAPE":
		x, ok := o.(*op.ReshapeOptions)
		if !ok {
			return bad("ReshapeOptions")
		}
		if x.NewShape != nil {
			t.ref(0, intsVec(x.NewShape))
		}
		return 17, t, nil
	case "SQUEEZE":
		x, ok := o.(*op.SqueezeOptions)
		if !ok {
			return bad("SqueezeOptions")
		}
		if x.SqueezeDims != nil {
			t.ref(0, intsVec(x.SqueezeDims))
		}
		return 30, t, nil
	case "STRIDED_SLICE":
		x, ok := o.(*op.StridedSliceOptions)
		if !ok {
			return bad("StridedSliceOptions")
		}
		t.i32(0, int32(x.BeginMask)).i32(1, int32(x.EndMask)).i32(2, int32(x.EllipsisMask)).
			i32(3, int32(x.NewAxisMask)).i32(4, int32(x.ShrinkAxisMask)).boolean(5, x.Offset)
		return 32, t, nil
	case "PACK":
		x, ok := o.(*op.PackOptions)
		if !ok {
			return bad("PackOptions")
		}
		t.i32(0, int32(x.ValuesCount)).i32(1, int32(x.Axis))
		return 59, t, nil
	case "UNPACK":
		x, ok := o.(*op.UnpackOptions)
		if !ok {
			return bad("UnpackOptions")
		}
		t.i32(0, int32(x.Num)).i32(1, int32(x.Axis))
		return 64, t, nil
	case "SPLIT", "SPLIT_V":
		x, ok := o.(*op.SplitOptions)
		if !ok {
			return bad("SplitOptions")
		}
		t.i32(0, int32(x.NumSplits))
		if opName == "SPLIT" {
			return 35, t, nil
		}
		return 79, t, nil
	case "GATHER":
		x, ok := o.(*op.GatherOptions)
		if !ok {
			return bad("GatherOptions")
		}
		t.i32(0, int32(x.Axis)).i32(1, int32(x.BatchDims))
		return 23, t, nil
	case "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL":
		x, ok := o.(*op.ReducerOptions)
		if !ok {
			return bad("ReducerOptions")
		}
		t.boolean(0, x.KeepDims)
		return 27, t, nil
	case "ARG_MAX", "ARG_MIN":
		x, ok := o.(*op.ArgOptions)
		if !ok {
			return bad("ArgOptions")
		}
		t.u8(0, uint8(x.OutputType))
		if opName == "ARG_MAX" {
			return 40, t, nil
		}
		return 57, t, nil
	case "RESIZE_BILINEAR":
		x, ok := o.(*op.ResizeOptions)
		if !ok {
			return bad("ResizeOptions")
		}
		// Slots 0 and 1 (new_height, new_width) are deprecated.
		t.boolean(2, x.AlignCorners).boolean(3, x.HalfPixelCenters)
		return 15, t, nil
	case "RESIZE_NEAREST_NEIGHBOR":
		x, ok := o.(*op.ResizeOptions)
		if !ok {
			return bad("ResizeOptions")
		}
		t.boolean(0, x.AlignCorners).boolean(1, x.HalfPixelCenters)
		return 74, t, nil
	case "SHAPE":
		x, ok := o.(*op.ShapeOptions)
		if !ok {
			return bad("ShapeOptions")
		}
		t.u8(0, uint8(x.OutType))
		return 55, t, nil
	case "UNIDIRECTIONAL_SEQUENCE_LSTM":
		x, ok := o.(*op.SequenceLSTMOptions)
		if !ok {
			return bad("SequenceLSTMOptions")
		}
		t.u8(0, uint8(x.Activation)).f32(1, x.CellClip).f32(2, x.ProjClip).boolean(3, x.TimeMajor).
			boolean(4, x.AsymmetricQuantizeInputs).boolean(5, x.DiagonalRecurrentTensors)
		return 71, t, nil
	case "BIDIRECTIONAL_SEQUENCE_LSTM":
		x, ok := o.(*op.BidirectionalSequenceLSTMOptions)
		if !ok {
			return bad("BidirectionalSequenceLSTMOptions")
		}
		t.u8(0, uint8(x.Activation)).f32(1, x.CellClip).f32(2, x.ProjClip).boolean(3, x.MergeOutputs).
			boolean(4, x.TimeMajor).boolean(5, x.AsymmetricQuantizeInputs)
		return 69, t, nil
	case "UNIDIRECTIONAL_SEQUENCE_RNN":
		x, ok := o.(*op.SequenceRNNOptions)
		if !ok {
			return bad("SequenceRNNOptions")
		}
		t.boolean(0, x.TimeMajor).u8(1, uint8(x.Activation)).boolean(2, x.AsymmetricQuantizeInputs)
		return 31, t, nil
	case "SVDF":
		x, ok := o.(*op.SVDFOptions)
		if !ok {
			return bad("SVDFOptions")
		}
		t.i32(0, int32(x.Rank)).u8(1, uint8(x.Activation)).boolean(2, x.AsymmetricQuantizeInputs)
		return 6, t, nil
	case "IF":
		x, ok := o.(*op.IfOptions)
		if !ok {
			return bad("IfOptions")
		}
		t.i32(0, int32(x.ThenSubgraph)).i32(1, int32(x.ElseSubgraph))
		return 92, t, nil
	case "WHILE":
		x, ok := o.(*op.WhileOptions)
		if !ok {
			return bad("WhileOptions")
		}
		t.i32(0, int32(x.CondSubgraph)).i32(1, int32(x.BodySubgraph))
		return 93, t, nil
	case "CALL_ONCE":
		x, ok := o.(*op.CallOnceOptions)
		if !ok {
			return bad("CallOnceOptions")
		}
		t.i32(0, int32(x.InitSubgraph))
		return 103, t, nil
	case "VAR_HANDLE":
		x, ok := o.(*op.VarHandleOptions)
		if !ok {
			return bad("VarHandleOptions")
		}
		t.ref(0, str(x.Container)).ref(1, str(x.SharedName))
		return 111, t, nil
	case "SPACE_TO_DEPTH", "DEPTH_TO_SPACE":
		x, ok := o.(*op.BlockSizeOptions)
		if !ok {
			return bad("BlockSizeOptions")
		}
		t.i32(0, int32(x.BlockSize))
		if opName == "SPACE_TO_DEPTH" {
			return 19, t, nil
		}
		return 94, t, nil
	case "L2_NORMALIZATION":
		x, ok := o.(*op.L2NormOptions)
		if !ok {
			return bad("L2NormOptions")
		}
		t.u8(0, uint8(x.Activation))
		return 12, t, nil
	case "MIRROR_PAD":
		x, ok := o.(*op.MirrorPadOptions)
		if !ok {
			return bad("MirrorPadOptions")
		}
		t.u8(0, uint8(x.Mode))
		return 77, t, nil
	}
	return 0, nil, fmt.Errorf("%w: tflitebuild cannot write options for %s (pass nil)", ErrBuild, opName)
}
