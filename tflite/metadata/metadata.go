package metadata

import (
	"errors"
	"fmt"
)

// ErrInvalid reports a metadata buffer or associated-file archive that is
// malformed or breaches a limit.
var ErrInvalid = errors.New("metadata: invalid")

// Limits on what one model's metadata may hold.
const (
	maxString = 1 << 20 // bytes in one string
	maxVector = 1 << 16 // entries in one vector
)

// ColorSpace is an image tensor's color space.
type ColorSpace uint8

// Color spaces (ColorSpaceType in the schema).
const (
	ColorUnknown   ColorSpace = 0
	ColorRGB       ColorSpace = 1
	ColorGrayscale ColorSpace = 2
)

func (c ColorSpace) String() string {
	switch c {
	case ColorRGB:
		return "RGB"
	case ColorGrayscale:
		return "GRAYSCALE"
	}
	return "UNKNOWN"
}

// FileType is the type of an associated file (AssociatedFileType).
type FileType uint8

// Associated file types.
const (
	FileUnknown                    FileType = 0
	FileDescriptions               FileType = 1
	FileTensorAxisLabels           FileType = 2
	FileTensorValueLabels          FileType = 3
	FileTensorAxisScoreCalibration FileType = 4
	FileVocabulary                 FileType = 5
	FileScannIndex                 FileType = 6
)

// ContentKind says what a tensor holds (the ContentProperties union).
type ContentKind uint8

// Content kinds.
const (
	ContentNone        ContentKind = 0
	ContentFeature     ContentKind = 1
	ContentImage       ContentKind = 2
	ContentBoundingBox ContentKind = 3
	ContentAudio       ContentKind = 4
)

// BoxType is how a bounding box is written (BoundingBoxType).
type BoxType uint8

// Bounding box types.
const (
	BoxUnknown    BoxType = 0
	BoxBoundaries BoxType = 1 // left, top, right, bottom
	BoxUpperLeft  BoxType = 2 // x, y, width, height
	BoxCenter     BoxType = 3 // center x, center y, width, height
)

// AssociatedFile names a file packed into the model's zip.
type AssociatedFile struct {
	Name        string
	Description string
	Type        FileType
	Locale      string
	Version     string
}

// ImageProperties describe an image tensor.
type ImageProperties struct {
	ColorSpace ColorSpace
	// DefaultWidth and DefaultHeight are the image size for dynamic
	// shapes; 0 when absent.
	DefaultWidth, DefaultHeight uint32
}

// BoundingBoxProperties describe a tensor of bounding boxes.
type BoundingBoxProperties struct {
	// Index orders the four box values; empty is the type's default order.
	Index []uint32
	Type  BoxType
	// Pixel is true for pixel coordinates, false for ratios in [0, 1].
	Pixel bool
}

// AudioProperties describe an audio tensor.
type AudioProperties struct {
	SampleRate, Channels uint32
}

// ValueRange is an inclusive range of dimensions.
type ValueRange struct{ Min, Max int32 }

// Content is what a tensor holds.
type Content struct {
	Kind        ContentKind
	Image       *ImageProperties       // Kind == ContentImage
	BoundingBox *BoundingBoxProperties // Kind == ContentBoundingBox
	Audio       *AudioProperties       // Kind == ContentAudio
	Range       *ValueRange            // nil: all dimensions but the batch
}

// Normalization is (x - Mean) / Std per channel; one value applies to
// every channel.
type Normalization struct {
	Mean, Std []float32
}

// Stats are a tensor's per-channel value bounds.
type Stats struct {
	Max, Min []float32
}

// TensorMetadata describes one input or output tensor.
type TensorMetadata struct {
	Name           string
	Description    string
	DimensionNames []string
	Content        Content
	// Normalization is the first NormalizationOptions process unit, or nil.
	Normalization *Normalization
	// ScoreThreshold is the ScoreThresholdingOptions global threshold, or
	// nil.
	ScoreThreshold *float32
	Stats          *Stats
	Files          []AssociatedFile
}

// Subgraph is the metadata of one subgraph.
type Subgraph struct {
	Name, Description string
	Inputs, Outputs   []TensorMetadata
	Files             []AssociatedFile
}

// Metadata is a parsed ModelMetadata table.
type Metadata struct {
	Name, Description, Version, Author, License, MinParserVersion string
	Subgraphs                                                     []Subgraph
	Files                                                         []AssociatedFile
}

