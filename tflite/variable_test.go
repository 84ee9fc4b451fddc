package tflite

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// accumulate is a test operator over float32: state += x; out = state. It
// is the smallest operator that carries state from one step to the next.
func accumulate(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	if !n.Inputs[1].Variable {
		return op.Kernel{}, n.Invalidf("state is not a variable tensor")
	}
	n.Outputs[0].Shape = n.Inputs[1].Shape.Clone()
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		x, s, y := in[0].Float32s(), in[1].Float32s(), out[0].Float32s()
		for i := range s {
			s[i] += x[i]
			y[i] = s[i]
		}
		return nil
	}}, nil
}

// peek copies a tensor's bytes (any dtype) to its output.
func peek(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	n.Outputs[0].Shape = n.Inputs[0].Shape.Clone()
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		copy(out[0].Data, in[0].Data)
		return nil
	}}, nil
}

func variableResolver() *op.Resolver {
	r := BuiltinResolver()
	r.Add("CUSTOM:Accumulate", accumulate)
	r.Add("CUSTOM:Peek", peek)
	return r
}

// accumulateModel: x → Accumulate(x, s) → a → Accumulate(a, s) → y, with a
// RELU between them so that other activations compete for arena bytes.
// Within one Run s goes 0 → x → 2x and y = 2x.
func accumulateModel(t *testing.T, batch bool) []byte {
	t.Helper()
	b := tflitebuild.New()
	shape := []int{1, 8}
	x := b.Tensor("x", tensor.Float32, shape, nil, nil)
	s := b.Tensor("state", tensor.Float32, shape, nil, nil)
	b.Variable(s)
	a := b.Tensor("a", tensor.Float32, shape, nil, nil)
	r := b.Tensor("r", tensor.Float32, shape, nil, nil)
	y := b.Tensor("y", tensor.Float32, shape, nil, nil)
	if batch {
		for _, ti := range []int{x, s, a, r, y} {
			b.ShapeSignature(ti, []int{-1, 8})
		}
	}
	b.CustomOp("Accumulate", []int{x, s}, []int{a}, nil)
	b.Op("RELU", []int{a}, []int{r}, nil)
	b.CustomOp("Accumulate", []int{r, s}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func floats(v ...float32) *tensor.Tensor {
	x, _ := tensor.New(tensor.Float32, tensor.Shape{len(v) / 8, 8})
	copy(x.Float32s(), v)
	return x
}

// TestVariableResetEachRun: state starts from zero in every Run, so the
// same input gives the same output whatever ran before on the Runner.
func TestVariableResetEachRun(t *testing.T) {
	m, err := Load(accumulateModel(t, false), WithResolver(variableResolver()))
	if err != nil {
		t.Fatal(err)
	}
	r := m.NewRunner()
	ctx := context.Background()
	in := floats(1, 2, 3, 4, 5, 6, 7, 8)
	other := floats(9, 9, 9, 9, 9, 9, 9, 9)
	for run, x := range []*tensor.Tensor{in, other, in, in} {
		out, err := r.Run(ctx, []*tensor.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range out[0].Float32s() {
			if want := 2 * x.Float32s()[i]; v != want {
				t.Fatalf("run %d: y[%d] = %v, want %v (state not reset?)", run, i, v, want)
			}
		}
	}
}

// TestVariableNeverShared: the planner keeps a variable tensor's bytes
// apart from every other tensor of the plan.
func TestVariableNeverShared(t *testing.T) {
	m, err := Load(accumulateModel(t, false), WithResolver(variableResolver()))
	if err != nil {
		t.Fatal(err)
	}
	p := m.plan
	if len(p.variables) != 1 {
		t.Fatalf("%d variables, want 1", len(p.variables))
	}
	v := p.variables[0].tensor
	size := func(ti int) int { return p.infos[ti].Shape.Elements() * p.infos[ti].DType.Size() }
	for ti, off := range p.offsets {
		if ti == v || off < 0 {
			continue
		}
		if off < p.offsets[v]+size(v) && p.offsets[v] < off+size(ti) {
			t.Fatalf("tensor %d [%d, %d) overlaps the variable [%d, %d)", ti, off, off+size(ti), p.offsets[v], p.offsets[v]+size(v))
		}
	}
	if p.scratch < p.offsets[v]+size(v) {
		t.Fatalf("scratch at %d overlaps the variable ending at %d", p.scratch, p.offsets[v]+size(v))
	}
}

// TestVariableInt8StartsAtZeroPoint: an int8 variable starts at its zero
// point, as TFLite and TFLite Micro reset it; other dtypes at zero bytes.
func TestVariableInt8StartsAtZeroPoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		dt   tensor.DType
		q    *tensor.Quant
		want byte
	}{
		{"int8 zp -3", tensor.Int8, &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-3}}, 0xfd},
		{"int8 no quant", tensor.Int8, nil, 0},
		{"int16 zp 0", tensor.Int16, &tensor.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{0}}, 0},
		{"float32", tensor.Float32, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tflitebuild.New()
			x := b.Tensor("x", tensor.Int8, []int{4}, nil, nil)
			s := b.Tensor("state", tc.dt, []int{4}, tc.q, nil)
			b.Variable(s)
			y := b.Tensor("y", tc.dt, []int{4}, tc.q, nil)
			xo := b.Tensor("xo", tensor.Int8, []int{4}, nil, nil)
			b.CustomOp("Peek", []int{x}, []int{xo}, nil)
			b.CustomOp("Peek", []int{s}, []int{y}, nil)
			b.Inputs(x)
			b.Outputs(y, xo)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(data, WithResolver(variableResolver()))
			if err != nil {
				t.Fatal(err)
			}
			r := m.NewRunner()
			in, _ := tensor.New(tensor.Int8, tensor.Shape{4})
			// Dirty the state's bytes the way a previous Run could.
			for i := range r.ts[s].Data {
				r.ts[s].Data[i] = 0x55
			}
			out, err := r.Run(context.Background(), []*tensor.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			if want := bytes.Repeat([]byte{tc.want}, len(out[0].Data)); !bytes.Equal(out[0].Data, want) {
				t.Fatalf("state = % x, want % x", out[0].Data, want)
			}
		})
	}
}

