// Package kernels holds the arithmetic of the TensorFlow Lite operators as
// pure functions over parameters, shapes and data. Kernels know nothing of
// flatbuffers, the interpreter, HTTP or storage; they trust their callers to
// have validated shapes and parameters (the tflite package does so when a
// model loads) and run without re-checking.
//
// Integer kernels follow TensorFlow Lite's reference kernels bit for bit:
// 32-bit fixed-point multipliers applied with double rounding
// (SaturatingRoundingDoublingHighMul then RoundingDivideByPOT).
//
// Functions here are safe for concurrent use; they keep no state.
package kernels
