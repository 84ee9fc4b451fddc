package preprocess

import (
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/metadata"
)

// Fit says how an image whose aspect ratio differs from the input's is
// brought to the input's height and width.
type Fit string

// Fits.
const (
	// FitStretch resizes the whole image to H×W, ignoring its aspect ratio
	// (what TensorFlow Lite's examples and Task Library do). The default.
	FitStretch Fit = "stretch"
	// FitCrop cuts the largest centered region of the input's aspect ratio
	// out of the image, then resizes it.
	FitCrop Fit = "crop"
	// FitPad resizes the whole image to fit inside H×W keeping its aspect
	// ratio, centered, and fills the rest with black (pixel value 0 before
	// normalization).
	FitPad Fit = "pad"
)

// Layout is the order of an image input's dimensions.
type Layout string

// Layouts.
const (
	NHWC Layout = "NHWC"
	NCHW Layout = "NCHW"
)

// Spec says how to turn an image into one input tensor.
type Spec struct {
	// Height, Width and Channels (1 gray, 3 RGB) of the input.
	Height, Width, Channels int
	// Layout of the input; with Batch the leading dimension is 1.
	Layout Layout
	Batch  bool
	// DType is float32, uint8, int8 or int16; Quant (one scale) applies
	// to the integer types when Normalize is set.
	DType tensor.DType
	Quant *tensor.Quant
	// Normalize makes each channel (pixel - Mean[c]) / Std[c] (one value:
	// every channel), quantized with Quant for integer types. Without it
	// float inputs get the pixel values and integer inputs the pixel range
	// [0, 255] spread over the type's whole range (uint8: the pixel
	// itself; int8: pixel - 128).
	Normalize bool
	Mean, Std []float32
	Fit       Fit
}

// Shape returns the tensor shape the spec produces.
func (s Spec) Shape() tensor.Shape {
	var sh tensor.Shape
	if s.Batch {
		sh = append(sh, 1)
	}
	if s.Layout == NCHW {
		return append(sh, s.Channels, s.Height, s.Width)
	}
	return append(sh, s.Height, s.Width, s.Channels)
}

// Override is what a model's configuration may change in a Spec. Zero
// fields keep the metadata's or the default value.
type Override struct {
	// Mean and Std set the normalization (and turn it on).
	Mean []float32 `json:"mean,omitempty"`
	Std  []float32 `json:"std,omitempty"`
	// Raw turns normalization off (see Spec.Normalize).
	Raw bool `json:"raw,omitempty"`
	// Fit is "stretch", "crop" or "pad".
	Fit Fit `json:"fit,omitempty"`
	// Layout is "NHWC" or "NCHW" (for inputs whose shape leaves it
	// ambiguous).
	Layout Layout `json:"layout,omitempty"`
}

// Validate checks the override's values.
func (o *Override) Validate() error {
	if o == nil {
		return nil
	}
	switch o.Fit {
	case "", FitStretch, FitCrop, FitPad:
	default:
		return fmt.Errorf("fit %q: want stretch, crop or pad", o.Fit)
	}
	switch o.Layout {
	case "", NHWC, NCHW:
	default:
		return fmt.Errorf("layout %q: want NHWC or NCHW", o.Layout)
	}
	if (o.Mean == nil) != (o.Std == nil) {
		return fmt.Errorf("give both mean and std")
	}
	if o.Raw && o.Mean != nil {
		return fmt.Errorf("raw and mean/std exclude each other")
	}
	return checkNorm(o.Mean, o.Std, 3)
}

func checkNorm(mean, std []float32, channels int) error {
	if mean == nil && std == nil {
		return nil
	}
	for _, v := range [][]float32{mean, std} {
		if len(v) != 1 && len(v) != channels {
			return fmt.Errorf("normalization needs 1 or %d values, has %d", channels, len(v))
		}
	}
	for _, s := range std {
		if !(s > 0 || s < 0) {
			return fmt.Errorf("normalization std %v is not a non-zero number", s)
		}
	}
	for _, m := range mean {
		if m != m {
			return fmt.Errorf("normalization mean is NaN")
		}
	}
	return nil
}

// IsImageInput reports whether an input can take an image: rank 3 or 4,
// with 1 or 3 channels in the last (or, for rank 4, the second)
// dimension, of a dtype SpecFor supports.
func IsImageInput(in tflite.TensorSpec) bool {
	_, err := SpecFor(in, nil, nil)
	return err == nil
}