// TestVariableBatch: with a dynamic batch the state follows the batch, and
// a batched Run gives the bytes of the items run one by one.
func TestVariableBatch(t *testing.T) {
	m, err := Load(accumulateModel(t, true), WithResolver(variableResolver()))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := m.WithBatch(3)
	if err != nil {
		t.Fatal(err)
	}
	items := make([]float32, 24)
	for i := range items {
		items[i] = float32(i)*0.25 - 3
	}
	outB, err := mb.NewRunner().Run(context.Background(), []*tensor.Tensor{floats(items...)})
	if err != nil {
		t.Fatal(err)
	}
	r := m.NewRunner()
	for k := range 3 {
		out, err := r.Run(context.Background(), []*tensor.Tensor{floats(items[8*k : 8*k+8]...)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out[0].Data, outB[0].Data[32*k:32*k+32]) {
			t.Fatalf("item %d: one by one % x, batched % x", k, out[0].Data, outB[0].Data[32*k:32*k+32])
		}
	}
}

// TestVariableRunAllocatesNothing: resetting state costs no allocation.
func TestVariableRunAllocatesNothing(t *testing.T) {
	m, err := Load(accumulateModel(t, false), WithResolver(variableResolver()))
	if err != nil {
		t.Fatal(err)
	}
	r := m.NewRunner()
	in := floats(1, 2, 3, 4, 5, 6, 7, 8)
	ctx := context.Background()
	if a := testing.AllocsPerRun(10, func() {
		if _, err := r.Run(ctx, []*tensor.Tensor{in}); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("Run allocates %v times", a)
	}
}

// TestVariableRejected: a variable cannot be a subgraph input or an
// operator's output.
func TestVariableRejected(t *testing.T) {
	build := func(varInput bool) []byte {
		b := tflitebuild.New()
		x := b.Tensor("x", tensor.Float32, []int{1, 8}, nil, nil)
		s := b.Tensor("state", tensor.Float32, []int{1, 8}, nil, nil)
		y := b.Tensor("y", tensor.Float32, []int{1, 8}, nil, nil)
		if varInput {
			b.Variable(x)
			b.CustomOp("Accumulate", []int{x, s}, []int{y}, nil)
		} else {
			b.Variable(y)
			b.Variable(s)
			b.CustomOp("Accumulate", []int{x, s}, []int{y}, nil)
		}
		b.Inputs(x)
		b.Outputs(y)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, varInput := range []bool{true, false} {
		_, err := Load(build(varInput), WithResolver(variableResolver()))
		if !errors.Is(err, ErrInvalidModel) {
			t.Fatalf("variable input %v: Load = %v, want ErrInvalidModel", varInput, err)
		}
	}
}

// TestVariablePinsBatch: a model whose inputs have a dynamic batch but
// whose state has a fixed leading dimension is not batchable (its state
// could not follow another batch size); it runs at the file's batch.
func TestVariablePinsBatch(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 8}, nil, nil)
	s := b.Tensor("state", tensor.Float32, []int{1, 8}, nil, nil)
	b.Variable(s)
	y := b.Tensor("y", tensor.Float32, []int{1, 8}, nil, nil)
	b.ShapeSignature(x, []int{-1, 8})
	b.ShapeSignature(y, []int{-1, 8})
	b.CustomOp("Accumulate", []int{x, s}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data, WithResolver(variableResolver()))
	if err != nil {
		t.Fatal(err)
	}
	if m.Batchable() {
		t.Fatal("Batchable with a fixed-batch state")
	}
	if got := m.Inputs()[0].Shape; got[0] != 1 {
		t.Fatalf("input shape %v, want the file's batch 1", got)
	}
	if _, err := m.WithBatch(2); err == nil {
		t.Fatal("WithBatch(2) succeeded")
	}
	// With the state's batch dynamic too, it is batchable.
	mb, err := Load(accumulateModel(t, true), WithResolver(variableResolver()))
	if err != nil {
		t.Fatal(err)
	}
	if !mb.Batchable() {
		t.Fatal("not Batchable with a dynamic-batch state")
	}
}
