package tensor

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		check   func(t *testing.T, v *JSONValue)
	}{
		{name: "object", in: ` {"a": [1, -2.5e3, NaN, Infinity, -Infinity], "b": "x\u00e9\n", "c": null, "d": true} `,
			check: func(t *testing.T, v *JSONValue) {
				a := v.Get("a")
				if a == nil || len(a.Items) != 5 || string(a.Items[4].Text) != "-Infinity" || string(a.Items[1].Text) != "-2.5e3" {
					t.Fatalf("a = %+v", a)
				}
				if b := v.Get("b"); string(b.Text) != "xé\n" {
					t.Fatalf("b = %q", b.Text)
				}
				if v.Get("c").Kind != JSONNull || !v.Get("d").Bool || v.Get("zz") != nil {
					t.Fatal("c/d/zz wrong")
				}
			}},
		{name: "surrogate pair", in: `"\ud83d\ude00"`, check: func(t *testing.T, v *JSONValue) {
			if string(v.Text) != "😀" {
				t.Fatalf("got %q", v.Text)
			}
		}},
		{name: "empty array", in: `[]`, check: func(t *testing.T, v *JSONValue) {
			if v.Kind != JSONArray || len(v.Items) != 0 {
				t.Fatal("not an empty array")
			}
		}},
		{name: "trailing data", in: `[1] x`, wantErr: ErrJSON},
		{name: "trailing comma", in: `[1,]`, wantErr: ErrJSON},
		{name: "leading zero", in: `01`, wantErr: ErrJSON},
		{name: "bad exponent", in: `1e`, wantErr: ErrJSON},
		{name: "nan negative", in: `-NaN`, wantErr: ErrJSON},
		{name: "unterminated string", in: `"abc`, wantErr: ErrJSON},
		{name: "control char", in: "\"a\x01\"", wantErr: ErrJSON},
		{name: "bad escape", in: `"\q"`, wantErr: ErrJSON},
		{name: "missing colon", in: `{"a" 1}`, wantErr: ErrJSON},
		{name: "empty", in: ``, wantErr: ErrJSON},
		{name: "too deep", in: strings.Repeat("[", 65) + strings.Repeat("]", 65), wantErr: ErrJSONLimit},
		{name: "too many values", in: "[" + strings.Repeat("1,", 100) + "1]", wantErr: ErrJSONLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := JSONLimits{}
			if tt.name == "too many values" {
				lim.MaxValues = 50
			}
			v, err := ParseJSON([]byte(tt.in), lim)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, v)
		})
	}
}

