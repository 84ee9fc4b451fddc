// Package conv holds the arithmetic of the convolution family of TensorFlow
// Lite operators (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
// FULLY_CONNECTED, BATCH_MATMUL, AVERAGE_POOL_2D, MAX_POOL_2D) as pure
// functions over geometry, quantization parameters and data slices. It knows
// nothing of the interpreter: callers (tflite/ops/conv) validate shapes and
// parameters first, and the functions here run without re-checking.
//
// Every integer kernel exists twice: a plain reference path that follows
// TensorFlow Lite's reference kernels loop for loop (ConvRef, DepthwiseRef,
// FullyConnectedRef, ...), and, for int8, an optimised path tested bit for
// bit against it. The optimised CONV_2D and FULLY_CONNECTED (ConvInt8,
// FCInt8, ConvF32, FCF32) are an im2col (or, for 1x1 convolutions, the
// input itself) followed by the tflite/kernels/gemm micro-kernels over
// weights packed once per model; DepthwiseInt8Fast and DepthwiseF32Fast
// are AVX-512 kernels (16 channels per vector) where the CPU has them, and
// DepthwiseInt8 / DepthwiseFloat elsewhere. float32 fast paths agree with
// the reference within float32 rounding (fused multiply-adds).
//
// Layouts are NHWC; CONV_2D filters are [O,KH,KW,I], depthwise filters
// [1,KH,KW,I*M], fully connected weights [O,I].
//
// It imports the shared fixed-point helpers of tflite/kernels and the
// micro-kernels of tflite/kernels/gemm. The
// functions keep no state and are safe for concurrent use on disjoint
// outputs.
package conv
