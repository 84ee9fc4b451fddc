package sequence_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

func q(scale float32, zero int64) *tensor.Quant {
	return &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zero}}
}

// lstmSpec describes input [B, T, I] → UNIDIRECTIONAL_SEQUENCE_LSTM →
// output; edit, when set, changes the operator's inputs and options before
// the op is added (to build the variants Prepare must refuse).
type lstmSpec struct {
	dt           tensor.DType // int8 or float32
	b, t, in, n  int
	dynamicBatch bool
	edit         func(b *tflitebuild.Builder, inputs []int, o *op.SequenceLSTMOptions)
}

func (s lstmSpec) build(tb testing.TB) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	b := tflitebuild.New()
	inputs := make([]int, 24)
	for i := range inputs {
		inputs[i] = -1
	}
	quant := s.dt == tensor.Int8
	var qIn, qH *tensor.Quant
	if quant {
		qIn, qH = q(0.05, 3), q(1.0/128, -5)
	}
	inputs[0] = b.Tensor("x", s.dt, []int{s.b, s.t, s.in}, qIn, nil)
	mat := func(rows, cols int) int {
		if !quant {
			v := make([]float32, rows*cols)
			for i := range v {
				v[i] = float32(r.Float64()-0.5) * 0.8
			}
			return b.Const("w", []int{rows, cols}, nil, v)
		}
		v := make([]int8, rows*cols)
		for i := range v {
			v[i] = int8(r.IntN(255) - 127)
		}
		return b.Const("w", []int{rows, cols}, q(0.02, 0), v)
	}
	for g := range 4 {
		inputs[1+g] = mat(s.n, s.in)
		inputs[5+g] = mat(s.n, s.n)
		if quant {
			v := make([]int32, s.n)
			for i := range v {
				v[i] = int32(r.IntN(4001) - 2000)
			}
			inputs[12+g] = b.Const("bias", []int{s.n}, q(0.05*0.02, 0), v)
		} else {
			inputs[12+g] = b.Const("bias", []int{s.n}, nil, make([]float32, s.n))
		}
	}
	cellDT, qC := tensor.Float32, (*tensor.Quant)(nil)
	if quant {
		cellDT, qC = tensor.Int16, q(1.0/2048, 0)
	}
	inputs[18] = b.Tensor("h", s.dt, []int{s.b, s.n}, qH, nil)
	inputs[19] = b.Tensor("c", cellDT, []int{s.b, s.n}, qC, nil)
	b.Variable(inputs[18])
	b.Variable(inputs[19])
	y := b.Tensor("y", s.dt, []int{s.b, s.t, s.n}, qH, nil)
	if s.dynamicBatch {
		b.ShapeSignature(inputs[0], []int{-1, s.t, s.in})
		b.ShapeSignature(inputs[18], []int{-1, s.n})
		b.ShapeSignature(inputs[19], []int{-1, s.n})
		b.ShapeSignature(y, []int{-1, s.t, s.n})
	}
	o := &op.SequenceLSTMOptions{Activation: op.ActTanh}
	if s.edit != nil {
		s.edit(b, inputs, o)
	}
	b.Op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, []int{y}, o)
	b.Inputs(inputs[0])
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func randInput(r *rand.Rand, dt tensor.DType, shape tensor.Shape) *tensor.Tensor {
	x, _ := tensor.New(dt, shape)
	switch dt {
	case tensor.Float32:
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.Float64()*4 - 2)
		}
	default:
		for i := range x.Data {
			x.Data[i] = byte(r.IntN(256))
		}
	}
	return x
}

// TestLSTMBatchedEqualsOneByOne: with a dynamic batch the state follows
// the batch, and a batched run gives the bytes of its items run one by
// one (each from the initial state), for float32 and int8.
func TestLSTMBatchedEqualsOneByOne(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Int8} {
		t.Run(dt.String(), func(t *testing.T) {
			m, err := tflite.Load(lstmSpec{dt: dt, b: 1, t: 5, in: 9, n: 12, dynamicBatch: true}.build(t))
			if err != nil {
				t.Fatal(err)
			}
			mb, err := m.WithBatch(4)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			x := randInput(r, dt, tensor.Shape{4, 5, 9})
			outB, err := mb.NewRunner().Run(context.Background(), []*tensor.Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			one := m.NewRunner()
			item := len(x.Data) / 4
			outItem := len(outB[0].Data) / 4
			for k := range 4 {
				xi, _ := tensor.New(dt, tensor.Shape{1, 5, 9})
				copy(xi.Data, x.Data[k*item:(k+1)*item])
				out, err := one.Run(context.Background(), []*tensor.Tensor{xi})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out[0].Data, outB[0].Data[k*outItem:(k+1)*outItem]) {
					t.Fatalf("item %d: batched output differs from the item run alone", k)
				}
			}
		})
	}
}

// corpusModel reads a model of ../shared/realmodels, or skips.
func corpusModel(t *testing.T, name string) *tflite.Model {
	t.Helper()
	path := filepath.Join("..", "..", "..", "..", "shared", "realmodels", name, "model.tflite")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("%s required but absent", path)
		}
		t.Skipf("%s absent (../shared/realmodels)", path)
	}
	m, err := tflite.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var statefulCorpus = []string{"tflm__dtln_noise_suppression", "tflm__micro_speech_lstm", "tflm__mnist_lstm_float", "tflm__keyword_scrambled"}

