// Package sequence registers TensorFlow Lite's recurrent and stateful
// operators: UNIDIRECTIONAL_SEQUENCE_LSTM (float32, int8 with an int16
// cell state, and 16x8) and SVDF (float32, and int8 with int8 or int16
// state).
//
// Their state (an LSTM's hidden and cell state, an SVDF's activation
// memory) lives in variable tensors that the interpreter keeps for the
// whole Run and resets before each one; Eval updates those inputs in
// place. Integer results are bit-exact with TensorFlow Lite Micro's
// reference kernels, which is also why the LSTM variants Micro does not
// run (peephole, projection, layer normalisation, CIFG) are refused at
// Prepare with an unsupported error.
//
// The arithmetic lives in tflite/kernels/sequence; this package validates
// shapes, dtypes and quantization at Prepare, packs the weights once per
// model (shared by every plan) and glues the kernels to the operator
// contract in tflite/op. It never imports the interpreter. Prepared kernels
// are immutable and safe for concurrent use.
package sequence
