package serving

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// standardEnv serves: linear (dynamic batch, version 3, label stable),
// static (the same model with a fixed batch of 1), pair (two inputs, two
// outputs), hw8 (the int8 hello_world conformance model) and broken (a
// runner that fails).
func standardEnv(t testing.TB, cfg Config) *testEnv {
	return newEnv(t, cfg, func(s *testSource) {
		s.add("linear", 3, buildLinear(t, true), ModelConfig{Labels: map[string]int64{"stable": 3}})
		s.add("static", 1, buildLinear(t, false), ModelConfig{})
		s.add("pair", 1, buildPair(t), ModelConfig{})
		s.add("broken", 1, &hookModel{Model: buildLinear(t, true), hook: func(context.Context) error {
			return errors.New("kernel exploded")
		}}, ModelConfig{})
		s.add("panics", 1, &hookModel{Model: buildLinear(t, true), hook: func(context.Context) error {
			panic("index out of range in a kernel")
		}}, ModelConfig{})
	})
}

func f32b64(v ...float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestHTTPEndpoints(t *testing.T) {
	e := standardEnv(t, Config{EnableAdmin: true})
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		want   int
		exact  string   // whole body, when set
		substr []string // body substrings
	}{
		// TF Serving REST v1: status and metadata.
		{name: "v1 status", method: "GET", path: "/v1/models/linear", want: 200,
			exact: `{"model_version_status":[{"version":"3","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`},
		{name: "v1 status version", method: "GET", path: "/v1/models/linear/versions/3", want: 200, substr: []string{`"version":"3"`}},
		{name: "v1 status missing version", method: "GET", path: "/v1/models/linear/versions/4", want: 404, substr: []string{`{"error":`}},
		{name: "v1 status bad version", method: "GET", path: "/v1/models/linear/versions/x", want: 400},
		{name: "v1 status label", method: "GET", path: "/v1/models/linear/labels/stable", want: 200, substr: []string{`"version":"3"`}},
		{name: "v1 status missing label", method: "GET", path: "/v1/models/linear/labels/nope", want: 404},
		{name: "v1 status unknown model", method: "GET", path: "/v1/models/nope", want: 404},
		{name: "v1 traversal", method: "GET", path: "/v1/models/%2e%2e", want: 400},
		{name: "v1 bad name", method: "GET", path: "/v1/models/a%20b", want: 400},
		{name: "v1 unknown subpath", method: "GET", path: "/v1/models/linear/foo", want: 404},
		{name: "v1 metadata", method: "GET", path: "/v1/models/linear/metadata", want: 200,
			substr: []string{`"signature_def":{"signature_def":{"serving_default":{"inputs":{"x":{"dtype":"DT_FLOAT","tensor_shape":{"dim":[{"size":"-1","name":""},{"size":"3","name":""}]`, `"version":"3"`, `"method_name":"tensorflow/serving/predict"`}},
		{name: "v1 metadata unknown", method: "GET", path: "/v1/models/nope/metadata", want: 404},
		{name: "v1 status wrong method", method: "DELETE", path: "/v1/models/linear", want: 405},
		{name: "v1 predict wrong method", method: "GET", path: "/v1/models/linear:predict", want: 405},

		// v1 predict.
		{name: "v1 predict row", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3], [0, 0, 0]]}`, want: 200,
			exact: `{"predictions":[[24,-10],[10,-10]]}`},
		{name: "v1 predict columnar", method: "POST", path: "/v1/models/linear:predict", body: `{"inputs": [[1, 2, 3]]}`, want: 200,
			exact: `{"outputs":[[24,-10]]}`},
		{name: "v1 predict columnar named", method: "POST", path: "/v1/models/linear:predict", body: `{"signature_name": "serving_default", "inputs": {"x": [[1, 2, 3]]}}`, want: 200,
			exact: `{"outputs":[[24,-10]]}`},
		{name: "v1 predict named instances", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [{"x": [1, 2, 3]}]}`, want: 200,
			exact: `{"predictions":[[24,-10]]}`},
		{name: "v1 predict b64", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [{"b64": "` + f32b64(1, 2, 3) + `"}]}`, want: 200,
			exact: `{"predictions":[[24,-10]]}`},
		{name: "v1 predict NaN Infinity", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[NaN, 0, 0], [Infinity, 0, 0]]}`, want: 200,
			exact: `{"predictions":[["NaN","NaN"],["Infinity","-Infinity"]]}`},
		{name: "v1 predict quoted NaN Infinity", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [["NaN", 0, 0], ["Infinity", 0, 0]]}`, want: 200,
			exact: `{"predictions":[["NaN","NaN"],["Infinity","-Infinity"]]}`},
		{name: "v2 infer NaN", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": ["NaN", 0, 0]}]}`, want: 200,
			substr: []string{`"data":["NaN","NaN"]`}},
		{name: "v1 predict version", method: "POST", path: "/v1/models/linear/versions/3:predict", body: `{"instances": [[1, 2, 3]]}`, want: 200},
		{name: "v1 predict label", method: "POST", path: "/v1/models/linear/labels/stable:predict", body: `{"instances": [[1, 2, 3]]}`, want: 200},
		{name: "v1 predict pair rows", method: "POST", path: "/v1/models/pair:predict", body: `{"instances": [{"a": [1, 2], "b": [3, 4]}, {"a": [5, 6], "b": [7, 8]}]}`, want: 200,
			exact: `{"predictions":[{"cat":[1,2,3,4],"sum":[3]},{"cat":[5,6,7,8],"sum":[11]}]}`},
		{name: "v1 predict pair columns", method: "POST", path: "/v1/models/pair:predict", body: `{"inputs": {"a": [[1, 2]], "b": [[3, 4]]}}`, want: 200,
			exact: `{"outputs":{"cat":[[1,2,3,4]],"sum":[[3]]}}`},
		{name: "v1 predict static", method: "POST", path: "/v1/models/static:predict", body: `{"instances": [[1, 2, 3]]}`, want: 200,
			exact: `{"predictions":[[24,-10]]}`},
		{name: "v1 predict static batch 2", method: "POST", path: "/v1/models/static:predict", body: `{"instances": [[1, 2, 3], [1, 2, 3]]}`, want: 400, substr: []string{"shape"}},
		{name: "v1 predict bad JSON", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3]`, want: 400},
		{name: "v1 predict not object", method: "POST", path: "/v1/models/linear:predict", body: `[1]`, want: 400},
		{name: "v1 predict missing", method: "POST", path: "/v1/models/linear:predict", body: `{}`, want: 400, substr: []string{"instances"}},
		{name: "v1 predict both", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1,2,3]], "inputs": [[1,2,3]]}`, want: 400},
		{name: "v1 predict wrong shape", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2]]}`, want: 400},
		{name: "v1 predict ragged", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3], [1]]}`, want: 400},
		{name: "v1 predict string", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [["a", 2, 3]]}`, want: 400},
		{name: "v1 predict empty", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": []}`, want: 400},
		{name: "v1 predict pair unnamed", method: "POST", path: "/v1/models/pair:predict", body: `{"instances": [[1, 2]]}`, want: 400},
		{name: "v1 predict pair missing input", method: "POST", path: "/v1/models/pair:predict", body: `{"instances": [{"a": [1, 2]}]}`, want: 400},
		{name: "v1 predict unknown input", method: "POST", path: "/v1/models/pair:predict", body: `{"inputs": {"a": [[1, 2]], "zz": [[3, 4]]}}`, want: 400},
		{name: "v1 predict unknown model", method: "POST", path: "/v1/models/nope:predict", body: `{"instances": [[1]]}`, want: 404},
		{name: "v1 predict unknown version", method: "POST", path: "/v1/models/linear/versions/9:predict", body: `{"instances": [[1, 2, 3]]}`, want: 404},
		{name: "v1 classify without examples", method: "POST", path: "/v1/models/linear:classify", body: `{}`, want: 400},
		{name: "v1 classify", method: "POST", path: "/v1/models/linear:classify", body: `{"examples": [[1, 2, 3]]}`, want: 200, substr: []string{`{"results":[[["0",24],["1",-10]]]}`}}, // y = (1+4+9+10, -1+1-10)
		{name: "v1 regress", method: "POST", path: "/v1/models/linear:regress", body: `{}`, want: 501},
		{name: "v1 unknown verb", method: "POST", path: "/v1/models/linear:explode", body: `{}`, want: 404},
		// Engine failures and panics are logged; the client sees a stable message.
		{name: "v1 engine failure", method: "POST", path: "/v1/models/broken:predict", body: `{"instances": [[1, 2, 3]]}`, want: 500, exact: `{"error":"internal error"}`},
		{name: "v1 engine panic", method: "POST", path: "/v1/models/panics:predict", body: `{"instances": [[1, 2, 3]]}`, want: 500, exact: `{"error":"internal error"}`},
		{name: "v1 still serving after a panic", method: "POST", path: "/v1/models/linear:predict", body: `{"instances": [[1, 2, 3]]}`, want: 200},
		{name: "v1 bad timeout", method: "POST", path: "/v1/models/linear:predict", body: `{"timeout": -1, "instances": [[1, 2, 3]]}`, want: 400},

		// Open Inference Protocol V2.
		{name: "v2 live", method: "GET", path: "/v2/health/live", want: 200},
		{name: "v2 ready", method: "GET", path: "/v2/health/ready", want: 200},
		{name: "v2 server", method: "GET", path: "/v2", want: 200, substr: []string{`"name":"edgeinfer"`, `"binary_tensor_data"`}},
		{name: "v2 model", method: "GET", path: "/v2/models/linear", want: 200,
			exact: `{"name":"linear","versions":["3"],"platform":"tensorflow_lite","inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}],"outputs":[{"name":"y","datatype":"FP32","shape":[-1,2]}]}`},
		{name: "v2 model version", method: "GET", path: "/v2/models/linear/versions/3", want: 200},
		{name: "v2 model missing version", method: "GET", path: "/v2/models/linear/versions/9", want: 404},
		{name: "v2 model bad version", method: "GET", path: "/v2/models/linear/versions/x", want: 400},
		{name: "v2 model unknown", method: "GET", path: "/v2/models/nope", want: 404},
		{name: "v2 model bad name", method: "GET", path: "/v2/models/-x", want: 400},
		{name: "v2 model ready", method: "GET", path: "/v2/models/linear/ready", want: 200},
		{name: "v2 model version ready", method: "GET", path: "/v2/models/linear/versions/3/ready", want: 200},
		{name: "v2 model unknown ready", method: "GET", path: "/v2/models/nope/ready", want: 404},
		{name: "v2 infer", method: "POST", path: "/v2/models/linear/infer",
			body: `{"id": "req-1", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 0, 0, 0]}]}`, want: 200,
			exact: `{"model_name":"linear","model_version":"3","id":"req-1","outputs":[{"name":"y","datatype":"FP32","shape":[2,2],"data":[24,-10,10,-10]}]}`},
		{name: "v2 infer nested data", method: "POST", path: "/v2/models/linear/versions/3/infer",
			body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [[1, 2, 3]]}]}`, want: 200, substr: []string{`"data":[24,-10]`}},
		{name: "v2 infer requested output", method: "POST", path: "/v2/models/pair/infer",
			body: `{"inputs": [{"name": "b", "shape": [1, 2], "datatype": "FP32", "data": [3, 4]}, {"name": "a", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}], "outputs": [{"name": "sum"}]}`, want: 200,
			exact: `{"model_name":"pair","model_version":"1","outputs":[{"name":"sum","datatype":"FP32","shape":[1,1],"data":[3]}]}`},
		{name: "v2 infer timeout parameter", method: "POST", path: "/v2/models/linear/infer",
			body: `{"parameters": {"timeout": 5000000}, "inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`, want: 200},
		{name: "v2 infer unknown output", method: "POST", path: "/v2/models/pair/infer",
			body: `{"inputs": [{"name": "a", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}, {"name": "b", "shape": [1, 2], "datatype": "FP32", "data": [3, 4]}], "outputs": [{"name": "zz"}]}`, want: 400},
		{name: "v2 infer wrong datatype", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "INT32", "data": [1, 2, 3]}]}`, want: 400, substr: []string{"int32"}},
		{name: "v2 infer BYTES", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}`, want: 400, substr: []string{"BYTES"}},
		{name: "v2 infer BYTES not an image", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["aGVsbG8="]}]}`, want: 400, substr: []string{"image"}},
		{name: "v2 infer unknown datatype", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP8", "data": [1]}]}`, want: 400},
		{name: "v2 infer count mismatch", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2]}]}`, want: 400},
		{name: "v2 infer no inputs", method: "POST", path: "/v2/models/linear/infer", body: `{"inputs": []}`, want: 400},
		{name: "v2 infer unknown input", method: "POST", path: "/v2/models/pair/infer",
			body: `{"inputs": [{"name": "a", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}, {"name": "q", "shape": [1, 2], "datatype": "FP32", "data": [3, 4]}]}`, want: 400},
		{name: "v2 infer negative shape", method: "POST", path: "/v2/models/linear/infer",
			body: `{"inputs": [{"name": "x", "shape": [-1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`, want: 400},
		{name: "v2 infer unknown model", method: "POST", path: "/v2/models/nope/infer",
			body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`, want: 404},
		{name: "v2 infer engine failure", method: "POST", path: "/v2/models/broken/infer",
			body: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`, want: 500},
		{name: "v2 infer wrong method", method: "GET", path: "/v2/models/linear/infer", want: 405},
		{name: "v2 repository index", method: "POST", path: "/v2/repository/index", want: 200,
			substr: []string{`{"name":"linear","version":"3","state":"READY","reason":""}`}},
		{name: "v2 load unknown", method: "POST", path: "/v2/repository/models/nope/load", want: 404},
		{name: "metrics", method: "GET", path: "/metrics", want: 200, substr: []string{"edgeinfer_in_flight_requests", "edgeinfer_cache_hits_total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := e.do(t, tt.method, tt.path, []byte(tt.body), nil)
			if code != tt.want {
				t.Fatalf("status %d, want %d; body %s", code, tt.want, body)
			}
			if tt.path != "/metrics" && code != 405 && !json.Valid(body) {
				t.Errorf("body %s is not valid JSON", body)
			}
			if tt.exact != "" && string(body) != tt.exact {
				t.Errorf("body\n%s\nwant\n%s", body, tt.exact)
			}
			for _, s := range tt.substr {
				if !bytes.Contains(body, []byte(s)) {
					t.Errorf("body %s lacks %s", body, s)
				}
			}
			if code >= 400 && code != 405 {
				if !bytes.HasPrefix(body, []byte(`{"error":"`)) {
					t.Errorf("error body %s is not {\"error\": ...}", body)
				}
			}
			if hdr.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if strings.HasSuffix(tt.path, "predict") || strings.HasSuffix(tt.path, "infer") {
				if st := hdr.Get("Server-Timing"); (code == 200) != strings.Contains(st, "compute;dur=") {
					t.Errorf("Server-Timing %q with status %d", st, code)
				}
			}
		})
	}
	if n := e.src.pins.Load(); n != 0 {
		t.Errorf("%d models still pinned after the requests", n)
	}
	if v, _ := metricValue(t, e.srv, "edgeinfer_requests_total", map[string]string{"model": "linear", "code": "200"}); v < 5 {
		t.Errorf("edgeinfer_requests_total{linear,200} = %v", v)
	}
}

