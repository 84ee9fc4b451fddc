package control_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/internal/goldencase"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// input makes a tensor from values (float32, bool, ...).
func input(shape []int, values any) *tensor.Tensor {
	dt, data, err := tflitebuild.Encode(values)
	if err != nil {
		panic(err)
	}
	return &tensor.Tensor{DType: dt, Shape: shape, Data: data}
}

var x4 = []float32{1.5, -2, 0.25, 8}

// ifModel: y = IF(cond, x): then x + c, else x * c, with c = [2, 3, -1, 0.5].
func ifModel(t *testing.T) []byte {
	b := tflitebuild.New()
	cond := b.Tensor("cond", tensor.Bool, nil, nil, nil)
	x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
	b.Op("IF", []int{cond, x}, []int{y}, &op.IfOptions{ThenSubgraph: 1, ElseSubgraph: 2})
	b.Inputs(cond, x)
	b.Outputs(y)
	for _, name := range []string{"ADD", "MUL"} {
		b.AddSubgraph(strings.ToLower(name))
		x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
		c := b.Const("c", []int{4}, nil, []float32{2, 3, -1, 0.5})
		y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
		b.Op(name, []int{x, c}, []int{y}, &op.ArithOptions{})
		b.Inputs(x)
		b.Outputs(y)
	}
	return build(t, b)
}

// ifShapedModel: like ifModel (the condition p > 0 from a float input,
// which the stock TFLite runner can write), but the branches declare their input as
// float32[1] with shape signature [-1] (as the TFLite converter writes a
// tensor of unknown length) and the caller passes float32[4]; each branch
// is planned for [4]. The then branch adds x to itself; the else branch
// reshapes x[0] to a scalar through a shape tensor of zero elements
// that nothing writes (the converter's empty constant []) and multiplies
// x by it.
func ifShapedModel(t *testing.T) []byte {
	b := tflitebuild.New()
	p := b.Tensor("p", tensor.Float32, nil, nil, nil)
	cond := b.Tensor("cond", tensor.Bool, nil, nil, nil)
	b.Op("GREATER", []int{p, b.Const("zero", []int{}, nil, []float32{0})}, []int{cond}, nil)
	x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
	b.Op("IF", []int{cond, x}, []int{y}, &op.IfOptions{ThenSubgraph: 1, ElseSubgraph: 2})
	b.Inputs(p, x)
	b.Outputs(y)
	for k := range 2 {
		b.AddSubgraph(fmt.Sprint("branch", k))
		x := b.Tensor("x", tensor.Float32, []int{1}, nil, nil)
		b.ShapeSignature(x, []int{-1})
		y := b.Tensor("y", tensor.Float32, []int{1}, nil, nil)
		b.ShapeSignature(y, []int{-1})
		if k == 0 {
			b.Op("ADD", []int{x, x}, []int{y}, &op.ArithOptions{})
		} else {
			first := b.Tensor("first", tensor.Float32, []int{1}, nil, nil)
			b.Op("SLICE", []int{x, b.Const("begin", []int{1}, nil, []int32{0}), b.Const("size", []int{1}, nil, []int32{1})}, []int{first}, nil)
			empty := b.Tensor("shape", tensor.Int32, []int{0}, nil, nil)
			s := b.Tensor("s", tensor.Float32, []int{}, nil, nil)
			b.Op("RESHAPE", []int{first, empty}, []int{s}, nil)
			b.Op("MUL", []int{x, s}, []int{y}, &op.ArithOptions{})
		}
		b.Inputs(x)
		b.Outputs(y)
	}
	return build(t, b)
}

// whileModel loops while a three-flag shift register holds true: the
// condition returns f1, the body shifts (f1, f2, f3) to (f2, f3, false) and
// adds 1 to x, so x comes out incremented once per leading true flag.
func whileModel(t *testing.T) []byte {
	b := tflitebuild.New()
	state := func() []int {
		f1 := b.Tensor("f1", tensor.Bool, nil, nil, nil)
		f2 := b.Tensor("f2", tensor.Bool, nil, nil, nil)
		f3 := b.Tensor("f3", tensor.Bool, nil, nil, nil)
		x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
		return []int{f1, f2, f3, x}
	}
	in, out := state(), state()
	b.Op("WHILE", in, out, &op.WhileOptions{CondSubgraph: 1, BodySubgraph: 2})
	b.Inputs(in...)
	b.Outputs(out...)
	b.AddSubgraph("cond")
	s := state()
	b.Inputs(s...)
	b.Outputs(s[0])
	b.AddSubgraph("body")
	s = state()
	off := b.Const("false", nil, nil, []bool{false})
	one := b.Const("one", []int{1}, nil, []float32{1})
	y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
	b.Op("ADD", []int{s[3], one}, []int{y}, &op.ArithOptions{})
	b.Inputs(s...)
	b.Outputs(s[1], s[2], off, y)
	return build(t, b)
}

