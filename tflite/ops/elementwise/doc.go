// Package elementwise is the operator glue of TensorFlow Lite's elementwise,
// activation and quantization operators: ADD, SUB, MUL, DIV,
// SQUARED_DIFFERENCE, MAXIMUM, MINIMUM (NumPy broadcasting up to 6-D),
// SOFTMAX, LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU,
// HARD_SWISH, PRELU, QUANTIZE and DEQUANTIZE.
//
// Register adds their Prepare functions to an op.Resolver. Each Prepare
// checks arity, dtypes, shapes and quantization parameters, sets the output
// shape, and derives every multiplier and lookup table once, so that Eval
// runs the arithmetic of tflite/kernels/elementwise without checks and
// without allocating. Anything the engine cannot run exactly as TensorFlow
// Lite Micro's reference kernels do fails in Prepare with an error wrapping
// op.ErrUnsupported (or op.ErrInvalidModel for a malformed model).
//
// It imports tensor, tflite/op and tflite/kernels/elementwise only; the
// returned kernels are immutable and safe for concurrent use.
package elementwise
