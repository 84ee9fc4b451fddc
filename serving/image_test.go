package serving

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
	"golang.org/x/image/bmp"
)

// sharedFile returns ../shared/<rel> (found upwards from the package), or
// skips the test when absent unless EDGEINFER_CONFORMANCE=require.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	dir, _ := os.Getwd()
	for range 6 {
		p := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		dir = filepath.Dir(dir)
	}
	if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
		t.Fatalf("shared/%s required but not found", rel)
	}
	t.Skipf("shared/%s not found; skipping", rel)
	return ""
}

// quantRelu builds int8 x [1,3] (scale 0.5, zero point -3) -> RELU -> y.
func quantRelu(t testing.TB) Model {
	b := tflitebuild.New()
	q := &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-3}}
	x := b.Tensor("x", tensor.Int8, []int{1, 3}, q, nil)
	y := b.Tensor("y", tensor.Int8, []int{1, 3}, q, nil)
	b.Op("RELU", []int{x}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	return loadBuilt(t, b)
}

// TestFloatIO: real numbers into and out of an int8 model, per protocol.
// Expected values by hand from TFLite's QUANTIZE (round(v / 0.5) half away
// from zero, + zero point -3, clamped) and DEQUANTIZE (0.5 × (q + 3)):
// 0.5 -> -2, -1 -> -5 (RELU: -3 = real 0), 100 -> 197 -> 127 (real 65).
func TestFloatIO(t *testing.T) {
	e := newEnv(t, Config{}, func(s *testSource) { s.add("q", 1, quantRelu(t), ModelConfig{}) })
	for _, tc := range []struct {
		name, path, body string
		want             string
	}{
		{"v2 FP32 in, INT8 out", "/v2/models/q/infer",
			`{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[0.5,-1,100]}]}`, `"datatype":"INT8","shape":[1,3],"data":[-2,-3,127]`},
		{"v2 dequantize", "/v2/models/q/infer",
			`{"parameters":{"dequantize":true},"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[0.5,-1,100]}]}`, `"datatype":"FP32","shape":[1,3],"data":[0.5,0,65]`},
		{"v2 dequantize per output", "/v2/models/q/infer",
			`{"inputs":[{"name":"x","datatype":"INT8","shape":[1,3],"data":[-2,-5,127]}],"outputs":[{"name":"y","parameters":{"dequantize":true}}]}`, `"datatype":"FP32","shape":[1,3],"data":[0.5,0,65]`},
		{"v2 dequantize query", "/v2/models/q/infer?dequantize=true",
			`{"inputs":[{"name":"x","datatype":"INT8","shape":[1,3],"data":[-2,-5,127]}]}`, `"data":[0.5,0,65]`},
		{"v1 real by default", "/v1/models/q:predict", `{"instances":[[0.5,-1,100]]}`, `{"predictions":[[0.5,0,65]]}`},
		{"v1 raw", "/v1/models/q:predict", `{"instances":[[-2,-5,127]],"quantize":false,"dequantize":false}`, `{"predictions":[[-2,-3,127]]}`},
		{"v1 columnar", "/v1/models/q:predict", `{"inputs":[[0.5,-1,100]]}`, `{"outputs":[[0.5,0,65]]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := e.do(t, "POST", tc.path, []byte(tc.body), nil)
			if code != 200 || !strings.Contains(string(body), tc.want) {
				t.Fatalf("%d %s, want %s", code, body, tc.want)
			}
		})
	}
	for _, tc := range []struct{ path, body, want string }{
		{"/v2/models/q", "", `"parameters":{"quantization":{"scale":[0.5],"zero_point":[-3],"axis":0}}`},
		{"/v1/models/q/metadata", "", `"quantization":{"scale":[0.5],"zero_point":[-3],"axis":0}`},
	} {
		code, _, body := e.do(t, "GET", tc.path, nil, nil)
		if code != 200 || !strings.Contains(string(body), tc.want) {
			t.Fatalf("GET %s: %d %s, want %s", tc.path, code, body, tc.want)
		}
	}
	for _, body := range []string{
		`{"parameters":{"dequantize":1},"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[0,0,0]}]}`,
		`{"parameters":{"top_k":0},"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[0,0,0]}]}`,
		`{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["not an image"]}]}`,
	} {
		if code, _, b := e.do(t, "POST", "/v2/models/q/infer", []byte(body), nil); code != 400 {
			t.Fatalf("%s: %d %s, want 400", body, code, b)
		}
	}
}

// TestImageClassifier serves a corpus classifier with TFLite Model
// Metadata (imagenet labels in its zip) and asks for Grace Hopper through
// every image path. 653 "military uniform" is stock TensorFlow Lite's top-1
// for the tensor our preprocessing makes of grace_hopper.bmp (see
// preprocess.TestTop1AgainstStockTFLite for the command).
func TestImageClassifier(t *testing.T) {
	m, err := tflite.LoadFile(sharedFile(t, "realmodels/coral__tf2_mobilenet_v2_1.0_224_ptq/model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(sharedFile(t, "media/grace_hopper.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{MaxImagePixels: 400_000}, func(s *testSource) { s.add("cls", 1, FromTFLite(m), ModelConfig{}) })
	b64 := base64.StdEncoding.EncodeToString(img)
	var bin bytes.Buffer
	hdr := fmt.Sprintf(`{"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":%d}}],"parameters":{"top_k":3}}`, len(img)+4)
	bin.WriteString(hdr)
	bin.Write([]byte{byte(len(img)), byte(len(img) >> 8), byte(len(img) >> 16), byte(len(img) >> 24)})
	bin.Write(img)
	v2top := func(t *testing.T, body []byte, k int) {
		var resp struct {
			Outputs []struct {
				Datatype string   `json:"datatype"`
				Shape    []int    `json:"shape"`
				Data     []string `json:"data"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.Outputs) != 1 {
			t.Fatalf("response %s: %v", body, err)
		}
		o := resp.Outputs[0]
		if o.Datatype != "BYTES" || len(o.Data) != k || o.Shape[1] != k {
			t.Fatalf("output %+v, want %d classes", o, k)
		}
		parts := strings.SplitN(o.Data[0], ":", 3)
		score, _ := strconv.ParseFloat(parts[0], 64)
		if len(parts) != 3 || parts[1] != "653" || parts[2] != "military uniform" || !(score > 0.5 && score <= 1) {
			t.Fatalf("top-1 %q, want score:653:military uniform", o.Data[0])
		}
	}
	t.Run("v2 image post", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v2/models/cls/infer?top_k=3", img, map[string]string{"Content-Type": "image/bmp"})
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		v2top(t, body, 3)
	})
	t.Run("v2 image post default top 5", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v2/models/cls/infer", img, map[string]string{"Content-Type": "image/bmp"})
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		v2top(t, body, 5)
	})
	t.Run("v2 BYTES json", func(t *testing.T) {
		req := `{"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"data":["` + b64 + `"]}],"outputs":[{"name":"Identity","parameters":{"classification":2}}]}`
		code, _, body := e.do(t, "POST", "/v2/models/cls/infer", []byte(req), nil)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		v2top(t, body, 2)
	})
	t.Run("v2 BYTES binary", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v2/models/cls/infer", bin.Bytes(), map[string]string{"Inference-Header-Content-Length": strconv.Itoa(len(hdr))})
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		v2top(t, body, 3)
	})
	v1top := func(t *testing.T, body []byte, k int) {
		var resp struct {
			Predictions [][]Class `json:"predictions"`
		}
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.Predictions) != 1 || len(resp.Predictions[0]) != k {
			t.Fatalf("response %s: %v", body, err)
		}
		if c := resp.Predictions[0][0]; c.Index != 653 || c.Label != "military uniform" || !(c.Score > 0.5) {
			t.Fatalf("top-1 %+v", c)
		}
	}
	t.Run("v1 b64", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v1/models/cls:predict", []byte(`{"instances":[{"b64":"`+b64+`"}],"top_k":3}`), nil)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		v1top(t, body, 3)
	})
	t.Run("v1 image post", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v1/models/cls:predict", img, map[string]string{"Content-Type": "image/bmp"})
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		v1top(t, body, 5)
	})
	t.Run("v1 classify", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v1/models/cls:classify", []byte(`{"examples":[{"image":{"b64":"`+b64+`"}}]}`), nil)
		var resp struct{ Results [][][2]any }
		if code != 200 || json.Unmarshal(body, &resp) != nil || len(resp.Results) != 1 || len(resp.Results[0]) != 5 {
			t.Fatalf("%d %s", code, body)
		}
		if top := resp.Results[0][0]; top[0] != "military uniform" || !(top[1].(float64) > 0.5) {
			t.Fatalf("top-1 %v", top)
		}
	})
	t.Run("v1 b64 all scores dequantized", func(t *testing.T) {
		code, _, body := e.do(t, "POST", "/v1/models/cls:predict", []byte(`{"instances":[{"b64":"`+b64+`"}]}`), nil)
		var resp struct{ Predictions [][]float64 }
		if code != 200 || json.Unmarshal(body, &resp) != nil || len(resp.Predictions) != 1 || len(resp.Predictions[0]) != 1001 {
			t.Fatalf("%d %.200s", code, body)
		}
		best := 0
		for i, v := range resp.Predictions[0] {
			if v > resp.Predictions[0][best] {
				best = i
			}
		}
		if best != 653 {
			t.Fatalf("argmax %d", best)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			body []byte
			ct   string
			want int
		}{
			{[]byte("not an image"), "image/jpeg", 400},
			{img[:100], "image/bmp", 400},
			{bigPNGHeader(), "image/png", 413},
		} {
			code, _, body := e.do(t, "POST", "/v2/models/cls/infer", tc.body, map[string]string{"Content-Type": tc.ct})
			if code != tc.want {
				t.Fatalf("%s: %d %s, want %d", tc.ct, code, body, tc.want)
			}
		}
	})
}

