package detection

import (
	"math"

	"github.com/edgeinfer/edgeinfer/tensor"
	kdet "github.com/edgeinfer/edgeinfer/tflite/kernels/detection"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Register adds the detection custom operators to r.
func Register(r *op.Resolver) {
	r.Add("CUSTOM:TFLite_Detection_PostProcess", PreparePostProcess)
	r.Add("CUSTOM:PosenetDecoderOp", PreparePosenetDecoder)
	r.Add("NON_MAX_SUPPRESSION_V4", prepareNMS(false))
	r.Add("NON_MAX_SUPPRESSION_V5", prepareNMS(true))
}

// Limits on what the options may ask for.
const (
	maxDetections = 1 << 16
	maxClasses    = 1 << 16
)

// state is one Runner's scratch: the kernel's work buffers and the
// dequantized inputs.
type state struct {
	work                   *kdet.Work
	boxes, scores, anchors []float32
}

// PreparePostProcess prepares TFLite_Detection_PostProcess: inputs box
// encodings [1, N, ≥4], class predictions [1, N, C] (C = num_classes, or
// one more with the background first) and anchors [N, 4] of the box
// encodings' type, each float32 or uint8 quantized per tensor; outputs (float32) detection boxes
// [1, D, 4], classes [1, D], scores [1, D] and the number of detections
// [1], with D = max_detections · max_classes_per_detection.
func PreparePostProcess(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(3, 3, 4); err != nil {
		return op.Kernel{}, err
	}
	opts, err := op.ParseFlexMap(n.CustomOptions)
	if err != nil {
		return op.Kernel{}, n.Invalidf("custom options: %v", err)
	}
	var p kdet.Params
	ints := []struct {
		key string
		def int
		dst *int
	}{
		{"max_detections", 0, &p.MaxDetections},
		{"max_classes_per_detection", 0, &p.MaxClassesPerDetection},
		{"detections_per_class", 100, &p.DetectionsPerClass},
		{"num_classes", 0, &p.NumClasses},
	}
	for _, o := range ints {
		v, ok := opts.Int(o.key, o.def)
		if !ok {
			return op.Kernel{}, n.Invalidf("option %s is not an integer", o.key)
		}
		*o.dst = v
	}
	floats := []struct {
		key string
		dst *float32
	}{
		{"nms_score_threshold", &p.ScoreThreshold}, {"nms_iou_threshold", &p.IOUThreshold},
		{"y_scale", &p.YScale}, {"x_scale", &p.XScale}, {"h_scale", &p.HScale}, {"w_scale", &p.WScale},
	}
	for _, o := range floats {
		v, ok := opts.Float(o.key, 0)
		if !ok || math.IsNaN(float64(v)) {
			return op.Kernel{}, n.Invalidf("option %s is not a number", o.key)
		}
		*o.dst = v
	}
	if p.RegularNMS, err = boolOpt(opts, "use_regular_nms"); err != nil {
		return op.Kernel{}, n.Invalidf("%v", err)
	}
	switch {
	case p.MaxDetections < 1 || p.MaxDetections > maxDetections:
		return op.Kernel{}, n.Invalidf("max_detections %d outside [1, %d]", p.MaxDetections, maxDetections)
	case p.MaxClassesPerDetection < 1 || p.MaxClassesPerDetection > maxClasses:
		return op.Kernel{}, n.Invalidf("max_classes_per_detection %d outside [1, %d]", p.MaxClassesPerDetection, maxClasses)
	case p.DetectionsPerClass < 1:
		return op.Kernel{}, n.Invalidf("detections_per_class %d is not positive", p.DetectionsPerClass)
	case p.NumClasses < 1 || p.NumClasses > maxClasses:
		return op.Kernel{}, n.Invalidf("num_classes %d outside [1, %d]", p.NumClasses, maxClasses)
	case !(p.IOUThreshold > 0 && p.IOUThreshold <= 1):
		return op.Kernel{}, n.Invalidf("nms_iou_threshold %v outside (0, 1]", p.IOUThreshold)
	case p.YScale == 0 || p.XScale == 0 || p.HScale == 0 || p.WScale == 0:
		return op.Kernel{}, n.Invalidf("box scales %v %v %v %v include zero", p.YScale, p.XScale, p.HScale, p.WScale)
	}
	if int64(p.MaxDetections)*int64(p.MaxClassesPerDetection) > maxDetections {
		return op.Kernel{}, n.Invalidf("%d detections of %d classes each is over the limit %d", p.MaxDetections, p.MaxClassesPerDetection, maxDetections)
	}
	boxes, classes, anchors := n.Inputs[0], n.Inputs[1], n.Inputs[2]
	if len(boxes.Shape) != 3 || boxes.Shape[0] != 1 || boxes.Shape[2] < 4 {
		return op.Kernel{}, n.Errorf("box encodings %v: want [1, boxes, ≥4]", boxes.Shape)
	}
	p.NumBoxes = boxes.Shape[1]
	if len(classes.Shape) != 3 || classes.Shape[0] != 1 || classes.Shape[1] != p.NumBoxes {
		return op.Kernel{}, n.Invalidf("class predictions %v do not match %d boxes", classes.Shape, p.NumBoxes)
	}
	p.ClassesWithBackground = classes.Shape[2]
	if bg := p.ClassesWithBackground - p.NumClasses; bg != 0 && bg != 1 {
		return op.Kernel{}, n.Invalidf("class predictions have %d classes for num_classes %d", p.ClassesWithBackground, p.NumClasses)
	}
	if len(anchors.Shape) != 2 || anchors.Shape[0] != p.NumBoxes || anchors.Shape[1] != 4 {
		return op.Kernel{}, n.Invalidf("anchors %v: want [%d, 4]", anchors.Shape, p.NumBoxes)
	}
	if p.NumBoxes < 1 {
		return op.Kernel{}, n.Invalidf("no boxes")
	}
	// TensorFlow Lite decodes the anchors as the box encodings' type.
	if boxes.DType != tensor.Float32 && boxes.DType != tensor.Uint8 {
		return op.Kernel{}, n.Errorf("box encodings of type %s are not supported", boxes.DType)
	}
	if anchors.DType != boxes.DType {
		return op.Kernel{}, n.Errorf("anchors are %s, box encodings %s: they must have the same type", anchors.DType, boxes.DType)
	}
	if classes.DType != tensor.Float32 && classes.DType != tensor.Uint8 {
		return op.Kernel{}, n.Errorf("class predictions of type %s are not supported", classes.DType)
	}
	encStride := boxes.Shape[2]
	deqBoxes, err := dequantizer(n, boxes, "box encodings")
	if err != nil {
		return op.Kernel{}, err
	}
	// 8-bit encodings decode from their codes (kdet.RunCodes): the
	// decode's terms once per code, no dequantized copy.
	var codes *kdet.BoxCodes
	if boxes.DType != tensor.Float32 {
		tbl, err := codeTable(n, boxes, "box encodings")
		if err != nil {
			return op.Kernel{}, err
		}
		codes = kdet.NewBoxCodes(&p, tbl)
	}
	deqScores, err := dequantizer(n, classes, "class predictions")
	if err != nil {
		return op.Kernel{}, err
	}
	deqAnchors, err := dequantizer(n, anchors, "anchors")
	if err != nil {
		return op.Kernel{}, err
	}
	var constAnchors []float32
	if anchors.IsConst() {
		constAnchors = make([]float32, 4*p.NumBoxes)
		deqAnchors(anchors.ConstTensor(), constAnchors, 4, 4)
	}
	d := p.Outputs()
	shapes := []tensor.Shape{{1, d, 4}, {1, d}, {1, d}, {1}}
	for i, o := range n.Outputs {
		if o.DType != tensor.Float32 {
			return op.Kernel{}, n.Errorf("output %d is %s, want float32", i, o.DType)
		}
		o.Shape = shapes[i]
	}
	params := p
	newState := func() any {
		s := &state{work: kdet.NewWork(&params), boxes: make([]float32, 4*params.NumBoxes), anchors: constAnchors}
		if classes.DType != tensor.Float32 {
			s.scores = make([]float32, params.NumBoxes*params.ClassesWithBackground)
		}
		if s.anchors == nil {
			s.anchors = make([]float32, 4*params.NumBoxes)
		}
		return s
	}
	return op.Kernel{
		NewState: newState,
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, ok := x.State.(*state)
			if !ok {
				s = newState().(*state)
			}
			if codes == nil {
				deqBoxes(in[0], s.boxes, encStride, 4)
			}
			scores := s.scores
			if scores == nil {
				scores = in[1].Float32s()
			} else {
				deqScores(in[1], scores, params.ClassesWithBackground, params.ClassesWithBackground)
			}
			if constAnchors == nil {
				deqAnchors(in[2], s.anchors, 4, 4)
			}
			var num int
			var err error
			if codes != nil {
				num, err = kdet.RunCodes(&params, s.work, codes, in[0].Data, encStride, s.anchors, scores, out[0].Float32s(), out[1].Float32s(), out[2].Float32s())
			} else {
				num, err = kdet.Run(&params, s.work, s.boxes, s.anchors, scores, out[0].Float32s(), out[1].Float32s(), out[2].Float32s())
			}
			if err != nil {
				return n.Invalidf("%v", err)
			}
			out[3].Float32s()[0] = float32(num)
			return nil
		},
	}, nil
}

