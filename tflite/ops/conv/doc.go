// Package conv is the operator glue of the convolution family: CONV_2D,
// DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL,
// AVERAGE_POOL_2D and MAX_POOL_2D, for float32, int8 (per-channel or
// per-tensor symmetric int8 weights), uint8 (legacy per-tensor) and, where
// TensorFlow Lite has it, int16 activations with int8 weights ("16x8").
//
// Each Prepare function validates arity, dtypes, shapes and quantization,
// sets the output shape, derives the fixed-point multipliers and packs
// constant int8 weights once per model (op.Node.Shared); the kernels it
// returns run the arithmetic of tflite/kernels/conv without re-checking.
// Register adds the operators to a resolver.
//
// It imports tflite/op and tflite/kernels only, never the interpreter.
// Prepared kernels are immutable and safe for concurrent use.
package conv