func TestFromJSON(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		dt        DType
		shape     Shape
		wantShape Shape
		want      string // AppendJSON of the result
		wantErr   error
	}{
		{name: "float32 nested", in: `[[1, 2.5], [NaN, -Infinity]]`, dt: Float32, wantShape: Shape{2, 2}, want: `[[1,2.5],["NaN","-Infinity"]]`},
		{name: "float32 quoted specials", in: `["NaN", "Infinity", "-Infinity", 1]`, dt: Float32, wantShape: Shape{4}, want: `["NaN","Infinity","-Infinity",1]`},
		{name: "other string", in: `["nan"]`, dt: Float32, wantErr: ErrJSON},
		{name: "quoted NaN for int", in: `["NaN"]`, dt: Int32, wantErr: ErrJSON},
		{name: "empty inner", in: `[[], []]`, dt: Float32, wantShape: Shape{2, 0}, want: `[[],[]]`},
		{name: "ragged empty", in: `[[], [1]]`, dt: Float32, wantErr: ErrJSON},
		{name: "leaf beside array", in: `[1, [2]]`, dt: Float32, wantErr: ErrJSON},
		{name: "any nesting with shape", in: `[1, [2, [3]], [[4]]]`, dt: Int32, shape: Shape{4}, wantShape: Shape{4}, want: `[1,2,3,4]`},
		{name: "float64 scalar", in: `0.1`, dt: Float64, wantShape: Shape{}, want: `0.1`},
		{name: "float16", in: `[1, 0.5, 65504, 1e6]`, dt: Float16, wantShape: Shape{4}, want: `[1,0.5,65504,"Infinity"]`},
		{name: "int8 range", in: `[-128, 127]`, dt: Int8, wantShape: Shape{2}, want: `[-128,127]`},
		{name: "int8 overflow", in: `[128]`, dt: Int8, wantErr: ErrJSON},
		{name: "int32 integral float", in: `[1e3, 2.0]`, dt: Int32, wantShape: Shape{2}, want: `[1000,2]`},
		{name: "int32 fraction", in: `[1.5]`, dt: Int32, wantErr: ErrJSON},
		{name: "int64 big", in: `[9223372036854775807]`, dt: Int64, wantShape: Shape{1}, want: `[9223372036854775807]`},
		{name: "uint64 big", in: `[18446744073709551615]`, dt: Uint64, wantShape: Shape{1}, want: `[18446744073709551615]`},
		{name: "uint8 negative", in: `[-1]`, dt: Uint8, wantErr: ErrJSON},
		{name: "uint16", in: `[65535]`, dt: Uint16, wantShape: Shape{1}, want: `[65535]`},
		{name: "uint32", in: `[4294967295]`, dt: Uint32, wantShape: Shape{1}, want: `[4294967295]`},
		{name: "int16", in: `[-32768]`, dt: Int16, wantShape: Shape{1}, want: `[-32768]`},
		{name: "bool", in: `[true, false, 1, 0]`, dt: Bool, wantShape: Shape{4}, want: `[true,false,true,false]`},
		{name: "bool bad", in: `[2]`, dt: Bool, wantErr: ErrJSON},
		{name: "ragged", in: `[[1, 2], [3]]`, dt: Float32, wantErr: ErrJSON},
		{name: "ragged deeper", in: `[[1, 2], [3, [4]]]`, dt: Float32, wantErr: ErrJSON},
		{name: "string leaf", in: `["a"]`, dt: Float32, wantErr: ErrJSON},
		{name: "float32 overflow", in: `[1e39]`, dt: Float32, wantErr: ErrJSON},
		{name: "flat with shape", in: `[1, 2, 3, 4, 5, 6]`, dt: Int32, shape: Shape{2, 3}, wantShape: Shape{2, 3}, want: `[[1,2,3],[4,5,6]]`},
		{name: "nested with shape", in: `[[1, 2], [3, 4], [5, 6]]`, dt: Int32, shape: Shape{2, 3}, wantShape: Shape{2, 3}, want: `[[1,2,3],[4,5,6]]`},
		{name: "count mismatch", in: `[1, 2, 3]`, dt: Int32, shape: Shape{2, 2}, wantErr: ErrJSON},
		{name: "too many", in: `[1, 2, 3, 4, 5]`, dt: Int32, shape: Shape{2, 2}, wantErr: ErrJSON},
		{name: "b64 uint8", in: `[{"b64": "AAH/"}]`, dt: Uint8, wantShape: Shape{1, 3}, want: `[[0,1,255]]`},
		{name: "b64 float32", in: `{"b64": "AACAPw=="}`, dt: Float32, wantShape: Shape{1}, want: `[1]`},
		{name: "b64 bad length", in: `{"b64": "AAA="}`, dt: Float32, wantErr: ErrJSON},
		{name: "b64 bad base64", in: `{"b64": "!!"}`, dt: Uint8, wantErr: ErrJSON},
		{name: "other object", in: `[{"x": 1}]`, dt: Uint8, wantErr: ErrJSON},
		{name: "too many elements", in: `[1,2,3,4,5,6,7,8,9]`, dt: Uint8, wantErr: ErrJSONLimit},
		{name: "string dtype", in: `[1]`, dt: String, wantErr: ErrJSON},
	}
	for _, tt := range tests {
		for _, pack := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pack=%v", tt.name, pack), func(t *testing.T) {
				v, err := ParseJSON([]byte(tt.in), JSONLimits{PackNumbers: pack})
				if err != nil {
					t.Fatal(err)
				}
				got, err := FromJSON(v, tt.dt, tt.shape, 8)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := got.Validate(); err != nil {
					t.Fatal(err)
				}
				if !got.Shape.Equal(tt.wantShape) {
					t.Fatalf("shape %v, want %v", got.Shape, tt.wantShape)
				}
				if s := string(AppendJSON(nil, got)); s != tt.want {
					t.Fatalf("json %s, want %s", s, tt.want)
				}
			})
		}
	}
}

func TestFloat32ToHalf(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{name: "one", in: 1, want: 0x3c00},
		{name: "minus two", in: -2, want: 0xc000},
		{name: "max", in: 65504, want: 0x7bff},
		{name: "overflow", in: 65520, want: 0x7c00},
		{name: "smallest subnormal", in: float32(math.Ldexp(1, -24)), want: 0x0001},
		{name: "underflow", in: float32(math.Ldexp(1, -26)), want: 0},
		{name: "round to even", in: 1 + float32(math.Ldexp(1, -11)), want: 0x3c00},
		{name: "nan", in: float32(math.NaN()), want: 0x7e00},
		{name: "inf", in: float32(math.Inf(-1)), want: 0xfc00},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Float32ToHalf(tt.in); got != tt.want {
				t.Fatalf("got %#04x, want %#04x", got, tt.want)
			}
		})
	}
}

