// Package signal holds the arithmetic of TensorFlow Lite Micro's signal
// library (tensorflow/tflite-micro signal/src), the custom operators its
// audio front ends use: windowing, FFT auto-scaling, the fixed-point real
// FFT (KISS FFT with 16-bit fixed point, as TFLM builds it), spectral
// energy, the mel filter bank and its square root, spectral subtraction,
// PCAN gain control and the fixed-point log. Every function reproduces the
// reference's integer arithmetic bit for bit, including its C wrap-around
// and truncation where the reference relies on them.
//
// Functions are pure over their arguments and trust their callers
// (tflite/ops/signal validates sizes and parameters when a model loads);
// an FFT plan is immutable and safe for concurrent use, its work buffer is
// the caller's.
package signal
