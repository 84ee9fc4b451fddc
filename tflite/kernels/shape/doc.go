// Package shape holds the pure kernels of TensorFlow Lite's shape,
// data-movement, reduction and resize operators: strided copies (slice,
// strided slice, transpose, pad, concatenation, split), fills, reductions
// (sum, mean, max, min, arg max/min), gather, and bilinear and
// nearest-neighbour resizing.
//
// Kernels know nothing of the interpreter, flatbuffers or tensors' metadata:
// they take plain parameters (computed once by the operator glue in
// tflite/ops/shape) and data slices, and trust their callers to have
// validated them. Integer kernels follow TensorFlow Lite's reference kernels
// bit for bit. Nothing here allocates while running, and every function is
// safe for concurrent use on distinct outputs; plans are immutable once
// built.
//
// This package imports nothing of the project except tflite/kernels.
package shape
