package flex_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

var writeModels = flag.Bool("write-models", false, "rewrite testdata/*/builtin.tflite and inputs (then regenerate the goldens, see testdata/README)")

// protobuf wire encoding, for NodeDefs.
func pbVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func pbBytes(b []byte, field int, data []byte) []byte {
	b = pbVarint(b, uint64(field)<<3|2)
	b = pbVarint(b, uint64(len(data)))
	return append(b, data...)
}

func pbUint(b []byte, field int, v uint64) []byte {
	return pbVarint(pbVarint(b, uint64(field)<<3), v)
}

// attrValue encodings (tensorflow/core/framework/attr_value.proto).
func attrType(t int) []byte  { return pbUint(nil, 6, uint64(t)) }
func attrInt(v int) []byte   { return pbUint(nil, 3, uint64(v)) }
func attrBool(v bool) []byte { return pbUint(nil, 5, map[bool]uint64{false: 0, true: 1}[v]) }
func nodeAttr(key string, v []byte) []byte {
	return pbBytes(pbBytes(nil, 1, []byte(key)), 2, v)
}

// nodeDef encodes a NodeDef with its op, n empty inputs and attrs.
func nodeDef(opName string, inputs int, attrs ...[]byte) []byte {
	b := pbBytes(nil, 1, []byte("node"))
	b = pbBytes(b, 2, []byte(opName))
	for range inputs {
		b = pbBytes(b, 3, nil)
	}
	for _, a := range attrs {
		b = pbBytes(b, 5, a)
	}
	return b
}

// flexOptions encodes a Flex op's custom options: a FlexBuffer vector of
// two strings (op name, NodeDef), with one-byte widths, as the TFLite
// converter writes small ones.
func flexOptions(t testing.TB, name string, nd []byte) []byte {
	t.Helper()
	var b []byte
	var pos []int
	for _, s := range [][]byte{[]byte(name), nd} {
		if len(s) > 255 {
			t.Fatalf("string of %d bytes needs wider offsets", len(s))
		}
		b = append(b, byte(len(s)))
		pos = append(pos, len(b))
		b = append(b, s...)
		b = append(b, 0)
	}
	b = append(b, 2) // vector size
	vpos := len(b)
	for i, p := range pos {
		if vpos+i-p > 255 {
			t.Fatal("offset needs a wider vector")
		}
		b = append(b, byte(vpos+i-p))
	}
	b = append(b, 5<<2, 5<<2) // two strings, own width 1
	root := len(b)
	return append(b, byte(root-vpos), 10<<2, 1)
}

// TensorFlow DataType enum values.
const (
	tfFloat = 1
	tfInt32 = 3
	tfInt64 = 9
)

// flexCase is one tiny model with one Flex op, and the same computation
// as a TFLite builtin, whose stock TFLite outputs are the golden.
type flexCase struct {
	name string
	// build adds the op to b, as Flex (flex true) or builtin, over
	// inputs ins; it returns the outputs.
	build  func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int
	inputs []*tensor.Tensor
}

func f32(shape []int, v ...float32) *tensor.Tensor {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return &tensor.Tensor{DType: tensor.Float32, Shape: shape, Data: b}
}

func i32(shape []int, v ...int32) *tensor.Tensor {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return &tensor.Tensor{DType: tensor.Int32, Shape: shape, Data: b}
}

func i64(shape []int, v ...int64) *tensor.Tensor {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return &tensor.Tensor{DType: tensor.Int64, Shape: shape, Data: b}
}

func randF32(seed uint64, shape []int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 3))
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.IntN(9)-4) / 2 // small set: equal values occur
	}
	return f32(shape, v...)
}

func outTensor(b *tflitebuild.Builder, dt tensor.DType, shape []int) int {
	return b.Tensor("out", dt, shape, nil, nil)
}

