// Package benchmodels builds the benchmark networks of `make bench-peer`:
// MobileNetV1 and MobileNetV2 (1.0, 224×224) as int8 and float32 TFLite
// models, with the layer shapes of the ONNX networks that
// ../shared/peer/run.sh times under ONNX Runtime and deterministic random
// weights. They exist to measure speed, not accuracy.
package benchmodels
