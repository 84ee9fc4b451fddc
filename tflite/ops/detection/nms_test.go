package detection_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// nmsCase is one tiny NON_MAX_SUPPRESSION_V4/V5 model over float32
// boxes [N, 4] and scores [N] given as inputs.
type nmsCase struct {
	name              string
	soft              bool
	boxes, maxOut     int
	iou, score, sigma float32
	empty             int // boxes with zero area (corners equal in y)
}

func nmsCases() []nmsCase {
	return []nmsCase{
		{name: "v4_overlapping", boxes: 40, maxOut: 12, iou: 0.4, score: 0.2},
		{name: "v4_limit", boxes: 40, maxOut: 3, iou: 0.6, score: 0},
		{name: "v4_high_threshold", boxes: 30, maxOut: 10, iou: 0.5, score: 0.9},
		{name: "v4_empty_boxes", boxes: 12, maxOut: 8, iou: 0.5, score: 0.1, empty: 2},
		{name: "v5_soft", soft: true, boxes: 30, maxOut: 10, iou: 0.9, score: 0.1, sigma: 0.5},
	}
}

func (c nmsCase) model(t *testing.T) []byte {
	t.Helper()
	b := tflitebuild.New()
	bx := b.Tensor("boxes", tensor.Float32, []int{c.boxes, 4}, nil, nil)
	sc := b.Tensor("scores", tensor.Float32, []int{c.boxes}, nil, nil)
	ins := []int{bx, sc, b.Const("max_output_size", []int{}, nil, []int32{int32(c.maxOut)}),
		b.Const("iou_threshold", []int{}, nil, []float32{c.iou}), b.Const("score_threshold", []int{}, nil, []float32{c.score})}
	outs := []int{b.Tensor("selected", tensor.Int32, []int{c.maxOut}, nil, nil)}
	name := "NON_MAX_SUPPRESSION_V4"
	if c.soft {
		name = "NON_MAX_SUPPRESSION_V5"
		ins = append(ins, b.Const("sigma", []int{}, nil, []float32{c.sigma}))
		outs = append(outs, b.Tensor("selected_scores", tensor.Float32, []int{c.maxOut}, nil, nil))
	}
	outs = append(outs, b.Tensor("count", tensor.Int32, []int{}, nil, nil))
	b.Op(name, ins, outs, nil)
	b.Inputs(bx, sc)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// inputs returns seeded boxes (centres in [0, 1), sides in [0.1, 0.4),
// corners in either order so that both are read as min and max) and
// scores in [0, 1).
func (c nmsCase) inputs(seed uint64) []*tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 11))
	boxes, scores := make([]float32, 4*c.boxes), make([]float32, c.boxes)
	for i := range c.boxes {
		cy, cx := r.Float32(), r.Float32()
		h, w := 0.1+0.3*r.Float32(), 0.1+0.3*r.Float32()
		if i < c.empty {
			h = 0
		}
		y0, x0, y1, x1 := cy-h/2, cx-w/2, cy+h/2, cx+w/2
		if r.IntN(2) == 0 {
			y0, y1 = y1, y0
		}
		copy(boxes[4*i:], []float32{y0, x0, y1, x1})
		scores[i] = r.Float32()
	}
	return []*tensor.Tensor{
		{DType: tensor.Float32, Shape: tensor.Shape{c.boxes, 4}, Data: f32le(boxes)},
		{DType: tensor.Float32, Shape: tensor.Shape{c.boxes}, Data: f32le(scores)},
	}
}

// TestNMSGolden runs tiny NON_MAX_SUPPRESSION_V4 and V5 models and
// requires stock TensorFlow Lite's outputs bit for bit (testdata/nms, see
// its README): overlapping boxes, a selection limit below the candidates,
// a score threshold few pass, boxes of zero area (TFLite selects such a
// box again when it comes back to its queue), and soft NMS.
func TestNMSGolden(t *testing.T) {
	for i, c := range nmsCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "nms", c.name)
			if *writeModels {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "model.tflite"), c.model(t), 0o644); err != nil {
					t.Fatal(err)
				}
				for k, x := range c.inputs(uint64(i) + 1) {
					writeNpy(t, filepath.Join(dir, fmt.Sprintf("in%d.npy", k)), x)
				}
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
				if want.DType != out[k].DType || !slices.Equal(want.Data, out[k].Data) {
					t.Fatalf("output %d = %v\nTensorFlow Lite %v", k, out[k], want)
				}
			}
		})
	}
}

func writeNpy(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tensor.WriteNpy(f, x); err != nil {
		t.Fatal(err)
	}
}

// TestNMSRejects loads NMS models TensorFlow Lite would refuse, or whose
// output size is not static: each fails to load with a clear error.
func TestNMSRejects(t *testing.T) {
	build := func(boxShape []int, maxOut any, scoreDT tensor.DType, outDT tensor.DType) []byte {
		b := tflitebuild.New()
		bx := b.Tensor("boxes", tensor.Float32, boxShape, nil, nil)
		sc := b.Tensor("scores", scoreDT, []int{boxShape[0]}, nil, nil)
		var mo int
		switch v := maxOut.(type) {
		case int32:
			mo = b.Const("max", []int{}, nil, []int32{v})
		default:
			mo = b.Tensor("max", tensor.Int32, []int{}, nil, nil)
		}
		ins := []int{bx, sc, mo, b.Const("iou", []int{}, nil, []float32{0.5}), b.Const("score", []int{}, nil, []float32{0})}
		outs := []int{b.Tensor("sel", outDT, nil, nil, nil), b.Tensor("n", tensor.Int32, nil, nil, nil)}
		b.Op("NON_MAX_SUPPRESSION_V4", ins, outs, nil)
		if _, ok := maxOut.(int32); ok {
			b.Inputs(bx, sc)
		} else {
			b.Inputs(bx, sc, mo)
		}
		b.Outputs(outs...)
		data, err := b.UncheckedBytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"boxes of 3", build([]int{5, 3}, int32(2), tensor.Float32, tensor.Int32), tflite.ErrInvalidModel},
		{"negative max", build([]int{5, 4}, int32(-1), tensor.Float32, tensor.Int32), tflite.ErrInvalidModel},
		{"runtime max", build([]int{5, 4}, nil, tensor.Float32, tensor.Int32), tflite.ErrUnsupported},
		{"int8 scores", build([]int{5, 4}, int32(2), tensor.Int8, tensor.Int32), tflite.ErrUnsupported},
		{"float output", build([]int{5, 4}, int32(2), tensor.Float32, tensor.Float32), tflite.ErrInvalidModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tflite.Load(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
		})
	}
}