// varsModel: CALL_ONCE runs an init subgraph that assigns c to the
// resource variable "acc"; main then computes y = x + acc, assigns y to
// acc and returns y and 2 * acc (read after the assignment).
func varsModel(t *testing.T) []byte {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
	r := b.Tensor("r", tensor.Resource, nil, nil, nil)
	v := b.Tensor("v", tensor.Float32, []int{4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
	v2 := b.Tensor("v2", tensor.Float32, []int{4}, nil, nil)
	two := b.Const("two", []int{1}, nil, []float32{2})
	z := b.Tensor("z", tensor.Float32, []int{4}, nil, nil)
	b.Op("CALL_ONCE", nil, nil, &op.CallOnceOptions{InitSubgraph: 1})
	b.Op("VAR_HANDLE", nil, []int{r}, &op.VarHandleOptions{SharedName: "acc"})
	b.Op("READ_VARIABLE", []int{r}, []int{v}, nil)
	b.Op("ADD", []int{x, v}, []int{y}, &op.ArithOptions{})
	b.Op("ASSIGN_VARIABLE", []int{r, y}, nil, nil)
	b.Op("READ_VARIABLE", []int{r}, []int{v2}, nil)
	b.Op("MUL", []int{v2, two}, []int{z}, &op.ArithOptions{})
	b.Inputs(x)
	b.Outputs(y, z)
	b.AddSubgraph("init")
	r = b.Tensor("r", tensor.Resource, nil, nil, nil)
	c := b.Const("c", []int{4}, nil, []float32{10, 20, 30, 40})
	b.Op("VAR_HANDLE", nil, []int{r}, &op.VarHandleOptions{SharedName: "acc"})
	b.Op("ASSIGN_VARIABLE", []int{r, c}, nil, nil)
	return build(t, b)
}

func build(t *testing.T, b *tflitebuild.Builder) []byte {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGolden compares IF, WHILE, CALL_ONCE and the resource variables with
// TensorFlow Lite (testdata/README says which runner gave each case).
func TestGolden(t *testing.T) {
	cases := []goldencase.Case{
		{Name: "if_true", Model: ifModel(t), Inputs: []*tensor.Tensor{input(nil, []bool{true}), input([]int{4}, x4)}},
		{Name: "if_false", Model: ifModel(t), Inputs: []*tensor.Tensor{input(nil, []bool{false}), input([]int{4}, x4)}},
		{Name: "if_shaped_true", Model: ifShapedModel(t), Inputs: []*tensor.Tensor{input(nil, []float32{1}), input([]int{4}, x4)}},
		{Name: "if_shaped_false", Model: ifShapedModel(t), Inputs: []*tensor.Tensor{input(nil, []float32{-1}), input([]int{4}, x4)}},
		{Name: "while_twice", Model: whileModel(t), Inputs: []*tensor.Tensor{input(nil, []bool{true}), input(nil, []bool{true}), input(nil, []bool{false}), input([]int{4}, x4)}},
		{Name: "while_never", Model: whileModel(t), Inputs: []*tensor.Tensor{input(nil, []bool{false}), input(nil, []bool{true}), input(nil, []bool{true}), input([]int{4}, x4)}},
		{Name: "call_once_vars", Model: varsModel(t), Inputs: []*tensor.Tensor{input([]int{4}, x4)}},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { goldencase.Check(t, c) })
	}
}

// chainModel: main and each of n subgraphs call the next through IF; the
// last returns its input. call(i) gives the subgraph subgraph i calls.
func chainModel(t *testing.T, n int, call func(i int) int) []byte {
	b := tflitebuild.New()
	for i := 0; i <= n; i++ {
		if i > 0 {
			b.AddSubgraph("link")
		}
		cond := b.Tensor("cond", tensor.Bool, nil, nil, nil)
		x := b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
		b.Inputs(cond, x)
		if i == n {
			b.Outputs(x)
			continue
		}
		y := b.Tensor("y", tensor.Float32, []int{2}, nil, nil)
		b.Op("IF", []int{cond, cond, x}, []int{y}, &op.IfOptions{ThenSubgraph: call(i), ElseSubgraph: call(i)})
		b.Outputs(y)
	}
	data, err := b.UncheckedBytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSubgraphErrors: recursion, bad indices and deep nesting in the file
// are load errors, never a hang or a stack overflow.
func TestSubgraphErrors(t *testing.T) {
	tests := []struct {
		name  string
		model []byte
		want  error
		msg   string
	}{
		{"calls main", chainModel(t, 2, func(i int) int { return 0 }), tflite.ErrInvalidModel, "calls itself"},
		{"calls itself", chainModel(t, 2, func(i int) int { return 1 }), tflite.ErrInvalidModel, "calls itself"},
		{"cycle", chainModel(t, 3, func(i int) int { return 1 + i%2 }), tflite.ErrInvalidModel, "calls itself"},
		{"index out of range", chainModel(t, 2, func(i int) int { return 7 }), tflite.ErrInvalidModel, "subgraph 7 of 3"},
		{"negative index", chainModel(t, 2, func(i int) int { return -1 }), tflite.ErrInvalidModel, "subgraph -1"},
		{"too deep", chainModel(t, 40, func(i int) int { return i + 1 }), tflite.ErrLimit, "deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tflite.Load(tc.model)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
	// Nesting within the limit loads and runs.
	m, err := tflite.Load(chainModel(t, 10, func(i int) int { return i + 1 }))
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{input(nil, []bool{true}), input([]int{2}, []float32{3, -4})})
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Float32s(); got[0] != 3 || got[1] != -4 {
		t.Fatalf("10-deep pass-through gave %v", got)
	}
}

// TestVariableErrors: variables keep one dtype and shape, and a resource
// must come from a VAR_HANDLE of the same subgraph.
func TestVariableErrors(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
	r := b.Tensor("r", tensor.Resource, nil, nil, nil)
	v := b.Tensor("v", tensor.Float32, []int{2}, nil, nil)
	b.Op("VAR_HANDLE", nil, []int{r}, &op.VarHandleOptions{SharedName: "a"})
	b.Op("ASSIGN_VARIABLE", []int{r, x}, nil, nil)
	b.Op("READ_VARIABLE", []int{r}, []int{v}, nil)
	b.Inputs(x)
	b.Outputs(v)
	if _, err := tflite.Load(build(t, b)); !errors.Is(err, tflite.ErrUnsupported) || !strings.Contains(err.Error(), "one type and shape") {
		t.Fatalf("shape change: err = %v", err)
	}

	b = tflitebuild.New()
	r = b.Tensor("r", tensor.Resource, nil, nil, nil)
	v = b.Tensor("v", tensor.Float32, []int{2}, nil, nil)
	b.Op("READ_VARIABLE", []int{r}, []int{v}, nil)
	b.Inputs(r)
	b.Outputs(v)
	if _, err := tflite.Load(build(t, b)); !errors.Is(err, tflite.ErrUnsupported) || !strings.Contains(err.Error(), "VAR_HANDLE") {
		t.Fatalf("resource input: err = %v", err)
	}

	// Read before any assignment: a run-time error, not garbage.
	b = tflitebuild.New()
	x = b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
	r = b.Tensor("r", tensor.Resource, nil, nil, nil)
	v = b.Tensor("v", tensor.Float32, []int{2}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{2}, nil, nil)
	b.Op("VAR_HANDLE", nil, []int{r}, &op.VarHandleOptions{SharedName: "a"})
	b.Op("READ_VARIABLE", []int{r}, []int{v}, nil)
	b.Op("ADD", []int{x, v}, []int{y}, &op.ArithOptions{})
	b.Inputs(x)
	b.Outputs(y)
	m, err := tflite.Load(build(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewRunner().Run(context.Background(), []*tensor.Tensor{input([]int{2}, []float32{1, 2})}); err == nil || !strings.Contains(err.Error(), "before it is assigned") {
		t.Fatalf("read before assignment: err = %v", err)
	}
}

// TestRunAllocatesNothing: subgraph calls, loops and variables run without
// allocating once the Runner exists.
func TestRunAllocatesNothing(t *testing.T) {
	for _, c := range []struct {
		name   string
		model  []byte
		inputs []*tensor.Tensor
	}{
		{"if", ifModel(t), []*tensor.Tensor{input(nil, []bool{true}), input([]int{4}, x4)}},
		{"while", whileModel(t), []*tensor.Tensor{input(nil, []bool{true}), input(nil, []bool{true}), input(nil, []bool{true}), input([]int{4}, x4)}},
		{"vars", varsModel(t), []*tensor.Tensor{input([]int{4}, x4)}},
	} {
		m, err := tflite.Load(c.model)
		if err != nil {
			t.Fatal(err)
		}
		r := m.NewRunner()
		ctx := context.Background()
		if n := testing.AllocsPerRun(20, func() {
			if _, err := r.Run(ctx, c.inputs); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per Run", c.name, n)
		}
	}
}

// TestBrokenSubgraph: a subgraph the file gets wrong is an error only when
// an operator calls it (converters leave unused ones behind).
func TestBrokenSubgraph(t *testing.T) {
	model := func(call bool) []byte {
		b := tflitebuild.New()
		cond := b.Tensor("cond", tensor.Bool, nil, nil, nil)
		x := b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
		y := b.Tensor("y", tensor.Float32, []int{2}, nil, nil)
		if call {
			b.Op("IF", []int{cond, x}, []int{y}, &op.IfOptions{ThenSubgraph: 1, ElseSubgraph: 1})
		} else {
			b.Op("RELU", []int{x}, []int{y}, nil)
		}
		b.Inputs(cond, x)
		b.Outputs(y)
		b.AddSubgraph("broken")
		in := b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
		b.Op("RELU", []int{in}, []int{9}, nil) // tensor 9 does not exist
		b.Inputs(in)
		b.Outputs(in)
		data, err := b.UncheckedBytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if _, err := tflite.Load(model(false)); err != nil {
		t.Fatalf("unused broken subgraph: %v", err)
	}
	if _, err := tflite.Load(model(true)); !errors.Is(err, tflite.ErrInvalidModel) || !strings.Contains(err.Error(), "subgraph 1") {
		t.Fatalf("called broken subgraph: err = %v", err)
	}
}

// TestNotBatchable: control flow and resource variables pin a model to its
// file's batch (other subgraphs keep their shapes; a variable would be
// shared by the items of a batch), even with dynamic batch signatures.
func TestNotBatchable(t *testing.T) {
	for _, withIf := range []bool{false, true} {
		b := tflitebuild.New()
		cond := b.Tensor("cond", tensor.Bool, []int{1}, nil, nil)
		x := b.Tensor("x", tensor.Float32, []int{1, 2}, nil, nil)
		y := b.Tensor("y", tensor.Float32, []int{1, 2}, nil, nil)
		b.ShapeSignature(cond, []int{-1})
		b.ShapeSignature(x, []int{-1, 2})
		b.ShapeSignature(y, []int{-1, 2})
		if withIf {
			b.Op("IF", []int{cond, x}, []int{y}, &op.IfOptions{ThenSubgraph: 1, ElseSubgraph: 1})
		} else {
			b.Op("RELU", []int{x}, []int{y}, nil)
		}
		b.Inputs(cond, x)
		b.Outputs(y)
		b.AddSubgraph("branch")
		bx := b.Tensor("x", tensor.Float32, []int{1, 2}, nil, nil)
		b.Inputs(bx)
		b.Outputs(bx)
		m, err := tflite.Load(build(t, b))
		if err != nil {
			t.Fatal(err)
		}
		if m.Batchable() == withIf {
			t.Errorf("IF %v: Batchable() = %v", withIf, m.Batchable())
		}
	}
}

// TestWhileForever: a loop whose condition never turns false stops at the
// caller's deadline.
func TestWhileForever(t *testing.T) {
	b := tflitebuild.New()
	flag := b.Tensor("flag", tensor.Bool, nil, nil, nil)
	flag2 := b.Tensor("flag2", tensor.Bool, nil, nil, nil)
	b.Op("WHILE", []int{flag}, []int{flag2}, &op.WhileOptions{CondSubgraph: 1, BodySubgraph: 1})
	b.Inputs(flag)
	b.Outputs(flag2)
	b.AddSubgraph("identity") // condition and body: the flag, unchanged
	f := b.Tensor("flag", tensor.Bool, nil, nil, nil)
	b.Inputs(f)
	b.Outputs(f)
	m, err := tflite.Load(build(t, b))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := m.NewRunner().Run(ctx, []*tensor.Tensor{input(nil, []bool{true})}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

// TestIfShapedNeedsSignature: a branch whose input the caller passes with
// another size loads only where the branch's shape signature leaves that
// dimension open (-1); otherwise the model fails with ErrUnsupported.
func TestIfShapedNeedsSignature(t *testing.T) {
	for _, sig := range [][]int{nil, {1}} {
		b := tflitebuild.New()
		cond := b.Tensor("cond", tensor.Bool, nil, nil, nil)
		x := b.Tensor("x", tensor.Float32, []int{4}, nil, nil)
		y := b.Tensor("y", tensor.Float32, []int{4}, nil, nil)
		b.Op("IF", []int{cond, x}, []int{y}, &op.IfOptions{ThenSubgraph: 1, ElseSubgraph: 1})
		b.Inputs(cond, x)
		b.Outputs(y)
		b.AddSubgraph("branch")
		bx := b.Tensor("x", tensor.Float32, []int{1}, nil, nil)
		if sig != nil {
			b.ShapeSignature(bx, sig)
		}
		by := b.Tensor("y", tensor.Float32, []int{1}, nil, nil)
		b.Op("ADD", []int{bx, bx}, []int{by}, &op.ArithOptions{})
		b.Inputs(bx)
		b.Outputs(by)
		data, err := b.UncheckedBytes()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tflite.Load(data); !errors.Is(err, tflite.ErrUnsupported) {
			t.Errorf("signature %v: Load = %v, want ErrUnsupported", sig, err)
		}
	}
}
