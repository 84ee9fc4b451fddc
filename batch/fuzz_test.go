package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func appendF32(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

func appendF64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// fuzzDecoder checks the invariants of any decoder over arbitrary bytes: no
// panic, a bounded number of records, every error a sentinel, every good
// record shaped for the model.
func fuzzDecoder(t *testing.T, data []byte, f Format, specs []tflite.TensorSpec) {
	d, err := NewDecoder(bytes.NewReader(data), f, DecodeOptions{Inputs: specs, MaxRecordBytes: 512, MaxElements: 4096})
	if err != nil {
		if !errors.Is(err, ErrStream) && !errors.Is(err, ErrFormat) {
			t.Fatalf("NewDecoder: %v is not a sentinel", err)
		}
		return
	}
	for n := 0; ; n++ {
		if n > len(data)+1 {
			t.Fatalf("more records (%d) than input bytes (%d)", n, len(data))
		}
		r, err := d.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !errors.Is(err, ErrStream) && !errors.Is(err, ErrFormat) {
				t.Fatalf("Next: %v is not a sentinel", err)
			}
			return
		}
		if r.Index != n {
			t.Fatalf("record %d has index %d", n, r.Index)
		}
		if r.Err != nil {
			continue
		}
		if r.Items < 1 || len(r.Inputs) != len(specs) {
			t.Fatalf("record %d: %d items, %d inputs", n, r.Items, len(r.Inputs))
		}
		for k, in := range r.Inputs {
			if err := in.Validate(); err != nil {
				t.Fatalf("record %d input %d: %v", n, k, err)
			}
			if in.DType != specs[k].DType || in.Shape[0] != r.Items || checkRecordShape(specs[k], in.Shape) != nil {
				t.Fatalf("record %d input %d: %s %s for spec %s", n, k, in.DType, in.Shape, specs[k].Shape)
			}
		}
	}
}

func FuzzNDJSON(f *testing.F) {
	f.Add([]byte("[1,2,3,4]\n{\"x\":[1,2,3,4]}\n"))
	f.Add([]byte(`{"instances":[[1,2,3,4],[5,6,7,8]]}`))
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`))
	f.Add([]byte(`{"a":[1,2],"b":[3]}`))
	f.Add([]byte(`{"id":"q","inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","data":[1,2,3,4,5,6,7,8]}],"parameters":{"k":[true,null,"s"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecoder(t, data, FormatNDJSON, specX4)
		fuzzDecoder(t, data, FormatNDJSON, specTwo)
		sameAsGeneral(t, data, FormatNDJSON, specX4)
		sameAsGeneral(t, data, FormatNDJSON, specI8x4)
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b,c,d\n1,2,3,4\n"))
	f.Add([]byte("1, \"2\" ,NaN,-Infinity\r\n1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecoder(t, data, FormatCSV, specX4)
		fuzzDecoder(t, data, FormatCSV, specInt8)
		sameAsGeneral(t, data, FormatCSV, specX4)
		sameAsGeneral(t, data, FormatCSV, specI8x4)
	})
}

func FuzzNpy(f *testing.F) {
	f.Add([]byte(npyString(f, tensor.Float32, tensor.Shape{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8})))
	f.Add([]byte(npyString(f, tensor.Float32, tensor.Shape{1, 3}, []float32{1, 2, 3})))
	f.Add([]byte(npyString(f, tensor.Float32, tensor.Shape{3, 4}, make([]float32, 12)))[:100])
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecoder(t, data, FormatNpy, specX4)
		sameAsGeneral(t, data, FormatNpy, specX4)
	})
}
