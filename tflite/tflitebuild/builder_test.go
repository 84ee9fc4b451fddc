package tflitebuild_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// capture is a resolver entry that records what the engine's parser and
// planner hand to Prepare, so that a test can compare it with what the
// builder was told. Its kernel does nothing.
type capture struct {
	nodes []*op.Node
}

func (c *capture) prepare(n *op.Node) (op.Kernel, error) {
	c.nodes = append(c.nodes, n)
	return op.Kernel{Eval: func(*op.Exec, []*tensor.Tensor, []*tensor.Tensor) error { return nil }}, nil
}

func (c *capture) resolver(names ...string) *op.Resolver {
	r := op.NewResolver()
	for _, n := range names {
		r.Add(n, c.prepare)
	}
	return r
}

// oneOp builds x[1,4] → name → y[1,4] (float32).
func oneOp(t *testing.T, name string, options any) []byte {
	t.Helper()
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op(name, []int{x}, []int{y}, options)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every options type the engine decodes survives build → tflite.Load with
// every field set to a value other than its default.
func TestOptionsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		op   string
		opts any
	}{
		{"conv", "CONV_2D", &op.Conv2DOptions{Padding: op.PaddingValid, StrideW: 2, StrideH: 3, Activation: op.ActRelu6, DilationW: 4, DilationH: 5}},
		{"depthwise", "DEPTHWISE_CONV_2D", &op.DepthwiseConv2DOptions{Padding: op.PaddingValid, StrideW: 2, StrideH: 3, DepthMultiplier: 7, Activation: op.ActRelu, DilationW: 2, DilationH: 6}},
		{"transpose conv", "TRANSPOSE_CONV", &op.TransposeConvOptions{Padding: op.PaddingValid, StrideW: 2, StrideH: 3, Activation: op.ActReluN1To1}},
		{"fully connected", "FULLY_CONNECTED", &op.FullyConnectedOptions{Activation: op.ActTanh, WeightsFormat: 1, KeepNumDims: true, AsymmetricQuantizeInputs: true}},
		{"batch matmul", "BATCH_MATMUL", &op.BatchMatMulOptions{AdjX: true, AdjY: true}},
		{"average pool", "AVERAGE_POOL_2D", &op.Pool2DOptions{Padding: op.PaddingValid, StrideW: 2, StrideH: 3, FilterWidth: 4, FilterHeight: 5, Activation: op.ActRelu}},
		{"max pool", "MAX_POOL_2D", &op.Pool2DOptions{Padding: op.PaddingSame, StrideW: 1, StrideH: 2, FilterWidth: 3, FilterHeight: 1, Activation: op.ActSignBit}},
		{"add", "ADD", &op.ArithOptions{Activation: op.ActRelu, PotScaleInt16: false}},
		{"sub", "SUB", &op.ArithOptions{Activation: op.ActRelu6, PotScaleInt16: false}},
		// MulOptions and DivOptions have no pot_scale_int16; the decoder's
		// default (true) applies.
		{"mul", "MUL", &op.ArithOptions{Activation: op.ActRelu, PotScaleInt16: true}},
		{"div", "DIV", op.ArithOptions{Activation: op.ActTanh, PotScaleInt16: true}},
		{"softmax", "SOFTMAX", &op.SoftmaxOptions{Beta: 0.75}},
		{"leaky relu", "LEAKY_RELU", &op.LeakyReluOptions{Alpha: 0.125}},
		{"concatenation", "CONCATENATION", &op.ConcatenationOptions{Axis: -1, Activation: op.ActRelu}},
		{"reshape", "RESHAPE", &op.ReshapeOptions{NewShape: []int{2, -1}}},
		{"squeeze", "SQUEEZE", &op.SqueezeOptions{SqueezeDims: []int{0, 2}}},
		{"strided slice", "STRIDED_SLICE", &op.StridedSliceOptions{BeginMask: 1, EndMask: 2, EllipsisMask: 4, NewAxisMask: 8, ShrinkAxisMask: 16, Offset: true}},
		{"pack", "PACK", &op.PackOptions{ValuesCount: 3, Axis: 1}},
		{"unpack", "UNPACK", &op.UnpackOptions{Num: 4, Axis: -1}},
		{"split", "SPLIT", &op.SplitOptions{NumSplits: 2}},
		{"split v", "SPLIT_V", &op.SplitOptions{NumSplits: 3}},
		{"gather", "GATHER", &op.GatherOptions{Axis: 1, BatchDims: 1}},
		{"mean", "MEAN", &op.ReducerOptions{KeepDims: true}},
		{"sum", "SUM", &op.ReducerOptions{KeepDims: true}},
		{"reduce max", "REDUCE_MAX", &op.ReducerOptions{KeepDims: true}},
		{"reduce min", "REDUCE_MIN", &op.ReducerOptions{KeepDims: true}},
		{"reduce prod", "REDUCE_PROD", &op.ReducerOptions{KeepDims: true}},
		{"arg max", "ARG_MAX", &op.ArgOptions{OutputType: 4}},
		{"arg min", "ARG_MIN", &op.ArgOptions{OutputType: 2}},
		{"resize bilinear", "RESIZE_BILINEAR", &op.ResizeOptions{AlignCorners: true, HalfPixelCenters: true}},
		{"resize nearest", "RESIZE_NEAREST_NEIGHBOR", &op.ResizeOptions{AlignCorners: true, HalfPixelCenters: true}},
		{"shape", "SHAPE", &op.ShapeOptions{OutType: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c capture
			if _, err := tflite.Load(oneOp(t, tt.op, tt.opts), tflite.WithResolver(c.resolver(tt.op))); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(c.nodes) != 1 {
				t.Fatalf("Prepare ran %d times", len(c.nodes))
			}
			n := c.nodes[0]
			want := tt.opts
			if v := reflect.ValueOf(want); v.Kind() != reflect.Pointer {
				p := reflect.New(v.Type())
				p.Elem().Set(v)
				want = p.Interface()
			}
			if n.Op != tt.op || !reflect.DeepEqual(n.Options, want) {
				t.Errorf("engine saw %s %#v, want %s %#v", n.Op, n.Options, tt.op, want)
			}
		})
	}
}

