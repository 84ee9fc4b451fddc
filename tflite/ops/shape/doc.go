// Package shape registers TensorFlow Lite's shape, data-movement,
// reduction and resize operators: MEAN, SUM, REDUCE_MAX, REDUCE_MIN,
// ARG_MAX, ARG_MIN, RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE, TRANSPOSE,
// CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V, SLICE, STRIDED_SLICE, PAD,
// PADV2, GATHER, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, TILE, REVERSE_V2,
// SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND,
// MIRROR_PAD, ZEROS_LIKE, FILL, GATHER_ND and TOPK_V2.
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
