package opgolden_test

import (
	"math/rand/v2"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// logicCases: the comparisons, LOGICAL_AND/OR/NOT, SELECT and SELECT_V2.
func logicCases() []goldenCase {
	cmp := func(name, opName string, dt tensor.DType, as, bs []int, qa, qb *tensor.Quant, lo, hi float64) goldenCase {
		out := as
		if len(bs) > len(as) {
			out = bs
		}
		ref := "tflm"
		if dt == tensor.Uint8 {
			ref = "tflite"
		}
		return goldenCase{name: name, ref: ref, build: binaryModel(opName, nil, dt, as, bs, qa, qb, tensor.Bool, out, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				a, b := randTensor(r, dt, as, lo, hi), randTensor(r, dt, bs, lo, hi)
				if len(as) == len(bs) && dt == tensor.Int32 { // some equal pairs
					for i := 0; i < a.Shape.Elements(); i += 3 {
						b.Int32s()[i] = a.Int32s()[i]
					}
				}
				return []*tensor.Tensor{a, b}
			}}
	}
	s := []int{2, 16}
	boolIn := func(shapes ...[]int) func(r *rand.Rand) []*tensor.Tensor {
		return func(r *rand.Rand) []*tensor.Tensor {
			var out []*tensor.Tensor
			for _, sh := range shapes {
				out = append(out, randTensor(r, tensor.Bool, sh, 0, 1))
			}
			return out
		}
	}
	selectModel := func(opName string, dt tensor.DType, cs, xs, ys, os []int, qx *tensor.Quant) func(b *tflitebuild.Builder) {
		return func(b *tflitebuild.Builder) {
			c := b.Tensor("c", tensor.Bool, cs, nil, nil)
			x := b.Tensor("x", dt, xs, qx, nil)
			y := b.Tensor("y", dt, ys, qx, nil)
			o := b.Tensor("out", dt, os, qx, nil)
			b.Op(opName, []int{c, x, y}, []int{o}, nil)
			b.Inputs(c, x, y)
			b.Outputs(o)
		}
	}
	return []goldenCase{
		cmp("equal_i32", "EQUAL", tensor.Int32, s, s, nil, nil, -3, 3),
		cmp("not_equal_f32_bcast", "NOT_EQUAL", tensor.Float32, s, []int{16}, nil, nil, -1, 1),
		cmp("less_i32", "LESS", tensor.Int32, s, s, nil, nil, -5, 5),
		cmp("less_equal_f32", "LESS_EQUAL", tensor.Float32, s, s, nil, nil, -1, 1),
		cmp("greater_i32_bcast", "GREATER", tensor.Int32, []int{16}, s, nil, nil, -5, 5),
		cmp("greater_equal_i32", "GREATER_EQUAL", tensor.Int32, s, s, nil, nil, -5, 5),
		cmp("greater_i8_quant", "GREATER", tensor.Int8, s, s, q(0.05, 3), q(0.02, -10), -128, 127),
		cmp("equal_i8_quant", "EQUAL", tensor.Int8, s, s, q(0.05, 3), q(0.05, 3), -3, 3),
		cmp("less_equal_u8_quant", "LESS_EQUAL", tensor.Uint8, s, s, q(0.05, 128), q(0.1, 100), 0, 255),
		{name: "logical_and", ref: "tflm", build: binaryModel("LOGICAL_AND", nil, tensor.Bool, s, s, nil, nil, tensor.Bool, s, nil), inputs: boolIn(s, s)},
		{name: "logical_or_bcast", ref: "tflm", build: binaryModel("LOGICAL_OR", nil, tensor.Bool, s, []int{1, 16}, nil, nil, tensor.Bool, s, nil), inputs: boolIn(s, []int{1, 16})},
		{name: "logical_not", ref: "tflm", build: unaryModel("LOGICAL_NOT", nil, tensor.Bool, s, nil, tensor.Bool, s, nil), inputs: boolIn(s)},
		{name: "select_v2_bcast_f32", ref: "tflm", build: selectModel("SELECT_V2", tensor.Float32, []int{3, 1}, []int{1, 5}, []int{3, 5}, []int{3, 5}, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Bool, []int{3, 1}, 0, 1), randTensor(r, tensor.Float32, []int{1, 5}, -1, 1), randTensor(r, tensor.Float32, []int{3, 5}, -1, 1)}
			}},
		{name: "select_v2_i8", ref: "tflm", build: selectModel("SELECT_V2", tensor.Int8, []int{2, 3, 4}, []int{2, 3, 4}, []int{4}, []int{2, 3, 4}, q(0.1, 2)),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Bool, []int{2, 3, 4}, 0, 1), fullRange(r, tensor.Int8, []int{2, 3, 4}), fullRange(r, tensor.Int8, []int{4})}
			}},
		// SELECT is not in TFLite Micro and the TFLite runner reads no bool
		// inputs: the condition is computed in the model (c < 0).
		{name: "select_rows_i32", ref: "tflite", build: func(b *tflitebuild.Builder) {
			ci := b.Tensor("ci", tensor.Int32, []int{3}, nil, nil)
			zero := b.Const("zero", []int{1}, nil, []int32{0})
			c := b.Tensor("c", tensor.Bool, []int{3}, nil, nil)
			x := b.Tensor("x", tensor.Int32, []int{3, 4}, nil, nil)
			y := b.Tensor("y", tensor.Int32, []int{3, 4}, nil, nil)
			o := b.Tensor("out", tensor.Int32, []int{3, 4}, nil, nil)
			b.Op("LESS", []int{ci, zero}, []int{c}, nil)
			b.Op("SELECT", []int{c, x, y}, []int{o}, nil)
			b.Inputs(ci, x, y)
			b.Outputs(o)
		},
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Int32, []int{3}, -5, 5), randTensor(r, tensor.Int32, []int{3, 4}, -99, 99), randTensor(r, tensor.Int32, []int{3, 4}, -99, 99)}
			}},
	}
}
