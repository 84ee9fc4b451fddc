// Package shape registers TensorFlow Lite's shape, data-movement,
// reduction and resize operators: MEAN, SUM, REDUCE_MAX, REDUCE_MIN,
// ARG_MAX, ARG_MIN, RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE, TRANSPOSE,
// CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V, SLICE, STRIDED_SLICE, PAD,
// PADV2, GATHER, RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR.
//
// Each operator's Prepare validates arity, dtypes, ranks, axes and the
// constant inputs that decide the output shape (a non-constant one is
// unsupported), computes every output's Shape from the input shapes (never
// from the file's output shape, so a model re-planned with another batch
// size gets the right shapes), and precomputes index tables so that Eval
// neither allocates nor fails. The one error Eval may return is GATHER's
// out-of-range index, which depends on run-time data.
//
// The arithmetic lives in tflite/kernels/shape; this package only glues it
// to the operator contract in tflite/op. It never imports the interpreter.
// Register is safe to call on distinct resolvers concurrently; prepared
// kernels are immutable and safe for concurrent use.
package shape
