// Package tflitebuild writes TensorFlow Lite flatbuffer models (schema v3)
// from a short Go description: tensors, constant data, operators with their
// options, subgraph inputs and outputs, and signature defs.
//
// It exists so that tests, fuzz seeds, benchmarks and the example model
// repository can make small, exact models without TensorFlow. It writes
// every field the engine reads (tflite's parser and option decoders), at the
// slots schema.fbs gives, with the file identifier "TFL3", buffer 0 as the
// empty sentinel, and buffer data aligned to 16 bytes. Output is
// deterministic: the same description always gives the same bytes.
//
//	b := tflitebuild.New()
//	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
//	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
//	b.Op("RELU", []int{x}, []int{y}, nil)
//	b.Inputs(x)
//	b.Outputs(y)
//	data, err := b.Bytes()
//
// The package imports tensor and tflite/op only, never tflite itself, so the
// engine's own tests may use it. A Builder is not safe for concurrent use.
package tflitebuild
