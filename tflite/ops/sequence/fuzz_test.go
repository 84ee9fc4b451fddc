package sequence_test

import (
	"context"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// FuzzSequenceOps builds LSTM, RNN and SVDF operators whose tensors'
// shapes, dtypes and options come from the fuzzer (consistent or not) and
// requires that Load either refuses the model with an error or runs it
// without panicking.
func FuzzSequenceOps(f *testing.F) {
	f.Add(uint8(0), uint8(2), uint8(1), uint8(3), uint8(4), uint8(0), uint8(0))
	f.Add(uint8(1), uint8(3), uint8(2), uint8(5), uint8(6), uint8(1), uint8(7))
	f.Add(uint8(2), uint8(1), uint8(1), uint8(4), uint8(8), uint8(2), uint8(3))
	f.Add(uint8(3), uint8(4), uint8(2), uint8(2), uint8(6), uint8(1), uint8(255))
	// Consistent models of each kind (they load and run).
	f.Add(uint8(1), uint8(3), uint8(2), uint8(5), uint8(6), uint8(1), uint8(0))
	f.Add(uint8(2), uint8(1), uint8(1), uint8(4), uint8(8), uint8(2), uint8(64))
	f.Add(uint8(3), uint8(4), uint8(2), uint8(2), uint8(6), uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, kind, tt, bb, in, n, rank, flags uint8) {
		dims := func(v uint8) int { return int(v%9) + 1 }
		T, B, I, N := dims(tt), dims(bb), dims(in), dims(n)
		// Off-by-one shapes, selected by flag bits, make inconsistent
		// models as well as consistent ones.
		off := func(bit uint, v int) int {
			if flags&(1<<bit) != 0 {
				return v + 1
			}
			return v
		}
		b := tflitebuild.New()
		var inputs []int
		var y int
		dt := tensor.Float32
		var qa, qw, qb, qs *tensor.Quant
		if kind%4 == 1 {
			dt = tensor.Int8
			qa, qw, qb, qs = qq(0.05, 3), qq(0.02, 0), qq(0.001, 0), qq(1.0/2048, 0)
		}
		mat := func(rows, cols int) int {
			if dt == tensor.Int8 {
				return b.Const("w", []int{rows, cols}, qw, make([]int8, rows*cols))
			}
			return b.Const("w", []int{rows, cols}, nil, make([]float32, rows*cols))
		}
		vec := func(k int) int {
			if dt == tensor.Int8 {
				return b.Const("b", []int{k}, qb, make([]int32, k))
			}
			return b.Const("b", []int{k}, nil, make([]float32, k))
		}
		x := b.Tensor("x", dt, []int{B, T, I}, qa, nil)
		switch kind % 4 {
		case 0, 1: // LSTM
			inputs = make([]int, 24)
			for i := range inputs {
				inputs[i] = -1
			}
			inputs[0] = x
			for g := range 4 {
				inputs[1+g] = mat(N, off(0, I))
				inputs[5+g] = mat(N, off(1, N))
				inputs[12+g] = vec(off(2, N))
			}
			cdt, cq := dt, (*tensor.Quant)(nil)
			if dt == tensor.Int8 {
				cdt, cq = tensor.Int16, qs
			}
			inputs[18] = b.Tensor("h", dt, []int{B, off(3, N)}, qa, nil)
			inputs[19] = b.Tensor("c", cdt, []int{B, off(4, N)}, cq, nil)
			if flags&(1<<5) == 0 {
				b.Variable(inputs[18])
				b.Variable(inputs[19])
			}
			y = b.Tensor("y", dt, []int{B, T, N}, qa, nil)
			b.Op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, []int{y}, &op.SequenceLSTMOptions{Activation: op.ActTanh, TimeMajor: flags&(1<<6) != 0})
		case 2: // RNN (float)
			h := b.Tensor("h", dt, []int{B, off(3, N)}, nil, nil)
			b.Variable(h)
			y = b.Tensor("y", dt, []int{B, T, N}, nil, nil)
			b.Op("UNIDIRECTIONAL_SEQUENCE_RNN", []int{x, mat(N, off(0, I)), mat(N, off(1, N)), vec(off(2, N)), h}, []int{y},
				&op.SequenceRNNOptions{Activation: op.ActTanh, TimeMajor: flags&(1<<6) != 0})
		case 3: // SVDF (float): input [B, I]
			x2 := b.Tensor("x2", dt, []int{B, I}, nil, nil)
			r := int(rank%3) + 1
			F := N * r
			state := b.Tensor("s", dt, []int{B, off(3, F*T)}, nil, nil)
			b.Variable(state)
			y = b.Tensor("y", dt, []int{B, N}, nil, nil)
			b.Op("SVDF", []int{x2, mat(F, off(0, I)), mat(off(1, F), T), vec(off(2, N)), state}, []int{y}, &op.SVDFOptions{Rank: r})
			x = x2
		}
		b.Inputs(x)
		b.Outputs(y)
		data, err := b.Bytes()
		if err != nil {
			return
		}
		m, err := tflite.Load(data)
		if err != nil {
			return
		}
		var ins []*tensor.Tensor
		for _, s := range m.Inputs() {
			v, err := tensor.New(s.DType, s.Shape)
			if err != nil {
				return
			}
			for i := range v.Data {
				v.Data[i] = byte(i*37 + int(flags))
			}
			ins = append(ins, v)
		}
		if _, err := m.NewRunner().Run(context.Background(), ins); err != nil {
			t.Fatalf("a model that loads fails to run: %v", err)
		}
	})
}

func qq(scale float32, zero int64) *tensor.Quant {
	return &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zero}}
}
