package detection_test

import (
	"math"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// TestPosenetDecoder decodes two hand-made poses: pose A (nose logit 6 at
// cell (3,4), every other keypoint logit 5 there, except the left eye,
// which the nose→left-eye mid offset (−16 px, one cell at stride 16)
// moves to (2,4), and whose left ear the next edge's offset (+16 px)
// moves back) and pose B (nose logit 4, the rest 3, at (9,12)).
// Everything else is logit −10 and the short offsets are zero.
func TestPosenetDecoder(t *testing.T) {
	const h, w, k, stride = 12, 16, 17, 16
	heat := make([]float32, h*w*k)
	for i := range heat {
		heat[i] = -10
	}
	shorts := make([]float32, h*w*2*k)
	mids := make([]float32, h*w*64)
	set := func(y, x int, logits func(j int) float32) {
		for j := 0; j < k; j++ {
			heat[(y*w+x)*k+j] = logits(j)
		}
	}
	set(3, 4, func(j int) float32 {
		switch j {
		case 0:
			return 6
		case 1:
			return -10
		}
		return 5
	})
	heat[(2*w+4)*k+1] = 5    // left eye at (2,4)
	mids[(3*w+4)*64+0] = -16 // edge 0 (nose→left eye), y offset, pixels
	mids[(2*w+4)*64+1] = 16  // edge 1 (left eye→left ear), y offset
	set(9, 12, func(j int) float32 {
		if j == 0 {
			return 4
		}
		return 3
	})
	opts, err := tflitebuild.FlexMap(map[string]any{"max_detections": 3, "score_threshold": float32(0.5), "stride": stride, "nms_radius": float32(20)})
	if err != nil {
		t.Fatal(err)
	}
	b := tflitebuild.New()
	hi := b.Tensor("heatmaps", tensor.Float32, []int{1, h, w, k}, nil, nil)
	si := b.Tensor("shorts", tensor.Float32, []int{1, h, w, 2 * k}, nil, nil)
	mi := b.Tensor("mids", tensor.Float32, []int{1, h, w, 64}, nil, nil)
	var outs []int
	for _, n := range []string{"poses", "keypoint_scores", "pose_scores", "count"} {
		outs = append(outs, b.Tensor(n, tensor.Float32, nil, nil, nil))
	}
	b.CustomOp("PosenetDecoderOp", []int{hi, si, mi}, outs, opts)
	b.Inputs(hi, si, mi)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	in := []*tensor.Tensor{
		{DType: tensor.Float32, Shape: tensor.Shape{1, h, w, k}, Data: f32le(heat)},
		{DType: tensor.Float32, Shape: tensor.Shape{1, h, w, 2 * k}, Data: f32le(shorts)},
		{DType: tensor.Float32, Shape: tensor.Shape{1, h, w, 64}, Data: f32le(mids)},
	}
	out, err := m.NewRunner().Run(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(x float64) float32 { return float32(1 / (1 + math.Exp(-x))) }
	if c := out[3].Float32s()[0]; c != 2 {
		t.Fatalf("count = %v, want 2", c)
	}
	kp, ks, ps := out[0].Float32s(), out[1].Float32s(), out[2].Float32s()
	near := func(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-5 }
	for j := 0; j < k; j++ {
		wy, wx := float32(3*stride), float32(4*stride)
		if j == 1 {
			wy = 2 * stride
		}
		if kp[2*j] != wy || kp[2*j+1] != wx {
			t.Errorf("pose 0 keypoint %d at (%v, %v), want (%v, %v)", j, kp[2*j], kp[2*j+1], wy, wx)
		}
		ws := sig(5)
		if j == 0 {
			ws = sig(6)
		}
		if !near(ks[j], ws) {
			t.Errorf("pose 0 keypoint %d score %v, want %v", j, ks[j], ws)
		}
		if kp[2*(k+j)] != 9*stride || kp[2*(k+j)+1] != 12*stride {
			t.Errorf("pose 1 keypoint %d at (%v, %v), want (144, 192)", j, kp[2*(k+j)], kp[2*(k+j)+1])
		}
	}
	if want := (sig(6) + 16*sig(5)) / 17; !near(ps[0], want) {
		t.Errorf("pose 0 score %v, want %v", ps[0], want)
	}
	if want := (sig(4) + 16*sig(3)) / 17; !near(ps[1], want) {
		t.Errorf("pose 1 score %v, want %v", ps[1], want)
	}
	if ps[2] != 0 || kp[4*k] != 0 {
		t.Errorf("unused pose slot not zero: score %v", ps[2])
	}
}