func boolOpt(m op.FlexMap, key string) (bool, error) {
	v, ok := m.Bool(key, false)
	if !ok {
		return false, &optError{key}
	}
	return v, nil
}

type optError struct{ key string }

func (e *optError) Error() string { return "option " + e.key + " is not a bool" }

// dequantizer returns the function that copies the first take of every
// stride values of a tensor into dst as float32: as they are, or
// (q − zero point)·scale in float32 as TensorFlow Lite's Dequantizer does.
func dequantizer(n *op.Node, t *op.TensorInfo, what string) (func(src *tensor.Tensor, dst []float32, stride, take int), error) {
	if t.DType == tensor.Float32 {
		return func(src *tensor.Tensor, dst []float32, stride, take int) {
			v := src.Float32s()
			for i := 0; i < len(dst)/take; i++ {
				copy(dst[i*take:(i+1)*take], v[i*stride:i*stride+take])
			}
		}, nil
	}
	if t.DType != tensor.Uint8 && t.DType != tensor.Int8 {
		return nil, n.Errorf("%s of type %s are not supported", what, t.DType)
	}
	tbl, err := codeTable(n, t, what)
	if err != nil {
		return nil, err
	}
	if t.DType == tensor.Uint8 {
		return func(src *tensor.Tensor, dst []float32, stride, take int) {
			lookup(src.Uint8s(), dst, stride, take, tbl)
		}, nil
	}
	return func(src *tensor.Tensor, dst []float32, stride, take int) {
		lookup(src.Int8s(), dst, stride, take, tbl)
	}, nil
}