// TestImageMemoryBudget: decoding an image is charged to the request's
// memory budget (4 bytes per declared pixel), so a server whose budget
// cannot hold a 512x600 image's pixels refuses it (413) instead of
// decoding it.
func TestImageMemoryBudget(t *testing.T) {
	m, err := tflite.LoadFile(sharedFile(t, "realmodels/coral__tf2_mobilenet_v2_1.0_224_ptq/model.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(sharedFile(t, "media/grace_hopper.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := bmp.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, src, nil); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{MemoryBudget: 1 << 20}, func(s *testSource) { s.add("cls", 1, FromTFLite(m), ModelConfig{}) })
	code, _, body := e.do(t, "POST", "/v2/models/cls/infer", jpg.Bytes(), map[string]string{"Content-Type": "image/jpeg"})
	if code != 413 || !strings.Contains(string(body), "MemoryBudget") {
		t.Fatalf("%d %s, want 413 naming MemoryBudget", code, body)
	}
}

// bigPNGHeader is the start of a PNG declaring 1000x1000 pixels (over the
// test server's MaxImagePixels), with a valid IHDR checksum.
func bigPNGHeader() []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x03\xe8\x00\x00\x03\xe8\x08\x02\x00\x00\x00")
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[12:]))
}

// TestFloatIOHelloWorld: the int8 hello_world model answers real x with
// real y within 0.05 of sin(x), the upstream test's tolerance
// (../shared/conformance/README.md), through both protocols' defaults.
func TestFloatIOHelloWorld(t *testing.T) {
	m := conformanceModel(t, "hello_world/hello_world_int8.tflite")
	e := newEnv(t, Config{}, func(s *testSource) { s.add("hw8", 1, m, ModelConfig{}) })
	xs := []float64{0.77, 1.57, 2.3, 3.14}
	code, _, body := e.do(t, "POST", "/v1/models/hw8:predict", []byte(`{"instances":[[0.77],[1.57],[2.3],[3.14]]}`), nil)
	var v1 struct{ Predictions [][]float64 }
	if code != 200 || json.Unmarshal(body, &v1) != nil || len(v1.Predictions) != 4 {
		t.Fatalf("v1: %d %s", code, body)
	}
	code, _, body = e.do(t, "POST", "/v2/models/hw8/infer", []byte(`{"parameters":{"dequantize":true},"inputs":[{"name":"dense_input","shape":[4,1],"datatype":"FP32","data":[0.77,1.57,2.3,3.14]}]}`), nil)
	var v2 struct {
		Outputs []struct {
			Datatype string
			Data     []float64
		}
	}
	if code != 200 || json.Unmarshal(body, &v2) != nil || len(v2.Outputs) != 1 || v2.Outputs[0].Datatype != "FP32" || len(v2.Outputs[0].Data) != 4 {
		t.Fatalf("v2: %d %s", code, body)
	}
	for i, x := range xs {
		for _, y := range []float64{v1.Predictions[i][0], v2.Outputs[0].Data[i]} {
			if d := y - math.Sin(x); d > 0.05 || d < -0.05 {
				t.Fatalf("x=%v: y=%v, sin(x)=%v", x, y, math.Sin(x))
			}
		}
	}
}

