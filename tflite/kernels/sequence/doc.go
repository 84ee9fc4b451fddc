// Package sequence holds the kernels of the recurrent and stateful
// operators: UNIDIRECTIONAL_SEQUENCE_LSTM (float32 and hybrid, with
// TensorFlow Lite's CIFG, peephole, layer-norm and projection variants;
// int8 activations with int16 cell state; 16x8), the float LSTM cell that
// BIDIRECTIONAL_SEQUENCE_LSTM runs in each direction, the float and hybrid
// UNIDIRECTIONAL_SEQUENCE_RNN, and SVDF (float32, hybrid and int8).
//
// The integer kernels follow TensorFlow Lite Micro's reference kernels bit
// for bit (lstm_eval, svdf_common): gate pre-activations in Q3.12, the
// int16 sigmoid and tanh of the reference integer ops (a 256-entry table
// with linear interpolation), element-wise products requantized with
// TensorFlow Lite's double rounding, saturating int16 sums.
//
// The matrix products run on package gemm: every step's input projection
// is one GEMM over all time steps before the recurrence starts (it does not
// depend on the state), and each step's recurrent projection is a GEMM over
// the batch. Kernels are pure: they read parameters built at Prepare time
// and the tensors' data, keep no state of their own (the recurrent state
// lives in the caller's variable tensors) and allocate nothing. Parameters
// are immutable once built and safe for concurrent use.
//
// This package imports only the engine's other kernel packages.
package sequence
