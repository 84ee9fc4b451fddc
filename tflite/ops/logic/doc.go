// Package logic implements the comparison, boolean and selection
// operators: EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL,
// LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT, SELECT and SELECT_V2, over the
// kernels in tflite/kernels/elementwise. Bool tensors hold one byte per
// element, 0 or 1.
//
// It imports tensor, tflite/op and the kernels only, never the interpreter.
// Prepare functions are safe for concurrent use; the kernels they return
// hold no mutable state.
package logic
