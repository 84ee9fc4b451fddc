// Package metadata reads TensorFlow Lite Model Metadata: the flatbuffer a
// model carries in its "TFLITE_METADATA" buffer (schema
// tensorflow_lite_support/metadata/metadata_schema.fbs, file identifier
// "M001"), which says how to feed and read each tensor (image properties,
// color space, normalization mean and std, value ranges, bounding box
// layout, audio properties), and the zip of associated files (label maps,
// vocabularies) appended to the .tflite file.
//
// Model files are untrusted: every offset, vector and string is checked,
// counts and sizes are bounded (see Limits), and a malformed buffer or
// archive is an error, never a panic or an unbounded allocation.
//
// The package imports nothing of net/http, serving or the engine. Its
// values are immutable once returned and safe for concurrent use.
package metadata
