package elementwise

import (
	"errors"
	"math"
	"testing"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

func info(dt tensor.DType, shape []int, scale float32, zp int64) *op.TensorInfo {
	t := &op.TensorInfo{DType: dt, Shape: shape}
	if scale != 0 {
		t.Quant = &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
	}
	return t
}

func prepare(t *testing.T, name string, opts any, ins []*op.TensorInfo, outs ...*op.TensorInfo) (op.Kernel, error) {
	t.Helper()
	r := op.NewResolver()
	Register(r)
	fn, ok := r.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	return fn(&op.Node{Op: name, Options: opts, Inputs: ins, Outputs: outs})
}

func tensorOf[T any](dt tensor.DType, shape []int, vals []T) *tensor.Tensor {
	var z T
	b := make([]byte, len(vals)*int(unsafe.Sizeof(z)))
	if len(vals) > 0 {
		copy(unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(vals)), vals)
	}
	return &tensor.Tensor{DType: dt, Shape: shape, Data: b}
}

func run(t *testing.T, k op.Kernel, out *tensor.Tensor, ins ...*tensor.Tensor) {
	t.Helper()
	if err := k.Eval(&op.Exec{}, ins, []*tensor.Tensor{out}); err != nil {
		t.Fatal(err)
	}
}

func TestAddFloatActivations(t *testing.T) {
	a := []float32{-8, -0.5, 0.5, 8}
	b := []float32{1}
	tests := []struct {
		name string
		act  op.Activation
		want []float32
	}{
		{name: "none", act: op.ActNone, want: []float32{-7, 0.5, 1.5, 9}},
		{name: "relu", act: op.ActRelu, want: []float32{0, 0.5, 1.5, 9}},
		{name: "relu6", act: op.ActRelu6, want: []float32{0, 0.5, 1.5, 6}},
		{name: "relu_n1_to_1", act: op.ActReluN1To1, want: []float32{-1, 0.5, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := info(tensor.Float32, nil, 0, 0)
			k, err := prepare(t, "ADD", &op.ArithOptions{Activation: tc.act},
				[]*op.TensorInfo{info(tensor.Float32, []int{2, 2}, 0, 0), info(tensor.Float32, []int{1}, 0, 0)}, out)
			if err != nil {
				t.Fatal(err)
			}
			if !out.Shape.Equal(tensor.Shape{2, 2}) {
				t.Fatalf("output shape %v", out.Shape)
			}
			o := tensorOf(tensor.Float32, []int{2, 2}, make([]float32, 4))
			run(t, k, o, tensorOf(tensor.Float32, []int{2, 2}, a), tensorOf(tensor.Float32, []int{1}, b))
			for i, v := range o.Float32s() {
				if v != tc.want[i] {
					t.Fatalf("got %v, want %v", o.Float32s(), tc.want)
				}
			}
		})
	}
	if _, err := prepare(t, "ADD", &op.ArithOptions{Activation: op.ActTanh},
		[]*op.TensorInfo{info(tensor.Float32, []int{2}, 0, 0), info(tensor.Float32, []int{2}, 0, 0)}, info(tensor.Float32, nil, 0, 0)); !errors.Is(err, op.ErrUnsupported) {
		t.Fatalf("fused TANH: err = %v", err)
	}
}