// Parse parses a TFLITE_METADATA buffer. A buffer without the "M001"
// identifier, or with any offset, vector or string out of bounds, is an
// error wrapping ErrInvalid.
func Parse(buf []byte) (*Metadata, error) {
	if len(buf) < 8 {
		return nil, fmt.Errorf("%w: %d-byte metadata buffer is too short", ErrInvalid, len(buf))
	}
	if id := string(buf[4:8]); id != "M001" {
		return nil, fmt.Errorf("%w: file identifier %q, want \"M001\"", ErrInvalid, id)
	}
	r := &fbuf{b: buf}
	root := r.root("ModelMetadata")
	m := &Metadata{
		Name:             r.str(root, 0, "name"),
		Description:      r.str(root, 1, "description"),
		Version:          r.str(root, 2, "version"),
		Author:           r.str(root, 4, "author"),
		License:          r.str(root, 5, "license"),
		Files:            readFiles(r, root, 6),
		MinParserVersion: r.str(root, 7, "min_parser_version"),
	}
	for _, sg := range r.tables(root, 3, "subgraph_metadata") {
		s := Subgraph{
			Name:        r.str(sg, 0, "subgraph name"),
			Description: r.str(sg, 1, "subgraph description"),
			Files:       readFiles(r, sg, 4),
		}
		for _, t := range r.tables(sg, 2, "input_tensor_metadata") {
			s.Inputs = append(s.Inputs, readTensor(r, t))
		}
		for _, t := range r.tables(sg, 3, "output_tensor_metadata") {
			s.Outputs = append(s.Outputs, readTensor(r, t))
		}
		m.Subgraphs = append(m.Subgraphs, s)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, r.err)
	}
	return m, nil
}

func readFiles(r *fbuf, t tbl, id int) []AssociatedFile {
	var out []AssociatedFile
	for _, f := range r.tables(t, id, "associated_files") {
		out = append(out, AssociatedFile{
			Name:        r.str(f, 0, "file name"),
			Description: r.str(f, 1, "file description"),
			Type:        FileType(r.u8(f, 2, 0, "file type")),
			Locale:      r.str(f, 3, "file locale"),
			Version:     r.str(f, 4, "file version"),
		})
	}
	return out
}

// Union type tags (ContentProperties, ProcessUnitOptions).
const (
	unitNormalization     = 1
	unitScoreThresholding = 3
)

func readTensor(r *fbuf, t tbl) TensorMetadata {
	tm := TensorMetadata{
		Name:        r.str(t, 0, "tensor name"),
		Description: r.str(t, 1, "tensor description"),
		Files:       readFiles(r, t, 6),
	}
	if v := r.vector(t, 2, 4, "dimension_names"); v.n > 0 {
		if v.n > maxVector {
			r.fail("dimension_names: %d entries are over the limit", v.n)
		}
		for i := uint32(0); i < v.n && r.err == nil; i++ {
			tm.DimensionNames = append(tm.DimensionNames, r.elemString(v, i, "dimension name"))
		}
	}
	if c := r.table(t, 3, "content"); c.ok {
		kind := ContentKind(r.u8(c, 0, 0, "content_properties_type"))
		props := r.table(c, 1, "content_properties")
		tm.Content.Kind = kind
		switch kind {
		case ContentImage:
			ip := &ImageProperties{ColorSpace: ColorSpace(r.u8(props, 0, 0, "color_space"))}
			if sz := r.table(props, 1, "default_size"); sz.ok {
				ip.DefaultWidth = r.u32f(sz, 0, 0, "width")
				ip.DefaultHeight = r.u32f(sz, 1, 0, "height")
			}
			tm.Content.Image = ip
		case ContentBoundingBox:
			tm.Content.BoundingBox = &BoundingBoxProperties{
				Index: r.uints(props, 0, "bounding box index"),
				Type:  BoxType(r.u8(props, 1, 0, "bounding box type")),
				Pixel: r.u8(props, 2, 0, "coordinate_type") == 1,
			}
		case ContentAudio:
			tm.Content.Audio = &AudioProperties{
				SampleRate: r.u32f(props, 0, 0, "sample_rate"),
				Channels:   r.u32f(props, 1, 0, "channels"),
			}
		}
		if rg := r.table(c, 2, "range"); rg.ok {
			tm.Content.Range = &ValueRange{Min: r.i32f(rg, 0, 0, "range min"), Max: r.i32f(rg, 1, 0, "range max")}
		}
	}
	for _, pu := range r.tables(t, 4, "process_units") {
		kind := r.u8(pu, 0, 0, "options_type")
		opts := r.table(pu, 1, "options")
		switch {
		case kind == unitNormalization && tm.Normalization == nil:
			tm.Normalization = &Normalization{Mean: r.floats(opts, 0, "mean"), Std: r.floats(opts, 1, "std")}
		case kind == unitScoreThresholding && tm.ScoreThreshold == nil:
			th := r.f32f(opts, 0, 0, "global_score_threshold")
			tm.ScoreThreshold = &th
		}
	}
	if st := r.table(t, 5, "stats"); st.ok {
		tm.Stats = &Stats{Max: r.floats(st, 0, "stats max"), Min: r.floats(st, 1, "stats min")}
	}
	return tm
}
