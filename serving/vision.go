package serving

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/metadata"
)

// ModelIO is what a model file says about feeding it and reading it: its
// TFLite Model Metadata and the labels of its outputs. Immutable; safe for
// concurrent use.
type ModelIO struct {
	meta    *metadata.Model
	inputs  []tflite.TensorSpec
	outputs []tflite.TensorSpec
	labels  [][]string // per output; nil where none
	// detect holds the output indices of a TFLite_Detection_PostProcess
	// model (boxes, classes, scores, count), or nil.
	detect []int
}

// NewModelIO reads the metadata and associated files of a model file whose
// loaded signature is inputs and outputs. labelsTxt, when not nil, is a
// labels.txt found beside the model: it labels the classification output
// (or a detector's classes) that the metadata leaves unlabelled.
func NewModelIO(file []byte, inputs, outputs []tflite.TensorSpec, labelsTxt []byte) (*ModelIO, error) {
	mio := &ModelIO{inputs: inputs, outputs: outputs, labels: make([][]string, len(outputs))}
	if file != nil {
		md, err := metadata.Read(file, metadata.Limits{})
		if err != nil {
			return nil, err
		}
		mio.meta = md
		for i := range outputs {
			l, _, err := md.OutputLabels(i, "")
			if err != nil {
				return nil, err
			}
			mio.labels[i] = l
		}
	}
	mio.detect = detectionOutputs(outputs)
	if labelsTxt != nil {
		l, err := metadata.ParseLabels(labelsTxt)
		if err != nil {
			return nil, err
		}
		target := -1
		if mio.detect != nil {
			target = mio.detect[1]
		} else if cls := mio.classOutputs(); len(cls) == 1 {
			target = cls[0]
		}
		if target >= 0 && mio.labels[target] == nil {
			mio.labels[target] = l
		}
	}
	return mio, nil
}

// detectionOutputs recognises TFLite_Detection_PostProcess outputs: four
// float32 tensors [1,N,4] boxes, [1,N] classes, [1,N] scores, [1] count.
func detectionOutputs(outs []tflite.TensorSpec) []int {
	if len(outs) != 4 {
		return nil
	}
	for _, o := range outs {
		if o.DType != tensor.Float32 {
			return nil
		}
	}
	s := func(i int) tensor.Shape { return outs[i].Shape }
	if len(s(0)) != 3 || s(0)[2] != 4 || len(s(1)) != 2 || len(s(2)) != 2 || len(s(3)) != 1 {
		return nil
	}
	if s(1)[1] != s(0)[1] || s(2)[1] != s(0)[1] {
		return nil
	}
	return []int{0, 1, 2, 3}
}

// classOutputs returns the outputs that hold class scores: those with
// labels, or, when none has, every rank-2 [batch, classes] output of a
// single-output model.
func (mio *ModelIO) classOutputs() []int {
	var out []int
	for i, o := range mio.outputs {
		if mio.labels[i] != nil && mio.detect == nil && len(o.Shape) == 2 {
			out = append(out, i)
		}
	}
	if out == nil && mio.detect == nil && len(mio.outputs) == 1 && len(mio.outputs[0].Shape) == 2 && mio.outputs[0].Shape[1] > 1 {
		out = []int{0}
	}
	return out
}

// Labels returns the labels of output i, or nil.
func (mio *ModelIO) Labels(i int) []string {
	if i < 0 || i >= len(mio.labels) {
		return nil
	}
	return mio.labels[i]
}

// Metadata returns the model's metadata (Metadata nil when it has none).
func (mio *ModelIO) Metadata() *metadata.Model { return mio.meta }

// IsDetector reports whether the model's outputs are those of
// TFLite_Detection_PostProcess.
func (mio *ModelIO) IsDetector() bool { return mio.detect != nil }

// ImageSpec returns how an image fills input i (see preprocess.SpecFor).
func (mio *ModelIO) ImageSpec(i int, ov *preprocess.Override) (preprocess.Spec, error) {
	if i < 0 || i >= len(mio.inputs) {
		return preprocess.Spec{}, fmt.Errorf("%w: no input %d", ErrInvalid, i)
	}
	return preprocess.SpecFor(mio.inputs[i], mio.meta.Input(i), ov)
}

// ImageInfo is what serving keeps of an image it turned into an input: its
// size as displayed and where it went in the input.
type ImageInfo struct {
	Width, Height int
	Placement     preprocess.Placement
	InputW        int // the input's width and height in pixels
	InputH        int
}

// Images decodes encoded images (one per batch row) into input i.
func (mio *ModelIO) Images(i int, imgs [][]byte, ov *preprocess.Override, lim preprocess.Limits) (*tensor.Tensor, []ImageInfo, error) {
	if len(imgs) == 0 {
		return nil, nil, fmt.Errorf("%w: no image", ErrInvalid)
	}
	spec, err := mio.ImageSpec(i, ov)
	if err != nil {
		return nil, nil, imageError(err, lim)
	}
	if len(imgs) > 1 && !spec.Batch {
		return nil, nil, fmt.Errorf("%w: input %q takes one image, got %d", ErrInvalid, mio.inputs[i].Name, len(imgs))
	}
	var rows []*tensor.Tensor
	infos := make([]ImageInfo, len(imgs))
	for k, b := range imgs {
		im, err := preprocess.Decode(b, lim)
		if err != nil {
			return nil, nil, imageError(fmt.Errorf("image %d: %w", k, err), lim)
		}
		t, pl, err := preprocess.Tensor(im, spec)
		if err != nil {
			return nil, nil, imageError(err, lim)
		}
		infos[k] = ImageInfo{Width: im.Width, Height: im.Height, Placement: pl, InputW: spec.Width, InputH: spec.Height}
		rows = append(rows, t)
	}
	t := rows[0]
	if len(rows) > 1 {
		shape := t.Shape.Clone()
		shape[0] = len(rows)
		data := make([]byte, 0, len(t.Data)*len(rows))
		for _, r := range rows {
			data = append(data, r.Data...)
		}
		t = &tensor.Tensor{DType: t.DType, Shape: shape, Quant: t.Quant, Data: data}
	}
	t.Name = mio.inputs[i].Name
	return t, infos, nil
}

