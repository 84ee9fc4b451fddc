package conv

// OutSize returns the output length of a window of filter taps (spread by
// dilation) sliding with stride over in elements, as TensorFlow Lite's
// ComputeOutSize does. It may be zero or negative for VALID padding when
// the window is larger than the input; callers reject that.
func OutSize(same bool, in, filter, stride, dilation int) int {
	if stride <= 0 {
		return 0
	}
	eff := (filter-1)*dilation + 1
	if same {
		return (in + stride - 1) / stride
	}
	return (in + stride - eff) / stride
}

// Pad returns the padding before the first element and the extra padding
// after the last one (0 or 1), as TensorFlow Lite's
// ComputePaddingWithOffset computes them for an output of out elements.
func Pad(stride, dilation, in, filter, out int) (before, offset int) {
	eff := (filter-1)*dilation + 1
	total := (out-1)*stride + eff - in
	if total < 0 {
		total = 0
	}
	return total / 2, total % 2
}

// Geom is the geometry of a 2-D convolution, depthwise convolution,
// transposed convolution or pooling over NHWC tensors.
type Geom struct {
	Batch, InH, InW, InC int
	OutH, OutW, OutC     int
	KH, KW               int // filter (or pooling window) size
	StrideH, StrideW     int
	DilH, DilW           int // dilation; 1 for none
	PadH, PadW           int // padding before the first row and column
	// FilterInC is the input depth of one CONV_2D filter: InC for an
	// ordinary convolution, InC/groups for a grouped one.
	FilterInC int
}

// Requant holds the quantization parameters of an integer kernel's output
// stage: acc is scaled by Mult[c]·2^(Shift[c]-31) per output channel c,
// OutputOffset is added and the result clamped to [Min, Max].
type Requant struct {
	InputOffset  int32   // minus the input zero point
	FilterOffset int32   // minus the filter zero point (uint8 kernels only)
	OutputOffset int32   // the output zero point
	Mult         []int32 // per output channel (len OutC)
	Shift        []int   // per output channel, positive = left
	Min, Max     int32   // clamp bounds (fused activation)
}

// FloatAct holds the clamp bounds of a fused activation for float kernels.
type FloatAct struct{ Min, Max float32 }

func clampF(v float32, a FloatAct) float32 {
	if v < a.Min {
		return a.Min
	}
	if v > a.Max {
		return a.Max
	}
	return v
}
