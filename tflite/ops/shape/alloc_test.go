package shape_test

import (
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// prepared prepares one node and returns its kernel and ready tensors.
func prepared(t testing.TB, name string, opts any, ins []*tv, outs []*op.TensorInfo) (op.Kernel, *op.Exec, []*tensor.Tensor, []*tensor.Tensor) {
	t.Helper()
	prep, _ := resolver().Lookup(name)
	n := &op.Node{Op: name, Options: opts, Outputs: outs}
	var inT []*tensor.Tensor
	for _, in := range ins {
		n.Inputs = append(n.Inputs, in.info)
		inT = append(inT, &tensor.Tensor{DType: in.info.DType, Shape: in.info.Shape, Quant: in.info.Quant, Data: in.data})
	}
	k, err := prep(n)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var outT []*tensor.Tensor
	for _, o := range outs {
		ot, err := tensor.New(o.DType, o.Shape)
		if err != nil {
			t.Fatal(err)
		}
		outT = append(outT, ot)
	}
	return k, &op.Exec{Scratch: make([]byte, k.Scratch)}, inT, outT
}

func TestEvalDoesNotAllocate(t *testing.T) {
	q8 := func(shp []int) *tv {
		n := 1
		for _, d := range shp {
			n *= d
		}
		return quant(mk(tensor.Int8, shp, make([]int8, n)), 0.5, 1)
	}
	pads := ci32(1, 1, 2, 2)
	pads.info.Shape = []int{2, 2}
	cases := []struct {
		name string
		op   string
		opts any
		ins  []*tv
		outs []*op.TensorInfo
	}{
		{name: "reshape", op: "RESHAPE", ins: []*tv{f32([]int{2, 3}, seq(6)...), ci32(6)}, outs: o(tensor.Float32)},
		{name: "transpose", op: "TRANSPOSE", ins: []*tv{f32([]int{2, 3, 4}, seq(24)...), ci32(2, 0, 1)}, outs: o(tensor.Float32)},
		{name: "strided slice", op: "STRIDED_SLICE", ins: []*tv{f32([]int{4, 4}, seq(16)...), ci32(3, 0), ci32(0, 4), ci32(-1, 2)}, outs: o(tensor.Float32)},
		{name: "pad int8", op: "PAD", ins: []*tv{q8([]int{3, 3}), pads}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.5, 1)}},
		{name: "concat requant", op: "CONCATENATION", opts: &op.ConcatenationOptions{Axis: 1}, ins: []*tv{q8([]int{2, 3}), quant(mk(tensor.Int8, []int{2, 1}, []int8{1, 2}), 1, 0)}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.5, 1)}},
		{name: "mean int8", op: "MEAN", ins: []*tv{q8([]int{1, 3, 3, 4}), ci32(1, 2)}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.25, 0)}},
		{name: "sum float", op: "SUM", ins: []*tv{f32([]int{2, 3}, seq(6)...), ci32(0)}, outs: o(tensor.Float32)},
		{name: "gather", op: "GATHER", ins: []*tv{f32([]int{3, 2}, seq(6)...), mk(tensor.Int32, []int{2}, []int32{2, 0})}, outs: o(tensor.Float32)},
		{name: "argmax", op: "ARG_MAX", ins: []*tv{f32([]int{2, 3}, seq(6)...), ci32(1)}, outs: o(tensor.Int32)},
		{name: "resize bilinear int8", op: "RESIZE_BILINEAR", ins: []*tv{q8([]int{1, 2, 2, 3}), ci32(4, 4)}, outs: []*op.TensorInfo{qout(tensor.Int8, 0.5, 1)}},
		{name: "resize nearest", op: "RESIZE_NEAREST_NEIGHBOR", ins: []*tv{f32([]int{1, 2, 2, 1}, seq(4)...), ci32(3, 3)}, outs: o(tensor.Float32)},
		{name: "split", op: "SPLIT", ins: []*tv{ci32(0), f32([]int{4}, seq(4)...)}, outs: []*op.TensorInfo{outInfo(tensor.Float32), outInfo(tensor.Float32)}},
		{name: "pack", op: "PACK", ins: []*tv{f32([]int{2}, 0, 1), f32([]int{2}, 2, 3)}, outs: o(tensor.Float32)},
		{name: "shape", op: "SHAPE", ins: []*tv{f32([]int{2}, 0, 1)}, outs: o(tensor.Int32)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, x, in, out := prepared(t, c.op, c.opts, c.ins, c.outs)
			allocs := testing.AllocsPerRun(20, func() {
				if err := k.Eval(x, in, out); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Fatalf("Eval allocates %v times", allocs)
			}
		})
	}
}

func BenchmarkPadInt8(b *testing.B) {
	pads := ci32(0, 0, 1, 1, 1, 1, 0, 0)
	pads.info.Shape = []int{4, 2}
	in := quant(mk(tensor.Int8, []int{1, 56, 56, 64}, make([]int8, 56*56*64)), 0.5, 1)
	k, x, inT, outT := prepared(b, "PAD", nil, []*tv{in, pads}, []*op.TensorInfo{qout(tensor.Int8, 0.5, 1)})
	b.SetBytes(int64(len(outT[0].Data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = k.Eval(x, inT, outT)
	}
}

func BenchmarkMeanInt8GlobalPool(b *testing.B) {
	in := quant(mk(tensor.Int8, []int{1, 7, 7, 1280}, make([]int8, 7*7*1280)), 0.5, 1)
	k, x, inT, outT := prepared(b, "MEAN", &op.ReducerOptions{KeepDims: true}, []*tv{in, ci32(1, 2)}, []*op.TensorInfo{qout(tensor.Int8, 0.25, 0)})
	b.SetBytes(int64(len(inT[0].Data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = k.Eval(x, inT, outT)
	}
}

func BenchmarkResizeBilinearInt8(b *testing.B) {
	in := quant(mk(tensor.Int8, []int{1, 28, 28, 32}, make([]int8, 28*28*32)), 0.5, 1)
	k, x, inT, outT := prepared(b, "RESIZE_BILINEAR", &op.ResizeOptions{HalfPixelCenters: true}, []*tv{in, ci32(56, 56)}, []*op.TensorInfo{qout(tensor.Int8, 0.5, 1)})
	b.SetBytes(int64(len(outT[0].Data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = k.Eval(x, inT, outT)
	}
}
