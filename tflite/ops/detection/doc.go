// Package detection is the operator glue of TensorFlow Lite's detection
// custom operators: TFLite_Detection_PostProcess, the SSD post-processing
// that decodes box encodings against anchors and runs non-maximum
// suppression (fast, over each box's best classes, or regular, per
// class), returning boxes, classes, scores and the number of detections;
// and Coral's PosenetDecoderOp, multi-person pose decoding from keypoint
// heatmaps and short/mid-range offsets, and its BodyPix form, which
// also assigns every cell to a person from long-range offsets (instance
// masks).
//
// Prepare validates the options (custom_options FlexBuffer) and the
// input shapes, types and quantization; the kernels in
// tflite/kernels/detection then run without re-checking. Register adds
// the operators to a resolver by their custom names.
//
// It imports tflite/op and tflite/kernels only, never the interpreter.
// Prepared kernels are immutable and safe for concurrent use; each Runner
// gets its own scratch.
package detection
