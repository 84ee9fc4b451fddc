// Package tflite loads, validates and runs TensorFlow Lite flatbuffer models
// (schema v3) in pure Go.
//
// A Model is parsed once from untrusted bytes: every offset, vector length,
// buffer range, tensor index, shape, dtype, quantization parameter and opcode
// is checked at load, and an operator or parameter combination the engine
// does not support is rejected at load with the operator's name and index.
// Kernels then run without re-checking.
//
// A Model is immutable and safe for concurrent use; weights are packed once
// and shared. A Runner holds the activation arena of one execution and is
// not safe for concurrent use: give each goroutine its own (NewRunner is
// cheap, or pool them).
//
// The package imports nothing of net/http, AWS, objstore or modelcache.
package tflite
