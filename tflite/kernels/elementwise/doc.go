// Package elementwise holds the arithmetic of TensorFlow Lite's elementwise,
// activation and quantization operators (ADD, SUB, MUL, DIV,
// SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, SOFTMAX, LOGISTIC, TANH, the RELU
// family, LEAKY_RELU, HARD_SWISH, PRELU, QUANTIZE, DEQUANTIZE) as pure
// functions over parameters, broadcast plans and data slices.
//
// Integer arithmetic follows TensorFlow Lite Micro's reference kernels bit
// for bit: the parameter constructors (NewAddSub, NewMul, NewSoftmaxInt8,
// ...) derive multipliers, shifts and lookup tables exactly as the upstream
// Prepare functions do, including where upstream computes in float32 rather
// than float64, and the kernels apply them with the same double-rounding
// fixed-point steps (gemmlowp's SaturatingRoundingDoublingHighMul and
// RoundingDivideByPOT, provided by tflite/kernels).
//
// Binary operators broadcast NumPy-style over up to MaxDims dimensions. A
// Plan, built once from the static shapes, compresses the shapes to the
// fewest dimensions and drives a row function over contiguous runs, so the
// common no-broadcast case is one tight loop.
//
// The package knows nothing of the interpreter and imports only tensor
// and tflite/kernels. Callers (tflite/ops/elementwise) validate dtypes, shapes
// and parameters; the functions here trust them and do not re-check. All
// functions are safe for concurrent use; parameter values are immutable
// after construction.
package elementwise
