package batch

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

var (
	specX4   = []tflite.TensorSpec{{Name: "x", DType: tensor.Float32, Shape: tensor.Shape{-1, 4}}}
	specInt8 = []tflite.TensorSpec{{Name: "image", DType: tensor.Int8, Shape: tensor.Shape{-1, 2, 2, 1}}}
	specTwo  = []tflite.TensorSpec{
		{Name: "a", DType: tensor.Float32, Shape: tensor.Shape{-1, 2}},
		{Name: "b", DType: tensor.Int32, Shape: tensor.Shape{-1, 1}},
	}
)

// decoded is what one record decodes to, written by hand.
type decoded struct {
	line  int64
	items int
	vals  []float64 // first input's elements; nil for a bad record
	bad   string    // substring of the record error
}

func decodeAll(t *testing.T, in string, f Format, specs []tflite.TensorSpec) ([]Record, error) {
	t.Helper()
	d, err := NewDecoder(strings.NewReader(in), f, DecodeOptions{Inputs: specs, MaxRecordBytes: 256})
	if err != nil {
		return nil, err
	}
	var recs []Record
	for range 1000 {
		r, err := d.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, r)
	}
	t.Fatal("decoder did not end")
	return nil, nil
}

func values(tt *tensor.Tensor) []float64 {
	n := tt.Shape.Elements()
	out := make([]float64, n)
	for i := range out {
		out[i] = tt.AsFloat64(i)
	}
	return out
}

func TestDecoders(t *testing.T) {
	long := strings.Repeat("1,", 200) + "1"
	tests := []struct {
		name    string
		format  Format
		specs   []tflite.TensorSpec
		in      string
		want    []decoded
		wantErr error
	}{
		{name: "ndjson rows", format: FormatNDJSON, specs: specX4,
			in:   "[1,2,3,4]\n\n[[5,6,7,8]]\r\n{\"x\":[0,0,0,1]}",
			want: []decoded{{line: 1, items: 1, vals: []float64{1, 2, 3, 4}}, {line: 3, items: 1, vals: []float64{5, 6, 7, 8}}, {line: 4, items: 1, vals: []float64{0, 0, 0, 1}}}},
		{name: "ndjson instances", format: FormatNDJSON, specs: specX4,
			in:   `{"instances":[[1,2,3,4],[5,6,7,8]]}` + "\n",
			want: []decoded{{line: 1, items: 2, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}}}},
		{name: "ndjson v2", format: FormatNDJSON, specs: specX4,
			in: `{"id":"a","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}` + "\n" +
				`{"inputs":[{"name":"x","shape":[2,4],"data":[[1,1,1,1],[2,2,2,2]]}]}`,
			want: []decoded{{line: 1, items: 1, vals: []float64{1, 2, 3, 4}}, {line: 2, items: 2, vals: []float64{1, 1, 1, 1, 2, 2, 2, 2}}}},
		{name: "ndjson bad records", format: FormatNDJSON, specs: specX4,
			in:   "[1,2,3]\n{nope\n" + `{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT8","data":[1,2,3,4]}]}` + "\n" + `{"instances":[]}` + "\n[\"a\",1,2,3]\n[1,2,3,4]\n",
			want: []decoded{{line: 1, bad: "values"}, {line: 2, bad: "JSON"}, {line: 3, bad: "datatype"}, {line: 4, bad: "instances"}, {line: 5, bad: "input"}, {line: 6, items: 1, vals: []float64{1, 2, 3, 4}}}},
		{name: "ndjson long line skipped", format: FormatNDJSON, specs: specX4,
			in:   "[" + long + "]\n[1,2,3,4]\n",
			want: []decoded{{line: 1, bad: "longer than 256"}, {line: 2, items: 1, vals: []float64{1, 2, 3, 4}}}},
		{name: "ndjson two inputs", format: FormatNDJSON, specs: specTwo,
			in:   `{"a":[1,2],"b":[3]}` + "\n[1,2]\n" + `{"a":[1,2],"b":[1.5]}`,
			want: []decoded{{line: 1, items: 1, vals: []float64{1, 2}}, {line: 2, bad: "object of input name"}, {line: 3, bad: "b"}}},
		{name: "csv with header", format: FormatCSV, specs: specX4,
			in:   "\xef\xbb\xbfa,b,c,d\r\n1, 2 ,\"3\",4\r\n\r\n1,2,3\n1,2,x,4\n-1e0,NaN,Infinity,0.5",
			want: []decoded{{line: 2, items: 1, vals: []float64{1, 2, 3, 4}}, {line: 4, bad: "3 fields"}, {line: 5, bad: "not a number"}, {line: 6, items: 1, vals: []float64{-1, math.NaN(), math.Inf(1), 0.5}}}},
		{name: "csv int8 range", format: FormatCSV, specs: specInt8,
			in:   "1,2,3,4\n1,2,3,400\n1.5,0,0,0\n",
			want: []decoded{{line: 1, items: 1, vals: []float64{1, 2, 3, 4}}, {line: 2, bad: "400"}, {line: 3, bad: "1.5"}}},
		{name: "csv two inputs", format: FormatCSV, specs: specTwo, in: "1,2\n", wantErr: ErrFormat},
		{name: "npy", format: FormatNpy, specs: specX4, in: npyString(t, tensor.Float32, tensor.Shape{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8}),
			want: []decoded{{items: 1, vals: []float64{1, 2, 3, 4}}, {items: 1, vals: []float64{5, 6, 7, 8}}}},
		{name: "npy wrong dtype", format: FormatNpy, specs: specX4, in: npyString(t, tensor.Float64, tensor.Shape{1, 4}, []float64{1, 2, 3, 4}), wantErr: ErrFormat},
		{name: "npy wrong shape", format: FormatNpy, specs: specX4, in: npyString(t, tensor.Float32, tensor.Shape{1, 3}, []float32{1, 2, 3}), wantErr: ErrFormat},
		{name: "npy truncated", format: FormatNpy, specs: specX4,
			in:   npyString(t, tensor.Float32, tensor.Shape{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8})[:0x80+20],
			want: []decoded{{items: 1, vals: []float64{1, 2, 3, 4}}}, wantErr: ErrStream},
		{name: "npy garbage", format: FormatNpy, specs: specX4, in: "not a numpy file at all", wantErr: ErrStream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := decodeAll(t, tc.in, tc.format, tc.specs)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if len(recs) != len(tc.want) {
				t.Fatalf("%d records, want %d: %+v", len(recs), len(tc.want), recs)
			}
			for i, w := range tc.want {
				r := recs[i]
				if r.Index != i || r.Line != w.line {
					t.Errorf("record %d: index %d line %d, want line %d", i, r.Index, r.Line, w.line)
				}
				if w.bad != "" {
					if r.Err == nil || !strings.Contains(r.Err.Error(), w.bad) {
						t.Errorf("record %d: err %v, want one containing %q", i, r.Err, w.bad)
					}
					if r.Err != nil && !errors.Is(r.Err, ErrRecord) {
						t.Errorf("record %d: %v does not match ErrRecord", i, r.Err)
					}
					continue
				}
				if r.Err != nil {
					t.Fatalf("record %d: unexpected error %v", i, r.Err)
				}
				if r.Items != w.items || len(r.Inputs) != len(tc.specs) {
					t.Fatalf("record %d: items %d inputs %d", i, r.Items, len(r.Inputs))
				}
				for k, in := range r.Inputs {
					if in.Name != tc.specs[k].Name || in.DType != tc.specs[k].DType || in.Shape[0] != w.items {
						t.Errorf("record %d input %d: %s %s %s", i, k, in.Name, in.DType, in.Shape)
					}
				}
				got := values(r.Inputs[0])
				if len(got) != len(w.vals) {
					t.Fatalf("record %d: values %v, want %v", i, got, w.vals)
				}
				for j := range got {
					if got[j] != w.vals[j] && !(math.IsNaN(got[j]) && math.IsNaN(w.vals[j])) {
						t.Errorf("record %d: values %v, want %v", i, got, w.vals)
						break
					}
				}
			}
		})
	}
}