// TestStatefulRunsIndependent: on one Runner, the same input gives the
// same bytes whatever ran before it (state resets every Run), and a
// steady-state Run allocates nothing.
func TestStatefulRunsIndependent(t *testing.T) {
	for _, name := range statefulCorpus {
		t.Run(name, func(t *testing.T) {
			m := corpusModel(t, name)
			r := rand.New(rand.NewPCG(3, 4))
			var a, b []*tensor.Tensor
			for _, s := range m.Inputs() {
				a = append(a, randInput(r, s.DType, s.Shape))
				b = append(b, randInput(r, s.DType, s.Shape))
			}
			run := m.NewRunner()
			ctx := context.Background()
			first, err := run.Run(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Clone(first[0].Data)
			if _, err := run.Run(ctx, b); err != nil {
				t.Fatal(err)
			}
			again, err := run.Run(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again[0].Data, want) {
				t.Fatal("the same input gave different outputs after another run")
			}
			if n := testing.AllocsPerRun(5, func() {
				if _, err := run.Run(ctx, a); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Fatalf("Run allocates %v times", n)
			}
		})
	}
}

// TestLSTMRejected: the integer variants TensorFlow Lite Micro does not
// run, and malformed operators, fail at Load with a clear error.
func TestLSTMRejected(t *testing.T) {
	vec := func(b *tflitebuild.Builder, n int) int { return b.Const("v", []int{n}, nil, make([]float32, n)) }
	tests := []struct {
		name string
		dt   tensor.DType
		edit func(b *tflitebuild.Builder, in []int, o *op.SequenceLSTMOptions)
		want error
	}{
		{"int8 peephole", tensor.Int8, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			for i := 9; i < 12; i++ {
				in[i] = b.Const("p", []int{6}, q(0.001, 0), make([]int16, 6))
			}
		}, tflite.ErrUnsupported},
		{"int8 projection", tensor.Int8, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			in[16] = b.Const("p", []int{6, 6}, q(0.01, 0), make([]int8, 36))
		}, tflite.ErrUnsupported},
		{"int8 layer norm", tensor.Int8, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			for i := 20; i < 24; i++ {
				in[i] = b.Const("ln", []int{6}, q(0.001, 0), make([]int16, 6))
			}
		}, tflite.ErrUnsupported},
		{"int8 cifg", tensor.Int8, func(_ *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			in[1], in[5], in[12] = -1, -1, -1
		}, tflite.ErrUnsupported},
		{"relu cell", tensor.Float32, func(_ *tflitebuild.Builder, _ []int, o *op.SequenceLSTMOptions) { o.Activation = op.ActRelu }, tflite.ErrUnsupported},
		{"one peephole of three", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) { in[10] = vec(b, 6) }, tflite.ErrInvalidModel},
		{"one layer norm of four", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) { in[21] = vec(b, 6) }, tflite.ErrInvalidModel},
		{"cifg with input bias", tensor.Float32, func(_ *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) { in[1], in[5] = -1, -1 }, tflite.ErrInvalidModel},
		{"projection bias alone", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) { in[17] = vec(b, 6) }, tflite.ErrInvalidModel},
		{"projection shape", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			in[16] = b.Const("p", []int{6, 5}, nil, make([]float32, 30))
		}, tflite.ErrInvalidModel},
		{"state not variable", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			in[19] = b.Tensor("c2", tensor.Float32, []int{1, 6}, nil, nil)
		}, tflite.ErrInvalidModel},
		{"state shape", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			in[18] = b.Tensor("h2", tensor.Float32, []int{1, 5}, nil, nil)
			b.Variable(in[18])
		}, tflite.ErrInvalidModel},
		{"recurrent shape", tensor.Float32, func(b *tflitebuild.Builder, in []int, _ *op.SequenceLSTMOptions) {
			in[6] = b.Const("r", []int{6, 5}, nil, make([]float32, 30))
		}, tflite.ErrInvalidModel},
		{"negative clip", tensor.Float32, func(_ *tflitebuild.Builder, _ []int, o *op.SequenceLSTMOptions) { o.CellClip = -1 }, tflite.ErrInvalidModel},
		{"negative projection clip", tensor.Float32, func(_ *tflitebuild.Builder, _ []int, o *op.SequenceLSTMOptions) { o.ProjClip = -1 }, tflite.ErrInvalidModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tflite.Load(lstmSpec{dt: tc.dt, b: 1, t: 3, in: 4, n: 6, edit: tc.edit}.build(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
		})
	}
}

// BenchmarkStatefulCorpus: one Run of each stateful corpus model at one
// thread (edgeinfer bench --model gives the same figure per model).
func BenchmarkStatefulCorpus(b *testing.B) {
	for _, name := range append(statefulCorpus, "coral__keras_lstm_mnist_ptq") {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join("..", "..", "..", "..", "shared", "realmodels", name, "model.tflite")
			m, err := tflite.LoadFile(path)
			if err != nil {
				b.Skip(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			var ins []*tensor.Tensor
			for _, s := range m.Inputs() {
				ins = append(ins, randInput(r, s.DType, s.Shape))
			}
			run := m.NewRunner()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := run.Run(ctx, ins); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.MACs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