func TestAppendJSONFlat(t *testing.T) {
	x, _ := New(Int16, Shape{2, 2})
	copy(x.Int16s(), []int16{1, -2, 3, -4})
	if s := string(AppendJSONFlat(nil, x)); s != "[1,-2,3,-4]" {
		t.Fatal(s)
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`[[1,2],[3,4]]`, `{"instances":[{"b64":"AAE="}]}`, `[NaN,-Infinity,1e-3]`, `"\ud83d\ude00"`, `{"a":{"b":[true,null]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data, JSONLimits{MaxValues: 1 << 12})
		pv, perr := ParseJSON(data, JSONLimits{MaxValues: 1 << 12, PackNumbers: true})
		if perr != nil && err == nil && !errors.Is(perr, ErrJSONLimit) {
			t.Fatalf("packed parse fails (%v) where the tree parse does not", perr)
		}
		if err != nil {
			if perr == nil && !errors.Is(err, ErrJSONLimit) {
				t.Fatalf("packed parse accepts what the tree parse refuses (%v)", err)
			}
			return
		}
		// Packed and tree values decode to the same tensors.
		for _, dt := range []DType{Float32, Int8, Uint64, Bool, Float16} {
			for _, shape := range []Shape{nil, {2}, {2, 2}} {
				x, err := FromJSON(v, dt, shape, 1<<12)
				y, perr := FromJSON(pv, dt, shape, 1<<12)
				if (err == nil) != (perr == nil) {
					t.Fatalf("%s %v: tree %v, packed %v", dt, shape, err, perr)
				}
				if err == nil && (!x.Shape.Equal(y.Shape) || !bytes.Equal(x.Data, y.Data)) {
					t.Fatalf("%s %v: tree %v %x, packed %v %x", dt, shape, x.Shape, x.Data, y.Shape, y.Data)
				}
			}
		}
		for _, dt := range []DType{Float32, Int8, Uint64, Bool, Float16} {
			x, err := FromJSON(v, dt, nil, 1<<12)
			if err != nil {
				continue
			}
			if err := x.Validate(); err != nil {
				t.Fatalf("FromJSON returned an invalid tensor: %v", err)
			}
			// A tensor's JSON must parse back to the same shape.
			w, err := ParseJSON(AppendJSON(nil, x), JSONLimits{MaxValues: 1 << 14})
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			y, err := FromJSON(w, dt, nil, 1<<12)
			if err != nil && len(x.Shape) > 0 && x.Shape.Elements() > 0 {
				t.Fatalf("re-convert %s: %v", dt, err)
			}
			if err == nil && !y.Shape.Equal(x.Shape) && x.Shape.Elements() > 0 {
				t.Fatalf("shape %v became %v", x.Shape, y.Shape)
			}
		}
	})
}

// Packed arrays record their leaves and shape; anything but numbers makes
// the array (and the arrays inside it) parse as a tree.
func TestPackedJSON(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		packed bool
		leaves int
		dims   Shape
		ragged bool
	}{
		{name: "flat", in: `[1, 2.5e3, -0, true]`, packed: true, leaves: 4, dims: Shape{4}},
		{name: "nested", in: ` [ [1,2,3] , [4,5,6] ] `, packed: true, leaves: 6, dims: Shape{2, 3}},
		{name: "specials", in: `[NaN, "NaN", "Infinity", "-Infinity", -Infinity]`, packed: true, leaves: 5, dims: Shape{5}},
		{name: "empty", in: `[]`, packed: true, dims: Shape{0}},
		{name: "empty inner", in: `[[],[]]`, packed: true, dims: Shape{2, 0}},
		{name: "ragged", in: `[[1,2],[3]]`, packed: true, leaves: 3, dims: Shape{2, 2}, ragged: true},
		{name: "mixed depth", in: `[[1],2]`, packed: true, leaves: 2, dims: Shape{2, 1}, ragged: true},
		{name: "string", in: `[1,"x"]`},
		{name: "null", in: `[1,null]`},
		{name: "object", in: `[{"b64":"AA=="}]`},
		{name: "long string", in: `["NaNNaNNaNNaN"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseJSON([]byte(tt.in), JSONLimits{PackNumbers: true})
			if err != nil {
				t.Fatal(err)
			}
			if (v.Packed != nil) != tt.packed {
				t.Fatalf("packed = %v", v.Packed != nil)
			}
			if !tt.packed {
				if len(v.Items) == 0 {
					t.Fatal("tree array has no items")
				}
				return
			}
			if pk := v.Packed; pk.Leaves != tt.leaves || !pk.Dims.Equal(tt.dims) || pk.Ragged != tt.ragged || v.Len() != tt.dims[0] || v.Items != nil {
				t.Fatalf("leaves %d dims %v ragged %v len %d", pk.Leaves, pk.Dims, pk.Ragged, v.Len())
			}
		})
	}
	// Syntax errors inside a packed array are errors, as in the tree.
	for _, bad := range []string{`[1,]`, `[01]`, `[1 2]`, `[[1]`, `[-]`, `[tru]`, `["NaN]`, `[1e]`} {
		if _, err := ParseJSON([]byte(bad), JSONLimits{PackNumbers: true}); !errors.Is(err, ErrJSON) {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	if _, err := ParseJSON([]byte(strings.Repeat("[", 65)+strings.Repeat("]", 65)), JSONLimits{PackNumbers: true}); !errors.Is(err, ErrJSONLimit) {
		t.Errorf("deep packed array: %v", err)
	}
	// Inside an array that is not packed, arrays before the failure are
	// not scanned again (they parse as trees); the rest are packed again.
	v, err := ParseJSON([]byte(`{"a":[[1,2],[3,"x"]],"b":[4,5]}`), JSONLimits{PackNumbers: true})
	if err != nil {
		t.Fatal(err)
	}
	if a := v.Get("a"); a.Packed != nil || a.Items[0].Packed != nil || v.Get("b").Packed == nil {
		t.Fatalf("a %+v b %+v", a, v.Get("b"))
	}
}

// DecodeJSON counts and checks the values before it reserves and
// allocates; Reserve sees the exact data size and can refuse.
func TestDecodeJSONReserve(t *testing.T) {
	v, err := ParseJSON([]byte(`[[1,2,3],[4,5,6]]`), JSONLimits{PackNumbers: true})
	if err != nil {
		t.Fatal(err)
	}
	var asked []int64
	reserve := func(n int64) error { asked = append(asked, n); return nil }
	if _, err := DecodeJSON(v, Float32, Shape{4194304, 4}, JSONDecodeOptions{Reserve: reserve}); !errors.Is(err, ErrJSON) || len(asked) != 0 {
		t.Fatalf("declared shape larger than the data: err %v, reserved %v", err, asked)
	}
	x, err := DecodeJSON(v, Float64, nil, JSONDecodeOptions{Reserve: reserve})
	if err != nil || len(asked) != 1 || asked[0] != 48 || x.Float64s()[5] != 6 {
		t.Fatalf("err %v reserved %v", err, asked)
	}
	refuse := errors.New("no room")
	if _, err := DecodeJSON(v, Float32, Shape{6}, JSONDecodeOptions{Reserve: func(int64) error { return refuse }}); err != refuse {
		t.Fatalf("refused reservation: %v", err)
	}
}

// Decoding a packed array allocates the tensor and nothing per number (a
// few allocations in all, more under the race detector).
func TestPackedDecodeAllocs(t *testing.T) {
	in := "[" + strings.Repeat("1.25,-3,NaN,7e-3,", 2500) + "0]"
	v, err := ParseJSON([]byte(in), JSONLimits{PackNumbers: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []DType{Float32, Float64, Float16} {
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := FromJSON(v, dt, nil, 0); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 8 {
			t.Errorf("%s: %v allocations to decode 10001 numbers", dt, allocs)
		}
	}
	ints := "[" + strings.Repeat("1,-3,100,", 2500) + "0]"
	v, _ = ParseJSON([]byte(ints), JSONLimits{PackNumbers: true})
	if allocs := testing.AllocsPerRun(10, func() { FromJSON(v, Int32, nil, 0) }); allocs > 8 {
		t.Errorf("int32: %v allocations", allocs)
	}
	if allocs := testing.AllocsPerRun(10, func() { ParseJSON([]byte(in), JSONLimits{PackNumbers: true}) }); allocs > 8 {
		t.Errorf("parse: %v allocations", allocs)
	}
}

// Reserve is charged before each 1024 tree values are built, and its
// refusal ends the parse.
func TestParseJSONReserve(t *testing.T) {
	in := []byte("[" + strings.Repeat(`"a",`, 3000) + `"a"]`)
	var total int64
	if _, err := ParseJSON(in, JSONLimits{Reserve: func(n int64) error { total += n; return nil }}); err != nil {
		t.Fatal(err)
	}
	if total != 3*1024*JSONValueBytes {
		t.Fatalf("reserved %d bytes for 3002 values", total)
	}
	refuse := errors.New("no room")
	calls := 0
	_, err := ParseJSON(in, JSONLimits{Reserve: func(n int64) error {
		if calls++; calls == 2 {
			return refuse
		}
		return nil
	}})
	if err != refuse {
		t.Fatalf("err = %v", err)
	}
}
