package opgolden_test

import (
	"math/rand/v2"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// shapeCases: TILE, REVERSE_V2, SPACE_TO_DEPTH, DEPTH_TO_SPACE,
// SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, MIRROR_PAD, ZEROS_LIKE, FILL,
// GATHER_ND, TOPK_V2 and RESHAPE with a 2-D shape input.
func shapeCases() []goldenCase {
	// withConsts builds in → op(in, consts...) → out.
	withConsts := func(opName string, opts any, dt tensor.DType, in, out []int, qt *tensor.Quant, consts ...func(b *tflitebuild.Builder) int) func(b *tflitebuild.Builder) {
		return func(b *tflitebuild.Builder) {
			x := b.Tensor("x", dt, in, qt, nil)
			ins := []int{x}
			for _, c := range consts {
				ins = append(ins, c(b))
			}
			y := b.Tensor("y", dt, out, qt, nil)
			b.Op(opName, ins, []int{y}, opts)
			b.Inputs(x)
			b.Outputs(y)
		}
	}
	ci32 := func(shape []int, v ...int32) func(b *tflitebuild.Builder) int {
		return func(b *tflitebuild.Builder) int { return b.Const("c", shape, nil, v) }
	}
	rnd := func(dt tensor.DType, shape []int) func(r *rand.Rand) []*tensor.Tensor {
		return func(r *rand.Rand) []*tensor.Tensor {
			if dt == tensor.Float32 {
				return []*tensor.Tensor{randTensor(r, dt, shape, -10, 10)}
			}
			return []*tensor.Tensor{fullRange(r, dt, shape)}
		}
	}
	qi8 := q(0.1, -3)
	return []goldenCase{
		{name: "tile_f32", ref: "tflite", build: withConsts("TILE", nil, tensor.Float32, []int{2, 3}, []int{4, 9}, nil, ci32([]int{2}, 2, 3)), inputs: rnd(tensor.Float32, []int{2, 3})},
		{name: "tile_i8", ref: "tflite", build: withConsts("TILE", nil, tensor.Int8, []int{1, 2, 3}, []int{3, 2, 6}, qi8, ci32([]int{3}, 3, 1, 2)), inputs: rnd(tensor.Int8, []int{1, 2, 3})},
		{name: "reverse_v2_f32", ref: "tflm", build: withConsts("REVERSE_V2", nil, tensor.Float32, []int{2, 3, 4}, []int{2, 3, 4}, nil, ci32([]int{1}, 1)), inputs: rnd(tensor.Float32, []int{2, 3, 4})},
		{name: "space_to_depth_i8", ref: "tflm", build: withConsts("SPACE_TO_DEPTH", &op.BlockSizeOptions{BlockSize: 2}, tensor.Int8, []int{1, 4, 6, 3}, []int{1, 2, 3, 12}, qi8), inputs: rnd(tensor.Int8, []int{1, 4, 6, 3})},
		{name: "depth_to_space_f32", ref: "tflm", build: withConsts("DEPTH_TO_SPACE", &op.BlockSizeOptions{BlockSize: 2}, tensor.Float32, []int{2, 2, 3, 8}, []int{2, 4, 6, 2}, nil), inputs: rnd(tensor.Float32, []int{2, 2, 3, 8})},
		// TFLite Micro pads int8 with 0, stock TFLite with the zero point
		// (real 0), as the engine does.
		{name: "space_to_batch_nd_i8", ref: "tflite", build: withConsts("SPACE_TO_BATCH_ND", nil, tensor.Int8, []int{2, 5, 3, 2}, []int{12, 3, 2, 2}, qi8, ci32([]int{2}, 2, 3), ci32([]int{2, 2}, 1, 0, 1, 2)), inputs: rnd(tensor.Int8, []int{2, 5, 3, 2})},
		{name: "batch_to_space_nd_f32", ref: "tflm", build: withConsts("BATCH_TO_SPACE_ND", nil, tensor.Float32, []int{8, 2, 3, 2}, []int{2, 3, 5, 2}, nil, ci32([]int{2}, 2, 2), ci32([]int{2, 2}, 0, 1, 1, 0)), inputs: rnd(tensor.Float32, []int{8, 2, 3, 2})},
		{name: "mirror_pad_reflect_f32", ref: "tflm", build: withConsts("MIRROR_PAD", &op.MirrorPadOptions{Mode: 0}, tensor.Float32, []int{1, 3, 4, 2}, []int{1, 6, 7, 2}, nil, ci32([]int{4, 2}, 0, 0, 2, 1, 1, 2, 0, 0)), inputs: rnd(tensor.Float32, []int{1, 3, 4, 2})},
		{name: "mirror_pad_symmetric_i8", ref: "tflm", build: withConsts("MIRROR_PAD", &op.MirrorPadOptions{Mode: 1}, tensor.Int8, []int{3, 4}, []int{6, 8}, qi8, ci32([]int{2, 2}, 3, 0, 2, 2)), inputs: rnd(tensor.Int8, []int{3, 4})},
		{name: "zeros_like_f32", ref: "tflm", build: withConsts("ZEROS_LIKE", nil, tensor.Float32, []int{2, 5}, []int{2, 5}, nil), inputs: rnd(tensor.Float32, []int{2, 5})},
		{name: "fill_f32", ref: "tflm", build: func(b *tflitebuild.Builder) {
			dims := b.Const("dims", []int{3}, nil, []int32{2, 3, 4})
			v := b.Tensor("v", tensor.Float32, []int{}, nil, nil)
			y := b.Tensor("y", tensor.Float32, []int{2, 3, 4}, nil, nil)
			b.Op("FILL", []int{dims, v}, []int{y}, nil)
			b.Inputs(v)
			b.Outputs(y)
		}, inputs: rnd(tensor.Float32, []int{})},
		{name: "gather_nd_i8", ref: "tflm", build: func(b *tflitebuild.Builder) {
			p := b.Tensor("p", tensor.Int8, []int{4, 3, 5}, qi8, nil)
			ix := b.Tensor("ix", tensor.Int32, []int{2, 3, 2}, nil, nil)
			y := b.Tensor("y", tensor.Int8, []int{2, 3, 5}, qi8, nil)
			b.Op("GATHER_ND", []int{p, ix}, []int{y}, nil)
			b.Inputs(p, ix)
			b.Outputs(y)
		}, inputs: func(r *rand.Rand) []*tensor.Tensor {
			ix := randTensor(r, tensor.Int32, []int{2, 3, 2}, 0, 2)
			for i := 0; i < 12; i += 2 {
				ix.Int32s()[i] = int32(r.IntN(4))
			}
			return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{4, 3, 5}), ix}
		}},
		{name: "gather_nd_f32_scalars", ref: "tflm", build: func(b *tflitebuild.Builder) {
			p := b.Tensor("p", tensor.Float32, []int{3, 4}, nil, nil)
			ix := b.Tensor("ix", tensor.Int32, []int{5, 2}, nil, nil)
			y := b.Tensor("y", tensor.Float32, []int{5}, nil, nil)
			b.Op("GATHER_ND", []int{p, ix}, []int{y}, nil)
			b.Inputs(p, ix)
			b.Outputs(y)
		}, inputs: func(r *rand.Rand) []*tensor.Tensor {
			ix := randTensor(r, tensor.Int32, []int{5, 2}, 0, 2)
			for i := 1; i < 10; i += 2 {
				ix.Int32s()[i] = int32(r.IntN(4))
			}
			return []*tensor.Tensor{randTensor(r, tensor.Float32, []int{3, 4}, -5, 5), ix}
		}},
		{name: "topk_v2_f32", ref: "tflite", build: func(b *tflitebuild.Builder) {
			x := b.Tensor("x", tensor.Float32, []int{3, 10}, nil, nil)
			k := b.Const("k", []int{}, nil, []int32{4})
			v := b.Tensor("values", tensor.Float32, []int{3, 4}, nil, nil)
			i := b.Tensor("indices", tensor.Int32, []int{3, 4}, nil, nil)
			b.Op("TOPK_V2", []int{x, k}, []int{v, i}, nil)
			b.Inputs(x)
			b.Outputs(v, i)
		}, inputs: func(r *rand.Rand) []*tensor.Tensor {
			x := randTensor(r, tensor.Float32, []int{3, 10}, -1, 1)
			x.Float32s()[2], x.Float32s()[7] = 5, 5 // a tie
			return []*tensor.Tensor{x}
		}},
		{name: "topk_v2_i32", ref: "tflite", build: func(b *tflitebuild.Builder) {
			x := b.Tensor("x", tensor.Int32, []int{2, 12}, nil, nil)
			k := b.Const("k", []int{}, nil, []int32{5})
			v := b.Tensor("values", tensor.Int32, []int{2, 5}, nil, nil)
			i := b.Tensor("indices", tensor.Int32, []int{2, 5}, nil, nil)
			b.Op("TOPK_V2", []int{x, k}, []int{v, i}, nil)
			b.Inputs(x)
			b.Outputs(v, i)
		}, inputs: func(r *rand.Rand) []*tensor.Tensor {
			return []*tensor.Tensor{randTensor(r, tensor.Int32, []int{2, 12}, -4, 4)}
		}},
		// tflm__dp_net: the shape input is 2-D, so TFLite takes new_shape.
		{name: "reshape_2d_shape_input", ref: "tflite", build: withConsts("RESHAPE", &op.ReshapeOptions{NewShape: []int{3, 4}}, tensor.Float32, []int{2, 6}, []int{3, 4}, nil, ci32([]int{1, 2}, 3, 4)), inputs: rnd(tensor.Float32, []int{2, 6})},
	}
}
