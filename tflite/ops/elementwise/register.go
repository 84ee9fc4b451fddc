package elementwise

import (
	"math"

	ek "github.com/edgeinfer/edgeinfer/tflite/kernels/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Register adds the elementwise, activation and quantization operators to
// r: ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, SOFTMAX,
// LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH,
// PRELU, QUANTIZE, DEQUANTIZE, CAST, the float math functions (SQRT, RSQRT,
// LOG, EXP, SQUARE, FLOOR, CEIL, ROUND), ABS, NEG, POW, FLOOR_DIV,
// FLOOR_MOD and L2_NORMALIZATION.
func Register(r *op.Resolver) {
	r.Add("ADD", prepareArith(ek.OpAdd))
	r.Add("SUB", prepareArith(ek.OpSub))
	r.Add("MUL", prepareArith(ek.OpMul))
	r.Add("DIV", prepareArith(ek.OpDiv))
	r.Add("SQUARED_DIFFERENCE", prepareArith(ek.OpSquaredDiff))
	r.Add("MAXIMUM", prepareArith(ek.OpMax))
	r.Add("MINIMUM", prepareArith(ek.OpMin))
	r.Add("SOFTMAX", prepareSoftmax)
	r.Add("LOGISTIC", prepareSigmoid(false))
	r.Add("TANH", prepareSigmoid(true))
	r.Add("RELU", prepareRelu(0, float32(math.Inf(1))))
	r.Add("RELU6", prepareRelu(0, 6))
	r.Add("RELU_N1_TO_1", prepareRelu(-1, 1))
	r.Add("LEAKY_RELU", prepareLeakyRelu)
	r.Add("HARD_SWISH", prepareHardSwish)
	r.Add("PRELU", preparePrelu)
	r.Add("QUANTIZE", prepareQuantize)
	r.Add("DEQUANTIZE", prepareDequantize)
	r.Add("CAST", prepareCast)
	r.Add("SQRT", prepareFloatUnary(ek.SqrtF32))
	r.Add("RSQRT", prepareRsqrt)
	r.Add("LOG", prepareFloatUnary(ek.LogF32))
	r.Add("EXP", prepareFloatUnary(ek.ExpF32))
	r.Add("SQUARE", prepareFloatUnary(ek.SquareF32))
	r.Add("FLOOR", prepareFloatUnary(ek.FloorF32))
	r.Add("CEIL", prepareFloatUnary(ek.CeilF32))
	r.Add("ROUND", prepareFloatUnary(ek.RoundF32))
	r.Add("ABS", prepareAbsNeg(false))
	r.Add("NEG", prepareAbsNeg(true))
	r.Add("POW", preparePow)
	r.Add("FLOOR_DIV", prepareFloorDivMod(false))
	r.Add("FLOOR_MOD", prepareFloorDivMod(true))
	r.Add("L2_NORMALIZATION", prepareL2Norm)
}