// TestDetectionsInImagePixels: TFLite_Detection_PostProcess boxes (ymin,
// xmin, ymax, xmax in [0, 1] of the input) map through the letterbox
// placement to the image's pixels. A 200x100 image padded into a 100x100
// input fills rows 25..75; worked out by hand.
func TestDetectionsInImagePixels(t *testing.T) {
	f := func(shape tensor.Shape) tflite.TensorSpec {
		return tflite.TensorSpec{DType: tensor.Float32, Shape: shape}
	}
	outs := []tflite.TensorSpec{f(tensor.Shape{1, 2, 4}), f(tensor.Shape{1, 2}), f(tensor.Shape{1, 2}), f(tensor.Shape{1})}
	for i, n := range []string{"boxes", "classes", "scores", "count"} {
		outs[i].Name = n
	}
	mio, err := NewModelIO(nil, []tflite.TensorSpec{f(tensor.Shape{1, 100, 100, 3})}, outs, []byte("cat\ndog\n"))
	if err != nil || !mio.IsDetector() {
		t.Fatalf("NewModelIO: %v, detector %v", err, mio.IsDetector())
	}
	ft := func(v ...float32) *tensor.Tensor {
		t := &tensor.Tensor{DType: tensor.Float32, Shape: tensor.Shape{len(v)}, Data: make([]byte, 4*len(v))}
		copy(t.Float32s(), v)
		return t
	}
	res := []*tensor.Tensor{
		ft(0.25, 0, 0.75, 0.5, 0.5, 0.5, 0.6, 0.6),
		ft(1, 0),
		ft(0.9, 0.2),
		ft(2),
	}
	info := &ImageInfo{Width: 200, Height: 100, InputW: 100, InputH: 100,
		Placement: preprocess.Placement{SrcW: 200, SrcH: 100, DstY: 25, DstW: 100, DstH: 50}}
	d, err := mio.Detections(res, info, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Box 0: x 0..50 -> 0..100 px; y 25..75 -> 0..100 px. Box 1 is under 0.5.
	if len(d) != 1 || d[0].Label != "dog" || d[0].Class != 1 || d[0].Box != [4]float64{0, 0, 100, 100} {
		t.Fatalf("detections %+v", d)
	}
}

// detectorModel builds an image detector: image [1,2,2,3] float32 →
// RESHAPE → class scores [1,4,3] (background, a, b) for four anchors, the
// quadrants of the input; box encodings are zero, so each box is its
// anchor: TFLite_Detection_PostProcess then keeps every quadrant whose
// class score is above 0.3.
func detectorModel(t *testing.T) Model {
	b := tflitebuild.New()
	img := b.Tensor("image", tensor.Float32, []int{1, 2, 2, 3}, nil, nil)
	shape := b.Const("shape", []int{3}, nil, []int32{1, 4, 3})
	scores := b.Tensor("scores", tensor.Float32, []int{1, 4, 3}, nil, nil)
	b.Op("RESHAPE", []int{img, shape}, []int{scores}, nil)
	enc := b.Const("encodings", []int{1, 4, 4}, nil, make([]float32, 16))
	anchors := b.Const("anchors", []int{4, 4}, nil, []float32{ // ycenter, xcenter, h, w
		0.25, 0.25, 0.5, 0.5, 0.25, 0.75, 0.5, 0.5, 0.75, 0.25, 0.5, 0.5, 0.75, 0.75, 0.5, 0.5})
	outs := []int{
		b.Tensor("detection_boxes", tensor.Float32, []int{1, 4, 4}, nil, nil),
		b.Tensor("detection_classes", tensor.Float32, []int{1, 4}, nil, nil),
		b.Tensor("detection_scores", tensor.Float32, []int{1, 4}, nil, nil),
		b.Tensor("num_detections", tensor.Float32, []int{1}, nil, nil),
	}
	opts, err := tflitebuild.FlexMap(map[string]any{"max_detections": 4, "max_classes_per_detection": 1, "num_classes": 2,
		"nms_score_threshold": float32(0.3), "nms_iou_threshold": float32(0.5),
		"y_scale": float32(10), "x_scale": float32(10), "h_scale": float32(5), "w_scale": float32(5)})
	if err != nil {
		t.Fatal(err)
	}
	b.CustomOp("TFLite_Detection_PostProcess", []int{enc, scores, anchors}, outs, opts)
	b.Inputs(img)
	b.Outputs(outs...)
	return loadBuilt(t, b)
}

// TestDetectorImage: a 200x100 PNG whose quadrants are green (class a),
// blue (class b), black (nothing) and green is resized to the 2x2 input
// (each output pixel's four neighbours lie inside one quadrant), so the
// detector keeps three quadrants; their boxes come back in the image's
// pixels, worked out by hand: a quadrant is 100x50 pixels.
func TestDetectorImage(t *testing.T) {
	colors := [2][2]color.NRGBA{{{0, 255, 0, 255}, {0, 0, 255, 255}}, {{0, 0, 0, 255}, {0, 255, 0, 255}}}
	src := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := range 100 {
		for x := range 200 {
			src.SetNRGBA(x, y, colors[y/50][x/100])
		}
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, src); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{}, func(s *testSource) { s.add("det", 1, detectorModel(t), ModelConfig{}) })
	want := map[[4]float64]int{{0, 0, 100, 50}: 0, {100, 0, 200, 50}: 1, {100, 50, 200, 100}: 0}
	check := func(t *testing.T, d []Detection) {
		t.Helper()
		if len(d) != len(want) {
			t.Fatalf("detections %+v, want %v", d, want)
		}
		for _, x := range d {
			c, ok := want[x.Box]
			if !ok || c != x.Class || x.Score != 1 {
				t.Fatalf("detection %+v not among %v (score 1)", x, want)
			}
		}
	}
	code, _, body := e.do(t, "POST", "/v2/models/det/infer", pngBuf.Bytes(), map[string]string{"Content-Type": "image/png"})
	var v2 struct{ Detections []Detection }
	if code != 200 || json.Unmarshal(body, &v2) != nil {
		t.Fatalf("v2: %d %s", code, body)
	}
	check(t, v2.Detections)
	code, _, body = e.do(t, "POST", "/v1/models/det:predict", pngBuf.Bytes(), map[string]string{"Content-Type": "image/png"})
	var v1 struct{ Predictions [][]Detection }
	if code != 200 || json.Unmarshal(body, &v1) != nil || len(v1.Predictions) != 1 {
		t.Fatalf("v1: %d %s", code, body)
	}
	check(t, v1.Predictions[0])
}
