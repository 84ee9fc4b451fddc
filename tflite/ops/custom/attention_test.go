package custom_test

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// runV2 builds a one-operator float model of a version-2 custom operator
// whose inputs are all graph inputs and runs it.
func runV2(t *testing.T, code string, version int, opts []byte, ins [][]float32, inShapes [][]int, outShapes [][]int) ([]*tensor.Tensor, error) {
	t.Helper()
	b := tflitebuild.New()
	var idx []int
	var feed []*tensor.Tensor
	for i, s := range inShapes {
		x := b.Tensor("x", tensor.Float32, s, nil, nil)
		idx = append(idx, x)
		feed = append(feed, &tensor.Tensor{DType: tensor.Float32, Shape: s, Data: f32(ins[i])})
	}
	var outs []int
	for _, s := range outShapes {
		outs = append(outs, b.Tensor("y", tensor.Float32, s, nil, nil))
	}
	b.CustomOpVersion(code, version, idx, outs, opts)
	b.Inputs(idx...)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		return nil, err
	}
	return m.NewRunner().Run(t.Context(), feed)
}

func flex(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := tflitebuild.FlexMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// matrix returns a [1, 4, 4] matrix with the given first two rows and the
// identity below.
func matrix(x, y [4]float32) []float32 {
	return append(append(x[:], y[:]...), 0, 0, 1, 0, 0, 0, 0, 1)
}

func near(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !(math.Abs(float64(a[i]-b[i])) <= tol) {
			return false
		}
	}
	return true
}

