package opgolden_test

import (
	"math/rand/v2"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// mathCases: CAST, the float math functions, ABS, NEG, POW, FLOOR_DIV and
// FLOOR_MOD.
func mathCases() []goldenCase {
	f32 := func(lo, hi float64, shape ...int) func(r *rand.Rand) []*tensor.Tensor {
		return func(r *rand.Rand) []*tensor.Tensor {
			return []*tensor.Tensor{randTensor(r, tensor.Float32, shape, lo, hi)}
		}
	}
	s := []int{2, 3, 8}
	fu := func(name, opName string, lo, hi float64) goldenCase {
		return goldenCase{name: name, ref: "tflm", build: unaryModel(opName, nil, tensor.Float32, s, nil, tensor.Float32, s, nil), inputs: f32(lo, hi, s...)}
	}
	cast := func(name string, from, to tensor.DType, lo, hi float64) goldenCase {
		ref := "tflm"
		if to == tensor.Bool || from == tensor.Uint8 { // not in TFLite Micro's CAST
			ref = "tflite"
		}
		return goldenCase{name: name, ref: ref, build: unaryModel("CAST", nil, from, s, nil, to, s, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return []*tensor.Tensor{randTensor(r, from, s, lo, hi)} }}
	}
	bin := func(name, opName, ref string, dt tensor.DType, as, bs []int, alo, ahi, blo, bhi float64) goldenCase {
		out := as
		if len(bs) > len(as) {
			out = bs
		}
		return goldenCase{name: name, ref: ref, build: binaryModel(opName, nil, dt, as, bs, nil, nil, dt, out, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				a := randTensor(r, dt, as, alo, ahi)
				b := randTensor(r, dt, bs, blo, bhi)
				if dt != tensor.Float32 { // no zero divisors
					for i := range b.Shape.Elements() {
						if b.AsFloat64(i) == 0 {
							b.Int32s()[i] = 3
						}
					}
				}
				return []*tensor.Tensor{a, b}
			}}
	}
	return []goldenCase{
		fu("sqrt_f32", "SQRT", 0, 50),
		fu("rsqrt_f32", "RSQRT", 0.01, 50),
		fu("log_f32", "LOG", 0.001, 100),
		{name: "rsqrt_i8", ref: "tflm", build: unaryModel("RSQRT", nil, tensor.Int8, []int{4, 64}, q(0.02, -100), tensor.Int8, []int{4, 64}, q(0.05, -90)),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				x := randTensor(r, tensor.Int8, []int{4, 64}, -100, 127)
				x.Int8s()[0] = -100 // the zero point: largest output
				return []*tensor.Tensor{x}
			}},
		fu("exp_f32", "EXP", -10, 10),
		fu("square_f32", "SQUARE", -20, 20),
		fu("floor_f32", "FLOOR", -20, 20),
		fu("ceil_f32", "CEIL", -20, 20),
		{name: "round_f32", ref: "tflm", build: unaryModel("ROUND", nil, tensor.Float32, s, nil, tensor.Float32, s, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				x := randTensor(r, tensor.Float32, s, -20, 20)
				for i := range 12 { // exact halves: ties go to even
					x.Float32s()[i] = float32(i) - 5.5
				}
				return []*tensor.Tensor{x}
			}},
		fu("abs_f32", "ABS", -20, 20),
		fu("neg_f32", "NEG", -20, 20),
		{name: "abs_i8_quant", ref: "tflm",
			build:  unaryModel("ABS", nil, tensor.Int8, s, q(0.05, -7), tensor.Int8, s, q(0.03, -128)),
			inputs: func(r *rand.Rand) []*tensor.Tensor { return []*tensor.Tensor{fullRange(r, tensor.Int8, s)} }},
		{name: "abs_i16", ref: "tflm",
			build: unaryModel("ABS", nil, tensor.Int16, s, nil, tensor.Int16, s, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Int16, s, -32767, 32767)}
			}},
		{name: "neg_i32", ref: "tflite",
			build: unaryModel("NEG", nil, tensor.Int32, s, nil, tensor.Int32, s, nil),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{randTensor(r, tensor.Int32, s, -1e6, 1e6)}
			}},
		cast("cast_f32_i32", tensor.Float32, tensor.Int32, -1000, 1000),
		cast("cast_i32_f32", tensor.Int32, tensor.Float32, -1e6, 1e6),
		cast("cast_i8_f32", tensor.Int8, tensor.Float32, -128, 127),
		cast("cast_f32_i8", tensor.Float32, tensor.Int8, -100, 100),
		cast("cast_u8_i32", tensor.Uint8, tensor.Int32, 0, 255),
		cast("cast_i32_i8", tensor.Int32, tensor.Int8, -1000, 1000),
		cast("cast_bool_f32", tensor.Bool, tensor.Float32, 0, 1),
		cast("cast_f32_bool", tensor.Float32, tensor.Bool, -1, 1),
		cast("cast_i32_bool", tensor.Int32, tensor.Bool, -2, 2),
		cast("cast_i16_i32", tensor.Int16, tensor.Int32, -3e4, 3e4),
		bin("floor_div_f32", "FLOOR_DIV", "tflm", tensor.Float32, []int{2, 12}, []int{2, 12}, -50, 50, 0.5, 7),
		bin("floor_div_i32_bcast", "FLOOR_DIV", "tflite", tensor.Int32, []int{3, 8}, []int{8}, -100, 100, -9, 9),
		bin("floor_mod_f32", "FLOOR_MOD", "tflm", tensor.Float32, []int{2, 12}, []int{2, 12}, -50, 50, -7, 7),
		bin("floor_mod_i32_bcast", "FLOOR_MOD", "tflite", tensor.Int32, []int{3, 8}, []int{1, 8}, -100, 100, -9, 9),
		{name: "l2norm_f32", ref: "tflm", build: unaryModel("L2_NORMALIZATION", &op.L2NormOptions{}, tensor.Float32, []int{1, 3, 2, 16}, nil, tensor.Float32, []int{1, 3, 2, 16}, nil),
			inputs: f32(-3, 3, 1, 3, 2, 16)},
		{name: "l2norm_i8", ref: "tflm", build: unaryModel("L2_NORMALIZATION", &op.L2NormOptions{}, tensor.Int8, []int{4, 40}, q(0.05, 5), tensor.Int8, []int{4, 40}, q(1.0/128, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				x := fullRange(r, tensor.Int8, []int{4, 40})
				for i := range 40 { // a row at the zero point (norm 0) and a nearly flat one
					x.Int8s()[i] = 5
					x.Int8s()[40+i] = int8(5 + i%2)
				}
				return []*tensor.Tensor{x}
			}},
		{name: "l2norm_i8_deep", ref: "tflm", build: unaryModel("L2_NORMALIZATION", &op.L2NormOptions{}, tensor.Int8, []int{1, 9000}, q(0.02, -128), tensor.Int8, []int{1, 9000}, q(1.0/128, 0)),
			inputs: func(r *rand.Rand) []*tensor.Tensor {
				return []*tensor.Tensor{fullRange(r, tensor.Int8, []int{1, 9000})}
			}},
		bin("pow_f32", "POW", "tflite", tensor.Float32, []int{2, 12}, []int{2, 12}, 0.1, 5, -3, 3),
		bin("pow_i32_bcast", "POW", "tflite", tensor.Int32, []int{3, 8}, []int{1}, -9, 9, 0, 5),
	}
}