func TestBinaryOpsInt8Broadcast(t *testing.T) {
	// Scale 0.5, zero point 0 everywhere: values are exact halves.
	a := []int8{2, 4, 6, 8, 10, 12} // [2,3]: 1,2,3,4,5,6
	b := []int8{2, 4, 6}            // [3]: 1,2,3
	tests := []struct {
		op   string
		want []int8
	}{
		{"ADD", []int8{4, 8, 12, 10, 14, 18}},
		{"SUB", []int8{0, 0, 0, 6, 6, 6}},
		{"MUL", []int8{2, 8, 18, 8, 20, 36}},
		{"DIV", []int8{2, 2, 2, 8, 5, 4}},
		{"SQUARED_DIFFERENCE", []int8{0, 0, 0, 18, 18, 18}},
		{"MAXIMUM", []int8{2, 4, 6, 8, 10, 12}},
		{"MINIMUM", []int8{2, 4, 6, 2, 4, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			out := info(tensor.Int8, nil, 0.5, 0)
			k, err := prepare(t, tc.op, nil, []*op.TensorInfo{info(tensor.Int8, []int{2, 3}, 0.5, 0), info(tensor.Int8, []int{3}, 0.5, 0)}, out)
			if err != nil {
				t.Fatal(err)
			}
			o := tensorOf(tensor.Int8, out.Shape, make([]int8, 6))
			run(t, k, o, tensorOf(tensor.Int8, []int{2, 3}, a), tensorOf(tensor.Int8, []int{3}, b))
			for i, v := range o.Int8s() {
				if v != tc.want[i] {
					t.Fatalf("got %v, want %v", o.Int8s(), tc.want)
				}
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	f := func(s ...int) *op.TensorInfo { return info(tensor.Float32, s, 0, 0) }
	q := func(scale float32, zp int64, s ...int) *op.TensorInfo { return info(tensor.Int8, s, scale, zp) }
	tests := []struct {
		name string
		op   string
		opts any
		ins  []*op.TensorInfo
		out  *op.TensorInfo
		want error
	}{
		{name: "arity", op: "ADD", ins: []*op.TensorInfo{f(2)}, out: f(), want: op.ErrInvalidModel},
		{name: "broadcast", op: "MUL", ins: []*op.TensorInfo{f(2, 3), f(4)}, out: f(), want: op.ErrInvalidModel},
		{name: "dtype mismatch", op: "ADD", ins: []*op.TensorInfo{f(2), q(1, 0, 2)}, out: f(), want: op.ErrUnsupported},
		{name: "zero scale", op: "ADD", ins: []*op.TensorInfo{q(0, 0, 2), q(1, 0, 2)}, out: q(1, 0), want: op.ErrUnsupported},
		{name: "negative scale", op: "ADD", ins: []*op.TensorInfo{q(-1, 0, 2), q(1, 0, 2)}, out: q(1, 0), want: op.ErrInvalidModel},
		{name: "zero point range", op: "ADD", ins: []*op.TensorInfo{q(1, 300, 2), q(1, 0, 2)}, out: q(1, 0), want: op.ErrInvalidModel},
		{name: "missing quant", op: "SUB", ins: []*op.TensorInfo{info(tensor.Int8, []int{2}, 0, 0), q(1, 0, 2)}, out: q(1, 0), want: op.ErrUnsupported},
		{name: "bad options", op: "ADD", opts: &op.SoftmaxOptions{}, ins: []*op.TensorInfo{f(2), f(2)}, out: f(), want: op.ErrInvalidModel},
		{name: "logistic int8 output scale", op: "LOGISTIC", ins: []*op.TensorInfo{q(0.1, 0, 4)}, out: q(0.1, -128), want: op.ErrUnsupported},
		{name: "logistic int16", op: "LOGISTIC", ins: []*op.TensorInfo{info(tensor.Int16, []int{4}, 1.0/4096, 0)}, out: info(tensor.Int16, nil, 1.0/32768, 0), want: op.ErrUnsupported},
		{name: "softmax scalar", op: "SOFTMAX", ins: []*op.TensorInfo{f()}, out: f(), want: op.ErrInvalidModel},
		{name: "softmax int8 output", op: "SOFTMAX", ins: []*op.TensorInfo{q(0.1, 0, 4)}, out: q(0.1, 0), want: op.ErrUnsupported},
		{name: "quantize to float", op: "QUANTIZE", ins: []*op.TensorInfo{f(4)}, out: f(), want: op.ErrUnsupported},
		{name: "dequantize to int", op: "DEQUANTIZE", ins: []*op.TensorInfo{q(1, 0, 4)}, out: q(1, 0), want: op.ErrUnsupported},
		{name: "div quantized int32", op: "DIV", ins: []*op.TensorInfo{info(tensor.Int32, []int{2}, 1, 0), info(tensor.Int32, []int{2}, 1, 0)}, out: info(tensor.Int32, nil, 1, 0), want: op.ErrUnsupported},
		{name: "max different scales", op: "MAXIMUM", ins: []*op.TensorInfo{q(1, 0, 2), q(2, 0, 2)}, out: q(1, 0), want: op.ErrUnsupported},
		{name: "prelu int16 alpha", op: "PRELU", ins: []*op.TensorInfo{info(tensor.Int16, []int{2}, 1, 0), info(tensor.Int16, []int{2}, 1, 0)}, out: info(tensor.Int16, nil, 1, 0), want: op.ErrUnsupported},
		{name: "negative dim", op: "RELU", ins: []*op.TensorInfo{f(-1)}, out: f(), want: op.ErrInvalidModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := prepare(t, tc.op, tc.opts, tc.ins, tc.out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnaryOps(t *testing.T) {
	in := []float32{-2, -0.5, 0, 0.5, 7}
	tests := []struct {
		name string
		op   string
		opts any
		want []float32
	}{
		{name: "relu", op: "RELU", want: []float32{0, 0, 0, 0.5, 7}},
		{name: "relu6", op: "RELU6", want: []float32{0, 0, 0, 0.5, 6}},
		{name: "relu_n1_to_1", op: "RELU_N1_TO_1", want: []float32{-1, -0.5, 0, 0.5, 1}},
		{name: "leaky", op: "LEAKY_RELU", opts: &op.LeakyReluOptions{Alpha: 0.5}, want: []float32{-1, -0.25, 0, 0.5, 7}},
		{name: "hard_swish", op: "HARD_SWISH", want: []float32{-1.0 / 3, -0.5 * 2.5 / 6, 0, 0.5 * 3.5 / 6, 7}},
		{name: "logistic", op: "LOGISTIC", want: []float32{0.11920292, 0.37754068, 0.5, 0.62245935, 0.99908894}},
		{name: "tanh", op: "TANH", want: []float32{-0.9640276, -0.46211717, 0, 0.46211717, 0.99999833}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := info(tensor.Float32, nil, 0, 0)
			k, err := prepare(t, tc.op, tc.opts, []*op.TensorInfo{info(tensor.Float32, []int{5}, 0, 0)}, out)
			if err != nil {
				t.Fatal(err)
			}
			o := tensorOf(tensor.Float32, out.Shape, make([]float32, 5))
			run(t, k, o, tensorOf(tensor.Float32, []int{5}, in))
			for i, v := range o.Float32s() {
				if math.Abs(float64(v-tc.want[i])) > 1e-6 {
					t.Fatalf("got %v, want %v", o.Float32s(), tc.want)
				}
			}
		})
	}
}

func TestQuantizeRoundTrip(t *testing.T) {
	qout := info(tensor.Int8, nil, 0.25, 3)
	kq, err := prepare(t, "QUANTIZE", nil, []*op.TensorInfo{info(tensor.Float32, []int{1, 4}, 0, 0)}, qout)
	if err != nil {
		t.Fatal(err)
	}
	q := tensorOf(tensor.Int8, qout.Shape, make([]int8, 4))
	run(t, kq, q, tensorOf(tensor.Float32, []int{1, 4}, []float32{-1, 0, 1.25, 100}))
	want := []int8{-1, 3, 8, 127}
	for i, v := range q.Int8s() {
		if v != want[i] {
			t.Fatalf("quantize: %v, want %v", q.Int8s(), want)
		}
	}
	fout := info(tensor.Float32, nil, 0, 0)
	kd, err := prepare(t, "DEQUANTIZE", nil, []*op.TensorInfo{info(tensor.Int8, []int{1, 4}, 0.25, 3)}, fout)
	if err != nil {
		t.Fatal(err)
	}
	f := tensorOf(tensor.Float32, fout.Shape, make([]float32, 4))
	run(t, kd, f, q)
	wantF := []float32{-1, 0, 1.25, 31}
	for i, v := range f.Float32s() {
		if v != wantF[i] {
			t.Fatalf("dequantize: %v, want %v", f.Float32s(), wantF)
		}
	}
	rout := info(tensor.Int16, nil, 0.125, 0)
	kr, err := prepare(t, "QUANTIZE", nil, []*op.TensorInfo{info(tensor.Int8, []int{1, 4}, 0.25, 3)}, rout)
	if err != nil {
		t.Fatal(err)
	}
	r := tensorOf(tensor.Int16, rout.Shape, make([]int16, 4))
	run(t, kr, r, q)
	wantR := []int16{-8, 0, 10, 248}
	for i, v := range r.Int16s() {
		if v != wantR[i] {
			t.Fatalf("requantize: %v, want %v", r.Int16s(), wantR)
		}
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	out := info(tensor.Int8, nil, 0.05, 1)
	k, err := prepare(t, "ADD", &op.ArithOptions{Activation: op.ActRelu},
		[]*op.TensorInfo{info(tensor.Int8, []int{2, 8, 16}, 0.04, -3), info(tensor.Int8, []int{8, 1}, 0.03, 2)}, out)
	if err != nil {
		t.Fatal(err)
	}
	a := tensorOf(tensor.Int8, []int{2, 8, 16}, make([]int8, 256))
	b := tensorOf(tensor.Int8, []int{8, 1}, make([]int8, 8))
	o := tensorOf(tensor.Int8, out.Shape, make([]int8, 256))
	ins, outs := []*tensor.Tensor{a, b}, []*tensor.Tensor{o}
	x := &op.Exec{}
	if n := testing.AllocsPerRun(100, func() { _ = k.Eval(x, ins, outs) }); n != 0 {
		t.Fatalf("Eval allocates %v times", n)
	}
}

func BenchmarkAddInt8(b *testing.B) {
	const n = 1 << 16
	out := info(tensor.Int8, nil, 0.05, 1)
	k, err := prepare(&testing.T{}, "ADD", nil, []*op.TensorInfo{info(tensor.Int8, []int{n}, 0.04, -3), info(tensor.Int8, []int{n}, 0.03, 2)}, out)
	if err != nil {
		b.Fatal(err)
	}
	ins := []*tensor.Tensor{tensorOf(tensor.Int8, []int{n}, make([]int8, n)), tensorOf(tensor.Int8, []int{n}, make([]int8, n))}
	outs := []*tensor.Tensor{tensorOf(tensor.Int8, []int{n}, make([]int8, n))}
	x := &op.Exec{}
	b.ReportAllocs()
	b.SetBytes(n)
	for b.Loop() {
		_ = k.Eval(x, ins, outs)
	}
}

// TestBinaryParallelMatchesSerial: a large non-broadcasting binary operator
// split across threads (int8) or not (float32) writes exactly the bytes of
// the one-thread run, for ADD, SUB and MUL of a length that is not a
// multiple of the split block, without allocating once the Runner state
// exists.
func TestBinaryParallelMatchesSerial(t *testing.T) {
	const n = 3*parallelMin + 77
	for _, name := range []string{"ADD", "SUB", "MUL"} {
		for _, dt := range []tensor.DType{tensor.Int8, tensor.Float32} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				scale := float32(0)
				if dt == tensor.Int8 {
					scale = 0.05
				}
				out := info(dt, nil, scale*2, 1)
				k, err := prepare(t, name, &op.ArithOptions{Activation: op.ActRelu6},
					[]*op.TensorInfo{info(dt, []int{1, n}, scale, -3), info(dt, []int{1, n}, scale*1.5, 2)}, out)
				if err != nil {
					t.Fatal(err)
				}
				a := &tensor.Tensor{DType: dt, Shape: tensor.Shape{1, n}, Data: make([]byte, n*dt.Size())}
				b := &tensor.Tensor{DType: dt, Shape: tensor.Shape{1, n}, Data: make([]byte, n*dt.Size())}
				for i := range a.Data {
					a.Data[i], b.Data[i] = byte(i*7+i>>9), byte(i*13+i>>7)
				}
				if dt == tensor.Float32 { // keep the values finite and varied
					for i := range a.Float32s() {
						a.Float32s()[i], b.Float32s()[i] = float32(i%91)*0.1-4, float32(i%37)*-0.2+3
					}
				}
				serial := &tensor.Tensor{DType: dt, Shape: out.Shape, Data: make([]byte, n*dt.Size())}
				par := &tensor.Tensor{DType: dt, Shape: out.Shape, Data: make([]byte, n*dt.Size())}
				if err := k.Eval(&op.Exec{}, []*tensor.Tensor{a, b}, []*tensor.Tensor{serial}); err != nil {
					t.Fatal(err)
				}
				x := &op.Exec{State: k.NewState()}
				x.SetThreads(2)
				defer x.Close()
				ins, outs := []*tensor.Tensor{a, b}, []*tensor.Tensor{par}
				if err := k.Eval(x, ins, outs); err != nil {
					t.Fatal(err)
				}
				for i := range serial.Data {
					if serial.Data[i] != par.Data[i] {
						t.Fatalf("byte %d: 2 threads %d, 1 thread %d", i, par.Data[i], serial.Data[i])
					}
				}
				if allocs := testing.AllocsPerRun(20, func() { _ = k.Eval(x, ins, outs) }); allocs != 0 {
					t.Fatalf("parallel Eval allocates %v times", allocs)
				}
			})
		}
	}
}