func TestNilOptionsWriteNone(t *testing.T) {
	var c capture
	if _, err := tflite.Load(oneOp(t, "CONV_2D", (*op.Conv2DOptions)(nil)), tflite.WithResolver(c.resolver("CONV_2D"))); err != nil {
		t.Fatal(err)
	}
	if c.nodes[0].Options != nil {
		t.Errorf("options = %#v, want nil", c.nodes[0].Options)
	}
}

// Tensors, quantization, constant data, op versions, custom ops, codes above
// 127, signatures and shape signatures reach the engine as written.
func TestModelRoundTrip(t *testing.T) {
	b := tflitebuild.New()
	b.Description("round trip")
	q := &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-3}}
	wq := &tensor.Quant{Scale: []float32{0.1, 0.2, 0.3}, ZeroPoint: []int64{0, 0, 0}, Axis: 0}
	x := b.Tensor("x", tensor.Int8, []int{1, 4}, q, nil)
	b.ShapeSignature(x, []int{-1, 4})
	w := b.Const("w", []int{3, 4}, wq, []int8{1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12})
	bias := b.Const("bias", []int{3}, nil, []int32{100, -200, 300})
	h := b.Tensor("h", tensor.Int8, []int{1, 3}, q, nil)
	y := b.Tensor("y", tensor.Int8, []int{1, 3}, q, nil)
	z := b.Tensor("z", tensor.Int8, []int{1, 3}, q, nil)
	b.OpVersion("FULLY_CONNECTED", 9, []int{x, w, bias}, []int{h}, &op.FullyConnectedOptions{})
	b.CustomOp("MyOp", []int{h, -1}, []int{y}, []byte{1, 2, 3})
	b.Op("CUMSUM", []int{y}, []int{z}, nil) // code 128: needs the builtin_code field
	b.Inputs(x)
	b.Outputs(z)
	b.Signature("serving_default", []string{"pixels"}, []string{"scores"})
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if string(data[4:8]) != "TFL3" {
		t.Errorf("file identifier %q", data[4:8])
	}

	var c capture
	m, err := tflite.Load(data, tflite.WithResolver(c.resolver("FULLY_CONNECTED", "CUSTOM:MyOp", "CUMSUM")))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if m.Description() != "round trip" || m.Signature() != "serving_default" {
		t.Errorf("description %q, signature %q", m.Description(), m.Signature())
	}
	if got := m.Operators(); !reflect.DeepEqual(got, []string{"FULLY_CONNECTED", "CUSTOM:MyOp", "CUMSUM"}) {
		t.Errorf("operators %v", got)
	}
	in, out := m.Inputs(), m.Outputs()
	if len(in) != 1 || in[0].Name != "pixels" || in[0].DType != tensor.Int8 || !in[0].Shape.Equal(tensor.Shape{-1, 4}) {
		t.Errorf("inputs %+v", in)
	}
	if len(out) != 1 || out[0].Name != "scores" {
		t.Errorf("outputs %+v", out)
	}
	if !m.Batchable() {
		t.Error("model with shape signature [-1,4] is not batchable")
	}
	fc, custom := c.nodes[0], c.nodes[1]
	if fc.Version != 9 {
		t.Errorf("FULLY_CONNECTED version %d, want 9", fc.Version)
	}
	wi := fc.Inputs[1]
	if wi.Name != "w" || wi.DType != tensor.Int8 || !wi.Shape.Equal(tensor.Shape{3, 4}) || !reflect.DeepEqual(wi.Quant, wq) {
		t.Errorf("weights %+v (quant %+v)", wi, wi.Quant)
	}
	if got := wi.ConstTensor().Int8s(); !reflect.DeepEqual(got, []int8{1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12}) {
		t.Errorf("weights data %v", got)
	}
	if got := fc.Inputs[2].ConstTensor().Int32s(); !reflect.DeepEqual(got, []int32{100, -200, 300}) {
		t.Errorf("bias data %v", got)
	}
	if xi := fc.Inputs[0]; xi.IsConst() || !reflect.DeepEqual(xi.Quant, q) {
		t.Errorf("input %+v", xi)
	}
	if len(custom.Inputs) != 2 || custom.Inputs[1] != nil {
		t.Errorf("custom op inputs %v, want [h, absent]", custom.Inputs)
	}
}

