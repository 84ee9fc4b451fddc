package detection_test

import (
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// bodypixModel builds the four-input, five-output PosenetDecoderOp of
// Coral's BodyPix over float inputs of an n×n field.
func bodypixModel(t *testing.T, n, stride, maxDet int) *tflite.Model {
	t.Helper()
	opts, err := tflitebuild.FlexMap(map[string]any{"max_detections": maxDet, "score_threshold": float32(0.5), "stride": stride, "nms_radius": float32(20)})
	if err != nil {
		t.Fatal(err)
	}
	b := tflitebuild.New()
	var ins []int
	for i, c := range []int{17, 34, 64, 34} {
		ins = append(ins, b.Tensor([]string{"heatmaps", "shorts", "mids", "longs"}[i], tensor.Float32, []int{1, n, n, c}, nil, nil))
	}
	var outs []int
	for _, name := range []string{"poses", "keypoint_scores", "pose_scores", "count", "masks"} {
		outs = append(outs, b.Tensor(name, tensor.Float32, nil, nil, nil))
	}
	b.CustomOp("PosenetDecoderOp", ins, outs, opts)
	b.Inputs(ins...)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBodyPixInstanceMasks decodes two hand-made poses, every keypoint of
// pose A at cell (2,2) (logits 6 and 5) and of pose B at (8,9) (logits 4
// and 3), short and mid offsets zero, and long-range offsets that send
// every cell left of column 6 to (2,2) and every other cell to (8,9) in
// one step (they are zero at those two cells, so the two further
// refinement steps stay there). Each mask must hold exactly its side; the
// third slot is empty. With no pose at all (every logit −10) Coral's
// arg-min over an empty list is slot 0, so mask 0 is all ones.
func TestBodyPixInstanceMasks(t *testing.T) {
	const n, k, stride, maxDet = 12, 17, 16, 3
	m := bodypixModel(t, n, stride, maxDet)
	heat := make([]float32, n*n*k)
	for i := range heat {
		heat[i] = -10
	}
	for j := 0; j < k; j++ {
		heat[(2*n+2)*k+j], heat[(8*n+9)*k+j] = 5, 3
	}
	heat[(2*n+2)*k], heat[(8*n+9)*k] = 6, 4
	longs := make([]float32, n*n*2*k)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			ty, tx := 2, 2
			if x >= 6 {
				ty, tx = 8, 9
			}
			for j := 0; j < k; j++ {
				longs[(y*n+x)*2*k+j] = float32((ty - y) * stride)
				longs[(y*n+x)*2*k+k+j] = float32((tx - x) * stride)
			}
		}
	}
	run := func(heat []float32) []*tensor.Tensor {
		in := []*tensor.Tensor{
			{DType: tensor.Float32, Shape: tensor.Shape{1, n, n, k}, Data: f32le(heat)},
			{DType: tensor.Float32, Shape: tensor.Shape{1, n, n, 2 * k}, Data: make([]byte, n*n*2*k*4)},
			{DType: tensor.Float32, Shape: tensor.Shape{1, n, n, 64}, Data: make([]byte, n*n*64*4)},
			{DType: tensor.Float32, Shape: tensor.Shape{1, n, n, 2 * k}, Data: f32le(longs)},
		}
		out, err := m.NewRunner().Run(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		if s := out[4].Shape; !s.Equal(tensor.Shape{1, maxDet, n, n}) {
			t.Fatalf("masks shape %v, want [1 %d %d %d]", s, maxDet, n, n)
		}
		return out
	}
	out := run(heat)
	if c := out[3].Float32s()[0]; c != 2 {
		t.Fatalf("count = %v, want 2", c)
	}
	kp := out[0].Float32s()
	if kp[0] != 2*stride || kp[1] != 2*stride || kp[2*k] != 8*stride || kp[2*k+1] != 9*stride {
		t.Fatalf("poses at (%v, %v) and (%v, %v), want (32, 32) and (128, 144)", kp[0], kp[1], kp[2*k], kp[2*k+1])
	}
	masks := out[4].Float32s()
	for s := 0; s < maxDet; s++ {
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				want := float32(0)
				if (s == 0 && x < 6) || (s == 1 && x >= 6) {
					want = 1
				}
				if got := masks[(s*n+y)*n+x]; got != want {
					t.Fatalf("mask %d at (%d, %d) = %v, want %v", s, y, x, got, want)
				}
			}
		}
	}
	for i := range heat {
		heat[i] = -10
	}
	out = run(heat)
	if c := out[3].Float32s()[0]; c != 0 {
		t.Fatalf("count = %v with flat heatmaps, want 0", c)
	}
	for i, v := range out[4].Float32s() {
		want := float32(0)
		if i < n*n {
			want = 1
		}
		if v != want {
			t.Fatalf("no poses: mask element %d = %v, want %v", i, v, want)
		}
	}
}

// TestBodyPixRefusesBadOperands checks the four-input form's own checks.
func TestBodyPixRefusesBadOperands(t *testing.T) {
	opts, err := tflitebuild.FlexMap(map[string]any{"max_detections": 2, "score_threshold": float32(0.5), "stride": 16, "nms_radius": float32(20)})
	if err != nil {
		t.Fatal(err)
	}
	build := func(h, w, longC, nOut int) []byte {
		b := tflitebuild.New()
		var ins []int
		for i, c := range []int{17, 34, 64, longC} {
			ins = append(ins, b.Tensor([]string{"heatmaps", "shorts", "mids", "longs"}[i], tensor.Float32, []int{1, h, w, c}, nil, nil))
		}
		var outs []int
		for range nOut {
			outs = append(outs, b.Tensor("o", tensor.Float32, nil, nil, nil))
		}
		b.CustomOp("PosenetDecoderOp", ins, outs, opts)
		b.Inputs(ins...)
		b.Outputs(outs...)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, tc := range []struct {
		name            string
		h, w, longC, nb int
	}{
		{"four outputs", 5, 5, 34, 4},
		{"long offsets channels", 5, 5, 17, 5},
		{"not square", 5, 6, 34, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tflite.Load(build(tc.h, tc.w, tc.longC, tc.nb)); err == nil {
				t.Fatal("loaded")
			}
		})
	}
	if _, err := tflite.Load(build(5, 5, 34, 5)); err != nil {
		t.Fatalf("the well-formed model fails: %v", err)
	}
}