func flexCases() []flexCase {
	binaryOp := func(tfName, builtin string, tfT int, outDT tensor.DType, shape []int, extra ...[]byte) func(testing.TB, *tflitebuild.Builder, bool, []int) []int {
		return func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			o := outTensor(b, outDT, shape)
			if flex {
				attrs := append([][]byte{nodeAttr("T", attrType(tfT))}, extra...)
				b.CustomOp("Flex"+tfName, ins, []int{o}, flexOptions(t, tfName, nodeDef(tfName, 2, attrs...)))
			} else {
				b.Op(builtin, ins, []int{o}, nil)
			}
			return []int{o}
		}
	}
	sliceAttrs := func(tfIndex int, begin, end, shrink int) [][]byte {
		return [][]byte{nodeAttr("T", attrType(tfFloat)), nodeAttr("Index", attrType(tfIndex)),
			nodeAttr("begin_mask", attrInt(begin)), nodeAttr("end_mask", attrInt(end)), nodeAttr("ellipsis_mask", attrInt(0)),
			nodeAttr("new_axis_mask", attrInt(0)), nodeAttr("shrink_axis_mask", attrInt(shrink))}
	}
	return []flexCase{
		{"equal_float_broadcast", binaryOp("Equal", "EQUAL", tfFloat, tensor.Bool, []int{2, 3, 4}, nodeAttr("incompatible_shape_error", attrBool(true))),
			[]*tensor.Tensor{randF32(1, []int{2, 3, 4}), randF32(2, []int{3, 1})}},
		{"equal_int32", binaryOp("Equal", "EQUAL", tfInt32, tensor.Bool, []int{5}, nodeAttr("incompatible_shape_error", attrBool(false))),
			[]*tensor.Tensor{i32([]int{5}, 0, 3, -7, 3, 1<<30), i32([]int{1}, 3)}},
		// int64 through CAST from int32 inputs (the tfjs runner cannot
		// write int64 inputs).
		{"equal_int64_cast", func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			x, y := b.Tensor("x", tensor.Int64, []int{4}, nil, nil), b.Tensor("y", tensor.Int64, []int{}, nil, nil)
			b.Op("CAST", ins[:1], []int{x}, nil)
			b.Op("CAST", ins[1:], []int{y}, nil)
			return binaryOp("Equal", "EQUAL", tfInt64, tensor.Bool, []int{4})(t, b, flex, []int{x, y})
		}, []*tensor.Tensor{i32([]int{4}, 7, -1, 7, 0), i32([]int{}, 7)}},
		{"add_int64_wraps", binaryOp("AddV2", "ADD", tfInt64, tensor.Int64, []int{4}),
			[]*tensor.Tensor{i64([]int{4}, math.MaxInt64, -5, 0, 1<<40), i64([]int{1}, 1)}},
		{"add_float_broadcast", binaryOp("AddV2", "ADD", tfFloat, tensor.Float32, []int{3, 4}),
			[]*tensor.Tensor{randF32(3, []int{3, 4}), randF32(4, []int{4})}},
		{"scatter_nd_float", func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			o := outTensor(b, tensor.Float32, []int{4, 2})
			shape := b.Const("shape", []int{2}, nil, []int32{4, 2})
			if flex {
				nd := nodeDef("ScatterNd", 3, nodeAttr("T", attrType(tfFloat)), nodeAttr("Tindices", attrType(tfInt32)))
				b.CustomOp("FlexScatterNd", []int{ins[0], ins[1], shape}, []int{o}, flexOptions(t, "ScatterNd", nd))
			} else {
				b.Op("SCATTER_ND", []int{ins[0], ins[1], shape}, []int{o}, nil)
			}
			return []int{o}
		}, []*tensor.Tensor{i32([]int{3, 1}, 2, 0, 2), f32([]int{3, 2}, 1.5, -2, 0.25, 4, 3, 0.5)}},
		// The id detector's forms: int64 indices and begin (cast from the
		// int32 inputs in the Flex model; the builtin takes them as
		// int32, the same values).
		{"scatter_nd_int64_indices", func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			o := outTensor(b, tensor.Float32, []int{5})
			if flex {
				idx := b.Tensor("idx64", tensor.Int64, []int{2, 1}, nil, nil)
				b.Op("CAST", ins[:1], []int{idx}, nil)
				nd := nodeDef("ScatterNd", 3, nodeAttr("T", attrType(tfFloat)), nodeAttr("Tindices", attrType(tfInt64)))
				b.CustomOp("FlexScatterNd", []int{idx, ins[1], b.Const("shape", []int{1}, nil, []int64{5})}, []int{o}, flexOptions(t, "ScatterNd", nd))
			} else {
				b.Op("SCATTER_ND", []int{ins[0], ins[1], b.Const("shape", []int{1}, nil, []int32{5})}, []int{o}, nil)
			}
			return []int{o}
		}, []*tensor.Tensor{i32([]int{2, 1}, 4, 1), f32([]int{2}, 0.75, -3)}},
		{"strided_slice_int64_runtime_begin", func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			o := outTensor(b, tensor.Float32, []int{4})
			if flex {
				begin, end := b.Tensor("begin64", tensor.Int64, []int{1}, nil, nil), b.Tensor("end64", tensor.Int64, []int{1}, nil, nil)
				b.Op("CAST", ins[1:2], []int{begin}, nil)
				b.Op("CAST", ins[2:3], []int{end}, nil)
				nd := nodeDef("StridedSlice", 4, sliceAttrs(tfInt64, 0, 0, 1)...)
				b.CustomOp("FlexStridedSlice", []int{ins[0], begin, end, b.Const("strides", []int{1}, nil, []int64{1})}, []int{o}, flexOptions(t, "StridedSlice", nd))
			} else {
				b.Op("STRIDED_SLICE", []int{ins[0], ins[1], ins[2], b.Const("strides", []int{1}, nil, []int32{1})}, []int{o}, &op.StridedSliceOptions{ShrinkAxisMask: 1})
			}
			return []int{o}
		}, []*tensor.Tensor{randF32(7, []int{5, 4}), i32([]int{1}, 3), i32([]int{1}, 4)}},
		{"strided_slice_const", func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			o := outTensor(b, tensor.Float32, []int{2, 2})
			c := func(v ...int32) int { return b.Const("idx", []int{3}, nil, v) }
			begin, end, strides := c(1, -1, 0), c(3, -5, 2), c(1, -2, 1)
			if flex {
				nd := nodeDef("StridedSlice", 4, sliceAttrs(tfInt32, 0, 0, 4)...)
				b.CustomOp("FlexStridedSlice", []int{ins[0], begin, end, strides}, []int{o}, flexOptions(t, "StridedSlice", nd))
			} else {
				b.Op("STRIDED_SLICE", []int{ins[0], begin, end, strides}, []int{o}, &op.StridedSliceOptions{ShrinkAxisMask: 4})
			}
			return []int{o}
		}, []*tensor.Tensor{randF32(5, []int{3, 5, 2})}},
		{"strided_slice_runtime_begin", func(t testing.TB, b *tflitebuild.Builder, flex bool, ins []int) []int {
			o := outTensor(b, tensor.Float32, []int{3})
			end, strides := b.Const("end", []int{2}, nil, []int32{0, 0}), b.Const("strides", []int{2}, nil, []int32{1, 1})
			if flex {
				nd := nodeDef("StridedSlice", 4, sliceAttrs(tfInt32, 2, 2, 1)...)
				b.CustomOp("FlexStridedSlice", []int{ins[0], ins[1], end, strides}, []int{o}, flexOptions(t, "StridedSlice", nd))
			} else {
				b.Op("STRIDED_SLICE", []int{ins[0], ins[1], end, strides}, []int{o}, &op.StridedSliceOptions{BeginMask: 2, EndMask: 2, ShrinkAxisMask: 1})
			}
			return []int{o}
		}, []*tensor.Tensor{randF32(6, []int{4, 3}), i32([]int{2}, -2, 0)}},
	}
}