// A float FULLY_CONNECTED built here runs on the engine's real kernel:
// y = W·x + b computed by hand.
func TestRunFullyConnected(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 3}, nil, nil)
	b.ShapeSignature(x, []int{-1, 3})
	w := b.Const("w", []int{2, 3}, nil, []float32{1, 2, 3, -1, 0.5, 0})
	bias := b.Const("b", []int{2}, nil, []float32{10, -10})
	y := b.Tensor("y", tensor.Float32, []int{1, 2}, nil, nil)
	b.ShapeSignature(y, []int{-1, 2})
	b.Op("FULLY_CONNECTED", []int{x, w, bias}, []int{y}, &op.FullyConnectedOptions{})
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	m2, err := m.WithBatch(2)
	if err != nil {
		t.Fatalf("WithBatch: %v", err)
	}
	in := &tensor.Tensor{DType: tensor.Float32, Shape: tensor.Shape{2, 3}}
	_, in.Data, _ = tflitebuild.Encode([]float32{1, 1, 1, 2, 4, -2})
	out, err := m2.NewRunner().Run(context.Background(), []*tensor.Tensor{in})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Row 1: 1+2+3+10 = 16, -1+0.5-10 = -10.5. Row 2: 2+8-6+10 = 14, -2+2-10 = -10.
	if got, want := out[0].Float32s(), []float32{16, -10.5, 14, -10}; !reflect.DeepEqual(got, want) {
		t.Errorf("y = %v, want %v", got, want)
	}
}

func TestBytesDeterministicAndAligned(t *testing.T) {
	build := func() []byte {
		b := tflitebuild.New()
		x := b.Tensor("x", tensor.Float32, []int{1, 3}, nil, nil)
		// Odd-length buffers before the one we look for, to move it around.
		b.Const("a", []int{3}, nil, []int8{1, 2, 3})
		b.Const("c", []int{5}, nil, []uint8{9, 9, 9, 9, 9})
		marker := []byte("0123456789abcdefMARKER!!")
		b.Tensor("m", tensor.Uint8, []int{len(marker)}, nil, marker)
		b.Op("RELU", []int{x}, []int{x}, nil)
		b.Inputs(x)
		b.Outputs(x)
		data, err := b.UncheckedBytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a, b := build(), build()
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same model differ")
	}
	if i := bytes.Index(a, []byte("0123456789abcdefMARKER")); i < 0 || i%16 != 0 {
		t.Errorf("buffer data at offset %d, want a multiple of 16", i)
	}
	if root := binary.LittleEndian.Uint32(a); root%4 != 0 || int(root) >= len(a) {
		t.Errorf("root offset %d", root)
	}
	if len(a)%4 != 0 {
		t.Errorf("file length %d is not a multiple of 4", len(a))
	}
}