// The int8 hello_world conformance model answers over both protocols with
// the engine's own result for the same input.
func TestHTTPInt8Conformance(t *testing.T) {
	m := conformanceModel(t, "hello_world/hello_world_int8.tflite")
	e := newEnv(t, Config{}, func(s *testSource) { s.add("hw8", 1, m, ModelConfig{}) })
	b1, err := m.WithBatch(2)
	if err != nil {
		t.Fatal(err)
	}
	in := &tensor.Tensor{Name: "dense_input", DType: tensor.Int8, Shape: tensor.Shape{2, 1}, Data: []byte{5, 0x80}}
	outs, err := b1.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
	if err != nil {
		t.Fatal(err)
	}
	o := outs[0].Int8s()
	code, _, body := e.do(t, "POST", "/v2/models/hw8/infer", []byte(`{"inputs":[{"name":"dense_input","shape":[2,1],"datatype":"INT8","data":[5,-128]}]}`), nil)
	want := fmt.Sprintf(`"outputs":[{"name":"dense_2","datatype":"INT8","shape":[2,1],"data":[%d,%d]}]`, o[0], o[1])
	if code != 200 || !strings.Contains(string(body), want) {
		t.Fatalf("v2: %d %s, want %s", code, body, want)
	}
	// V1 takes and answers real numbers by default; "quantize": false and
	// "dequantize": false keep the integers.
	code, _, body = e.do(t, "POST", "/v1/models/hw8:predict", []byte(`{"instances":[[5],[-128]],"quantize":false,"dequantize":false}`), nil)
	if want := fmt.Sprintf(`{"predictions":[[%d],[%d]]}`, o[0], o[1]); code != 200 || string(body) != want {
		t.Fatalf("v1: %d %s, want %s", code, body, want)
	}
	code, _, _ = e.do(t, "POST", "/v1/models/hw8:predict", []byte(`{"instances":[[128]],"quantize":false}`), nil)
	if code != 400 {
		t.Fatalf("int8 overflow: %d, want 400", code)
	}
}

