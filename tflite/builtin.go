package tflite

import "github.com/edgeinfer/edgeinfer/tflite/op"

// BuiltinResolver returns a resolver holding every operator the engine
// implements. Each call builds a new value.
func BuiltinResolver() *op.Resolver {
	r := op.NewResolver()
	return r
}
