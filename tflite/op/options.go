package op

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
	// Pads, when set, replaces Padding with explicit amounts. Files never
	// set it; the planner does when it folds a PAD into the convolution.
	Pads *Pads
	// FlippedInput and FlippedOutput, set only by the planner and only on
	// convolutions with a uint8 filter, say that input 0, or the output,
	// is a uint8 activation the planner retyped to int8: every byte's top
	// bit flipped (x ^ 0x80 is the int8 x − 128, which the int8 kernels
	// take directly), zero point − 128, the same real values. The
	// operator must not change input 0.
	FlippedInput, FlippedOutput bool
}

// Pads are explicit spatial padding amounts of a convolution (elements of
// the input's zero point, or 0.0). Each is at most (filter − 1)·dilation
// along its dimension, so that every window overlaps the input.
type Pads struct {
	Top, Bottom, Left, Right int
}

// DepthwiseConv2DOptions are the options of DEPTHWISE_CONV_2D.
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	DepthMultiplier      int
	Activation           Activation
	DilationW, DilationH int   // default 1
	Pads                 *Pads // see Conv2DOptions.Pads
	// See Conv2DOptions.FlippedInput.
	FlippedInput, FlippedOutput bool
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
	// AsymmetricQuantizeInputs: a hybrid (float × int8) product quantizes
	// its float rows asymmetrically.
	AsymmetricQuantizeInputs bool
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
	// PotScaleInt16 (ADD, SUB) selects the power-of-two int16 path. The
	// schema's default is true when the options table is present; with no
	// options table at all it is false, as in TFLite.
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

// SequenceLSTMOptions are the options of UNIDIRECTIONAL_SEQUENCE_LSTM.
type SequenceLSTMOptions struct {
	Activation Activation // of the cell gate and the hidden state
	// CellClip and ProjClip bound the cell state and the projection
	// (0: no clipping).
	CellClip, ProjClip float32
	// TimeMajor: inputs are [time, batch, input], else [batch, time,
	// input].
	TimeMajor                bool
	AsymmetricQuantizeInputs bool
	DiagonalRecurrentTensors bool
}

// BidirectionalSequenceLSTMOptions are the options of
// BIDIRECTIONAL_SEQUENCE_LSTM. The schema's default of TimeMajor is true.
type BidirectionalSequenceLSTMOptions struct {
	Activation               Activation
	CellClip, ProjClip       float32
	MergeOutputs             bool // both directions in the first output
	TimeMajor                bool
	AsymmetricQuantizeInputs bool
}

// SequenceRNNOptions are the options of UNIDIRECTIONAL_SEQUENCE_RNN.
type SequenceRNNOptions struct {
	TimeMajor                bool
	Activation               Activation
	AsymmetricQuantizeInputs bool
}

// SVDFOptions are the options of SVDF.
type SVDFOptions struct {
	Rank                     int
	Activation               Activation
	AsymmetricQuantizeInputs bool
}

// IfOptions are the options of IF: the subgraphs run when the condition
// is true and false.
type IfOptions struct{ ThenSubgraph, ElseSubgraph int }

// WhileOptions are the options of WHILE: the condition and body
// subgraphs.
type WhileOptions struct{ CondSubgraph, BodySubgraph int }

// CallOnceOptions are the options of CALL_ONCE: the initialisation
// subgraph.
type CallOnceOptions struct{ InitSubgraph int }

// VarHandleOptions are the options of VAR_HANDLE: the resource variable's
// container and shared name.
type VarHandleOptions struct{ Container, SharedName string }

// BlockSizeOptions are the options of SPACE_TO_DEPTH and DEPTH_TO_SPACE.
type BlockSizeOptions struct{ BlockSize int }

// MirrorPadOptions are the options of MIRROR_PAD: Mode 0 is REFLECT, 1 is
// SYMMETRIC.
type MirrorPadOptions struct{ Mode int }

// L2NormOptions are the options of L2_NORMALIZATION.
type L2NormOptions struct{ Activation Activation }