// buildV2Binary returns a V2 request with the binary tensor data extension.
func buildV2Binary(header string, data ...[]byte) ([]byte, string) {
	b := []byte(header)
	for _, d := range data {
		b = append(b, d...)
	}
	return b, strconv.Itoa(len(header))
}

func f32bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func TestV2BinaryExtension(t *testing.T) {
	e := standardEnv(t, Config{})
	tests := []struct {
		name    string
		header  string
		data    [][]byte
		hlen    string // overrides the computed header length
		want    int
		binOuts []string // outputs expected in binary, in order
		json    string   // substring of the JSON part
	}{
		{name: "binary in binary out",
			header:  `{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","parameters":{"binary_data_size":24}}],"parameters":{"binary_data_output":true}}`,
			data:    [][]byte{f32bytes(1, 2, 3, 0, 0, 0)},
			want:    200,
			binOuts: []string{"y"},
			json:    `{"name":"y","datatype":"FP32","shape":[2,2],"parameters":{"binary_data_size":16}}`},
		{name: "binary in json out",
			header: `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}`,
			data:   [][]byte{f32bytes(1, 2, 3)},
			want:   200,
			json:   `"data":[24,-10]`},
		{name: "mixed inputs, per-output binary",
			header:  `{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}],"outputs":[{"name":"cat","parameters":{"binary_data":true}},{"name":"sum"}]}`,
			data:    [][]byte{f32bytes(1, 2)},
			want:    200,
			binOuts: []string{"cat"},
			json:    `{"name":"sum","datatype":"FP32","shape":[1,1],"data":[3]}`},
		{name: "size mismatch",
			header: `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`,
			data:   [][]byte{f32bytes(1, 2)}, want: 400},
		{name: "short data",
			header: `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}`,
			data:   [][]byte{f32bytes(1, 2)}, want: 400},
		{name: "trailing data",
			header: `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}`,
			data:   [][]byte{f32bytes(1, 2, 3, 4)}, want: 400},
		{name: "header length beyond body", header: `{}`, hlen: "99", want: 400},
		{name: "header length not a number", header: `{}`, hlen: "x", want: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v2/models/linear/infer"
			if strings.Contains(tt.header, `"a"`) {
				path = "/v2/models/pair/infer"
			}
			body, hlen := buildV2Binary(tt.header, tt.data...)
			if tt.hlen != "" {
				hlen = tt.hlen
			}
			code, hdr, resp := e.do(t, "POST", path, body, map[string]string{"Inference-Header-Content-Length": hlen, "Content-Type": "application/octet-stream"})
			if code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, resp)
			}
			if code != 200 {
				return
			}
			js := resp
			if len(tt.binOuts) > 0 {
				n, err := strconv.Atoi(hdr.Get("Inference-Header-Content-Length"))
				if err != nil || n > len(resp) {
					t.Fatalf("Inference-Header-Content-Length %q for %d bytes", hdr.Get("Inference-Header-Content-Length"), len(resp))
				}
				js = resp[:n]
				bin := resp[n:]
				var want []byte
				switch tt.binOuts[0] {
				case "y":
					want = f32bytes(24, -10, 10, -10)
				case "cat":
					want = f32bytes(1, 2, 3, 4)
				}
				if !bytes.Equal(bin, want) {
					t.Fatalf("binary output %v, want %v", bin, want)
				}
			} else if hdr.Get("Inference-Header-Content-Length") != "" {
				t.Fatal("JSON-only response has Inference-Header-Content-Length")
			}
			if !bytes.Contains(js, []byte(tt.json)) {
				t.Fatalf("JSON part %s lacks %s", js, tt.json)
			}
		})
	}
}

