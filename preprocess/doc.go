// Package preprocess turns what clients send into a model's input tensors:
// encoded images (JPEG, PNG, BMP, GIF first frame, WebP) decoded under
// explicit limits, oriented by their EXIF tag, resized to the input's
// height and width with bilinear interpolation and TensorFlow's
// half-pixel-centers convention (stretch, center crop or letterbox pad),
// converted to RGB or grayscale, laid out NHWC or NCHW, normalized and
// quantized as the model's metadata says; and real numbers quantized into
// (or dequantized out of) int8, uint8 and int16 tensors exactly as
// TensorFlow Lite's QUANTIZE and DEQUANTIZE do.
//
// # Where the numbers come from
//
// SpecFor decides how to fill an input from, in order: the caller's
// Override (a model's config.json), the input's TFLite Model Metadata
// (NormalizationOptions mean and std, color space), and these defaults:
//
//   - float32 inputs: (pixel - 127.5) / 127.5, i.e. [-1, 1];
//   - uint8 inputs: the pixel values themselves (what the TensorFlow Lite
//     Task Library feeds quantized image models; metadata normalization is
//     for float inputs);
//   - int8 and int16 inputs: the metadata's normalization, quantized with
//     the input's scale and zero point; without metadata the pixel range
//     [0, 255] is spread over the whole integer range (int8: pixel - 128).
//
// Grayscale inputs (one channel) take the BT.601 luma 0.299 R + 0.587 G +
// 0.114 B of color images, and the gray value itself of gray images.
//
// Every function here is pure: no I/O, no package state. The package
// imports nothing of serving, functions or net/http.
package preprocess
