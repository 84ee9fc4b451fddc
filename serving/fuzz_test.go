package serving

import (
	"errors"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

var fuzzSpecs = []tflite.TensorSpec{
	{Name: "a", DType: tensor.Float32, Shape: tensor.Shape{-1, 2}},
	{Name: "b", DType: tensor.Int8, Shape: tensor.Shape{-1, 2}},
}

// FuzzDecodeV2 feeds arbitrary bodies, with and without the binary
// extension, to the V2 request decoder: it must return a request whose
// tensors are valid, or an error the HTTP layer maps to a 4xx or 501.
func FuzzDecodeV2(f *testing.F) {
	f.Add([]byte(`{"id":"x","inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,NaN]}],"outputs":[{"name":"y","parameters":{"binary_data":true}}]}`), -1)
	f.Add(append([]byte(`{"inputs":[{"name":"a","shape":[1,2],"datatype":"INT8","parameters":{"binary_data_size":2}}]}`), 1, 2), 84)
	f.Add([]byte(`{"parameters":{"timeout":100,"binary_data_output":true},"inputs":[{"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]}]}`), -1)
	f.Add([]byte(`{"inputs":[{"name":"b","shape":[1],"datatype":"BYTES","data":["x"]}]}`), -1)
	f.Add([]byte(`{"inputs":[{"name":"b","shape":[2],"datatype":"BYTES","data":["aGk=",{"b64":"/9j/"}]}]}`), -1)
	f.Add(append([]byte(`{"inputs":[{"name":"b","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":6}}]}`), 2, 0, 0, 0, 'h', 'i'), 92)
	f.Add([]byte(`{"id":"q","inputs":[{"name":"a","shape":[2,2],"datatype":"FP32","data":[[1,"NaN"],[true,-Infinity]]}],"outputs":[]}`), -1)
	f.Add([]byte(`{"inputs":[{"name":"a","shape":[4194304,4],"datatype":"FP32","data":[1,2,3,4]}]}`), -1)
	f.Fuzz(func(t *testing.T, body []byte, hlen int) {
		if hlen < -1 {
			hlen = -1
		}
		lim := decodeLimits{json: tensor.JSONLimits{MaxValues: 1 << 12, PackNumbers: true}, maxElements: 1 << 12}
		req, err := decodeV2Request(body, hlen, lim)
		if err != nil {
			if c := httpStatus(err); c != 400 && c != 501 && c != 413 {
				t.Fatalf("error %v maps to %d", err, c)
			}
			return
		}
		for _, in := range req.inputs {
			if in.DType == tensor.String { // BYTES: encoded images, split later
				if _, err := splitBytes(in); err != nil {
					t.Fatalf("decoded an invalid BYTES tensor: %v", err)
				}
				continue
			}
			if err := in.Validate(); err != nil {
				t.Fatalf("decoded an invalid tensor: %v", err)
			}
		}
	})
}

// FuzzDecodeV1 feeds arbitrary JSON to the TensorFlow Serving request
// decoder.
func FuzzDecodeV1(f *testing.F) {
	f.Add([]byte(`{"instances":[{"a":[1,2],"b":[3,4]}]}`))
	f.Add([]byte(`{"inputs":{"a":[[1,2]],"b":{"b64":"AQI="}}}`))
	f.Add([]byte(`{"instances":[[Infinity,-Infinity]]}`))
	f.Add([]byte(`{"inputs":[[1,2],[3]]}`))
	f.Add([]byte(`{"instances":[[1,"NaN"],["Infinity",-0.5e3]]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := decodeLimits{json: tensor.JSONLimits{MaxValues: 1 << 12, PackNumbers: true}, maxElements: 1 << 12}
		doc, err := parseJSON(body, lim)
		if err != nil || doc.Kind != tensor.JSONObject {
			return
		}
		for _, specs := range [][]tflite.TensorSpec{fuzzSpecs, fuzzSpecs[:1]} {
			ins, _, err := decodeV1Inputs(doc, specs, lim)
			if err != nil {
				if c := httpStatus(err); c != 400 && c != 413 {
					t.Fatalf("error %v maps to %d", err, c)
				}
				continue
			}
			for _, in := range ins {
				if err := in.Validate(); err != nil {
					t.Fatalf("decoded an invalid tensor: %v", err)
				}
			}
		}
	})
}

// FuzzPath feeds arbitrary paths to the TensorFlow Serving path parser: a
// path it accepts names a valid model.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"/v1/models/m", "/v1/models/m/versions/3:predict", "/v1/models/m/labels/x/metadata", "/v1/models/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		v, err := parseV1Path(p)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if CheckModelName(v.ref.Model) != nil || v.ref.Version < 0 {
			t.Fatalf("accepted %q as %+v", p, v)
		}
	})
}
