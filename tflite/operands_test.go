package tflite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// TestEveryOperatorRefusesBadOperands gives every builtin operator the
// resolver implements operand lists no converter writes (none, absent
// optional ones only, too many, no outputs, scalars, mixed types) with no
// options. Load may accept or refuse each model, and Run may fail, but no
// Prepare or Eval may panic (Load and Run recover it as ErrPanic, which
// this test counts as a failure): every operator validates its operands in
// Prepare, so that Eval runs blindly.
func TestEveryOperatorRefusesBadOperands(t *testing.T) {
	res := BuiltinResolver()
	type operand struct {
		dt    tensor.DType
		shape []int
		quant *tensor.Quant
	}
	f32 := operand{tensor.Float32, []int{1, 4}, nil}
	i8 := operand{tensor.Int8, []int{1, 4}, &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-3}}}
	i32 := operand{tensor.Int32, []int{2}, nil}
	scalar := operand{tensor.Float32, nil, nil}
	cases := []struct {
		name    string
		ins     []operand // model inputs read by the operator, in order; a zero dtype is an absent input (-1)
		outs    []operand
		absent3 bool // three absent optional inputs instead of ins
	}{
		{name: "no inputs", outs: []operand{f32}},
		{name: "no outputs", ins: []operand{f32}},
		{name: "absent inputs only", absent3: true, outs: []operand{f32}},
		{name: "one float", ins: []operand{f32}, outs: []operand{f32}},
		{name: "four floats", ins: []operand{f32, f32, f32, f32}, outs: []operand{f32, f32}},
		{name: "one int8", ins: []operand{i8}, outs: []operand{i8}},
		{name: "int8 and int32", ins: []operand{i8, i32}, outs: []operand{i8}},
		{name: "scalars", ins: []operand{scalar, scalar}, outs: []operand{scalar}},
		{name: "float in, int32 out", ins: []operand{f32}, outs: []operand{i32}},
	}
	var failures []string
	tried, loaded := 0, 0
	// Custom operators get well-formed options, so that Prepare goes on
	// to their operands.
	posenet, err := tflitebuild.FlexMap(map[string]any{"max_detections": 2, "score_threshold": float32(0.5), "stride": 8, "nms_radius": float32(10)})
	if err != nil {
		t.Fatal(err)
	}
	custom := map[string][]byte{"CUSTOM:PosenetDecoderOp": posenet}
	for _, tf := range []string{"Equal", "AddV2", "ScatterNd", "StridedSlice"} {
		custom["CUSTOM:Flex"+tf] = flexOpOptions(tf)
	}
	names := append([]string(nil), builtinNames[:]...)
	for name := range custom {
		names = append(names, name)
	}
	for _, name := range names {
		if name == "" {
			continue
		}
		if _, ok := res.Lookup(name); !ok {
			continue
		}
		for _, tc := range cases {
			b := tflitebuild.New()
			var ins, modelIns, outs []int
			if tc.absent3 {
				ins = []int{-1, -1, -1}
			}
			for k, o := range tc.ins {
				ti := b.Tensor(fmt.Sprintf("in%d", k), o.dt, o.shape, o.quant, nil)
				ins = append(ins, ti)
				modelIns = append(modelIns, ti)
			}
			for k, o := range tc.outs {
				outs = append(outs, b.Tensor(fmt.Sprintf("out%d", k), o.dt, o.shape, o.quant, nil))
			}
			if code, ok := strings.CutPrefix(name, "CUSTOM:"); ok {
				b.CustomOp(code, ins, outs, custom[name])
			} else {
				b.Op(name, ins, outs, nil)
			}
			if len(modelIns) == 0 {
				modelIns = []int{b.Tensor("unused", tensor.Float32, []int{1}, nil, nil)}
			}
			b.Inputs(modelIns...)
			if len(outs) > 0 {
				b.Outputs(outs...)
			} else {
				b.Outputs(modelIns[0])
			}
			data, err := b.UncheckedBytes()
			if err != nil {
				continue // not encodable (e.g. options required by the builder)
			}
			tried++
			m, err := Load(data, WithMaxArenaBytes(1<<20))
			if errors.Is(err, ErrPanic) {
				failures = append(failures, fmt.Sprintf("%s, %s: Load: %v", name, tc.name, err))
				continue
			}
			if err != nil {
				continue
			}
			loaded++
			var in []*tensor.Tensor
			for _, s := range m.Inputs() {
				x, err := tensor.New(s.DType, s.Shape)
				if err != nil {
					t.Fatal(err)
				}
				in = append(in, x)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = m.NewRunner().Run(ctx, in)
			cancel()
			if errors.Is(err, ErrPanic) {
				failures = append(failures, fmt.Sprintf("%s, %s: Run: %v", name, tc.name, err))
			}
		}
	}
	t.Logf("%d models tried, %d loaded and ran", tried, loaded)
	if tried == 0 {
		t.Fatal("no model built")
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// flexOpOptions encodes a Flex op's custom options for TensorFlow op tf:
// a FlexBuffer vector of two strings, the op name and a NodeDef that
// names the op and carries no attributes.
func flexOpOptions(tf string) []byte {
	nd := append([]byte{0x12, byte(len(tf))}, tf...) // NodeDef.op
	var b []byte
	var pos []int
	for _, s := range [][]byte{[]byte(tf), nd} {
		b = append(b, byte(len(s)))
		pos = append(pos, len(b))
		b = append(append(b, s...), 0)
	}
	b = append(b, 2)
	v := len(b)
	b = append(b, byte(v-pos[0]), byte(v+1-pos[1]), 5<<2, 5<<2)
	return append(b, byte(len(b)-v), 10<<2, 1)
}

// TestFoldConstantsRecoversKernelPanic: DEQUANTIZE of a constant runs its
// kernel at load, outside any Runner: a kernel panic there (a bug reached
// through the file) fails Load with ErrPanic instead of the process.
func TestFoldConstantsRecoversKernelPanic(t *testing.T) {
	res := BuiltinResolver()
	res.Add("DEQUANTIZE", func(n *op.Node) (op.Kernel, error) {
		return op.Kernel{Eval: func(_ *op.Exec, in, _ []*tensor.Tensor) error {
			var none []byte
			_ = none[len(in[0].Data)] // index out of range
			return nil
		}}, nil
	})
	b := tflitebuild.New()
	q := b.Const("q", []int{4}, &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{0}}, []int8{1, 2, 3, 4})
	w := b.Tensor("w", tensor.Float32, []int{4}, nil, nil)
	x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
	b.Op("DEQUANTIZE", []int{q}, []int{w}, nil)
	b.Op("ADD", []int{x, w}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(data, WithResolver(res)); !errors.Is(err, ErrPanic) || !errors.Is(err, ErrInvalidModel) {
		t.Fatalf("Load = %v, want ErrPanic and ErrInvalidModel", err)
	}
}

// TestShapeFoldRecoversKernelPanic: shape arithmetic over constants runs
// its kernel while planning, outside any Runner: a kernel panic there
// leaves the operator to run, and Run reports it as ErrPanic; neither Load
// nor Run panics.
func TestShapeFoldRecoversKernelPanic(t *testing.T) {
	res := BuiltinResolver()
	prep, _ := res.Lookup("ADD")
	res.Add("ADD", func(n *op.Node) (op.Kernel, error) {
		k, err := prep(n)
		if err != nil {
			return k, err
		}
		k.Eval = func(*op.Exec, []*tensor.Tensor, []*tensor.Tensor) error {
			var none []byte
			_ = none[n.Index+1] // index out of range
			return nil
		}
		return k, nil
	})
	b := tflitebuild.New()
	c1 := b.Const("c1", []int{2}, nil, []int32{1, 2})
	c2 := b.Const("c2", []int{2}, nil, []int32{3, 4})
	s := b.Tensor("s", tensor.Int32, []int{2}, nil, nil)
	b.Op("ADD", []int{c1, c2}, []int{s}, nil)
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op("RESHAPE", []int{x, s}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.UncheckedBytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data, WithResolver(res))
	if err != nil {
		t.Fatalf("Load = %v, want the ADD left to run", err)
	}
	in, _ := tensor.New(tensor.Float32, tensor.Shape{1, 4})
	if _, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{in}); !errors.Is(err, ErrPanic) {
		t.Fatalf("Run = %v, want ErrPanic", err)
	}
}
