package detection_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

var writeModels = flag.Bool("write-models", false, "rewrite testdata/postprocess/*/model.tflite and inputs (then regenerate the goldens, see testdata/postprocess/README)")

// ppCase is one tiny TFLite_Detection_PostProcess model.
type ppCase struct {
	name      string
	boxes     int
	classes   int  // num_classes
	bg        bool // class predictions carry a background column first
	quantized bool // uint8 box encodings and class predictions
	opts      map[string]any
}

func ppCases() []ppCase {
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"max_detections": 5, "max_classes_per_detection": 1, "nms_score_threshold": float32(0.3),
			"nms_iou_threshold": float32(0.5), "y_scale": float32(10), "x_scale": float32(10), "h_scale": float32(5), "w_scale": float32(5)}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	return []ppCase{
		{"fast_float_two_classes_each", 24, 3, true, false, base(map[string]any{"num_classes": 3, "max_classes_per_detection": 2})},
		{"fast_uint8_no_background", 24, 4, false, true, base(map[string]any{"num_classes": 4})},
		{"regular_float", 24, 3, true, false, base(map[string]any{"num_classes": 3, "use_regular_nms": true, "detections_per_class": 2, "max_detections": 6})},
		{"fast_float_few_above_threshold", 24, 3, true, false, base(map[string]any{"num_classes": 3, "nms_score_threshold": float32(0.97), "max_detections": 8})},
		{"regular_float_few_above_threshold", 24, 3, true, false, base(map[string]any{"num_classes": 3, "use_regular_nms": true, "nms_score_threshold": float32(0.95), "max_detections": 8})},
		{"regular_uint8", 30, 2, true, true, base(map[string]any{"num_classes": 2, "use_regular_nms": true, "detections_per_class": 4, "nms_iou_threshold": float32(0.3), "nms_score_threshold": float32(0.2)})},
	}
}

func f32le(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// build writes the case's model and inputs into dir.
func (c ppCase) build(t *testing.T, dir string, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	cw := c.classes
	if c.bg {
		cw++
	}
	anchors := make([]float32, 4*c.boxes)
	for i := 0; i < c.boxes; i++ {
		anchors[4*i], anchors[4*i+1] = r.Float32(), r.Float32()
		anchors[4*i+2], anchors[4*i+3] = 0.1+0.4*r.Float32(), 0.1+0.4*r.Float32()
	}
	b := tflitebuild.New()
	dt := tensor.Float32
	var qb, qs *tensor.Quant
	if c.quantized {
		dt = tensor.Uint8
		qb = &tensor.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{128}}
		qs = &tensor.Quant{Scale: []float32{1.0 / 256}, ZeroPoint: []int64{0}}
	}
	bx := b.Tensor("boxes", dt, []int{1, c.boxes, 4}, qb, nil)
	sc := b.Tensor("scores", dt, []int{1, c.boxes, cw}, qs, nil)
	var an int
	if c.quantized { // anchors have the box encodings' type
		aq := make([]uint8, len(anchors))
		for i, v := range anchors {
			aq[i] = uint8(math.Round(float64(v) * 255))
		}
		an = b.Const("anchors", []int{c.boxes, 4}, &tensor.Quant{Scale: []float32{1.0 / 255}, ZeroPoint: []int64{0}}, aq)
	} else {
		an = b.Const("anchors", []int{c.boxes, 4}, nil, anchors)
	}
	o, _ := c.opts["max_detections"].(int)
	per, _ := c.opts["max_classes_per_detection"].(int)
	d := o * per
	outs := []int{
		b.Tensor("detection_boxes", tensor.Float32, []int{1, d, 4}, nil, nil),
		b.Tensor("detection_classes", tensor.Float32, []int{1, d}, nil, nil),
		b.Tensor("detection_scores", tensor.Float32, []int{1, d}, nil, nil),
		b.Tensor("num_detections", tensor.Float32, []int{1}, nil, nil),
	}
	opts, err := tflitebuild.FlexMap(c.opts)
	if err != nil {
		t.Fatal(err)
	}
	b.CustomOp("TFLite_Detection_PostProcess", []int{bx, sc, an}, outs, opts)
	b.Inputs(bx, sc)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, v *tensor.Tensor) {
		var buf bytes.Buffer
		if err := tensor.WriteNpy(&buf, v); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "model.tflite"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	nb, ns := 4*c.boxes, c.boxes*cw
	if c.quantized {
		bq, sq := make([]byte, nb), make([]byte, ns)
		for i := range bq {
			bq[i] = byte(108 + r.IntN(41))
		}
		for i := range sq {
			sq[i] = byte(r.IntN(256))
		}
		write("in0.npy", &tensor.Tensor{DType: tensor.Uint8, Shape: tensor.Shape{1, c.boxes, 4}, Data: bq})
		write("in1.npy", &tensor.Tensor{DType: tensor.Uint8, Shape: tensor.Shape{1, c.boxes, cw}, Data: sq})
		return
	}
	bf, sf := make([]float32, nb), make([]float32, ns)
	for i := range bf {
		bf[i] = r.Float32() - 0.5
	}
	for i := range sf {
		sf[i] = r.Float32()
	}
	write("in0.npy", &tensor.Tensor{DType: tensor.Float32, Shape: tensor.Shape{1, c.boxes, 4}, Data: f32le(bf)})
	write("in1.npy", &tensor.Tensor{DType: tensor.Float32, Shape: tensor.Shape{1, c.boxes, cw}, Data: f32le(sf)})
}

func readNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := tensor.ReadNpy(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPostProcessGolden runs tiny TFLite_Detection_PostProcess models
// (fast and regular NMS, float and uint8 inputs, with and without a
// background class, one and two classes per detection) and requires
// stock TensorFlow Lite's outputs bit for bit (testdata/postprocess,
// see its README).
func TestPostProcessGolden(t *testing.T) {
	for i, c := range ppCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "postprocess", c.name)
			if *writeModels {
				c.build(t, dir, uint64(i)+1)
			}
			m, err := tflite.LoadFile(filepath.Join(dir, "model.tflite"))
			if err != nil {
				t.Fatal(err)
			}
			ins := []*tensor.Tensor{readNpy(t, filepath.Join(dir, "in0.npy")), readNpy(t, filepath.Join(dir, "in1.npy"))}
			out, err := m.NewRunner().Run(t.Context(), ins)
			if err != nil {
				t.Fatal(err)
			}
			for k := range out {
				want := readNpy(t, filepath.Join(dir, fmt.Sprintf("expect%d.npy", k)))
				if !slices.Equal(out[k].Float32s(), want.Float32s()) {
					t.Fatalf("output %d = %v\nTensorFlow Lite %v", k, out[k].Float32s(), want.Float32s())
				}
			}
		})
	}
}

// TestPostProcessRejects loads models whose options or inputs TensorFlow
// Lite would refuse or misread: each fails to load with a clear error.
func TestPostProcessRejects(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{"max_detections": 5, "max_classes_per_detection": 1, "num_classes": 3, "nms_score_threshold": float32(0.3),
			"nms_iou_threshold": float32(0.5), "y_scale": float32(10), "x_scale": float32(10), "h_scale": float32(5), "w_scale": float32(5)}
	}
	tests := []struct {
		name     string
		edit     func(map[string]any)
		scoresW  int
		anchorDT tensor.DType
		want     error
	}{
		{"no max detections", func(m map[string]any) { delete(m, "max_detections") }, 4, tensor.Float32, tflite.ErrInvalidModel},
		{"iou zero", func(m map[string]any) { m["nms_iou_threshold"] = float32(0) }, 4, tensor.Float32, tflite.ErrInvalidModel},
		{"iou above one", func(m map[string]any) { m["nms_iou_threshold"] = float32(1.5) }, 4, tensor.Float32, tflite.ErrInvalidModel},
		{"zero scale", func(m map[string]any) { m["h_scale"] = float32(0) }, 4, tensor.Float32, tflite.ErrInvalidModel},
		{"no classes", func(m map[string]any) { m["num_classes"] = 0 }, 4, tensor.Float32, tflite.ErrInvalidModel},
		{"too many detections", func(m map[string]any) { m["max_detections"] = 1 << 20 }, 4, tensor.Float32, tflite.ErrInvalidModel},
		{"classes mismatch", func(map[string]any) {}, 6, tensor.Float32, tflite.ErrInvalidModel},
		{"anchors type", func(map[string]any) {}, 4, tensor.Uint8, tflite.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.edit(m)
			opts, err := tflitebuild.FlexMap(m)
			if err != nil {
				t.Fatal(err)
			}
			b := tflitebuild.New()
			bx := b.Tensor("boxes", tensor.Float32, []int{1, 8, 4}, nil, nil)
			sc := b.Tensor("scores", tensor.Float32, []int{1, 8, tc.scoresW}, nil, nil)
			var an int
			if tc.anchorDT == tensor.Uint8 {
				an = b.Const("anchors", []int{8, 4}, &tensor.Quant{Scale: []float32{0.01}, ZeroPoint: []int64{0}}, make([]uint8, 32))
			} else {
				an = b.Const("anchors", []int{8, 4}, nil, make([]float32, 32))
			}
			var outs []int
			for k := range 4 {
				outs = append(outs, b.Tensor(fmt.Sprint("out", k), tensor.Float32, nil, nil, nil))
			}
			b.CustomOp("TFLite_Detection_PostProcess", []int{bx, sc, an}, outs, opts)
			b.Inputs(bx, sc)
			b.Outputs(outs...)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tflite.Load(data); !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
		})
	}
}