func TestBuildErrors(t *testing.T) {
	base := func() (*tflitebuild.Builder, int, int) {
		b := tflitebuild.New()
		x := b.Tensor("x", tensor.Float32, []int{1, 2}, nil, nil)
		y := b.Tensor("y", tensor.Float32, []int{1, 2}, nil, nil)
		return b, x, y
	}
	tests := []struct {
		name      string
		build     func() *tflitebuild.Builder
		msg       string
		unchecked bool // UncheckedBytes succeeds
	}{
		{"unknown op", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Op("NOT_AN_OP", []int{x}, []int{y}, nil)
			return b
		}, "unknown builtin", false},
		{"wrong options type", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Op("CONV_2D", []int{x}, []int{y}, &op.Pool2DOptions{})
			return b
		}, "takes *op.Conv2DOptions", false},
		{"options for an op without", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Op("RELU", []int{x}, []int{y}, &op.SoftmaxOptions{})
			return b
		}, "cannot write options", false},
		{"string dtype ok, invalid dtype not", func() *tflitebuild.Builder {
			b, _, _ := base()
			b.Tensor("bad", tensor.Invalid, []int{1}, nil, nil)
			return b
		}, "no TFLite tensor type", false},
		{"unencodable const", func() *tflitebuild.Builder {
			b, _, _ := base()
			b.Const("c", []int{1}, nil, []string{"x"})
			return b
		}, "cannot encode", false},
		{"input out of range", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Op("RELU", []int{7}, []int{y}, nil)
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "refers to tensor 7", true},
		{"no inputs", func() *tflitebuild.Builder {
			b, _, y := base()
			b.Outputs(y)
			return b
		}, "at least one input", true},
		{"data length", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Tensor("c", tensor.Float32, []int{2}, nil, make([]byte, 7))
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "needs 8 bytes", true},
		{"negative shape", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Tensor("c", tensor.Float32, []int{-1, 2}, nil, nil)
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "ShapeSignature", true},
		{"signature rank", func() *tflitebuild.Builder {
			b, x, y := base()
			b.ShapeSignature(x, []int{-1})
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "rank", true},
		{"signature disagrees", func() *tflitebuild.Builder {
			b, x, y := base()
			b.ShapeSignature(x, []int{-1, 3})
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "disagrees", true},
		{"per-channel scales", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Tensor("w", tensor.Int8, []int{2, 2}, &tensor.Quant{Scale: []float32{1, 2, 3}, ZeroPoint: []int64{0, 0, 0}}, nil)
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "per-channel", true},
		{"zero points", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Tensor("w", tensor.Int8, []int{2}, &tensor.Quant{Scale: []float32{1}, ZeroPoint: []int64{0, 1}}, nil)
			b.Inputs(x)
			b.Outputs(y)
			return b
		}, "zero points", true},
		{"signature count", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Inputs(x)
			b.Outputs(y)
			b.Signature("serving_default", []string{"a", "b"}, []string{"c"})
			return b
		}, "names 2 inputs", true},
		{"signature duplicate names", func() *tflitebuild.Builder {
			b, x, y := base()
			b.Inputs(x, y)
			b.Outputs(y)
			b.Signature("serving_default", []string{"a", "a"}, []string{"c"})
			return b
		}, "unique", true},
		{"shape signature of missing tensor", func() *tflitebuild.Builder {
			b, _, _ := base()
			b.ShapeSignature(5, []int{-1})
			return b
		}, "tensor 5 of 2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.build()
			_, err := b.Bytes()
			if !errors.Is(err, tflitebuild.ErrBuild) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Bytes: err = %v, want ErrBuild mentioning %q", err, tt.msg)
			}
			data, err := b.UncheckedBytes()
			if tt.unchecked != (err == nil) {
				t.Fatalf("UncheckedBytes: err = %v, want success %v", err, tt.unchecked)
			}
			if err == nil {
				// The flatbuffer is well-formed: the engine parses it and
				// must not crash on it (whether it rejects the model is
				// its own tests' business).
				if _, err := tflite.Load(data); err != nil && !errors.Is(err, tflite.ErrInvalidModel) && !errors.Is(err, tflite.ErrUnsupported) {
					t.Errorf("tflite.Load: %v", err)
				}
			}
		})
	}
}

func BenchmarkBytes(b *testing.B) {
	bld := tflitebuild.New()
	x := bld.Tensor("x", tensor.Float32, []int{1, 256}, nil, nil)
	w := bld.Tensor("w", tensor.Float32, []int{1024, 256}, nil, make([]byte, 4*1024*256))
	y := bld.Tensor("y", tensor.Float32, []int{1, 1024}, nil, nil)
	bld.Op("FULLY_CONNECTED", []int{x, w, -1}, []int{y}, &op.FullyConnectedOptions{})
	bld.Inputs(x)
	bld.Outputs(y)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bld.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}
