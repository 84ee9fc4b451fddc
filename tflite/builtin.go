package tflite

import (
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/ops/control"
	"github.com/edgeinfer/edgeinfer/tflite/ops/conv"
	"github.com/edgeinfer/edgeinfer/tflite/ops/custom"
	"github.com/edgeinfer/edgeinfer/tflite/ops/detection"
	"github.com/edgeinfer/edgeinfer/tflite/ops/elementwise"
	"github.com/edgeinfer/edgeinfer/tflite/ops/fft"
	"github.com/edgeinfer/edgeinfer/tflite/ops/flex"
	"github.com/edgeinfer/edgeinfer/tflite/ops/logic"
	"github.com/edgeinfer/edgeinfer/tflite/ops/sequence"
	"github.com/edgeinfer/edgeinfer/tflite/ops/shape"
	"github.com/edgeinfer/edgeinfer/tflite/ops/signal"
)

// BuiltinResolver returns a resolver holding every operator the engine
// implements. Each call builds a new value.
func BuiltinResolver() *op.Resolver {
	r := op.NewResolver()
	control.Register(r)
	conv.Register(r)
	custom.Register(r)
	detection.Register(r)
	elementwise.Register(r)
	fft.Register(r)
	flex.Register(r)
	logic.Register(r)
	sequence.Register(r)
	shape.Register(r)
	signal.Register(r)
	return r
}