// npyString writes a .npy file with the given contents (as numpy.save would).
func npyString[T any](t testing.TB, dt tensor.DType, shape tensor.Shape, vals []T) string {
	t.Helper()
	var b bytes.Buffer
	if err := tensor.WriteNpyHeader(&b, dt, shape); err != nil {
		t.Fatal(err)
	}
	tt := &tensor.Tensor{DType: dt, Shape: shape}
	tt.Data = make([]byte, 0, len(vals)*dt.Size())
	for _, v := range vals {
		switch x := any(v).(type) {
		case float32:
			tt.Data = appendF32(tt.Data, x)
		case float64:
			tt.Data = appendF64(tt.Data, x)
		}
	}
	b.Write(tt.Data)
	return b.String()
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, key, head string
		want            Format
	}{
		{name: "csv ext", key: "in/a.csv.zst", head: "{", want: FormatCSV},
		{name: "ndjson ext", key: "a.jsonl.gz", want: FormatNDJSON},
		{name: "npy ext", key: "a.NPY", want: FormatNpy},
		{name: "npy magic", key: "a.bin", head: "\x93NUMPY\x01\x00", want: FormatNpy},
		{name: "json sniff", key: "a", head: " \n[1,2]", want: FormatNDJSON},
		{name: "default csv", key: "a.dat", head: "1,2,3", want: FormatCSV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectFormat(tc.key, []byte(tc.head)); got != tc.want {
				t.Errorf("DetectFormat = %s, want %s", got, tc.want)
			}
		})
	}
}
