package tflite_test

import (
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// whileSeedModel: a WHILE over two subgraphs (condition passes a flag
// through, body clears it and adds one), so the fuzzer starts from files
// with several subgraphs and control-flow options.
func whileSeedModel(f *testing.F) []byte {
	b := tflitebuild.New()
	flag := b.Tensor("flag", tensor.Bool, nil, nil, nil)
	x := b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
	flag2 := b.Tensor("flag2", tensor.Bool, nil, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{2}, nil, nil)
	b.Op("WHILE", []int{flag, x}, []int{flag2, y}, &op.WhileOptions{CondSubgraph: 1, BodySubgraph: 2})
	b.Inputs(flag, x)
	b.Outputs(flag2, y)
	b.AddSubgraph("cond")
	cf := b.Tensor("flag", tensor.Bool, nil, nil, nil)
	cx := b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
	b.Inputs(cf, cx)
	b.Outputs(cf)
	b.AddSubgraph("body")
	bf := b.Tensor("flag", tensor.Bool, nil, nil, nil)
	bx := b.Tensor("x", tensor.Float32, []int{2}, nil, nil)
	off := b.Const("off", nil, nil, []bool{false})
	one := b.Const("one", []int{1}, nil, []float32{1})
	by := b.Tensor("y", tensor.Float32, []int{2}, nil, nil)
	b.Op("ADD", []int{bx, one}, []int{by}, &op.ArithOptions{})
	b.Inputs(bf, bx)
	b.Outputs(off, by)
	data, err := b.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// signalSeedModel: SignalFftAutoScale into SignalRfft and SignalEnergy,
// so the fuzzer starts from custom ops with FlexBuffer options.
func signalSeedModel(f *testing.F) []byte {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Int16, []int{16}, nil, nil)
	s := b.Tensor("scaled", tensor.Int16, []int{16}, nil, nil)
	bits := b.Tensor("bits", tensor.Int32, nil, nil, nil)
	spec := b.Tensor("spec", tensor.Int16, []int{18}, nil, nil)
	e := b.Tensor("energy", tensor.Uint32, []int{9}, nil, nil)
	rf, err := tflitebuild.FlexMap(map[string]any{"T": 7, "fft_length": 16})
	if err != nil {
		f.Fatal(err)
	}
	en, err := tflitebuild.FlexMap(map[string]any{"start_index": 0, "end_index": 9})
	if err != nil {
		f.Fatal(err)
	}
	b.CustomOp("SignalFftAutoScale", []int{x}, []int{s, bits}, nil)
	b.CustomOp("SignalRfft", []int{s}, []int{spec}, rf)
	b.CustomOp("SignalEnergy", []int{spec}, []int{e}, en)
	b.Inputs(x)
	b.Outputs(e, bits)
	data, err := b.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	return data
}
