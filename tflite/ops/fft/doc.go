// Package fft registers TensorFlow Lite's complex-number operators:
// RFFT2D (float32 in, complex64 out, the STFT of audio models such as
// YAMNet), COMPLEX_ABS, REAL and IMAG.
//
// RFFT2D's fft_length must be a constant of two powers of two, as TFLite
// requires; the transform runs in double precision (tflite/kernels/fft),
// as TFLite's does, and rounds to complex64. Eval neither allocates nor
// fails. It never imports the interpreter; prepared kernels are immutable
// and safe for concurrent use.
package fft
