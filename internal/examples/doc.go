// Package examples builds the example model repository that `make models`
// (`edgeinfer examples --out models`) writes and `edgeinfer serve` serves:
//
//	models/linear/1/model.tflite     float32, y = 2x + 1 on 4 values
//	models/linear/config.json
//	models/tiny_cnn/1/model.tflite   int8 8x8 grayscale classifier, batching on
//	models/tiny_cnn/config.json
//
// The models are built with tflitebuild from hand-set weights, so the bytes
// are the same on every run and on every machine.
//
// linear has one input "x" of shape [-1,4] and one output "y" of shape
// [-1,4]: y = 2x + 1 elementwise (a FULLY_CONNECTED with weights 2·I and
// bias 1). With the server running:
//
//	curl -s localhost:8080/v1/models/linear:predict -d '{"instances": [[-1, 0, 1, 4]]}'
//	{"predictions":[[-1,1,3,9]]}
//
// tiny_cnn has one int8 input "image" of shape [-1,8,8,1] (q/128 stands for
// a pixel in [-1, 1)) and one int8 output "probabilities" of shape [-1,3]
// (scale 1/256, zero point -128) over the classes dark, bright and
// textured: CONV_2D (four 3x3 filters, RELU) → AVERAGE_POOL_2D (8x8) →
// FULLY_CONNECTED → SOFTMAX. Its config.json enables batching.
//
// The package imports tensor and the tflite builder only. Its functions are
// safe for concurrent use except that two Writes to the same directory race
// on the files (each file is still replaced atomically).
package examples