// codeTable returns the float32 values of the 256 codes of the 8-bit
// tensor t, indexed by the code's byte: (q − zero point)·scale in float32
// as TensorFlow Lite's Dequantizer computes them.
func codeTable(n *op.Node, t *op.TensorInfo, what string) (*[256]float32, error) {
	scale, zp, ok := t.Scale()
	if !ok || !(scale > 0) || math.IsInf(scale, 0) {
		return nil, n.Errorf("%s must be quantized per tensor with a positive scale", what)
	}
	s, z := float32(scale), float32(zp)
	var tbl [256]float32
	for q := range 256 {
		v := float32(q)
		if t.DType == tensor.Int8 {
			v = float32(int8(q))
		}
		tbl[q] = (v - z) * s
	}
	return &tbl, nil
}

// lookup sets dst to tbl's values for the first take of every stride
// codes of v, the code's byte indexing tbl.
func lookup[T uint8 | int8](v []T, dst []float32, stride, take int, tbl *[256]float32) {
	if stride == take {
		for i, q := range v[:len(dst)] {
			dst[i] = tbl[uint8(q)]
		}
		return
	}
	for i := 0; i < len(dst)/take; i++ {
		row := v[i*stride : i*stride+take]
		out := dst[i*take : i*take+take]
		for k, q := range row {
			out[k] = tbl[uint8(q)]
		}
	}
}