func compress(t testing.TB, enc string, data []byte) []byte {
	var buf bytes.Buffer
	switch enc {
	case "gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		zw.Close()
	}
	return buf.Bytes()
}

func TestCompressionAndLimits(t *testing.T) {
	e := standardEnv(t, Config{MaxBodyBytes: 4096, MaxDecodedBytes: 16 << 10, MaxElements: 600})
	pred := []byte(`{"instances": [[1, 2, 3]]}`)
	big := []byte(`{"instances": [` + strings.Repeat("[1,2,3],", 150) + `[1,2,3]]}`) // 453 elements, ~3.8 KB
	huge := []byte(`{"instances": [` + strings.Repeat(" ", 20000) + `[1,2,3]]}`)     // decodes past 16 KiB
	tooMany := []byte(`{"instances": [` + strings.Repeat("[1,2,3],", 233) + `[1,2,3]]}`)
	tests := []struct {
		name   string
		body   []byte
		hdr    map[string]string
		want   int
		substr string
		respCE string // Content-Encoding of the response
	}{
		{name: "gzip request", body: compress(t, "gzip", pred), hdr: map[string]string{"Content-Encoding": "gzip"}, want: 200, substr: `[[24,-10]]`},
		{name: "zstd request", body: compress(t, "zstd", pred), hdr: map[string]string{"Content-Encoding": "zstd"}, want: 200, substr: `[[24,-10]]`},
		{name: "identity", body: pred, hdr: map[string]string{"Content-Encoding": "identity"}, want: 200},
		{name: "unknown encoding", body: pred, hdr: map[string]string{"Content-Encoding": "br"}, want: 400, substr: "Content-Encoding"},
		{name: "corrupt gzip", body: []byte("not gzip at all"), hdr: map[string]string{"Content-Encoding": "gzip"}, want: 400},
		{name: "corrupt zstd", body: []byte("not zstd at all"), hdr: map[string]string{"Content-Encoding": "zstd"}, want: 400},
		{name: "body over MaxBodyBytes", body: huge, want: 413, substr: "MaxBodyBytes"},
		{name: "gzip over MaxDecodedBytes", body: compress(t, "gzip", huge), hdr: map[string]string{"Content-Encoding": "gzip"}, want: 413, substr: "MaxDecodedBytes"},
		{name: "zstd over MaxDecodedBytes", body: compress(t, "zstd", huge), hdr: map[string]string{"Content-Encoding": "zstd"}, want: 413, substr: "MaxDecodedBytes"},
		{name: "elements over MaxElements", body: compress(t, "gzip", tooMany), hdr: map[string]string{"Content-Encoding": "gzip"}, want: 400, substr: "MaxElements"},
		{name: "gzip response", body: big, hdr: map[string]string{"Accept-Encoding": "gzip"}, want: 200, respCE: "gzip"},
		{name: "zstd response", body: big, hdr: map[string]string{"Accept-Encoding": "gzip, zstd"}, want: 200, respCE: "zstd"},
		{name: "refused encoding", body: big, hdr: map[string]string{"Accept-Encoding": "zstd;q=0"}, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.ts.URL+"/v1/models/linear:predict", bytes.NewReader(tt.body))
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			// A transport that leaves Accept-Encoding and decoding to us.
			tr := &http.Transport{DisableCompression: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			body := buf.Bytes()
			if ce := resp.Header.Get("Content-Encoding"); ce != tt.respCE {
				t.Fatalf("response Content-Encoding %q, want %q", ce, tt.respCE)
			}
			switch tt.respCE {
			case "gzip":
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				out.ReadFrom(zr)
				body = out.Bytes()
			case "zstd":
				zr, _ := zstd.NewReader(nil)
				body, err = zr.DecodeAll(body, nil)
				zr.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tt.want, body)
			}
			if !bytes.Contains(body, []byte(tt.substr)) {
				t.Fatalf("body %.300s lacks %q", body, tt.substr)
			}
			if tt.respCE != "" && !bytes.HasPrefix(body, []byte(`{"predictions":[[24,-10],`)) {
				t.Fatalf("decoded body %.100s", body)
			}
		})
	}
}

