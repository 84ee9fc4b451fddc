// Package flex runs a few of TensorFlow's own operators that the TFLite
// converter leaves to the Flex delegate ("select TF ops"): a Flex op is a
// custom operator named "Flex" + the TensorFlow op name, whose
// custom_options are a FlexBuffer vector of the op name and a serialized
// TensorFlow NodeDef (protobuf) carrying the op's attributes.
//
// Implemented, with TensorFlow's semantics for the dtypes listed at each:
// Equal, AddV2, ScatterNd and StridedSlice (what the public models in the
// real-model corpus use). Any other Flex op is not registered, so a model
// using it fails to load with the op's name, as an unknown custom op does.
//
// Prepare parses and validates the NodeDef (untrusted bytes: every length
// and varint is checked) against the tensors; kernels then run without
// re-checking, except for index values that only exist at run time
// (ScatterNd's indices, a StridedSlice's non-constant begin), which fail
// the run with op.ErrInput as TensorFlow fails it.
//
// It imports tflite/op and tflite/kernels (and tflite/ops/shape, whose
// STRIDED_SLICE it reuses), never the interpreter. Prepared kernels are
// immutable and safe for concurrent use.
package flex