// model builds the case's model, Flex or builtin.
func (c flexCase) model(t testing.TB, flex bool) []byte {
	t.Helper()
	b := tflitebuild.New()
	var ins []int
	for k, x := range c.inputs {
		ins = append(ins, b.Tensor(fmt.Sprint("in", k), x.DType, x.Shape, nil, nil))
	}
	outs := c.build(t, b, flex, ins)
	b.Inputs(ins...)
	b.Outputs(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeNpy(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	var buf bytes.Buffer
	if err := tensor.WriteNpy(&buf, x); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := tensor.ReadNpy(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestFlexGolden runs each Flex op on tiny models and requires stock
// TensorFlow Lite's outputs for the same computation written with the
// equivalent builtin (EQUAL, ADD, SCATTER_ND, STRIDED_SLICE: TensorFlow's
// semantics for these dtypes) bit for bit (testdata, see its README).
func TestFlexGolden(t *testing.T) {
	for _, c := range flexCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", c.name)
			if *writeModels {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "builtin.tflite"), c.model(t, false), 0o644); err != nil {
					t.Fatal(err)
				}
				for k, x := range c.inputs {
					writeNpy(t, filepath.Join(dir, fmt.Sprintf("in%d.npy", k)), x)
				}
			}
			m, err := tflite.Load(c.model(t, true))
			if err != nil {
				t.Fatal(err)
			}
			var ins []*tensor.Tensor
			for k := range c.inputs {
				ins = append(ins, readNpy(t, filepath.Join(dir, fmt.Sprintf("in%d.npy", k))))
			}
			out, err := m.NewRunner().Run(t.Context(), ins)
			if err != nil {
				t.Fatal(err)
			}
			for k := range out {
				want := readNpy(t, filepath.Join(dir, fmt.Sprintf("expect%d.npy", k)))
				dt := want.DType
				if dt == tensor.Uint8 && out[k].DType == tensor.Bool {
					dt = tensor.Bool // run.mjs writes bool outputs as uint8 0/1
				}
				if dt != out[k].DType || !want.Shape.Equal(out[k].Shape) || !bytes.Equal(want.Data, out[k].Data) {
					t.Fatalf("output %d = %v\nTensorFlow Lite %v", k, out[k], want)
				}
			}
		})
	}
}