func TestAuthToken(t *testing.T) {
	e := standardEnv(t, Config{AuthToken: "s3cret"})
	tests := []struct {
		name string
		path string
		auth string
		want int
	}{
		{name: "health needs no token", path: "/v2/health/live", want: 200},
		{name: "missing", path: "/v2/models/linear", want: 401},
		{name: "wrong", path: "/v2/models/linear", auth: "Bearer nope", want: 401},
		{name: "not bearer", path: "/v2/models/linear", auth: "Basic s3cret", want: 401},
		{name: "right", path: "/v2/models/linear", auth: "Bearer s3cret", want: 200},
		{name: "metrics need it too", path: "/metrics", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			code, hdr, _ := e.do(t, "GET", tt.path, nil, h)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestRepositoryLoadUnload(t *testing.T) {
	e := standardEnv(t, Config{EnableAdmin: true})
	pred := []byte(`{"instances": [[1, 2, 3]]}`)
	steps := []struct {
		name, method, path string
		body               []byte
		want               int
	}{
		{name: "unload", method: "POST", path: "/v2/repository/models/linear/unload", want: 200},
		{name: "not ready", method: "GET", path: "/v2/models/linear/ready", want: 503},
		{name: "predict unavailable", method: "POST", path: "/v1/models/linear:predict", body: pred, want: 503},
		{name: "load", method: "POST", path: "/v2/repository/models/linear/load", want: 200},
		{name: "ready again", method: "GET", path: "/v2/models/linear/ready", want: 200},
		{name: "predict again", method: "POST", path: "/v1/models/linear:predict", body: pred, want: 200},
	}
	for _, st := range steps {
		code, hdr, body := e.do(t, st.method, st.path, st.body, nil)
		if code != st.want {
			t.Fatalf("%s: status %d, want %d: %s", st.name, code, st.want, body)
		}
		if code == 503 && hdr.Get("Retry-After") == "" {
			t.Fatalf("%s: 503 without Retry-After", st.name)
		}
	}
}

func TestHTTPStatusMapping(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: 200},
		{name: "not found", err: fmt.Errorf("x: %w", ErrNotFound), want: 404},
		{name: "invalid", err: ErrInvalid, want: 400},
		{name: "json", err: tensor.ErrJSON, want: 400},
		{name: "engine input", err: fmt.Errorf("run: %w", tflite.ErrInput), want: 400},
		{name: "body limit", err: &LimitError{Limit: "MaxBodyBytes", Max: 1}, want: 413},
		{name: "elements limit", err: &LimitError{Limit: "MaxElements", Max: 1}, want: 400},
		{name: "unauthorized", err: ErrUnauthorized, want: 401},
		{name: "overloaded", err: ErrOverloaded, want: 429},
		{name: "unavailable", err: ErrUnavailable, want: 503},
		{name: "unimplemented", err: ErrUnimplemented, want: 501},
		{name: "engine unsupported", err: tflite.ErrUnsupported, want: 501},
		{name: "deadline", err: fmt.Errorf("q: %w", context.DeadlineExceeded), want: 504},
		{name: "cancelled", err: context.Canceled, want: 499},
		{name: "other", err: errors.New("boom"), want: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpStatus(tt.err); got != tt.want {
				t.Fatalf("httpStatus(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestRequestTimeoutHeaders(t *testing.T) {
	tests := []struct {
		name    string
		hdr     map[string]string
		want    time.Duration
		wantErr bool
	}{
		{name: "none", want: 0},
		{name: "x-request-timeout duration", hdr: map[string]string{"X-Request-Timeout": "250ms"}, want: 250 * time.Millisecond},
		{name: "x-request-timeout seconds", hdr: map[string]string{"X-Request-Timeout": "1.5"}, want: 1500 * time.Millisecond},
		{name: "grpc millis", hdr: map[string]string{"Grpc-Timeout": "100m"}, want: 100 * time.Millisecond},
		{name: "grpc hours", hdr: map[string]string{"Grpc-Timeout": "2H"}, want: 2 * time.Hour},
		{name: "grpc bad unit", hdr: map[string]string{"Grpc-Timeout": "100x"}, wantErr: true},
		{name: "grpc zero", hdr: map[string]string{"Grpc-Timeout": "0S"}, wantErr: true},
		{name: "negative", hdr: map[string]string{"X-Request-Timeout": "-1s"}, wantErr: true},
		{name: "garbage", hdr: map[string]string{"X-Request-Timeout": "soon"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.hdr {
				h.Set(k, v)
			}
			got, err := requestTimeout(h)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %v, %v; want %v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