// TestTransformTensorBilinear checks MediaPipe's TransformTensorBilinear
// v2 on cases worked by hand. Version 2 shifts the matrix so that pixel
// centres map to pixel centres: T' = S·T·A with A adding 0.5 and S
// subtracting it, i.e. t03 += t00/2 + t01/2 − 1/2 (likewise t13).
func TestTransformTensorBilinear(t *testing.T) {
	t.Run("identity", func(t *testing.T) {
		// The identity is unchanged by the correction: each output pixel
		// samples exactly its input pixel.
		in := []float32{1, -2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}
		out, err := runV2(t, "TransformTensorBilinear", 2, flex(t, map[string]any{"output_height": 3, "output_width": 3}),
			[][]float32{in, matrix([4]float32{1, 0, 0, 0}, [4]float32{0, 1, 0, 0})}, [][]int{{1, 3, 3, 2}, {1, 4, 4}}, [][]int{{1, 3, 3, 2}})
		if err != nil {
			t.Fatal(err)
		}
		if got := out[0].Float32s(); !slices.Equal(got, in) || !slices.Equal(out[0].Shape, tensor.Shape{1, 3, 3, 2}) {
			t.Errorf("got %v %v, want the input", out[0].Shape, got)
		}
	})
	t.Run("scale and shift", func(t *testing.T) {
		// x' = 0.5·x (+0.25 − 0.5 from the correction = −0.25), y' = y.
		// Output column ox samples input x = 0.5·ox − 0.25: −0.25 (outside:
		// 0), 0.25, 0.75, 1.25; rows are 0 and 1 (the last row exactly,
		// its lower neighbour weighted 0).
		in := []float32{0, 10, 20, 100, 110, 120} // [1, 2, 3, 1]
		out, err := runV2(t, "TransformTensorBilinear", 2, flex(t, map[string]any{"output_height": 2, "output_width": 4}),
			[][]float32{in, matrix([4]float32{0.5, 0, 0, 0}, [4]float32{0, 1, 0, 0})}, [][]int{{1, 2, 3, 1}, {1, 4, 4}}, [][]int{{1, 2, 4, 1}})
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{
			0, 0.75*0 + 0.25*10, 0.25*0 + 0.75*10, 0.75*10 + 0.25*20,
			0, 0.75*100 + 0.25*110, 0.25*100 + 0.75*110, 0.75*110 + 0.25*120,
		}
		if got := out[0].Float32s(); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("translation between rows", func(t *testing.T) {
		// x' = x + 1, y' = y + 0.5: output (0, 0) samples (1, 0.5), the
		// mean of 10 and 110; output (1, 0) samples (2, 0.5) = mean of 20
		// and 120; output column 2 samples x = 3 > 2: outside, 0.
		in := []float32{0, 10, 20, 100, 110, 120}
		out, err := runV2(t, "TransformTensorBilinear", 2, flex(t, map[string]any{"output_height": 1, "output_width": 3}),
			[][]float32{in, matrix([4]float32{1, 0, 0, 1}, [4]float32{0, 1, 0, 0.5})}, [][]int{{1, 2, 3, 1}, {1, 4, 4}}, [][]int{{1, 1, 3, 1}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := out[0].Float32s(), []float32{60, 70, 0}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// TestTransformLandmarks checks TransformLandmarks v2 by hand: x' = 2x +
// 3 (the z column, 9, multiplies 0), y' = −y + 5, z copied.
func TestTransformLandmarks(t *testing.T) {
	m := matrix([4]float32{2, 0, 9, 3}, [4]float32{0, -1, 0, 5})
	out, err := runV2(t, "TransformLandmarks", 2, nil, [][]float32{{1, 2, -1, 0.5}, m}, [][]int{{1, 2, 2}, {1, 4, 4}}, [][]int{{1, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[0].Float32s(), []float32{5, 3, 1, 4.5}; !slices.Equal(got, want) {
		t.Errorf("2-D: got %v, want %v", got, want)
	}
	out, err = runV2(t, "TransformLandmarks", 2, nil, [][]float32{{1, 2, 7, -1, 0.5, -8}, m}, [][]int{{1, 2, 3}, {1, 4, 4}}, [][]int{{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[0].Float32s(), []float32{5, 3, 7, 1, 4.5, -8}; !slices.Equal(got, want) {
		t.Errorf("3-D: got %v, want %v", got, want)
	}
}

// TestLandmarksToTransformMatrix checks Landmarks2TransformMatrix v2 by
// hand. The matrix is shift(centre)·rotation(−r)·scale(s·box/out)·
// shift(−out/2), where r = target − atan2(right − left) and the box is the
// bounding box of the subset in the frame rotated by r.
func TestLandmarksToTransformMatrix(t *testing.T) {
	t.Run("level", func(t *testing.T) {
		// Left (0,0) → right (4,0): r = 0. Box of (0,0), (4,0), (2,2):
		// 4×2, centre (2,1). Scale 1.5, output 2×2: sx = 1.5·4/2 = 3,
		// sy = 1.5·2/2 = 1.5; translation (2 − 3·1, 1 − 1.5·1).
		lm := []float32{0, 0, 0, 4, 0, 9, 2, 2, -9}
		out, err := runV2(t, "Landmarks2TransformMatrix", 2, flex(t, map[string]any{
			"subset_idxs": []int{0, 1, 2}, "left_rotation_idx": 0, "right_rotation_idx": 1,
			"target_rotation_radians": float32(0), "output_height": 2, "output_width": 2,
			"scale_x": float32(1.5), "scale_y": float32(1.5),
		}), [][]float32{lm}, [][]int{{1, 3, 3}}, [][]int{{1, 4, 4}})
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{3, 0, 0, -1, 0, 1.5, 0, -0.5, 0, 0, 1, 0, 0, 0, 0, 1}
		if got := out[0].Float32s(); !slices.Equal(got, want) || !slices.Equal(out[0].Shape, tensor.Shape{1, 4, 4}) {
			t.Errorf("got %v %v, want %v", out[0].Shape, got, want)
		}
	})
	t.Run("quarter turn", func(t *testing.T) {
		// Left (0,0) → right (0,2): atan2 = π/2, r = −π/2, so (x, y) →
		// (y, −x): the subset (0,0), (0,2), (1,1) becomes (0,0), (2,0),
		// (1,−1), a 2×1 box centred (1, −0.5), which is (0.5, 1) turned
		// back. Output 4×2, scale 1: sx = 2/4, sy = 1/2. Rotation(π/2)·
		// scale = [[0, −0.5], [0.5, 0]]; applied to (−2, −1) gives
		// (0.5, −1), plus the centre: (1, 0).
		lm := []float32{0, 0, 5, 0, 2, 5, 1, 1, 5}
		out, err := runV2(t, "Landmarks2TransformMatrix", 2, flex(t, map[string]any{
			"subset_idxs": []int{0, 1, 2, 2}, "left_rotation_idx": 0, "right_rotation_idx": 1,
			"output_height": 2, "output_width": 4, "scale_x": float32(1), "scale_y": float32(1),
		}), [][]float32{lm}, [][]int{{1, 3, 3}}, [][]int{{1, 4, 4}})
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{0, -0.5, 0, 1, 0.5, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
		if got := out[0].Float32s(); !near(got, want, 1e-6) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// TestAttentionOpsRefuseBadModels checks that malformed options, shapes
// and versions are load errors naming the problem.
func TestAttentionOpsRefuseBadModels(t *testing.T) {
	good := map[string]any{
		"subset_idxs": []int{0, 1, 2}, "left_rotation_idx": 0, "right_rotation_idx": 1,
		"output_height": 2, "output_width": 2, "scale_x": float32(1), "scale_y": float32(1),
	}
	with := func(k string, v any) []byte {
		m := make(map[string]any)
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return flex(t, m)
	}
	lm := make([]float32, 9)
	mat := matrix([4]float32{1, 0, 0, 0}, [4]float32{0, 1, 0, 0})
	img := make([]float32, 2*3*3)
	bilinear := flex(t, map[string]any{"output_height": 2, "output_width": 2})
	cases := []struct {
		name, code string
		version    int
		opts       []byte
		ins        [][]float32
		shapes     [][]int
		out        []int
		want       string
	}{
		{"no subset", "Landmarks2TransformMatrix", 2, with("subset_idxs", nil), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "subset_idxs"},
		{"empty subset", "Landmarks2TransformMatrix", 2, with("subset_idxs", []int{}), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "subset_idxs"},
		{"subset past the landmarks", "Landmarks2TransformMatrix", 2, with("subset_idxs", []int{0, 3}), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "subset_idxs holds 3"},
		{"negative subset", "Landmarks2TransformMatrix", 2, with("subset_idxs", []int{-1}), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "subset_idxs holds -1"},
		{"subset as a scalar", "Landmarks2TransformMatrix", 2, with("subset_idxs", 1), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "subset_idxs"},
		{"right past the landmarks", "Landmarks2TransformMatrix", 2, with("right_rotation_idx", 3), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "right_rotation_idx"},
		{"negative left", "Landmarks2TransformMatrix", 2, with("left_rotation_idx", -1), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "left_rotation_idx"},
		{"no output width", "Landmarks2TransformMatrix", 2, with("output_width", nil), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "output_width"},
		{"zero scale", "Landmarks2TransformMatrix", 2, with("scale_y", float32(0)), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "scale_y"},
		{"NaN scale", "Landmarks2TransformMatrix", 2, with("scale_x", float32(math.NaN())), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "scale_x"},
		{"infinite rotation", "Landmarks2TransformMatrix", 2, with("target_rotation_radians", math.Inf(1)), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "target_rotation_radians"},
		{"garbage options", "Landmarks2TransformMatrix", 2, []byte{1, 2, 3, 4}, [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "custom options"},
		{"no options", "Landmarks2TransformMatrix", 2, nil, [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "custom options"},
		{"2-D landmarks", "Landmarks2TransformMatrix", 2, flex(t, good), [][]float32{make([]float32, 6)}, [][]int{{1, 3, 2}}, []int{1, 4, 4}, "[1, N, 3]"},
		{"version 1", "Landmarks2TransformMatrix", 1, flex(t, good), [][]float32{lm}, [][]int{{1, 3, 3}}, []int{1, 4, 4}, "version 1"},
		{"bilinear without size", "TransformTensorBilinear", 2, flex(t, map[string]any{"output_height": 2}), [][]float32{img, mat}, [][]int{{1, 3, 3, 2}, {1, 4, 4}}, []int{1, 2, 2, 2}, "output_width"},
		{"bilinear huge", "TransformTensorBilinear", 2, flex(t, map[string]any{"output_height": 1 << 30, "output_width": 2}), [][]float32{img, mat}, [][]int{{1, 3, 3, 2}, {1, 4, 4}}, []int{1, 2, 2, 2}, "output_height"},
		{"bilinear 3x3 matrix", "TransformTensorBilinear", 2, bilinear, [][]float32{img, make([]float32, 9)}, [][]int{{1, 3, 3, 2}, {1, 3, 3}}, []int{1, 2, 2, 2}, "matrix"},
		{"bilinear batch 2", "TransformTensorBilinear", 2, bilinear, [][]float32{append(img, img...), mat}, [][]int{{2, 3, 3, 2}, {1, 4, 4}}, []int{1, 2, 2, 2}, "batch"},
		{"bilinear declared otherwise", "TransformTensorBilinear", 2, bilinear, [][]float32{img, mat}, [][]int{{1, 3, 3, 2}, {1, 4, 4}}, []int{1, 2, 2, 5}, "declared"},
		{"bilinear version 1", "TransformTensorBilinear", 1, bilinear, [][]float32{img, mat}, [][]int{{1, 3, 3, 2}, {1, 4, 4}}, []int{1, 2, 2, 2}, "version 1"},
		{"landmarks of 4", "TransformLandmarks", 2, nil, [][]float32{make([]float32, 8), mat}, [][]int{{1, 2, 4}, {1, 4, 4}}, []int{1, 2, 4}, "2 or 3"},
		{"landmarks batch 2", "TransformLandmarks", 2, nil, [][]float32{make([]float32, 8), mat}, [][]int{{2, 2, 2}, {1, 4, 4}}, []int{2, 2, 2}, "2 or 3"},
		{"landmarks short matrix", "TransformLandmarks", 2, nil, [][]float32{make([]float32, 4), make([]float32, 8)}, [][]int{{1, 2, 2}, {1, 2, 4}}, []int{1, 2, 2}, "matrix"},
		{"landmarks one input", "TransformLandmarks", 2, nil, [][]float32{make([]float32, 4)}, [][]int{{1, 2, 2}}, []int{1, 2, 2}, "input"},
	}
	for _, c := range cases {
		_, err := runV2(t, c.code, c.version, c.opts, c.ins, c.shapes, [][]int{c.out})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a load error about %q", c.name, err, c.want)
		}
	}
}

// TestFaceLandmarkWithAttention runs the corpus model that uses all three
// operators (it has no reference cases: no reference runner implements
// them) on a seeded random image, and checks that every output is finite
// and that a second run gives the same bits.
func TestFaceLandmarkWithAttention(t *testing.T) {
	path := "../../../../shared/realmodels/mediapipe__face_landmark_with_attention/model.tflite"
	m, err := tflite.LoadFile(path)
	if err != nil {
		if strings.Contains(err.Error(), "no such file") {
			if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
				t.Fatalf("EDGEINFER_CONFORMANCE=require but the corpus is absent: %v", err)
			}
			t.Skip("../shared/realmodels is absent")
		}
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 34))
	img := make([]float32, 192*192*3)
	for i := range img {
		img[i] = rng.Float32()
	}
	feed := []*tensor.Tensor{{DType: tensor.Float32, Shape: tensor.Shape{1, 192, 192, 3}, Data: f32(img)}}
	r := m.NewRunner()
	first, err := r.Run(t.Context(), feed)
	if err != nil {
		t.Fatal(err)
	}
	var saved [][]byte
	for i, o := range first {
		for j, v := range o.Float32s() {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("output %d element %d is %v", i, j, v)
			}
		}
		saved = append(saved, slices.Clone(o.Data))
	}
	again, err := m.NewRunner().Run(t.Context(), feed)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range again {
		if !slices.Equal(o.Data, saved[i]) {
			t.Errorf("output %d differs between runs", i)
		}
	}
}
