// Package sequence registers TensorFlow Lite's recurrent and stateful
// operators: UNIDIRECTIONAL_SEQUENCE_LSTM (float32, int8 with an int16
// cell state, and 16x8), SVDF (float32, and int8 with int8 or int16
// state), and in float32 the two TensorFlow Lite Micro lacks,
// BIDIRECTIONAL_SEQUENCE_LSTM and UNIDIRECTIONAL_SEQUENCE_RNN. The float
// LSTMs, the RNN and SVDF also run hybrid (dynamic-range: int8 weights,
// float32 activations quantized row by row on the fly, as TensorFlow Lite
// does).
//
// Their state (an LSTM's hidden and cell state, an SVDF's activation
// memory) lives in variable tensors that the interpreter keeps for the
// whole Run and resets before each one; Eval updates those inputs in
// place. Integer results are bit-exact with TensorFlow Lite Micro's
// reference kernels (float ones agree within rounding; the bidirectional
// LSTM, the RNN and the float LSTM variants with stock TensorFlow Lite's).
// The float LSTMs also run TensorFlow Lite's variants (CIFG, peephole,
// layer normalisation, projection); for integer LSTMs those variants,
// which Micro does not run, are refused at Prepare as unsupported.
//
// The arithmetic lives in tflite/kernels/sequence; this package validates
// shapes, dtypes and quantization at Prepare, packs the weights once per
// model (shared by every plan) and glues the kernels to the operator
// contract in tflite/op. It never imports the interpreter. Prepared kernels
// are immutable and safe for concurrent use.
package sequence