// SpecFor decides how to feed an image to input in: its shape gives size,
// channels and layout; then ov (may be nil), else the metadata md (may be
// nil), else the defaults in the package comment give the normalization.
func SpecFor(in tflite.TensorSpec, md *metadata.TensorMetadata, ov *Override) (Spec, error) {
	if err := ov.Validate(); err != nil {
		return Spec{}, fmt.Errorf("%w: %s: %v", ErrSpec, in.Name, err)
	}
	s := Spec{DType: in.DType, Quant: in.Quant, Fit: FitStretch, Layout: NHWC}
	shape := in.Shape
	switch len(shape) {
	case 4:
		s.Batch = true
		if shape[0] != 1 && shape[0] != -1 {
			return Spec{}, fmt.Errorf("%w: input %q has batch %d; an image fills batch 1", ErrSpec, in.Name, shape[0])
		}
		shape = shape[1:]
	case 3:
	default:
		return Spec{}, fmt.Errorf("%w: input %q has shape %s, not an image (H×W×C)", ErrSpec, in.Name, in.Shape)
	}
	isCh := func(d int) bool { return d == 1 || d == 3 }
	nchw := isCh(shape[0]) && !isCh(shape[2])
	if ov != nil && ov.Layout != "" {
		nchw = ov.Layout == NCHW
	}
	if nchw {
		s.Layout = NCHW
		s.Channels, s.Height, s.Width = shape[0], shape[1], shape[2]
	} else {
		s.Height, s.Width, s.Channels = shape[0], shape[1], shape[2]
	}
	if !isCh(s.Channels) {
		return Spec{}, fmt.Errorf("%w: input %q has %d channels; images have 1 (gray) or 3 (RGB)", ErrSpec, in.Name, s.Channels)
	}
	if (s.Height <= 0 || s.Width <= 0) && md != nil && md.Content.Image != nil {
		s.Height, s.Width = int(md.Content.Image.DefaultHeight), int(md.Content.Image.DefaultWidth)
	}
	if s.Height <= 0 || s.Width <= 0 || s.Height > 1<<14 || s.Width > 1<<14 {
		return Spec{}, fmt.Errorf("%w: input %q: image size %dx%d is unknown or out of range", ErrSpec, in.Name, s.Width, s.Height)
	}
	switch in.DType {
	case tensor.Float32:
		s.Normalize, s.Mean, s.Std = true, []float32{127.5}, []float32{127.5}
	case tensor.Uint8:
	case tensor.Int8, tensor.Int16:
		if in.Quant == nil || len(in.Quant.Scale) != 1 {
			return Spec{}, fmt.Errorf("%w: input %q is %s without one scale and zero point", ErrSpec, in.Name, in.DType)
		}
	default:
		return Spec{}, fmt.Errorf("%w: input %q is %s; images fill float32, uint8, int8 or int16 inputs", ErrSpec, in.Name, in.DType)
	}
	if md != nil && md.Normalization != nil && in.DType != tensor.Uint8 {
		if err := checkNorm(md.Normalization.Mean, md.Normalization.Std, s.Channels); err != nil {
			return Spec{}, fmt.Errorf("%w: input %q metadata: %v", ErrSpec, in.Name, err)
		}
		s.Normalize, s.Mean, s.Std = true, md.Normalization.Mean, md.Normalization.Std
	}
	if ov != nil {
		if ov.Fit != "" {
			s.Fit = ov.Fit
		}
		switch {
		case ov.Raw:
			s.Normalize, s.Mean, s.Std = false, nil, nil
		case ov.Mean != nil:
			if err := checkNorm(ov.Mean, ov.Std, s.Channels); err != nil {
				return Spec{}, fmt.Errorf("%w: input %q override: %v", ErrSpec, in.Name, err)
			}
			s.Normalize, s.Mean, s.Std = true, ov.Mean, ov.Std
		}
	}
	if s.Normalize && s.DType != tensor.Float32 && (s.Quant == nil || len(s.Quant.Scale) != 1 || !(s.Quant.Scale[0] > 0)) {
		return Spec{}, fmt.Errorf("%w: input %q: normalizing into %s needs one positive scale", ErrSpec, in.Name, s.DType)
	}
	return s, nil
}