// imageError maps preprocess errors to the serving sentinels.
func imageError(err error, lim preprocess.Limits) error {
	switch {
	case errors.Is(err, preprocess.ErrTooLarge):
		return fmt.Errorf("%w (%w)", &LimitError{Limit: "MaxImagePixels", Max: lim.MaxPixels}, err)
	case errors.Is(err, preprocess.ErrImage), errors.Is(err, preprocess.ErrSpec), errors.Is(err, preprocess.ErrQuant):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}

// Class is one labelled score.
type Class struct {
	Index int     `json:"index"`
	Label string  `json:"label,omitempty"`
	Score float32 `json:"score"`
}

// TopK returns the k highest scores of each row of a [batch, classes]
// output (dequantized with q when quantized), highest first (ties: lower
// index first), labelled from labels when it has an entry for the index.
func TopK(t *tensor.Tensor, q *tensor.Quant, labels []string, k int) ([][]Class, error) {
	if len(t.Shape) != 2 && len(t.Shape) != 1 {
		return nil, fmt.Errorf("%w: output %q has shape %s; top-k needs [batch, classes]", ErrInvalid, t.Name, t.Shape)
	}
	vals, err := realValues(t, q)
	if err != nil {
		return nil, err
	}
	rows, n := 1, t.Shape[len(t.Shape)-1]
	if len(t.Shape) == 2 {
		rows = t.Shape[0]
	}
	if n == 0 {
		return make([][]Class, rows), nil
	}
	k = min(max(k, 1), n)
	out := make([][]Class, rows)
	idx := make([]int, n)
	for r := range rows {
		row := vals[r*n : (r+1)*n]
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(row[b], row[a]) })
		cs := make([]Class, k)
		for j := range k {
			cs[j] = Class{Index: idx[j], Score: row[idx[j]]}
			if idx[j] < len(labels) {
				cs[j].Label = labels[idx[j]]
			}
		}
		out[r] = cs
	}
	return out, nil
}

// realValues returns t's values as float32, dequantized with q.
func realValues(t *tensor.Tensor, q *tensor.Quant) ([]float32, error) {
	switch {
	case t.DType == tensor.Float32:
		return t.Float32s(), nil
	case preprocess.IsQuantized(t.DType, q):
		d, err := preprocess.Dequantize(t, q)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return d.Float32s(), nil
	}
	n := t.Shape.Elements()
	out := make([]float32, max(n, 0))
	for i := range out {
		out[i] = float32(t.AsFloat64(i))
	}
	return out, nil
}

// Detection is one detected object in image pixel coordinates (or the
// input's [0, 1] coordinates when the input was not an image).
type Detection struct {
	Label string     `json:"label,omitempty"`
	Class int        `json:"class"`
	Score float32    `json:"score"`
	Box   [4]float64 `json:"box"` // xmin, ymin, xmax, ymax
}

// Detections reads TFLite_Detection_PostProcess outputs (boxes as ymin,
// xmin, ymax, xmax in [0, 1] of the input) of batch row 0. With an image
// the boxes are converted to its pixels and clipped to it.
func (mio *ModelIO) Detections(outs []*tensor.Tensor, img *ImageInfo, minScore float32) ([]Detection, error) {
	if mio.detect == nil || len(outs) != len(mio.outputs) {
		return nil, fmt.Errorf("%w: not a detection model", ErrInvalid)
	}
	boxes, classes, scores, count := outs[mio.detect[0]], outs[mio.detect[1]], outs[mio.detect[2]], outs[mio.detect[3]]
	for _, t := range []*tensor.Tensor{boxes, classes, scores, count} {
		if t.DType != tensor.Float32 || t.Validate() != nil {
			return nil, fmt.Errorf("%w: detection output %q is not float32", ErrInvalid, t.Name)
		}
	}
	n := len(scores.Float32s())
	if c := count.Float32s(); len(c) > 0 && c[0] >= 0 && int(c[0]) < n {
		n = int(c[0])
	}
	n = min(n, len(classes.Float32s()), len(boxes.Float32s())/4)
	labels := mio.labels[mio.detect[1]]
	var out []Detection
	for i := range n {
		s := scores.Float32s()[i]
		if !(s >= minScore) {
			continue
		}
		c := classes.Float32s()[i]
		d := Detection{Class: int(c), Score: s}
		if c >= 0 && int(c) < len(labels) {
			d.Label = labels[int(c)]
		}
		b := boxes.Float32s()[4*i : 4*i+4]
		ymin, xmin, ymax, xmax := float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
		d.Box = [4]float64{xmin, ymin, xmax, ymax}
		if img != nil {
			x0, y0 := img.Placement.ToImage(xmin*float64(img.InputW), ymin*float64(img.InputH))
			x1, y1 := img.Placement.ToImage(xmax*float64(img.InputW), ymax*float64(img.InputH))
			clip := func(v float64, hi int) float64 { return math.Round(min(max(v, 0), float64(hi))*100) / 100 }
			d.Box = [4]float64{clip(x0, img.Width), clip(y0, img.Height), clip(x1, img.Width), clip(y1, img.Height)}
		}
		out = append(out, d)
	}
	return out, nil
}
