package batch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// sameAsGeneral decodes data with the fast path (nextInto) and with the
// general decoder (Next) and fails unless both give the same records: the
// same indexes, lines, items, bytes and error messages.
func sameAsGeneral(t *testing.T, data []byte, f Format, specs []tflite.TensorSpec, set ...func(*DecodeOptions)) {
	t.Helper()
	opts := DecodeOptions{Inputs: specs, MaxRecordBytes: 512, MaxElements: 4096}
	for _, fn := range set {
		fn(&opts)
	}
	slow, err1 := NewDecoder(bytes.NewReader(data), f, opts)
	fast, err2 := NewDecoder(bytes.NewReader(data), f, opts)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("NewDecoder: %v vs %v", err1, err2)
	}
	if err1 != nil {
		return
	}
	bd, ok := fast.(bufDecoder)
	if !ok {
		t.Fatalf("%s decoder has no fast path", f)
	}
	for n := 0; n <= len(data)+1; n++ {
		want, werr := slow.Next()
		dst := make([][]byte, len(specs))
		got, dst, gerr := bd.nextInto(dst)
		if gerr != nil && gerr != io.EOF && f == FormatNpy {
			// Rows are read in blocks: a truncated stream fails at the
			// block's start. Only the failure must be the same.
			for werr == nil {
				_, werr = slow.Next()
			}
			if !errors.Is(gerr, ErrStream) || !errors.Is(werr, ErrStream) {
				t.Fatalf("record %d: error %v, general decoder %v", n, gerr, werr)
			}
			return
		}
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("record %d: error %v, general decoder %v", n, gerr, werr)
		}
		if werr == io.EOF || werr != nil {
			return
		}
		if got.Index != want.Index || got.Line != want.Line || (got.Err == nil) != (want.Err == nil) {
			t.Fatalf("record %d: %+v, general decoder %+v", n, got, want)
		}
		if want.Err != nil {
			if got.Err.Msg != want.Err.Msg {
				t.Fatalf("record %d: error %q, general decoder %q", n, got.Err.Msg, want.Err.Msg)
			}
			continue
		}
		if got.Items != want.Items || got.Inputs != nil {
			t.Fatalf("record %d: %d items (inputs %v), general decoder %d", n, got.Items, got.Inputs, want.Items)
		}
		for k, in := range want.Inputs {
			if !bytes.Equal(dst[k], in.Data) {
				t.Fatalf("record %d input %d: % x, general decoder % x", n, k, dst[k], in.Data)
			}
		}
	}
	t.Fatal("decoder did not end")
}

var (
	specI8x4  = []tflite.TensorSpec{{Name: "x", DType: tensor.Int8, Shape: tensor.Shape{-1, 4}}}
	specI32x2 = []tflite.TensorSpec{{Name: "x", DType: tensor.Int32, Shape: tensor.Shape{-1, 2, 1}}}
	specF64x2 = []tflite.TensorSpec{{Name: "x", DType: tensor.Float64, Shape: tensor.Shape{-1, 2}}}
)

// fastCases are records on and around the fast path's edges.
const fastCases = `[1,2,3,4]
{"id":"a","id":"b","inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}]}
{"inputs":[{"name":"x","name":"y","shape":[1,4],"data":[1,2,3,4]}]}
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4],"data":[5,6,7,8]}]}
{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}]}
{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"a":12,"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}]}
[16777217,0.1,123456.789,-0.000001]
[99999999999999999999,1.00000000001,9007199254740993,2]
[9223372036854775807,-9223372036854775808,9223372036854775808,1]
[ 1 , -2.5e1 ,3E-2, 0.000001 ]
[-0,0,1e3,127]
[128,1,2,3]
[1.5,1,2,3]
[1,2,3]
[1,2,3,4,5]
[1,2,3,4,]
[1 2,3,4]
[[1,2,3,4]]
["NaN",1,2,3]
[NaN,1,2,3]
[3.5e39,1,2,3]
[1e-50,1,2,3]
[01,2,3,4]
[+1,2,3,4]
[.5,2,3,4]
[0x10,2,3,4]
[1_0,2,3,4]
[true,2,3,4]
{"x":[1,2,3,4]}
{"instances":[[1,2,3,4],[5,6,7,8]]}
[1,2,3,4] x
[]
[9223372036854775807, -9223372036854775808]
[1e400,2]
[2147483648,1]
{"id":"a","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}
{"inputs":[{"name":"x","shape":[2,4],"data":[1,2,3,4,5,6,7,8]}],"parameters":{"a":[1,{"b":null}],"c":true}}
{"inputs":[{"data":[1,2,3,4],"name":"x","shape":[1,4]}]}
{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT8","data":[1,2,3,4]}]}
{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[[1,2,3,4]]}]}
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3]}]}
{"inputs":[{"name":"x","shape":[0,4],"data":[]}]}
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]},{"name":"y","shape":[1],"data":[1]}]}
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}],"inputs":[]}
{"inputs":[{"name":"x","shape":[1,2,2],"data":[1,2,3,4]}]}
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}],"instances":[[1,2,3,4]]}
{"inputs":[{"name":"\u0078","shape":[1,4],"data":[1,2,3,4]}]}
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}]} x
{"inputs":[{"name":"x","shape":[-1,4],"data":[1,2,3,4]}]}
{"inputs":[{"name":"x","shape":[1,2],"data":[1,2]}]}

`

func TestFastDecodeMatchesGeneral(t *testing.T) {
	for _, specs := range [][]tflite.TensorSpec{specX4, specI8x4, specI32x2, specF64x2, specTwo, specInt8} {
		sameAsGeneral(t, []byte(fastCases), FormatNDJSON, specs)
		csv := strings.NewReplacer("[", "", "]", "", "{", "", "}", "").Replace(fastCases)
		sameAsGeneral(t, []byte("a,b,c,d\n"+csv), FormatCSV, specs[:1])
	}
	sameAsGeneral(t, []byte(npyString(t, tensor.Float32, tensor.Shape{3, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})), FormatNpy, specX4)
}

// TestFastDecodeNoAllocs: a bare row costs no allocation.
func TestFastDecodeNoAllocs(t *testing.T) {
	var in bytes.Buffer
	for i := range 200 {
		in.WriteString("[1.25,-3,")
		in.WriteString(strings.Repeat("7", 1+i%5))
		in.WriteString(",0.5]\n")
	}
	d, err := NewDecoder(bytes.NewReader(in.Bytes()), FormatNDJSON, DecodeOptions{Inputs: specX4})
	if err != nil {
		t.Fatal(err)
	}
	bd := d.(bufDecoder)
	dst := [][]byte{make([]byte, 0, 200*16)}
	allocs := testing.AllocsPerRun(100, func() {
		var rec Record
		rec, dst, err = bd.nextInto(dst)
		if err != nil || rec.Err != nil || rec.Items != 1 {
			t.Fatalf("record %+v, %v", rec, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record", allocs)
	}
}
