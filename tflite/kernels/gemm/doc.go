// Package gemm holds the int8 matrix-multiply micro-kernels behind the
// engine's convolutions and fully connected layers.
//
// Weights are packed once per model (PackInt8) into panels of PanelN output
// channels and blocks of PanelK consecutive reduction steps, the operand
// shape of a 4-way int8 dot-product instruction over 16 int32 lanes.
// Int8 multiplies rows of activations by the packed weights and applies the
// TensorFlow Lite requantization (per-channel multiplier with double
// rounding, output offset, clamp) with bit-exact results.
//
// Implementations, chosen at run time with golang.org/x/sys/cpu:
//
//   - amd64 with AVX-512 VNNI: VPDPBUSD multiplies unsigned by signed bytes,
//     so activations are offset by +128 (x XOR 0x80) in registers and the
//     offset is removed through a per-channel weight-sum correction folded
//     into the bias at Prepare time. The requantization is vectorised too.
//   - everything else (and -tags noasm): the pure-Go generic kernel, over the
//     same packed layout.
//
// Every fast kernel is tested against the generic one, bit for bit.
package gemm
