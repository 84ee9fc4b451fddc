// Package custom is the operator glue of the custom operators with public
// semantics that deployed models use, registered by their custom names:
// MediaPipe's Convolution2DTransposeBias, MaxPoolingWithArgmax2D and
// MaxUnpooling2D (mediapipe/util/tflite/operations, float32; their
// options are the raw TfLiteTransposeConvParams / TfLitePoolParams
// structs), MediaPipe's attention-mesh operators Landmarks2TransformMatrix,
// TransformTensorBilinear and TransformLandmarks (version 2 only, float32,
// options in a FlexBuffer map), and DENSIFY, which is a copy once the loader has densified
// its sparse constant input.
//
// Prepare validates options, shapes and types; the kernels in
// tflite/kernels then run without re-checking. It imports tflite/op and
// tflite/kernels only, never the interpreter. Prepared kernels are
// immutable and safe for concurrent use.
package custom