// TestFlexRuntimeIndexErrors: an index known only at run time that falls
// outside the tensor fails the run with ErrInput, as TensorFlow fails it.
func TestFlexRuntimeIndexErrors(t *testing.T) {
	cases := flexCases()
	for _, c := range cases {
		var bad []*tensor.Tensor
		switch c.name {
		case "scatter_nd_float":
			bad = []*tensor.Tensor{i32([]int{3, 1}, 2, 4, 0), c.inputs[1]}
		case "strided_slice_runtime_begin":
			bad = []*tensor.Tensor{c.inputs[0], i32([]int{2}, -5, 0)}
		default:
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			m, err := tflite.Load(c.model(t, true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.NewRunner().Run(t.Context(), bad); !errors.Is(err, tflite.ErrInput) {
				t.Fatalf("Run = %v, want ErrInput", err)
			}
		})
	}
}

// TestFlexEqualIncompatibleShapes: with incompatible_shape_error false,
// shapes that do not broadcast give TensorFlow's scalar false; with it
// true the model is invalid.
func TestFlexEqualIncompatibleShapes(t *testing.T) {
	for _, strict := range []bool{false, true} {
		b := tflitebuild.New()
		x := b.Tensor("x", tensor.Int32, []int{3}, nil, nil)
		y := b.Tensor("y", tensor.Int32, []int{2}, nil, nil)
		o := b.Tensor("o", tensor.Bool, nil, nil, nil)
		nd := nodeDef("Equal", 2, nodeAttr("T", attrType(tfInt32)), nodeAttr("incompatible_shape_error", attrBool(strict)))
		b.CustomOp("FlexEqual", []int{x, y}, []int{o}, flexOptions(t, "Equal", nd))
		b.Inputs(x, y)
		b.Outputs(o)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		m, err := tflite.Load(data)
		if strict {
			if !errors.Is(err, tflite.ErrInvalidModel) {
				t.Fatalf("strict: Load = %v, want ErrInvalidModel", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.NewRunner().Run(t.Context(), []*tensor.Tensor{i32([]int{3}, 1, 2, 3), i32([]int{2}, 1, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out[0].Shape) != 0 || out[0].Data[0] != 0 {
			t.Fatalf("got %v, want scalar false", out[0])
		}
	}
}

// TestFlexRejects: malformed options, attributes that contradict the
// tensors, and Flex ops the engine does not implement fail to load with
// a clear error.
func TestFlexRejects(t *testing.T) {
	good := nodeDef("AddV2", 2, nodeAttr("T", attrType(tfInt32)))
	tests := []struct {
		name, code string
		opts       []byte
		want       error
	}{
		{"type mismatch", "FlexAddV2", flexOptions(t, "AddV2", nodeDef("AddV2", 2, nodeAttr("T", attrType(tfFloat)))), tflite.ErrInvalidModel},
		{"name mismatch", "FlexAddV2", flexOptions(t, "Equal", good), tflite.ErrInvalidModel},
		{"nodedef op mismatch", "FlexAddV2", flexOptions(t, "AddV2", nodeDef("Sub", 2)), tflite.ErrInvalidModel},
		{"truncated nodedef", "FlexAddV2", flexOptions(t, "AddV2", good[:len(good)-1]), tflite.ErrInvalidModel},
		{"no options", "FlexAddV2", nil, tflite.ErrInvalidModel},
		{"map options", "FlexAddV2", mapOptions(t), tflite.ErrInvalidModel},
		{"unknown flex op", "FlexSub", flexOptions(t, "Sub", nodeDef("Sub", 2)), tflite.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tflitebuild.New()
			x := b.Tensor("x", tensor.Int32, []int{3}, nil, nil)
			y := b.Tensor("y", tensor.Int32, []int{3}, nil, nil)
			o := b.Tensor("o", tensor.Int32, nil, nil, nil)
			b.CustomOp(tc.code, []int{x, y}, []int{o}, tc.opts)
			b.Inputs(x, y)
			b.Outputs(o)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			_, err = tflite.Load(data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
			if tc.code == "FlexSub" && !bytes.Contains([]byte(err.Error()), []byte("FlexSub")) {
				t.Fatalf("error %q does not name the op", err)
			}
		})
	}
}

func mapOptions(t *testing.T) []byte {
	b, err := tflitebuild.FlexMap(map[string]any{"T": 3})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
